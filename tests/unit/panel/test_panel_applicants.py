"""APPLICANTS.csv: what is accepted, and that every bad row is named in one error."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from engine.errors import Code, PanelError
from panel.applicants import (
    Applicant,
    parse_applicants,
    read_applicants_csv,
    validate_applicants,
    write_applicants_csv,
)
from panel.csvio import RawRow
from panel.population import seoul_population
from panel.synthetic import synthetic_pool

HEADER = ["applicant_id", "name", "gender", "age_band", "district", "email", "phone"]


def rows(*cells: tuple[str, ...]) -> list[dict[str, str]]:
    return [dict(zip(HEADER, c, strict=True)) for c in cells]


GOOD = ("A1", "김민서", "여성", "34", "Gangnam-gu", "a1@example.org", "010-0000-0001")


def bad_roster(rows_: Sequence[RawRow], header: list[str] = HEADER) -> str:
    with pytest.raises(PanelError) as info:
        parse_applicants(rows_, header)
    assert info.value.code is Code.BAD_ROSTER
    return info.value.message


def test_a_good_row_comes_back_canonical_with_its_line() -> None:
    [a] = parse_applicants(rows(GOOD), HEADER)
    assert a == Applicant(
        "A1", "김민서", "female", "30-39", "강남구", "a1@example.org", "010-0000-0001", line=2
    )


def test_missing_columns_are_named() -> None:
    message = bad_roster([], ["applicant_id", "name", "gender"])
    assert "missing column(s) age_band, district" in message


def test_headers_match_case_insensitively_and_extra_columns_are_kept() -> None:
    header = ["Applicant_ID", "Name", "Gender", "Age_Band", "District", "consent"]
    [a] = parse_applicants([dict(zip(header, ["A1", "n", "m", "70+", "종로구", "yes"], strict=True))], header)
    assert a.extra == (("consent", "yes"),)
    assert a.row()["consent"] == "yes"


def test_every_bad_row_is_named() -> None:
    message = bad_roster(
        rows(
            GOOD,  # line 2
            ("A2", "이서연", "female", "30-39", "Busan", "", ""),  # line 3
            ("A3", "박지호", "x", "30-39", "마포구", "", ""),  # line 4
            ("A4", "최유진", "female", "15", "마포구", "", ""),  # line 5
            ("A5", "", "female", "30-39", "마포구", "", ""),  # line 6
            ("A1", "정다은", "female", "30-39", "마포구", "", ""),  # line 7
        )
    )
    assert "5 problems" in message
    for expected in (
        "line 3: unknown district 'Busan'",
        "line 4: unknown gender 'x'",
        "line 5: age 15 is under 18",
        "line 6: empty name",
        "line 7: applicant_id 'A1' repeats line 2",
    ):
        assert expected in message


def test_the_same_person_under_two_ids_is_a_duplicate() -> None:
    twin = ("B7", "김민서", "F", "30-39", "강남구", "A1@Example.org ", "")
    message = bad_roster(rows(GOOD, twin))
    assert "line 3: 'B7' has the same name and email as 'A1' (line 2)" in message
    phone_twin = ("B8", "김민서", "F", "30-39", "강남구", "", "01000000001")
    assert "same name and phone" in bad_roster(rows(GOOD, phone_twin))


def test_short_and_long_rows_are_named() -> None:
    long_row: dict[str | None, str | None] = {**dict(zip(HEADER, GOOD, strict=True)), None: "surplus"}
    short_row: dict[str | None, str | None] = {**dict(zip(HEADER, GOOD, strict=True)), "phone": None}
    short_row["applicant_id"] = "A2"
    message = bad_roster([long_row, short_row])
    assert "line 2: more cells than the header" in message
    assert "line 3: fewer cells than the header" in message


def test_blank_lines_are_skipped_but_an_empty_file_is_an_error() -> None:
    blank = ("", "", "", "", "", "", "")
    assert len(parse_applicants(rows(GOOD, blank), HEADER)) == 1
    assert "no applicants" in bad_roster(rows(blank))


def test_long_lists_are_cut_but_counted() -> None:
    many = rows(*[(f"A{i}", "n", "f", "30-39", "nowhere", "", "") for i in range(50)])
    message = bad_roster(many)
    assert "50 problems" in message and "... and 20 more" in message


def test_read_from_a_file_with_excel_bom(tmp_path: Path) -> None:
    path = tmp_path / "APPLICANTS.csv"
    path.write_text(",".join(HEADER) + "\n" + ",".join(GOOD) + "\n", encoding="utf-8-sig")
    [a] = read_applicants_csv(path)
    assert a.applicant_id == "A1"


def test_a_cp949_file_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "APPLICANTS.csv"
    path.write_bytes((",".join(HEADER) + "\n" + ",".join(GOOD) + "\n").encode("cp949"))
    with pytest.raises(PanelError, match="not utf-8-sig text"):
        read_applicants_csv(path)
    assert read_applicants_csv(path, encoding="cp949")[0].name == "김민서"


def test_hand_built_applicants_are_checked_too() -> None:
    good = Applicant("A1", "n", "female", "30-39", "강남구")
    with pytest.raises(PanelError) as info:
        validate_applicants([good, Applicant("A2", "n", "여성", "30-39", "Nowhere"), good])
    assert "unknown district 'Nowhere'" in info.value.message
    assert "gender '여성' is not canonical" in info.value.message
    assert "applicant_id 'A1' repeats" in info.value.message


def test_applicants_round_trip_through_csv(tmp_path: Path) -> None:
    pool = [dataclasses.replace(a, extra=(("consent", "yes"),)) for a in synthetic_pool(50, 1)]
    write_applicants_csv(tmp_path / "APPLICANTS.csv", pool)
    back = read_applicants_csv(tmp_path / "APPLICANTS.csv")
    assert [dataclasses.replace(a, line=0) for a in back] == pool


def test_synthetic_pool_is_deterministic_unique_and_follows_the_city() -> None:
    pool = synthetic_pool(20_000, 7)
    assert pool == synthetic_pool(20_000, 7)
    assert pool != synthetic_pool(20_000, 8)
    assert len({a.applicant_id for a in pool}) == len(pool)
    validate_applicants(pool)
    pop = seoul_population()
    for feature in ("gender", "age_band", "district"):
        drawn = Counter(a.value(feature) for a in pool)
        for value, count in pop.marginal(feature).items():
            expected = len(pool) * count / pop.total
            assert abs(drawn[value] - expected) < 5 * expected**0.5 + 1  # within 5 standard deviations
