"""The plenary vote through real hubs: concurrent casts over two hub processes, idempotent retries,
bad ballots with stable codes, the close, publishing."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from redis.asyncio import Redis

from ballot.store import VoteStore
from engine.channels import ChannelLog
from panel.roster import Participant
from tests.support import HubProcess, connect, seed

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

    async def one(i: int, v: Participant) -> dict[str, Any]:
        async with connect(hubs[i % 2].ws_url, tokens[v.id], "plenary.v1.msgpack") as c:
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
