"""The hub reads a vote's definition once (VoteStore.cached_definition); the cast script refuses a
cached definition of a vote that was removed and created anew (a reset Redis), by its epoch."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from ballot.model import BallotRule, Proposal, VoteDefinition
from ballot.store import CastBatcher, StaleDefinition, Voter, VoteStore
from engine.channels import ChannelLog


def definition(ids: list[str]) -> VoteDefinition:
    return VoteDefinition(
        vote_id="v1",
        title="t",
        proposals=tuple(Proposal(id=i, title=i) for i in ids),
        rule=BallotRule(kind="top_k", k=1, minimum=1),
        method="schulze",
        tie_break=tuple(ids),
    )


async def test_a_cached_definition_of_a_vote_created_anew_is_refused(redis: Redis) -> None:
    store = VoteStore(ChannelLog(redis))
    await store.create(definition(["A", "B"]))
    await store.open("v1", ["p1"])
    old, epoch = await store.cached_definition("v1")
    assert epoch
    batcher = CastBatcher(store)
    batcher.start()
    try:
        assert (await batcher.cast(old, Voter("p1"), ["A"], "nonce-0001", epoch=epoch)).tracking_code
        await redis.flushall()  # Redis reset; the hosts create the vote again, other proposals
        await store.create(definition(["C", "D"]))
        await store.open("v1", ["p1"])
        assert (await store.cached_definition("v1"))[0] == old  # still the cached one
        with pytest.raises(StaleDefinition):
            await batcher.cast(old, Voter("p1"), ["A"], "nonce-0002", epoch=epoch)
        store.forget("v1")
        new, epoch2 = await store.cached_definition("v1")
        assert epoch2 != epoch and [p.id for p in new.proposals] == ["C", "D"]
        await batcher.cast(new, Voter("p1"), ["C"], "nonce-0003", epoch=epoch2)
        assert [b.ranking for b in await store.ballots("v1")] == [("C",)]
    finally:
        await batcher.stop()


async def test_casts_arriving_together_share_one_read(redis: Redis) -> None:
    import asyncio

    store = VoteStore(ChannelLog(redis))
    await store.create(definition(["A", "B"]))
    reads = 0
    real = store._read_definition

    async def counted(vote_id: str):  # type: ignore[no-untyped-def]
        nonlocal reads
        reads += 1
        return await real(vote_id)

    store._read_definition = counted  # type: ignore[method-assign]
    got = await asyncio.gather(*(store.cached_definition("v1") for _ in range(100)))
    assert reads == 1 and len({id(g[0]) for g in got}) == 1
