"""The wake-floor benchmark (loadtest/bench_wake.py), run tiny: it starts its echo server, every
message comes back, the report and the JSON have every rate, and the server is stopped. No timing is
asserted (the figures are the bench's, in docs/performance.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def bench(tmp_path: Path, *tiny: str) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    """Run the bench with ``tiny`` settings; its process and the runs of its JSON."""
    out = tmp_path / "wake.json"
    done = subprocess.run(
        [sys.executable, "-m", "loadtest.bench_wake", *tiny, "--json", str(out), "--max-seconds", "60"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done, json.loads(out.read_text())


def outlived(*patterns: str) -> list[str]:
    """The patterns some process' command line still matches."""
    return [
        p
        for p in patterns
        if subprocess.run(["pgrep", "-f", p], capture_output=True, text=True).stdout.strip()
    ]


def test_bench_wake_runs_tiny_and_stops_its_server(tmp_path: Path) -> None:
    done, runs = bench(
        tmp_path, "--rates", "2000,8000", "--messages", "200", "--connections", "10", "--repeats", "1"
    )
    assert sorted(r["rate"] for r in runs) == [2000.0, 8000.0]
    assert all(r["messages"] == 200 and r["cpu_us"] > 0 and r["shape"] == "echo" for r in runs)
    assert "| 2,000 |" in done.stdout and "| 8,000 |" in done.stdout
    assert outlived("loadtest.bench_wake --serve") == [], "the echo server outlived the bench"


def test_bench_wake_cast_skeleton_runs_tiny_and_stops_its_server_and_redis(tmp_path: Path) -> None:
    """The cast's skeleton: every message answered (each through its batch's Redis command, so
    the run ends only if the embedded Redis answered every batch), the turnout writes not counted
    as replies, and its redis-server stopped with it."""
    done, runs = bench(
        tmp_path,
        "--shape",
        "cast",
        "--rates",
        "3000",
        "--messages",
        "300",
        "--connections",
        "50",
        "--repeats",
        "1",
    )
    (run,) = runs
    assert run["shape"] == "cast" and run["messages"] == 300 and run["cpu_us"] > 0
    assert "| 3,000 |" in done.stdout
    assert outlived("loadtest.bench_wake --serve", "bwake-") == []
