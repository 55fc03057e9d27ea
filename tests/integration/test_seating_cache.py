"""A hub's seating cache (``tables.live.seating_of``) on the embedded Redis: the subscribes of a
reconnect storm arriving together on a cold cache share one read of the seating (they each read
and decoded it before: 3,000 reads of 30 KB), a reseat is seen once the cache expires, and a read
that failed is not kept."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from engine.roles import Role
from loadtest.tables_scenario import seating
from tables import live, seating_store
from tables.model import Seating

ROOM = Seating(session="plenary", seed=1, tables=tuple(seating(300, 30)))


async def _gets(redis: Redis) -> int:
    stats = await redis.info("commandstats")
    return int(stats.get("cmdstat_get", {}).get("calls", 0))


@pytest.fixture(autouse=True)
def cold_cache() -> None:
    live._seatings.clear()


async def test_a_storm_of_subscribes_on_a_cold_cache_reads_the_seating_once(redis: Redis) -> None:
    await seating_store.save_seating(redis, ROOM)
    ids = [p for table in ROOM.tables for p in table]
    before = await _gets(redis)
    standing = await asyncio.gather(*(live.standing(redis, "plenary", p, Role.PANELIST) for p in ids))
    tables = await asyncio.gather(*(live.check_table(redis, "plenary", t) for t in range(1, 31)))
    assert await _gets(redis) - before == 1
    assert [s for s, _ in standing] == [ROOM.table_of(p) for p in ids]
    assert all(t.tables == ROOM.tables for t in tables)


async def test_a_reseat_is_seen_once_the_cache_expires(redis: Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    await seating_store.save_seating(redis, ROOM)
    first = ROOM.tables[0][0]
    assert (await live.standing(redis, "plenary", first, Role.PANELIST))[0] == 1
    moved = Seating(session="plenary", seed=2, tables=(ROOM.tables[1], ROOM.tables[0], *ROOM.tables[2:]))
    await seating_store.save_seating(redis, moved)
    assert (await live.standing(redis, "plenary", first, Role.PANELIST))[0] == 1  # cached: within 2 s
    monkeypatch.setattr(live, "SEATING_TTL_S", 0.0)
    assert (await live.standing(redis, "plenary", first, Role.PANELIST))[0] == 2


async def test_a_read_that_failed_is_not_kept(redis: Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    await seating_store.save_seating(redis, ROOM)
    real = seating_store.load_seating

    async def down(redis: Redis, session: str) -> Seating | None:
        raise ConnectionError("Redis went away")

    monkeypatch.setattr(seating_store, "load_seating", down)
    results = await asyncio.gather(
        *(live.seating_of(redis, "plenary") for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, ConnectionError) for r in results)
    monkeypatch.setattr(seating_store, "load_seating", real)
    got = await live.seating_of(redis, "plenary")
    assert got is not None and got.tables == ROOM.tables
