"""The shipped population data: complete, sourced, dated, and consistent with the Seoul total."""

from __future__ import annotations

from collections import Counter

import pytest

from panel.population import SEOUL_FILE, SOURCE_BANDS, population_from_rows, read_data_file, seoul_population
from panel.strata import AGE_BANDS, DISTRICT_NAMES, GENDERS


def test_every_cell_is_present_and_positive() -> None:
    pop = seoul_population()
    assert len(pop.counts) == len(GENDERS) * len(AGE_BANDS) * len(DISTRICT_NAMES)
    assert all(count > 0 for count in pop.counts.values())


def test_provenance_is_carried() -> None:
    pop = seoul_population()
    assert pop.reference_date == "2020-12-31"
    assert "MOIS" in pop.source and "jumin.mois.go.kr" in pop.source


def test_district_file_adults_equal_the_seoul_total_file_band_by_band() -> None:
    pop = seoul_population()
    seoul: Counter[tuple[str, str]] = Counter()
    for row in read_data_file(SEOUL_FILE):
        band = next(b for b, sources in SOURCE_BANDS.items() if row["age_band"] in sources)
        seoul[("male", band)] += int(row["male"])
        seoul[("female", band)] += int(row["female"])
    ours: Counter[tuple[str, str]] = Counter()
    for cell, count in pop.counts.items():
        ours[(cell.gender, cell.age_band)] += count
    assert ours == seoul
    assert pop.total == 4_070_645 + 4_370_028  # SOURCES.md: Seoul's adults, male + female


def test_marginals_sum_to_the_total() -> None:
    pop = seoul_population()
    for feature in ("gender", "age_band", "district"):
        assert sum(pop.marginal(feature).values()) == pop.total


def test_a_broken_table_is_refused_with_its_line() -> None:
    rows = read_data_file("seoul_district_age_sex.csv")
    bad = [dict(r) for r in rows]
    bad[3]["male"] = "12,3"
    with pytest.raises(ValueError, match="line 5: male count '12,3'"):
        population_from_rows(bad)
    with pytest.raises(ValueError, match="cells missing"):
        population_from_rows([r for r in rows if r["district_ko"] != "중구"])
