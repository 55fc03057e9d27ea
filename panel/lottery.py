"""The stratified lottery: draw the panel, order the reserve, report, and replace a withdrawn panelist.

Theory of operation
-------------------
``draw(applicants, quotas, size, seed)`` is a pure function of its inputs (it reads and writes no
file). It:

1. validates the applicants and quotas (``HubError(BAD_ROSTER)`` / ``BAD_QUOTAS``, every bad row
   named) and checks, before any randomness, what can be checked by counting: enough applicants,
   each feature's minimums and maximums compatible with the size, each category's pool at least its
   minimum (``INFEASIBLE_QUOTAS``, every failing category named);
2. hands the pool, sorted by ``applicant_id``, to the Sortition Foundation's ``sortition-algorithms``
   (``run_stratification``). Sorting makes the panel depend on the set of applicants and the seed,
   not on the order of the rows in the file;
3. if an attempt fails, asks the package's integer program whether *any* panel meets the quotas
   (which catches conflicts between features that counting cannot, e.g. a district whose
   applicants are all men); if none does, raises ``INFEASIBLE_QUOTAS`` with the package's
   suggested relaxations. Otherwise it retries with the next derived seed, up to ``max_attempts``;
4. orders the reserve (everyone not selected) by a seeded uniform shuffle, and counts each
   stratum's target, bounds, pool and selected numbers.

The method: ``legacy`` by default
---------------------------------
The package's maximally fair methods (``leximin``, which needs the commercial Gurobi solver and
otherwise falls back to ``maximin``; ``maximin``; ``nash``) first solve one integer program per
applicant (``maximin``: n rounds, ``nash``: 2n, ``leximin``: 3n) to find a covering set of panels.
Measured here on 3,000 of 20,000 (2 cores, HiGHS): about 5.3 s per round, so 20,000 rounds is about
29 hours before the optimisation even starts. ``legacy`` (greedy: fill the category whose unmet
minimum is largest relative to its remaining applicants, picking uniformly at random inside it)
draws 3,000 of 20,000 in 13-17 s of CPU (``python -m loadtest.bench_lottery``; almost all of it is
the package scanning the pool once per pick). So the hub uses ``legacy``; ``maximin`` and ``nash``
stay selectable for small pools (a few hundred applicants), where they also report each applicant's
selection probability. ``legacy`` gives no probabilities, so none are reported for it.

Determinism
-----------
The package draws from Python's global ``random`` seeded with ``settings.random_number_seed`` (a
seed of 0 would mean "use ``secrets``"), and HiGHS gets its seed from the same stream. The seed the
caller gives (any int or string, e.g. a publicly drawn number) is hashed with a purpose label into
a non-zero 63-bit seed per attempt and one for the reserve, so the same seed and the same applicants
give the same panel and reserve in any process. The global ``random`` state is restored afterwards.

Reserve order
-------------
The reserve is every applicant not selected, in a seeded uniform shuffle. Uniform: every
non-selected applicant has the same chance of every rank, so being early on the list is itself a
fair lottery. Whole remainder: ``replace`` needs someone of the withdrawn panelist's strata, and the
full remainder has one whenever the pool does (a second stratified draw of a short list would not,
and would cost another draw).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Final, Literal, get_args

from engine.errors import Code, HubError
from panel.applicants import Applicant, applicant_columns, read_applicants_csv, validate_applicants
from panel.csvio import read_csv, render_csv, write_files
from panel.quotas import QUOTA_COLUMNS, Quota, by_feature, parse_quota_rows, quota_rows
from panel.strata import FEATURES, label

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID
    from sortition_algorithms.features import FeatureCollection
    from sortition_algorithms.people import People
    from sortition_algorithms.progress import ProgressReporter
    from sortition_algorithms.utils import RunReport

Method = Literal["legacy", "maximin", "nash"]
METHODS: Final[tuple[str, ...]] = get_args(Method)
DEFAULT_METHOD: Final[Method] = "legacy"
DEFAULT_MAX_ATTEMPTS: Final = 10
METHOD_NOTES: Final[dict[str, str]] = {
    "legacy": (
        "sortition-algorithms 'legacy' (greedy stratified selection): the maximally fair methods "
        "(maximin, nash, leximin) solve one integer program per applicant before optimising, about "
        "29 hours for 20,000 applicants here, while legacy draws 3,000 of 20,000 in about 15 s. "
        "Legacy gives no selection probabilities."
    ),
    "maximin": "sortition-algorithms 'maximin': maximises the smallest selection probability.",
    "nash": "sortition-algorithms 'nash': maximises the product of the selection probabilities.",
}

PANEL_FILE: Final = "panel.csv"
RESERVE_FILE: Final = "reserve.csv"
REPORT_FILE: Final = "report.csv"
SUMMARY_FILE: Final = "draw.json"
REPLACEMENTS_FILE: Final = "replacements.csv"
RANK_COLUMN: Final = "reserve_rank"
PROBABILITY_COLUMN: Final = "selection_probability"
REPORT_COLUMNS: Final[tuple[str, ...]] = ("feature", "value", "min", "max", "target", "pool", "selected")
REPLACEMENT_COLUMNS: Final[tuple[str, ...]] = (
    "withdrawn_id",
    "substitute_id",
    "reserve_rank",
    "shared_strata",
    "reason",
)


@dataclass(frozen=True, slots=True)
class StratumCount:
    """One line of the report: a quota and how many applicants and panelists fall in it."""

    feature: str
    value: str
    min: int
    max: int
    target: int | None
    pool: int
    selected: int

    @property
    def met(self) -> bool:
        return self.min <= self.selected <= self.max


@dataclass(frozen=True, slots=True)
class Draw:
    """The outcome of ``draw``: everything the output files hold, and how it was obtained.

    ``panel`` is sorted by ``applicant_id``; ``reserve`` is in replacement order (rank 1 first);
    ``probabilities`` maps every applicant id to its selection probability, or is None when the
    method does not give them (``legacy``).
    """

    panel: tuple[Applicant, ...]
    reserve: tuple[Applicant, ...]
    strata: tuple[StratumCount, ...]
    probabilities: Mapping[str, float] | None
    quotas: tuple[Quota, ...]
    method: str
    seed: str
    size: int
    pool_size: int
    attempts: int
    library_version: str
    pool_fingerprint: str

    def summary(self) -> dict[str, object]:
        """The facts an auditor needs to rerun and check the draw (written as ``draw.json``)."""
        return {
            "method": self.method,
            "method_note": METHOD_NOTES[self.method],
            "library": f"sortition-algorithms {self.library_version}",
            "seed": self.seed,
            "size": self.size,
            "pool_size": self.pool_size,
            "pool_fingerprint": self.pool_fingerprint,
            "pool_fingerprint_rule": "sha256 of 'id<TAB>gender<TAB>age_band<TAB>district<LF>' lines sorted by id",
            "attempts": self.attempts,
            "quotas_met": all(s.met for s in self.strata),
            "reserve_size": len(self.reserve),
            "reserve_order": "seeded uniform shuffle of every applicant not selected",
            "selection_probabilities": "reported"
            if self.probabilities is not None
            else "not given by this method",
        }


@dataclass(frozen=True, slots=True)
class Replacement:
    """The outcome of ``replace``: the new panel and reserve, who left, who came in and why."""

    panel: tuple[Applicant, ...]
    reserve: tuple[Applicant, ...]
    withdrawn: Applicant
    substitute: Applicant
    reserve_rank: int
    shared: tuple[str, ...] = field(default=())
    reason: str = ""

    def log_row(self) -> dict[str, str]:
        """A row of ``replacements.csv``."""
        return {
            "withdrawn_id": self.withdrawn.applicant_id,
            "substitute_id": self.substitute.applicant_id,
            "reserve_rank": str(self.reserve_rank),
            "shared_strata": " ".join(self.shared),
            "reason": self.reason,
        }


# --- checks ------------------------------------------------------------------------------------


def _validated_quotas(quotas: Sequence[Quota]) -> tuple[Quota, ...]:
    # Quotas built in code get the same checks as a QUOTAS.csv (and come back canonical and ordered).
    return parse_quota_rows(quota_rows(quotas), QUOTA_COLUMNS, source="quotas")


def feasibility_problems(applicants: Sequence[Applicant], quotas: Sequence[Quota], size: int) -> list[str]:
    """Every reason, found by counting, why no panel of ``size`` from ``applicants`` can meet ``quotas``.

    An empty list does not prove a panel exists (features can conflict with each other); ``draw``
    settles that with the package's integer program.
    """
    problems: list[str] = []
    if len(applicants) < size:
        problems.append(f"only {len(applicants):,} applicants for a panel of {size:,}")
    for feature, values in by_feature(quotas).items():
        lows = sum(q.min for q in values.values())
        highs = sum(q.max for q in values.values())
        if lows > size:
            problems.append(f"{feature}: the minimums add up to {lows:,}, more than the panel size {size:,}")
        if highs < size:
            problems.append(f"{feature}: the maximums add up to {highs:,}, less than the panel size {size:,}")
        pool = Counter(a.value(feature) for a in applicants)
        for value, quota in values.items():
            if pool[value] < quota.min:
                problems.append(f"{quota.label}: min {quota.min:,} but only {pool[value]:,} applicants")
    return problems


def check_feasibility(applicants: Sequence[Applicant], quotas: Sequence[Quota], size: int) -> None:
    """Raise ``HubError(INFEASIBLE_QUOTAS)`` listing every ``feasibility_problems`` entry, if any."""
    if size < 1:
        raise HubError(Code.BAD_QUOTAS, f"panel size must be at least 1, not {size}")
    problems = feasibility_problems(applicants, quotas, size)
    if problems:
        raise HubError(Code.INFEASIBLE_QUOTAS, _infeasible(problems))


def _infeasible(lines: Iterable[str]) -> str:
    return "the quotas cannot be met:\n  " + "\n  ".join(lines)


def quota_problems(panel: Sequence[Applicant], quotas: Sequence[Quota]) -> list[str]:
    """Each quota ``panel`` breaks, as a sentence; empty when every quota is met."""
    out: list[str] = []
    for feature, values in by_feature(quotas).items():
        counts = Counter(a.value(feature) for a in panel)
        for value, quota in values.items():
            if not quota.min <= counts[value] <= quota.max:
                out.append(f"{quota.label}: {counts[value]} selected, outside [{quota.min}, {quota.max}]")
    return out


def count_strata(
    pool: Sequence[Applicant], panel: Sequence[Applicant], quotas: Sequence[Quota]
) -> tuple[StratumCount, ...]:
    """Per quota: its bounds and target, how many applicants and how many panelists it covers."""
    out: list[StratumCount] = []
    for feature, values in by_feature(quotas).items():
        in_pool = Counter(a.value(feature) for a in pool)
        in_panel = Counter(a.value(feature) for a in panel)
        for value, q in values.items():
            out.append(StratumCount(feature, value, q.min, q.max, q.target, in_pool[value], in_panel[value]))
    return tuple(out)


# --- the draw ----------------------------------------------------------------------------------


def derive_seed(seed: int | str, purpose: str) -> int:
    """A non-zero 63-bit seed for one use (``draw/1``, ``reserve``...) of the caller's seed.

    Hashing keeps the uses independent and turns any seed, 0 and strings included, into one the
    package accepts (it treats 0 as "no seed").
    """
    digest = hashlib.sha256(f"plenary-panel/{purpose}/{seed}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") >> 1) or 1


def pool_fingerprint(applicants: Iterable[Applicant]) -> str:
    """sha256 over the lottery-relevant part of the pool (ids and strata, sorted by id).

    Publishing it lets anyone check that a rerun used the same pool without seeing names or contacts.
    """
    lines = sorted(f"{a.applicant_id}\t{a.gender}\t{a.age_band}\t{a.district}\n" for a in applicants)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def order_reserve(remaining: Iterable[Applicant], seed: int | str) -> tuple[Applicant, ...]:
    """Everyone in ``remaining`` in a seeded uniform shuffle (see "Reserve order" above)."""
    ordered = sorted(remaining, key=lambda a: a.applicant_id)
    random.Random(derive_seed(seed, "reserve")).shuffle(ordered)
    return tuple(ordered)


def draw(
    applicants: Sequence[Applicant],
    quotas: Sequence[Quota],
    size: int,
    seed: int | str,
    *,
    method: Method = DEFAULT_METHOD,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    progress: ProgressReporter | None = None,
) -> Draw:
    """Select ``size`` panelists from ``applicants`` meeting ``quotas``, deterministically for ``seed``.

    ``progress`` receives the phases (a ``RichProgress`` in the CLI; None keeps tests quiet).
    Raises ``PanelError``: ``BAD_ROSTER`` or ``BAD_QUOTAS`` for bad input, ``INFEASIBLE_QUOTAS``
    naming what cannot be met. The caller then writes the result (``write_draw``); nothing is
    written here, so a failure leaves no file behind.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if max_attempts < 1:
        raise ValueError("max_attempts must be >= 1")
    reporter = progress
    if reporter is not None:
        reporter.start_phase("check", None, message="Checking applicants and quotas")
    validate_applicants(applicants)
    checked = _validated_quotas(quotas)
    check_feasibility(applicants, checked, size)
    if reporter is not None:
        reporter.end_phase()

    pool = sorted(applicants, key=lambda a: a.applicant_id)
    features, people = _library_inputs(pool, checked, size)
    selected, attempts, probabilities = _run_library(
        features, people, size, seed, method, max_attempts, reporter
    )

    chosen = set(selected)
    panel = tuple(a for a in pool if a.applicant_id in chosen)
    broken = quota_problems(panel, checked)
    if len(panel) != size or broken:  # the package promises this; an auditor will check it, so do we
        raise HubError(Code.INTERNAL, f"the package returned a panel of {len(panel)} breaking: {broken}")
    if reporter is not None:
        reporter.start_phase("reserve", None, message="Ordering the reserve")
    reserve = order_reserve((a for a in pool if a.applicant_id not in chosen), seed)
    if reporter is not None:
        reporter.end_phase()
    return Draw(
        panel=panel,
        reserve=reserve,
        strata=count_strata(pool, panel, checked),
        probabilities=probabilities,
        quotas=checked,
        method=method,
        seed=str(seed),
        size=size,
        pool_size=len(pool),
        attempts=attempts,
        library_version=metadata.version("sortition-algorithms"),
        pool_fingerprint=pool_fingerprint(pool),
    )


