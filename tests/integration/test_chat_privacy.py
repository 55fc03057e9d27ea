"""A deleted chat message is gone for every later reader, on every hub (issue 9): new subscribers,
recovering clients and the public record never get its text; only the moderators' audit keeps it.
And a late joiner's backlog is the last visible messages, however much moderation came after."""

from __future__ import annotations

import json

import httpx
from redis.asyncio import Redis

from engine import keys
from engine.channels import SPECS, ChannelLog
from moderation import chat, chat_admin
from tests.support import HubProcess, connect, seed

CHAT = "meeting/m1/chat"
PHONE = "010-4821-7736"
MOD = chat_admin.Actor("mod", "Moderator", "moderator")


async def test_a_deleted_message_reaches_no_later_reader_on_any_hub(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = hubs
    async with (
        connect(a.ws_url, tokens["p1"]) as author,
        connect(b.ws_url, tokens["p2"]) as reader,
        connect(a.ws_url, tokens["mod"]) as mod,
    ):
        before = await reader.ok("subscribe", channel=CHAT)
        await author.ok("chat.send", meeting="m1", text="안녕하세요")
        sent = await author.ok("chat.send", meeting="m1", text=f"제 번호는 {PHONE} 입니다")
        await author.ok("chat.send", meeting="m1", text="그다음 메시지")
        await reader.ok("unsubscribe", channel=CHAT)
        await mod.ok("chat.delete", meeting="m1", offset=sent["offset"], reason="personal_info")

    # The raw keys: the text is in neither the history nor the archive, only in the staff audit.
    for key in (keys.channel_keys(CHAT).hist, keys.channel_keys(CHAT).log):
        entries = await redis.lrange(key, 0, -1)
        assert entries and not any(PHONE.encode() in bytes(e) for e in entries), key
    archived = await ChannelLog(redis).archive(CHAT)
    assert [e.offset for e in archived] == list(range(1, len(archived) + 1))  # no holes
    tomb = archived[sent["offset"] - 1]
    assert (tomb.offset, tomb.type, tomb.data) == (sent["offset"], chat.REMOVED, {})
    audit = await chat_admin.deleted(ChannelLog(redis), "m1")
    assert PHONE in audit[sent["offset"]]["message"]["text"]
    assert audit[sent["offset"]]["message"]["author"]["id"] == "p1"

    async with (
        connect(b.ws_url, tokens["p2"]) as late,
        connect(b.ws_url, tokens["p2"], "plenary.v1.msgpack") as back,
    ):
        # A new subscriber on the other hub.
        fresh = await late.ok("subscribe", channel=CHAT)
        assert PHONE not in json.dumps(fresh, ensure_ascii=False)
        shown = [(e["event"], e["data"].get("text")) for e in fresh["events"]]
        assert shown == [(chat.EVENT, "안녕하세요"), (chat.REMOVED, None), (chat.EVENT, "그다음 메시지")]
        # A client recovering from before the message, event by event.
        rec = await back.ok("subscribe", channel=CHAT, epoch=before["epoch"], offset=before["offset"])
        assert rec["recovered"] is True
        assert PHONE not in json.dumps(rec, ensure_ascii=False)
        by_offset = {e["offset"]: e for e in rec["events"]}
        assert by_offset[sent["offset"]]["event"] == chat.REMOVED
        assert by_offset[sent["offset"]]["data"] == {}
        assert any(e["event"] == "chat.deleted" for e in rec["events"])

    # The HTTP record: panelists never see it; moderators see it marked, from the audit.
    async with httpx.AsyncClient(base_url=b.url) as http:
        mine = await http.get("/api/meetings/m1/chat", headers={"Authorization": f"Bearer {tokens['p2']}"})
        assert mine.status_code == 200 and PHONE not in mine.text
        staff = await http.get("/api/meetings/m1/chat", headers={"Authorization": f"Bearer {tokens['mod']}"})
        [shown] = [m for m in staff.json()["messages"] if m["offset"] == sent["offset"]]
        assert PHONE in shown["text"] and shown["deleted"]["by"]["id"] == "mod"

    # Deleting again changes nothing and still knows the message; a tombstone is no message to report.
    again, message = await chat_admin.delete(ChannelLog(redis), "m1", sent["offset"], MOD)
    assert again is None and PHONE in message["text"]
    assert (await ChannelLog(redis).recover(CHAT, None, None)).offset == sent["offset"] + 2


async def test_late_joiner_gets_the_last_visible_messages_after_heavy_moderation(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    log = ChannelLog(redis)
    n = SPECS["chat"].backlog
    posted = [await log.publish(CHAT, chat.EVENT, {"text": f"m{i}"}) for i in range(n + 20)]
    deleted = {posted[-1].offset, posted[-5].offset, posted[-30].offset}
    for offset in sorted(deleted):
        await chat_admin.delete(log, "m1", offset, MOD)
    for i in range(150):  # moderation activity after the messages: mutes, lifts, settings
        if i % 3 == 2:
            await chat_admin.configure(log, "m1", i % 2 * 5, None)
        else:
            await chat_admin.restrict(log, "m1", "p2", "mute" if i % 3 == 0 else "lift", 1)
    visible = [p.offset for p in posted if p.offset not in deleted][-n:]

    _a, b = hubs
    async with connect(b.ws_url, tokens["p1"]) as late:
        sub = await late.ok("subscribe", channel=CHAT)
    assert sub["recovered"] is False
    messages = [e["offset"] for e in sub["events"] if e["event"] == chat.EVENT]
    assert messages == visible
    # The tombstones among them come along (pages mark the place), without text and without counting.
    tombstones = [e for e in sub["events"] if e["event"] == chat.REMOVED]
    assert {e["offset"] for e in tombstones} == deleted and all(e["data"] == {} for e in tombstones)
    assert len(sub["events"]) == n + len(deleted)
    assert sub["offset"] == posted[-1].offset + len(deleted) + 150
