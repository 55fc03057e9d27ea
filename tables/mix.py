"""What a table's mix is measured against: the assembly's strata shares, and the cost of a table
whose counts stray from them (pure).

A table of ``n`` people mirrors the assembly when each stratum value ``v`` of each feature
(gender, age band, district: ``panel.strata.FEATURES``) has ``n * share(v)`` people. The cost of a
table is the sum over features and values of ``|count - n * share|``: for one feature that is twice
``n`` times the total variation distance between the table's mix and the assembly's, so the
optimiser (``tables/assign.py``), the greedy fallback, the reseat and the report all speak one
measure. ``diversity`` turns it into a score from 0 to 1 (1: the table is the assembly in small).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import msgspec

from panel.strata import FEATURES

UNKNOWN = "?"  # the value of a feature the roster leaves empty: a stratum of its own


class Person(msgspec.Struct, frozen=True):
    """One panelist as seating sees them: an id and the strata of the roster."""

    id: str
    gender: str = ""
    age_band: str = ""
    district: str = ""

    def value(self, feature: str) -> str:
        return getattr(self, feature) or UNKNOWN


Shares = dict[str, dict[str, float]]
"""feature -> value -> the assembly's share of it (each feature's shares sum to 1)."""


def shares(people: Iterable[Person]) -> Shares:
    """The assembly's proportions of every feature's values, among ``people``."""
    people = list(people)
    out: Shares = {}
    for f in FEATURES:
        count = Counter(p.value(f) for p in people)
        total = sum(count.values()) or 1
        out[f] = {v: count[v] / total for v in sorted(count)}
    return out


def counts(members: Iterable[Person]) -> dict[str, Counter[str]]:
    """feature -> value -> how many of ``members`` have it."""
    members = list(members)
    return {f: Counter(p.value(f) for p in members) for f in FEATURES}


def deviation(mix: Mapping[str, Mapping[str, int]], size: int, assembly: Shares) -> float:
    """``sum |count - size * share|`` over every feature and value: 0 for a perfect mirror."""
    total = 0.0
    for f in FEATURES:
        values = set(assembly.get(f, {})) | set(mix.get(f, {}))
        total += sum(abs(mix.get(f, {}).get(v, 0) - size * assembly.get(f, {}).get(v, 0.0)) for v in values)
    return total


def diversity(mix: Mapping[str, Mapping[str, int]], size: int, assembly: Shares) -> float:
    """1 minus the mean over features of the total variation distance between the table's mix and
    the assembly's: 1 when the table mirrors the assembly, 0 when it shares nothing with it."""
    if size == 0:
        return 0.0
    return 1.0 - deviation(mix, size, assembly) / (2 * size * len(FEATURES))


def repeats(members: Sequence[str], met: Mapping[tuple[str, str], int]) -> int:
    """How many pairs of ``members`` sat together before (a pair that met twice counts twice)."""
    if not met:
        return 0
    ordered = sorted(members)
    return sum(met.get((a, b), 0) for i, a in enumerate(ordered) for b in ordered[i + 1 :])


def rank(seed: int, key: str) -> int:
    """A stable pseudo-random rank of ``key`` for ``seed``: the same in every process (``hash``
    is salted per process), so a seating depends only on its inputs and its seed."""
    return int.from_bytes(hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest(), "big")