def _library_inputs(
    pool: Sequence[Applicant], quotas: Sequence[Quota], size: int
) -> tuple[FeatureCollection, People]:
    # Through the package's own readers, so its checks apply too.
    from sortition_algorithms import Settings, read_in_features
    from sortition_algorithms.people import read_in_people

    features, _, _ = read_in_features(list(QUOTA_COLUMNS), quota_rows(quotas), size)
    used = list(features)
    settings = Settings(id_column="applicant_id", columns_to_keep=[])
    rows = [{"applicant_id": a.applicant_id, **{f: a.value(f) for f in used}} for a in pool]
    people, _ = read_in_people(["applicant_id", *used], rows, features, settings)
    return features, people


def _run_library(
    features: FeatureCollection,
    people: People,
    size: int,
    seed: int | str,
    method: Method,
    max_attempts: int,
    reporter: ProgressReporter | None,
) -> tuple[frozenset[str], int, dict[str, float] | None]:
    from sortition_algorithms import InfeasibleQuotasError, Settings, run_stratification
    from sortition_algorithms.utils import set_random_provider

    saved = random.getstate()
    try:
        last = ""
        attempt = 0
        while attempt < max_attempts:
            attempt += 1
            settings = Settings(
                id_column="applicant_id",
                columns_to_keep=[],
                selection_algorithm=method,
                random_number_seed=derive_seed(seed, f"draw/{attempt}"),
                max_attempts=1,  # retries happen here, each with its own derived seed
            )
            ok, committees, report = run_stratification(
                features, people, size, settings, progress_reporter=reporter
            )
            if ok and len(committees) == 1:
                probabilities = None if method == "legacy" else _probabilities(report, people)
                return committees[0], attempt, probabilities
            last = _error_text(report)
            if isinstance(report.last_error(), InfeasibleQuotasError):  # maximin and nash check first
                raise HubError(Code.INFEASIBLE_QUOTAS, _infeasible(last.splitlines()))
            if attempt == 1:
                _diagnose(features, people, size)  # raises when no panel exists at all
            if method != "legacy":
                break  # only legacy is randomised per attempt; the others fail the same way again
        raise HubError(
            Code.INFEASIBLE_QUOTAS,
            f"a panel meeting the quotas exists, but {method} did not find one in {attempt} "
            f"attempt(s); widen the quota bands or raise max_attempts. Last failure: {last}",
        )
    finally:
        random.setstate(saved)
        set_random_provider(None)


