"""The lottery's strata: Seoul's 25 districts (자치구), the gender and age-band vocabularies.

Every other panel module speaks these canonical values, so that an applicant file, a quota file and
the shipped population counts can be compared by plain string equality:

- ``gender``: ``female`` | ``male`` (the resident register and the population data are binary);
- ``age_band``: ``18-29`` | ``30-39`` | ``40-49`` | ``50-59`` | ``60-69`` | ``70+`` (18 is Korea's
  voting age since 2020; the source's 18-19 and 20-29 are merged into 18-29);
- ``district``: the Korean name, e.g. ``강남구`` (``District.en`` has the romanisation).

Input written by people is messy (``여성``, ``F``, ``Gangnam-gu``, ``강남``, ``70세 이상``, ``34``): the
``parse_*`` functions map what they recognise to the canonical value and raise ``ValueError`` with a
sentence a clerk can act on otherwise. They never guess between two candidates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, NamedTuple


@dataclass(frozen=True, slots=True)
class District:
    """One 자치구: ``ko`` is the canonical value everywhere, ``en`` the official romanisation."""

    ko: str
    en: str


# In the order of the MOIS export (the administrative code order), which is also the report order.
DISTRICTS: Final[tuple[District, ...]] = (
    District("종로구", "Jongno-gu"),
    District("중구", "Jung-gu"),
    District("용산구", "Yongsan-gu"),
    District("성동구", "Seongdong-gu"),
    District("광진구", "Gwangjin-gu"),
    District("동대문구", "Dongdaemun-gu"),
    District("중랑구", "Jungnang-gu"),
    District("성북구", "Seongbuk-gu"),
    District("강북구", "Gangbuk-gu"),
    District("도봉구", "Dobong-gu"),
    District("노원구", "Nowon-gu"),
    District("은평구", "Eunpyeong-gu"),
    District("서대문구", "Seodaemun-gu"),
    District("마포구", "Mapo-gu"),
    District("양천구", "Yangcheon-gu"),
    District("강서구", "Gangseo-gu"),
    District("구로구", "Guro-gu"),
    District("금천구", "Geumcheon-gu"),
    District("영등포구", "Yeongdeungpo-gu"),
    District("동작구", "Dongjak-gu"),
    District("관악구", "Gwanak-gu"),
    District("서초구", "Seocho-gu"),
    District("강남구", "Gangnam-gu"),
    District("송파구", "Songpa-gu"),
    District("강동구", "Gangdong-gu"),
)
DISTRICT_NAMES: Final[tuple[str, ...]] = tuple(d.ko for d in DISTRICTS)
DISTRICT_EN: Final[dict[str, str]] = {d.ko: d.en for d in DISTRICTS}

GENDERS: Final[tuple[str, ...]] = ("female", "male")
GENDER_KO: Final[dict[str, str]] = {"female": "여성", "male": "남성"}

MIN_AGE: Final = 18
AGE_BANDS: Final[tuple[str, ...]] = ("18-29", "30-39", "40-49", "50-59", "60-69", "70+")
# Inclusive lower and upper age of each band; None means open-ended.
AGE_BAND_RANGES: Final[dict[str, tuple[int, int | None]]] = {
    "18-29": (18, 29),
    "30-39": (30, 39),
    "40-49": (40, 49),
    "50-59": (50, 59),
    "60-69": (60, 69),
    "70+": (70, None),
}

# The stratification features, in report order. Applicant columns and quota ``feature`` values use
# these names.
FEATURES: Final[tuple[str, ...]] = ("gender", "age_band", "district")
VOCABULARY: Final[dict[str, tuple[str, ...]]] = {
    "gender": GENDERS,
    "age_band": AGE_BANDS,
    "district": DISTRICT_NAMES,
}


class Strata(NamedTuple):
    """One applicant's cell: what the quotas count."""

    gender: str
    age_band: str
    district: str


def _key(raw: str) -> str:
    """Case-, space- and dash-insensitive lookup key: ``" Gangnam Gu "`` and ``gangnam-gu`` agree."""
    return re.sub(r"[\s\-_.]", "", raw).casefold()


_GENDER_ALIASES: Final[dict[str, str]] = {
    _key(alias): canonical
    for canonical, aliases in {
        "female": ("female", "f", "woman", "w", "여", "여성", "여자"),
        "male": ("male", "m", "man", "남", "남성", "남자"),
    }.items()
    for alias in aliases
}

_DISTRICT_ALIASES: Final[dict[str, str]] = {}
for _d in DISTRICTS:
    for _alias in (_d.ko, _d.ko.removesuffix("구"), _d.en, _d.en.removesuffix("-gu")):
        _DISTRICT_ALIASES[_key(_alias)] = _d.ko
del _d, _alias


def parse_gender(raw: str) -> str:
    """Return ``female`` or ``male`` for the common Korean and English spellings.

    Raises ``ValueError`` for anything else: the quotas only know these two values, so a third
    answer must be settled by the organisers before the draw, not silently dropped here.
    """
    found = _GENDER_ALIASES.get(_key(raw))
    if found is None:
        raise ValueError(f"unknown gender {raw!r} (expected female/male, 여성/남성, F/M)")
    return found


def parse_district(raw: str) -> str:
    """Return the canonical Korean district name for ``강남구``, ``강남``, ``Gangnam-gu`` or ``gangnam``.

    Raises ``ValueError`` naming the input when it is not one of the 25 자치구 (a typo, another city,
    or a 동 instead of a 구).
    """
    found = _DISTRICT_ALIASES.get(_key(raw))
    if found is None:
        raise ValueError(
            f"unknown district {raw!r} (expected one of Seoul's 25 자치구, e.g. 강남구 or Gangnam-gu)"
        )
    return found


_AGE_BAND_KEYS: Final[dict[str, str]] = {band: band for band in AGE_BANDS}


def parse_age_band(raw: str) -> str:
    """Return the canonical age band for a band (``30-39``, ``30~39``, ``70세 이상``) or an age (``34``).

    An age below 18 raises ``ValueError``: such an applicant is not eligible, which is a decision for
    the organisers to see, not a row to drop quietly.
    """
    text = raw.strip().replace("–", "-").replace("—", "-").replace("~", "-")
    text = re.sub(r"\s+", "", text).replace("세", "").replace("이상", "+").replace("over", "+")
    if text.isdigit():
        age = int(text)
        if age < MIN_AGE:
            raise ValueError(f"age {age} is under {MIN_AGE}: not eligible")
        for band, (low, high) in AGE_BAND_RANGES.items():
            if age >= low and (high is None or age <= high):
                return band
    found = _AGE_BAND_KEYS.get(text)
    if found is None:
        raise ValueError(
            f"unknown age band {raw!r} (expected one of {', '.join(AGE_BANDS)}, or an age in years)"
        )
    return found


_PARSERS: Final = {"gender": parse_gender, "age_band": parse_age_band, "district": parse_district}


def parse_value(feature: str, raw: str) -> str:
    """Parse ``raw`` as a value of ``feature`` (one of ``FEATURES``); ``ValueError`` if either is unknown."""
    parser = _PARSERS.get(feature)
    if parser is None:
        raise ValueError(f"unknown feature {feature!r} (expected one of {', '.join(FEATURES)})")
    return parser(raw)


def label(feature: str, value: str) -> str:
    """A bilingual label for reports: ``district 강남구 (Gangnam-gu)``, ``gender female (여성)``."""
    if feature == "district":
        return f"district {value} ({DISTRICT_EN.get(value, '?')})"
    if feature == "gender":
        return f"gender {value} ({GENDER_KO.get(value, '?')})"
    return f"{feature} {value}"
