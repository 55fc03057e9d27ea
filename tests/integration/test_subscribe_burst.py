"""Many subscribes to one channel at once share their reads (``ChannelLog.recover``, ``Unsent``),
and still every subscriber gets each event once and in order while events are being published
(docs/protocol.md §7; docs/performance.md, "Issue 11: the subscribe burst at a vote's opening")."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any

from redis.asyncio import Redis

from engine.channels import ChannelLog
from panel.roster import Participant
from tests.support import Client, HubProcess, connect, publish_until, seed

CHAT = "meeting/m1/chat"
PANEL = [Participant(id=f"b{i:02d}", name=f"panel {i}", role="panelist", meetings=["m1"]) for i in range(30)]


async def test_recoveries_asked_before_the_read_is_sent_share_it_and_later_ones_read_again(
    redis: Redis,
) -> None:
    log = ChannelLog(redis)
    for i in range(3):
        await log.publish(CHAT, "chat.message", {"text": str(i)})
    reads = 0
    call = log.scripts.call

    async def counted(package: str, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        nonlocal reads
        reads += name == "recover"
        return await call(package, name, keys, args)

    log.scripts.call = counted  # type: ignore[method-assign]
    first = await asyncio.gather(*(log.recover(CHAT, None, None) for _ in range(50)))
    assert reads == 1
    assert {r.offset for r in first} == {3}
    epoch = first[0].epoch
    # Another position is another read; the same position after the read returned reads again.
    both = await asyncio.gather(
        *(log.recover(CHAT, epoch, 1) for _ in range(10)), *(log.recover(CHAT, None, None) for _ in range(10))
    )
    assert reads == 3
    assert [[e.offset for e in r.events] for r in both[:10]] == [[2, 3]] * 10
    await log.publish(CHAT, "chat.message", {"text": "3"})
    again = await asyncio.gather(*(log.recover(CHAT, epoch, 1) for _ in range(10)))
    assert reads == 4
    assert [[e.offset for e in r.events] for r in again] == [[2, 3, 4]] * 10


async def test_a_recovery_asked_while_a_read_is_on_its_way_reads_again(redis: Redis) -> None:
    """What makes the sharing safe for a subscribe: a caller never joins a read already sent, which
    may have been read before the caller made sure of anything (its attach); it gets a read begun
    after its call, with the event published meanwhile."""
    log = ChannelLog(redis)
    await log.publish(CHAT, "chat.message", {"text": "0"})
    answered, release = asyncio.Event(), asyncio.Event()
    call = log.scripts.call

    async def held(package: str, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        result = await call(package, name, keys, args)  # read in Redis, then held back
        if name == "recover" and not release.is_set():
            answered.set()
            await release.wait()
        return result

    log.scripts.call = held  # type: ignore[method-assign]
    early = asyncio.ensure_future(log.recover(CHAT, None, None))
    await answered.wait()
    await log.publish(CHAT, "chat.message", {"text": "1"})
    release.set()
    late = await log.recover(CHAT, None, None)
    assert (await early).offset == 1
    assert late.offset == 2


async def _burst(redis: Redis, hub: HubProcess, position: bool) -> None:
    """30 panelists subscribe at once while events are published without pause: each gets a
    reply and then exactly the events after it, each once, in order, and no gap."""
    tokens = await seed(redis, PANEL)
    log = ChannelLog(redis)
    for i in range(5):
        await log.publish(CHAT, "chat.message", {"text": f"before {i}"})
    epoch = (await log.recover(CHAT, None, None)).epoch
    async with AsyncExitStack() as stack:
        clients: list[Client] = [
            await stack.enter_async_context(connect(hub.ws_url, tokens[p.id])) for p in PANEL
        ]
        stop = asyncio.Event()
        task = asyncio.create_task(publish_until(log, CHAT, stop, first=5))
        await asyncio.sleep(0.05)
        where: dict[str, Any] = {"epoch": epoch, "offset": 2} if position else {}
        subs = await asyncio.gather(*(c.ok("subscribe", channel=CHAT, **where) for c in clients))
        await asyncio.sleep(0.3)
        stop.set()
        total = await task
        for client, sub in zip(clients, subs, strict=True):
            assert sub["recovered"] is position
            replied = [e["offset"] for e in sub["events"]]
            if position:
                assert replied == list(range(3, sub["offset"] + 1))
            live = await client.wait_events(CHAT, total - sub["offset"])
            assert [e["offset"] for e in live] == list(range(sub["offset"] + 1, total + 1))
            assert client.gaps == []
        # the subscribes really met events in flight: the replies stand at more than one offset,
        # or the events went on after them
        assert max(s["offset"] for s in subs) < total


async def test_a_burst_of_fresh_subscribes_gets_every_event_once_in_order(
    redis: Redis, hub: HubProcess
) -> None:
    await _burst(redis, hub, position=False)


async def test_a_burst_of_recoveries_from_one_position_gets_every_event_once_in_order(
    redis: Redis, hub: HubProcess
) -> None:
    await _burst(redis, hub, position=True)
