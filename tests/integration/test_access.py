"""Issue 9, access over a real hub: every HTTP route against every role (the same rule as the
WebSocket), the overlay channel for the meeting's members only, a meeting's vote for its members only."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis

from tests.integration.test_vote import DEFINITION
from tests.support import PEOPLE, HubProcess, connect, seed

# Who is who in tests.support.PEOPLE: p1 and p2 are in m1, p3 in m2; staff roles see every meeting;
# the clerk's link opens every meeting (no meeting list) but the clerk may not read chat.
BY_ROLE = {
    "panelist": "p1",
    "moderator": "mod",
    "host": "host",
    "ops": "ops",
    "observer": "obs",
    "clerk": "clerk",
}
NOBODY = "nobody"

# route as called -> who may call it (written out; "nobody" = without a token)
ALL = {*BY_ROLE, NOBODY}
TOKEN = set(BY_ROLE)
ROUTES: list[tuple[str, str, set[str]]] = [
    ("GET", "/healthz", ALL),
    ("GET", "/readyz", ALL),
    ("GET", "/metrics", ALL),
    ("GET", "/api/me", TOKEN),
    ("GET", "/api/meetings/m1/chat", TOKEN - {"clerk"}),
    ("GET", "/api/votes/plenary-1/results", ALL),
    ("GET", "/api/votes/plenary-1/receipt/AAAA-AAAA", ALL),
    ("GET", "/api/votes/plenary-1/export.json", ALL),
    ("GET", "/api/votes/plenary-1/turnout", ALL),
    ("POST", "/api/meetings/m1/uploads", {"host"}),
    ("GET", "/api/meetings/m1/uploads/u1", TOKEN),
    ("GET", "/api/meetings/m1/polls/q1.csv", {"host"}),
    ("GET", "/api/meetings/m1/polls/q1/counts", {"host"}),
    ("GET", "/api/help", ALL),
    ("GET", "/api/meetings/m1/captions", {"host", "clerk"}),  # and captioners (test_captions.py)
    ("GET", "/api/meetings/m1/captions.srt", {"host", "clerk"}),
    ("GET", "/api/meetings/m1/captions.txt", {"host", "clerk"}),
    # issue 14: learning (an unknown material is 404, past the gate) and the open record
    ("POST", "/api/meetings/m1/materials/intro/opened", {"panelist"}),
    ("GET", "/api/meetings/m1/learning", {"host"}),
    ("GET", "/api/meetings/m1/learning.csv", {"host"}),
    ("GET", "/api/meetings/m1/record.json", TOKEN - {"clerk"}),
    ("GET", "/api/meetings/m1/record.csv", TOKEN - {"clerk"}),
    ("GET", "/record/m1", ALL),
    # issue 14: shortlist and ballot (no such vote is 404, past the gate)
    ("GET", "/api/votes/plenary-1/provenance.json", TOKEN - {"clerk"}),
    ("GET", "/api/votes/plenary-1/provenance.csv", TOKEN - {"clerk"}),
    # issue 14: a proposal's path (no proposal 1: 404, past the gate) and the city's responses
    ("GET", "/api/meetings/m1/proposals/1", TOKEN - {"clerk"}),
    ("GET", "/api/meetings/m1/proposals/1.csv", TOKEN - {"clerk"}),
    ("GET", "/api/votes/plenary-1/responses", ALL),
    ("GET", "/record/m1/proposals/1", ALL),
    ("GET", "/", ALL),
    ("GET", "/host", ALL),
    ("GET", "/vote", ALL),
    ("GET", "/results/plenary-1", ALL),
    ("GET", "/moderate", ALL),
    ("GET", "/ops", ALL),
    ("GET", "/overlay/m1", ALL),
    ("GET", "/caption", ALL),
    ("GET", "/static/app.css", ALL),
    ("GET", "/static/pages/index.js", ALL),
]


@pytest.fixture
async def tokens(redis: Redis) -> dict[str, str]:
    return await seed(redis)


@pytest.mark.parametrize(("method", "path", "allowed"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
async def test_every_route_against_every_role(
    hub: HubProcess, tokens: dict[str, str], method: str, path: str, allowed: set[str]
) -> None:
    async with httpx.AsyncClient(base_url=hub.url, timeout=10) as http:
        for who in sorted(ALL):
            headers = {} if who == NOBODY else {"Authorization": f"Bearer {tokens[BY_ROLE[who]]}"}
            r = await http.request(method, path, headers=headers, content=b"")
            refused = r.status_code in (401, 403)
            assert refused is (who not in allowed), (who, r.status_code, r.text[:200])
            if refused:
                assert r.json()["name"] == ("bad_token" if who == NOBODY else "forbidden")


async def test_clerks_cannot_read_chat_over_http_as_over_the_websocket(
    hub: HubProcess, tokens: dict[str, str]
) -> None:
    async with connect(hub.ws_url, tokens["clerk"]) as ws:
        assert (await ws.call("subscribe", channel="meeting/m1/chat"))["name"] == "forbidden"
    async with httpx.AsyncClient(base_url=hub.url, timeout=10) as http:
        r = await http.get("/api/meetings/m1/chat", headers={"Authorization": f"Bearer {tokens['clerk']}"})
    assert (r.status_code, r.json()["name"]) == (403, "forbidden")


async def test_http_routes_of_a_meeting_need_membership(hub: HubProcess, tokens: dict[str, str]) -> None:
    auth = {"Authorization": f"Bearer {tokens['p3']}"}  # p3 is in m2 only
    async with httpx.AsyncClient(base_url=hub.url, timeout=10) as http:
        for path in ("/api/meetings/m1/chat", "/api/meetings/m1/uploads/u1"):
            r = await http.get(path, headers=auth)
            assert (r.status_code, r.json()["name"]) == (403, "not_a_member"), path
        r = await http.get("/api/meetings/m2/chat", headers=auth)
        assert r.status_code == 200
        r = await http.get("/api/meetings/nope/chat", headers={"Authorization": f"Bearer {tokens['host']}"})
        assert (r.status_code, r.json()["name"]) == (404, "unknown_meeting")


async def test_only_members_follow_a_meetings_overlay(hub: HubProcess, tokens: dict[str, str]) -> None:
    async with connect(hub.ws_url, tokens["p3"]) as outsider, connect(hub.ws_url, tokens["p1"]) as member:
        res = await outsider.call("subscribe", channel="overlay/m1")
        assert res["name"] == "not_a_member"
        assert (await member.call("subscribe", channel="overlay/m1"))["type"] == "reply"
        assert (await outsider.call("subscribe", channel="overlay/m2"))["type"] == "reply"


async def test_a_meetings_vote_is_for_its_members_on_every_path(
    hub: HubProcess, tokens: dict[str, str]
) -> None:
    async with connect(hub.ws_url, tokens["host"]) as host:
        await host.ok("vote.create", definition=DEFINITION | {"vote_id": "m2-1", "eligibility": "m2"})
        await host.ok("vote.create", definition=DEFINITION)
    async with connect(hub.ws_url, tokens["p1"]) as p1, connect(hub.ws_url, tokens["p3"]) as p3:
        assert (await p1.call("vote.get", vote="m2-1"))["name"] == "not_a_member"
        assert (await p1.call("subscribe", channel="vote/m2-1"))["name"] == "not_a_member"
        assert "m2-1" not in [v["vote"] for v in (await p1.ok("vote.list"))["votes"]]
        assert (await p1.ok("vote.get", vote="plenary-1"))["definition"]["vote_id"] == "plenary-1"
        assert (await p3.ok("vote.get", vote="m2-1"))["definition"]["vote_id"] == "m2-1"
        assert (await p3.call("subscribe", channel="vote/m2-1"))["type"] == "reply"
        assert "m2-1" in [v["vote"] for v in (await p3.ok("vote.list"))["votes"]]
    for staff in ("host", "obs", "ops", "mod"):
        async with connect(hub.ws_url, tokens[staff]) as c:
            assert (await c.call("vote.get", vote="m2-1"))["type"] == "reply", staff
    assert {p.id for p in PEOPLE} >= set(BY_ROLE.values())
