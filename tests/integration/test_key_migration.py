"""A Redis an older hub wrote (directory keys without the ``{dir}`` hash tag) is brought to today's
names once: the roster, its links, meetings and the vote list survive the upgrade (engine/migrate.py)."""

from __future__ import annotations

import msgspec
from redis.asyncio import Redis

from engine import keys, migrate
from panel.roster import Participant, Roster, hash_token


async def test_an_older_hub_s_directory_is_renamed_and_its_links_still_work(redis: Redis) -> None:
    person = Participant(id="p1", name="패널 하나", role="panelist", token_hash=hash_token("tok-1"))
    await redis.set("pl:p:p1", msgspec.msgpack.encode(person))
    await redis.sadd("pl:roster", "p1")
    await redis.set("pl:tok:" + person.token_hash, "p1")
    await redis.set("pl:m:m1", b"meeting")
    await redis.zadd("pl:meetings", {"m1": 1})
    await redis.sadd("pl:votes", "v1")
    await redis.set("pl:public_url", "https://plenary.example.org")
    await redis.hset("pl:hubs", "old-hub", 1)
    await redis.sadd("pl:presence:old-hub", "p1")
    await redis.set(keys.PUBLIC_URL, "https://kept.example.org")  # a newer hub wrote this one: kept

    assert await migrate.directory_keys(redis) == 6
    found = await Roster(redis).authenticate("tok-1")
    assert found is not None and found.id == "p1"
    assert [p.id for p in await Roster(redis).all()] == ["p1"]
    assert await redis.get(keys.meeting("m1")) == b"meeting"
    assert await redis.smembers(keys.VOTES) == {b"v1"}
    assert await redis.get(keys.PUBLIC_URL) == b"https://kept.example.org"
    assert not await redis.exists("pl:p:p1", "pl:roster", "pl:hubs", "pl:presence:old-hub")
    assert await migrate.directory_keys(redis) == 0  # once


async def test_a_current_redis_is_left_alone(redis: Redis) -> None:
    await redis.set(keys.participant("p1"), b"x")
    assert await migrate.directory_keys(redis) == 0
    assert await redis.get(keys.participant("p1")) == b"x"
