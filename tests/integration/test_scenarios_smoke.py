"""The load scenarios run tiny, end to end: a real hub, Redis and swarm processes, so that the tools
cannot rot. The timing targets are not asserted (30 panelists on a shared machine mean nothing);
correctness is: every cast acknowledged and stored once, no error, no event lost or doubled, and
the report written."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

from loadtest.swarm import Second, ms_bucket, percentile

ROOT = Path(__file__).resolve().parents[2]


def test_histogram_buckets_and_percentiles() -> None:
    hist: Counter[int] = Counter(ms_bucket(ms) for ms in [0.4, 1.2, 2.7, 3.0, 999.9, 1234.5, -3])
    assert hist == Counter({0: 2, 1: 1, 2: 1, 3: 1, 999: 1, 1230: 1})
    assert percentile(hist, 50) == 2 and percentile(hist, 100) == 1230
    merged = Second(1, lag=Counter({5: 99}))
    merged.merge(Second(1, lag=Counter({700: 1}), errors=Counter({"gap": 1})))
    assert percentile(merged.lag, 99) == 5 and percentile(merged.lag, 100) == 700
    assert merged.errors == {"gap": 1}


def test_plenary_burst_runs_end_to_end_and_writes_its_report(tmp_path: Path) -> None:
    argv = [
        sys.executable, "-m", "loadtest.scenarios", "plenary-burst",
        "--panelists", "30", "--workers", "2", "--seconds", "4", "--open-after", "1",
        "--cast-window", "1", "--chat-rate", "5", "--upvote-rate", "5", "--questions", "3",
        "--progress", "2", "--max-seconds", "60", "--out", str(tmp_path),
    ]  # fmt: skip
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=90)
    out = proc.stdout + proc.stderr
    [folder] = list(tmp_path.iterdir())
    assert folder.name.startswith("plenary-burst-")
    assert {"report.md", "connections.png", "latency.png", "resources.png"} <= {
        f.name for f in folder.iterdir()
    }
    report = (folder / "report.md").read_text()
    summary = proc.stdout.strip().splitlines()[-1]
    assert summary.startswith("plenary-burst: 30/30 connected, 30/30 casts acked"), out
    for check in (
        "every step done",
        "connected",
        "every cast acknowledged",
        "every acknowledged cast stored once",
        "errors",
        "lost or doubled events",
        "turnout reached everyone",
        "everyone received the result",
    ):
        row = next(line for line in report.splitlines() if line.startswith(f"| {check} |"))
        assert row.endswith("| met |"), row + "\n" + out
    assert "errors 0, lost 0, doubled 0" in summary
