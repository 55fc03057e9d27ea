"""What a seating gives each table, against the room (pure): per table its strata counts and the
counts it would have as the room in small, its diversity score (``tables.mix.diversity``) and its
repeated encounters; and the totals. The CLI prints it; the bench measures it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from panel.strata import FEATURES
from tables.assign import Met
from tables.mix import Person, Shares, counts, diversity, repeats, shares
from tables.model import Seating


@dataclass(frozen=True, slots=True)
class TableLine:
    table: int  # 1-based
    size: int
    counts: dict[str, dict[str, int]]  # feature -> value -> people at the table
    expected: dict[str, dict[str, float]]  # feature -> value -> size * the room's share
    diversity: float
    repeats: int


@dataclass(frozen=True, slots=True)
class Report:
    session: str
    seated: int
    assembly: Shares
    tables: list[TableLine]
    mean_diversity: float
    min_diversity: float
    repeats: int  # pairs at one table who met in an earlier seating, over every table
    sizes: dict[int, int]  # table size -> how many tables have it (empty tables left out)


def build(
    seating: Seating, people: Mapping[str, Person], met: Met | None = None, assembly: Shares | None = None
) -> Report:
    """The report of ``seating``: ``people`` holds the strata (unknown ids count as unknown
    strata); ``met``: earlier encounters; ``assembly``: the proportions (default: the seated)."""
    seated = [people.get(p, Person(p)) for t in seating.tables for p in t]
    room = assembly or shares(seated)
    met = met or {}
    lines: list[TableLine] = []
    for i, table in enumerate(seating.tables, start=1):
        if not table:
            continue
        mix = counts(people.get(p, Person(p)) for p in table)
        lines.append(
            TableLine(
                table=i,
                size=len(table),
                counts={f: dict(sorted(mix[f].items())) for f in FEATURES},
                expected={f: {v: len(table) * s for v, s in room[f].items()} for f in FEATURES},
                diversity=diversity(mix, len(table), room),
                repeats=repeats(table, met),
            )
        )
    scores = [line.diversity for line in lines]
    return Report(
        session=seating.session,
        seated=len(seated),
        assembly=room,
        tables=lines,
        mean_diversity=sum(scores) / len(scores) if scores else 0.0,
        min_diversity=min(scores, default=0.0),
        repeats=sum(line.repeats for line in lines),
        sizes=dict(sorted(Counter(line.size for line in lines).items())),
    )
