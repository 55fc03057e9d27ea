"""The wake-floor benchmark (loadtest/bench_wake.py), run tiny: it starts its echo server, every
message comes back, the report and the JSON have every rate, and the server is stopped. No timing is
asserted (the figures are the bench's, in docs/performance.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_wake_runs_tiny_and_stops_its_server(tmp_path: Path) -> None:
    out = tmp_path / "wake.json"
    tiny = ["--rates", "2000,8000", "--messages", "200", "--connections", "10", "--repeats", "1"]
    done = subprocess.run(
        [sys.executable, "-m", "loadtest.bench_wake", *tiny, "--json", str(out), "--max-seconds", "60"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    runs = json.loads(out.read_text())
    assert sorted(r["rate"] for r in runs) == [2000.0, 8000.0]
    assert all(r["messages"] == 200 and r["cpu_us"] > 0 for r in runs)
    assert "| 2,000 |" in done.stdout and "| 8,000 |" in done.stdout
    leftover = subprocess.run(["pgrep", "-f", "loadtest.bench_wake --serve"], capture_output=True, text=True)
    assert leftover.stdout.strip() == "", "the echo server outlived the bench"


def test_bench_wake_cast_skeleton_runs_tiny_and_stops_its_server_and_redis(tmp_path: Path) -> None:
    """The cast's skeleton: every message answered only after its batch's Redis command came back,
    the turnout writes not counted as replies, and its embedded redis-server stopped with it."""
    out = tmp_path / "skeleton.json"
    tiny = ["--shape", "cast", "--rates", "3000", "--messages", "300", "--connections", "50", "--repeats", "1"]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "loadtest.bench_wake", *tiny, "--json", str(out), "--max-seconds", "60"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (run,) = json.loads(out.read_text())
    assert run["shape"] == "cast" and run["messages"] == 300 and run["cpu_us"] > 0
    assert "| 3,000 |" in done.stdout
    for leftover in ("loadtest.bench_wake --serve", "bwake-"):
        found = subprocess.run(["pgrep", "-f", leftover], capture_output=True, text=True)
        assert found.stdout.strip() == "", f"{leftover!r} outlived the bench"
