"""Improving a seating with CP-SAT, two tables at a time (pure: no Redis).

One CP-SAT model of 3,000 people by 300 tables is 900,000 booleans over interchangeable tables: a
single worker does not even find a first solution in a minute. The same solver on two tables at a
time (about 20 people, 20 booleans) proves the best split of those two tables in milliseconds. So
the seating starts from the greedy one (``tables/assign.py``) and each pass pairs every table with
another (a shuffle by the seed) and lets CP-SAT re-split each pair optimally: the objective over the
whole room only ever falls, every person may reach any table over the passes, and a group stays
one unit. This is large-neighbourhood search with an exact solver on each neighbourhood. A pair
already within half a person of a lower bound of its objective (``pair_bound``) is not solved:
on the first seating of 3,000 that skips five pairs in six.

The objective of a table (``Cost.table``), in thousandths of a person: its strata's distance from
the room's proportions (``tables.mix.deviation``), ``ENCOUNTER_WEIGHT`` people per pair who met in
an earlier seating, ``SIZE_WEIGHT`` per person off the room's even table size.

Determinism: one worker, the seed, each pair solved to proven optimality (a small
``max_deterministic_time`` bounds each solve by work done, not by seconds elapsed), and a number of
passes, so a busy machine reaches the same seating, later. The time limit (seconds on the wall
clock) is what a host waiting for the seating needs; when it, and not the passes, ends the search,
the seating is still good but another machine may stop elsewhere: ``Stats.wall_stop`` says so.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tables.mix import Person, Shares

ENCOUNTER_WEIGHT = 2  # a repeated pair costs as much as two people of deviation (a 6/4 gender split)
SIZE_WEIGHT = 1  # a person off the even table size costs one person of deviation
SCALE = 1000  # shares as integers: thousandths of a person
FEATURES = ("gender", "age_band", "district")
IDLE_PASSES = 2  # passes without an improvement before the search stops early


@dataclass(frozen=True, slots=True)
class Unit:
    """Who must sit together: one person, or the present members of a named group."""

    members: tuple[str, ...]
    group: str = ""

    @property
    def weight(self) -> int:
        return len(self.members)


@dataclass(frozen=True, slots=True)
class Stats:
    """What the search did: ``before`` and ``after`` are the objective (thousandths of a person)."""

    passes: int
    solves: int
    improved: int
    skipped: int  # pairs within SKIP_GAP of their bound: no solve needed
    wall_stop: bool
    before: int
    after: int


class Cost:
    """The objective, shared by the greedy seating, the CP-SAT models and the reseat."""

    def __init__(
        self,
        people: Mapping[str, Person],
        assembly: Shares,
        near: Mapping[str, Mapping[str, int]],
        size: tuple[int, int],
        even: tuple[int, int],
    ) -> None:
        self.people = people
        self.near = near
        self.size = size
        self.even = even  # the room's even table size: (floor, ceil)
        self.q = {
            (f, v): round(SCALE * share) for f, values in assembly.items() for v, share in values.items()
        }
        self._mix: dict[Unit, list[tuple[tuple[str, str], int]]] = {}

    def mix(self, u: Unit) -> list[tuple[tuple[str, str], int]]:
        """The unit's strata counts: ((feature, value), n)."""
        got = self._mix.get(u)
        if got is None:
            c: Counter[tuple[str, str]] = Counter()
            for m in u.members:
                p = self.people[m]
                for f in FEATURES:
                    c[(f, p.value(f))] += 1
            got = self._mix[u] = sorted(c.items())
        return got

    def met(self, a: Unit, b: Unit) -> int:
        """How often members of ``a`` met members of ``b`` before."""
        return sum(self.near.get(m, {}).get(o, 0) for m in a.members for o in b.members)

    def table(self, units: Sequence[Unit]) -> int:
        size = sum(u.weight for u in units)
        c: Counter[tuple[str, str]] = Counter()
        for u in units:
            for key, n in self.mix(u):
                c[key] += n
        total = sum(abs(SCALE * c.get(key, 0) - q * size) for key, q in self.q.items())
        total += sum(SCALE * n for key, n in c.items() if key not in self.q)
        enc = sum(self.met(a, b) for i, a in enumerate(units) for b in units[i + 1 :])
        off = max(0, size - self.even[1], self.even[0] - size)
        return total + ENCOUNTER_WEIGHT * SCALE * enc + SIZE_WEIGHT * SCALE * off


PER_SOLVE = 0.5  # CP-SAT's deterministic time per pair: far above the ~0.003 a pair of 10s takes
SOLVE_GUARD = 5.0  # seconds: a pair's wall-clock guard, only for a machine stalled outright


def pair_bound(a: Sequence[Unit], b: Sequence[Unit], cost: Cost) -> int:
    """A lower bound of the objective of any split of two tables that keeps their sizes: each
    stratum value split between them as well as it could be alone, no encounter. A pair whose
    objective is within ``SKIP_GAP`` of it is not worth a solve."""
    sa, sb = sum(u.weight for u in a), sum(u.weight for u in b)
    total: Counter[tuple[str, str]] = Counter()
    for u in (*a, *b):
        for key, n in cost.mix(u):
            total[key] += n
    bound = 0
    for key, q in cost.q.items():
        n = total.get(key, 0)
        bound += min(abs(SCALE * (n - c) - q * sa) + abs(SCALE * c - q * sb) for c in range(n + 1))
    bound += sum(SCALE * n for key, n in total.items() if key not in cost.q)
    off = sum(max(0, s - cost.even[1], cost.even[0] - s) for s in (sa, sb))
    return bound + SIZE_WEIGHT * SCALE * off


