"""The live tables over two real hubs and Redis (issue 15): a seated panelist follows their own
table only; the table's discussion crosses hubs and marks who has spoken; the host's step reaches
every table with one end time; a facilitator's flag and the tables' cards reach the hosts'
overview (one channel for all tables); a notice reaches every table; bad input gets stable codes."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from engine import keys
from engine.channels import ChannelLog
from engine.roles import Role
from panel.roster import Participant
from tables import live, seating_store
from tables.model import Seating
from tests.support import HubProcess, connect, seed

PEOPLE = [
    Participant(id="f1", name="진행 하나", role=Role.FACILITATOR, meetings=["m1"]),
    Participant(id="p4", name="패널 넷", role=Role.PANELIST, meetings=["m1"]),
]
SEATING = Seating(session="m1", seed=7, tables=(("p1", "p4"), ("p2",)))
T1, T2, OVERVIEW = keys.meeting_table("m1", 1), keys.meeting_table("m1", 2), keys.meeting_tables("m1")


async def seated(redis: Redis) -> dict[str, str]:
    tokens = await seed(redis, PEOPLE)
    await seating_store.save_seating(redis, SEATING)
    return tokens


async def test_a_panelist_follows_their_own_table_only(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    a, b = hubs
    tokens = await seated(redis)
    async with (
        connect(a.ws_url, tokens["p1"]) as p1,
        connect(b.ws_url, tokens["f1"]) as f1,
        connect(a.ws_url, tokens["host"]) as host,
        connect(b.ws_url, tokens["p3"]) as p3,
    ):
        await p1.ok("subscribe", channel=T1)
        refused = {
            "not_at_table": await p1.call("subscribe", channel=T2),
            "no_such_table": await host.call("subscribe", channel=keys.meeting_table("m1", 3)),
            "not_a_member": await p3.call("subscribe", channel=T1),
            "forbidden": await host.call("subscribe", channel=keys.meeting_cards("m2"))
            if False
            else await p1.call("subscribe", channel=OVERVIEW),
        }
        for code, msg in refused.items():
            assert msg["type"] == "error" and msg["name"] == code, (code, msg)
        # a facilitator with no table follows none; with table 2, table 2 only
        assert (await f1.call("subscribe", channel=T1))["name"] == "not_at_table"
        await host.ok("table.facilitator", meeting="m1", table=2, participant="f1")
        await f1.ok("subscribe", channel=T2)
        assert (await f1.call("subscribe", channel=T1))["name"] == "not_at_table"
        # talking: at one's own table only
        assert (await p1.call("table.say", meeting="m1", table=2, text="옆 테이블"))["name"] == "not_at_table"
        assert (await host.call("table.say", meeting="m1", table=1, text="호스트"))["name"] == "forbidden"
        await host.ok("subscribe", channel=T1)  # staff follow every table


async def test_discussion_step_flag_and_notice_cross_hubs(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    a, b = hubs
    tokens = await seated(redis)
    async with (
        connect(a.ws_url, tokens["p1"]) as p1,
        connect(b.ws_url, tokens["p4"]) as p4,
        connect(b.ws_url, tokens["f1"]) as f1,
        connect(a.ws_url, tokens["host"]) as host,
    ):
        await host.ok("table.facilitator", meeting="m1", table=1, participant="f1")
        for c in (p1, p4, f1):
            await c.ok("subscribe", channel=T1)
        await host.ok("subscribe", channel=OVERVIEW)
        view = await f1.ok("table.get", meeting="m1")
        assert view["table"] == 1 and view["not_spoken"] == ["p1", "p4"] and view["step"] is None
        assert [m["name"] for m in view["members"]] == ["패널 하나", "패널 넷"]
        said = await p1.ok("table.say", meeting="m1", table=1, text="안녕하세요 \u202e")
        assert said["channel"] == T1
        [msg] = [e for e in await p4.wait_events(T1, 1) if e["event"] == "table.message"]
        assert msg["data"]["text"] == "안녕하세요" and msg["data"]["author"]["id"] == "p1"
        assert (await f1.ok("table.get", meeting="m1"))["not_spoken"] == ["p4"]
        # the host's step: every table, one end time
        before = int(time.time() * 1000)
        step = (await host.ok("table.step", meeting="m1", title="문제 나누기", seconds=600))["step"]
        assert step["n"] == 1 and step["ends_at"] == step["starts_at"] + 600_000 >= before + 600_000
        got = [e for e in await p4.wait_events(T1, 2) if e["event"] == "table.step"]
        assert got[0]["data"] == step
        assert (await host.ok("table.step", meeting="m1", title="아이디어", seconds=300))["step"]["n"] == 2
        # a card and a flag: the hosts' overview shows table 1's record
        await f1.ok("table.card", meeting="m1", table=1, text="버스 노선 확대")
        await f1.ok("table.flag", meeting="m1", table=1, reason="토론이 멈췄어요")
        records = [e["data"] for e in await host.wait_events(OVERVIEW, 5) if e["event"] == "table.overview"]
        last = records[-1]
        assert (last["table"], last["step"], last["cards"], last["flag"], last["flag_by"]) == (
            1,
            2,
            1,
            "토론이 멈췄어요",
            "f1",
        )
        assert (await f1.ok("table.flag", meeting="m1", table=1, raised=False))["flag"] == ""
        # a fresh hosts' page gets every table's record and the step in one snapshot
        async with connect(b.ws_url, tokens["host"]) as page:
            snap = (await page.ok("subscribe", channel=OVERVIEW))["snapshot"]
            assert snap["step"]["n"] == 2 and snap["t:1"]["flag"] == "" and snap["t:1"]["cards"] == 1
        # a notice reaches every table
        sent = await host.ok("table.notice", meeting="m1", text="5분 남았습니다")
        assert sent == {"text": "5분 남았습니다", "tables": 2}
        notes = [e for e in await f1.wait_events(T1, 5) if e["event"] == "table.notice"]
        assert notes and notes[-1]["data"]["text"] == "5분 남았습니다"
        # bad input: stable codes, nothing stored
        bad = {
            "bad_step": await host.call("table.step", meeting="m1", title=" ", seconds=600),
            "bad_flag": await f1.call("table.flag", meeting="m1", table=1, reason=""),
            "bad_notice": await host.call("table.notice", meeting="m1", text="가" * 301),
            "empty_message": await p1.call("table.say", meeting="m1", table=1, text="\u200b"),
        }
        for code, msg in bad.items():
            assert msg["type"] == "error" and msg["name"] == code, (code, msg)
        assert (await host.call("table.step", meeting="m1", title="짧음", seconds=5))["name"] == "bad_step"
        assert (await host.ok("table.get", meeting="m1", table=1))["step"]["n"] == 2


async def test_a_reseat_moves_open_pages_at_once(redis: Redis, hubs: tuple[HubProcess, HubProcess]) -> None:
    """A new seating (what ``plenary tables reseat`` stores) reaches every open page as one
    ``table.seating`` event naming no one; a moved panelist's page asks for its table with the
    event's ``at`` and gets the new one at once, though its hub read the old seating a moment ago
    (the 2-second cache); the facilitator's view and the hosts' overview follow too."""
    a, b = hubs
    tokens = await seated(redis)
    seating_ch = keys.meeting_seating("m1")
    async with (
        connect(a.ws_url, tokens["p1"]) as p1,
        connect(b.ws_url, tokens["p2"]) as p2,
        connect(b.ws_url, tokens["f1"]) as f1,
        connect(a.ws_url, tokens["host"]) as host,
    ):
        await host.ok("table.facilitator", meeting="m1", table=1, participant="f1")
        for c in (p1, p2, f1):
            await c.ok("subscribe", channel=seating_ch)
        await p1.ok("subscribe", channel=T1)
        await host.ok("subscribe", channel=OVERVIEW)
        before = await p1.ok("table.get", meeting="m1")  # hub a now holds the old seating
        assert before["table"] == 1 and before["seating_at"] > 0
        assert [m["id"] for m in (await f1.ok("table.get", meeting="m1"))["members"]] == ["p1", "p4"]
        # the reseat: p1 moves to table 2, p4 stays
        moved = Seating(session="m1", seed=7, tables=(("p4",), ("p1", "p2")))
        stored = await live.seat(ChannelLog(redis), moved)
        for c in (p1, p2, f1):
            [news] = [e for e in await c.wait_events(seating_ch, 1) if e["event"] == "table.seating"]
            assert news["data"] == {"meeting": "m1", "at": stored.created_ms, "tables": 2, "seated": 3}
        at = stored.created_ms
        assert at > before["seating_at"]
        now = await p1.ok("table.get", meeting="m1", seating_at=at)
        assert (now["table"], now["seating_at"], now["channel"]) == (2, at, T2)
        assert [m["id"] for m in now["members"]] == ["p1", "p2"]  # their own table only
        await p1.ok("subscribe", channel=T2)
        assert (await p1.call("subscribe", channel=T1))["name"] == "not_at_table"
        # the facilitator of table 1 sees who sits there now; p2's page learns only its own table
        fac = await f1.ok("table.get", meeting="m1", seating_at=at)
        assert [m["id"] for m in fac["members"]] == ["p4"] and fac["not_spoken"] == ["p4"]
        assert (await p2.ok("table.get", meeting="m1", seating_at=at))["table"] == 2
        # the hosts' overview: the event and its state (a page that comes back)
        [seen] = [e for e in await host.wait_events(OVERVIEW, 1) if e["event"] == "table.seating"]
        assert seen["data"]["tables"] == 2
        async with connect(b.ws_url, tokens["p4"]) as page:
            snap = (await page.ok("subscribe", channel=seating_ch))["snapshot"]
            assert snap["seating"]["at"] == at
        # who may follow the news: not a member of the meeting, nor a themer's role
        async with connect(a.ws_url, tokens["p3"]) as p3:
            assert (await p3.call("subscribe", channel=seating_ch))["name"] == "not_a_member"
        assert (await p1.call("table.get", meeting="m1", seating_at=-1))["name"] == "bad_field"
