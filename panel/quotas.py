"""Quotas: how many panelists each gender, age band and district may have.

A quota is a ``(feature, value, min, max, target)`` row. QUOTAS.csv has the columns
``feature,value,min,max,target`` (``target`` optional): the first four are the Sortition
Foundation's own format, so the same file also loads in ``sortition_algorithms.read_in_features``.

Quotas from Seoul's population (``quotas_for_size``), the rounding rule:

1. **Target**: each feature's seats are apportioned to its values by the largest-remainder
   (Hamilton) method on the shipped adult head counts: every value gets the floor of its exact
   share, and the seats left over go to the largest remainders (ties: larger population, then
   vocabulary order). So each feature's targets sum to the panel size exactly, and no target is
   more than one seat from the exact share. Integer arithmetic only: no float drift.
2. **Band**: ``min = max = target`` by default (``tolerance = 0``). With ``tolerance > 0``:
   ``min = target - s`` and ``max = target + s`` with ``s = max(1, ceil(tolerance x target))``,
   clamped to ``[0, size]`` (the floor of one seat keeps a small panel from pinning a district to a
   rounding accident). Why exact by default: the lottery's ``legacy`` algorithm, once every minimum
   is met, keeps drawing from the categories with the most applicants left until they reach their
   maximum, so a wide band lets the panel drift to the band's edge on the pool's side (measured:
   a 5 % band gave 1,626 women against a target of 1,553). Exact targets keep every feature's
   counts equal to the city's; widen the band only when a pool cannot meet them (the lottery's
   error names the categories).

Bad quota files raise ``HubError(BAD_QUOTAS)`` naming every bad line at once. Whether quotas fit
a pool and a size is the lottery's question (``panel.lottery.check_feasibility``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Final

from engine.errors import Code, HubError
from panel.csvio import RawRow, read_csv, write_csv
from panel.population import Population, seoul_population
from panel.strata import FEATURES, VOCABULARY, label, parse_value

DEFAULT_TOLERANCE: Final = 0.0
QUOTA_COLUMNS: Final[tuple[str, ...]] = ("feature", "value", "min", "max", "target")
_REQUIRED: Final[tuple[str, ...]] = ("feature", "value", "min", "max")
MAX_LISTED_PROBLEMS: Final = 30


@dataclass(frozen=True, slots=True)
class Quota:
    """Bounds on the number of panelists with ``feature == value``; ``target`` is what the city's
    shares ask for (None when a hand-written file gives no target)."""

    feature: str
    value: str
    min: int
    max: int
    target: int | None = None

    @property
    def label(self) -> str:
        return label(self.feature, self.value)


def apportion(weights: Mapping[str, int], seats: int) -> dict[str, int]:
    """Largest-remainder (Hamilton) apportionment of ``seats`` to ``weights``; the result sums to ``seats``.

    Ties between equal remainders go to the larger weight, then to the earlier key, so the result
    is a function of the input alone. Raises ``ValueError`` on negative input or zero total weight.
    """
    if seats < 0 or any(w < 0 for w in weights.values()):
        raise ValueError("seats and weights must be non-negative")
    total = sum(weights.values())
    if total == 0:
        raise ValueError("the weights sum to zero")
    base = {key: seats * w // total for key, w in weights.items()}
    left = seats - sum(base.values())
    order = list(weights)
    by_remainder = sorted(weights, key=lambda k: (-(seats * weights[k] % total), -weights[k], order.index(k)))
    for key in by_remainder[:left]:
        base[key] += 1
    return base


def band(target: int, size: int, tolerance: float = DEFAULT_TOLERANCE) -> tuple[int, int]:
    """The ``(min, max)`` band around ``target`` (rule 2 of the module docstring)."""
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0")
    if tolerance == 0:
        return target, target
    slack = max(1, math.ceil(Fraction(tolerance).limit_denominator(10**6) * target))
    return max(0, target - slack), min(size, target + slack)


def quotas_for_size(
    size: int,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    features: Sequence[str] = FEATURES,
    population: Population | None = None,
) -> tuple[Quota, ...]:
    """Quotas for a panel of ``size`` that mirror the city's adults on each feature.

    ``population`` defaults to the shipped Seoul data. The result lists every value of every
    requested feature (a value with no quota row could not be placed by the lottery), in
    ``FEATURES`` and vocabulary order.
    """
    if size < 1:
        raise HubError(Code.BAD_QUOTAS, f"panel size must be at least 1, not {size}")
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise HubError(
            Code.BAD_QUOTAS, f"unknown feature(s) {', '.join(unknown)}; known: {', '.join(FEATURES)}"
        )
    pop = population if population is not None else seoul_population()
    out: list[Quota] = []
    for feature in FEATURES:
        if feature not in features:
            continue
        targets = apportion(pop.marginal(feature), size)
        for value, target in targets.items():
            low, high = band(target, size, tolerance)
            out.append(Quota(feature, value, low, high, target))
    return tuple(out)


def by_feature(quotas: Iterable[Quota]) -> dict[str, dict[str, Quota]]:
    """Index quotas as ``{feature: {value: quota}}`` keeping their order."""
    out: dict[str, dict[str, Quota]] = {}
    for quota in quotas:
        out.setdefault(quota.feature, {})[quota.value] = quota
    return out


def _int_cell(raw: str | None, column: str, problems: list[str], where: str) -> int | None:
    text = (raw or "").strip()
    if not text.isdigit():
        problems.append(f"{where}: {column} {text!r} is not a whole number >= 0")
        return None
    return int(text)


def parse_quota_rows(
    rows: Iterable[RawRow],
    columns: Sequence[str],
    *,
    source: str = "QUOTAS.csv",
) -> tuple[Quota, ...]:
    """Validate QUOTAS.csv rows (as ``csv.DictReader`` gives them) and return canonical quotas.

    ``columns`` is the header. Values may be written as people write them (``Gangnam-gu``,
    ``여성``); they come back canonical. Raises ``HubError(BAD_QUOTAS)`` listing every problem
    with its line number: missing columns, unknown features or values, non-numbers, ``min > max``,
    a target outside its band, a repeated ``(feature, value)``, or a feature that does not list all
    of its values (an applicant with the missing value could never be placed).
    """
    header = [c.strip().casefold() for c in columns]
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        found = ", ".join(columns) or "nothing"
        raise HubError(
            Code.BAD_QUOTAS, f"{source} is missing column(s) {', '.join(missing)} (found: {found})"
        )
    problems: list[str] = []
    quotas: list[Quota] = []
    first_line: dict[tuple[str, str], int] = {}
    for line, raw_row in enumerate(rows, start=2):
        row = {str(k).strip().casefold(): (v or "").strip() for k, v in raw_row.items() if k is not None}
        where = f"line {line}"
        if not any(row.values()):
            continue  # blank line
        feature = row.get("feature", "").casefold()
        if feature not in FEATURES:
            problems.append(
                f"{where}: unknown feature {row.get('feature', '')!r} (expected {', '.join(FEATURES)})"
            )
            continue
        try:
            value = parse_value(feature, row.get("value", ""))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        low = _int_cell(row.get("min"), "min", problems, where)
        high = _int_cell(row.get("max"), "max", problems, where)
        target: int | None = None
        if row.get("target"):
            target = _int_cell(row.get("target"), "target", problems, where)
        if low is None or high is None:
            continue
        if low > high:
            problems.append(f"{where}: {label(feature, value)} has min {low} > max {high}")
            continue
        if target is not None and not low <= target <= high:
            problems.append(f"{where}: {label(feature, value)} target {target} is outside [{low}, {high}]")
            continue
        previous = first_line.setdefault((feature, value), line)
        if previous != line:
            problems.append(f"{where}: {label(feature, value)} repeats line {previous}")
            continue
        quotas.append(Quota(feature, value, low, high, target))
    indexed = by_feature(quotas)
    for feature, values in indexed.items():
        absent = [v for v in VOCABULARY[feature] if v not in values]
        if absent:
            problems.append(f"feature {feature} has no row for {', '.join(absent)}")
    if not problems and not quotas:
        problems.append("no quota rows")
    if problems:
        raise HubError(Code.BAD_QUOTAS, _listing(source, problems))
    order = {(f, v): i for i, (f, v) in enumerate((f, v) for f in FEATURES for v in VOCABULARY[f])}
    return tuple(sorted(quotas, key=lambda q: order[(q.feature, q.value)]))


def _listing(source: str, problems: Sequence[str]) -> str:
    shown = list(problems[:MAX_LISTED_PROBLEMS])
    if len(problems) > MAX_LISTED_PROBLEMS:
        shown.append(f"... and {len(problems) - MAX_LISTED_PROBLEMS} more")
    noun = "problem" if len(problems) == 1 else "problems"
    return f"{source}: {len(problems)} {noun}:\n  " + "\n  ".join(shown)


def quota_rows(quotas: Iterable[Quota]) -> list[dict[str, str]]:
    """Rows for QUOTAS.csv (``QUOTA_COLUMNS``); a missing target is written as an empty cell."""
    return [
        {
            "feature": q.feature,
            "value": q.value,
            "min": str(q.min),
            "max": str(q.max),
            "target": "" if q.target is None else str(q.target),
        }
        for q in quotas
    ]


def read_quotas_csv(path: str | os.PathLike[str], *, encoding: str = "utf-8-sig") -> tuple[Quota, ...]:
    """Read and validate QUOTAS.csv (see ``parse_quota_rows``)."""
    table = read_csv(path, code=Code.BAD_QUOTAS, encoding=encoding)
    return parse_quota_rows(table.rows, table.columns, source=os.fspath(path))


def write_quotas_csv(
    path: str | os.PathLike[str], quotas: Iterable[Quota], *, encoding: str = "utf-8"
) -> None:
    """Write QUOTAS.csv atomically: a reader sees the old file or the whole new one, never half."""
    write_csv(Path(path), QUOTA_COLUMNS, quota_rows(quotas), encoding=encoding)
