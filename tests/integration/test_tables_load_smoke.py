"""``python -m loadtest.scenarios tables`` on a tiny room (issue 15): two hub processes on one Redis,
the tables chatting and posting cards, the theme console and the hosts' overview following, then
every connection dropped at once and back from its offsets. Correctness is asserted (every message
and card stored once at its table and delivered to every member once, none to another table, the
console got every card, everyone back and recovered, no error); timing is not (a few tables on a
shared machine mean nothing: the figures are docs/performance.md's)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CORRECTNESS = (
    "every step done",
    "connected",
    "every message and card stored once at its table",
    "every message and card to every member of its table once",
    "the theme console got every card",
    "everyone back",
    "every client caught up",
    "every resubscribe recovered",
    "errors",
)


def test_the_tables_scenario_runs_on_two_hubs_through_the_storm(tmp_path: Path) -> None:
    argv = [
        sys.executable, "-m", "loadtest.scenarios", "tables",
        "--panelists", "48", "--tables", "6", "--workers", "2", "--steps", "2",
        "--step-seconds", "2.5", "--storm-at", "1", "--message-every", "0.5", "--catch-up", "2",
        "--progress", "2", "--max-seconds", "60", "--out", str(tmp_path),
    ]  # fmt: skip
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=90)
    out = proc.stdout + proc.stderr
    [folder] = list(tmp_path.iterdir())
    assert folder.name.startswith("tables-"), out
    assert {"report.md", "connections.png", "latency.png", "resources.png"} <= {
        f.name for f in folder.iterdir()
    }, out
    report = (folder / "report.md").read_text()
    for check in CORRECTNESS:
        row = next(line for line in report.splitlines() if line.startswith(f"| {check} |"))
        assert row.endswith("| met |"), row + "\n" + out
    summary = proc.stdout.strip().splitlines()[-1]
    assert summary.startswith("tables: 56/56 connected"), out  # 48 panelists, 6 facilitators, 2 staff
    assert "on 2 hub(s): 6 of 6 tables have followers on more than one hub" in report, out
    assert "all 56 dropped at once" in report and "56 of 56 back" in report, out
    assert "errors 0, lost 0, doubled 0" in summary, out