def _error_text(report: RunReport) -> str:
    error = report.last_error()
    if error is None:
        return "no error reported"
    lines = getattr(error, "all_lines", None)
    return "\n".join(lines) if isinstance(lines, list) else str(error)


def _diagnose(features: FeatureCollection, people: People, size: int) -> None:
    """Ask the package's integer program whether any panel meets the quotas; raise if none does."""
    from sortition_algorithms import Settings, run_stratification

    settings = Settings(id_column="applicant_id", columns_to_keep=[], random_number_seed=1)
    ok, _, report = run_stratification(features, people, size, settings, test_selection=True)
    if not ok:
        raise HubError(Code.INFEASIBLE_QUOTAS, _infeasible(_error_text(report).splitlines()))


def _probabilities(report: RunReport, people: People) -> dict[str, float] | None:
    # maximin and nash put a table "Agent ID | Probability of selection | ..." (percent, 4 decimals)
    # in their run report; its serialized form is the package's public way to read it.
    for item in report.serialize().get("_data", []):
        if isinstance(item, dict) and item.get("headers", [None, None])[:2] == [
            "Agent ID",
            "Probability of selection",
        ]:
            table = {str(row[0]): float(str(row[1]).rstrip("%")) / 100 for row in item.get("data", [])}
            return {pid: table.get(pid, 0.0) for pid in people}
    return None


