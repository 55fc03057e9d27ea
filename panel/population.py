"""Seoul's adult population by gender, age band and district, from the data shipped in ``panel/data``.

The quotas (``panel.quotas``) and the synthetic applicant pool (``panel.synthetic``) both start
here, so that "looks like the city" means one thing. Only adults count (``strata.MIN_AGE``): the
source's 0-17 rows are dropped and its 18-19 and 20-29 rows merged into the panel's 18-29 band.

The files are read through ``importlib.resources`` so an installed wheel works the same as a
checkout; the project never reads the shared folder at run time.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

from panel.strata import AGE_BANDS, DISTRICTS, FEATURES, GENDERS, VOCABULARY, Strata

DISTRICT_FILE: Final = "seoul_district_age_sex.csv"
SEOUL_FILE: Final = "seoul_age_sex.csv"

# The source's bands that make up each panel band; "0-17" is in no panel band.
SOURCE_BANDS: Final[dict[str, tuple[str, ...]]] = {
    "18-29": ("18-19", "20-29"),
    "30-39": ("30-39",),
    "40-49": ("40-49",),
    "50-59": ("50-59",),
    "60-69": ("60-69",),
    "70+": ("70+",),
}
_PANEL_BAND: Final[dict[str, str]] = {src: band for band, srcs in SOURCE_BANDS.items() for src in srcs}


@dataclass(frozen=True, slots=True)
class Population:
    """Adult head counts per cell, with the provenance every report must repeat.

    ``counts`` has one entry for each of the 2 x 6 x 25 cells, keyed by ``Strata``.
    """

    counts: Mapping[Strata, int]
    reference_date: str
    source: str

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def marginal(self, feature: str) -> dict[str, int]:
        """Head counts per value of one feature, in vocabulary order (the order quotas are listed in)."""
        index = FEATURES.index(feature)
        out = dict.fromkeys(VOCABULARY[feature], 0)
        for cell, count in self.counts.items():
            out[cell[index]] += count
        return out


def population_from_rows(rows: Iterable[Mapping[str, str]]) -> Population:
    """Build a ``Population`` from rows shaped like ``seoul_district_age_sex.csv``.

    Raises ``ValueError`` naming the row when a district or band is unknown, a count is not a
    non-negative integer, a cell repeats, a cell is missing, or the provenance columns disagree:
    a quota built on a silently broken table would misrepresent the city.
    """
    by_ko = {d.ko for d in DISTRICTS}
    counts: dict[Strata, int] = {}
    seen: set[tuple[str, str]] = set()
    dates: set[str] = set()
    sources: set[str] = set()
    for line, row in enumerate(rows, start=2):
        district, band = row.get("district_ko", ""), row.get("age_band", "")
        if district not in by_ko:
            raise ValueError(f"{DISTRICT_FILE} line {line}: unknown district {district!r}")
        if (district, band) in seen:
            raise ValueError(f"{DISTRICT_FILE} line {line}: {district} {band} appears twice")
        seen.add((district, band))
        dates.add(row.get("reference_date", ""))
        sources.add(row.get("source", ""))
        if band == "0-17":
            continue
        if band not in _PANEL_BAND:
            raise ValueError(f"{DISTRICT_FILE} line {line}: unknown age band {band!r}")
        for gender in GENDERS:
            raw = row.get(gender, "")
            if not raw.isdigit():
                raise ValueError(f"{DISTRICT_FILE} line {line}: {gender} count {raw!r} is not a whole number")
            cell = Strata(gender, _PANEL_BAND[band], district)
            counts[cell] = counts.get(cell, 0) + int(raw)
    expected = {Strata(g, a, d.ko) for g in GENDERS for a in AGE_BANDS for d in DISTRICTS}
    missing = expected - counts.keys()
    if missing:
        raise ValueError(f"{DISTRICT_FILE}: {len(missing)} cells missing, e.g. {sorted(missing)[0]}")
    if len(dates) != 1 or len(sources) != 1:
        raise ValueError(f"{DISTRICT_FILE}: rows disagree on reference_date or source")
    ordered = {cell: counts[cell] for cell in sorted(counts, key=_cell_order)}
    return Population(counts=ordered, reference_date=dates.pop(), source=sources.pop())


def _cell_order(cell: Strata) -> tuple[int, int, int]:
    return (
        GENDERS.index(cell.gender),
        AGE_BANDS.index(cell.age_band),
        [d.ko for d in DISTRICTS].index(cell.district),
    )


def read_data_file(name: str) -> list[dict[str, str]]:
    """Rows of one shipped data file (UTF-8, header on the first line)."""
    text = resources.files("panel").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@cache
def seoul_population() -> Population:
    """Seoul's adults (18+) at the shipped reference date (2020-12-31); read once per process."""
    return population_from_rows(read_data_file(DISTRICT_FILE))
