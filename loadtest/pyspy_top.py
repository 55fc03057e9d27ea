"""The top entries of a py-spy profile in collapsed-stack form (``py-spy record --format raw``, as
``python -m loadtest.bench_cast --profile FILE`` writes it): which functions the samples were in
(self) and under (inclusive), as shares of all samples.

Run: ``python -m loadtest.pyspy_top FILE [FILE ...] [--top 25] [--under NAME]``. Several files are
summed (the rounds of one run). ``--under vote_cast`` keeps only the stacks through a function of
that name (the cast handler, say), to read one path apart from the rest of the hub's work.

Why not the SVG alone: a flame graph shows the shape, but a change is judged on numbers, and the
report quotes the top entries before and after as text.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path


def read_stacks(paths: list[Path]) -> Counter[tuple[str, ...]]:
    """Each stack (outermost frame first) and its sample count, summed over ``paths``."""
    stacks: Counter[tuple[str, ...]] = Counter()
    for path in paths:
        for line in path.read_text(errors="replace").splitlines():
            frames, _, count = line.rpartition(" ")
            if frames and count.isdigit():
                stacks[tuple(frames.split(";"))] += int(count)
    return stacks


def short(frame: str) -> str:
    """``fn (path/to/module.py:12)`` as ``fn (module.py)``: the line moves with every edit."""
    name, _, where = frame.partition(" (")
    file = where.rsplit(":", 1)[0].rstrip(")")
    return f"{name} ({file.rsplit('/', 1)[-1]})" if file else name


def _named(frame: str, name: str) -> bool:
    """Whether ``frame`` is a function called ``name`` (``fn`` or ``Class.fn``)."""
    fn = frame.split(" (")[0]
    return fn == name or fn.endswith("." + name)


def top(stacks: Counter[tuple[str, ...]], n: int) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    """(total samples, the ``n`` largest self counts, the ``n`` largest inclusive counts)."""
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    for stack, count in stacks.items():
        names = [short(f) for f in stack]
        if names:
            own[names[-1]] += count
        for name in set(names):  # a recursive frame counts once per sample
            under[name] += count
    return sum(stacks.values()), own.most_common(n), under.most_common(n)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m loadtest.pyspy_top", description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--under", help="only the stacks through a function of this name")
    a = ap.parse_args(argv)
    stacks = read_stacks(a.files)
    if a.under:
        stacks = Counter({s: c for s, c in stacks.items() if any(_named(f, a.under) for f in s)})
    total, own, under = top(stacks, a.top)
    if not total:
        print("no samples", file=sys.stderr)
        return 1
    print(f"{total} samples{f' under {a.under}' if a.under else ''}")
    for title, rows in (("self", own), ("inclusive", under)):
        print(f"\n{title}:")
        for name, count in rows:
            print(f"  {100 * count / total:5.1f}%  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
