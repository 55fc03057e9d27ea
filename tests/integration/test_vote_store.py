"""The vote store against the real embedded Redis: group commit, collisions, audit, phone merge."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import msgspec
import pytest
from redis.asyncio import Redis

import ballot.store as store_mod
from ballot import rules
from ballot.model import BallotRule, Channel, Proposal, VoteDefinition, VoteState
from ballot.receipts import issue_receipt
from ballot.store import CastBatcher, Voter, VoteStore
from engine import keys
from engine.channels import ChannelLog
from engine.errors import Code, HubError
from engine.limits import Bucket, Take
from panel.roster import Participant, Roster
from tests.integration.test_cli import plenary

IDS = ["A", "B", "C", "D"]
DEFN = VoteDefinition(
    vote_id="s1",
    title="store",
    proposals=tuple(Proposal(id=i, title=i) for i in IDS),
    rule=BallotRule(kind="rank_all"),
    method="borda",
    tie_break=tuple(IDS),
)


async def opened(redis: Redis, voters: list[str]) -> tuple[VoteStore, CastBatcher]:
    store = VoteStore(ChannelLog(redis))
    await store.create(DEFN)
    await store.open("s1", voters)
    batcher = CastBatcher(store)
    batcher.start()
    return store, batcher


async def test_casts_waiting_together_go_in_one_batch(redis: Redis) -> None:
    store, batcher = await opened(redis, [f"v{i}" for i in range(500)])
    try:
        await asyncio.gather(*(batcher.cast(DEFN, Voter(f"v{i}"), IDS, f"nonce-{i:05d}") for i in range(500)))
        assert batcher.batches <= 10  # 500 casts, a handful of round trips (and fsyncs)
        assert len(await store.ballots("s1")) == 500
    finally:
        await batcher.stop()


async def test_a_tracking_code_collision_draws_a_new_salt(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, batcher = await opened(redis, ["v1", "v2"])
    fixed = issue_receipt("s1", IDS)
    calls = iter([fixed, fixed])
    monkeypatch.setattr(
        store_mod,
        "issue_receipt",
        lambda vote_id, ranking, salt=None: next(calls, issue_receipt(vote_id, ranking, salt)),
    )
    try:
        r1 = await batcher.cast(DEFN, Voter("v1"), IDS, "nonce-00001")
        r2 = await batcher.cast(DEFN, Voter("v2"), IDS, "nonce-00002")
        assert r1.tracking_code == fixed[1] and r2.tracking_code != fixed[1]
        assert len({b.tracking_code for b in await store.ballots("s1")}) == 2
    finally:
        await batcher.stop()


async def test_every_entry_is_audited_with_who_keyed_it(redis: Redis) -> None:
    _store, batcher = await opened(redis, ["v1"])
    try:
        await batcher.cast(DEFN, Voter("v1"), IDS, "nonce-online1")
        await batcher.cast(
            DEFN, Voter("v1"), IDS[::-1], "nonce-paper01", channel=Channel.PAPER, entered_by="clerk-7"
        )
    finally:
        await batcher.stop()
    audit = [msgspec.msgpack.decode(x) for x in await redis.lrange(keys.vote_key("s1", "audit"), 0, -1)]
    assert [(a[0], a[3], a[4], a[6]) for a in audit] == [
        ("cast", "v1", "online", ""),
        ("cast", "v1", "paper", "clerk-7"),
    ]


async def test_phone_prevotes_merge_from_csv_and_bad_rows_merge_nothing(
    redis: Redis, embedded: object, tmp_path: Path
) -> None:
    await Roster(redis).upsert([Participant(id=f"v{i}", name=f"v{i}", role="panelist") for i in range(3)])
    store, batcher = await opened(redis, ["v0", "v1", "v2"])
    await batcher.stop()
    url = embedded.url  # type: ignore[attr-defined]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "voter,ranking,nonce\nv0,A;B;C;D,phone-0001\nghost,A;B;C;D,phone-0002\nv1,A;A;B;C,phone-0003\n"
    )
    out = plenary("vote", "merge-phone", "s1", str(bad), "--redis-url", url, check=False)
    assert out.returncode == 2 and "row 3" in out.stderr and "row 4" in out.stderr
    assert await store.ballots("s1") == []
    good = tmp_path / "good.csv"
    good.write_text("voter,ranking,nonce\nv0,A;B;C;D,phone-0001\nv1,D;C;B;A,phone-0002\n")
    out = plenary("vote", "merge-phone", "s1", str(good), "--redis-url", url, "--entered-by", "call-centre")
    ballots = await store.ballots("s1")
    assert {(b.voter, b.channel, b.entered_by) for b in ballots} == {
        ("v0", Channel.PHONE, "call-centre"),
        ("v1", Channel.PHONE, "call-centre"),
    }


async def _events(redis: Redis, vote_id: str) -> list[str]:
    meta = keys.channel_keys(keys.vote(vote_id)).meta
    epoch = (await redis.hget(meta, "epoch") or b"").decode()
    rec = await ChannelLog(redis).recover(keys.vote(vote_id), epoch, 0)
    assert rec.recovered
    return [e.type for e in rec.events]


async def test_a_second_close_during_the_grace_keeps_the_first_hard_close(redis: Redis) -> None:
    store = VoteStore(ChannelLog(redis))
    await store.create(msgspec.structs.replace(DEFN, grace_seconds=60))
    await store.open("s1", ["v1"])
    now = int(time.time() * 1000)
    first = await store.announce_close("s1", now_ms=now)
    again = await store.announce_close("s1", now_ms=now + 20_000)  # pressed again 20 s later
    assert (first.closes_at, first.hard_close_at, first.repeated) == (now, now + 60_000, False)
    assert (again.closes_at, again.hard_close_at, again.repeated) == (now, now + 60_000, True)
    state = keys.channel_keys(keys.vote("s1")).state
    assert msgspec.msgpack.decode(await redis.hget(state, "hard_close_at")) == now + 60_000
    assert (await _events(redis, "s1")).count("vote.closing") == 1
    await store.close("s1")  # the sweeper's hard close; a close after it is a repeat too
    late = await store.announce_close("s1", now_ms=now + 90_000)
    assert (late.hard_close_at, late.repeated) == (now + 60_000, True)


async def test_concurrent_closes_agree_on_one_hard_close(redis: Redis) -> None:
    store = VoteStore(ChannelLog(redis))
    await store.create(msgspec.structs.replace(DEFN, grace_seconds=60))
    await store.open("s1", ["v1"])
    now = int(time.time() * 1000)
    got = await asyncio.gather(*(store.announce_close("s1", now_ms=now + i) for i in range(5)))
    assert len({c.hard_close_at for c in got}) == 1
    assert sum(not c.repeated for c in got) == 1
    assert (await _events(redis, "s1")).count("vote.closing") == 1


async def test_closing_before_a_scheduled_close_replaces_it(redis: Redis) -> None:
    now = int(time.time() * 1000)
    store = VoteStore(ChannelLog(redis))
    await store.create(msgspec.structs.replace(DEFN, grace_seconds=30, scheduled_close=now + 600_000))
    await store.open("s1", ["v1"])
    early = await store.announce_close("s1", now_ms=now)
    assert (early.closes_at, early.hard_close_at, early.repeated) == (now, now + 30_000, False)


async def test_without_grace_a_second_close_returns_the_first(redis: Redis) -> None:
    store = VoteStore(ChannelLog(redis))
    await store.create(DEFN)
    await store.open("s1", ["v1"])
    first = await store.announce_close("s1", now_ms=1_000)
    assert await store.status("s1") == VoteState.CLOSED and not first.repeated
    again = await store.announce_close("s1", now_ms=9_000)
    assert (again.closes_at, again.hard_close_at, again.repeated) == (1_000, 1_000, True)


async def test_a_paper_ballot_reusing_the_online_nonce_is_stored_not_taken_for_a_retry(redis: Redis) -> None:
    store, batcher = await opened(redis, ["v1"])
    try:
        online = await batcher.cast(DEFN, Voter("v1"), IDS, "nonce-shared1")
        paper = await batcher.cast(
            DEFN, Voter("v1"), IDS[::-1], "nonce-shared1", channel=Channel.PAPER, entered_by="clerk-7"
        )
        assert not paper.retry and paper.tracking_code != online.tracking_code
        again = await batcher.cast(
            DEFN, Voter("v1"), IDS[::-1], "nonce-shared1", channel=Channel.PAPER, entered_by="clerk-7"
        )
        assert again.retry and again.tracking_code == paper.tracking_code  # the same paper, keyed twice
        online_again = await batcher.cast(DEFN, Voter("v1"), IDS, "nonce-shared1")
        assert online_again.retry and online_again.tracking_code == online.tracking_code
    finally:
        await batcher.stop()
    ballots = await store.ballots("s1")
    assert [(b.channel, b.ranking) for b in ballots] == [
        (Channel.ONLINE, tuple(IDS)),
        (Channel.PAPER, tuple(IDS[::-1])),
    ]
    counted = rules.select_counted(ballots).counted
    assert [b.channel for b in counted] == [Channel.PAPER]


async def test_the_rate_check_in_the_cast_step_refuses_past_the_burst_and_a_refused_ballot_costs_nothing(
    redis: Redis,
) -> None:
    """``cast.lua`` checks the sender's bucket in the ballot's own step (``Take``): past the burst
    the cast is ``rate_limited`` with the wait and stores nothing; a ballot refused for another
    reason (not eligible) keeps no token, and neither does a batch's rate-limited one."""
    store, batcher = await opened(redis, ["v1"])
    take = Take("v1", "cast", Bucket(rate=0.001, burst=3))
    try:
        with pytest.raises(HubError) as refused:  # not eligible: the bucket stays full
            await batcher.cast(DEFN, Voter("v9"), IDS, "nonce-00000", take=Take("v9", "cast", take.bucket))
        assert refused.value.code is Code.NOT_ELIGIBLE
        assert not await redis.exists(keys.vote_rate_bucket("s1", "v9", "cast"))
        results = await asyncio.gather(
            *(batcher.cast(DEFN, Voter("v1"), IDS, f"nonce-{i:05d}", take=take) for i in range(5)),
            return_exceptions=True,
        )
        assert [r.seq for r in results if not isinstance(r, BaseException)] == [1, 2, 3]
        limited = [r for r in results if isinstance(r, HubError)]
        assert [r.code for r in limited] == [Code.RATE_LIMITED] * 2
        assert all(r.retry_after_ms and r.retry_after_ms > 0 for r in limited)
        assert len(await store.ballots("s1")) == 3
        assert float(await redis.hget(keys.vote_rate_bucket("s1", "v1", "cast"), "t") or -1) < 1
    finally:
        await batcher.stop()
