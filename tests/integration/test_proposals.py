"""Citizens' proposals through two real hub processes on one Redis (issue 14): a proposal submitted
on one hub, supported on the other, every step's event reaching the subscribers of both; the
refusals of bad input and roles, with nothing stored; a merge that carries supports over and tells
the merged proposal's authors; the open record (versions, comments) and a late page's snapshot."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
from redis.asyncio import Redis

from cli.demo import demo_roster, seed_proposals
from engine.channels import ChannelLog
from proposals.model import Person
from proposals.store import ProposalStore
from tests.decided import decide
from tests.support import Client, HubProcess, connect, seed

CH = "meeting/m1/proposals"
BUS = {
    "section": "transport",
    "problem": "마을버스 배차 간격이 30분이에요",
    "action": "출퇴근 시간에 10분 간격으로 늘려 주세요",
}


async def events(c: Client, event: str, n: int = 1) -> list[dict[str, Any]]:
    for _ in range(50):
        got = [e for e in c.events if e["channel"] == CH and e["event"] == event]
        if len(got) >= n:
            return got
        await c.wait_events(CH, len([e for e in c.events if e["channel"] == CH]) + 1, timeout=5)
    raise AssertionError(f"no {event} on {CH}")


async def error(c: Client, kind: str, **fields: Any) -> str:
    msg = await c.call(kind, **fields)
    assert msg["type"] == "error", msg
    return str(msg["name"])


async def test_a_proposal_from_submission_through_supports_merge_and_record(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = hubs
    async with (
        connect(a.ws_url, tokens["p1"]) as p1,
        connect(b.ws_url, tokens["p2"], "plenary.v1.msgpack") as p2,
        connect(b.ws_url, tokens["mod"]) as mod,
        connect(a.ws_url, tokens["p3"]) as outsider,
        connect(a.ws_url, tokens["obs"]) as observer,
    ):
        await p1.ok("subscribe", channel=CH)
        await p2.ok("subscribe", channel=CH)
        assert await error(outsider, "subscribe", channel=CH) == "not_a_member"

        # the section is closed until a moderator opens it; nothing is stored meanwhile
        first = {"meeting": "m1", "title": "마을버스를 늘려 주세요", **BUS}
        assert await error(p1, "proposal.submit", **first) == "section_closed"
        assert await error(p1, "proposal.sections", meeting="m1", open=["transport"]) == "forbidden"
        opened = await mod.ok("proposal.sections", meeting="m1", open=["transport", "health"])
        assert opened["open"] == ["health", "transport"]

        submitted = await p1.ok("proposal.submit", **first)
        pid = submitted["proposal"]["id"]
        assert submitted["proposal"]["authors"] == [{"id": "p1", "name": "패널 하나"}]
        [seen] = await events(p2, "proposal.submitted")  # on the other hub
        assert seen["data"]["proposal"]["title"] == "마을버스를 늘려 주세요"

        # bad input and roles: a stable code, nothing stored, the connection lives on
        assert await error(p1, "proposal.submit", **{**first, "title": " "}) == "bad_proposal"
        assert (
            await error(p1, "proposal.submit", **{**first, "title": "마을버스를  늘려 주세요"})
            == "duplicate_proposal"
        )
        assert (
            await error(p1, "proposal.submit", **{**first, "title": "다른 제목", "section": "moon"})
            == "unknown_section"
        )
        assert await error(observer, "proposal.submit", **{**first, "title": "관찰"}) == "forbidden"
        assert await error(outsider, "proposal.support", meeting="m1", proposal=pid) == "not_a_member"
        assert await error(p2, "proposal.support", meeting="m1", proposal=999) == "no_such_proposal"
        assert (
            await error(mod, "proposal.merge", meeting="m1", proposal=pid, into=pid) == "bad_proposal_merge"
        )

        # support on hub b: both pages' subscribers get the count; twice is refused
        got = await p2.ok("proposal.support", meeting="m1", proposal=pid)
        assert (got["supported"], got["supports"]) == (True, 1)
        for c in (p1, p2):
            [ev] = await events(c, "proposal.supported")
            assert ev["data"] == {"id": pid, "supports": 1}
        assert await error(p2, "proposal.support", meeting="m1", proposal=pid) == "already_supported"

        # a duplicate by p2, supported by p1 and p2: merged, each supporter counted once
        dup = await p2.ok("proposal.submit", meeting="m1", title="버스 배차 간격 줄이기", **BUS)
        did = dup["proposal"]["id"]
        await p1.ok("proposal.support", meeting="m1", proposal=did)
        await p2.ok("proposal.support", meeting="m1", proposal=did)
        merged = await mod.ok("proposal.merge", meeting="m1", proposal=did, into=pid)
        assert merged["proposal"]["state"] == "merged" and merged["proposal"]["merged_into"] == pid
        assert merged["into"]["supports"] == 2 and merged["into"]["merged_from"] == [did]
        [told] = await events(p2, "proposal.merged")
        assert told["data"]["authors"] == ["p2"]  # the merged proposal's authors, whose page tells them
        assert await error(p1, "proposal.unsupport", meeting="m1", proposal=did) == "proposal_state"

        # an edit waits for every author (p1, and p2 who came with the merge)
        await mod.ok(
            "proposal.edit",
            meeting="m1",
            proposal=pid,
            title="마을버스 배차 간격을 줄여 주세요",
            note="두 제안을 합쳤어요",
        )
        assert (
            await error(observer, "proposal.consent", meeting="m1", proposal=pid, accept=True) == "forbidden"
        )
        one = await p1.ok("proposal.consent", meeting="m1", proposal=pid, accept=True)
        assert one["proposal"]["version"] == 1 and one["proposal"]["edit"]["consents"] == ["p1"]
        both = await p2.ok("proposal.consent", meeting="m1", proposal=pid, accept=True)
        assert both["proposal"]["version"] == 2 and both["proposal"]["edit"] is None
        await events(p1, "proposal.edited")

        await mod.ok("proposal.comment", meeting="m1", proposal=pid, text="다음 회의에서 함께 봐요")
        record = await p2.ok("proposal.get", meeting="m1", proposal=pid)
        assert [v["version"] for v in record["versions"]] == [1, 2]
        assert record["versions"][1]["by"]["id"] == "mod" and record["versions"][1]["consents"] == [
            "p1",
            "p2",
        ]
        assert [c["text"] for c in record["comments"]] == ["다음 회의에서 함께 봐요"]
        assert record["supported"] is True

    # a page that comes later: the snapshot holds every proposal as it is now
    async with connect(b.ws_url, tokens["p1"]) as late:
        sub = await late.ok("subscribe", channel=CH)
        assert sub["snapshot"][f"p:{pid}"]["supports"] == 2
        assert sub["snapshot"][f"p:{did}"]["state"] == "merged"
        listed = await late.ok("proposal.list", meeting="m1")
        assert [x["id"] for x in listed["proposals"]] == [pid, did] and listed["supported"] == [
            pid
        ]  # p1 supported the duplicate: the merge carried it over

    # the open record, on either hub: JSON with every version and comment, and CSV; members only
    async with httpx.AsyncClient(base_url=a.url, timeout=10) as http:
        auth = {"Authorization": f"Bearer {tokens['p2']}"}
        r = await http.get("/api/meetings/m1/proposals", headers=auth)
        assert r.status_code == 200, r.text
        [first_rec, dup_rec] = r.json()["proposals"]
        assert [v["version"] for v in first_rec["versions"]] == [1, 2] and len(first_rec["comments"]) == 1
        assert dup_rec["state"] == "merged" and "supporters" not in str(r.json())
        r = await http.get("/api/meetings/m1/proposals.csv", headers=auth)
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert r.headers["content-type"].startswith("text/csv")
        assert [(x["id"], x["state"], x["supports"], x["section_ko"]) for x in rows] == [
            (str(pid), "submitted", "2", "교통"),
            (str(did), "merged", "0", "교통"),
        ]
        outsider = {"Authorization": f"Bearer {tokens['p3']}"}
        assert (await http.get("/api/meetings/m1/proposals", headers=outsider)).status_code == 403
        clerk = {"Authorization": f"Bearer {tokens['clerk']}"}
        assert (await http.get("/api/meetings/m1/proposals.csv", headers=clerk)).status_code == 403


async def test_the_demo_seeds_proposals_from_panelists_once(redis: Redis) -> None:
    """`make demo`: the topic meetings start with panelists' proposals and their supports, through
    the same steps a panelist takes; a restart keeps them as people left them."""
    store = ProposalStore(ChannelLog(redis))
    names = {p.id: p.name for p in demo_roster()}
    await seed_proposals(store, names)
    transport = await store.page("transport")
    assert transport.open_sections == ["transport"]
    assert [(p.authors[0].id, p.supports) for p in transport.proposals] == [("p-002", 4), ("p-004", 1)]
    await store.support("transport", transport.proposals[1].id, "p-006", "panelist")
    await seed_proposals(store, names)  # again: nothing repeated, nothing undone
    again = await store.page("transport")
    assert [p.supports for p in again.proposals] == [4, 2]
    assert len((await store.page("health")).proposals) == 2


async def test_the_citys_response_and_a_proposals_path(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    """Issue 14, the city's response: hosts only, decided proposals only, bad input refused with
    nothing stored; the event on the other hub; every response kept on the proposal's path (members
    only, JSON and CSV); the public responses of the plenary vote, without names."""
    tokens = await seed(redis)
    a, b = hubs
    store = ProposalStore(ChannelLog(redis))
    who = Person("p1", "패널 하나")
    await store.set_sections("m1", "moderator", ["transport"])
    pid = (
        await store.submit("m1", who, "panelist", "transport", "마을버스를 늘려 주세요", "간격", "늘려")
    ).result.id
    other = (await store.submit("m1", who, "panelist", "transport", "자전거 길", "끊김", "이어")).result.id
    await decide(store, "m1", pid, "plenary-9", "m1-1", 2)  # TEST FIXTURE: the plenary's steps
    answer = {"meeting": "m1", "proposal": pid, "department": "버스정책과"}
    async with (
        connect(a.ws_url, tokens["host"]) as host,
        connect(b.ws_url, tokens["mod"]) as mod,
        connect(b.ws_url, tokens["p1"]) as p1,
    ):
        await p1.ok("subscribe", channel=CH)
        at = (await p1.ok("proposal.list", meeting="m1"))["proposals"]
        assert len(at) == 2
        assert await error(mod, "proposal.respond", **answer, status="accepted") == "forbidden"
        assert await error(p1, "proposal.respond", **answer, status="accepted") == "forbidden"
        assert await error(host, "proposal.respond", **{**answer, "proposal": other}, status="accepted") == (
            "proposal_state"
        )
        assert await error(host, "proposal.respond", **answer, status="maybe") == "unknown_response_status"
        assert await error(host, "proposal.respond", **answer, status="rejected") == "response_needs_reason"
        assert (
            await error(host, "proposal.respond", **{**answer, "department": " "}, status="accepted")
            == "bad_response"
        )
        first = await host.ok("proposal.respond", **answer, status="under_review", text="검토하겠습니다")
        assert first["n"] == 1 and first["response"]["by"] == {"id": "host", "name": "Host"}
        [seen] = await events(p1, "proposal.responded")  # on the other hub
        assert seen["data"]["proposal"]["response"]["status"] == "under_review"
        assert seen["offset"] == first["offset"]  # the refusals before published nothing
        assert await error(
            host, "proposal.respond", **answer, status="under_review", text="검토하겠습니다"
        ) == ("response_unchanged")
        second = await host.ok("proposal.respond", **answer, status="rejected", text="예산이 없습니다")
        assert (second["n"], second["offset"]) == (2, first["offset"] + 1)

    async with httpx.AsyncClient(base_url=b.url, timeout=10) as http:
        auth = {"Authorization": f"Bearer {tokens['p2']}"}
        r = await http.get(f"/api/meetings/m1/proposals/{pid}", headers=auth)
        assert r.status_code == 200, r.text
        page = r.json()
        assert [s["step"] for s in page["timeline"]] == [
            *("submitted", "shortlisted", "on_ballot", "decided", "responded", "responded")
        ]
        assert [x["status"] for x in page["responses"]] == ["under_review", "rejected"]
        assert page["proposal"]["response"]["text"] == "예산이 없습니다"
        r = await http.get(f"/api/meetings/m1/proposals/{pid}.csv", headers=auth)
        assert r.headers["content-type"].startswith("text/csv")
        assert list(csv.reader(io.StringIO(r.text)))[-1][0] == "responded"
        for token, status in ((tokens["p3"], 403), (tokens["clerk"], 403)):
            got = await http.get(
                f"/api/meetings/m1/proposals/{pid}", headers={"Authorization": f"Bearer {token}"}
            )
            assert got.status_code == status
        assert (await http.get(f"/api/meetings/m1/proposals/{pid}")).status_code == 401
        for missing in ("999", "abc"):
            got = await http.get(f"/api/meetings/m1/proposals/{missing}", headers=auth)
            assert (got.status_code, got.json()["name"]) == (404, "no_such_proposal")
        assert (await http.get(f"/record/m1/proposals/{pid}")).status_code == 200  # the page: public

        public = await http.get("/api/votes/plenary-9/responses")  # no token
        assert public.status_code == 200
        [item] = public.json()["responses"]
        assert (item["item"], item["rank"], item["status"], item["department"]) == (
            "m1-1",
            2,
            "rejected",
            "버스정책과",
        )
        assert "패널" not in public.text and "Host" not in public.text  # no one's name
        assert (await http.get("/api/votes/nothing/responses")).json()["responses"] == []