SKIP_GAP = SCALE // 2  # a pair within half a person of its bound is left as it is


def solve_pair(
    a: Sequence[Unit], b: Sequence[Unit], cost: Cost, seed: int
) -> tuple[list[Unit], list[Unit], int, bool] | None:
    """The best split of the units of two tables, each within the size bounds: (units of the first,
    of the second, their objective, whether the wall-clock guard cut the solve), or None if CP-SAT
    found none (then the two tables stay as they are)."""
    from ortools.sat.python import cp_model  # here: the hub and most commands never load OR-Tools

    units = [*a, *b]
    lo, hi = cost.size
    total = sum(u.weight for u in units)
    lo = min(lo, total // 2)  # two small tables may share less than twice the minimum
    m = cp_model.CpModel()
    y = [m.new_bool_var(f"y{i}") for i in range(len(units))]  # true: at the second table
    for i in range(len(units)):
        m.add_hint(y[i], i >= len(a))
    size_b = m.new_int_var(lo, hi, "size_b")
    m.add(size_b == sum(u.weight * y[i] for i, u in enumerate(units)))
    size_a = total - size_b
    m.add(size_a >= lo)
    m.add(size_a <= hi)
    terms: list[Any] = []  # linear expressions of the model
    for size in (size_a, size_b):
        off = m.new_int_var(0, hi, "")
        m.add(off >= size - cost.even[1])
        m.add(off >= cost.even[0] - size)
        terms.append(SIZE_WEIGHT * SCALE * off)
    holders: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for i, u in enumerate(units):
        for key, n in cost.mix(u):
            holders.setdefault(key, []).append((i, n))
    for key, held in sorted(holders.items()):
        q = cost.q.get(key, 0)
        all_n = sum(n for _, n in held)
        in_b = sum(n * y[i] for i, n in held)
        for count, size in ((all_n - in_b, size_a), (in_b, size_b)):
            dev = m.new_int_var(0, SCALE * hi, "")
            m.add(dev >= SCALE * count - q * size)
            m.add(dev >= q * size - SCALE * count)
            terms.append(dev)
    # values nobody of the two tables has: q * size each, q * total together, whatever the split
    for i, u in enumerate(units):
        for j in range(i + 1, len(units)):
            n = cost.met(u, units[j])
            if n:
                same = m.new_bool_var("")
                m.add_bool_or([y[i], y[j], same])  # both at the first table
                m.add_bool_or([y[i].Not(), y[j].Not(), same])  # both at the second
                terms.append(ENCOUNTER_WEIGHT * SCALE * n * same)
    m.minimize(sum(terms))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed % (2**31)
    # tiny models: symmetry detection, probing and cuts cost more than they save here (measured)
    solver.parameters.symmetry_level = 0
    solver.parameters.cp_model_probing_level = 0
    solver.parameters.cut_level = 0
    solver.parameters.max_deterministic_time = PER_SOLVE
    solver.parameters.max_time_in_seconds = SOLVE_GUARD
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    cut = status != cp_model.OPTIMAL and solver.wall_time >= SOLVE_GUARD * 0.99
    first = [u for i, u in enumerate(units) if not solver.boolean_value(y[i])]
    second = [u for i, u in enumerate(units) if solver.boolean_value(y[i])]
    return first, second, cost.table(first) + cost.table(second), cut


def improve(tables: list[list[Unit]], cost: Cost, seed: int, passes: int, time_limit: float) -> Stats:
    """Up to ``passes`` passes (fewer after ``IDLE_PASSES`` without a gain): pair the tables at
    random (by ``seed``) and let CP-SAT re-split each pair when that lowers its objective; in
    place. ``time_limit``: seconds on the wall clock, after which the seating found so far stands."""
    rng = random.Random(seed)
    started = time.perf_counter()
    costs = [cost.table(t) for t in tables]
    before = sum(costs)
    done = solves = improved = idle = skipped = 0
    wall_stop = False
    while len(tables) > 1 and done < passes and idle < IDLE_PASSES and not wall_stop:
        done += 1
        order = list(range(len(tables)))
        rng.shuffle(order)
        gained = 0
        for k in range(0, len(order) - 1, 2):
            if time.perf_counter() - started > time_limit:
                wall_stop = True
                break
            i, j = order[k], order[k + 1]
            if costs[i] + costs[j] - pair_bound(tables[i], tables[j], cost) < SKIP_GAP:
                skipped += 1
                continue
            got = solve_pair(tables[i], tables[j], cost, seed + solves)
            solves += 1
            if got is None:
                continue
            first, second, value, cut = got
            wall_stop = wall_stop or cut
            if value < costs[i] + costs[j]:
                tables[i], tables[j] = first, second
                costs[i], costs[j] = cost.table(first), cost.table(second)
                gained += 1
        improved += gained
        idle = 0 if gained else idle + 1
    return Stats(done, solves, improved, skipped, wall_stop, before, sum(costs))
