"""Issue 13's last items over real hubs and a real Redis: a vote created before votes had a meeting
(stored as then: no announcement on ``meeting/<id>/votes``) reaches its meeting's pages once a hub
starts, once per Redis (moderation/meeting_votes.py); the hosts' per-question counts of a survey
(``GET /api/meetings/<m>/polls/<id>/counts``) and the help contact every page shows (``GET /api/help``,
set with ``plenary help-contact``)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import msgspec
from redis.asyncio import Redis

from ballot import rules
from ballot.store import VoteStore
from cli.main import main
from engine.channels import ChannelLog
from tests.support import HubProcess, connect, seed


def older(vote_id: str, eligibility: str = "panelists") -> rules.VoteDefinition:
    """A vote as the store kept it before issue 13: a definition, no meeting, never announced."""
    definition = {
        "vote_id": vote_id,
        "title": f"투표 {vote_id}",
        "proposals": [{"id": "A", "title": "가"}, {"id": "B", "title": "나"}],
        "rule": {"kind": "rank_all"},
        "method": "schulze",
        "tie_break": ["A", "B"],
        "eligibility": eligibility,
    }
    return rules.decode_definition(msgspec.json.encode(definition))


async def snapshots(hub: HubProcess, tokens: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the pages of m1 (p1's) and m2 (p3's) list."""
    async with connect(hub.ws_url, tokens["p1"]) as p1, connect(hub.ws_url, tokens["p3"]) as p3:
        m1 = (await p1.ok("subscribe", channel="meeting/m1/votes"))["snapshot"]
        m2 = (await p3.ok("subscribe", channel="meeting/m2/votes"))["snapshot"]
    return m1, m2


async def started(redis_url: str) -> HubProcess:
    hub = HubProcess(redis_url)
    try:
        return await asyncio.to_thread(hub.wait_ready)
    except BaseException:
        hub.stop()
        raise


async def test_votes_from_before_their_meeting_reach_its_pages_once(redis: Redis, redis_url: str) -> None:
    tokens = await seed(redis)
    store = VoteStore(ChannelLog(redis))
    await store.create(older("m1-1"))  # named as the host console named them: "회의ID-번호"
    await store.create(older("budget", eligibility="m2"))  # restricted: its own meeting
    await store.create(older("free"))  # nothing says where: on no page, as before
    hub = await started(redis_url)
    try:
        m1, m2 = await snapshots(hub, tokens)
    finally:
        hub.stop()
    assert m1 == {"vote:m1-1": {"vote": "m1-1", "title": "투표 m1-1", "eligibility": "panelists"}}
    assert sorted(m2) == ["vote:budget"]

    # Once: a vote created since without a meeting stays without a home, whatever its name.
    await store.create(older("m1-2"))
    again = await started(redis_url)
    try:
        m1, _m2 = await snapshots(again, tokens)
    finally:
        again.stop()
    assert sorted(m1) == ["vote:m1-1"]


SURVEY = {
    "id": "s1",
    "title": "교통 설문",
    "kind": "survey",
    "questions": [
        {"id": "ride", "kind": "multiple", "prompt": "탈것", "options": ["버스", "지하철", "자전거"]},
        {"id": "wish", "kind": "text", "prompt": "바라는 점", "required": False},
    ],
}


async def test_the_hosts_count_a_survey_per_question_and_choice(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with (
        connect(hub.ws_url, tokens["host"]) as host,
        connect(hub.ws_url, tokens["p1"]) as p1,
        connect(hub.ws_url, tokens["p2"]) as p2,
    ):
        await host.ok("poll.create", meeting="m1", poll=SURVEY)
        await host.ok("poll.open", meeting="m1", poll="s1")
        await p1.ok("poll.answer", meeting="m1", poll="s1", answers={"ride": [0, 1], "wish": "배차 간격"})
        await p2.ok("poll.answer", meeting="m1", poll="s1", answers={"ride": [0]})
    async with httpx.AsyncClient(base_url=hub.url, timeout=10) as http:
        path = "/api/meetings/m1/polls/s1/counts"
        r = await http.get(path, headers={"Authorization": f"Bearer {tokens['host']}"})
        assert r.status_code == 200, r.text
        assert r.json() == {
            "poll": "s1",
            "answered": 2,
            "questions": [
                {"id": "ride", "kind": "multiple", "answered": 2, "options": [2, 1, 0]},
                {"id": "wish", "kind": "text", "answered": 1, "options": []},
            ],
        }
        assert r.headers["cache-control"] == "no-store"
        refused = await http.get(path, headers={"Authorization": f"Bearer {tokens['p1']}"})
        assert (refused.status_code, refused.json()["name"]) == (403, "forbidden")
        missing = await http.get(
            "/api/meetings/m1/polls/nope/counts", headers={"Authorization": f"Bearer {tokens['host']}"}
        )
        assert (missing.status_code, missing.json()["name"]) == (404, "unknown_poll")
        # The CSV stays, for reading the answers themselves.
        csv = await http.get(
            "/api/meetings/m1/polls/s1.csv", headers={"Authorization": f"Bearer {tokens['host']}"}
        )
        assert "배차 간격" in csv.text


async def test_the_help_contact_is_set_by_the_organisers_and_read_by_anyone(
    redis: Redis, redis_url: str, hub: HubProcess
) -> None:
    async with httpx.AsyncClient(base_url=hub.url, timeout=10) as http:
        empty = await http.get("/api/help")  # no token: the results page has none
        assert empty.json() == {"phone": "", "hours": "", "place": "", "note": ""}
        args = [
            "help-contact",
            "--redis-url",
            redis_url,
            "--phone",
            "02-2133-0000",
            "--hours",
            "평일 9시~18시",
        ]
        assert await asyncio.to_thread(main, args) == 0
        refused = ["help-contact", "--redis-url", redis_url, "--phone", "전화하세요"]
        assert await asyncio.to_thread(main, refused) == 2  # bad_field: nothing stored
        found = (await http.get("/api/help")).json()
    assert found == {"phone": "02-2133-0000", "hours": "평일 9시~18시", "place": "", "note": ""}
