"""`make test` provisions its browser: find Chromium, install it as root with apt-get, else stop at
once with the one command to run (tools/chromium.py). The real Chromium stays installed: these tests
point the search elsewhere and run the script as a user who may not install."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

from tools.chromium import INSTALL_COMMAND, Action, ChromiumError, decide, find_chromium

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "chromium.py"
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/usr/local/bin") or "python3"


def _exe(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.mark.parametrize(
    ("found", "is_root", "has_apt", "action"),
    [
        ("/usr/bin/chromium", False, False, Action.USE),
        ("/usr/bin/chromium", True, True, Action.USE),
        (None, True, True, Action.INSTALL),
        (None, True, False, Action.STOP),
        (None, False, True, Action.STOP),
        (None, False, False, Action.STOP),
    ],
)
def test_decide_installs_only_as_root_with_apt(
    found: str | None, is_root: bool, has_apt: bool, action: Action
) -> None:
    assert decide(found, is_root, has_apt) is action


def test_find_takes_the_first_executable_candidate(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.write_text("not executable")
    exe = _exe(tmp_path / "chromium")
    assert find_chromium({}, [str(tmp_path / "absent"), str(plain), str(exe)]) == str(exe)
    assert find_chromium({}, [str(tmp_path / "absent"), str(plain)]) is None


def test_find_honours_chromium_and_refuses_a_wrong_one(tmp_path: Path) -> None:
    exe = _exe(tmp_path / "my-chromium")
    assert find_chromium({"CHROMIUM": str(exe)}, []) == str(exe)
    with pytest.raises(ChromiumError, match="CHROMIUM="):
        find_chromium({"CHROMIUM": str(tmp_path / "nope")}, [str(exe)])


def _as_user(cmd: list[str]) -> list[str]:
    """Run as nobody when we are root: the path a new user takes (they may not install)."""
    if os.geteuid() != 0:
        return cmd
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CHROMIUM"}
    return {**env, "HOME": "/tmp", **extra}


def test_without_a_browser_a_user_gets_the_one_command_at_once(tmp_path: Path) -> None:
    started = time.monotonic()
    out = subprocess.run(
        _as_user([SYSTEM_PYTHON, str(SCRIPT), "--candidates", str(tmp_path / "no-chromium")]),
        capture_output=True,
        text=True,
        env=_env(),
        timeout=30,
    )
    assert out.returncode == 1
    assert INSTALL_COMMAND in out.stderr and out.stdout == ""
    assert time.monotonic() - started < 10  # no apt-get, no waiting: it stops at once


def test_root_without_apt_get_stops_too(tmp_path: Path) -> None:
    out = subprocess.run(
        [SYSTEM_PYTHON, str(SCRIPT), "--candidates", str(tmp_path / "no-chromium")],
        capture_output=True,
        text=True,
        env=_env(PATH=str(tmp_path)),  # no apt-get on this PATH
        timeout=30,
    )
    assert out.returncode == 1 and INSTALL_COMMAND in out.stderr


def test_make_browser_prints_the_browser_it_found() -> None:
    exe = find_chromium()
    if exe is None:
        pytest.fail("Chromium is not installed: " + INSTALL_COMMAND, pytrace=False)
    out = subprocess.run(
        ["make", "-s", "browser"], cwd=ROOT, capture_output=True, text=True, env=_env(), timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == exe


def test_make_browser_stops_on_a_wrong_chromium(tmp_path: Path) -> None:
    out = subprocess.run(
        ["make", "-s", "browser"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_env(CHROMIUM=str(tmp_path / "nope")),
        timeout=60,
    )
    assert out.returncode != 0 and "CHROMIUM=" in out.stderr


def test_make_test_provisions_the_browser_and_ci_only_calls_make_test() -> None:
    dry = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "tools/chromium.py" in dry.stdout
    run = (ROOT / ".ci" / "run").read_text()
    commands = [ln for ln in run.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert commands[-1].strip() == "make test" and "apt-get" not in run
