"""Citizens' proposals through two real hub processes on one Redis (issue 14): a proposal submitted
on one hub, supported on the other, every step's event reaching the subscribers of both; the
refusals of bad input and roles, with nothing stored; a merge that carries supports over and tells
the merged proposal's authors; the open record (versions, comments) and a late page's snapshot."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from ballot.store import VoteStore
from cli.demo import DEMO_VOTE, demo_roster, seed_plenary, seed_proposals
from cli.main import main as cli_main
from engine import keys
from engine.channels import ChannelLog
from engine.errors import Code, HubError
from proposals.model import Person
from proposals.store import ProposalStore
from proposals.voting import ProposalVotes
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
    the same steps a panelist takes; each meeting's shortlist vote is published and the plenary's
    vote is assembled from the shortlists (issue 14), open; a restart keeps all as people left it."""
    log = ChannelLog(redis)
    store, votes = ProposalStore(log), VoteStore(log)
    roster = demo_roster()
    names = {p.id: p.name for p in roster}
    await seed_proposals(store, names)
    transport = await store.page("transport")
    assert transport.open_sections == ["transport"]
    assert [(p.authors[0].id, p.supports) for p in transport.proposals] == [
        ("p-002", 4),
        ("p-004", 1),
        ("p-006", 0),
    ]
    await seed_plenary(votes, store, roster)
    transport = await store.page("transport")
    assert transport.open_sections == ["transport"]  # open again for new proposals
    assert [(p.state, p.shortlist.rank if p.shortlist else 0) for p in transport.proposals] == [
        ("on_ballot", 1),
        ("on_ballot", 2),
        ("submitted", 0),
    ]
    assert (await votes.status("transport-short")).value == "published"
    defn = await votes.definition(DEMO_VOTE)
    assert defn.proposal_ids == ("health-1", "transport-1", "health-3", "transport-2")
    assert (await votes.status(DEMO_VOTE)).value == "open" and defn.grace_seconds == 20
    origin = await ProposalVotes(votes, store).origin(DEMO_VOTE)
    assert origin is not None and origin.by_item()["health-3"].authors[0].id == "p-005"
    await store.support("transport", transport.proposals[2].id, "p-008", "panelist")
    await seed_proposals(store, names)  # again: nothing repeated, nothing undone
    await seed_plenary(votes, store, roster)
    again = await store.page("transport")
    assert [p.supports for p in again.proposals] == [4, 1, 1]
    assert len((await store.page("health")).proposals) == 4
    # a shortlist feeds one plenary ballot: a second one from it is refused before anything is made
    made = ProposalVotes(votes, store)
    with pytest.raises(HubError) as refused:
        await made.ballot("plenary-2", "또 하나의 본회의 투표", "host", ["health-short"])
    assert refused.value.code is Code.ALREADY_ON_BALLOT
    assert not await redis.exists(
        keys.vote_key("plenary-2", "definition"), keys.vote_key("plenary-2", "origin")
    )


# -- issue 14: shortlist and ballot ----------------------------------------------------------------
async def run_vote(host: Client, vote: str, casts: list[tuple[Client, list[str]]]) -> dict[str, Any]:
    """Open, cast, close and publish a vote through the hub, as hosts and panelists do."""
    await host.ok("vote.open", vote=vote)
    for n, (c, ranking) in enumerate(casts):
        await c.ok("vote.cast", vote=vote, ranking=ranking, nonce=f"nonce-{vote}-{n:04d}")
    await host.ok("vote.close", vote=vote)
    return await host.ok("vote.publish", vote=vote)


