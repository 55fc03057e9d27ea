"""TEST FIXTURE: named groups for the seating's property tests (``tests/unit/test_seating_*.py``):
up to two groups of 2-3 people (never more than a table holds), each person in at most one, as a
sign-language interpreter and the people they sign for would be."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st


def draw_groups(draw: st.DrawFn, ids: Sequence[str], hi: int) -> dict[str, tuple[str, ...]]:
    """Groups of ``ids`` for a room whose tables seat at most ``hi``."""
    groups: dict[str, tuple[str, ...]] = {}
    free = list(ids)
    for g in range(draw(st.integers(0, 2))):
        k = draw(st.integers(2, min(3, hi)))
        if len(free) < k:
            break
        members = tuple(draw(st.permutations(free))[:k])
        groups[f"g{g}"] = members
        free = [p for p in free if p not in members]
    return groups
