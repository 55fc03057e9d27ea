"""A seating: which panelists sit at which table of one session.

Tables are numbered from 1 in the order of ``tables`` and keep their number for the session; each table's member ids are sorted, so that
two equal seatings are equal values and encode to the same bytes. A seating is a value: reseating
makes a new one (``tables.assign.reseat``) and the store replaces the old in one step.
"""

from __future__ import annotations

from functools import cached_property

import msgspec


class Seating(msgspec.Struct, frozen=True, kw_only=True, dict=True):
    """``session``: the meeting id (e.g. ``plenary``). ``seed``: the seed the optimiser ran with.
    ``tables``: table i+1's panelist ids, sorted (a table a reseat emptied stays, empty, so
    that the others keep their numbers). ``groups``: the named groups kept together
    (name -> member ids), so that a reseat keeps them together too. ``created_ms``: when it was
    made (wall clock, for the history's order; 0 when unknown). ``size``: the bounds of a table's
    size it was made for (a reseat keeps them)."""

    session: str
    seed: int
    tables: tuple[tuple[str, ...], ...]
    groups: dict[str, tuple[str, ...]] = msgspec.field(default_factory=dict)
    created_ms: int = 0
    size: tuple[int, int] = (8, 10)

    @property
    def count(self) -> int:
        """The number of tables."""
        return len(self.tables)

    @property
    def seated(self) -> int:
        """The number of people seated."""
        return sum(len(t) for t in self.tables)

    def members(self, table: int) -> tuple[str, ...]:
        """Table ``table``'s members (1-based); an empty tuple for a table that does not exist."""
        if 1 <= table <= len(self.tables):
            return self.tables[table - 1]
        return ()

    def table_of(self, panelist: str) -> int | None:
        """The 1-based table of ``panelist``, or None when they have no seat."""
        return self._index.get(panelist)

    @cached_property
    def _index(self) -> dict[str, int]:
        return {p: i for i, table in enumerate(self.tables, start=1) for p in table}

    def pairs(self) -> set[tuple[str, str]]:
        """Every pair (a < b) that sits together: the encounters this seating makes."""
        out: set[tuple[str, str]] = set()
        for table in self.tables:
            for i, a in enumerate(table):
                for b in table[i + 1 :]:
                    out.add((a, b) if a < b else (b, a))
        return out
