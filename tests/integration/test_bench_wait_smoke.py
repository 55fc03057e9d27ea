"""The WAIT benchmark's harness (loadtest/bench_wait.py), run tiny: it starts a Redis Cluster, casts
through both ways, checks every ballot stored and replicated, and stops every server it started. No
timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools.redis_server import INSTALL_COMMAND, find_redis

ROOT = Path(__file__).resolve().parents[2]


def test_bench_wait_runs_tiny_and_stores_every_cast(tmp_path: Path) -> None:
    if find_redis() is None:
        pytest.skip(f"needs Redis 7: {INSTALL_COMMAND}")
    out = tmp_path / "wait.json"
    tiny = ["--repeats", "1", "--casts", "200", "--concurrency", "50", "--json", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "loadtest.bench_wait", *tiny],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    runs = json.loads(out.read_text())
    assert {r["way"] for r in runs} == {"no wait", "WAIT 1"}
    assert all(r["stored"] == r["casts"] == 200 and r["unreplicated"] == 0 for r in runs)
    assert "WAIT 1 / no wait" in done.stdout
