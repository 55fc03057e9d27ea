"""``loadtest.faults --fault kill-hub`` (``make failover``) run tiny, so that the tool cannot rot: it starts its own topology (Redis,
three hubs, HAProxy), kills a hub during the casts, checks every ballot and every client, and stops
everything it started. No timing is asserted (the figures of a 30-panelist run mean nothing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.integration.test_cluster import free_ports, programs
from tests.support import ROOT, env_without_pytest


def test_failover_runs_small_and_leaves_nothing_running(tmp_path: Path) -> None:
    haproxy, redis_server = programs()
    out = tmp_path / "failover.json"
    folder = tmp_path / "topology"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "loadtest.faults",
            "--fault",
            "kill-hub",
            "--haproxy",
            haproxy,
            "--redis-server",
            redis_server,
            "--panelists",
            "30",
            "--cast-window",
            "3",
            "--kill-after",
            "1",
            "--settle",
            "10",
            "--catch-up",
            "5",
            "--port",
            str(free_ports(4)),
            "--redis-port",
            str(free_ports(1)),
            "--dir",
            str(folder),
            "--max-seconds",
            "60",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=env_without_pytest(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["acked"] == figures["stored"] == 30
    assert figures["stored_twice"] == 0 and figures["tracking_codes_match"]
    assert figures["dropped_clients"] == max(figures["per_hub_before_fault"].values())
    assert figures["recovered_exactly"] == figures["dropped_clients"]
    assert figures["events_lost"] == 0 and figures["behind_at_end"] == 0
    assert not list(folder.glob("*.pid")), "the topology was not stopped"
