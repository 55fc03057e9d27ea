"""Chat moderation through two real hub processes: a delete or a mute made on one hub holds on the
other at once; slow mode, the word filter, the link policy and reports."""

from __future__ import annotations

from redis.asyncio import Redis

from engine.channels import ChannelLog
from moderation import chat_admin
from moderation.meetings import MeetingInfo, Meetings
from tests.support import HubProcess, connect, seed, whole_chat_record

CHAT = "meeting/m1/chat"
STAFF = "meeting/m1/staff"


async def test_delete_on_hub_a_hides_the_message_for_clients_on_hub_b(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = hubs
    async with (
        connect(b.ws_url, tokens["p1"]) as author,
        connect(b.ws_url, tokens["p2"], "plenary.v1.msgpack") as reader,
        connect(a.ws_url, tokens["mod"]) as mod,
    ):
        await reader.ok("subscribe", channel=CHAT)
        sent = await author.ok("chat.send", meeting="m1", text="지울 메시지")
        await author.ok("chat.send", meeting="m1", text="남길 메시지")
        deleted = await mod.ok("chat.delete", meeting="m1", offset=sent["offset"], reason="off topic")
        assert deleted == {"offset": sent["offset"], "deleted": True, "changed": True}
        got = await reader.wait_events(CHAT, 3)
        assert got[-1]["event"] == "chat.deleted"
        assert got[-1]["data"]["offset"] == sent["offset"] and got[-1]["data"]["by"]["id"] == "mod"
        again = await mod.ok("chat.delete", meeting="m1", offset=sent["offset"])
        assert again["changed"] is False
        for offset, name in ((2 + 1, "unknown_message"), (99, "unknown_message")):
            assert (await mod.call("chat.delete", meeting="m1", offset=offset))["name"] == name
        assert (await author.call("chat.delete", meeting="m1", offset=2))["name"] == "forbidden"

    # A late joiner on hub B gets the message and its deletion in the backlog: it never shows it.
    async with connect(b.ws_url, tokens["p2"]) as late:
        sub = await late.ok("subscribe", channel=CHAT)
        hidden = {e["data"]["offset"] for e in sub["events"] if e["event"] == "chat.deleted"}
        shown = [
            e["data"]["text"]
            for e in sub["events"]
            if e["event"] == "chat.message" and e["offset"] not in hidden
        ]
        assert shown == ["남길 메시지"]
    # The record keeps it, with who deleted it, for the audit.
    audit = await chat_admin.deleted(ChannelLog(redis), "m1")
    assert audit[sent["offset"]]["by"]["id"] == "mod" and audit[sent["offset"]]["reason"] == "off topic"
    record = await whole_chat_record(ChannelLog(redis), "m1", staff=True)
    assert [m["text"] for m in record] == ["지울 메시지", "남길 메시지"] and "deleted" in record[0]
    assert [m["text"] for m in await whole_chat_record(ChannelLog(redis), "m1", staff=False)] == [
        "남길 메시지"
    ]


async def test_mute_and_ban_made_on_one_hub_hold_on_the_other_at_once(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = hubs
    async with connect(a.ws_url, tokens["p1"]) as p1, connect(b.ws_url, tokens["host"]) as host:
        await p1.ok("subscribe", channel=CHAT)
        muted = await host.ok("chat.mute", meeting="m1", participant="p1", minutes=5)
        assert muted["muted_ms"] > 290_000 and muted["banned"] is False
        err = await p1.call("chat.send", meeting="m1", text="hello")
        assert (err["name"], err["retryable"]) == ("muted", True) and err["retry_after_ms"] > 290_000
        [ev] = await p1.wait_events(CHAT, 1)
        assert ev["event"] == "chat.muted" and ev["data"]["participant"] == "p1"
        assert (await p1.ok("chat.status", meeting="m1"))["muted_ms"] > 0

        await host.ok("chat.ban", meeting="m1", participant="p1")
        assert (await p1.call("chat.send", meeting="m1", text="hello"))["name"] == "banned"
        lifted = await host.ok("chat.unmute", meeting="m1", participant="p1")
        assert lifted["changed"] is True and lifted["banned"] is False
        assert (await host.ok("chat.unmute", meeting="m1", participant="p1"))["changed"] is False
        await p1.ok("chat.send", meeting="m1", text="back again")

        for who, name in (("mod", "forbidden"), ("host", "forbidden"), ("nobody", "unknown_participant")):
            assert (await host.call("chat.mute", meeting="m1", participant=who, minutes=1))["name"] == name
        assert (await host.call("chat.mute", meeting="m1", participant="p1", minutes=0))[
            "name"
        ] == "bad_field"


async def test_slow_mode_word_filter_and_link_policy(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = hubs
    async with (
        connect(a.ws_url, tokens["p1"]) as p1,
        connect(b.ws_url, tokens["p1"]) as p1_elsewhere,
        connect(b.ws_url, tokens["mod"]) as mod,
    ):
        masked = await p1.ok("chat.send", meeting="m1", text="이 씨발 정책 and this shit")
        link = await p1.call("chat.send", meeting="m1", text="보세요 https://example.com/x")
        assert link["name"] == "link_not_allowed"
        await p1.ok("chat.send", meeting="m1", text="시청 안내 https://news.seoul.go.kr/traffic")
        await mod.ok("chat.send", meeting="m1", text="자료: https://example.com/report.pdf")

        settings = await mod.ok("chat.settings", meeting="m1", slow_mode=30)
        assert (settings["slow_mode"], settings["links"]) == (30, "staff")
        await p1.ok("chat.send", meeting="m1", text="first under slow mode")
        err = await p1_elsewhere.call("chat.send", meeting="m1", text="too soon, other hub")
        assert (err["name"], err["retryable"]) == ("slow_mode", True) and 0 < err["retry_after_ms"] <= 30_000
        await mod.ok("chat.send", meeting="m1", text="moderators are not slowed")
        await mod.ok("chat.settings", meeting="m1", slow_mode=0, links="block")
        assert (await p1.ok("chat.status", meeting="m1"))["links"] == "block"
        assert (await mod.call("chat.send", meeting="m1", text="www.example.com"))[
            "name"
        ] == "link_not_allowed"

        sub = await mod.ok("subscribe", channel=CHAT)
        by_offset = {e["offset"]: e for e in sub["events"]}
        assert by_offset[masked["offset"]]["data"]["text"] == "이 ** 정책 and this ****"
        assert by_offset[masked["offset"]]["data"]["masked"] is True
    # The backlog is messages only (a late joiner asks chat.status); the events are in the archive.
    settings_events = [e.data for e in await ChannelLog(redis).archive(CHAT) if e.type == "chat.settings"]
    assert [d["slow_mode"] for d in settings_events] == [30, 0]


async def test_reports_reach_the_desk_and_close_when_dismissed_or_deleted(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = hubs
    async with (
        connect(a.ws_url, tokens["p1"]) as p1,
        connect(a.ws_url, tokens["p2"]) as p2,
        connect(b.ws_url, tokens["mod"]) as mod,
    ):
        await mod.ok("subscribe", channel=STAFF)
        one = await p1.ok("chat.send", meeting="m1", text="광고: 싸게 팝니다")
        two = await p1.ok("chat.send", meeting="m1", text="그냥 의견")
        assert (await p2.ok("chat.report", meeting="m1", offset=one["offset"], reason="spam"))["reports"] == 1
        assert (await p2.ok("chat.report", meeting="m1", offset=one["offset"], reason="spam"))["reports"] == 1
        await p2.ok("chat.report", meeting="m1", offset=two["offset"], reason="other", note="?")
        assert (await p2.call("chat.report", meeting="m1", offset=99, reason="spam"))[
            "name"
        ] == "unknown_message"
        assert (await p2.call("chat.report", meeting="m1", offset=1, reason="rude"))["name"] == "bad_field"
        await mod.wait_events(STAFF, 2)
        await mod.ok("chat.delete", meeting="m1", offset=one["offset"])
        await mod.ok("chat.dismiss_report", meeting="m1", offset=two["offset"])
        assert (await mod.call("chat.dismiss_report", meeting="m1", offset=two["offset"]))[
            "name"
        ] == "unknown_message"
        got = await mod.wait_events(STAFF, 4)
        assert [e["event"] for e in got] == [
            "chat.reported",
            "chat.reported",
            "chat.report_closed",
            "chat.report_closed",
        ]
        assert got[0]["data"]["report"]["text"] == "광고: 싸게 팝니다"
        desk = await mod.ok("subscribe", channel=STAFF)
        assert not any(k.startswith("report:") for k in desk["snapshot"])


async def test_a_closed_chat_refuses_every_message_on_every_hub_and_stores_none(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    """``MeetingInfo.chat_open`` off: ``chat.send`` answers ``chat_closed`` to panelists and staff alike
    (``moderation.chat.check_open``), nothing reaches the channel, and the connection goes on."""
    tokens = await seed(redis)
    await Meetings(redis).put(MeetingInfo(id="m1", title="Meeting one", chat_open=False))
    a, b = hubs
    async with connect(a.ws_url, tokens["p1"]) as author, connect(b.ws_url, tokens["host"]) as host:
        for who in (author, host):
            res = await who.call("chat.send", meeting="m1", text="안녕하세요")
            assert res["name"] == "chat_closed", res
        assert (await author.ok("subscribe", channel=CHAT))["events"] == []
        assert "slow_mode" in await author.ok("chat.status", meeting="m1")  # still connected
    assert await whole_chat_record(ChannelLog(redis), "m1", staff=True) == []
