"""``make cluster``'s pieces without starting them: HAProxy's config (checked by HAProxy itself),
Redis' durability settings, and the pid files that name one process and not a reusable number."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
from pathlib import Path

import pytest

from cli import cluster
from tools.system_packages import find_program, install_command


def topology(tmp_path: Path, hubs: int = 3) -> cluster.Topology:
    haproxy = find_program("haproxy")
    if haproxy is None:
        pytest.fail(f"HAProxy not installed: `make packages`, or {' '.join(install_command(['haproxy']))}")
    return cluster.Topology(
        directory=tmp_path, haproxy=haproxy, redis_server="redis-server", port=9100, hubs=hubs
    )


@pytest.mark.parametrize("hubs", [1, 3, 5])
def test_haproxy_accepts_the_config_with_every_hub_checked_on_readyz(tmp_path: Path, hubs: int) -> None:
    top = topology(tmp_path, hubs)
    text = cluster.haproxy_config(top)
    path = tmp_path / "haproxy.cfg"
    path.write_text(text)
    checked = subprocess.run([top.haproxy, "-c", "-f", str(path)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert re.search(r"^\s*bind 127\.0\.0\.1:9100$", text, re.M)
    servers = re.findall(r"^\s*server hub-(\d+) 127\.0\.0\.1:(\d+)$", text, re.M)
    assert servers == [(str(i), str(9100 + i)) for i in range(1, hubs + 1)]
    assert re.search(r"^\s*default-server check inter 1s fall 2 rise 2$", text, re.M)
    assert "http-check send meth GET uri /readyz" in text and "http-check expect status 200" in text
    assert re.search(r"^\s*timeout tunnel 1h$", text, re.M), "WebSockets live long"
    assert re.search(r"^\s*timeout check 3s$", text, re.M), "a busy hub is not a dead one"
    directives = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    sticky = [ln.strip() for ln in directives if "stick" in ln]
    assert "balance leastconn" in text
    assert all("x-plenary-session" in ln or ln.startswith("stick-table") for ln in sticky), sticky
    assert "stick match req.hdr(x-plenary-session)" in sticky, (
        "the HTTP fallback's commands reach its stream's hub"
    )
    assert "http-request return status 404 if { path /metrics }" in text
    assert "%HPO" in text and "%r" not in text and "%HU" not in text, "paths only: no query in the log"


def test_a_fault_s_private_link_is_one_more_bind_of_the_same_frontend(tmp_path: Path) -> None:
    """``make faults FAULT=slow-link``: HAProxy also listens on the host end of the slow link's veth
    pair, as a second ``bind`` of the one frontend (``haproxy -c`` checks it without binding)."""
    top = dataclasses.replace(topology(tmp_path), more_binds=("10.237.100.1:9100",))
    text = cluster.haproxy_config(top)
    binds = re.findall(r"^\s*bind (\S+)$", text, re.M)
    assert binds == ["127.0.0.1:9100", "10.237.100.1:9100"]
    path = tmp_path / "haproxy.cfg"
    path.write_text(text)
    checked = subprocess.run([top.haproxy, "-c", "-f", str(path)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_redis_runs_as_production_does(tmp_path: Path) -> None:
    lines = set(cluster.redis_config(topology(tmp_path)).splitlines())
    assert {"appendonly yes", "appendfsync always", 'save ""', "maxmemory-policy noeviction"} <= lines
    assert {"bind 127.0.0.1", "port 6390", "protected-mode yes", "daemonize no"} <= lines
    assert f'dir "{(tmp_path / "redis").resolve()}"' in lines


def test_a_pid_file_names_one_process_not_a_number(tmp_path: Path) -> None:
    me = os.getpid()
    stat = Path(f"/proc/{me}/stat").read_text()
    ticks = int(stat[stat.rindex(")") + 2 :].split()[19])
    assert cluster.alive(cluster.Started("hub-1", me, ticks))
    assert not cluster.alive(cluster.Started("hub-1", me, ticks + 1)), "the pid, reused by another process"
    assert not cluster.alive(cluster.Started("hub-1", 2**22 + 1, ticks))
    for name in ("redis", "hub-2", "haproxy", "hub-1"):
        (tmp_path / f"{name}.pid").write_text(f"{me} {ticks}\n")
    assert [p.name for p in cluster.recorded(tmp_path)] == ["haproxy", "hub-1", "hub-2", "redis"]


def test_stop_without_a_topology_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cluster.main(["stop", "--dir", str(tmp_path / "none")]) == 0
    assert "nothing was running" in capsys.readouterr().out
