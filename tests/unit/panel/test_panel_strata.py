"""The vocabulary: 25 districts, two genders, six age bands, and what messy input maps to."""

from __future__ import annotations

import pytest

from panel.strata import (
    AGE_BANDS,
    DISTRICT_EN,
    DISTRICT_NAMES,
    DISTRICTS,
    FEATURES,
    VOCABULARY,
    label,
    parse_age_band,
    parse_district,
    parse_gender,
    parse_value,
)


def test_seoul_has_25_distinct_districts_with_korean_and_english_names() -> None:
    assert len(DISTRICTS) == 25
    assert len(set(DISTRICT_NAMES)) == 25
    assert len(set(DISTRICT_EN.values())) == 25
    assert all(d.ko.endswith("구") and d.en.endswith("-gu") for d in DISTRICTS)


def test_every_feature_has_a_vocabulary() -> None:
    assert set(VOCABULARY) == set(FEATURES)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("강남구", "강남구"),
        ("강남", "강남구"),
        ("Gangnam-gu", "강남구"),
        (" gangnam gu ", "강남구"),
        ("GANGNAM", "강남구"),
        ("중구", "중구"),
        ("Jung-gu", "중구"),
        ("Jungnang-gu", "중랑구"),
        ("동대문", "동대문구"),
    ],
)
def test_district_spellings_map_to_the_korean_name(raw: str, expected: str) -> None:
    assert parse_district(raw) == expected


@pytest.mark.parametrize("raw", ["강남동", "Busan", "", "구", "Gangnam-dong"])
def test_unknown_district_is_refused_with_its_value(raw: str) -> None:
    with pytest.raises(ValueError, match="unknown district"):
        parse_district(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("여성", "female"),
        ("여", "female"),
        ("F", "female"),
        ("Female", "female"),
        ("남성", "male"),
        ("m", "male"),
    ],
)
def test_gender_spellings(raw: str, expected: str) -> None:
    assert parse_gender(raw) == expected


def test_a_third_gender_answer_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match="unknown gender 'other'"):
        parse_gender("other")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("18-29", "18-29"),
        ("30~39", "30-39"),
        ("40–49", "40-49"),
        ("70+", "70+"),
        ("70세 이상", "70+"),
        ("18", "18-29"),
        ("29", "18-29"),
        ("30", "30-39"),
        ("69", "60-69"),
        ("94", "70+"),
    ],
)
def test_age_bands_and_ages(raw: str, expected: str) -> None:
    assert parse_age_band(raw) == expected


def test_minors_are_not_eligible() -> None:
    with pytest.raises(ValueError, match="under 18"):
        parse_age_band("17")


@pytest.mark.parametrize("raw", ["20-30", "teen", "", "18-19"])
def test_unknown_age_band(raw: str) -> None:
    with pytest.raises(ValueError, match="unknown age band"):
        parse_age_band(raw)


def test_parse_value_dispatches_and_refuses_unknown_features() -> None:
    assert parse_value("district", "mapo") == "마포구"
    with pytest.raises(ValueError, match="unknown feature"):
        parse_value("income", "high")


def test_labels_are_bilingual() -> None:
    assert label("district", "강남구") == "district 강남구 (Gangnam-gu)"
    assert label("gender", "female") == "gender female (여성)"
    assert label("age_band", AGE_BANDS[0]) == "age_band 18-29"
