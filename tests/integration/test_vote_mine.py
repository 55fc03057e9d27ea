"""``vote.mine`` through real hubs and the real embedded Redis: a panelist learns their own standing
in a vote from the server, on any connection (another phone, another hub), by the same rule that
counts the ballots (``ballot.rules.choose_counted``: paper > latest online > phone)."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis

from ballot.model import Channel
from ballot.store import CastBatcher, Voter, VoteStore
from engine.channels import ChannelLog
from tests.support import HubProcess, connect, seed

PROPOSALS = [{"id": f"P{i}", "title": f"제안 {i}"} for i in range(1, 5)]


def definition(vote_id: str, eligibility: str = "panelists") -> dict[str, Any]:
    return {
        "vote_id": vote_id,
        "title": "내 투표 확인",
        "proposals": PROPOSALS,
        "rule": {"kind": "top_k", "k": 3, "minimum": 1},
        "method": "schulze",
        "tie_break": [p["id"] for p in PROPOSALS],
        "eligibility": eligibility,
    }


async def open_vote(hub: HubProcess, token: str, vote_id: str, eligibility: str = "panelists") -> None:
    async with connect(hub.ws_url, token) as host:
        await host.ok("vote.create", definition=definition(vote_id, eligibility))
        await host.ok("vote.open", vote=vote_id)


async def test_a_ballot_cast_on_one_phone_is_shown_on_another_over_another_hub(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    await open_vote(hubs[0], tokens["host"], "mine-1")
    async with (
        connect(hubs[0].ws_url, tokens["p1"]) as phone_a,
        connect(hubs[1].ws_url, tokens["p1"], "plenary.v1.msgpack") as phone_b,
    ):
        before = await phone_b.ok("vote.mine", vote="mine-1")
        assert before == {
            "vote": "mine-1",
            "eligible": True,
            "voted": False,
            "counted": None,
            "superseded": [],
            "conflict": False,
        }
        receipt = await phone_a.ok("vote.cast", vote="mine-1", ranking=["P3", "P1"], nonce="mine-nonce-1")
        mine = await phone_b.ok("vote.mine", vote="mine-1")
        assert mine["voted"] is True and mine["conflict"] is False
        assert mine["counted"] == {
            "channel": "online",
            "tracking_code": receipt["tracking_code"],
            "received_ms": receipt["received_ms"],
            "ranking": ["P3", "P1"],
        }
        assert mine["superseded"] == []

        # A revote on the second phone: the first phone now learns the new code and ranking.
        again = await phone_b.ok("vote.cast", vote="mine-1", ranking=["P2"], nonce="mine-nonce-2")
        mine = await phone_a.ok("vote.mine", vote="mine-1")
        assert mine["counted"]["tracking_code"] == again["tracking_code"]
        assert mine["counted"]["ranking"] == ["P2"]
        assert mine["superseded"] == [
            {
                "channel": "online",
                "tracking_code": receipt["tracking_code"],
                "received_ms": receipt["received_ms"],
            }
        ]

        # Only the caller's own: another panelist on the same hub has not voted.
        async with connect(hubs[1].ws_url, tokens["p2"]) as other:
            theirs = await other.ok("vote.mine", vote="mine-1")
            assert theirs["voted"] is False and theirs["counted"] is None and theirs["eligible"] is True

        # After the close the answer stands (it is what the page's closing notice is made of).
        async with connect(hubs[0].ws_url, tokens["host"]) as host:
            await host.ok("vote.close", vote="mine-1")
        mine = await phone_b.ok("vote.mine", vote="mine-1")
        assert mine["voted"] is True and mine["counted"]["tracking_code"] == again["tracking_code"]


async def test_paper_supersedes_online_and_the_panelist_is_told(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    await open_vote(hubs[0], tokens["host"], "mine-2")
    async with (
        connect(hubs[0].ws_url, tokens["p1"]) as phone,
        connect(hubs[1].ws_url, tokens["clerk"]) as clerk,
    ):
        online = await phone.ok("vote.cast", vote="mine-2", ranking=["P1", "P2"], nonce="online-0001")
        paper = await clerk.ok("vote.paper", vote="mine-2", voter="p1", ranking=["P4"], nonce="paper-0001")
        # A later online ballot does not beat paper either.
        later = await phone.ok("vote.cast", vote="mine-2", ranking=["P2"], nonce="online-0002")
        mine = await phone.ok("vote.mine", vote="mine-2")
        assert mine["voted"] is True
        assert mine["counted"]["channel"] == "paper"
        assert mine["counted"]["tracking_code"] == paper["tracking_code"]
        assert mine["counted"]["ranking"] == ["P4"]
        assert [(s["channel"], s["tracking_code"]) for s in mine["superseded"]] == [
            ("online", online["tracking_code"]),
            ("online", later["tracking_code"]),
        ]

        # Paper entries that disagree: voted, nothing counts yet, and the conflict is said.
        await clerk.ok("vote.paper", vote="mine-2", voter="p1", ranking=["P3"], nonce="paper-0002")
        mine = await phone.ok("vote.mine", vote="mine-2")
        assert mine["voted"] is True and mine["conflict"] is True and mine["counted"] is None


async def test_a_phone_pre_vote_counts_until_the_panelist_votes_online(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    await open_vote(hubs[0], tokens["host"], "mine-3")
    store = VoteStore(ChannelLog(redis))
    batcher = CastBatcher(store)
    batcher.start()
    try:
        defn = await store.definition("mine-3")
        pre = await batcher.cast(defn, Voter("p2"), ["P1"], "phone-0001", Channel.PHONE, "staff-1")
    finally:
        await batcher.stop()
    async with connect(hubs[1].ws_url, tokens["p2"]) as phone:
        mine = await phone.ok("vote.mine", vote="mine-3")
        assert mine["counted"]["channel"] == "phone"
        assert mine["counted"]["tracking_code"] == pre.tracking_code
        online = await phone.ok("vote.cast", vote="mine-3", ranking=["P2"], nonce="online-0003")
        mine = await phone.ok("vote.mine", vote="mine-3")
        assert (mine["counted"]["channel"], mine["counted"]["tracking_code"]) == (
            "online",
            online["tracking_code"],
        )
        assert [s["channel"] for s in mine["superseded"]] == ["phone"]


async def test_refusals_have_stable_codes_and_the_connection_lives_on(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    await open_vote(hubs[0], tokens["host"], "mine-4", eligibility="m1")
    for role in ("host", "mod", "ops", "obs", "clerk"):
        async with connect(hubs[0].ws_url, tokens[role]) as c:
            err = await c.call("vote.mine", vote="mine-4")
            assert (err["type"], err["name"], err["code"]) == ("error", "forbidden", 1101), role
            await c.ok("ping")
    async with connect(hubs[0].ws_url, tokens["p3"]) as outsider:  # p3 is not in meeting m1
        mine = await outsider.ok("vote.mine", vote="mine-4")
        assert (mine["eligible"], mine["voted"], mine["counted"]) == (False, False, None)
        err = await outsider.call("vote.mine", vote="no-such-vote")
        assert (err["name"], err["code"]) == ("unknown_vote", 1500)
        for bad in ({"vote": "../x"}, {"vote": 7}, {}):
            err = await outsider.call("vote.mine", **bad)
            assert err["name"] == "bad_field", (bad, err)
        await outsider.ok("ping")


async def test_the_store_reads_only_new_ballots_and_starts_over_for_a_vote_made_anew(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    await open_vote(hubs[0], tokens["host"], "mine-5")
    store = VoteStore(ChannelLog(redis))
    eligible, choice = await store.choice_of("mine-5", "p1")
    assert eligible and choice.counted is None
    async with connect(hubs[0].ws_url, tokens["p1"]) as phone:
        r = await phone.ok("vote.cast", vote="mine-5", ranking=["P1"], nonce="index-0001")
    _, choice = await store.choice_of("mine-5", "p1")  # the same store: an incremental read
    assert choice.counted is not None and choice.counted.tracking_code == r["tracking_code"]

    # Redis loses everything and the vote is made anew: the old ballot must not be shown.
    await redis.flushall()
    tokens = await seed(redis)
    await open_vote(hubs[0], tokens["host"], "mine-5")
    eligible, choice = await store.choice_of("mine-5", "p1")
    assert eligible and choice.counted is None and not choice.superseded
    async with connect(hubs[0].ws_url, tokens["p1"]) as phone:
        r2 = await phone.ok("vote.cast", vote="mine-5", ranking=["P2"], nonce="index-0002")
    _, choice = await store.choice_of("mine-5", "p1")
    assert choice.counted is not None and choice.counted.tracking_code == r2["tracking_code"]
    assert not choice.superseded


async def test_pages_asking_at_once_share_reads_and_each_sees_what_was_stored_before_it_asked(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    await open_vote(hubs[0], tokens["host"], "mine-6")
    async with connect(hubs[0].ws_url, tokens["p1"]) as phone:
        r = await phone.ok("vote.cast", vote="mine-6", ranking=["P1"], nonce="share-0001")
    store = VoteStore(ChannelLog(redis))
    reads = 0
    read = store._read_new_ballots

    async def counted_read(vote_id: str, index: Any) -> None:
        nonlocal reads
        reads += 1
        await read(vote_id, index)

    store._read_new_ballots = counted_read  # type: ignore[method-assign]
    answers = await asyncio.gather(*(store.choice_of("mine-6", "p1") for _ in range(300)))
    assert reads <= 2  # 300 reconnecting pages: one read, and at most one more for the latecomers
    assert all(c.counted is not None and c.counted.tracking_code == r["tracking_code"] for _, c in answers)
