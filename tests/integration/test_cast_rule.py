"""``cast.lua`` decides as ``ballot.rules.check_accepts`` does: generated (status, now, closes_at,
hard_close_at, channel) cases, each cast through the real ``CastBatcher`` into the real embedded Redis.

The grace rule runs inside the cast script (atomic with the ballot's append, so no ballot slips in
between a check and the write); this test is what keeps that copy the rule ``ballot/rules.py`` states.
"now" is the Redis server's clock: an accepted cast says when the script ran (``received_ms``), and the
rule must accept at that instant; a refused one is held to the rule before and after the cast (a hard
close within those few milliseconds may go either way).
"""

from __future__ import annotations

import asyncio
import itertools

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from ballot import rules
from ballot.model import BallotRule, Channel, Proposal, VoteDefinition, VoteState
from ballot.store import CastBatcher, Voter, VoteStore
from engine import keys
from engine.channels import ChannelLog
from engine.errors import Code, VoteError
from engine.server import EmbeddedRedis
from tests.examples import examples
from tests.support import redis_client

IDS = ["A", "B", "C"]
DEFN = VoteDefinition(
    vote_id="rule1",
    title="the cast rule",
    proposals=tuple(Proposal(id=i, title=i) for i in IDS),
    rule=BallotRule(kind="rank_all"),
    method="borda",
    tie_break=tuple(IDS),
    grace_seconds=30,
)
VOTERS = [f"v{i}" for i in range(3000)]
_fresh = itertools.count()  # one voter and nonce per case: no retry, no per-voter limit in the way
_enc = msgspec.msgpack.Encoder()

# times relative to the Redis clock at the cast; near zero often, so the hard close's edge is hit
OFFSET = st.none() | st.integers(0, 4) | st.integers(-2, 12) | st.integers(-120_000, 120_000)


async def _now_ms(redis: Redis) -> int:
    sec, usec = await redis.time()
    return int(sec) * 1000 + int(usec) // 1000


def _rule(state: VoteState, channel: Channel, now_ms: int, hard: int | None) -> Code | None:
    try:
        rules.check_accepts(state, channel, now_ms=now_ms, hard_close_at=hard)
    except VoteError as exc:
        return exc.code
    return None


async def _case(url: str, state: VoteState, channel: Channel, closes: int | None, hard: int | None) -> None:
    redis = redis_client(url)
    store = VoteStore(ChannelLog(redis))
    if await redis.hget(keys.channel_keys(keys.vote(DEFN.vote_id)).state, "status") is None:
        await store.create(DEFN)
        await store.open(DEFN.vote_id, VOTERS)
    batcher = CastBatcher(store)
    batcher.start()
    try:
        n = next(_fresh)
        state_key = keys.channel_keys(keys.vote(DEFN.vote_id)).state
        before = await _now_ms(redis)
        fields = {"closes_at": None if closes is None else before + closes}
        fields["hard_close_at"] = None if hard is None else before + hard
        await redis.hset(state_key, "status", _enc.encode(state.value))
        for name, value in fields.items():
            if value is None:
                await redis.hdel(state_key, name)
            else:
                await redis.hset(state_key, name, _enc.encode(value))
        received: int | None = None
        try:
            receipt = await batcher.cast(
                DEFN,
                Voter(VOTERS[n % len(VOTERS)]),
                IDS,
                f"rule-case-{n:08d}",
                channel=channel,
                entered_by="" if channel is Channel.ONLINE else "clerk-1",
            )
            got: Code | None = None
            received = receipt.received_ms  # the script's own "now": the rule must accept at it
        except VoteError as exc:
            got = exc.code
        after = await _now_ms(redis)
    finally:
        await batcher.stop()
        await redis.aclose()
    if received is not None:
        assert before <= received <= after
        expected = {_rule(state, channel, received, fields["hard_close_at"])}
    else:
        expected = {_rule(state, channel, t, fields["hard_close_at"]) for t in (before, after)}
    assert got in expected, (state, channel, fields, before, after, got, expected)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    state=st.sampled_from(VoteState),
    channel=st.sampled_from(Channel),
    closes=OFFSET,
    hard=OFFSET,
)
def test_cast_lua_accepts_and_refuses_as_check_accepts(
    embedded: EmbeddedRedis, state: VoteState, channel: Channel, closes: int | None, hard: int | None
) -> None:
    asyncio.run(_case(embedded.url, state, channel, closes, hard))
