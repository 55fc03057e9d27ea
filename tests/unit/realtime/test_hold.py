"""The hold of a coalesced channel (``realtime.fanout.hold``): one tick for a small audience, one
more per ``per_tick`` listeners up to the cap, on a grid shared by the channels of one hold."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from realtime.fanout.hold import LISTENERS_PER_TICK, MAX_HOLD_TICKS, due_tick, hold_ticks

listeners = st.integers(0, 1_000_000)


def test_the_audiences_the_hold_was_measured_for() -> None:
    """A table's 8 at the next tick, as the plenary split over two hubs; the plenary's 3,000 on one
    hub two ticks (50 ms); a hub near its 10,000 connections the longest hold, 100 ms."""
    assert hold_ticks(8) == 1
    assert hold_ticks(1_500) == 1
    assert hold_ticks(LISTENERS_PER_TICK - 1) == 1
    assert hold_ticks(3_000) == 2
    assert hold_ticks(6_000) == 3
    assert hold_ticks(10_000) == MAX_HOLD_TICKS == 4
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