# --- replacement -------------------------------------------------------------------------------


def replace(
    panel: Sequence[Applicant], reserve: Sequence[Applicant], withdrawn_id: str, quotas: Sequence[Quota]
) -> Replacement:
    """Replace panelist ``withdrawn_id`` by the first reserve member who keeps every quota met.

    Preference: the most strata in common with the withdrawn panelist (all three first, so the
    panel's counts do not move at all), then reserve rank. Raises ``PanelError``:
    ``UNKNOWN_PARTICIPANT`` if ``withdrawn_id`` is not on the panel, ``INFEASIBLE_QUOTAS`` saying
    which quota no reserve member can keep. The caller writes the result (``write_replacement``).
    """
    checked = _validated_quotas(quotas)
    leaving = next((a for a in panel if a.applicant_id == withdrawn_id), None)
    if leaving is None:
        raise HubError(Code.UNKNOWN_PARTICIPANT, f"{withdrawn_id!r} is not on the panel")
    staying = [a for a in panel if a.applicant_id != withdrawn_id]
    on_panel = {a.applicant_id for a in panel}
    quota_map = by_feature(checked)
    counts = {f: Counter(a.value(f) for a in staying) for f in quota_map}
    short = [(f, v) for f, vs in quota_map.items() for v, q in vs.items() if counts[f][v] < q.min]

    def keeps_quotas(candidate: Applicant) -> bool:
        for f, vs in quota_map.items():
            value = candidate.value(f)
            if counts[f][value] + 1 > vs[value].max:
                return False
        # every minimum met afterwards: the candidate must fill each category the withdrawal left short
        return all(candidate.value(f) == v and counts[f][v] + 1 >= quota_map[f][v].min for f, v in short)

    best: tuple[int, int, Applicant] | None = None  # (-shared, rank, applicant)
    for rank, candidate in enumerate(reserve, start=1):
        if candidate.applicant_id in on_panel:
            continue
        shared = sum(candidate.value(f) == leaving.value(f) for f in FEATURES)
        if best is not None and -shared >= best[0]:
            continue  # an earlier candidate shares as much: rank decides
        if keeps_quotas(candidate):
            best = (-shared, rank, candidate)
            if shared == len(FEATURES):
                break
    if best is None:
        raise HubError(
            Code.INFEASIBLE_QUOTAS, _no_substitute(leaving, reserve, on_panel, quota_map, counts, short)
        )
    _, rank, substitute = best
    shared_features = tuple(f for f in FEATURES if substitute.value(f) == leaving.value(f))
    reason = (
        f"reserve rank {rank}: same {', '.join(shared_features)}"
        if shared_features
        else f"reserve rank {rank}: first reserve member who keeps every quota"
    )
    if len(shared_features) < len(FEATURES):
        reason += "; no earlier reserve member shares more strata and keeps the quotas"
    new_panel = tuple(sorted([*staying, substitute], key=lambda a: a.applicant_id))
    new_reserve = tuple(a for a in reserve if a.applicant_id != substitute.applicant_id)
    return Replacement(new_panel, new_reserve, leaving, substitute, rank, shared_features, reason)


