"""``loadtest.bench_cast``'s store level alone, run tiny with its A/B switches (``--batched-only``,
``--in-flight``, ``--store-profile``): they must keep working, and the script's time per cast must be
read from Redis. No timing is asserted (the figures of a 600-cast run mean nothing)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from loadtest import bench_cast
from tests.support import ROOT, env_without_pytest


@pytest.mark.parametrize("in_flight", [1, 2])
def test_the_batched_store_level_alone_stores_every_cast_and_reads_the_script_time(
    tmp_path: Path, in_flight: int
) -> None:
    out, profile = tmp_path / "store.json", tmp_path / "client"
    argv = [
        sys.executable, "-m", "loadtest.bench_cast", "--no-hub", "--no-docs", "--batched-only",
        "--in-flight", str(in_flight), "--repeats", "1", "--store-casts", "600", "--concurrency", "300",
        "--max-others", "1", "--json", str(out), "--max-seconds", "60",
    ]  # fmt: skip
    spy = shutil.which("py-spy") or Path(sys.executable).with_name("py-spy")
    if in_flight == 2 and Path(spy).exists():
        argv += ["--store-profile", str(profile)]
    proc = subprocess.run(
        argv, cwd=ROOT, env=env_without_pytest(), capture_output=True, text=True, timeout=90
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data["ok"] and data["meta"]["in_flight"] == in_flight
    (run,) = data["store"]
    assert run["variant"] == bench_cast.VARIANTS[0]
    assert run["stored"] == run["voted"] == run["casts"] == 600
    assert run["lua_us"] > 0  # INFO commandstats was read
    assert f"in_flight {in_flight}" in proc.stdout
    if "--store-profile" in argv:
        # py-spy wrote its file of collapsed stacks of this process (on the SIGINT the bench sends).
        # Whether a run of well under a second gives it any sample is chance: py-spy drops idle
        # samples, and on CI's busy machine it once attached late and wrote none. So the file must
        # exist (the wiring), and every line it has must be a stack with its count (the form).
        stacks = profile.with_suffix(".0.txt").read_text().splitlines()
        assert all(line.rsplit(" ", 1)[1].isdigit() for line in stacks if line)
