"""The seatings in Redis (tables/seating_store.py) on the embedded Redis: one key per session,
replaced in one step with the old one kept for the encounter count."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from engine.errors import Code, TableError
from tables.model import Seating
from tables.seating_store import (
    all_seatings,
    earlier_encounters,
    load_seating,
    require_seating,
    save_seating,
    seated_sessions,
    table_of,
)
from tests.cluster import both_servers

redis_url = both_servers  # the {tables} hash tag: one slot, so the MULTI holds on a Redis Cluster too

A = Seating(session="plenary", seed=1, tables=(("p1", "p2", "p3"), ("p4", "p5")))
B = Seating(session="plenary", seed=2, tables=(("p1", "p4"), ("p2", "p3", "p5")))
C = Seating(session="topic1", seed=1, tables=(("p1", "p2", "p9"),))


async def test_save_load_and_table_of(redis: Redis) -> None:
    assert await load_seating(redis, "plenary") is None
    assert await table_of(redis, "plenary", "p1") is None
    with pytest.raises(TableError) as e:
        await require_seating(redis, "plenary")
    assert e.value.code is Code.NO_SEATING
    await save_seating(redis, A)
    got = await load_seating(redis, "plenary")
    assert got is not None and got.tables == A.tables and got.seed == 1 and got.created_ms > 0
    assert await table_of(redis, "plenary", "p4") == 2
    assert await table_of(redis, "plenary", "nobody") is None
    assert got.count == 2 and got.members(1) == ("p1", "p2", "p3") and got.members(3) == ()


async def test_a_new_seating_replaces_the_old_and_keeps_it_for_encounters(redis: Redis) -> None:
    await save_seating(redis, A)
    await save_seating(redis, B)
    await save_seating(redis, C)
    current = await load_seating(redis, "plenary")
    assert current is not None and current.tables == B.tables
    assert await seated_sessions(redis) == ["plenary", "topic1"]
    assert len(await all_seatings(redis)) == 3
    met = await earlier_encounters(redis, "topic1")  # plenary's two seatings, not topic1's own
    assert met[("p1", "p2")] == 1 and met[("p1", "p4")] == 1 and met[("p3", "p5")] == 1
    assert ("p1", "p9") not in met
    met_plenary = await earlier_encounters(redis, "plenary")
    assert set(met_plenary) == {("p1", "p2"), ("p1", "p9"), ("p2", "p9")}
    again = Seating(session="plenary", seed=3, tables=(("p1", "p4", "p9"),))  # a reseat: p1 and p4 again
    await save_seating(redis, again)
    assert (await earlier_encounters(redis, "topic1"))[("p1", "p4")] == 1  # one session: met once
    await save_seating(redis, Seating(session="topic2", seed=1, tables=(("p1", "p4"),)))
    assert (await earlier_encounters(redis, "topic1"))[("p1", "p4")] == 2  # two sessions: twice


@pytest.mark.parametrize(
    "bad",
    [
        Seating(session="bad id", seed=0, tables=(("a",),)),
        Seating(session="s", seed=0, tables=(("a", ""),)),
        Seating(session="s", seed=0, tables=(("a", "b"), ("b",))),
    ],
)
async def test_a_bad_seating_is_refused_and_nothing_stored(redis: Redis, bad: Seating) -> None:
    with pytest.raises(TableError) as e:
        await save_seating(redis, bad)
    assert e.value.code is Code.BAD_SEATING
    assert await redis.keys("*") == []
