"""Which redis-server the cluster tests take (tools/redis_server.py): Redis 7 with its cli, where
tools/system_packages.py says it is. These tests use fake servers (shell scripts that print a
version) and leave the real one alone."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tools.redis_server import CANDIDATES, INSTALL_COMMAND, RedisError, find_redis, usable, version
from tools.system_packages import PROGRAMS


def fake(folder: Path, reported: str, cli: bool = True) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    server = folder / "redis-server"
    server.write_text(f"#!/bin/sh\necho 'Redis server v={reported} sha=0 malloc=libc bits=64'\n")
    server.chmod(server.stat().st_mode | stat.S_IXUSR)
    if cli:
        tool = folder / "redis-cli"
        tool.write_text("#!/bin/sh\n")
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return str(server)


def test_only_redis_7_with_its_cli_will_do(tmp_path: Path) -> None:
    assert version(fake(tmp_path / "a", "7.0.15")) == (7, 0, 15)
    assert usable(fake(tmp_path / "b", "7.2.4"))
    assert not usable(fake(tmp_path / "c", "6.2.14"))  # no sharded pub/sub
    assert not usable(fake(tmp_path / "d", "7.0.15", cli=False))
    assert not usable(str(tmp_path / "absent"))


def test_find_takes_the_first_usable_candidate(tmp_path: Path) -> None:
    old, new = fake(tmp_path / "old", "6.0.0"), fake(tmp_path / "new", "7.0.0")
    assert find_redis({}, [str(tmp_path / "none"), old, new]) == new
    assert find_redis({}, [old]) is None


def test_a_wrong_redis_server_setting_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    good = fake(tmp_path / "good", "7.0.0")
    assert find_redis({"REDIS_SERVER": good}, []) == good
    with pytest.raises(RedisError):
        find_redis({"REDIS_SERVER": fake(tmp_path / "old", "6.2.0")}, [good])


def test_the_install_command_is_debian_s_package() -> None:
    assert INSTALL_COMMAND == "sudo apt-get install -y --no-install-recommends redis-server"
    assert PROGRAMS["redis-server"].candidates == CANDIDATES  # one table of where it is
