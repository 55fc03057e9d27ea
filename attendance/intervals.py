"""Presence intervals: a panelist's time in a session as half-open ``[start, end)`` spans of
milliseconds, and the time they cover.

Why a union and not a sum: a panelist on a phone and a laptop at once, or online while checked in
at the hall, is there once. Two connections that overlap count their overlap once, so the total
is the measure of the union of the spans, never more than the session's wall time.
"""

from __future__ import annotations

from collections.abc import Iterable

Interval = tuple[int, int]
"""``(start_ms, end_ms)``, half-open; an interval with ``end <= start`` covers nothing."""

MINUTE_MS = 60_000


def merge(spans: Iterable[Interval]) -> list[Interval]:
    """The union of ``spans`` as sorted, disjoint, non-touching intervals (empty ones dropped)."""
    out: list[Interval] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def covered_ms(spans: Iterable[Interval]) -> int:
    """How many milliseconds the union of ``spans`` covers."""
    return sum(end - start for start, end in merge(spans))


def clip(spans: Iterable[Interval], start: int, end: int) -> list[Interval]:
    """``spans`` cut to ``[start, end)`` (a session's schedule, say); what falls outside is gone."""
    return [(max(s, start), min(e, end)) for s, e in spans if min(e, end) > max(s, start)]


def minutes(ms: int) -> int:
    """Whole minutes of ``ms``, rounded down: an honorarium counts minutes a panelist was there."""
    return max(0, ms) // MINUTE_MS
