"""A hypothesis state machine over open, cast, recast, retry, lost acknowledgement, close and publish,
against the real store on the real embedded Redis and a plain reference model: the stored ballots,
the turnout and the published tally always equal the model's."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ballot import rules
from ballot.model import BallotRule, Proposal, VoteDefinition
from ballot.store import CastBatcher, Voter, VoteStore, tally
from engine.channels import ChannelLog
from engine.errors import Code, VoteError
from engine.server import EmbeddedRedis
from tests.examples import examples
from tests.support import redis_client

IDS = ["A", "B", "C", "D", "E"]
DEFN = VoteDefinition(
    vote_id="model",
    title="model",
    proposals=tuple(Proposal(id=i, title=i) for i in IDS),
    rule=BallotRule(kind="top_k", k=3, minimum=1),
    method="schulze",
    tie_break=tuple(IDS),
)
VOTERS = ["v1", "v2", "v3", "v4"]
rankings = st.lists(st.sampled_from(IDS), min_size=1, max_size=3, unique=True)


class VoteMachine(RuleBasedStateMachine):
    url: str = ""

    @initialize()
    def setup(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.redis = redis_client(self.url)
        self.run(self.redis.flushall())
        self.store = VoteStore(ChannelLog(self.redis))
        self.batcher = CastBatcher(self.store)
        self.run(self._start())
        self.status = "draft"
        self.model: dict[str, tuple[str, ...]] = {}  # voter -> the ballot that counts
        self.sent: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {}  # (voter, nonce) -> ranking, code
        self.n = 0

    async def _start(self) -> None:
        self.batcher.start()
        await self.store.create(DEFN)

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        if hasattr(self, "loop"):
            self.run(self.batcher.stop())
            self.run(self.redis.aclose())
            self.loop.close()

    def cast(self, voter: str, ranking: list[str], nonce: str) -> Any:
        return self.run(self.batcher.cast(DEFN, Voter(voter, "female"), ranking, nonce))

    @precondition(lambda self: self.status == "draft")
    @rule()
    def open(self) -> None:
        self.run(self.store.open("model", VOTERS))
        self.status = "open"

    @rule(voter=st.sampled_from([*VOTERS, "outsider"]), ranking=rankings)
    def cast_or_recast(self, voter: str, ranking: list[str]) -> None:
        self.n += 1
        nonce = f"nonce-{self.n:06d}"
        try:
            receipt = self.cast(voter, ranking, nonce)
        except VoteError as err:
            expected = {
                "draft": Code.VOTE_NOT_OPEN,
                "closed": Code.VOTE_CLOSED,
                "published": Code.VOTE_CLOSED,
            }
            if voter == "outsider" and self.status == "open":
                assert err.code == Code.NOT_ELIGIBLE
            else:
                assert err.code == expected[self.status], (self.status, err)
            return
        assert self.status == "open" and voter != "outsider"
        self.model[voter] = tuple(ranking)  # revoting: the last ballot counts
        self.sent[(voter, nonce)] = (tuple(ranking), receipt.tracking_code)

    @precondition(lambda self: bool(self.sent))
    @rule(data=st.data())
    def retry_same_nonce(self, data: st.DataObject) -> None:
        """A client that lost the acknowledgement (disconnect) sends the same ballot again."""
        voter, nonce = data.draw(st.sampled_from(sorted(self.sent)))
        ranking, code = self.sent[(voter, nonce)]
        receipt = self.cast(voter, list(ranking), nonce)
        assert receipt.retry and receipt.tracking_code == code  # same receipt, nothing changes

    @rule(ranking=st.lists(st.sampled_from([*IDS, "Z"]), min_size=0, max_size=5))
    def malformed(self, ranking: list[str]) -> None:
        try:
            rules.validate_ranking(DEFN, ranking)
        except VoteError:
            with pytest.raises(VoteError):
                self.cast("v1", ranking, "nonce-bad0001")

    @precondition(lambda self: self.status == "open")
    @rule()
    def close(self) -> None:
        self.run(self.store.close("model"))
        self.status = "closed"

    @precondition(lambda self: self.status == "closed")
    @rule()
    def publish(self) -> None:
        result = self.run(self.store.publish("model"))
        self.status = "published"
        assert result == tally(DEFN, sorted(self.model.values()))

    @invariant()
    def store_equals_model(self) -> None:
        if not hasattr(self, "store"):
            return
        ballots = self.run(self.store.ballots("model"))
        counted = rules.select_counted(ballots).counted
        assert {b.voter: b.ranking for b in counted} == self.model
        assert self.run(self.store.turnout("model"))["voted"] == len(self.model)


def test_vote_state_machine(embedded: EmbeddedRedis) -> None:
    VoteMachine.url = embedded.url
    run_state_machine_as_test(
        VoteMachine,
        settings=settings(
            max_examples=examples(40),
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
