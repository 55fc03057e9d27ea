"""``make cluster`` and ``make test`` provision HAProxy and Redis 7 from Debian's packages
(tools/system_packages.py): found, installed as root with apt-get, else the one command to run at
once. The real programs stay installed: these tests look under another root and run the script as
a user who may not install."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

from tools.system_packages import PROGRAMS, ProgramError, find_program, install_command

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "system_packages.py"
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/usr/local/bin") or "python3"


def _exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("HAPROXY", "REDIS_SERVER", "IPTABLES", "IP", "TC")
    }
    return {**env, "HOME": "/tmp", **extra}


def test_find_looks_where_debian_puts_each_program(tmp_path: Path) -> None:
    assert find_program("haproxy", {}, root=str(tmp_path)) is None
    exe = _exe(tmp_path / "usr/sbin/haproxy")
    assert find_program("haproxy", {}, root=str(tmp_path)) == str(exe)
    (tmp_path / "usr/bin").mkdir(parents=True, exist_ok=True)
    (tmp_path / "usr/bin/redis-server").write_text("not executable")
    assert find_program("redis-server", {}, root=str(tmp_path)) is None


def test_find_honours_the_variable_and_refuses_a_wrong_one(tmp_path: Path) -> None:
    exe = _exe(tmp_path / "my-redis")
    assert find_program("redis-server", {"REDIS_SERVER": str(exe)}, root=str(tmp_path)) == str(exe)
    with pytest.raises(ProgramError, match="HAPROXY="):
        find_program("haproxy", {"HAPROXY": str(tmp_path / "nope")})


def test_the_install_command_names_each_package_once() -> None:
    assert install_command(["haproxy", "redis-server"]) == [
        "apt-get",
        "install",
        "-y",
        "--no-install-recommends",
        "haproxy",
        "redis-server",
    ]
    assert install_command(["ip", "tc", "iptables"])[4:] == ["iproute2", "iptables"]
    assert set(PROGRAMS) == {"haproxy", "redis-server", "iptables", "ip", "tc", "nginx", "turnserver"}
    assert install_command(["turnserver"])[4:] == ["coturn"]
    assert install_command(["nginx"])[4:] == ["nginx-light"]


def test_without_the_programs_a_user_gets_the_one_command_at_once(tmp_path: Path) -> None:
    started = time.monotonic()
    cmd = [SYSTEM_PYTHON, str(SCRIPT), "haproxy", "redis-server", "--root", str(tmp_path)]
    if os.geteuid() == 0:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=30)
    assert out.returncode == 1 and out.stdout == ""
    assert "apt-get install -y --no-install-recommends haproxy redis-server" in out.stderr
    assert time.monotonic() - started < 10  # no apt-get, no waiting


def test_make_packages_finds_the_installed_programs() -> None:
    missing = [n for n in PROGRAMS if find_program(n) is None]
    if missing:
        pytest.fail(f"not installed: sudo {' '.join(install_command(missing))}", pytrace=False)
    out = subprocess.run(
        [SYSTEM_PYTHON, str(SCRIPT), "haproxy", "redis-server"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [find_program("haproxy"), find_program("redis-server")]
    dry = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "tools/system_packages.py haproxy redis-server" in dry.stdout
