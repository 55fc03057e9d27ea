"""The engine against the real embedded Redis: join, durability, offsets, epochs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from engine import keys
from engine.channels import SPECS, ChannelLog
from engine.commit import KINDS, Write, commit
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


async def test_the_guarded_commit_writes_all_or_nothing(redis: Redis) -> None:
    """``engine/commit.py``: a moved guard or an unknown write kind refuses before anything is
    written; otherwise every write and the one event go together."""
    log = ChannelLog(redis)
    ch = "meeting/m1/proposals"
    state, votes = keys.channel_keys(ch).state, keys.channel_key(ch, "votes")
    first = await commit(log, ch, "t.a", {}, guards=["f"], writes=[Write("hset", "", "f", b"1")])
    assert first is not None and first.offset == 1
    moved = [
        {"guards": ["f"], "stored": {"f": b"0"}},  # the field holds other bytes
        {"guards": ["g"], "stored": {"g": b"1"}},  # the field is gone
        {"offset": 0},  # an event was published since
    ]
    for guard in moved:
        assert await commit(log, ch, "t.b", {}, writes=[Write("sadd", "votes", value="x")], **guard) is None
    with pytest.raises(ResponseError, match="unknown write"):
        await commit(log, ch, "t.c", {}, writes=[Write("sadd", "votes", value="x"), Write("lpush", "", "f")])
    assert (
        await redis.smembers(votes) == set() and await redis.hget(keys.channel_keys(ch).meta, "seq") == b"1"
    )
    ops = [Write("hincr", "", "n", 2), Write("sadd", "votes", value="x"), Write("hdel", "", "f")]
    done = await commit(log, ch, "t.d", {}, offset=1, guards=["f"], stored={"f": b"1"}, writes=ops)
    assert done is not None and done.offset == 2
    assert await redis.hgetall(state) == {b"n": b"2"} and await redis.smembers(votes) == {b"x"}
    lua = (Path(__file__).parents[2] / "engine/lua/commit.lua").read_text(encoding="utf-8")
    kinds = re.search(r"^local KINDS = \{(.*)\}$", lua, re.M)
    assert kinds and set(re.findall(r"(\w+) = 1", kinds.group(1))) == KINDS  # the script's are the module's
