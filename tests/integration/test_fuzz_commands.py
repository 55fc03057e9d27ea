"""The command fuzz (tests/fuzz/commands.py) in a bounded run against a real hub and a real Redis:
every role's mutated commands answered with a catalogued code, the connections closed only where
the protocol says, and Redis consistent with what was acknowledged. ``make fuzz`` runs it longer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis.asyncio import Redis

from tests.fuzz import commands
from tests.support import HubProcess


@pytest.fixture
def fuzzed_hub(redis_url: str) -> Iterator[HubProcess]:
    """A hub of its own without the per-connection rate limit, so that frames reach the handlers."""
    hub = HubProcess(redis_url, "--rate", "1000000")
    try:
        yield hub.wait_ready()
    finally:
        hub.stop()


async def test_a_bounded_fuzz_of_every_command_from_every_role_finds_nothing(
    redis: Redis, fuzzed_hub: HubProcess
) -> None:
    report = await commands.fuzz(redis, fuzzed_hub.ws_url, inputs=1_000, seconds=60, seed=12)
    fuzzed_hub.stop()
    assert report.findings == []
    assert "Traceback" not in fuzzed_hub.output()
    assert report.inputs > 900  # a frame that closes the connection gets no answer, so no count
    # the frames get past the decoder and the role check into the handlers
    assert report.outcomes["ok"] > 100
    assert len(report.outcomes) > 15


async def test_the_store_check_sees_an_acknowledgement_redis_does_not_hold(
    redis: Redis, fuzzed_hub: HubProcess
) -> None:
    """The check after the fuzz can fail: a cast and a chat message acknowledged but not stored."""
    await commands.prepare(redis, fuzzed_hub.ws_url)
    report = commands.Report()
    assert await commands.stored_consistently(redis, report) == []
    report.acked_ballots["fz-1"] += 1
    report.chat_offsets.append(2)
    problems = await commands.stored_consistently(redis, report)
    assert len(problems) == 2, problems
