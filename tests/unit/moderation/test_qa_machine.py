"""Random sequences of Q&A commands against the real store (Redis, ``lua/qa.lua``) and a plain model.

After every step the store must agree with the model, and keep the invariants: a question is in
exactly one state (the same on the desk and in the panelists' view, which holds exactly the public
ones, never an anonymous author); each vote count equals its voters' set; the order is a
permutation of the queued questions; at most one question is on air.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from engine.channels import ChannelLog
from engine.errors import HubError
from engine.server import EmbeddedRedis
from moderation import qa
from moderation.qa_store import Asker, QAStore
from tests.examples import examples
from tests.support import redis_client

PANELISTS = ["p1", "p2", "p3", "p4"]
ROLES = ["panelist", "moderator", "host", "observer"]
# Hypothesis favours the first element: mostly a moderator, so that runs go deep; sometimes another role.
MOVERS = st.sampled_from(["moderator", "host", "moderator", "panelist", "observer"])
_meetings = itertools.count()


@dataclass
class Q:
    state: str
    author: str
    anonymous: bool
    voters: set[str] = field(default_factory=set)


class Model:
    """The rules, written plainly (not from the store's code)."""

    def __init__(self) -> None:
        self.qs: dict[int, Q] = {}
        self.order: list[int] = []

    def move(self, qid: int, name: str, role: str) -> str | None:
        r = qa.RULES[name]
        if role not in r.roles:
            return "forbidden"
        q = self.qs.get(qid)
        if q is None:
            return "unknown_question"
        if q.state not in r.sources:
            return "bad_transition"
        assert r.target is not None
        if r.target == "on_air":
            for other_id, other in self.qs.items():
                if other.state == "on_air" and other_id != qid:
                    self._enter(other_id, "answered")
        self._enter(qid, r.target)
        return None

    def _enter(self, qid: int, state: str) -> None:
        q = self.qs[qid]
        if q.state == "queued" and state != "queued":
            self.order.remove(qid)
        if state == "queued" and q.state != "queued":
            self.order.append(qid)
        q.state = state


class QAMachine(RuleBasedStateMachine):
    url: str = ""

    @initialize()
    def start(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.redis = redis_client(self.url)
        self.store = QAStore(ChannelLog(self.redis))
        self.meeting = f"pm{next(_meetings)}"
        self.model = Model()
        self.next_id = 1
        for who in PANELISTS[:3]:
            self.ask(who, anonymous=who == "p2", role="panelist")

    def teardown(self) -> None:
        if hasattr(self, "loop"):
            self.loop.run_until_complete(self.redis.aclose())
            self.loop.close()

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def attempt(self, coro: Any) -> str | None:
        try:
            self.run(coro)
        except HubError as err:
            return err.name
        return None

    def pick(self, data: st.DataObject) -> int:
        """Mostly a question that exists, sometimes one that does not."""
        existing = sorted(self.model.qs)
        if existing and data.draw(st.integers(0, 19)) < 19:
            return data.draw(st.sampled_from(existing))
        return self.next_id

    @rule(who=st.sampled_from(PANELISTS), anonymous=st.booleans(), role=st.sampled_from(["panelist", "host"]))
    def ask(self, who: str, anonymous: bool, role: str) -> None:
        got = self.attempt(
            self.store.ask(self.meeting, Asker(who, who.upper(), role), f"question {who}", anonymous)
        )
        if role != "panelist":
            assert got == "forbidden"
            return
        assert got is None
        self.model.qs[self.next_id] = Q("pending", who, anonymous)
        self.next_id += 1

    def step(self, name: str, role: str, data: st.DataObject) -> None:
        """Take rule ``name``, mostly on a question whose state allows it (so runs reach every state)."""
        r = qa.RULES[name]
        fits = sorted(qid for qid, q in self.model.qs.items() if q.state in r.sources)
        qid = (
            data.draw(st.sampled_from(fits)) if fits and data.draw(st.integers(0, 4)) < 4 else self.pick(data)
        )
        expected = self.model.move(qid, name, role)
        assert self.attempt(self.store.move(self.meeting, name, qid, role)) == expected

    @rule(role=MOVERS, data=st.data())
    def approve(self, role: str, data: st.DataObject) -> None:
        self.step("approve", role, data)

    @rule(role=MOVERS, data=st.data())
    def dismiss(self, role: str, data: st.DataObject) -> None:
        self.step("dismiss", role, data)

    @rule(role=MOVERS, data=st.data())
    def reopen(self, role: str, data: st.DataObject) -> None:
        self.step("reopen", role, data)

    @rule(role=MOVERS, data=st.data())
    def queue(self, role: str, data: st.DataObject) -> None:
        self.step("queue", role, data)

    @rule(role=MOVERS, data=st.data())
    def unqueue(self, role: str, data: st.DataObject) -> None:
        self.step("unqueue", role, data)

    @rule(role=MOVERS, data=st.data())
    def air(self, role: str, data: st.DataObject) -> None:
        self.step("air", role, data)

    @rule(role=MOVERS, data=st.data())
    def answer(self, role: str, data: st.DataObject) -> None:
        self.step("answer", role, data)

    @rule(voter=st.sampled_from(PANELISTS), add=st.booleans(), data=st.data())
    def vote(self, voter: str, add: bool, data: st.DataObject) -> None:
        qid = self.pick(data)
        q = self.model.qs.get(qid)
        expected = "unknown_question" if q is None else None if q.state in qa.VOTABLE else "bad_transition"
        assert self.attempt(self.store.vote(self.meeting, qid, voter, "panelist", add)) == expected
        if expected is None and q is not None:
            (q.voters.add if add else q.voters.discard)(voter)

    @rule(data=st.data(), role=st.sampled_from(["moderator", "panelist"]))
    def merge(self, data: st.DataObject, role: str) -> None:
        src, dst = self.pick(data), self.pick(data)
        a, b = self.model.qs.get(src), self.model.qs.get(dst)
        if role != "moderator":
            expected: str | None = "forbidden"
        elif a is None or b is None:
            expected = "unknown_question"
        elif src == dst:
            expected = "bad_merge"
        elif a.state not in qa.RULES["merge"].sources:
            expected = "bad_transition"
        elif b.state not in qa.MERGE_TARGETS:
            expected = "bad_merge"
        else:
            expected = None
        assert self.attempt(self.store.merge(self.meeting, src, dst, role)) == expected
        if expected is None and a is not None and b is not None:
            self.model._enter(src, "merged")
            b.voters |= a.voters
            a.voters = set()

    @precondition(lambda self: len(self.model.order) > 0)
    @rule(data=st.data(), valid=st.booleans())
    def reorder(self, data: st.DataObject, valid: bool) -> None:
        order = data.draw(st.permutations(self.model.order))
        if not valid:
            order = order[1:] if data.draw(st.booleans()) else [*order, order[0]]
        got = self.attempt(self.store.reorder(self.meeting, list(order), "moderator"))
        assert got == (None if valid else "bad_order")
        if valid:
            self.model.order = list(order)

    @invariant()
    def store_agrees_with_model_and_keeps_invariants(self) -> None:
        if not hasattr(self, "store"):
            return
        desk = self.run(self.store.questions(self.meeting))
        public = self.run(self.store.questions(self.meeting, staff=False))
        order = self.run(self.store.order(self.meeting))
        assert {qid: rec["state"] for qid, rec in desk.items()} == {
            qid: q.state for qid, q in self.model.qs.items()
        }
        assert order == self.model.order
        assert sorted(order) == sorted(qid for qid, rec in desk.items() if rec["state"] == "queued")
        assert sum(rec["state"] == "on_air" for rec in desk.values()) <= 1
        assert set(public) == {qid for qid, rec in desk.items() if rec["state"] in qa.PUBLIC}
        for qid, rec in desk.items():
            voters = self.run(self.store.voters(self.meeting, qid))
            assert voters == self.model.qs[qid].voters
            assert rec["votes"] == len(voters)
            assert rec["author"]["id"] == self.model.qs[qid].author
            if qid in public:
                assert public[qid] == qa.public_record(rec)
                assert ("author" in public[qid]) == (not rec["anonymous"])


def test_qa_store_follows_the_rules_on_random_command_sequences(embedded: EmbeddedRedis) -> None:
    QAMachine.url = embedded.url
    QAMachine.TestCase.settings = settings(
        max_examples=examples(60),
        stateful_step_count=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    QAMachine.TestCase().runTest()
