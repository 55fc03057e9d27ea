"""``loadtest.bench_voice`` run tiny (steps of 0, 1 and 3 listeners, a second each, two generator
processes, both variants; at 3, a light listener beside the two decoding ones): the ramp, the
generators and the report must keep working. No timing is asserted (a second's figures on a shared
machine mean nothing); the figures are docs/performance.md's, from full runs."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from loadtest.bench_voice import ANSWER_LIMIT, Generator
from tests.support import ROOT, env_without_pytest


def bench_voice(tmp_path: Path, *args: str, timeout: float) -> dict[str, Any]:
    """``python -m loadtest.bench_voice ARGS --json F`` run to its end: it must exit 0, and what
    it wrote to F is returned."""
    out = tmp_path / "voice.json"
    argv = [sys.executable, "-m", "loadtest.bench_voice", *args, "--json", str(out)]
    proc = subprocess.run(
        argv, cwd=ROOT, env=env_without_pytest(), capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def test_the_voice_ramp_runs_both_variants_and_reports_its_ceiling(tmp_path: Path) -> None:
    data = bench_voice(
        tmp_path, "--steps", "0,1,3", "--seconds", "1", "--generators", "2", "--max-seconds", "50", timeout=80
    )
    assert [r["variant"] for r in data["ramps"]] == ["once", "per-listener"]
    assert data["seconds"] < 60
    for ramp in data["ramps"]:
        rows = ramp["steps"]
        assert rows and rows[0]["listeners"] == 0 and rows[0]["hub_core"] > 0
        heard = [r for r in rows if r["listeners"]]
        assert heard, ramp  # at least one step with listeners fitted in the time
        # audio reached the listeners (how much of it, in a 1 s step on a loaded machine, is chance:
        # 0.27 was seen on CI; the rates are the bench's figures, not this smoke's)
        assert all(r["delivery"] > 0 for r in heard)
        assert "stopped_by" in ramp and "hub_core_per_listener" in ramp
        assert ramp["ceiling"] is None or ramp["ceiling"] in (0, 1, 3)
        for r in heard:  # --listener light: one listener per generator decodes, the others count packets
            assert r["decoding"] == min(r["listeners"], 2) and r["bursts"] > 0


def test_a_generator_that_fails_ends_the_ramp_cleanly_on_the_listeners_side(tmp_path: Path) -> None:
    """The first generator told to fail beyond one listener (``--fail-generator-after 1``): the
    step of 2 is a failed step on the listeners' side, the ramp ends there, the report and the JSON
    are still written and the run exits cleanly (it crashed on a generator's TimeoutError before).
    The step of 1 must not end the ramp first: on a loaded machine its delivery was 0.72 (under
    the 0.95 limit, make test with three workers), so the limits are loose here; the limits'
    own crossings are the ramp test's above."""
    data = bench_voice(
        tmp_path, "--variants", "once", "--steps", "0,1,2,4", "--seconds", "1", "--generators", "1",
        "--fail-generator-after", "1", "--min-delivery", "0.05", "--max-p99-ms", "10000",
        "--max-seconds", "40", timeout=70,
    )  # fmt: skip
    (ramp,) = data["ramps"]
    rows = ramp["steps"]
    assert [r["listeners"] for r in rows] == [0, 1, 2]
    assert "failed" in rows[-1] and rows[-1]["listeners_side"] and rows[-1]["crossed"]
    assert "generator failed at 2" in ramp["stopped_by"]
    assert ramp["ceiling"] == 1 and ramp["listeners_side_crossings"][-1] == 2
    assert ramp["hub_core_speaker"] is not None


def test_with_video_every_listener_receives_the_speakers_camera(tmp_path: Path) -> None:
    """``--video``: the speaker also sends a generated picture, the listeners (a decoding one and a
    light one in the one generator) receive it; each step says the frames a listener got a second."""
    data = bench_voice(
        tmp_path, "--variants", "once", "--steps", "0,2", "--seconds", "1", "--generators", "1",
        "--video", "160x120", "--max-seconds", "30", timeout=60,
    )  # fmt: skip
    assert data["video"] == "160x120"
    rows = data["ramps"][0]["steps"]
    assert [r["listeners"] for r in rows] == [0, 2]
    # frames and audio arrived (30 frames sent a second; the rates in a 1 s step on a loaded machine
    # are chance: audio delivery 0.27 was seen on CI)
    assert rows[0]["video_fps"] is None and rows[1]["video_fps"] > 0
    assert rows[1]["delivery"] > 0 and rows[1]["decoding"] == 1


ECHO = "import sys; sys.stdin.readline(); print({!r}); sys.stdout.flush(); sys.stdin.readline()"


async def _answer_of(line: str) -> dict[str, object]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", ECHO.format(line), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        limit=ANSWER_LIMIT,
    )  # fmt: skip
    gen = Generator(proc)
    try:
        return await gen.ask({"op": "mark"}, timeout=20)
    finally:
        await gen.stop()


def test_a_generators_long_answer_is_read_and_a_bad_one_is_its_failure() -> None:
    """A mark's answer from a hundred listeners measured 25 s is one line over asyncio's 64 KiB:
    it crashed the orchestrator with a ValueError; now it is read whole, and an answer that is not
    JSON is the generator's failure (a RuntimeError, which ends the ramp cleanly)."""
    heard = [[1.5e9 + i / 7 for i in range(50)] for _ in range(100)]
    out = asyncio.run(_answer_of(json.dumps({"frames": [1] * 100, "heard": heard})))
    assert out["heard"] == heard
    with pytest.raises(RuntimeError, match="answer"):
        asyncio.run(_answer_of("not json"))
