"""What the hub's HTTP side gives away (issue 9): no token in any log line, whatever the client
puts in its URL; response headers that limit framing, connections and uploads; a receipt lookup
that keeps the tracking code out of every URL. On real hub processes over real sockets."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis
from websockets.exceptions import InvalidStatus

from engine.server import EmbeddedRedis
from tests.support import HubProcess, connect, seed

SECRET = "SECRETtoken0123456789"


async def test_a_token_in_the_query_string_reaches_no_log_line(redis: Redis, embedded: EmbeddedRedis) -> None:
    tokens = await seed(redis)
    hub = HubProcess(embedded.url, "--log-level", "debug").wait_ready()
    try:
        async with connect(f"{hub.ws_url}?token={SECRET}&t={tokens['p1']}", tokens["p1"]) as c:
            await c.ok("subscribe", channel="meeting/m1/chat")
        with pytest.raises(InvalidStatus):  # refused handshake: logged with its URL too
            async with connect(f"{hub.ws_url}?token={SECRET}'\"x", origin="https://evil.example"):
                pass
        async with httpx.AsyncClient(base_url=hub.url) as http:
            await http.get(f"/healthz?token={SECRET}")
            await http.get(f"/api/me?token={SECRET}", headers={"Authorization": f"Bearer {SECRET}"})
    finally:
        hub.stop()
    lines = hub.output().splitlines()
    leaked = [line for line in lines if SECRET in line or tokens["p1"] in line]
    assert leaked == []
    assert any('"WebSocket /ws?[redacted]' in line for line in lines), lines  # logged, without it
