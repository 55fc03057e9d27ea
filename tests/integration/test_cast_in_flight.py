"""Two cast batches in flight (``CastBatcher(in_flight=2)`` over ``engine.scripts.ScriptPipe``), on the
real embedded Redis: the ballots land in the order they were cast, each acknowledged ballot is stored
once, and a failed batch (an error reply, a dropped connection) touches only its own casts, which the
client may send again with the same nonce and get stored exactly once.

The oracle for order and outcomes: the same casts sent one at a time (``max_batch=1, in_flight=1``,
each awaited), which is how the store behaved before batches were pipelined."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from ballot.model import BallotRule, Proposal, VoteDefinition
from ballot.store import CastBatcher, Receipt, Voter, VoteStore
from engine import keys
from engine.channels import ChannelLog
from engine.errors import Code, HubError
from engine.server import EmbeddedRedis
from tests.examples import examples
from tests.support import redis_client

IDS = ["A", "B", "C", "D"]
VOTERS = ["v1", "v2", "v3"]


def definition(vote_id: str) -> VoteDefinition:
    return VoteDefinition(
        vote_id=vote_id,
        title=vote_id,
        proposals=tuple(Proposal(id=i, title=i) for i in IDS),
        rule=BallotRule(kind="top_k", k=2, minimum=1),
        method="borda",
        tie_break=tuple(IDS),
    )


async def opened(store: VoteStore, vote_id: str, voters: Sequence[str] = VOTERS) -> VoteDefinition:
    defn = definition(vote_id)
    await store.create(defn)
    await store.open(vote_id, list(voters))
    return defn


class Watched(CastBatcher):
    """A real batcher that records how many of its ``cast.lua`` calls were in Redis at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = self.most = 0
        call = self._pipe.call

        async def watched(keys: Sequence[str], args: Sequence[Any]) -> Any:
            self.now += 1
            self.most = max(self.most, self.now)
            try:
                return await call(keys, args)
            finally:
                self.now -= 1

        self._pipe.call = watched  # type: ignore[method-assign]


Cast = tuple[str, tuple[str, ...], str]  # voter, ranking, nonce


async def cast_all(batcher: CastBatcher, defn: VoteDefinition, casts: Sequence[Cast]) -> list[Any]:
    """Every cast queued at once, in order; each one's receipt or error."""
    return await asyncio.gather(
        *(batcher.cast(defn, Voter(v, "female"), list(r), n) for v, r, n in casts), return_exceptions=True
    )


async def one_at_a_time(batcher: CastBatcher, defn: VoteDefinition, casts: Sequence[Cast]) -> list[Any]:
    out: list[Any] = []
    for v, r, n in casts:
        try:
            out.append(await batcher.cast(defn, Voter(v, "female"), list(r), n))
        except HubError as err:
            out.append(err)
    return out


def outcome(result: Any) -> tuple[Any, ...]:
    """What a caller learns, less the random tracking code: seq and retry, or the error code."""
    if isinstance(result, Receipt):
        return ("stored", result.seq, result.retry)
    assert isinstance(result, HubError), result
    return ("refused", result.code)


async def stored(store: VoteStore, vote_id: str) -> list[tuple[int, str, tuple[str, ...], str]]:
    return [(b.seq, b.voter, b.ranking, b.tracking_code) for b in await store.ballots(vote_id)]


