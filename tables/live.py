"""The live tables in Redis (issue 15): who facilitates which table, the current step.

The facilitators of a meeting are one hash in the cards channel's slot (``t:<table>`` ->
participant, ``p:<participant>`` -> table, both ways so either question is one read), written in
one transaction: a facilitator has one table, a table one facilitator. The current step is in the
state of the hosts' overview channel (``step``), and on every table's channel (``table.step``).
"""

from __future__ import annotations

import msgspec
from redis.asyncio import Redis

from engine import keys
from engine.connection import raw
from tables.rules import Step

_step_decoder = msgspec.msgpack.Decoder(Step)


def facilitators_key(meeting: str) -> str:
    return keys.channel_key(keys.meeting_cards(meeting), "facilitators")


async def facilitated_table(redis: Redis, meeting: str, participant: str) -> int | None:
    """The table ``participant`` facilitates in ``meeting``, or None."""
    found = await redis.hget(facilitators_key(meeting), "p:" + participant)
    return None if found is None else int(raw(found))


async def facilitator_of(redis: Redis, meeting: str, table: int) -> str | None:
    found = await redis.hget(facilitators_key(meeting), f"t:{table}")
    return None if found is None else raw(found).decode()


async def facilitators(redis: Redis, meeting: str) -> dict[int, str]:
    """Table -> its facilitator's id, for every table that has one."""
    flat = await redis.hgetall(facilitators_key(meeting))
    return {int(raw(k)[2:]): raw(v).decode() for k, v in flat.items() if raw(k).startswith(b"t:")}


async def assign_facilitator(redis: Redis, meeting: str, table: int, participant: str) -> str:
    """Make ``participant`` the facilitator of ``table``; returns the one it replaces ("" for
    none). Their earlier table, if any, is left without one. The caller checked the role."""
    key = facilitators_key(meeting)
    before = await facilitator_of(redis, meeting, table)
    earlier = await facilitated_table(redis, meeting, participant)
    async with redis.pipeline(transaction=True) as pipe:
        if before is not None and before != participant:
            pipe.hdel(key, "p:" + before)
        if earlier is not None and earlier != table:
            pipe.hdel(key, f"t:{earlier}")
        pipe.hset(key, mapping={f"t:{table}": participant, "p:" + participant: table})
        await pipe.execute()
    return before if before is not None and before != participant else ""


async def current_step(redis: Redis, meeting: str) -> Step | None:
    """The meeting's current step of the table agenda, or None before the first."""
    found = await redis.hget(keys.channel_keys(keys.meeting_tables(meeting)).state, "step")
    return None if found is None else _step_decoder.decode(raw(found))
