"""Reseating late arrivals and absences without reshuffling everyone (pure: no Redis).

A table's conversation has started: moving people breaks it. So a reseat never moves a present,
seated person, with one exception: a table that fell below the minimum after the absences and
after the late arrivals were used to fill it is merged into others, smallest first, its people
(and only they) moved; these are the fewest moves that leave no table too small. In order:

1. the absent leave their seats;
2. a late member of a named group joins their group's table;
3. the other late arrivals, groups first, go where they fit best: a table below the minimum first,
   then the open table with room whose objective (``tables.improve.Cost``: strata, encounters, size)
   rises least; if no table has room, a new table (an emptied number first);
4. a table still below the minimum is dissolved into tables with room, if they have room for all.

Table numbers never change: an emptied table stays, empty, so the others keep theirs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tables.assign import Met, check_size, even_sizes, make_units, neighbours, table_count
from tables.improve import Cost, Unit
from tables.mix import Person, Shares, rank, shares
from tables.model import Seating


@dataclass(frozen=True, slots=True)
class Reseat:
    """The new seating and what changed: ``left``: the absent who lost their seat; ``arrived``:
    late arrivals -> their table; ``moved``: people of a dissolved table -> (from, to)."""

    seating: Seating
    left: tuple[str, ...]
    arrived: dict[str, int]
    moved: dict[str, tuple[int, int]]


def reseat(
    seating: Seating,
    present: Iterable[str],
    people: Mapping[str, Person],
    *,
    size: tuple[int, int] | None = None,
    met: Met | None = None,
    assembly: Shares | None = None,
) -> Reseat:
    """Seat everyone in ``present`` (``people`` holds their strata) keeping ``seating`` as far as
    possible; see the module's docstring for the order. ``size``: the bounds (by default the
    seating's own). Deterministic (ties by the seating's seed)."""
    lo, hi = check_size(size or seating.size)
    here = set(present)
    seated = {p for t in seating.tables for p in t}
    tables: list[list[Unit]] = [_units(t, here, seating.groups) for t in seating.tables]
    left = tuple(sorted(seated - here))
    n = len(here)
    open_count = sum(1 for t in tables if t) or 1
    even = even_sizes(n, max(open_count, table_count(n, (lo, hi)))) if n else [lo]
    cost = Cost(
        {p: people.get(p, Person(p)) for p in here},
        assembly or shares(people.get(p, Person(p)) for p in sorted(here)),
        neighbours(met or {}),
        (lo, hi),
        (min(even), max(even)),
    )
    arrived: dict[str, int] = {}
    late = sorted(here - seated)
    # a late member of a group whose others sit: to their table
    owner = {m: g for g, ms in seating.groups.items() for m in ms}
    at_table = {owner[m]: i for i, t in enumerate(tables) for u in t for m in u.members if m in owner}
    rest: list[str] = []
    for p in late:
        g = owner.get(p)
        if g is not None and g in at_table:
            tables[at_table[g]].append(Unit((p,), g))
            arrived[p] = at_table[g] + 1
        else:
            rest.append(p)
    units = make_units(rest, {g: ms for g, ms in seating.groups.items() if g not in at_table}, hi)
    units.sort(key=lambda u: (-u.weight if u.group else 0, rank(seating.seed, u.members[0])))
    opened = {i for i, t in enumerate(tables) if t}
    for k, u in enumerate(units):
        t = _best(tables, opened, u, cost, lo, hi)
        if t is None:  # no room anywhere: open as few new tables as the rest need, filled evenly
            opened |= _open(tables, table_count(sum(v.weight for v in units[k:]), (lo, hi)))
            t = _best(tables, opened, u, cost, lo, hi)
            assert t is not None
        tables[t].append(u)
        for m in u.members:
            arrived[m] = t + 1
    moved = _dissolve_small(tables, cost, lo, hi)
    for p, (_, to) in moved.items():
        if p in arrived:
            arrived[p] = to
    moved = {p: ft for p, ft in moved.items() if p not in arrived}
    while tables and not tables[-1]:
        tables.pop()
    out = Seating(
        session=seating.session,
        seed=seating.seed,
        tables=tuple(tuple(sorted(m for u in t for m in u.members)) for t in tables),
        groups=seating.groups,
        size=(lo, hi),
    )
    return Reseat(out, left, arrived, moved)


def _units(table: Iterable[str], here: set[str], groups: Mapping[str, tuple[str, ...]]) -> list[Unit]:
    """The present people of a table as units: a group's members together, everyone else alone."""
    members = [p for p in table if p in here]
    owner = {m: g for g, ms in groups.items() for m in ms}
    together: dict[str, list[str]] = {}
    out: list[Unit] = []
    for p in members:
        g = owner.get(p)
        if g is None:
            out.append(Unit((p,)))
        else:
            together.setdefault(g, []).append(p)
    out.extend(Unit(tuple(ms), g) for g, ms in sorted(together.items()))
    return out


def _open(tables: list[list[Unit]], count: int) -> set[int]:
    """``count`` new tables: emptied numbers first, then new numbers at the end."""
    chosen = [i for i, t in enumerate(tables) if not t][:count]
    while len(chosen) < count:
        tables.append([])
        chosen.append(len(tables) - 1)
    return set(chosen)


def _size(table: list[Unit]) -> int:
    return sum(u.weight for u in table)


def _best(
    tables: list[list[Unit]], opened: set[int], u: Unit, cost: Cost, lo: int, hi: int, exclude: int = -1
) -> int | None:
    """The open table (not ``exclude``) with room for ``u`` where it fits best: the smallest below
    the minimum if any, else the least rise of the objective; None when no open table has room."""
    room = [i for i in sorted(opened) if i != exclude and _size(tables[i]) + u.weight <= hi]
    if not room:
        return None
    small = [i for i in room if _size(tables[i]) < lo]
    if small:
        return min(
            small, key=lambda i: (_size(tables[i]), cost.table([*tables[i], u]) - cost.table(tables[i]), i)
        )
    return min(room, key=lambda i: (cost.table([*tables[i], u]) - cost.table(tables[i]), i))


def _dissolve_small(tables: list[list[Unit]], cost: Cost, lo: int, hi: int) -> dict[str, tuple[int, int]]:
    """Dissolve tables below ``lo``, smallest first, into tables with room, when all its units
    find a seat; in place. Returns the moved people -> (from table, to table), 1-based."""
    moved: dict[str, tuple[int, int]] = {}
    tried: set[int] = set()
    while True:
        small = [i for i, t in enumerate(tables) if t and _size(t) < lo and i not in tried]
        if not small or sum(1 for t in tables if t) < 2:
            return moved
        src = min(small, key=lambda i: (_size(tables[i]), i))
        tried.add(src)
        trial = [list(t) for t in tables]
        trial[src] = []
        opened = {i for i, t in enumerate(trial) if t}
        plan: list[tuple[Unit, int]] = []
        for u in sorted(tables[src], key=lambda u: (-u.weight, u.members)):
            to = _best(trial, opened, u, cost, lo, hi, exclude=src)
            if to is None:
                break
            trial[to].append(u)
            plan.append((u, to))
        else:
            tables[:] = trial
            for u, to in plan:
                for m in u.members:
                    moved[m] = (moved[m][0] if m in moved else src + 1, to + 1)
            tried.clear()
