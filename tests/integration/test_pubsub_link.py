"""A dropped pub/sub link is a lost link, always: the feed tells its clients (``on_reset``, then
every client gets a ``gap`` and recovers): when Redis restarts quickly, and when Redis itself drops
the connection (``client-output-buffer-limit pubsub``: a hub that fell behind). The cluster's links
are held to the same in ``test_redis_cluster.py``."""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine import keys
from engine.channels import ChannelLog, PubSubMessage
from engine.connection import command_client, pubsub_client
from engine.pubsub import EventFeed
from engine.server import ensure_server


async def test_a_connection_redis_drops_resets_the_feed(tmp_path: Path) -> None:
    server = ensure_server(tmp_path / "r")
    resets: list[int] = []
    feed = EventFeed(pubsub_client(server.url), lambda _c, _m: None, lambda: resets.append(1))
    redis = command_client(server.url, name="plenary-test")
    try:
        await feed.start()
        await feed.subscribe(keys.meeting_chat("m1"))
        assert await redis.client_kill_filter(_type="pubsub") == 1
        async with asyncio.timeout(10):
            while not resets:
                await asyncio.sleep(0.05)
    finally:
        await feed.stop()
        await redis.aclose()
        server.stop()


async def test_a_quick_redis_restart_still_resets_the_feed(tmp_path: Path) -> None:
    server = ensure_server(tmp_path / "r")
    resets: list[int] = []
    got: list[str] = []

    def on_event(_channel: str, msg: PubSubMessage) -> None:
        got.append(msg.event.type)

    feed = EventFeed(pubsub_client(server.url), on_event, lambda: resets.append(1))
    redis = command_client(server.url, name="plenary-test")
    try:
        await feed.start()
        await feed.subscribe(keys.meeting_chat("m1"))
        server.stop()
        server = ensure_server(tmp_path / "r")  # back at once, same socket
        async with asyncio.timeout(15):
            while not resets:
                await asyncio.sleep(0.05)
        assert feed.connected.is_set()
        await ChannelLog(redis).publish(keys.meeting_chat("m1"), "chat.message", {"text": "back"})
        async with asyncio.timeout(10):
            while not got:
                await asyncio.sleep(0.05)
        assert resets == [1] and got == ["chat.message"]
    finally:
        await feed.stop()
        await redis.aclose()
        server.stop()
