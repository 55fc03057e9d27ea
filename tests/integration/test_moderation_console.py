"""What the moderators' console loads on every (re)connect (``chat.moderation``), over two real hub
processes on the real embedded Redis: the restrictions in force, read from the keys the send script
enforces, and the deleted messages with their text from the audit. Issue 9 took both out of the
chat backlog (moderation events and deleted text no longer come in it), so a reloaded console had
lost them. Staff only: a panelist never gets deleted text or another panelist's restriction record.
"""

from __future__ import annotations

import asyncio
import json
import time

from redis.asyncio import Redis

from engine.channels import ChannelLog
from moderation import chat, chat_admin
from tests.cluster import both_servers
from tests.support import HubProcess, connect, seed, whole_chat_record

redis_url = both_servers  # on a Redis Cluster too: its restriction read once sent a keyless TIME in MULTI

CHAT = "meeting/m1/chat"
PHONE = "010-9517-3486"


async def test_a_reloaded_console_gets_every_restriction_and_deletion_from_the_hub(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = hubs
    async with (
        connect(a.ws_url, tokens["p1"]) as p1,
        connect(a.ws_url, tokens["mod"]) as mod,
        connect(b.ws_url, tokens["host"]) as host,
    ):
        empty = await mod.ok("chat.moderation", meeting="m1")
        assert empty == {"restrictions": [], "deleted": [], "older": False}
        # Bad input: a coded error, and the connection goes on.
        for fields, name in (
            ({"meeting": "m1", "before": 0}, "bad_field"),
            ({"meeting": "m1", "before": "x"}, "bad_field"),
            ({"meeting": "nope"}, "unknown_meeting"),
        ):
            err = await mod.call("chat.moderation", **fields)
            assert (err["type"], err["name"]) == ("error", name), fields

        sent = await p1.ok("chat.send", meeting="m1", text=f"제 번호 {PHONE}")
        await p1.ok("chat.send", meeting="m1", text="남는 메시지")
        await mod.ok("chat.delete", meeting="m1", offset=sent["offset"], reason="personal_info")
        before = int(time.time() * 1000)
        await mod.ok("chat.mute", meeting="m1", participant="p1", minutes=5)
        await host.ok("chat.ban", meeting="m1", participant="p2")
        # The chat's backlog is its visible messages: no restriction event comes in it.
        for i in range(3):
            await mod.ok("chat.send", meeting="m1", text=f"안내 {i}")

    # A console that comes back, on the other hub: everything is there, by whom and until when.
    async with connect(b.ws_url, tokens["mod"]) as console:
        sub = await console.ok("subscribe", channel=CHAT)
        assert not any(e["event"] in ("chat.muted", "chat.banned") for e in sub["events"])
        got = await console.ok("chat.moderation", meeting="m1")
    muted, banned = got["restrictions"]
    assert (muted["participant"], muted["name"], muted["kind"]) == ("p1", "패널 하나", "mute")
    assert muted["by"] == {"id": "mod", "name": "Moderator", "role": "moderator"}
    assert before + 290_000 < muted["until"] <= int(time.time() * 1000) + 300_000
    assert 290_000 < muted["muted_ms"] <= 300_000 and muted["at"] >= before
    assert (banned["participant"], banned["name"], banned["kind"]) == ("p2", "패널 둘", "ban")
    assert (banned["until"], banned["muted_ms"], banned["by"]["id"]) == (0, 0, "host")
    [gone] = got["deleted"]
    assert (gone["offset"], gone["text"], gone["author"]["id"]) == (sent["offset"], f"제 번호 {PHONE}", "p1")
    assert gone["deleted"]["by"]["id"] == "mod" and gone["deleted"]["reason"] == "personal_info"
    assert gone["deleted"]["at"] >= before - 5_000

    # The list follows the keys chat_send.lua reads: a lifted ban or a mute that ran out is gone.
    async with connect(a.ws_url, tokens["host"]) as host:
        await host.ok("chat.unmute", meeting="m1", participant="p2")
        await redis.pexpire(chat.restriction_key("m1", "p1"), 1)
        await asyncio.sleep(0.05)
        assert (await host.ok("chat.moderation", meeting="m1"))["restrictions"] == []
        async with connect(b.ws_url, tokens["p1"]) as p1:
            await p1.ok("chat.send", meeting="m1", text="다시 쓸 수 있어요")
        # Muted again: listed again, with the new moderator and time.
        await host.ok("chat.mute", meeting="m1", participant="p1", minutes=1)
        [again] = (await host.ok("chat.moderation", meeting="m1"))["restrictions"]
        assert (again["participant"], again["kind"], again["by"]["id"]) == ("p1", "mute", "host")
        assert 50_000 < again["muted_ms"] <= 60_000


async def test_the_console_query_is_staff_only_and_panelists_never_get_deleted_text(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = hubs
    async with (
        connect(a.ws_url, tokens["p1"]) as p1,
        connect(b.ws_url, tokens["p2"]) as p2,
        connect(b.ws_url, tokens["mod"]) as mod,
    ):
        await p1.ok("subscribe", channel=CHAT)
        sent = await p2.ok("chat.send", meeting="m1", text=f"연락 주세요 {PHONE}")
        await p1.wait_events(CHAT, 1)  # p1 was reading when it was posted
        since = len(p1.frames)
        await mod.ok("chat.delete", meeting="m1", offset=sent["offset"], reason="개인정보")
        await mod.ok("chat.mute", meeting="m1", participant="p2", minutes=10)
        await p1.wait_events(CHAT, 3)  # the message, its deletion, the mute

        for role in ("p1", "obs", "ops", "clerk"):
            async with connect(a.ws_url, tokens[role]) as other:
                err = await other.call("chat.moderation", meeting="m1")
                assert (err["type"], err["name"]) == ("error", "forbidden"), role
        # A panelist's own status holds their own standing only.
        status = await p1.ok("chat.status", meeting="m1")
        assert set(status) == {"slow_mode", "links", "muted_ms", "banned"}
        assert (status["muted_ms"], status["banned"]) == (0, False)
        mine = await p2.ok("chat.status", meeting="m1")
        assert mine["muted_ms"] > 590_000 and set(mine) == set(status)
        # After a reload: a fresh subscribe and the status. In nothing p1 received after the
        # deletion: the deleted text, or who restricted p2.
        await p1.ok("unsubscribe", channel=CHAT)
        fresh = await p1.ok("subscribe", channel=CHAT)
        assert [e["event"] for e in fresh["events"]] == [chat.REMOVED]
        assert PHONE not in json.dumps(p1.frames[since:], ensure_ascii=False)
        [mute_event] = [e for e in p1.events if e["event"] == "chat.muted"]
        assert mute_event["data"].keys() == {"participant", "until"}
        # The moderator gets it all.
        got = await mod.ok("chat.moderation", meeting="m1")
        assert PHONE in got["deleted"][0]["text"] and got["restrictions"][0]["participant"] == "p2"


async def test_deleted_messages_come_in_pages_within_the_frame_budget(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    """Many long deleted messages: each reply stays within the hub's 64 KiB frame budget, and the
    pages (``before`` the oldest offset given) hold every deletion once, newest page first, each
    shaped as a deleted message of the staff chat record."""
    tokens = await seed(redis)
    log = ChannelLog(redis)
    mod = chat_admin.Actor("mod", "Moderator", "moderator")
    long_text = "가" * chat.MAX_CHARS  # 1,500 bytes in UTF-8
    offsets = [(await log.publish(CHAT, chat.EVENT, {"text": f"{i} {long_text}"})).offset for i in range(120)]
    for offset in offsets:
        await chat_admin.delete(log, "m1", offset, mod, "test")
    staff_record = {r["offset"]: r for r in await whole_chat_record(log, "m1", staff=True)}

    pages = []
    async with connect(hubs[1].ws_url, tokens["mod"]) as console:
        fields: dict[str, object] = {}
        while True:
            await console.ok("chat.moderation", meeting="m1", **fields)
            frame = next(f for f in reversed(console.frames) if f.get("type") == "reply")
            assert len(json.dumps(frame, ensure_ascii=False).encode()) < 64 * 1024
            page = frame["result"]
            pages.append(page["deleted"])
            if not page["older"]:
                break
            fields = {"before": page["deleted"][0]["offset"]}
    assert len(pages) > 1
    seen = [d["offset"] for page in reversed(pages) for d in page]
    assert seen == offsets
    for page in pages:
        for d in page:
            assert {k: v for k, v in staff_record[d["offset"]].items() if k != "time"} == d
    # The pure page rule: a budget too small for one message still gives one.
    one, more = await chat_admin.deleted_messages(log, "m1", budget=1)
    assert [d["offset"] for d in one] == offsets[-1:] and more is True
