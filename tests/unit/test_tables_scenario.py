"""The tables scenario's seats (issue 15, ``loadtest.tables_scenario``): everyone follows exactly the
channel their page follows, every table has a facilitator and crosses the hubs, and the channels
whose tails are checked are the ones followed."""

from __future__ import annotations

import argparse

from engine import keys
from loadtest import voters as lt
from loadtest.tables_scenario import (
    MEETING,
    OVERVIEW_HOST,
    THEMER,
    channels,
    seat_channels,
    seat_ids,
    spread,
    table_plan,
)


def _args(panelists: int = 3000, tables: int = 300, workers: int = 3) -> argparse.Namespace:
    return argparse.Namespace(panelists=panelists, tables=tables, workers=workers, message_every=5.0, cards=3)


def test_every_seat_follows_its_own_table_or_its_console() -> None:
    args = _args()
    plan, follows = table_plan(args), seat_channels(args)
    assert set(follows) == set(seat_ids(args)) and len(seat_ids(args)) == 3000 + 300 + 2
    assert all(len(chs) == 1 for chs in follows.values())
    for pid, t in (plan.seats | plan.facilitators).items():
        assert follows[pid] == (keys.meeting_table(MEETING, t),)
    assert follows[THEMER] == (keys.meeting_cards(MEETING),)
    assert follows[OVERVIEW_HOST] == (keys.meeting_tables(MEETING),)
    assert {ch for chs in follows.values() for ch in chs} == set(channels(args))
    assert lt.seat_role(THEMER) == "themer" and lt.seat_role("lt-fac-7") == "facilitator"


def test_the_seating_fills_every_table_and_every_table_crosses_the_hubs() -> None:
    for panelists, tables, workers in ((3000, 300, 3), (48, 6, 2), (1000, 100, 4)):
        args = _args(panelists, tables, workers)
        plan = table_plan(args)
        assert sum(plan.sizes.values()) == panelists and len(plan.facilitators) == tables
        assert max(plan.sizes.values()) - min(plan.sizes.values()) <= 1
        assert spread(args, 2) == tables
