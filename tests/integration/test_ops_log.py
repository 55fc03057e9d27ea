"""Operations logs over a real hub process: one line per command, and a sweeper that says when a
step fails and goes on (issue 10 step 7)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from redis.asyncio import Redis

from engine import keys
from engine.server import EmbeddedRedis
from tests.integration.test_vote import DEFINITION, cast
from tests.support import HubProcess, connect, seed


@pytest.fixture
def debug_hub(embedded: EmbeddedRedis) -> Iterator[HubProcess]:
    """A hub of its own logging at debug (the last ``--log-level`` wins), so its output is read whole."""
    hub = HubProcess(embedded.url, "--log-level", "debug")
    try:
        yield hub.wait_ready()
    finally:
        hub.stop()


def lines(hub: HubProcess) -> list[dict[str, Any]]:
    out = []
    for line in hub.output().splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


async def test_one_log_line_per_command_with_outcome_code_and_latency(
    redis: Redis, debug_hub: HubProcess
) -> None:
    tokens = await seed(redis)
    async with connect(debug_hub.ws_url, tokens["host"]) as host:
        await host.ok("vote.create", definition=DEFINITION)
        await host.ok("vote.open", vote="plenary-1")
        await host.ok("ping")
        refused = await host.call("unsubscribe", channel="nowhere")
        assert refused["name"] == "not_subscribed"
    receipt = await cast(debug_hub, tokens["p1"], ["P07", "P03", "P11"], "nonce-log-0001")
    assert receipt["type"] == "reply"
    debug_hub.stop()
    commands = [r for r in lines(debug_hub) if r.get("msg") == "command"]
    by_command = {r["command"]: r for r in commands}
    assert [r["command"] for r in commands] == [
        "vote.create",
        "vote.open",
        "ping",
        "unsubscribe",
        "vote.cast",
    ]
    ping, unsub, cast_line = by_command["ping"], by_command["unsubscribe"], by_command["vote.cast"]
    assert (ping["level"], ping["outcome"], ping["code"]) == ("debug", "ok", None)
    assert (ping["participant"], ping["role"], ping["logger"]) == ("host", "host", "plenary.ws")
    assert isinstance(ping["conn_id"], int) and isinstance(ping["latency_ms"], float | int)
    assert ping["latency_ms"] >= 0
    assert (unsub["level"], unsub["outcome"], unsub["code"]) == ("info", "not_subscribed", 1301)
    assert (cast_line["participant"], cast_line["role"], cast_line["outcome"]) == ("p1", "panelist", "ok")
    # Never a token nor a ballot's content (its ranking, its nonce) in any line.
    text = debug_hub.output()
    assert all(token not in text for token in tokens.values())
    assert "P07" not in text and "nonce-log-0001" not in text


async def test_a_vote_the_sweeper_cannot_read_is_logged_and_does_not_keep_others_open(
    redis: Redis, hub: HubProcess
) -> None:
    tokens = await seed(redis)
    # A vote that ``close_due`` cannot read: open, with a hard close that is not msgpack.
    state = keys.channel_keys(keys.vote("broken")).state
    await redis.sadd(keys.VOTES, "broken")
    await redis.hset(state, mapping={"status": msgspec.msgpack.encode("open"), "hard_close_at": b"\xc1"})
    await asyncio.sleep(2.5)  # the sweeper runs every second: it met the broken vote at least once
    async with connect(hub.ws_url, tokens["host"]) as host:
        await host.ok("vote.create", definition=DEFINITION | {"grace_seconds": 1})
        await host.ok("vote.open", vote="plenary-1")
        await host.ok("subscribe", channel="vote/plenary-1")
        await host.ok("vote.close", vote="plenary-1")
        for _ in range(40):  # the hard close comes from the sweeper alone, the broken vote still there
            if any(e["event"] == "vote.closed" for e in host.events):
                break
            await asyncio.sleep(0.25)
        assert any(e["event"] == "vote.closed" for e in host.events), host.events
    hub.stop()
    warnings = [r for r in lines(hub) if r.get("step") == "close_due"]
    assert warnings and warnings[0]["level"] == "warning", hub.output()[-2000:]
    assert warnings[0]["msg"] == "close_due failed" and "Traceback" in warnings[0]["exc"]
    assert warnings[0]["vote"] == "broken"


@pytest.fixture
def hub(embedded: EmbeddedRedis) -> Iterator[HubProcess]:
    """A hub of its own (at the tests' usual warning level), so its output holds only this test."""
    proc = HubProcess(embedded.url)
    try:
        yield proc.wait_ready()
    finally:
        proc.stop()
