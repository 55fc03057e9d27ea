"""``loadtest.tables_load`` on a tiny room (issue 15): it runs end to end (its own Redis and hub),
every card and message is accepted and delivered, and it reports lag and hub CPU."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_tables_load_runs_on_a_tiny_room(tmp_path: Path) -> None:
    out = tmp_path / "tables.json"
    args = [
        "--panelists",
        "40",
        "--tables",
        "4",
        "--steps",
        "1",
        "--step-seconds",
        "3",
        "--message-every",
        "1",
    ]
    subprocess.run(
        [sys.executable, "-m", "loadtest.tables_load", *args, "--json", str(out)],
        cwd=ROOT,
        check=True,
        timeout=120,
        capture_output=True,
    )
    got = json.loads(out.read_text())
    assert got["errors"] == {} and got["sent"]["table.card"] == 4 * 3
    lags = got["lag_ms"]
    assert lags["table.card @theme"]["n"] == 12 and lags["table.card @member"]["n"] == 12 * 10
    assert lags["table.message @member"]["n"] == got["sent"]["table.say"] * 10
    assert got["hub_cpu_s"] > 0
