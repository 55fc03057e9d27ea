"""``loadtest.faults`` run small, one test per fault, so that each fault stays true and the tool
cannot rot: the tool starts its own topology (Redis with AOF ``always``, three hubs, HAProxy), does
the fault during chat and casting, and fails unless every acknowledged ballot and chat message is
kept once and every client is caught up; these tests also check the fault's own figures. No
latency is asserted (a 30-panelist run's figures mean nothing); docs/reliability.md has the
figures at 1,000-3,000 panelists. ``hub-cut`` and ``slow-link`` need root (a packet filter, a
network namespace), as CI has."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from loadtest.faults import SlowLink
from tests.integration.test_cluster import free_ports, programs
from tests.support import ROOT, env_without_pytest
from tools.system_packages import find_program, install_command

AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="a packet filter and network namespaces need root")


def run_fault(tmp_path: Path, fault: str, *more: str, ports: int | None = None) -> dict[str, Any]:
    """Run one fault of ``loadtest.faults`` on a topology of its own; its figures. ``ports``: the
    base of the five ports it takes (HAProxy, three hubs, then Redis), from one ``free_ports`` call
    so that no two of them can be the same port (two calls could: each port is free again once
    checked, and Redis then took HAProxy's)."""
    haproxy, redis_server = programs()
    base = free_ports(5) if ports is None else ports
    found = {n: find_program(n) for n in ("iptables", "ip", "tc")}
    missing = [n for n, path in found.items() if path is None]
    if missing:
        pytest.fail(f"{missing} not installed: `make packages`, or {' '.join(install_command(missing))}")
    out = tmp_path / "figures.json"
    folder = tmp_path / "topology"
    argv = [
        *("--fault", fault, "--haproxy", haproxy, "--redis-server", redis_server),
        *("--panelists", "30", "--cast-window", "3", "--fault-after", "1"),
        *("--settle", "15", "--catch-up", "5", "--max-seconds", "60"),
        *("--port", str(base), "--redis-port", str(base + 4)),
        *("--dir", str(folder), "--out", str(out), *more),
        *(arg for name, path in found.items() for arg in (f"--{name}", str(path))),
    ]
    done = subprocess.run(
        [sys.executable, "-m", "loadtest.faults", *argv],
        cwd=ROOT,
        env=env_without_pytest(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert not list(folder.glob("*.pid")), "the topology was not stopped"
    figures: dict[str, Any] = json.loads(out.read_text())
    assert figures["acked"] == figures["stored"] == 30 and figures["tracking_codes_match"]
    assert figures["stored_twice"] == 0
    assert figures["chat_acked"] > 0 and figures["chat_acked_missing_from_redis"] == 0
    assert figures["events_lost"] == 0 and figures["behind_at_end"] == 0
    return figures


def test_a_hub_killed_behind_haproxy_loses_nothing(tmp_path: Path) -> None:
    """``make failover``: kill -9 the busiest hub during the casts; its clients come back through
    HAProxy on the others with exactly what they missed."""
    figures = run_fault(tmp_path, "kill-hub")
    assert figures["dropped_clients"] == max(figures["per_hub_before_fault"].values())
    assert figures["recovered_exactly"] == figures["dropped_clients"]


@pytest.mark.parametrize("fault", ["redis-term", "redis-kill"])
def test_redis_restarted_from_its_aof_loses_nothing_acknowledged(tmp_path: Path, fault: str) -> None:
    figures = run_fault(tmp_path, fault, "--down", "1.5")
    assert figures["signal"] == {"redis-term": "SIGTERM", "redis-kill": "SIGKILL"}[fault]
    assert all(s is not None for s in figures["hubs_ready_after_start_s"].values())  # they came back
    assert figures["epochs_seen"] == 1  # the AOF kept the channel's epoch: clients recovered


@AS_ROOT
def test_a_hub_cut_from_redis_is_taken_out_and_rejoins(tmp_path: Path) -> None:
    base = free_ports(5)
    redis_port = base + 4
    figures = run_fault(tmp_path, "hub-cut", "--cut", "5", ports=base)
    assert figures["connections_cut"] > 0
    assert figures["not_ready_after_s"] is not None and figures["haproxy_down_after_s"] is not None
    assert figures["accepted_while_marked_down"] == 0
    assert figures["ready_after_uncut_s"] is not None and figures["haproxy_up_after_uncut_s"] is not None
    rules = subprocess.run(["iptables", "-S", "OUTPUT"], capture_output=True, text=True, timeout=10).stdout
    # Its own rule only (named after its Redis port): other tests may cut hubs meanwhile (pytest-xdist).
    assert f"plenary-fault-{redis_port}" not in rules, "a packet-filter rule was left behind"


@AS_ROOT
def test_a_tenth_of_the_clients_on_a_throttled_lossy_link_lose_nothing(tmp_path: Path) -> None:
    port = free_ports(5)
    figures = run_fault(
        tmp_path, "slow-link", "--impair", "4", "--slow-kbit", "4", "--slow-loss", "0.05", ports=port
    )
    assert figures["slow_clients"] == 3
    assert (
        figures["chat_delay_ms_others_before"]["n"] > 0 and figures["chat_delay_ms_others_impaired"]["n"] > 0
    )
    assert figures["chat_delay_ms_slow_impaired"]["n"] > 0  # the slow ones were still served
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10).stdout
    assert SlowLink(port).netns not in namespaces.split(), "the namespace was left behind"


def test_a_cluster_master_killed_during_casting_loses_no_acknowledged_ballot(tmp_path: Path) -> None:
    """``make faults FAULT=cluster-master-kill REDIS=cluster``: the vote's master gets SIGKILL
    during the casts; its replica takes over, the dead node comes back as its replica, and every
    acknowledged ballot is there (a cast is acknowledged only once a replica has it: ``WAIT 1``)."""
    figures = run_fault(tmp_path, "cluster-master-kill", "--redis", "cluster", "--down", "1")
    assert figures["failover_s"] is not None and figures["new_master"] != figures["killed_master"]
    assert figures["replica_linked_after_restart_s"] is not None
    assert figures["cast_ack_ms_after_fault"]["n"] > 0  # casts were still coming when it died
    # A master down for every hub is a failover, not a hub's loss (engine.reach): the hubs stay in.
    readiness = figures["hubs_readiness_from_the_kill"]
    assert readiness["samples"] > 0
    # No hub said 503 (a sample the loaded machine left unanswered within 2 s is not one).
    said_503 = [
        r for i in (1, 2, 3) for r in readiness[f"hub-{i}"]["reasons"] if not r.startswith("no answer")
    ]
    assert not said_503, readiness
    assert figures["haproxy_marked_down"] == []
    pids = [p.read_text().strip() for p in (tmp_path / "topology").glob("redis-cluster/node-*/redis.pid")]
    assert not [p for p in pids if Path(f"/proc/{p}").exists()], "a Redis Cluster node was left running"