def _no_substitute(
    leaving: Applicant,
    reserve: Sequence[Applicant],
    on_panel: set[str],
    quota_map: Mapping[str, Mapping[str, Quota]],
    counts: Mapping[str, Counter[str]],
    short: Sequence[tuple[str, str]],
) -> str:
    who = f"{leaving.applicant_id!r} ({leaving.gender}, {leaving.age_band}, {leaving.district})"
    candidates = [a for a in reserve if a.applicant_id not in on_panel]
    if not candidates:
        return f"no reserve member can replace {who}: the reserve is empty"
    lines = [f"no reserve member can replace {who} and keep every quota:"]
    for f, v in short:
        q = quota_map[f][v]
        have = sum(a.value(f) == v for a in candidates)
        lines.append(f"without them {q.label} has {counts[f][v]} < min {q.min}; the reserve has {have} such")
    needing = [a for a in candidates if all(a.value(f) == v for f, v in short)]
    if short and not needing:
        wanted = " and ".join(label(f, v) for f, v in short)
        lines.append(f"no reserve member has {wanted}")
    full = sorted(
        {
            quota_map[f][a.value(f)].label
            for a in needing
            for f in quota_map
            if counts[f][a.value(f)] >= quota_map[f][a.value(f)].max
        }
    )
    if needing and full:
        lines.append(f"every suitable reserve member would exceed a max: {', '.join(full)}")
    return "\n  ".join(lines)


