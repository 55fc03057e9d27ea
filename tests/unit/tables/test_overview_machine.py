"""The hosts' overview in Redis (``lua/overview.lua``) against its pure rule (``rules.next_record``)
on random sequences of cards, messages and flags at a few tables, and the cards' cap per table and
step (``lua/card_post.lua``): after each step the stored record is the rule's, every update one
event, and a refused card stores nothing."""

from __future__ import annotations

import asyncio
import itertools

import msgspec
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from engine import keys
from engine.channels import ChannelLog
from engine.errors import HubError
from engine.server import EmbeddedRedis
from tables import cards, cards_store, overview, rules
from tables.rules import Record
from tests.support import redis_client

_meetings = itertools.count()


class OverviewMachine(RuleBasedStateMachine):
    url: str = ""

    @initialize()
    def start(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.redis = redis_client(self.url)
        self.log = ChannelLog(self.redis)
        self.meeting = f"ov{next(_meetings)}"
        self.model: dict[int, Record] = {}
        self.events = 0
        self.posted: dict[tuple[int, int], int] = {}

    def teardown(self) -> None:
        if hasattr(self, "loop"):
            self.loop.run_until_complete(self.redis.aclose())
            self.loop.close()

    @rule(
        table=st.integers(1, 3),
        what=st.sampled_from(rules.OVERVIEW_EVENTS),
        step=st.integers(0, 3),
        text=st.sampled_from(["도움", "멈춤"]),
    )
    def update(self, table: int, what: str, step: int, text: str) -> None:
        self.loop.run_until_complete(overview.record(self.log, self.meeting, table, what, step, text, "f1"))
        self.model[table] = rules.next_record(
            self.model.get(table, Record(table=table)), what, step, text, "f1", 0
        )
        self.events += 1

    @rule(table=st.integers(1, 2), step=st.integers(1, 2))
    def card(self, table: int, step: int) -> None:
        n = self.posted.get((table, step), 0)
        try:
            self.loop.run_until_complete(
                cards_store.post_card(self.log, self.meeting, table, "카드", "f1", step)
            )
        except HubError as exc:
            assert exc.name == "too_many_cards" and n == cards.MAX_PER_STEP
            return
        assert n < cards.MAX_PER_STEP
        self.posted[(table, step)] = n + 1
        self.model[table] = rules.next_record(
            self.model.get(table, Record(table=table)), "card", step, "", "", 0
        )
        self.events += 1

    @invariant()
    def agrees(self) -> None:
        if not hasattr(self, "loop"):
            return
        stored = {
            r.table: r for r in self.loop.run_until_complete(overview.records(self.redis, self.meeting))
        }
        strip = {"flag_at": 0, "last_at": 0}
        assert {t: msgspec.structs.replace(r, **strip) for t, r in stored.items()} == self.model
        meta = keys.channel_keys(keys.meeting_tables(self.meeting)).meta
        seq = self.loop.run_until_complete(self.redis.hget(meta, "seq"))
        assert int(seq or 0) == self.events
        total = sum(self.posted.values())
        assert len(self.loop.run_until_complete(cards_store.meeting_cards(self.redis, self.meeting))) == total


def test_the_overview_in_redis_follows_its_rule(embedded: EmbeddedRedis) -> None:
    OverviewMachine.url = embedded.url
    OverviewMachine.TestCase.settings = settings(
        max_examples=15, stateful_step_count=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    OverviewMachine.TestCase().runTest()
