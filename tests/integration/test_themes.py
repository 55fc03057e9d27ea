"""The theme team over two real hubs and Redis (issue 15): a facilitator's cards reach the theme
console on the other hub; the team groups them (suggest, accept, drag, merge) and publishes; the
published themes reach a panelist and the stream overlay; drafts stay the team's; a theme becomes
a poll with its options' provenance and a proposal whose ballot item names the theme, its cards and
their tables; bad input gets stable codes and stores nothing."""

from __future__ import annotations

import csv
import io

import httpx
from redis.asyncio import Redis

from engine import keys
from engine.roles import Role
from panel.roster import Participant
from tables import seating_store
from tables.model import Seating
from tests.support import HubProcess, connect, seed

PEOPLE = [
    Participant(id="f1", name="진행 하나", role=Role.FACILITATOR, meetings=["m1"]),
    Participant(id="f2", name="진행 둘", role=Role.FACILITATOR, meetings=["m1"]),
    Participant(id="th", name="주제팀 한결", role=Role.THEMER, meetings=["m1"]),
]
SEATING = Seating(session="m1", seed=7, tables=(("p1",), ("p2",)))
CARDS, DRAFTS, THEMES = keys.meeting_cards("m1"), keys.meeting_theme_drafts("m1"), keys.meeting_themes("m1")


async def ready(redis: Redis) -> dict[str, str]:
    tokens = await seed(redis, PEOPLE)
    await seating_store.save_seating(redis, SEATING)
    return tokens


