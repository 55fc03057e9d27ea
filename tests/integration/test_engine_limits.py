"""engine/limits.py against the real embedded Redis: the token bucket script and connection slots."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis

from engine import keys
from engine.errors import Code, LimitError
from engine.limits import STALE_MS, Bucket, ConnectionSlots, RateLimiter
from engine.scripts import Scripts


async def test_a_bucket_gives_its_burst_then_its_rate(redis: Redis) -> None:
    rates = RateLimiter(redis, Scripts(redis))
    rates.start()
    try:
        bucket = Bucket(rate=10, burst=3)
        for _ in range(3):
            await rates.take("p1", "x", bucket)
        with pytest.raises(LimitError) as exc:
            await rates.take("p1", "x", bucket)
        assert exc.value.code is Code.RATE_LIMITED and exc.value.retryable
        assert 0 < exc.value.retry_after_ms <= 100
        await rates.take("p2", "x", bucket)  # another participant has their own bucket
        await rates.take("p1", "y", bucket)  # and another class its own
        await asyncio.sleep(0.12)
        await rates.take("p1", "x", bucket)  # refilled at 10 per second
    finally:
        await rates.stop()


async def test_concurrent_checks_go_in_few_batches_and_count_exactly(redis: Redis) -> None:
    rates = RateLimiter(redis, Scripts(redis))
    rates.start()
    try:
        bucket = Bucket(rate=0.001, burst=50)

        async def one() -> bool:
            try:
                await rates.take("p1", "burst", bucket)
            except LimitError:
                return False
            return True

        got = await asyncio.gather(*(one() for _ in range(500)))
        assert sum(got) == 50
        assert rates.batches <= 5
        ttl = await redis.pttl(keys.rate_bucket("p1", "burst"))
        assert ttl > 0  # the bucket key expires once it would have refilled
    finally:
        await rates.stop()


async def test_connection_slots_up_to_the_limit_and_released(redis: Redis) -> None:
    scripts = Scripts(redis)
    hub = ConnectionSlots(redis, scripts, "hub-a")
    for conn in range(3):
        await hub.admit("p1", conn, 3)
    with pytest.raises(LimitError) as exc:
        await hub.admit("p1", 99, 3)
    assert exc.value.code is Code.TOO_MANY_CONNECTIONS
    await hub.release("p1", 1)
    await hub.admit("p1", 99, 3)
    assert await redis.hlen(keys.connection_slots("p1")) == 3


async def test_slots_of_a_stopped_or_silent_hub_are_freed(redis: Redis) -> None:
    scripts = Scripts(redis)
    a, b = ConnectionSlots(redis, scripts, "hub-a"), ConnectionSlots(redis, scripts, "hub-b")
    await a.admit("p1", 1, 2)
    await b.admit("p1", 2, 2)
    with pytest.raises(LimitError):
        await a.admit("p1", 3, 2)
    await b.stop()  # a clean stop: its instance leaves the heartbeat hash
    await a.admit("p1", 3, 2)
    # A silent hub: its last heartbeat is older than STALE_MS.
    c = ConnectionSlots(redis, scripts, "hub-c")
    await a.release("p1", 3)
    await c.admit("p1", 4, 2)
    with pytest.raises(LimitError):
        await a.admit("p1", 5, 2)
    await redis.hset(keys.CONNECTION_HUBS, c.instance, int(time.time() * 1000) - STALE_MS - 1000)
    await a.admit("p1", 5, 2)


async def test_a_restarted_hub_with_the_same_id_does_not_inherit_its_old_slots(redis: Redis) -> None:
    scripts = Scripts(redis)
    old, new = ConnectionSlots(redis, scripts, "hub-a"), ConnectionSlots(redis, scripts, "hub-a")
    assert old.instance != new.instance


async def test_a_refused_command_gives_its_token_back_never_above_the_burst(redis: Redis) -> None:
    rates = RateLimiter(redis, Scripts(redis))
    rates.start()
    try:
        bucket = Bucket(rate=0.001, burst=2)
        rates.give_back("p1", "x", bucket)  # a full bucket stays at its burst
        await rates.take("p1", "x", bucket)
        await rates.take("p1", "x", bucket)
        rates.give_back("p1", "x", bucket)  # queued ahead of the next check
        await rates.take("p1", "x", bucket)
        with pytest.raises(LimitError):
            await rates.take("p1", "x", bucket)
    finally:
        await rates.stop()
