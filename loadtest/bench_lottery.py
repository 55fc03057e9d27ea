"""Benchmark: the time to draw the 3,000-member panel from 20,000 applicants.

    python -m loadtest.bench_lottery [--pool 20000] [--size 3000] [--repeats 3] [--method legacy]

Each repeat draws from the same synthetic pool (Seoul's shares, ``panel.synthetic``) with the
population quotas (``panel.quotas``) and its own seed, so the spread covers the seed's effect (the
greedy algorithm's work depends on the order in which categories fill). Wall time and this
process's CPU time are both printed: on a shared 2-core machine the difference is time spent
waiting for a core, and CPU time is the figure to compare between runs.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Sequence

from panel.lottery import METHODS, draw
from panel.quotas import DEFAULT_TOLERANCE, quotas_for_size
from panel.synthetic import synthetic_pool


def _spread(label: str, values: Sequence[float]) -> str:
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return (
        f"{label}: median {statistics.median(values):.2f} s, min {min(values):.2f} s, "
        f"max {max(values):.2f} s, stdev {spread:.2f} s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pool", type=int, default=20_000, help="applicants (default 20000)")
    parser.add_argument("--size", type=int, default=3_000, help="panel size (default 3000)")
    parser.add_argument("--repeats", type=int, default=3, help="draws, one seed each (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="first draw seed; repeat i uses seed + i")
    parser.add_argument("--pool-seed", type=int, default=7, help="seed of the synthetic pool")
    parser.add_argument(
        "--tolerance", type=float, default=DEFAULT_TOLERANCE, help="quota band (default exact)"
    )
    parser.add_argument("--method", choices=METHODS, default="legacy")
    args = parser.parse_args(argv)

    # The package logs "Trial number: 1" and the like to stdout; keep the benchmark's output readable.
    for name in ("sortition_algorithms", "sortition_algorithms_user"):
        logging.getLogger(name).handlers[:] = [logging.NullHandler()]
        logging.getLogger(name).propagate = False
    import sortition_algorithms  # noqa: F401  (import cost is not part of a draw)

    started = time.perf_counter()
    pool = synthetic_pool(args.pool, args.pool_seed)
    quotas = quotas_for_size(args.size, tolerance=args.tolerance)
    print(f"pool of {len(pool):,} and quotas for {args.size:,}: {time.perf_counter() - started:.2f} s")
    print(f"method {args.method}, tolerance {args.tolerance}, {args.repeats} repeat(s)")

    walls: list[float] = []
    cpus: list[float] = []
    for i in range(args.repeats):
        seed = args.seed + i
        wall, cpu = time.perf_counter(), time.process_time()
        result = draw(pool, quotas, args.size, seed, method=args.method)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        met = all(s.met for s in result.strata)
        print(
            f"  seed {seed}: wall {walls[-1]:.2f} s, cpu {cpus[-1]:.2f} s, "
            f"attempts {result.attempts}, quotas met {met}"
        )
    print(_spread("wall", walls))
    print(_spread("cpu ", cpus))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