async def test_cards_to_themes_to_every_table_across_hubs(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    a, b = hubs
    tokens = await ready(redis)
    async with (
        connect(a.ws_url, tokens["host"]) as host,
        connect(a.ws_url, tokens["f1"]) as f1,
        connect(a.ws_url, tokens["f2"]) as f2,
        connect(b.ws_url, tokens["th"]) as team,
        connect(a.ws_url, tokens["p1"]) as p1,
        connect(b.ws_url, tokens["host"]) as overlay,
    ):
        await host.ok("table.facilitator", meeting="m1", table=1, participant="f1")
        await host.ok("table.facilitator", meeting="m1", table=2, participant="f2")
        await team.ok("subscribe", channel=CARDS)
        await team.ok("subscribe", channel=DRAFTS)
        await p1.ok("subscribe", channel=THEMES)
        await overlay.ok("subscribe", channel=keys.overlay("m1"))
        # the drafts are the team's: a panelist may not follow them
        assert (await p1.call("subscribe", channel=DRAFTS))["name"] == "forbidden"
        posted = [
            (f1, 1, "버스 배차 간격을 줄여 주세요"),
            (f2, 2, "마을버스 배차 간격이 너무 길다"),
            (f1, 1, "어린이집 대기"),
            (f2, 2, "국공립 어린이집 대기 기간이 길어요"),
            (f1, 1, "자전거 도로를 늘려 주세요"),
        ]
        ids = []
        for who, table, text in posted:
            ids.append((await who.ok("table.card", meeting="m1", table=table, text=text))["card"]["id"])
        got = await team.wait_events(CARDS, len(posted))  # on the other hub, live
        assert [e["data"]["text"] for e in got] == [t for _, _, t in posted]
        bus1, bus2, kids1, kids2, bike = ids

        groups = (await team.ok("theme.suggest", meeting="m1"))["groups"]
        by_card = {c: g for g in groups for c in g["cards"]}
        assert set(by_card[bus1]["cards"]) == {bus1, bus2}
        assert set(by_card[kids1]["cards"]) == {kids1, kids2}
        assert bike not in by_card

        made = await team.ok("theme.create", meeting="m1", title="버스 배차", cards=by_card[bus1]["cards"])
        assert made["theme"] == "t1"
        await team.ok("theme.create", meeting="m1", title="보육")
        await team.ok("theme.assign", meeting="m1", cards=[kids1, kids2, bike], theme="t2")
        await team.ok("theme.assign", meeting="m1", cards=[bike], theme="")  # back to no theme
        await team.ok("theme.create", meeting="m1", title="자전거", cards=[bike])
        await team.ok("theme.merge", meeting="m1", theme="t3", into="t1")
        await team.ok("theme.rename", meeting="m1", theme="t1", title="교통: 버스와 자전거")
        changes = await team.wait_events(DRAFTS, 7)  # create, create, assign, assign, create, merge, rename
        assert [e["event"] for e in changes] == ["theme.changed"] * 7

        # refusals: a stable code, nothing stored
        before = await redis.hgetall(keys.channel_keys(DRAFTS).state)
        refused = {
            "unknown_card": await team.call("theme.assign", meeting="m1", cards=["t9-99"], theme="t1"),
            "unknown_theme": await team.call("theme.assign", meeting="m1", cards=[bike], theme="t3"),
            "duplicate_theme": await team.call("theme.create", meeting="m1", title="보육"),
            "bad_theme_merge": await team.call("theme.merge", meeting="m1", theme="t1", into="t1"),
            "bad_theme": await team.call("theme.rename", meeting="m1", theme="t2", title=" "),
            "forbidden": await p1.call("theme.create", meeting="m1", title="패널"),
            "forbidden ": await f1.call("theme.publish", meeting="m1"),
        }
        for code, msg in refused.items():
            assert msg["type"] == "error" and msg["name"] == code.strip(), (code, msg)
        assert await redis.hgetall(keys.channel_keys(DRAFTS).state) == before

        # publish: every table's panelists and the overlay, on the other hub
        assert (await team.ok("theme.publish", meeting="m1"))["count"] == 2
        [shown] = await p1.wait_events(THEMES, 1)
        themes = shown["data"]["themes"]
        assert [(t["title"], t["count"], t["tables"]) for t in themes] == [
            ("교통: 버스와 자전거", 3, ["1", "2"]),
            ("보육", 2, ["1", "2"]),
        ]
        assert themes[0]["cards"][0] == {"id": bus1, "table": "1", "text": "버스 배차 간격을 줄여 주세요"}
        [aired] = [
            e for e in await overlay.wait_events(keys.overlay("m1"), 1) if e["event"] == "overlay.shown"
        ]
        assert aired["data"]["item"]["kind"] == "themes"
        assert [t["title"] for t in aired["data"]["item"]["themes"]] == ["교통: 버스와 자전거", "보육"]

        # a poll of the themes, its options' provenance kept
        polled = await team.ok(
            "theme.to_poll", meeting="m1", poll="themes-1", prompt="먼저 다룰 주제는?", themes=["t2", "t1"]
        )
        assert polled["poll"] == "themes-1"
        record = (await team.wait_events(DRAFTS, 8))[-1]
        assert record["event"] == "theme.polled"
        assert [o["title"] for o in record["data"]["options"]] == ["보육", "교통: 버스와 자전거"]
        assert {c["table"] for c in record["data"]["options"][0]["cards"]} == {"1", "2"}
        again = await team.call(
            "theme.to_poll", meeting="m1", poll="themes-1", prompt="다시", themes=["t1", "t2"]
        )
        assert again["name"] == "bad_transition"  # the poll id is taken: nothing stored

        # a proposal made from a theme, and its ballot item's provenance
        await host.ok("proposal.sections", meeting="m1", open=["transport"])
        proposed = await team.ok(
            "theme.to_proposal",
            meeting="m1",
            theme="t1",
            section="transport",
            action="배차 간격을 10분 이내로",
        )
        got = await host.ok("proposal.get", meeting="m1", proposal=proposed["proposal"])
        theme = got["proposal"]["theme"]
        assert theme["theme"] == "t1" and [c["id"] for c in theme["cards"]] == [bus1, bus2, bike]
        await host.ok("proposal.sections", meeting="m1", open=[])
        short = await host.ok("proposal.shortlist", meeting="m1", vote="m1-short", title="교통 제안", top=1)
        [item] = short["items"]
        assert item["theme"]["theme"] == "t1" and {c["table"] for c in item["theme"]["cards"]} == {"1", "2"}
        async with httpx.AsyncClient(base_url=a.url, timeout=10) as http:
            r = await http.get(
                "/api/votes/m1-short/provenance.csv", headers={"Authorization": f"Bearer {tokens['host']}"}
            )
            assert r.status_code == 200, r.text
            [row] = list(csv.DictReader(io.StringIO(r.text)))
            assert (row["theme"], row["theme_title"], row["theme_tables"]) == (
                "t1",
                "교통: 버스와 자전거",
                "1; 2",
            )
            assert bus1 in row["theme_cards"]
