"""HTTP answers to the per-participant limits (issue 9), over a real hub and Redis: a refused
request says when to come back, in the body and in the ``Retry-After`` header, and did nothing."""

from __future__ import annotations

import math

import httpx
from redis.asyncio import Redis

from engine import keys
from realtime import roles
from realtime.http.routes import retry_after_seconds
from tests.support import HubProcess, seed

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_a_429_carries_retry_after_ms_and_a_retry_after_header_in_whole_seconds(
    redis: Redis, hub: HubProcess
) -> None:
    tokens = await seed(redis)
    # The host's staff bucket 11 tokens in debt: the next upload waits 11 / rate = 2.2 s.
    seconds, micros = await redis.time()
    now_ms = seconds * 1000 + micros // 1000
    await redis.hset(keys.rate_bucket("host", "staff"), mapping={"t": "-10", "at": str(now_ms)})
    auth = {"Authorization": f"Bearer {tokens['host']}"}
    async with httpx.AsyncClient(base_url=hub.url) as http:
        r = await http.post("/api/meetings/m1/uploads?name=s.png", content=PNG, headers=auth)
        assert r.status_code == 429, r.text
        body = r.json()
        assert body["name"] == "rate_limited" and body["code"] == 1200
        wait = body["retry_after_ms"]
        rate = roles.RATE_CLASSES["staff"].rate
        assert 11 / rate * 1000 - 500 < wait <= 11 / rate * 1000, wait
        assert r.headers["retry-after"] == str(math.ceil(wait / 1000)) == "3"
        # Nothing was stored: the meeting has no upload.
        assert not [k async for k in redis.scan_iter(match=keys.upload("m1", "*"))]
        # Other errors keep their shape, without a retry hint.
        other = await http.get("/api/meetings/m9/chat", headers=auth)
        assert other.status_code == 404 and "retry_after_ms" not in other.json()
        assert "retry-after" not in other.headers


def test_retry_after_rounds_up_to_whole_seconds_and_never_says_now() -> None:
    assert [retry_after_seconds(ms) for ms in (0, 1, 999, 1000, 1001, 2200)] == [1, 1, 1, 1, 2, 3]
