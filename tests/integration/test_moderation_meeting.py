"""Running a meeting through real hubs: the speakers list, the agenda and slides a late joiner gets at
once, materials, the stream overlay, quick polls with live results and surveys exported to CSV."""

from __future__ import annotations

import asyncio
import csv
import io

import httpx
from redis.asyncio import Redis

from panel.roster import Participant
from tests.support import HubProcess, connect, seed

SPEAKERS = "meeting/m1/speakers"
AGENDA = "meeting/m1/agenda"
POLLS = "meeting/m1/polls"
OVERLAY = "overlay/m1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj << /Type /Pages /Count 3 >>\n" + b"<< /Type /Page >>\n" * 3 + b"%%EOF"


async def test_speakers_list_raise_order_call_yield(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    extra = [Participant(id="p4", name="패널 넷", role="panelist", meetings=["m1"])]
    tokens = await seed(redis, extra)
    a, b = hubs
    async with (
        connect(a.ws_url, tokens["p1"]) as p1,
        connect(b.ws_url, tokens["p2"]) as p2,
        connect(a.ws_url, tokens["p4"]) as p4,
        connect(b.ws_url, tokens["mod"]) as mod,
    ):
        await p2.ok("subscribe", channel=SPEAKERS)
        for c in (p1, p2, p4):
            await c.ok("speakers.raise", meeting="m1")
        assert (await p1.ok("speakers.raise", meeting="m1"))["changed"] is False
        assert (await p1.call("speakers.lower", meeting="m1", participant="p2"))["name"] == "forbidden"
        await p4.ok("speakers.lower", meeting="m1")
        assert (await mod.call("speakers.order", meeting="m1", order=["p1"]))["name"] == "bad_order"
        await mod.ok("speakers.order", meeting="m1", order=["p2", "p1"])
        await mod.ok("speakers.timer", meeting="m1", seconds=90)
        called = await mod.ok("speakers.next", meeting="m1")
        assert called["current"]["id"] == "p2" and called["current"]["seconds"] == 90
        assert called["current"]["ends_at"] - called["current"]["started_at"] == 90_000
        assert (await p1.call("speakers.yield", meeting="m1"))["name"] == "not_the_speaker"
        yielded = await p2.ok("speakers.yield", meeting="m1")
        assert yielded["speaker"] == "p2"
        assert (await mod.call("speakers.next", meeting="m1", participant="p4"))["name"] == "nobody_waiting"
        await mod.ok("speakers.next", meeting="m1", seconds=30)
        assert (await mod.call("speakers.next", meeting="m1"))["name"] == "nobody_waiting"
        events = await p2.wait_events(SPEAKERS, 9)
        assert [e["event"] for e in events] == [
            "speakers.raised",
            "speakers.raised",
            "speakers.raised",
            "speakers.lowered",
            "speakers.ordered",
            "speakers.timer",
            "speakers.called",
            "speakers.yielded",
            "speakers.called",
        ]
    async with connect(b.ws_url, tokens["obs"]) as late:
        snap = (await late.ok("subscribe", channel=SPEAKERS))["snapshot"]
        assert snap["current"]["id"] == "p1" and snap["seconds"] == 90
        assert not any(k.startswith("hand:") for k in snap)


async def test_agenda_slides_and_materials_reach_a_late_joiner_at_once(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = hubs
    async with connect(a.ws_url, tokens["host"]) as host, httpx.AsyncClient(base_url=a.url) as http:
        items = [
            {"id": "open", "title": "개회", "starts_at": 1_800_000_000_000, "minutes": 10},
            {"id": "transport", "title": "교통 토론", "minutes": 50},
        ]
        await host.ok("agenda.set", meeting="m1", items=items)
        assert (await host.call("agenda.current", meeting="m1", item="nope"))["name"] == "unknown_item"
        bad = await host.call("agenda.set", meeting="m1", items=[items[0], items[0]])
        assert bad["name"] == "bad_agenda"
        await host.ok("agenda.current", meeting="m1", item="transport")

        auth = {"Authorization": f"Bearer {tokens['host']}"}
        r = await http.post("/api/meetings/m1/uploads?name=deck.pdf", content=PDF, headers=auth)
        assert r.status_code == 201, r.text
        deck = r.json()
        assert (deck["type"], deck["pages"]) == ("application/pdf", 3)
        r = await http.post("/api/meetings/m1/uploads", content=b"GIF89a....", headers=auth)
        assert r.json()["name"] == "bad_upload"
        r = await http.post(
            "/api/meetings/m1/uploads", content=PNG, headers={"Authorization": f"Bearer {tokens['p1']}"}
        )
        assert r.status_code == 403
        assert (await host.call("slide.show", meeting="m1", upload=deck["id"], page=4))["name"] == "bad_slide"
        assert (await host.call("slide.show", meeting="m1", upload="nope"))["name"] == "unknown_upload"
        assert (await host.call("slide.show", meeting="m1", url="http://x.org/a"))["name"] == "bad_slide"
        shown = await host.ok("slide.show", meeting="m1", upload=deck["id"], page=2, title="교통 현황")
        assert shown["slide"]["kind"] == "pdf" and shown["slide"]["page"] == 2

        materials = [{"id": "m-1", "title": "교통 기초 자료", "url": "https://example.org/t.pdf"}]
        assert (await host.call("materials.set", meeting="m1", items=[{**materials[0], "url": "ftp://x"}]))[
            "name"
        ] == "bad_materials"
        await host.ok("materials.set", meeting="m1", items=materials)

    async with connect(b.ws_url, tokens["p1"]) as late, httpx.AsyncClient(base_url=b.url) as http:
        sub = await late.ok("subscribe", channel=AGENDA)
        snap = sub["snapshot"]
        assert snap["current"]["item"] == "transport"
        assert [i["id"] for i in snap["items"]] == ["open", "transport"]
        assert snap["slide"]["page"] == 2 and snap["slide"]["url"] == f"/api/meetings/m1/uploads/{deck['id']}"
        assert snap["materials"][0]["title"] == "교통 기초 자료"
        r = await http.get(snap["slide"]["url"], headers={"Authorization": f"Bearer {tokens['p1']}"})
        assert r.status_code == 200 and r.content == PDF and r.headers["content-type"] == "application/pdf"
        r = await http.get(snap["slide"]["url"], headers={"Authorization": f"Bearer {tokens['p3']}"})
        assert r.status_code == 403  # not a member of m1
        assert (await late.call("agenda.current", meeting="m1", item="open"))["name"] == "forbidden"


async def test_quick_poll_live_results_when_the_host_chooses(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    voters = [
        Participant(id=f"v{i}", name=f"패널 {i}", role="panelist", gender="female" if i % 2 else "male")
        for i in range(6)
    ]
    tokens = await seed(redis, voters)
    a, b = hubs
    poll = {
        "id": "q1",
        "title": "오늘 토론 만족도",
        "questions": [{"id": "sat", "kind": "scale", "prompt": "만족하셨나요?"}],
    }
    async with connect(a.ws_url, tokens["host"]) as host, connect(b.ws_url, tokens["obs"]) as watcher:
        await watcher.ok("subscribe", channel=POLLS)
        await watcher.ok("subscribe", channel=OVERLAY)
        await host.ok("poll.create", meeting="m1", poll=poll)
        assert (await host.call("poll.create", meeting="m1", poll=poll))["name"] == "bad_transition"
        bad = {**poll, "id": "q2", "questions": [*poll["questions"], poll["questions"][0]]}
        assert (await host.call("poll.create", meeting="m1", poll=bad))["name"] == "bad_poll"
        async with connect(a.ws_url, tokens["v0"]) as early:
            err = await early.call("poll.answer", meeting="m1", poll="q1", answers={"sat": 4})
            assert err["name"] == "poll_not_open"
        await host.ok("poll.open", meeting="m1", poll="q1")

        async def answer(i: int) -> None:
            async with connect((a, b)[i % 2].ws_url, tokens[f"v{i}"]) as v:
                await v.ok("poll.answer", meeting="m1", poll="q1", answers={"sat": i % 5 + 1})
                again = await v.call("poll.answer", meeting="m1", poll="q1", answers={"sat": 1})
                assert again["name"] == "already_answered"
                assert (await v.call("poll.answer", meeting="m1", poll="q1", answers={"sat": 6}))["name"] in (
                    "bad_answer",
                    "already_answered",
                )

        await asyncio.gather(*(answer(i) for i in range(5)))
        assert "results" not in (await watcher.ok("subscribe", channel=POLLS))["snapshot"]["poll:q1"]
        shown = await host.ok("poll.results", meeting="m1", poll="q1", visible=True)
        assert shown["answered"] == 5
        await host.ok("overlay.show", meeting="m1", poll="q1")
        async with connect(a.ws_url, tokens["v5"]) as v5:
            await v5.ok("poll.answer", meeting="m1", poll="q1", answers={"sat": 5})
        await asyncio.sleep(1.3)  # results held back by the interval are published once it passed
        snap = (await watcher.ok("subscribe", channel=POLLS))["snapshot"]["poll:q1"]
        assert snap["answered"] == 6 and snap["results"]["sat"] == [1, 1, 1, 1, 2]
        await host.ok("poll.close", meeting="m1", poll="q1")
        async with connect(a.ws_url, tokens["p1"]) as late:
            err = await late.call("poll.answer", meeting="m1", poll="q1", answers={"sat": 3})
            assert err["name"] == "poll_closed"
        await host.ok("poll.publish", meeting="m1", poll="q1")
        assert (await host.call("poll.results", meeting="m1", poll="q1", visible=False))[
            "name"
        ] == "bad_transition"
        overlay = (await watcher.ok("subscribe", channel=OVERLAY))["snapshot"]["item"]
        assert overlay["kind"] == "poll" and overlay["poll"]["title"] == "오늘 토론 만족도"
        await host.ok("overlay.show", meeting="m1", text="잠시 휴식")
        assert (await host.call("overlay.show", meeting="m1", text="a", poll="q1"))["name"] == "bad_field"
        await host.ok("overlay.clear", meeting="m1")


async def test_survey_answered_once_and_exported_to_csv(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = hubs
    survey = {
        "id": "s1",
        "kind": "survey",
        "title": "2차 설문",
        "questions": [
            {"id": "topic", "kind": "single", "prompt": "관심 주제", "options": ["교통", "돌봄", "경제"]},
            {"id": "days", "kind": "multiple", "prompt": "가능한 요일", "options": ["월", "수", "금"]},
            {"id": "trust", "kind": "scale", "prompt": "신뢰도"},
            {"id": "free", "kind": "text", "prompt": "하고 싶은 말", "required": False},
        ],
    }
    async with connect(a.ws_url, tokens["host"]) as host:
        await host.ok("poll.create", meeting="m1", poll=survey)
        await host.ok("poll.open", meeting="m1", poll="s1")
    async with connect(b.ws_url, tokens["p1"]) as p1, connect(a.ws_url, tokens["p2"]) as p2:
        for answers, name in (
            ({"topic": 3, "days": [0], "trust": 3}, "bad_answer"),
            ({"topic": 0, "days": [0, 0], "trust": 3}, "bad_answer"),
            ({"topic": 0, "days": [1], "trust": 3, "nope": 1}, "bad_answer"),
            ({"topic": 0, "trust": 3}, "bad_answer"),
        ):
            assert (await p1.call("poll.answer", meeting="m1", poll="s1", answers=answers))["name"] == name
        await p1.ok(
            "poll.answer",
            meeting="m1",
            poll="s1",
            answers={"topic": 0, "days": [2, 0], "trust": 4, "free": "=SUM(A1) 버스를 늘려 주세요"},
        )
        await p2.ok("poll.answer", meeting="m1", poll="s1", answers={"topic": 2, "days": [1], "trust": 2})
        assert (await p2.call("poll.export", meeting="m1", poll="s1"))["name"] == "forbidden"
    async with connect(a.ws_url, tokens["host"]) as host, httpx.AsyncClient(base_url=b.url) as http:
        exported = (await host.ok("poll.export", meeting="m1", poll="s1"))["csv"]
        rows = list(csv.reader(io.StringIO(exported)))
        assert rows[0] == [
            "respondent",
            "gender",
            "age_band",
            "district",
            "answered_at",
            "topic",
            "days",
            "trust",
            "free",
        ]
        assert [r[5:] for r in rows[1:]] == [
            ["교통", "월; 금", "4", "'=SUM(A1) 버스를 늘려 주세요"],
            ["경제", "수", "2", ""],
        ]
        assert "p1" not in exported and "패널" not in exported  # no identities
        r = await http.get(
            "/api/meetings/m1/polls/s1.csv", headers={"Authorization": f"Bearer {tokens['host']}"}
        )
        assert r.status_code == 200 and r.text.lstrip("\ufeff") == exported