# --- files -------------------------------------------------------------------------------------


def _panel_rows(
    people: Sequence[Applicant], probabilities: Mapping[str, float] | None, ranked: bool
) -> tuple[list[str], list[dict[str, str]]]:
    leading = (RANK_COLUMN,) if ranked else ()
    columns = applicant_columns(people, leading)
    if PROBABILITY_COLUMN not in columns:
        columns.append(PROBABILITY_COLUMN)
    rows = []
    for rank, a in enumerate(people, start=1):
        row = {RANK_COLUMN: str(rank)} if ranked else {}
        row.update(a.row())
        if probabilities is not None:
            row[PROBABILITY_COLUMN] = f"{probabilities.get(a.applicant_id, 0.0):.6f}"
        else:
            row.setdefault(PROBABILITY_COLUMN, "")
        rows.append(row)
    return columns, rows


def draw_files(result: Draw, out_dir: Path) -> dict[Path, str]:
    """The text of every output file of a draw: panel, reserve, report, summary."""
    summary = {**result.summary(), "files": [PANEL_FILE, RESERVE_FILE, REPORT_FILE, SUMMARY_FILE]}
    report = [
        {
            "feature": s.feature,
            "value": s.value,
            "min": str(s.min),
            "max": str(s.max),
            "target": "" if s.target is None else str(s.target),
            "pool": str(s.pool),
            "selected": str(s.selected),
        }
        for s in result.strata
    ]
    return {
        out_dir / PANEL_FILE: render_csv(*_panel_rows(result.panel, result.probabilities, ranked=False)),
        out_dir / RESERVE_FILE: render_csv(*_panel_rows(result.reserve, result.probabilities, ranked=True)),
        out_dir / REPORT_FILE: render_csv(REPORT_COLUMNS, report),
        out_dir / SUMMARY_FILE: json.dumps(summary, ensure_ascii=False, indent=2) + "\n",
    }


