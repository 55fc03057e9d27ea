"""``recover.lua``'s branch check, against the real embedded Redis: a failover that lost a channel's
last events and gave their offsets to new ones under the same epoch (docs/architecture.md, "What a
failover can lose") must not let a client that saw a lost event recover as if nothing happened.

The failover is modelled in Redis itself: the channel's keys as the replica had them (``DUMP``
before the last events) are restored over the master's (``RESTORE ... REPLACE``), which is the
state a promoted replica serves; then new events are published. The real failover, on a real Redis
Cluster, is ``tests/integration/test_failover_branch.py``."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from engine import keys
from engine.channels import ChannelLog, Published, spec_of
from engine.server import EmbeddedRedis
from tests.examples import examples
from tests.support import redis_client

CHAT = keys.meeting_chat("branch")
META, HIST, STATE, LOG = (
    keys.channel_keys(CHAT).meta,
    keys.channel_keys(CHAT).hist,
    keys.channel_keys(CHAT).state,
    keys.channel_keys(CHAT).log,
)


async def failover(redis: Redis, kept: int, lost: int, new: int) -> tuple[list[Published], list[Published]]:
    """Publish ``kept + lost`` events, then lose the last ``lost`` (the replica's state restored),
    then publish ``new`` more. Returns what a client saw (the old branch) and the channel's events
    now (the new branch), each a list by offset."""
    log = ChannelLog(redis)
    await redis.delete(META, HIST, STATE, LOG)
    old = [await log.publish(CHAT, "chat.message", {"n": i}) for i in range(kept)]
    replica = {k: await redis.dump(k) for k in (META, HIST)}
    old += [await log.publish(CHAT, "chat.message", {"lost": i}) for i in range(lost)]
    for k, value in replica.items():
        await redis.delete(k)
        if value is not None:
            await redis.restore(k, 0, value, replace=True)
    await asyncio.sleep(0.003)  # a failover takes seconds: a new event is stored in a later ms
    now = old[:kept] + [await log.publish(CHAT, "chat.message", {"new": i}) for i in range(new)]
    return old, now


async def _case(url: str, kept: int, lost: int, new: int, position: int) -> None:
    redis = redis_client(url)
    try:
        old, now = await failover(redis, kept, lost, new)
        assert [p.offset for p in now] == list(range(1, kept + new + 1))  # offsets reused
        log = ChannelLog(redis)
        epoch = old[0].epoch
        assert now[-1].epoch == epoch  # the same epoch: the offset alone cannot tell
        seen = old[position - 1].time if position else None
        rec = await log.recover(CHAT, epoch, position, seen)
        on_branch = position <= kept  # the client's last event survived the failover
        assert rec.recovered == on_branch, (kept, lost, new, position)
        if rec.recovered:
            assert [(e.offset, e.time) for e in rec.events] == [(p.offset, p.time) for p in now[position:]]
        else:
            assert rec.offset == kept + new  # a fresh start from the channel as it is now
    finally:
        await redis.aclose()


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_client_recovers_exactly_when_its_last_event_survived_the_failover(
    embedded: EmbeddedRedis, data: st.DataObject
) -> None:
    kept = data.draw(st.integers(1, 12), label="kept")
    lost = data.draw(st.integers(0, 4), label="lost")
    new = data.draw(st.integers(0, 6), label="new")
    position = data.draw(st.integers(0, kept + lost), label="the client's offset")
    asyncio.run(_case(embedded.url, kept, lost, new, position))


async def test_without_the_time_a_lost_event_goes_unnoticed(redis: Redis) -> None:
    """Why the time is sent: with the offset alone, a client that saw the lost event 3 recovers
    "exactly" from 3 and never gets the new event 3."""
    old, now = await failover(redis, kept=2, lost=1, new=2)
    log = ChannelLog(redis)
    blind = await log.recover(CHAT, old[0].epoch, 3)
    assert blind.recovered and [e.offset for e in blind.events] == [4]  # the new 3 is missed
    checked = await log.recover(CHAT, old[0].epoch, 3, old[2].time)
    assert not checked.recovered and checked.offset == 4
    assert [e.time for e in checked.events][-2:] == [now[2].time, now[3].time]  # the backlog


async def test_a_client_ahead_of_the_channel_starts_afresh(redis: Redis) -> None:
    """Lost events and nothing new yet: the client's offset is past the channel's last."""
    old, _now = await failover(redis, kept=3, lost=2, new=0)
    rec = await ChannelLog(redis).recover(CHAT, old[0].epoch, 5, old[4].time)
    assert not rec.recovered and rec.offset == 3


async def test_an_event_the_history_no_longer_holds_is_no_recovery_point(redis: Redis) -> None:
    """With the time given, the client's own event must be in the history to be checked; one just
    past it (the history's first event is the client's next) gets the fresh start."""
    log = ChannelLog(redis)
    spec_history = spec_of(CHAT).history
    await redis.delete(META, HIST, STATE, LOG)
    pubs = [await log.publish(CHAT, "chat.message", {"n": i}) for i in range(spec_history + 1)]
    first_kept = pubs[1]  # the history holds offsets 2..1001
    rec = await log.recover(CHAT, pubs[0].epoch, 1, pubs[0].time)
    assert not rec.recovered
    rec = await log.recover(CHAT, pubs[0].epoch, 2, first_kept.time)
    assert rec.recovered and len(rec.events) == spec_history - 1
    rec = await log.recover(CHAT, pubs[0].epoch, 1)  # without the time: as before
    assert rec.recovered and len(rec.events) == spec_history
