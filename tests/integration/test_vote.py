"""The plenary vote through real hubs: concurrent casts over two hub processes, idempotent retries,
bad ballots with stable codes, the close, publishing."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

from ballot.store import VoteStore
from engine.channels import ChannelLog
from panel.roster import Participant
from tests.cluster import both_servers
from tests.integration.test_cli import plenary
from tests.support import HubProcess, connect, seed

redis_url = both_servers  # every test here runs on the embedded Redis and on a Redis Cluster

PROPOSALS = [{"id": f"P{i:02d}", "title": f"정책 제안 {i}", "topic": "교통"} for i in range(30)]
DEFINITION: dict[str, Any] = {
    "vote_id": "plenary-1",
    "title": "시민총회 우선순위",
    "proposals": PROPOSALS,
    "rule": {"kind": "top_k", "k": 10, "minimum": 3},
    "method": "schulze",
    "tie_break": [p["id"] for p in PROPOSALS],
}
N = 300


async def open_vote(hub: HubProcess, token: str) -> None:
    async with connect(hub.ws_url, token) as host:
        await host.ok("vote.create", definition=DEFINITION)
        res = await host.ok("vote.open", vote="plenary-1")
        assert res["eligible"] >= N


async def test_concurrent_casts_over_two_hubs_are_all_stored_once(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    voters = [
        Participant(id=f"v{i:04d}", name=f"패널 {i}", role="panelist", gender="female" if i % 2 else "male")
        for i in range(N)
    ]
    tokens = await seed(redis, voters)
    await open_vote(hubs[0], tokens["host"])
    ids = [p["id"] for p in PROPOSALS]
    rng = random.Random(7)
    rankings = {v.id: rng.sample(ids, 10) for v in voters}

    # At most 100 connecting at once: this one test process holds every client, and with 300
    # handshakes in flight it could not send each `hello` within the test hubs' 1.5 s deadline
    # (closed 4001) on a busy machine; 100 at once still cast concurrently over both hubs.
    gate = asyncio.Semaphore(100)

    async def one(i: int, v: Participant) -> dict[str, Any]:
        async with gate, connect(hubs[i % 2].ws_url, tokens[v.id], "plenary.v1.msgpack") as c:
            first = await c.ok("vote.cast", vote="plenary-1", ranking=rankings[v.id], nonce=f"nonce-{v.id}")
            again = await c.ok("vote.cast", vote="plenary-1", ranking=rankings[v.id], nonce=f"nonce-{v.id}")
            assert again["retry"] is True and again["tracking_code"] == first["tracking_code"]
            return first

    receipts = await asyncio.gather(*(one(i, v) for i, v in enumerate(voters)))
    store = VoteStore(ChannelLog(redis))
    stored = await store.ballots("plenary-1")
    assert len(stored) == N  # retries stored nothing
    assert {b.tracking_code for b in stored} == {r["tracking_code"] for r in receipts}
    assert {b.voter: list(b.ranking) for b in stored} == rankings
    turnout = await store.turnout("plenary-1")
    assert turnout["voted"] == N and turnout["gender:female"] == N // 2

    async with connect(hubs[1].ws_url, tokens["host"]) as host:
        sub = await host.ok("subscribe", channel="vote/plenary-1")
        assert sub["snapshot"]["status"] == "open"
        assert "results" not in sub["snapshot"]  # no running result while open
        await host.ok("vote.close", vote="plenary-1")
        late = await connect_cast(hubs[0], tokens["v0001"], rankings["v0001"], "nonce-late-1")
        assert late["name"] == "vote_closed"
        res = await host.ok("vote.publish", vote="plenary-1")
        assert res["status"] == "published"
        results = res["results"]
        assert results["n_voters"] == N
        assert results["proposals"] == [p["id"] for p in PROPOSALS]
        assert sum(results["pairwise"][0][1:]) + sum(row[0] for row in results["pairwise"][1:]) > 0
        for method in ("borda", "copeland", "schulze", "ranked_pairs", "instant_runoff"):
            assert method in results


async def connect_cast(hub: HubProcess, token: str, ranking: list[str], nonce: str) -> dict[str, Any]:
    async with connect(hub.ws_url, token) as c:
        return await c.call("vote.cast", vote="plenary-1", ranking=ranking, nonce=nonce)


async def test_bad_ballots_get_stable_codes_and_store_nothing(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["p1"]) as p1:
        early = await p1.call(
            "vote.cast", vote="plenary-1", ranking=["P00", "P01", "P02"], nonce="nonce-early"
        )
        assert early["name"] == "unknown_vote"
    async with connect(hub.ws_url, tokens["host"]) as host:
        await host.ok("vote.create", definition=DEFINITION)
        early = await host.call("vote.cast", vote="plenary-1", ranking=["P00"], nonce="nonce-0001")
        assert early["name"] == "forbidden"  # hosts run votes; they do not cast
    async with connect(hub.ws_url, tokens["p1"]) as p1:
        r = await p1.call("vote.cast", vote="plenary-1", ranking=["P00", "P01", "P02"], nonce="nonce-draft")
        assert r["name"] == "vote_not_open"
        for cmd in ("vote.open", "vote.close", "vote.publish"):
            assert (await p1.call(cmd, vote="plenary-1"))["name"] == "forbidden"
    async with connect(hub.ws_url, tokens["host"]) as host:
        await host.ok("vote.open", vote="plenary-1")
        bad_def = await host.call("vote.create", definition={"vote_id": "x"})
        assert bad_def["name"] == "bad_vote_definition"
        assert (await host.call("vote.open", vote="plenary-1"))["name"] == "bad_transition"
    cases = [
        (["P00", "P01", "NOPE"], "nonce-00001", "unknown_proposal"),
        (["P00", "P01", "P00"], "nonce-00002", "repeated_proposal"),
        (["P00"], "nonce-00003", "ranking_too_short"),
        ([p["id"] for p in PROPOSALS[:11]], "nonce-00004", "ranking_too_long"),
        (["P00", "P01", "P02"], "short", "bad_nonce"),
        (["P00", "P01", "P02"], "bad nonce!", "bad_nonce"),
    ]
    async with connect(hub.ws_url, tokens["p1"]) as p1:
        for ranking, nonce, name in cases:
            r = await p1.call("vote.cast", vote="plenary-1", ranking=ranking, nonce=nonce)
            assert r["name"] == name, (ranking, nonce, r)
        ok = await p1.ok("vote.cast", vote="plenary-1", ranking=["P00", "P01", "P02"], nonce="nonce-good")
        assert ok["tracking_code"]
    async with connect(hub.ws_url, tokens["obs"]) as obs:
        assert (
            await obs.call("vote.cast", vote="plenary-1", ranking=["P00", "P01", "P02"], nonce="nonce-obs1")
        )["name"] == "forbidden"
    assert len(await VoteStore(ChannelLog(redis)).ballots("plenary-1")) == 1


async def test_revote_counts_the_last_ballot(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    await open_vote_small(hub, tokens["host"])
    async with connect(hub.ws_url, tokens["p1"]) as p1:
        await p1.ok("vote.cast", vote="plenary-1", ranking=["P00", "P01", "P02"], nonce="nonce-first")
        await p1.ok("vote.cast", vote="plenary-1", ranking=["P02", "P01", "P00"], nonce="nonce-second")
    async with connect(hub.ws_url, tokens["host"]) as host:
        await host.ok("vote.close", vote="plenary-1")
        res = await host.ok("vote.publish", vote="plenary-1")
    store = VoteStore(ChannelLog(redis))
    assert (await store.turnout("plenary-1"))["voted"] == 1
    results = res["results"]
    assert results["n_voters"] == 1
    p0, p2 = results["proposals"].index("P00"), results["proposals"].index("P02")
    assert results["pairwise"][p2][p0] == 1 and results["pairwise"][p0][p2] == 0  # the second ballot counted


async def open_vote_small(hub: HubProcess, token: str) -> None:
    async with connect(hub.ws_url, token) as host:
        await host.ok("vote.create", definition=DEFINITION)
        await host.ok("vote.open", vote="plenary-1")


async def cast(hub: HubProcess, token: str, ranking: list[str], nonce: str) -> dict[str, Any]:
    async with connect(hub.ws_url, token) as c:
        return await c.call("vote.cast", vote="plenary-1", ranking=ranking, nonce=nonce)


async def test_published_vote_board_receipts_and_exports_verify(
    redis: Redis, hub: HubProcess, tmp_path: Path
) -> None:
    tokens = await seed(redis)
    await open_vote_small(hub, tokens["host"])
    r1 = await cast(hub, tokens["p1"], ["P00", "P01", "P02"], "nonce-p1-0001")
    r2 = await cast(hub, tokens["p2"], ["P02", "P00", "P01", "P05"], "nonce-p2-0001")
    async with httpx.AsyncClient(base_url=hub.url) as http:
        assert (
            await http.get("/api/votes/plenary-1/results")
        ).status_code == 404  # nothing before publishing
        async with connect(hub.ws_url, tokens["host"]) as host:
            await host.ok("vote.close", vote="plenary-1")
            published = await host.ok("vote.publish", vote="plenary-1")
        res = (await http.get("/api/votes/plenary-1/results")).json()
        assert res["counted"] == 2 and res["results"] == published["results"]
        for code in (r1["result"]["tracking_code"], r2["result"]["tracking_code"].lower().replace("-", " ")):
            found = await http.post("/api/votes/plenary-1/receipt", json={"code": code})
            assert found.json()["found"] is True
            assert "voter" not in found.text and "p1" not in found.json()["entry"].values()
        missing = await http.post("/api/votes/plenary-1/receipt", json={"code": "AAAA-AAAA-AAAA-AAAA"})
        assert missing.status_code == 200 and missing.json()["found"] is False
        export = (await http.get("/api/votes/plenary-1/export.json")).content
        soi = (await http.get("/api/votes/plenary-1/ballots.soi")).text
        assert "# DATA TYPE: soi" in soi
        assert (await http.get("/api/votes/plenary-1/board.csv")).text.startswith("seq,tracking_code")
        for name, media in (
            ("export.json", "application/json"),
            ("board.csv", "text/csv; charset=utf-8"),
            ("ballots.toi", "text/plain; charset=utf-8"),
        ):
            got = await http.get(f"/api/votes/plenary-1/{name}")
            assert got.headers["content-type"] == media, name
            assert got.headers["content-disposition"] == f'attachment; filename="plenary-1-{name}"'
        assert (await http.get("/api/votes/plenary-1/ballots.xls")).status_code == 404
    good = tmp_path / "export.json"
    good.write_bytes(export)
    ok = plenary("verify", str(good))
    assert ok.returncode == 0 and res["head_hash"] in ok.stdout
    sheet = plenary("verify", str(good), "--sheet").stdout
    head = res["head_hash"]
    assert " ".join(head[i : i + 8] for i in range(0, 64, 8)) in sheet  # grouped to read aloud
    assert "Witnessed by" in sheet and "Ballots counted: 2" in sheet and "정책 제안 0 [P00]" in sheet
    i = export.index(b"P05", export.index(b'"entries"'))  # inside a ballot on the board
    bad = tmp_path / "tampered.json"
    bad.write_bytes(export[:i] + b"P06" + export[i + 3 :])
    failed = plenary("verify", str(bad), check=False)
    assert failed.returncode == 1 and "FAILED" in failed.stderr and "entry" in failed.stderr


async def test_results_of_an_unknown_vote_are_unknown_vote_not_unpublished(
    redis: Redis, hub: HubProcess
) -> None:
    """A vote that does not exist is ``unknown_vote`` (1500), on every public vote route; only a
    vote that exists and is not yet published is ``vote_not_published`` (1511)."""
    tokens = await seed(redis)
    await open_vote_small(hub, tokens["host"])
    async with httpx.AsyncClient(base_url=hub.url) as http:
        lookup = {"code": "AAAA-AAAA-AAAA-AAAA"}
        for method, route in (("GET", "results"), ("POST", "receipt"), ("GET", "export.json")):
            body = lookup if method == "POST" else None
            unknown = await http.request(method, f"/api/votes/no-such-vote/{route}", json=body)
            assert unknown.status_code == 404
            assert unknown.json()["code"] == 1500 and unknown.json()["name"] == "unknown_vote", route
            unpublished = (await http.request(method, f"/api/votes/plenary-1/{route}", json=body)).json()
            assert unpublished["name"] == "vote_not_published", route


async def test_a_retry_with_the_same_nonce_and_another_ranking_is_refused(
    redis: Redis, hub: HubProcess
) -> None:
    """A nonce names one ballot: the same nonce with another ranking is refused with
    ``nonce_reused`` (1514) and stores nothing, instead of answering the first receipt and silently
    dropping the new ranking; the same ranking again is still a retry."""
    tokens = await seed(redis)
    await open_vote_small(hub, tokens["host"])
    first = await cast(hub, tokens["p1"], ["P00", "P01", "P02"], "nonce-reuse-1")
    assert first["type"] == "reply" and first["result"]["retry"] is False
    other = await cast(hub, tokens["p1"], ["P02", "P01", "P00"], "nonce-reuse-1")
    assert other["type"] == "error" and (other["code"], other["name"]) == (1514, "nonce_reused")
    assert other["retryable"] is False
    again = await cast(hub, tokens["p1"], ["P00", "P01", "P02"], "nonce-reuse-1")
    assert again["result"]["retry"] is True
    assert again["result"]["tracking_code"] == first["result"]["tracking_code"]
    ballots = await VoteStore(ChannelLog(redis)).ballots("plenary-1")
    assert [b.ranking for b in ballots] == [("P00", "P01", "P02")]
    newer = await cast(hub, tokens["p1"], ["P02", "P01", "P00"], "nonce-reuse-2")  # a new ballot
    assert newer["result"]["retry"] is False
    async with connect(hub.ws_url, tokens["clerk"]) as clerk:  # paper entries follow the same rule
        paper = {"vote": "plenary-1", "voter": "p2", "nonce": "paper-reuse-1"}
        assert (await clerk.call("vote.paper", ranking=["P00", "P01", "P02"], **paper))["type"] == "reply"
        reused = await clerk.call("vote.paper", ranking=["P01", "P00", "P02"], **paper)
        assert reused["type"] == "error" and reused["name"] == "nonce_reused"


async def test_paper_ballot_by_a_clerk_beats_the_online_one(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    await open_vote_small(hub, tokens["host"])
    await cast(hub, tokens["p1"], ["P00", "P01", "P02"], "nonce-online-1")
    async with connect(hub.ws_url, tokens["clerk"]) as clerk:
        paper = await clerk.ok(
            "vote.paper", vote="plenary-1", voter="p1", ranking=["P09", "P08", "P07"], nonce="paper-0001"
        )
        assert paper["voter"] == "p1"
        again = await clerk.ok(
            "vote.paper", vote="plenary-1", voter="p1", ranking=["P09", "P08", "P07"], nonce="paper-0001"
        )
        assert again["retry"] is True
        nobody = await clerk.call(
            "vote.paper", vote="plenary-1", voter="ghost", ranking=["P00", "P01", "P02"], nonce="paper-0002"
        )
        assert nobody["name"] == "unknown_voter"
        staff = await clerk.call(
            "vote.paper", vote="plenary-1", voter="host", ranking=["P00", "P01", "P02"], nonce="paper-0003"
        )
        assert staff["name"] == "not_eligible"
    async with connect(hub.ws_url, tokens["host"]) as host:
        turnout = await host.ok("vote.turnout", vote="plenary-1")
        assert turnout["voted"] == 1  # one panelist, two ballots
        await host.ok("vote.close", vote="plenary-1")
        res = (await host.ok("vote.publish", vote="plenary-1"))["results"]
    assert res["n_voters"] == 1
    p9, p0 = res["proposals"].index("P09"), res["proposals"].index("P00")
    assert res["pairwise"][p9][p0] == 1  # the paper ranking counted


async def test_turnout_by_stratum_with_presence(redis: Redis, hub: HubProcess) -> None:
    people = [
        Participant(id=f"s{i}", name=f"S{i}", role="panelist", gender=g, age_band=a, district=d)
        for i, (g, a, d) in enumerate(
            [("female", "18-29", "마포구"), ("male", "30-39", "마포구"), ("female", "70+", "강남구")]
        )
    ]
    tokens = await seed(redis, people)
    await open_vote_small(hub, tokens["host"])
    await cast(hub, tokens["s0"], ["P00", "P01", "P02"], "nonce-s0-0001")
    await cast(hub, tokens["p1"], ["P00", "P01", "P02"], "nonce-p1-0001")  # p1: no stratum on the roster
    async with connect(hub.ws_url, tokens["s2"]), connect(hub.ws_url, tokens["ops"]) as ops:
        t = await ops.ok("vote.turnout", vote="plenary-1")
        assert t["voted"] == 2 and t["eligible"] == 6  # p1, p2, p3 and s0-s2
        # a voter the roster gives no value is counted in the unknown row: every stratum adds up
        assert t["strata"]["district"]["unknown"] == {"eligible": 3, "voted": 1, "present": 0}
        for feature, rows in t["strata"].items():
            assert sum(r["voted"] for r in rows.values()) == t["voted"], feature
        assert t["strata"]["district"]["마포구"] == {"eligible": 2, "voted": 1, "present": 0}
        assert t["strata"]["district"]["강남구"] == {"eligible": 1, "voted": 0, "present": 1}
        assert t["strata"]["gender"]["female"]["voted"] == 1
        assert t["present"] == 1
    async with connect(hub.ws_url, tokens["p1"]) as p1:
        assert (await p1.call("vote.turnout", vote="plenary-1"))["name"] == "forbidden"


async def test_grace_period_then_hard_close_by_the_hub(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["host"]) as host:
        await host.ok("vote.create", definition=DEFINITION | {"grace_seconds": 2})
        await host.ok("vote.open", vote="plenary-1")
        await host.ok("subscribe", channel="vote/plenary-1")
        await host.ok("vote.close", vote="plenary-1")  # announced: the countdown ends now
        within = await cast(hub, tokens["p1"], ["P00", "P01", "P02"], "nonce-grace-1")
        assert within["type"] == "reply"  # the stream delay does not shut anyone out
        # turnout ticks may interleave (the ticker runs while the vote is open): the order that
        # matters is closing (the announcement) before closed (the hub's hard close)
        kinds: list[str] = []
        for count in range(1, 20):
            kinds = [e["event"] for e in await host.wait_events("vote/plenary-1", count, timeout=10)]
            if "vote.closed" in kinds:
                break
        assert "vote.closed" in kinds, kinds
        assert kinds.index("vote.closing") < kinds.index("vote.closed"), kinds
    late = await cast(hub, tokens["p2"], ["P00", "P01", "P02"], "nonce-late-01")
    assert late["name"] == "vote_closed"


async def test_vote_list_shows_each_caller_the_votes_they_may_see(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["host"]) as host:
        await host.ok("vote.create", definition=DEFINITION)
        await host.ok("vote.create", definition=DEFINITION | {"vote_id": "m2-1", "eligibility": "m2"})
        await host.ok("vote.open", vote="m2-1")
        seen = await host.ok("vote.list")
    assert [(v["vote"], v["status"], v["eligibility"]) for v in seen["votes"]] == [
        ("m2-1", "open", "m2"),
        ("plenary-1", "draft", "panelists"),
    ]
    async with connect(hub.ws_url, tokens["p1"]) as p1, connect(hub.ws_url, tokens["p3"]) as p3:
        assert [v["vote"] for v in (await p1.ok("vote.list"))["votes"]] == ["plenary-1"]  # p1 is in m1 only
        assert [v["vote"] for v in (await p3.ok("vote.list"))["votes"]] == ["m2-1", "plenary-1"]


async def test_the_overlay_shows_a_published_ranking_with_ties_and_the_head_hash(
    redis: Redis, hub: HubProcess
) -> None:
    tokens = await seed(redis)
    await open_vote_small(hub, tokens["host"])
    await cast(hub, tokens["p1"], ["P00", "P01", "P02"], "nonce-ov-p1")
    await cast(hub, tokens["p2"], ["P01", "P00", "P02"], "nonce-ov-p2")
    async with connect(hub.ws_url, tokens["host"]) as host:
        # nothing goes on air before it is published, nor for a vote that does not exist
        assert (await host.call("overlay.show", meeting="m1", vote="plenary-1"))[
            "name"
        ] == "vote_not_published"
        assert (await host.call("overlay.show", meeting="m1", vote="no-such-vote"))["name"] == "unknown_vote"
        await host.ok("vote.close", vote="plenary-1")
        published = await host.ok("vote.publish", vote="plenary-1")
        head = (await host.ok("vote.get", vote="plenary-1"))["head_hash"]
        await host.ok("overlay.show", meeting="m1", vote="plenary-1")
        item = (await host.ok("subscribe", channel="overlay/m1"))["snapshot"]["item"]
    shown = item["vote"]
    assert item["kind"] == "vote" and shown["n_voters"] == published["results"]["n_voters"] == 2
    # P00 and P01 tie 1:1 (shown as a tie), both beat P02, which beats the unranked rest.
    assert shown["ranking"][:2] == [["정책 제안 0", "정책 제안 1"], ["정책 제안 2"]]
    assert len(shown["ranking"][2]) == 27 and shown["tied"] is True
    assert shown["resolved"][:3] == ["정책 제안 0", "정책 제안 1", "정책 제안 2"]
    assert shown["head_hash"] == head and len(head) == 64


async def test_a_paper_ballot_with_the_panelists_online_nonce_is_counted(
    redis: Redis, hub: HubProcess
) -> None:
    tokens = await seed(redis)
    await open_vote_small(hub, tokens["host"])
    online = (await cast(hub, tokens["p1"], ["P00", "P01", "P02"], "nonce-same-01"))["result"]
    async with connect(hub.ws_url, tokens["clerk"]) as clerk:
        paper = await clerk.ok(
            "vote.paper", vote="plenary-1", voter="p1", ranking=["P09", "P08", "P07"], nonce="nonce-same-01"
        )
    assert paper["retry"] is False and paper["tracking_code"] != online["tracking_code"]
    async with connect(hub.ws_url, tokens["host"]) as host:
        await host.ok("vote.close", vote="plenary-1")
        res = (await host.ok("vote.publish", vote="plenary-1"))["results"]
    p9, p0 = res["proposals"].index("P09"), res["proposals"].index("P00")
    assert res["n_voters"] == 1 and res["pairwise"][p9][p0] == 1  # the paper ballot counted