casts_strategy = st.lists(
    st.tuples(
        st.sampled_from(VOTERS),
        st.lists(st.sampled_from(IDS), min_size=1, max_size=2, unique=True).map(tuple),
        st.integers(0, 5),  # nonce number: the same voter and number again is a retry or a reuse
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=examples(25), deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=casts_strategy, max_batch=st.integers(1, 4))
def test_two_batches_in_flight_store_what_one_at_a_time_stores_in_the_same_order(
    embedded: EmbeddedRedis, raw: list[tuple[str, tuple[str, ...], int]], max_batch: int
) -> None:
    """Recasts, retries and reused nonces spread over batches in flight come out as they do one at a
    time: the same outcome for each cast, the same ballots in the same order (seq), the same turnout."""
    casts = [(v, r, f"nonce-{v}-{n:04d}") for v, r, n in raw]

    async def go() -> None:
        redis = redis_client(embedded.url)
        await redis.flushall()
        store = VoteStore(ChannelLog(redis))
        piped = Watched(store, max_batch=max_batch, in_flight=2)
        single = CastBatcher(store, max_batch=1, in_flight=1)
        piped.start()
        single.start()
        try:
            a, b = await opened(store, "piped"), await opened(store, "single")
            got = await cast_all(piped, a, casts)
            want = await one_at_a_time(single, b, casts)
            assert [outcome(x) for x in got] == [outcome(x) for x in want]
            mine = await stored(store, "piped")
            assert [s[:3] for s in mine] == [s[:3] for s in await stored(store, "single")]
            # every receipt names its stored ballot (a retry: the first one's)
            codes = {seq: code for seq, _, _, code in mine}
            for r in got:
                if isinstance(r, Receipt):
                    assert codes[r.seq] == r.tracking_code
            assert await store.turnout("piped") == await store.turnout("single")
            if len(casts) > 2 * max_batch:
                assert piped.most == 2  # the test did put two batches in Redis at once
        finally:
            await piped.stop()
            await single.stop()
            await redis.aclose()

    asyncio.run(go())


async def test_a_recast_in_the_batch_behind_is_stored_after_the_first_ballot(redis: Redis) -> None:
    store = VoteStore(ChannelLog(redis))
    defn = await opened(store, "order", [f"w{i}" for i in range(8)])
    batcher = Watched(store, max_batch=4, in_flight=2)
    batcher.start()
    try:
        first = [(f"w{i}", ("A",), f"nonce-first-{i}") for i in range(4)]
        again = [(f"w{i}", ("B",), f"nonce-again-{i}") for i in range(4)]
        results = await cast_all(batcher, defn, first + again)
        assert batcher.most == 2
        assert all(isinstance(r, Receipt) for r in results)
        ballots = await store.ballots("order")
        assert [(b.voter, b.ranking) for b in ballots] == [(v, r) for v, r, _ in first + again]
        assert (await store.turnout("order"))["voted"] == 4
    finally:
        await batcher.stop()


async def test_an_error_reply_fails_only_its_own_batch(redis: Redis) -> None:
    """Vote ``bad``'s batch gets an error from Redis (its eligible set is not a set); vote ``good``'s
    batch, in flight behind it on the same connection, is stored, and the connection goes on."""
    store = VoteStore(ChannelLog(redis))
    bad, good = await opened(store, "bad"), await opened(store, "good")
    await redis.delete(keys.vote_key("bad", "eligible"))
    await redis.set(keys.vote_key("bad", "eligible"), "not a set")
    batcher = Watched(store, max_batch=3, in_flight=2)
    batcher.start()
    try:
        results = await asyncio.gather(
            *(batcher.cast(bad, Voter(v), ["A"], f"nonce-bad-{v}") for v in VOTERS),
            *(batcher.cast(good, Voter(v), ["B"], f"nonce-good-{v}") for v in VOTERS),
            return_exceptions=True,
        )
        assert batcher.most == 2
        assert all(isinstance(r, HubError) and r.code == Code.UNAVAILABLE for r in results[:3])
        assert all(isinstance(r, Receipt) for r in results[3:])
        assert [b.voter for b in await store.ballots("good")] == VOTERS
        assert await store.ballots("bad") == []  # the script failed before its writes
        again = await batcher.cast(good, Voter("v1"), ["C"], "nonce-good-later")
        assert again.seq == 4
    finally:
        await batcher.stop()


async def client_named(redis: Redis, suffix: str) -> dict[str, Any]:
    clients = [c for c in await redis.client_list() if str(c.get("name", "")).endswith(suffix)]
    assert len(clients) == 1, clients
    return clients[0]


async def test_a_connection_dropped_with_two_batches_in_flight_loses_and_doubles_nothing(
    redis: Redis,
) -> None:
    """Redis holds both batches (``CLIENT PAUSE ... WRITE``) when the batcher's connection is
    killed: every cast of both fails ``UNAVAILABLE``; sent again with the same nonces they are stored
    once each, in order, and the batcher has connected again by itself."""
    store = VoteStore(ChannelLog(redis))
    voters = [f"w{i}" for i in range(6)]
    defn = await opened(store, "drop", voters)
    batcher = Watched(store, max_batch=3, in_flight=2)
    batcher.start()
    casts = [(v, ("A", "B"), f"nonce-drop-{v}") for v in voters]
    try:
        await batcher.cast(defn, Voter("w0"), ["A", "B"], "nonce-drop-w0")  # connected
        await redis.execute_command("CLIENT", "PAUSE", 5000, "WRITE")
        try:
            pending = asyncio.ensure_future(cast_all(batcher, defn, casts[1:]))
            for _ in range(100):  # both batches written, held by the pause
                if batcher.now == 2:
                    break
                await asyncio.sleep(0.01)
            assert batcher.now == 2
            victim = await client_named(redis, ":cast")
            await redis.execute_command("CLIENT", "KILL", "ID", victim["id"])
            results = await asyncio.wait_for(pending, 5)
        finally:
            await redis.execute_command("CLIENT", "UNPAUSE")
        assert all(isinstance(r, HubError) and r.code == Code.UNAVAILABLE for r in results)
        retried = await cast_all(batcher, defn, casts)
        assert all(isinstance(r, Receipt) for r in retried)
        assert [r.retry for r in retried] == [True] + [False] * 5  # w0 was stored before the drop
        ballots = await store.ballots("drop")
        assert [b.voter for b in ballots] == voters
        assert [b.tracking_code for b in ballots] == [r.tracking_code for r in retried]
        assert (await client_named(redis, ":cast"))["id"] != victim["id"]
    finally:
        await batcher.stop()


@pytest.mark.parametrize("in_flight", [1, 2])
async def test_a_script_flushed_from_redis_fails_one_batch_then_is_loaded_again(
    redis: Redis, in_flight: int
) -> None:
    store = VoteStore(ChannelLog(redis))
    defn = await opened(store, "flushed")
    batcher = CastBatcher(store, in_flight=in_flight)
    batcher.start()
    try:
        await batcher.cast(defn, Voter("v1"), ["A"], "nonce-v1-0001")
        await redis.script_flush()
        with pytest.raises(HubError) as refused:
            await batcher.cast(defn, Voter("v2"), ["A"], "nonce-v2-0001")
        assert refused.value.code == Code.UNAVAILABLE  # not run: NOSCRIPT
        receipt = await batcher.cast(defn, Voter("v2"), ["A"], "nonce-v2-0001")
        assert not receipt.retry and [b.voter for b in await store.ballots("flushed")] == ["v1", "v2"]
    finally:
        await batcher.stop()


async def test_queued_casts_are_settled_in_order_from_the_batch_and_a_failing_settle_harms_no_other(
    redis: Redis,
) -> None:
    """``CastBatcher.queue`` (the hub's direct path, no future): each cast's ``done`` is called once,
    after Redis answered, in the order the casts were queued, all in the batch's one step; one
    ``done`` that raises is logged and the batch's other casts are settled and stored all the same."""
    store = VoteStore(ChannelLog(redis))
    voters = [f"q{i}" for i in range(6)]
    defn = await opened(store, "queued", voters)
    batcher = CastBatcher(store, max_batch=6, in_flight=1)
    batcher.start()
    settled: list[tuple[str, Any]] = []
    all_in = asyncio.Event()

    def done_for(voter: str) -> Any:
        def done(outcome: Receipt | Exception) -> None:
            settled.append((voter, outcome))
            if len(settled) == len(voters):
                all_in.set()
            if voter == "q2":
                raise RuntimeError("a reply that could not be written")

        return done

    try:
        for v in voters:
            batcher.queue(defn, Voter(v), ["A"], f"nonce-queued-{v}", done_for(v))
        batcher.queue(defn, Voter("q0"), ["A", "A"], "nonce-repeat", done_for("never"))  # refused now
    except HubError as err:
        assert err.code is Code.REPEATED_PROPOSAL
    try:
        await asyncio.wait_for(all_in.wait(), 10)
        assert [v for v, _ in settled] == voters  # once each, in order; the refused one never
        assert all(isinstance(o, Receipt) for _, o in settled)
        assert [b.voter for b in await store.ballots("queued")] == voters
    finally:
        await batcher.stop()
