"""The interval arithmetic of online attendance (attendance/intervals.py): the union of a
panelist's spans, held to a brute-force count of the milliseconds covered, on generated spans."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from attendance.intervals import Interval, clip, covered_ms, merge, minutes

span = st.tuples(st.integers(0, 400), st.integers(0, 400))
spans = st.lists(span, max_size=12)


def points(xs: list[Interval]) -> set[int]:
    """The oracle: every millisecond some span covers, counted one by one."""
    return {t for s, e in xs for t in range(s, e)}


@given(spans)
def test_the_union_covers_exactly_the_milliseconds_some_span_covers(xs: list[Interval]) -> None:
    assert covered_ms(xs) == len(points(xs))
    assert points(merge(xs)) == points(xs)


@given(spans)
def test_the_union_is_sorted_disjoint_and_never_touching(xs: list[Interval]) -> None:
    m = merge(xs)
    assert all(s < e for s, e in m)
    assert all(a[1] < b[0] for a, b in pairwise(m))


@given(spans, spans)
def test_two_devices_at_once_are_not_counted_twice(phone: list[Interval], laptop: list[Interval]) -> None:
    both = covered_ms([*phone, *laptop])
    assert max(covered_ms(phone), covered_ms(laptop)) <= both <= covered_ms(phone) + covered_ms(laptop)
    assert covered_ms([*phone, *phone]) == covered_ms(phone)  # the same connection twice: once


@given(spans, st.integers(0, 400), st.integers(0, 400))
def test_clip_keeps_only_the_time_inside(xs: list[Interval], a: int, b: int) -> None:
    assert points(clip(xs, a, b)) == {t for t in points(xs) if a <= t < b}


def test_named_cases() -> None:
    assert merge([(10, 20), (15, 30), (30, 40), (50, 50), (60, 55)]) == [(10, 40)]
    assert covered_ms([(0, 90_000), (30_000, 150_000)]) == 150_000
    assert minutes(150_000) == 2 and minutes(59_999) == 0 and minutes(-5) == 0