def write_draw(
    result: Draw, out_dir: str | os.PathLike[str], *, overwrite: bool = False, encoding: str = "utf-8"
) -> list[Path]:
    """Write panel.csv, reserve.csv, report.csv and draw.json into ``out_dir`` (created if needed).

    All four or none: existing files raise ``FileExistsError`` before anything is written unless
    ``overwrite``. ``encoding="utf-8-sig"`` makes the CSVs open correctly in Korean Excel.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    files = draw_files(result, folder)
    write_files(files, encoding=encoding, overwrite=overwrite)
    return list(files)


def _strip_rank(people: Iterable[Applicant]) -> list[Applicant]:
    return [dc_replace(a, extra=tuple((k, v) for k, v in a.extra if k != RANK_COLUMN)) for a in people]


def read_panel_csv(path: str | os.PathLike[str], *, encoding: str = "utf-8-sig") -> list[Applicant]:
    """Read a panel.csv written by ``write_draw`` (validated like APPLICANTS.csv)."""
    return _strip_rank(read_applicants_csv(path, encoding=encoding))


def read_reserve_csv(path: str | os.PathLike[str], *, encoding: str = "utf-8-sig") -> list[Applicant]:
    """Read a reserve.csv in rank order (its ``reserve_rank`` column, not the row order)."""
    people = read_applicants_csv(path, encoding=encoding)
    ranks: dict[str, int] = {}
    bad: list[str] = []
    for a in people:
        rank = dict(a.extra).get(RANK_COLUMN, "")
        if not rank.isdigit():
            bad.append(f"line {a.line}: {RANK_COLUMN} {rank!r} is not a whole number")
        else:
            ranks[a.applicant_id] = int(rank)
    if bad:
        raise HubError(Code.BAD_ROSTER, f"{os.fspath(path)}:\n  " + "\n  ".join(bad))
    return _strip_rank(sorted(people, key=lambda a: ranks[a.applicant_id]))


def write_replacement(
    result: Replacement, out_dir: str | os.PathLike[str], *, encoding: str = "utf-8"
) -> list[Path]:
    """Rewrite panel.csv and reserve.csv and append the replacement to replacements.csv, all or none."""
    folder = Path(out_dir)
    log_path = folder / REPLACEMENTS_FILE
    earlier = read_csv(log_path, code=Code.BAD_ROSTER).rows if log_path.exists() else ()
    log_rows = [{c: (r.get(c) or "") for c in REPLACEMENT_COLUMNS} for r in earlier] + [result.log_row()]
    files = {
        folder / PANEL_FILE: render_csv(*_panel_rows(result.panel, None, ranked=False)),
        folder / RESERVE_FILE: render_csv(*_panel_rows(result.reserve, None, ranked=True)),
        log_path: render_csv(REPLACEMENT_COLUMNS, log_rows),
    }
    write_files(files, encoding=encoding, overwrite=True)
    return list(files)


# --- progress ----------------------------------------------------------------------------------


class RichProgress:
    """A rich progress bar on stderr for ``draw(progress=...)`` (the package's ``ProgressReporter``).

    On stderr so that stdout stays clean for what the CLI prints. Use as a context manager::

        with RichProgress() as progress:
            result = draw(applicants, quotas, 3000, seed, progress=progress)
    """

    def __init__(self, console: Console | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress: Progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
        )
        self._task: TaskID | None = None
        self._total: int | None = None

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def start_phase(self, name: str, total: int | None = None, *, message: str | None = None) -> None:
        if self._task is not None:
            self._progress.remove_task(self._task)
        self._task = self._progress.add_task(message or name, total=total)
        self._total = total

    def update(self, current: int, *, message: str | None = None) -> None:
        if self._task is None:
            return
        if message is None:
            self._progress.update(self._task, completed=current)
        else:
            self._progress.update(self._task, completed=current, description=message)

    def end_phase(self) -> None:
        # A phase without a known total shows as one finished unit rather than "0/?".
        if self._task is not None:
            total = self._total if self._total is not None else 1
            self._progress.update(self._task, total=total, completed=total)
