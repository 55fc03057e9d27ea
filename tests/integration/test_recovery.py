"""Reconnect with offsets: exactly the missed events; history exhausted; Redis reset (new epoch)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from engine import keys
from engine.channels import SPECS, ChannelLog
from tests.cluster import both_servers
from tests.support import HubProcess, connect, publish_until, seed

redis_url = both_servers  # every test here runs on the embedded Redis and on a Redis Cluster

CHAT = "meeting/m1/chat"


async def test_reconnect_with_offset_gets_exactly_the_missed_events(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = hubs
    async with connect(a.ws_url, tokens["p1"]) as alice:
        await alice.ok("subscribe", channel=CHAT)
        for i in range(3):
            await alice.ok("chat.send", meeting="m1", text=f"before {i}")
        seen = await alice.wait_events(CHAT, 3)
        epoch, last = seen[-1]["epoch"], seen[-1]["offset"]
    async with connect(b.ws_url, tokens["p2"]) as bob:
        for i in range(4):
            await bob.ok("chat.send", meeting="m1", text=f"while away {i}")
    async with connect(b.ws_url, tokens["p1"]) as alice:  # back, on the other hub
        sub = await alice.ok("subscribe", channel=CHAT, epoch=epoch, offset=last)
        assert sub["recovered"] is True
        assert [e["offset"] for e in sub["events"]] == [4, 5, 6, 7]
        assert [e["data"]["text"] for e in sub["events"]] == [f"while away {i}" for i in range(4)]
        await alice.ok("chat.send", meeting="m1", text="live again")
        live = await alice.wait_events(CHAT, 1)
        assert [e["offset"] for e in live] == [8]


async def test_live_events_during_subscribe_are_neither_lost_nor_doubled(
    redis: Redis, hub: HubProcess
) -> None:
    """Publish continuously while clients subscribe: each sees a gap-free, duplicate-free sequence."""
    tokens = await seed(redis)
    log = ChannelLog(redis)
    async with connect(hub.ws_url, tokens["p2"]) as bob:
        stop = asyncio.Event()
        task = asyncio.create_task(publish_until(log, CHAT, stop))
        await asyncio.sleep(0.05)
        sub = await bob.ok("subscribe", channel=CHAT)
        await asyncio.sleep(0.3)
        stop.set()
        total = await task
        backlog = [e["offset"] for e in sub["events"]]
        live = await bob.wait_events(CHAT, total - sub["offset"])
        offsets = backlog + [e["offset"] for e in live]
        assert offsets == list(range(offsets[0], total + 1))


async def test_history_exhausted_gives_backlog_and_recovered_false(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    log = ChannelLog(redis)
    first = await log.publish(CHAT, "chat.message", {"text": "old"})
    history = SPECS["chat"].history
    for i in range(history + 10):
        await log.publish(CHAT, "chat.message", {"text": f"n{i}"})
    async with connect(hub.ws_url, tokens["p1"]) as alice:
        sub = await alice.ok("subscribe", channel=CHAT, epoch=first.epoch, offset=first.offset)
        assert sub["recovered"] is False
        assert sub["offset"] == history + 11
        offsets = [e["offset"] for e in sub["events"]]
        assert offsets == list(range(history + 11 - SPECS["chat"].backlog + 1, history + 12))


async def test_redis_reset_gives_a_new_epoch_and_void_offsets(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["p1"]) as alice:
        await alice.ok("chat.send", meeting="m1", text="before the reset")
        sub = await alice.ok("subscribe", channel=CHAT)
        old_epoch = sub["epoch"]
    await redis.flushall()
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["p1"]) as alice:
        await alice.ok("chat.send", meeting="m1", text="after")
        sub = await alice.ok("subscribe", channel=CHAT, epoch=old_epoch, offset=1)
        assert sub["epoch"] != old_epoch
        assert sub["recovered"] is False
        assert [e["data"]["text"] for e in sub["events"]] == ["after"]


async def test_stateful_channel_without_history_gives_a_snapshot_naming_its_offset(
    redis: Redis, hub: HubProcess
) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["p1"]) as alice:
        sub = await alice.ok("subscribe", channel="meeting/m1/agenda")
        assert sub["snapshot"] == {} and sub["offset"] == 0 and sub["recovered"] is False


FRAME_BUDGET = 64 * 1024  # the most a subscribe reply frame may take (docs/protocol.md §4)
LONG_TEXT = "시민총회 의견 " * 62  # ~500 characters, ~1.5 KB: the longest a chat message may be


async def publish_history(redis: Redis) -> tuple[str, int]:
    """A chat with one more event than its history holds, every one of the longest kind.
    Returns (epoch, top): offsets 2..top are in the history, offset 1 is not."""
    log = ChannelLog(redis)
    history = SPECS["chat"].history
    author = {"id": "p2", "name": "패널 둘", "role": "panelist"}
    published = None
    for i in range(history + 1):
        published = await log.publish(CHAT, "chat.message", {"text": f"{i} {LONG_TEXT}", "author": author})
    assert published is not None and published.offset == history + 1
    return published.epoch, published.offset


@pytest.mark.parametrize("codec", ["plenary.v1.json", "plenary.v1.msgpack"])
async def test_a_client_a_whole_history_behind_gets_every_missed_event_in_parts(
    redis: Redis, hub: HubProcess, codec: str
) -> None:
    """999 and 1,000 events late on a 1,000-event history: every missed event, in order, no fresh
    start, in reply frames within the frame budget (``more`` on all but the last); live events
    follow the last part without a hole or a duplicate."""
    tokens = await seed(redis)
    epoch, top = await publish_history(redis)
    history = SPECS["chat"].history
    async with connect(hub.ws_url, tokens["p1"], codec) as alice:
        for late in (history - 1, history):
            first_frame = len(alice.frames)
            msg = await alice.call("subscribe", channel=CHAT, epoch=epoch, offset=top - late)
            sub = msg["result"]
            assert sub["recovered"] is True, late
            assert [e["offset"] for e in sub["events"]] == list(range(top - late + 1, top + 1))
            assert [e["data"]["text"].split()[0] for e in sub["events"]] == [
                str(o - 1) for o in range(top - late + 1, top + 1)
            ]
            frames = [
                (f, size)
                for f, size in zip(alice.frames[first_frame:], alice.sizes[first_frame:], strict=True)
                if f["type"] == "reply"
            ]
            assert msg["parts"] == len(frames) > 10  # ~1.5 MB cannot go in one frame
            assert [f["result"]["more"] for f, _ in frames] == [True] * (len(frames) - 1) + [False]
            assert max(size for _, size in frames) <= FRAME_BUDGET
            assert all(f["result"]["offset"] == top and f["result"]["recovered"] for f, _ in frames)
        await ChannelLog(redis).publish(CHAT, "chat.message", {"text": "live"})
        live = await alice.wait_events(CHAT, 1)
        await asyncio.sleep(0.2)
        assert [e["offset"] for e in alice.events] == [top + 1] and live[0]["data"]["text"] == "live"


async def test_a_client_one_past_the_history_gets_the_documented_fresh_start(
    redis: Redis, hub: HubProcess
) -> None:
    """1,001 events late on a 1,000-event history: ``recovered`` false and the backlog (the last
    100 messages), still in parts within the frame budget."""
    tokens = await seed(redis)
    epoch, top = await publish_history(redis)
    backlog = SPECS["chat"].backlog
    async with connect(hub.ws_url, tokens["p1"]) as alice:
        msg = await alice.call("subscribe", channel=CHAT, epoch=epoch, offset=top - SPECS["chat"].history - 1)
        sub = msg["result"]
        assert sub["recovered"] is False and sub["offset"] == top
        assert [e["offset"] for e in sub["events"]] == list(range(top - backlog + 1, top + 1))
        assert msg["parts"] > 1 and max(alice.sizes) <= FRAME_BUDGET


async def test_a_failed_subscribe_leaves_the_earlier_subscription_alive(
    redis: Redis, hub: HubProcess
) -> None:
    """An error reply to ``subscribe`` changes nothing: neither a frame the codec rejects (an epoch
    of 300 characters) nor a failure while reading the channel ends a subscription the client
    had; its events keep coming, once each, in order."""
    tokens = await seed(redis)
    log = ChannelLog(redis)
    await log.publish(CHAT, "chat.message", {"text": "first"})
    async with connect(hub.ws_url, tokens["p1"]) as alice:
        sub = await alice.ok("subscribe", channel=CHAT)
        bad = await alice.call("subscribe", channel=CHAT, epoch="e" * 300, offset=1)
        assert bad["type"] == "error" and bad["name"] == "bad_field"
        await log.publish(CHAT, "chat.message", {"text": "second"})
        assert [e["offset"] for e in await alice.wait_events(CHAT, 1)] == [2]
        # an entry that cannot be read makes the next backlog read fail (in the hub's decoder, or in
        # the script that picks the backlog's visible messages)
        await redis.rpush(keys.channel_keys(CHAT).hist, b"\xc1")
        failed = await alice.call("subscribe", channel=CHAT)
        assert failed["type"] == "error" and failed["name"] in ("internal", "unavailable")
        await log.publish(CHAT, "chat.message", {"text": "third"})
        got = await alice.wait_events(CHAT, 2)
        await asyncio.sleep(0.2)
        assert [e["offset"] for e in alice.events] == [2, 3] and got[-1]["data"]["text"] == "third"
        assert sub["epoch"] == got[-1]["epoch"]
    async with connect(hub.ws_url, tokens["p2"]) as bob:  # a new subscription that fails is none
        failed = await bob.call("subscribe", channel=CHAT)
        assert failed["type"] == "error"
        assert (await bob.call("unsubscribe", channel=CHAT))["name"] == "not_subscribed"


async def test_unsubscribe_stops_delivery_and_resubscribe_resumes_exactly(
    redis: Redis, hub: HubProcess
) -> None:
    """Joining and leaving the hub's per-channel live list: after unsubscribe nothing arrives; a
    subscribe again from the last offset gets the missed events once, then live ones once."""
    tokens = await seed(redis)
    log = ChannelLog(redis)
    async with connect(hub.ws_url, tokens["p1"]) as alice, connect(hub.ws_url, tokens["p2"]) as bob:
        await alice.ok("subscribe", channel=CHAT)
        await bob.ok("subscribe", channel=CHAT)
        for i in range(3):
            await log.publish(CHAT, "chat.message", {"text": f"a{i}"})
        seen = await alice.wait_events(CHAT, 3)
        await bob.wait_events(CHAT, 3)
        await alice.ok("unsubscribe", channel=CHAT)
        for i in range(3):
            await log.publish(CHAT, "chat.message", {"text": f"b{i}"})
        await bob.wait_events(CHAT, 6)  # bob, still subscribed, got them: alice's are in flight or not
        await asyncio.sleep(0.2)
        assert len([e for e in alice.events if e["channel"] == CHAT]) == 3
        sub = await alice.ok("subscribe", channel=CHAT, epoch=seen[-1]["epoch"], offset=seen[-1]["offset"])
        assert [e["offset"] for e in sub["events"]] == [4, 5, 6]
        # a second subscribe while live (a client unsure of its state) must not double anything
        again = await alice.ok("subscribe", channel=CHAT, epoch=seen[-1]["epoch"], offset=6)
        assert again["events"] == [] and again["recovered"] is True
        for i in range(3):
            await log.publish(CHAT, "chat.message", {"text": f"c{i}"})
        live = await alice.wait_events(CHAT, 6)
        await asyncio.sleep(0.2)
        assert [e["offset"] for e in alice.events if e["channel"] == CHAT] == [1, 2, 3, 7, 8, 9]
        assert [e["offset"] for e in live][-3:] == [7, 8, 9]
        assert [e["offset"] for e in await bob.wait_events(CHAT, 9)] == list(range(1, 10))


async def test_clients_of_both_codecs_on_one_channel_get_every_event_once(
    redis: Redis, hub: HubProcess
) -> None:
    tokens = await seed(redis)
    log = ChannelLog(redis)
    async with (
        connect(hub.ws_url, tokens["p1"]) as js,
        connect(hub.ws_url, tokens["p2"], "plenary.v1.msgpack") as mp,
        connect(hub.ws_url, tokens["mod"], "plenary.v1.msgpack") as mp2,
    ):
        for c in (js, mp, mp2):
            await c.ok("subscribe", channel="meeting/m1/agenda")
        for i in range(20):
            await log.publish("meeting/m1/agenda", "agenda.note", {"i": i})
        for c in (js, mp, mp2):
            got = await c.wait_events("meeting/m1/agenda", 20)
            await asyncio.sleep(0.1)
            assert [e["offset"] for e in c.events] == list(range(1, 21))
            assert [e["data"]["i"] for e in got] == list(range(20))


async def test_the_documented_python_client_recovers_a_whole_history_in_parts(
    redis: Redis, hub: HubProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/protocol.md §12's client, run as written: 1,000 messages behind, it prints every one
    of them once, in order, and no fresh start."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
    section = doc[doc.index("## 12. A complete client") :]
    start = section.index("```python\n") + len("```python\n")
    source = section[start : section.index("\n```", start)]
    namespace: dict[str, Any] = {"__name__": "doc_client"}
    exec(compile(source, "docs/protocol.md §12", "exec"), namespace)
    tokens = await seed(redis)
    epoch, top = await publish_history(redis)
    late = SPECS["chat"].history
    follower = namespace["Follower"](hub.ws_url, tokens["p1"], CHAT)
    follower.epoch, follower.last = epoch, top - late
    task = asyncio.create_task(follower.session())
    try:
        deadline = time.monotonic() + 20
        while follower.last != top and time.monotonic() < deadline and not task.done():
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    out = capsys.readouterr().out.splitlines()
    printed = [int(line.split()[0]) for line in out if line.split()[0].isdigit()]
    assert printed == list(range(top - late + 1, top + 1))
    assert not any(line.startswith("-- (re)started") for line in out)
