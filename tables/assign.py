"""Seating a session's panelists at tables of ``lo..hi`` (8..10 by default) (pure: no Redis).

The objective (``tables.improve.Cost``), for every table: its strata (gender, age band, district)
as close as possible to the room's proportions (``tables.mix.deviation``), pairs who sat together
in earlier seatings spread apart, and sizes as even as the bounds allow. Named groups
(sign-language users with their interpreter) are one unit, seated together.

Three steps. **Deal**: the tables are cut into blocks of about ``block_tables``, and the units dealt
round the blocks, stratum by stratum, so each block is the room in small. **Greedy**: in each block,
each unit to the table where it adds least to the objective. **Improve**: OR-Tools CP-SAT re-splits
pairs of tables optimally, pass after pass, over the whole room (``tables/improve.py``, where the
why and the determinism are told). If the solver finds nothing better in its time, the greedy
seating stands (``Assignment.stats.improved == 0``).

The fewest tables are used (``table_count``): a facilitator per table is what is scarce.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from engine.errors import Code, HubError
from tables.improve import ENCOUNTER_WEIGHT, SCALE, Cost, Stats, Unit, improve
from tables.mix import Person, Shares, rank, shares
from tables.model import Seating

DEFAULT_SIZE = (8, 10)
PASSES = 8  # passes of the solver over pairs of tables; most of the gain is in the first two
BLOCK_TABLES = 10

Met = Mapping[tuple[str, str], int]
"""(a, b) with a < b -> in how many earlier sessions a and b sat at one table."""


@dataclass(frozen=True, slots=True)
class Assignment:
    """A seating and how it was found: the search's ``stats`` (``stats.improved == 0``: the greedy
    seating stands, the solver found nothing better in time; ``stats.wall_stop``: the time limit,
    not the passes, ended it, so another machine may differ)."""

    seating: Seating
    stats: Stats
    seconds: float


def parse_size(text: str) -> tuple[int, int]:
    """``8..10`` (or ``8-10``, or ``9`` for exactly 9) -> (8, 10); ``BAD_TABLE_SIZE`` otherwise."""
    raw = text.strip().replace("-", "..")
    lo_s, sep, hi_s = raw.partition("..")
    try:
        lo, hi = int(lo_s), int(hi_s if sep else lo_s)
    except ValueError:
        raise HubError(Code.BAD_TABLE_SIZE, f"table size {text!r}: write MIN..MAX, e.g. 8..10") from None
    return check_size((lo, hi))


def check_size(size: tuple[int, int]) -> tuple[int, int]:
    lo, hi = size
    if not 2 <= lo <= hi <= 100:
        raise HubError(Code.BAD_TABLE_SIZE, f"table size {lo}..{hi}: need 2 <= MIN <= MAX <= 100")
    return lo, hi


def table_count(n: int, size: tuple[int, int]) -> int:
    """The fewest tables that hold ``n`` within the largest size: a facilitator per table is the
    scarce resource. Their even sizes are within bounds whenever any count of tables allows it."""
    return max(1, math.ceil(n / size[1]))


def even_sizes(n: int, tables: int) -> list[int]:
    """``n`` people over ``tables`` tables, sizes differing by at most one (larger first)."""
    return [n // tables + (1 if i < n % tables else 0) for i in range(tables)]


# -- units: a person alone, or a named group kept together ----------------------------------------
def make_units(ids: Sequence[str], groups: Mapping[str, Sequence[str]], hi: int) -> list[Unit]:
    """Each seated person in exactly one unit: the groups' present members, then everyone else
    alone. ``BAD_GROUPS`` for a person in two groups or a group larger than a table."""
    present = set(ids)
    owner: dict[str, str] = {}
    units: list[Unit] = []
    for name in sorted(groups):
        members = sorted(set(groups[name]))
        for m in members:
            if m in owner:
                raise HubError(Code.BAD_GROUPS, f"{m} is in two groups: {owner[m]} and {name}")
            owner[m] = name
        if len(members) > hi:
            raise HubError(Code.BAD_GROUPS, f"group {name} has {len(members)} people: a table holds {hi}")
        here = tuple(m for m in members if m in present)
        if here:
            units.append(Unit(here, name))
    units.extend(Unit((p,)) for p in sorted(present) if p not in owner)
    return units


def neighbours(met: Met) -> dict[str, dict[str, int]]:
    """person -> the people they met before -> how often."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for (a, b), n in met.items():
        if n > 0:
            out[a][b] = n
            out[b][a] = n
    return out


# -- a block: some tables and the units dealt to them ---------------------------------------------
@dataclass(slots=True)
class Block:
    sizes: list[int]  # the even size of each of its tables
    units: list[Unit] = field(default_factory=list)

    @property
    def capacity(self) -> int:
        return sum(self.sizes)


