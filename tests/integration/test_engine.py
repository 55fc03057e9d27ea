"""The engine against the real embedded Redis: join, durability, offsets, epochs."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio import Redis

from engine import keys
from engine.channels import SPECS, ChannelLog
from engine.errors import ChannelError
from engine.server import ensure_server
from tests.support import redis_client


def test_a_second_process_on_the_same_data_dir_joins_instead_of_starting(tmp_path: Path) -> None:
    first = ensure_server(tmp_path)
    try:
        second = ensure_server(tmp_path)
        assert first.started and not second.started
        assert first.url == second.url and first.pid() == second.pid()
    finally:
        first.stop()


async def test_published_events_survive_a_restart_from_the_aof(tmp_path: Path) -> None:
    server = ensure_server(tmp_path)
    r = redis_client(server.url)
    cfg = await r.config_get("appendfsync")
    assert cfg == {b"appendfsync": b"always"} or cfg == {"appendfsync": "always"}
    log = ChannelLog(r)
    for i in range(20):
        pub = await log.publish("meeting/m1/chat", "chat.message", {"n": i})
    await r.aclose()
    server.stop()
    server = ensure_server(tmp_path)
    r = redis_client(server.url)
    try:
        rec = await ChannelLog(r).recover("meeting/m1/chat", pub.epoch, 10)
        assert rec.recovered and rec.epoch == pub.epoch
        assert [e.data["n"] for e in rec.events] == list(range(10, 20))
    finally:
        await r.aclose()
        server.stop()


async def test_offsets_are_dense_and_recovery_is_exact(redis: Redis) -> None:
    log = ChannelLog(redis)
    pubs = [await log.publish("meeting/m1/chat", "chat.message", {"n": i}) for i in range(30)]
    assert [p.offset for p in pubs] == list(range(1, 31))
    for since in (0, 1, 15, 29, 30):
        rec = await log.recover("meeting/m1/chat", pubs[0].epoch, since)
        assert rec.recovered
        assert [e.offset for e in rec.events] == list(range(since + 1, 31))
    rec = await log.recover("meeting/m1/chat", "another-epoch", 5)
    assert not rec.recovered and rec.offset == 30


async def test_history_is_bounded(redis: Redis) -> None:
    log = ChannelLog(redis)
    n = SPECS["ops"].history + 5
    for i in range(n):
        pub = await log.publish("ops", "ops.note", {"n": i})
    assert await redis.llen(keys.channel_keys("ops").hist) == SPECS["ops"].history
    rec = await log.recover("ops", pub.epoch, 1)
    assert not rec.recovered and len(rec.events) == SPECS["ops"].backlog


async def test_archive_keeps_every_chat_event(redis: Redis) -> None:
    log = ChannelLog(redis)
    for i in range(SPECS["chat"].history + 3):
        await log.publish("meeting/m1/chat", "chat.message", {"n": i})
    assert len(await log.archive("meeting/m1/chat")) == SPECS["chat"].history + 3
    with pytest.raises(ChannelError):
        await log.archive("ops")


async def test_unknown_channels_are_refused(redis: Redis) -> None:
    with pytest.raises(ChannelError):
        await ChannelLog(redis).publish("meeting/../x", "t", {})
