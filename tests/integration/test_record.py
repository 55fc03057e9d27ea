"""Issue 14 through real hubs and Redis: a meeting's open record (agenda, materials, a slide, Q&A
with an answer, chat with a removal, a published vote, captions) as JSON and CSV, who may read it;
and learning: a panelist opening materials (once each, unknown ones refused, rate-limited), the
hosts' figures per stratum."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
from redis.asyncio import Redis

from engine.roles import Role
from panel.roster import Participant
from realtime import roles
from tests.support import HubProcess, connect, seed

LEARNERS = [
    Participant(id="la", name="학습 가", role=Role.PANELIST, gender="female", age_band="30-39", district="종로구", meetings=["m1"]),
    Participant(id="lb", name="학습 나", role=Role.PANELIST, gender="male", age_band="70+", district="강남구", meetings=["m1"]),
]  # fmt: skip

VOTE: dict[str, Any] = {
    "vote_id": "m1-budget",
    "title": "예산 우선순위",
    "proposals": [{"id": "A", "title": "버스"}, {"id": "B", "title": "공원"}],
    "rule": {"kind": "rank_all"},
    "method": "schulze",
    "tie_break": ["A", "B"],
}
MATERIALS = [
    {"id": "intro", "title": "교통 정책 기초", "url": "https://example.org/intro.pdf", "kind": "document"},
    {"id": "course-1", "title": "온라인 강좌 1강", "url": "https://example.org/course/1", "kind": "course"},
]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_the_record_of_a_meeting_holds_all_it_showed_and_a_removed_message_has_no_text(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis, LEARNERS)
    a, b = hubs
    async with (
        connect(a.ws_url, tokens["host"]) as host,
        connect(b.ws_url, tokens["mod"]) as mod,
        connect(a.ws_url, tokens["p1"]) as p1,
        connect(b.ws_url, tokens["p2"]) as p2,
    ):
        items = [
            {"id": "open", "title": "개회", "minutes": 10},
            {"id": "talk", "title": "교통 토론", "minutes": 50},
        ]
        await host.ok("agenda.set", meeting="m1", items=items)
        await host.ok("agenda.current", meeting="m1", item="talk")
        await host.ok("materials.set", meeting="m1", items=MATERIALS)
        await host.ok(
            "slide.show", meeting="m1", url="https://example.org/slide-3.png", title="버스 노선 현황"
        )
        asked = await p1.ok("qa.ask", meeting="m1", text="배차 간격은 언제 줄어드나요?", anonymous=False)
        hidden = await p2.ok("qa.ask", meeting="m1", text="아직 확인 전인 질문")
        await mod.ok("qa.approve", meeting="m1", question=asked["question"])
        await mod.ok("qa.answer", meeting="m1", question=asked["question"])
        await p1.ok("chat.send", meeting="m1", text="<b>안녕하세요</b>")
        secret = await p2.ok("chat.send", meeting="m1", text="제 번호는 010-1234-5678")
        await mod.ok("chat.delete", meeting="m1", offset=secret["offset"], reason="personal_info")
        await host.ok("vote.create", definition=VOTE, meeting="m1")
        await host.ok(
            "vote.create", definition=VOTE | {"vote_id": "m1-later", "title": "다음 투표"}, meeting="m1"
        )
        await host.ok("vote.open", vote="m1-budget")
        await p1.ok("vote.cast", vote="m1-budget", ranking=["B", "A"], nonce="nonce-record-p1")
        await host.ok("vote.close", vote="m1-budget")
        await host.ok("vote.publish", vote="m1-budget")
        await host.ok("caption.send", meeting="m1", text="회의를 시작하겠습니다.")

    async with httpx.AsyncClient(base_url=b.url, timeout=10) as http:
        r = await http.get("/api/meetings/m1/record.json", headers=bearer(tokens["p2"]))
        assert r.status_code == 200, r.text
        rec = r.json()
        assert rec["meeting"]["id"] == "m1" and rec["running"] is True
        assert [i["title"] for i in rec["agenda"]["items"]] == ["개회", "교통 토론"]
        assert rec["agenda"]["current"]["item"] == "talk"
        assert [m["id"] for m in rec["materials"]] == ["intro", "course-1"]
        assert [(s["kind"], s["title"]) for s in rec["slides"]] == [("url", "버스 노선 현황")]
        assert [(q["text"], q["state"], q["author"]) for q in rec["questions"]] == [
            ("배차 간격은 언제 줄어드나요?", "answered", "패널 하나")
        ]
        assert hidden["question"] not in [q["id"] for q in rec["questions"]]  # pending: not public
        kept, removed = rec["chat"]
        assert kept["text"] == "<b>안녕하세요</b>" and kept["author"]["name"] == "패널 하나"
        assert removed == {"offset": secret["offset"], "time": removed["time"], "removed": True}
        assert "010-1234-5678" not in r.text and "personal_info" not in r.text
        votes = {v["vote"]: v for v in rec["votes"]}
        assert votes["m1-later"]["status"] == "draft" and votes["m1-later"]["results"] is None
        published = votes["m1-budget"]["results"]
        assert published["ranking"] == [["공원"], ["버스"]] and published["n_voters"] == 1
        assert (await http.get(published["exports"]["board.csv"])).status_code == 200
        assert [c["text"] for c in rec["captions"]] == ["회의를 시작하겠습니다."]

        table = await http.get("/api/meetings/m1/record.csv", headers=bearer(tokens["obs"]))
        assert table.status_code == 200 and table.text.startswith("\ufeff")
        assert table.headers["content-disposition"] == 'attachment; filename="record-m1.csv"'
        rows = list(csv.reader(io.StringIO(table.text.lstrip("\ufeff"))))
        sections = [r[0] for r in rows[1:]]
        for section in ("agenda", "material", "slide", "question", "chat", "vote", "caption"):
            assert section in sections, section
        assert "010-1234-5678" not in table.text
        assert [r[5] for r in rows if r[0] == "chat"] == ["", "removed"]


async def test_who_may_read_the_record(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with httpx.AsyncClient(base_url=hub.url, timeout=10) as http:
        read_at = set()
        for who in ("p1", "mod", "host", "ops", "obs"):
            r = await http.get("/api/meetings/m1/record.json", headers=bearer(tokens[who]))
            assert r.status_code == 200
            read_at.add(r.json()["as_of"])
        assert len(read_at) == 1  # the same record for every reader: the hub read it once (RECORD_CACHE_S)
        refused = {
            "clerk": (403, "forbidden"),  # may not read the chat live, so not in the record either
            "p3": (403, "not_a_member"),  # a panelist of another meeting
        }
        for who, (status, name) in refused.items():
            for ext in ("json", "csv"):
                r = await http.get(f"/api/meetings/m1/record.{ext}", headers=bearer(tokens[who]))
                assert (r.status_code, r.json()["name"]) == (status, name), (who, ext)
        none = await http.get("/api/meetings/m1/record.json")
        assert (none.status_code, none.json()["name"]) == (401, "bad_token")
        nowhere = await http.get("/api/meetings/nowhere/record.json", headers=bearer(tokens["host"]))
        assert (nowhere.status_code, nowhere.json()["name"]) == (404, "unknown_meeting")
        page = await http.get("/record/m1")
        assert page.status_code == 200 and "/static/pages/record.js" in page.text


async def test_a_panelist_opening_materials_is_counted_once_per_stratum_for_the_hosts(
    redis: Redis, hub: HubProcess
) -> None:
    tokens = await seed(redis, LEARNERS)
    async with connect(hub.ws_url, tokens["host"]) as host:
        await host.ok("materials.set", meeting="m1", items=MATERIALS)
    opened = "/api/meetings/m1/materials/{}/opened"
    async with httpx.AsyncClient(base_url=hub.url, timeout=10) as http:
        first = await http.post(opened.format("intro"), headers=bearer(tokens["la"]))
        assert (first.status_code, first.json()) == (200, {"material": "intro", "first": True})
        again = await http.post(
            opened.format("intro"), headers=bearer(tokens["la"])
        )  # a reload, another phone
        assert again.json()["first"] is False
        await http.post(opened.format("course-1"), headers=bearer(tokens["la"]))
        await http.post(opened.format("intro"), headers=bearer(tokens["lb"]))
        unknown = await http.post(opened.format("nope"), headers=bearer(tokens["lb"]))
        assert (unknown.status_code, unknown.json()["name"]) == (404, "unknown_material")
        spaced = await http.post(opened.format("a%20b"), headers=bearer(tokens["lb"]))
        assert (spaced.status_code, spaced.json()["name"]) == (400, "bad_field")
        for who, (status, name) in {
            "host": (403, "forbidden"),
            "obs": (403, "forbidden"),
            "p3": (403, "not_a_member"),
        }.items():
            r = await http.post(opened.format("intro"), headers=bearer(tokens[who]))
            assert (r.status_code, r.json()["name"]) == (status, name), who

        figures = await http.get("/api/meetings/m1/learning", headers=bearer(tokens["host"]))
        assert figures.status_code == 200, figures.text
        c = figures.json()
        assert c["panel"] == 4  # p1, p2 and the two learners
        intro, course = c["materials"]
        assert (intro["material"], intro["opened"], intro["panel"]) == ("intro", 2, 4)
        assert course["opened"] == 1 and c["required"]["opened"] == 1  # only "la" opened both
        assert intro["strata"]["gender"] == {
            "female": {"panel": 1, "opened": 1},
            "male": {"panel": 1, "opened": 1},
            "unknown": {"panel": 2, "opened": 0},
        }
        table = await http.get("/api/meetings/m1/learning.csv", headers=bearer(tokens["host"]))
        assert table.status_code == 200 and "intro,교통 정책 기초,total,,4,2,50.0" in table.text
        for who in ("p1", "mod", "obs"):
            for path in ("/api/meetings/m1/learning", "/api/meetings/m1/learning.csv"):
                assert (await http.get(path, headers=bearer(tokens[who]))).status_code == 403, (who, path)

        # rate-limited per participant: past the bucket's burst, 429
        burst = roles.RATE_CLASSES["learning"].burst
        codes = [
            (await http.post(opened.format("course-1"), headers=bearer(tokens["lb"]))).status_code
            for _ in range(burst + 5)
        ]
        assert codes.count(429) >= 1 and codes[0] == 200
