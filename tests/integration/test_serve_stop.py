"""``plenary serve`` stops when told, in a bounded time: at once with Redis well; when Redis hangs,
after its clean-up's budget (``realtime.app.STOP_CLEANUP``: a warning naming what it waited on,
then the usual exit), or by its stop deadline (``--stop-timeout``, status 1, said in the log) when
that comes first. Real processes: a hub, its own embedded Redis frozen with SIGSTOP."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from engine.server import ensure_server
from realtime.app import STOP_CLEANUP
from tests.support import HubProcess, connect, redis_client, seed


def stop_and_time(hub: HubProcess) -> tuple[float, int]:
    started = time.monotonic()
    hub.proc.send_signal(signal.SIGTERM)
    try:
        code = hub.proc.wait(30)
    except subprocess.TimeoutExpired:
        hub.kill()
        raise AssertionError("the hub did not exit within 30 s of SIGTERM") from None
    return time.monotonic() - started, code


async def test_a_hub_stops_at_once_and_within_its_deadline_when_redis_hangs(tmp_path: Path) -> None:
    embedded = ensure_server(tmp_path / "redis")
    pid = embedded.pid()
    assert pid is not None
    try:
        redis = redis_client(embedded.url)
        tokens = await seed(redis)
        await redis.aclose()

        well = HubProcess(embedded.url, "--stop-timeout", "2").wait_ready()
        async with connect(well.ws_url, tokens["p1"]):
            took, code = stop_and_time(well)
        well.stop()
        assert code == -signal.SIGTERM, well.output()  # uvicorn's own exit: re-raises the signal
        assert took < 2.0, f"{took:.1f} s with Redis well"

        stuck = HubProcess(embedded.url, "--stop-timeout", "2").wait_ready()
        async with connect(stuck.ws_url, tokens["p2"]):
            os.kill(pid, signal.SIGSTOP)
            try:
                took, code = stop_and_time(stuck)
            finally:
                os.kill(pid, signal.SIGCONT)
        stuck.stop()
        assert code == 1, stuck.output()
        assert 2.0 <= took < 4.0, f"{took:.1f} s with Redis stopped and a deadline of 2 s"
        assert "stop took longer than 2 s: exiting now" in stuck.output()

        # a deadline past the clean-up's budget: the budget ends the clean-up, the exit is uvicorn's
        # (no client: a client's close would wait uvicorn's graceful 5 s on the frozen Redis first)
        patient = HubProcess(embedded.url, "--stop-timeout", "30").wait_ready()
        os.kill(pid, signal.SIGSTOP)
        try:
            took, code = stop_and_time(patient)
        finally:
            os.kill(pid, signal.SIGCONT)
        patient.stop()
        assert code == -signal.SIGTERM, patient.output()
        assert STOP_CLEANUP <= took < STOP_CLEANUP + 5, f"{took:.1f} s with Redis stopped"
        assert f"stop took longer than {STOP_CLEANUP:g} s: left to expire" in patient.output()
        assert "Stack for <Task" in patient.output()  # what it waited on, named in the log
    finally:
        with_pid = embedded.pid()
        if with_pid:
            os.kill(with_pid, signal.SIGCONT)
        embedded.stop()


def test_the_last_hub_check_gives_up_within_seconds_on_a_redis_that_does_not_answer(tmp_path: Path) -> None:
    """``EmbeddedRedis.stop_if_last`` runs in the stop's executor thread, which the process waits
    for on its way out: on a frozen Redis it must give up in about its 2 s timeout (one try, not
    redis-py's retries), answering "not the last" (nothing stopped), not block the exit."""
    embedded = ensure_server(tmp_path / "redis")
    pid = embedded.pid()
    assert pid is not None
    try:
        os.kill(pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            assert embedded.stop_if_last(":nobody") is False
            took = time.monotonic() - started
        finally:
            os.kill(pid, signal.SIGCONT)
        assert took < 4.0, f"{took:.1f} s on a frozen Redis"
    finally:
        embedded.stop()