async def test_from_submissions_to_published_shortlists_to_a_plenary_ballot_with_provenance(
    redis: Redis, redis_url: str, hubs: tuple[HubProcess, HubProcess], tmp_path: Path
) -> None:
    """Two topic meetings shortlist their proposals with the ranked vote; the hosts assemble the
    plenary ballot from both shortlists; every item carries its meeting, authors, shortlist vote and
    rank; the plenary's result decides them. Each hub does a part; refusals store nothing."""
    tokens = await seed(redis)
    a, b = hubs
    async with (
        connect(a.ws_url, tokens["p1"]) as p1,
        connect(b.ws_url, tokens["p2"]) as p2,
        connect(a.ws_url, tokens["p3"]) as p3,
        connect(b.ws_url, tokens["mod"]) as mod,
        connect(a.ws_url, tokens["host"]) as host,
        connect(b.ws_url, tokens["host"]) as host_b,
    ):
        await p2.ok("subscribe", channel=CH)
        for m in ("m1", "m2"):
            await mod.ok("proposal.sections", meeting=m, open=["transport"])
        ids = {}
        for who, m, title in (
            (p1, "m1", "마을버스"),
            (p2, "m1", "심야버스"),
            (p1, "m1", "자전거길"),
            (p3, "m2", "버스 정류장 그늘막"),
        ):
            ids[title] = (await who.ok("proposal.submit", meeting=m, title=title, **BUS))["proposal"]["id"]
        await p2.ok("proposal.join", meeting="m1", proposal=ids["마을버스"])

        shortlist = {"meeting": "m1", "vote": "m1-short", "title": "교통 제안 추리기", "top": 2}
        assert await error(mod, "proposal.shortlist", **shortlist) == "section_still_open"
        await mod.ok("proposal.sections", meeting="m1", open=[])
        assert await error(p1, "proposal.shortlist", **shortlist) == "forbidden"
        assert await error(mod, "proposal.shortlist", **{**shortlist, "top": 4}) == "bad_shortlist_size"
        assert await error(mod, "proposal.shortlist", **{**shortlist, "proposals": [1, 1]}) == "listed_twice"
        blank = {**shortlist, "vote": "m1-blank", "title": " "}
        assert await error(mod, "proposal.shortlist", **blank) == "bad_vote_definition"
        assert not await redis.exists(keys.vote_key("m1-blank", "origin"))  # nothing stored half-way
        made = await mod.ok("proposal.shortlist", **shortlist)
        assert [i["proposal"] for i in made["items"]] == [ids["마을버스"], ids["심야버스"], ids["자전거길"]]
        assert made["status"] == "draft" and isinstance(made["offset"], int)
        assert (await mod.ok("proposal.shortlist", **shortlist))["offset"] is None  # a retry: the same vote
        assert await error(mod, "proposal.shortlist", **{**shortlist, "top": 1}) == "bad_transition"
        await mod.ok("proposal.sections", meeting="m2", open=[])
        await host.ok("proposal.shortlist", meeting="m2", vote="m2-short", title="정류장", top=1)

        plenary = {"vote": "plenary-1", "title": "본회의 순위 투표", "shortlists": ["m1-short", "m2-short"]}
        assert await error(host, "proposal.ballot", **plenary) == "shortlist_not_published"
        assert await error(mod, "proposal.ballot", **plenary) == "forbidden"
        assert await error(
            host, "proposal.ballot", **{**plenary, "shortlists": ["m1-short", "m1-short"]}
        ) == ("listed_twice")

        # the meeting's shortlist vote, published on the other hub: its top 2 are shortlisted
        bus, night, bike = ids["마을버스"], ids["심야버스"], ids["자전거길"]
        order = [f"m1-{night}", f"m1-{bus}"]
        await run_vote(host_b, "m1-short", [(p1, order), (p2, order)])
        [ev] = await events(p2, "proposal.shortlisted")
        assert [(p["id"], p["shortlist"]) for p in ev["data"]["proposals"]] == [
            (night, {"vote": "m1-short", "rank": 1}),
            (bus, {"vote": "m1-short", "rank": 2}),
        ]
        assert await error(host_b, "vote.publish", vote="m1-short") == "bad_transition"  # nothing doubled
        listed = {x["id"]: x for x in (await p1.ok("proposal.list", meeting="m1"))["proposals"]}
        assert listed[bike]["state"] == "submitted" and "shortlist" not in listed[bike]
        assert listed[bus]["state"] == "shortlisted"
        await run_vote(host, "m2-short", [(p3, [f"m2-{ids['버스 정류장 그늘막']}"])])

        # the plenary ballot: items from both meetings, each with its provenance
        assert await error(host, "proposal.ballot", **plenary, meeting="nowhere") == "unknown_meeting"
        ballot = await host.ok("proposal.ballot", **plenary, meeting="m2")  # listed on m2's pages
        listed_on = keys.channel_keys(keys.meeting_votes("m2")).state
        assert await redis.hexists(listed_on, "vote:plenary-1")
        assert [(i["item"], i["meeting"], i["shortlist"]["rank"]) for i in ballot["items"]] == [
            (f"m1-{night}", "m1", 1),
            (f"m2-{ids['버스 정류장 그늘막']}", "m2", 1),
            (f"m1-{bus}", "m1", 2),
        ]
        bus_item = ballot["items"][2]
        assert bus_item["authors"] == [{"id": "p1", "name": "패널 하나"}, {"id": "p2", "name": "패널 둘"}]
        assert bus_item["shortlist"] == {"vote": "m1-short", "rank": 2} and bus_item["title"] == "마을버스"
        [ev] = await events(p2, "proposal.on_ballot")
        assert {p["id"]: p["ballot"]["item"] for p in ev["data"]["proposals"]} == {
            night: f"m1-{night}",
            bus: f"m1-{bus}",
        }
        again = await host.ok("proposal.ballot", **plenary)  # a retry: the same ballot, nothing doubled
        assert again["offset"] is None and again["items"] == ballot["items"]
        defn = (await p3.ok("vote.get", vote="plenary-1"))["definition"]
        assert [x["id"] for x in defn["proposals"]] == [i["item"] for i in ballot["items"]]
        assert defn["eligibility"] == "panelists" and set(defn["proposals"][0]) == {
            "id",
            "title",
            "description",
            "topic",
        }

        # the plenary's result: each proposal decided with its rank
        top = [f"m1-{bus}", f"m1-{night}"]
        await run_vote(host_b, "plenary-1", [(p1, top), (p2, top), (p3, [f"m1-{bus}"])])
        [ev] = await events(p2, "proposal.decided")
        assert {p["id"]: (p["state"], p["ballot"]["rank"]) for p in ev["data"]["proposals"]} == {
            bus: ("decided", 1),
            night: ("decided", 2),
        }
        got = (await p3.ok("proposal.get", meeting="m2", proposal=ids["버스 정류장 그늘막"]))["proposal"]
        assert got["state"] == "decided" and got["ballot"] == {
            "vote": "plenary-1",
            "item": f"m2-{ids['버스 정류장 그늘막']}",
            "rank": 3,
        }

    # the open record carries the provenance
    async with httpx.AsyncClient(base_url=b.url, timeout=10) as http:
        auth = {"Authorization": f"Bearer {tokens['p1']}"}
        rows = {
            r["id"]: r
            for r in csv.DictReader(
                io.StringIO((await http.get("/api/meetings/m1/proposals.csv", headers=auth)).text)
            )
        }
        assert (rows[str(bus)]["shortlist_vote"], rows[str(bus)]["shortlist_rank"]) == ("m1-short", "2")
        assert (rows[str(bus)]["ballot_item"], rows[str(bus)]["ballot_rank"]) == (f"m1-{bus}", "1")
        assert rows[str(bike)]["shortlist_vote"] == ""
        record = (await http.get("/api/meetings/m1/proposals", headers=auth)).json()
        assert {p["id"]: p["ballot"] for p in record["proposals"]}[night]["rank"] == 2
        # the plenary vote's items with their provenance and ranks; its export's bytes are ballot/'s
        prov = (await http.get("/api/votes/plenary-1/provenance.json", headers=auth)).json()
        assert prov["kind"] == "plenary" and prov["shortlists"] == ["m1-short", "m2-short"]
        assert [(i["item"], i["rank"], i["shortlist"]["vote"]) for i in prov["items"]][2] == (
            f"m1-{bus}",
            1,
            "m1-short",
        )
        rows = list(
            csv.DictReader(
                io.StringIO((await http.get("/api/votes/plenary-1/provenance.csv", headers=auth)).text)
            )
        )
        assert [(r["item"], r["rank"], r["authors"]) for r in rows][2] == (
            f"m1-{bus}",
            "1",
            "패널 하나; 패널 둘",
        )
        export = (await http.get("/api/votes/plenary-1/export.json")).json()
        assert set(export["definition"]["proposals"][0]) == {"id", "title", "description", "topic"}
        # `plenary vote export` writes the provenance beside the export's files
        out = tmp_path / "exports"
        argv = ["vote", "export", "plenary-1", "--out", str(out), "--redis-url", redis_url]
        assert await asyncio.to_thread(cli_main, argv) == 0  # in a thread: its own event loop
        written = json.loads((out / "plenary-1-provenance.json").read_text(encoding="utf-8"))
        assert written["items"] == prov["items"]
        assert (out / "plenary-1-provenance.csv").read_text(encoding="utf-8").startswith("item,rank,meeting")
        # a shortlist vote is its meeting's: p3 is not in m1; a vote not made from proposals: 404
        p3_auth = {"Authorization": f"Bearer {tokens['p3']}"}
        assert (await http.get("/api/votes/m1-short/provenance.json", headers=p3_auth)).status_code == 403
        assert (await http.get("/api/votes/plenary-1/provenance.json")).status_code == 401


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
