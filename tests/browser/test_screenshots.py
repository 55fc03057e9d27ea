"""``make screenshots`` in small: the script starts its own demo hub, photographs one page at one
size into a temporary folder, writes a real PNG and stops everything it started."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import ROOT, chromium_path

pytestmark = pytest.mark.browser


def test_the_screenshot_script_writes_one_page_at_one_size(tmp_path: Path) -> None:
    chromium_path()  # fails with the install command when Chromium is missing
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.browser.screenshots",
            "--only",
            "results",
            "--sizes",
            "390",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    shots = sorted(p.name for p in tmp_path.iterdir())
    assert shots == ["results-390.png"], shots
    data = (tmp_path / "results-390.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (390, 844)  # the viewport, not the full page
