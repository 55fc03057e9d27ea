"""``make fuzz``'s command in a few seconds (small counts), so that the tool cannot rot: both
decoder engines (the plain driver and libFuzzer) and the command layer against its own hub and
Redis, each ending by itself with its summary line and exit status 0."""

from __future__ import annotations

import subprocess
import sys

from tests.support import ROOT, env_without_pytest


def test_make_fuzz_runs_every_layer_and_ends_by_itself() -> None:
    cmd = [
        sys.executable,
        "-m",
        "tests.fuzz",
        "all",
        "--decoder-inputs",
        "2000",
        "--libfuzzer-inputs",
        "2000",
        "--commands-inputs",
        "300",
        "--decoder-seconds",
        "60",
        "--commands-seconds",
        "60",
    ]
    done = subprocess.run(
        cmd, cwd=ROOT, env=env_without_pytest(), capture_output=True, text=True, timeout=180
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    assert "decoder: done, 2,000 inputs" in out
    assert "Done 2000 runs" in out  # libFuzzer's own last line
    assert "commands: done" in out and "0 findings, 0 tracebacks" in out
