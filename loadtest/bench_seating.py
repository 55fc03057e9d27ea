"""Benchmark: seating 3,000 panelists at 300 tables of 8-10 (issue 15), and what the seating gives.

    python -m loadtest.bench_seating [--people 3000] [--repeats 3] [--time-limit 45] [--passes 8]

The room is a synthetic panel with Seoul's shares (``panel.synthetic``). Each repeat seats it
twice: a first session with no history, then a second session that must spread apart the pairs
the first put together (the encounter term at work). Per seating it prints the wall and CPU
time, the optimiser's passes and objective before and after, the mean and lowest diversity
(1 = the room in small), repeated encounters, and the table sizes; then the spread over repeats.
On a shared 2-core machine wall time includes waiting for a core: compare CPU time between runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence

from panel.synthetic import synthetic_pool
from tables.assign import PASSES, Assignment, assign
from tables.mix import Person, rank
from tables.model import Seating
from tables.report import build
from tables.seating_store import encounter_pairs


def _spread(label: str, values: Sequence[float], unit: str = "s") -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return (
        f"{label}: median {statistics.median(values):.3f} {unit}, min {min(values):.3f}, "
        f"max {max(values):.3f}, stdev {sd:.3f}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3, help="runs, one seed each (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="first seed; run i uses seed + i")
    parser.add_argument("--time-limit", type=float, default=45.0, help="the optimiser's seconds per seating")
    parser.add_argument("--passes", type=int, default=PASSES)
    args = parser.parse_args(argv)

    people = [
        Person(a.applicant_id, a.gender, a.age_band, a.district) for a in synthetic_pool(args.people, 7)
    ]
    by_id = {p.id: p for p in people}
    figures: dict[str, list[float]] = {}

    def record(key: str, value: float) -> None:
        figures.setdefault(key, []).append(value)

    for r in range(args.repeats):
        seed = args.seed + r
        met: dict[tuple[str, str], int] = {}
        for session in ("first", "second"):
            cpu = time.process_time()
            got: Assignment = assign(
                session, people, seed=seed, met=met, time_limit=args.time_limit, passes=args.passes
            )
            cpu = time.process_time() - cpu
            rep = build(got.seating, by_id, met)
            s = got.stats
            print(
                f"seed {seed} {session}: {rep.seated} people at {len(rep.tables)} tables {rep.sizes}; "
                f"wall {got.seconds:.1f} s, cpu {cpu:.1f} s; {s.passes} passes, {s.solves} pair solves, {s.skipped} pairs at their bound, "
                f"{s.improved} improved, objective {s.before / 1000:.1f} -> {s.after / 1000:.1f}"
                f"{' (stopped by the time limit)' if s.wall_stop else ''}; diversity mean "
                f"{rep.mean_diversity:.4f} lowest {rep.min_diversity:.4f}; repeated encounters {rep.repeats}"
            )
            record(f"{session} wall", got.seconds)
            record(f"{session} cpu", cpu)
            record(f"{session} diversity mean", rep.mean_diversity)
            record(f"{session} diversity lowest", rep.min_diversity)
            record(f"{session} repeats", rep.repeats)
            record(f"{session} objective gain %", 100 * (s.before - s.after) / s.before if s.before else 0.0)
            # the baseline: the same people in a random order, cut into tables of the same sizes
            order = sorted(by_id, key=lambda p: rank(seed, session + p))
            cuts = [len(t) for t in got.seating.tables]
            start, rand = 0, []
            for k in cuts:
                rand.append(tuple(sorted(order[start : start + k])))
                start += k
            base = build(Seating(session=session, seed=seed, tables=tuple(rand)), by_id, met)
            print(
                f"  random seating: diversity mean {base.mean_diversity:.4f} lowest {base.min_diversity:.4f}; "
                f"repeated encounters {base.repeats}"
            )
            record(f"{session} random diversity mean", base.mean_diversity)
            record(f"{session} random repeats", base.repeats)
            met = dict(encounter_pairs([got.seating]))
    for key, values in figures.items():
        unit = "s" if key.endswith(("wall", "cpu")) else ""
        print(_spread(key, values, unit))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
