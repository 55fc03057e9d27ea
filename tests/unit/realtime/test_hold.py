"""The hold of a coalesced channel (``realtime.fanout.hold``): one tick for a small audience, one
more per ``per_tick`` listeners up to the cap, on a grid shared by the channels of one hold."""

from __future__ import annotations

import argparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cli.serve import add_serve_args, settings_from
from realtime.config import Settings
from realtime.fanout.hold import MAX_HOLD_TICKS, due_tick, hold_ticks

LISTENERS_PER_TICK = Settings().hold_listeners  # the measured default

listeners = st.integers(0, 1_000_000)


def test_the_audiences_the_hold_was_measured_for() -> None:
    """A table's 8 at the next tick, as the plenary split over two hubs; the plenary's 3,000 on one
    hub two ticks (50 ms); a hub near its 10,000 connections the longest hold, 100 ms."""
    assert hold_ticks(8, LISTENERS_PER_TICK) == 1
    assert hold_ticks(1_500, LISTENERS_PER_TICK) == 1
    assert hold_ticks(LISTENERS_PER_TICK - 1, LISTENERS_PER_TICK) == 1
    assert hold_ticks(3_000, LISTENERS_PER_TICK) == 2
    assert hold_ticks(6_000, LISTENERS_PER_TICK) == 3
    assert hold_ticks(10_000, LISTENERS_PER_TICK) == MAX_HOLD_TICKS == 4
    assert hold_ticks(3_000, per_tick=0) == 1  # ``--hold-listeners 0``: no hold


@given(listeners, listeners, st.integers(0, 5_000), st.integers(1, 8))
def test_the_hold_grows_with_the_audience_within_its_bounds(a: int, b: int, per_tick: int, most: int) -> None:
    lo, hi = sorted((a, b))
    assert 1 <= hold_ticks(lo, per_tick, most) <= hold_ticks(hi, per_tick, most) <= most


@given(st.integers(0, 10**9), st.integers(1, 8))
def test_a_held_event_goes_out_within_its_hold_on_the_holds_grid(now: int, hold: int) -> None:
    due = due_tick(now, hold)
    assert now < due <= now + hold
    assert due % hold == 0


@given(st.integers(0, 10**6), st.integers(0, 10), st.integers(1, 8))
def test_channels_of_one_hold_held_within_one_period_go_out_together(
    start: int, later: int, hold: int
) -> None:
    """The chat and the Q&A of one meeting, held a few ticks apart within the same period, are
    flushed in the same tick: one grid, not one per channel."""
    first = due_tick(start, hold)
    second_at = start + later
    if second_at < first:
        assert due_tick(second_at, hold) == first


def serve_settings(argv: list[str]) -> Settings:
    p = argparse.ArgumentParser()
    add_serve_args(p)
    return settings_from(p.parse_args(argv))


def test_plenary_serve_takes_the_hold_and_refuses_a_negative_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve_settings([]).hold_listeners == LISTENERS_PER_TICK == 3000
    assert serve_settings(["--hold-listeners", "1500"]).hold_listeners == 1500
    assert serve_settings(["--hold-listeners", "0"]).hold_listeners == 0
    for bad, says in (("-1", "must be 0 (no hold) or more, not -1"), ("many", "not a whole number: 'many'")):
        with pytest.raises(SystemExit):
            serve_settings(["--hold-listeners", bad])
        assert says in capsys.readouterr().err
