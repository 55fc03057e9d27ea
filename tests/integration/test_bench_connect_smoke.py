"""The connect benchmark's harness, run tiny: it starts and stops its Redis and hub, connects and
closes every client, and counts the hub's Redis commands. No timing is asserted; the count is: a
connect (``hello`` and two ``subscribe``s) costs at most 5 round trips since issue 11 (10 before),
and a change that adds one back should be seen (the hub's heartbeat and new pool connections add a
few tenths here). Fewer when connects come together: subscribes of one channel from one position
share their recovery and status reads until these are sent (``engine.flight.Unsent``; 3.5 scripts a
connect at 20 connects at once, 2026-12-04), so only the bound above is asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_connect_bench_runs_and_counts_round_trips() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "loadtest.bench_connect", "--connections", "20", "--rounds", "1",
         "--monitor-connections", "20", "--idle", "0.2", "--max-seconds", "60"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    m = re.search(r"Redis commands per connect \(20 watched[^)]*\): ([0-9.]+) (.*)", out.stdout)
    assert m is not None, out.stdout
    # a fresh hub's first connects also open pool connections (HELLO, a script's first EVALSHA
    # answered NOSCRIPT): a few tenths more at 20 connects, never a whole round trip each
    scripts = re.search(r"evalsha ([0-9.]+)", m.group(2))
    assert scripts is not None and 0 < float(scripts.group(1)) < 5.5, m.group(0)
    assert float(m.group(1)) < 6.5, m.group(0)
