"""Quotas from the city's shares: the rounding rule, the band, and QUOTAS.csv in and out."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import Code, PanelError
from panel.population import seoul_population
from panel.quotas import (
    Quota,
    apportion,
    band,
    by_feature,
    parse_quota_rows,
    quotas_for_size,
    read_quotas_csv,
    write_quotas_csv,
)
from panel.strata import FEATURES, VOCABULARY

COLUMNS = ["feature", "value", "min", "max", "target"]


@given(
    weights=st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=30).filter(any),
    seats=st.integers(min_value=0, max_value=10_000),
)
def test_largest_remainder_sums_to_the_seats_and_stays_within_one_of_the_exact_share(
    weights: list[int], seats: int
) -> None:
    named = {f"v{i}": w for i, w in enumerate(weights)}
    result = apportion(named, seats)
    assert sum(result.values()) == seats
    total = sum(weights)
    for key, w in named.items():
        exact = seats * w / total
        assert exact - 1 < result[key] < exact + 1


def test_apportion_breaks_equal_remainders_by_weight_then_order() -> None:
    assert apportion({"a": 1, "b": 1, "c": 1}, 2) == {"a": 1, "b": 1, "c": 0}
    assert apportion({"a": 1, "b": 2}, 1) == {"a": 0, "b": 1}


@pytest.mark.parametrize("size", [1, 7, 25, 160, 3000, 3001])
def test_each_feature_targets_sum_to_the_size_and_bands_contain_them(size: int) -> None:
    quotas = quotas_for_size(size, tolerance=0.05)
    for feature, values in by_feature(quotas).items():
        assert list(values) == list(VOCABULARY[feature])
        assert sum(q.target or 0 for q in values.values()) == size
        for q in values.values():
            assert q.target is not None
            assert 0 <= q.min <= q.target <= q.max <= size
            assert q.max - q.target <= max(1, -(-q.target * 5 // 100))


def test_targets_for_3000_follow_the_city() -> None:
    quotas = by_feature(quotas_for_size(3000))
    pop = seoul_population()
    # Seoul's adults are 51.8 % women: 1,553.4 seats
    assert quotas["gender"]["female"].target == 1553
    assert quotas["gender"]["male"].target == 1447
    share = pop.marginal("district")["송파구"] / pop.total
    assert abs(quotas["district"]["송파구"].target - 3000 * share) < 1  # type: ignore[operator]


def test_by_default_every_quota_is_pinned_to_its_target() -> None:
    assert all(q.min == q.max == q.target for q in quotas_for_size(3000))


def test_band_rule() -> None:
    assert band(39, 3000, 0.05) == (37, 41)  # ceil(1.95) = 2
    assert band(60, 3000, 0.05) == (57, 63)  # exactly 3, no float drift to 4
    assert band(0, 10, 0.05) == (0, 1)  # at least one seat of slack
    assert band(10, 10, 0.05) == (9, 10)  # clamped to the size


def test_quotas_for_a_subset_of_features() -> None:
    quotas = quotas_for_size(100, features=("district",))
    assert {q.feature for q in quotas} == {"district"}
    with pytest.raises(PanelError) as info:
        quotas_for_size(100, features=("income",))
    assert info.value.code is Code.BAD_QUOTAS


def test_quotas_round_trip_through_csv(tmp_path: Path) -> None:
    quotas = quotas_for_size(3000)
    path = tmp_path / "QUOTAS.csv"
    write_quotas_csv(path, quotas)
    assert read_quotas_csv(path) == quotas
    assert [p.name for p in tmp_path.iterdir()] == ["QUOTAS.csv"]  # no temporary file left


def test_the_sortition_foundation_reader_accepts_our_file(tmp_path: Path) -> None:
    from sortition_algorithms import read_in_features

    path = tmp_path / "QUOTAS.csv"
    write_quotas_csv(path, quotas_for_size(3000))
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        features, _, _ = read_in_features(list(reader.fieldnames or []), list(reader), 3000)
    assert features["district"]["강남구"].min == by_feature(read_quotas_csv(path))["district"]["강남구"].min


def _rows(*rows: tuple[str, str, str, str, str]) -> list[dict[str, str]]:
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows]


def _full(feature: str, skip: str = "") -> list[tuple[str, str, str, str, str]]:
    return [(feature, v, "0", "5", "") for v in VOCABULARY[feature] if v != skip]


def test_people_spellings_are_accepted_and_made_canonical() -> None:
    rows = _rows(("gender", "여성", "1", "2", "1"), ("Gender", "M", "1", "2", ""))
    assert parse_quota_rows(rows, COLUMNS) == (
        Quota("gender", "female", 1, 2, 1),
        Quota("gender", "male", 1, 2, None),
    )


def test_every_bad_line_is_named_at_once() -> None:
    rows = _rows(
        ("gender", "female", "1", "2", ""),  # line 2
        ("gender", "male", "3", "2", ""),  # line 3: min > max
        ("income", "high", "1", "2", ""),  # line 4: unknown feature
        ("district", "강남동", "1", "2", ""),  # line 5: unknown value
        ("age_band", "30-39", "one", "2", ""),  # line 6: not a number
        ("gender", "F", "1", "2", ""),  # line 7: repeats line 2
        ("district", "마포구", "1", "2", "9"),  # line 8: target outside band
    )
    with pytest.raises(PanelError) as info:
        parse_quota_rows(rows, COLUMNS, source="QUOTAS.csv")
    message = info.value.message
    assert info.value.code is Code.BAD_QUOTAS
    for expected in (
        "line 3: gender male (남성) has min 3 > max 2",
        "line 4: unknown feature 'income'",
        "line 5: unknown district '강남동'",
        "line 6: min 'one' is not a whole number",
        "line 7: gender female (여성) repeats line 2",
        "line 8: district 마포구 (Mapo-gu) target 9 is outside [1, 2]",
    ):
        assert expected in message


def test_a_feature_must_list_every_value() -> None:
    with pytest.raises(PanelError, match="feature district has no row for 중구"):
        parse_quota_rows(_rows(*_full("district", skip="중구")), COLUMNS)


def test_missing_columns_are_named() -> None:
    with pytest.raises(PanelError, match=r"missing column\(s\) min, max \(found: feature, value\)"):
        parse_quota_rows([], ["feature", "value"])


def test_a_non_utf8_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "QUOTAS.csv"
    path.write_bytes("feature,value,min,max\ndistrict,강남구,1,2\n".encode("cp949"))
    with pytest.raises(PanelError, match="is not utf-8-sig text") as info:
        read_quotas_csv(path)
    assert info.value.code is Code.BAD_QUOTAS
    # the same file reads when told its encoding (and is then judged on its content):
    with pytest.raises(PanelError, match="feature district has no row"):
        read_quotas_csv(path, encoding="cp949")


def test_all_features_are_known() -> None:
    assert {q.feature for q in quotas_for_size(10)} == set(FEATURES)