def deal(
    units: Sequence[Unit], people: Mapping[str, Person], sizes: Sequence[int], block_tables: int, seed: int
) -> list[Block]:
    """Cut the tables into blocks of about ``block_tables`` and deal the units round them so that
    each block mirrors the room: groups first, largest first, each to the block with most room;
    then everyone else sorted by district, age band and gender (then by the seed) and dealt in turn,
    so consecutive people of a stratum land in different blocks."""
    count = max(1, math.ceil(len(sizes) / block_tables))
    per = even_sizes(len(sizes), count)
    blocks: list[Block] = []
    start = 0
    for k in per:
        blocks.append(Block(list(sizes[start : start + k])))
        start += k
    room = [b.capacity for b in blocks]
    groups = sorted((u for u in units if u.group), key=lambda u: (-u.weight, rank(seed, u.group)))
    for u in groups:
        i = max(range(len(blocks)), key=lambda j: (room[j], -j))
        blocks[i].units.append(u)
        room[i] -= u.weight
    singles = sorted(
        (u for u in units if not u.group),
        key=lambda u: (*_strata_key(people[u.members[0]]), rank(seed, u.members[0])),
    )
    turn = 0
    for u in singles:
        for step in range(len(blocks)):
            i = (turn + step) % len(blocks)
            if room[i] > 0:
                break
        else:
            i = max(range(len(blocks)), key=lambda j: (room[j], -j))
        blocks[i].units.append(u)
        room[i] -= 1
        turn = i + 1
    return blocks


def _strata_key(p: Person) -> tuple[str, str, str]:
    return (p.value("district"), p.value("age_band"), p.value("gender"))


# -- the greedy seating: the start of the search, and the fallback ---------------------------------
def greedy(units: Sequence[Unit], sizes: Sequence[int], cost: Cost) -> list[list[Unit]]:
    """Each unit (groups first, largest first) to the table where it adds least to the objective
    at the table's even size; a table full at its even size takes more only when none has room."""
    k = len(sizes)
    hi = max(cost.size[1], max(sizes))
    mix: list[Counter[tuple[str, str]]] = [Counter() for _ in range(k)]
    size = [0] * k
    seated: list[list[Unit]] = [[] for _ in range(k)]
    order = sorted(range(len(units)), key=lambda i: (-units[i].weight if units[i].group else 0, i))
    for i in order:
        u = units[i]
        w = u.weight
        um = cost.mix(u)
        fits = [t for t in range(k) if size[t] + w <= sizes[t]] or [t for t in range(k) if size[t] + w <= hi]

        def extra(t: int, u: Unit = u, um: list[tuple[tuple[str, str], int]] = um) -> tuple[int, int, int]:
            added = 0
            for key, n in um:
                c, goal = SCALE * mix[t][key], cost.q.get(key, 0) * sizes[t]
                added += abs(c + SCALE * n - goal) - abs(c - goal)
            enc = sum(cost.met(u, o) for o in seated[t])
            return (added + ENCOUNTER_WEIGHT * SCALE * enc, size[t], t)

        t = min(fits or range(k), key=extra)
        size[t] += w
        seated[t].append(u)
        for key, n in um:
            mix[t][key] += n
    return seated


# -- the whole room -------------------------------------------------------------------------------
def assign(
    session: str,
    people: Sequence[Person],
    *,
    size: tuple[int, int] = DEFAULT_SIZE,
    seed: int = 0,
    groups: Mapping[str, Sequence[str]] | None = None,
    met: Met | None = None,
    time_limit: float = 60.0,
    passes: int = PASSES,
    block_tables: int = BLOCK_TABLES,
    assembly: Shares | None = None,
) -> Assignment:
    """Seat ``people`` at tables of ``size``. ``groups``: name -> ids kept at one table (absent
    members are ignored now, and stored with the seating for a later reseat). ``met``: earlier
    encounters to spread apart. ``passes``: the solver's passes over pairs of tables (the same
    for every machine); ``time_limit``: seconds, after which the seating found so far stands (then
    ``stats.wall_stop``: another machine may differ). ``assembly``: the proportions to
    mirror (by default those of ``people``: the room). ``NOBODY_TO_SEAT`` for no one. The same
    inputs and seed give the same seating."""
    started = time.perf_counter()
    size = check_size(size)
    if not people:
        raise HubError(Code.NOBODY_TO_SEAT, f"nobody to seat in {session}")
    by_id = {p.id: p for p in people}
    if len(by_id) != len(people):
        raise HubError(Code.BAD_SEATING, "a person is listed twice")
    kept = {name: tuple(sorted(set(ms))) for name, ms in (groups or {}).items()}
    units = make_units(sorted(by_id), kept, size[1])
    sizes = even_sizes(len(by_id), table_count(len(by_id), size))
    cost = Cost(by_id, assembly or shares(people), neighbours(met or {}), size, (min(sizes), max(sizes)))
    tables: list[list[Unit]] = []
    for block in deal(units, by_id, sizes, block_tables, seed):
        tables.extend(greedy(block.units, block.sizes, cost))
    tables = [t for t in tables if t]
    stats = improve(tables, cost, seed, passes, time_limit)
    seating = Seating(
        session=session,
        seed=seed,
        tables=tuple(tuple(sorted(m for u in t for m in u.members)) for t in tables),
        groups=kept,
        size=size,
    )
    return Assignment(seating=seating, stats=stats, seconds=time.perf_counter() - started)
