"""Applicants: the residents who applied, read from APPLICANTS.csv and checked before any draw.

APPLICANTS.csv has the columns ``applicant_id, name, gender, age_band, district``, optionally
``email`` and ``phone``, and any others the organisers keep (they are carried through to the
outputs untouched). Header names are matched case-insensitively.

``parse_applicants`` finds every problem in one pass and raises one ``HubError(BAD_ROSTER)``
naming each line: a clerk fixes the file once instead of once per error. Duplicates are a repeated
``applicant_id``, or the same name with the same email or phone under two ids (one person who
applied twice would otherwise get two tickets).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from engine.errors import Code, HubError
from panel.csvio import RawRow, read_csv, write_csv
from panel.strata import FEATURES, Strata, parse_value

REQUIRED_COLUMNS: Final[tuple[str, ...]] = ("applicant_id", "name", "gender", "age_band", "district")
OPTIONAL_COLUMNS: Final[tuple[str, ...]] = ("email", "phone")
APPLICANT_COLUMNS: Final[tuple[str, ...]] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
MAX_LISTED_PROBLEMS: Final = 30


@dataclass(frozen=True, slots=True)
class Applicant:
    """One applicant with canonical strata values (see ``panel.strata``).

    ``extra`` keeps the file's other columns in their order; ``line`` is the line in the source
    file (header = 1), 0 for applicants not read from a file, so errors can point at the row.
    """

    applicant_id: str
    name: str
    gender: str
    age_band: str
    district: str
    email: str = ""
    phone: str = ""
    extra: tuple[tuple[str, str], ...] = ()
    line: int = 0

    @property
    def strata(self) -> Strata:
        return Strata(self.gender, self.age_band, self.district)

    def value(self, feature: str) -> str:
        """This applicant's value of one of ``strata.FEATURES``."""
        if feature == "gender":
            return self.gender
        if feature == "age_band":
            return self.age_band
        if feature == "district":
            return self.district
        raise KeyError(feature)

    def row(self) -> dict[str, str]:
        """The applicant as a CSV row: the standard columns, canonical values, then ``extra``."""
        out = {
            "applicant_id": self.applicant_id,
            "name": self.name,
            "gender": self.gender,
            "age_band": self.age_band,
            "district": self.district,
            "email": self.email,
            "phone": self.phone,
        }
        out.update(self.extra)
        return out


def _where(a: Applicant, index: int) -> str:
    # The file line when read from a file, else the position in the list given.
    return f"line {a.line}" if a.line else f"applicant #{index + 1}"


def _listing(source: str, problems: Sequence[str]) -> str:
    shown = list(problems[:MAX_LISTED_PROBLEMS])
    if len(problems) > MAX_LISTED_PROBLEMS:
        shown.append(f"... and {len(problems) - MAX_LISTED_PROBLEMS} more")
    noun = "problem" if len(problems) == 1 else "problems"
    return f"{source}: {len(problems)} {noun}:\n  " + "\n  ".join(shown)


def _contact_key(text: str, digits_only: bool) -> str:
    return re.sub(r"\D", "", text) if digits_only else text.strip().casefold()


def duplicate_problems(applicants: Iterable[Applicant]) -> list[str]:
    """Sentences naming each repeated applicant id, and each same-name-and-contact pair under two ids."""
    problems: list[str] = []
    first_id: dict[str, tuple[int, Applicant]] = {}
    first_contact: dict[tuple[str, str, str], tuple[int, Applicant]] = {}
    for index, a in enumerate(applicants):
        earlier_index, earlier = first_id.setdefault(a.applicant_id, (index, a))
        if earlier_index != index:
            problems.append(
                f"{_where(a, index)}: applicant_id {a.applicant_id!r} repeats {_where(earlier, earlier_index)}"
            )
            continue
        for kind, raw, digits in (("email", a.email, False), ("phone", a.phone, True)):
            key = _contact_key(raw, digits)
            if not key:
                continue
            seen_index, seen = first_contact.setdefault((kind, a.name.strip().casefold(), key), (index, a))
            if seen_index != index:
                problems.append(
                    f"{_where(a, index)}: {a.applicant_id!r} has the same name and {kind} as "
                    f"{seen.applicant_id!r} ({_where(seen, seen_index)}): the same person applied twice?"
                )
                break
    return problems


def validate_applicants(applicants: Sequence[Applicant], *, source: str = "applicants") -> None:
    """Check applicants built in code (not parsed): canonical values, ids present, no duplicates.

    Raises ``HubError(BAD_ROSTER)`` naming every problem. ``parse_applicants`` output always
    passes; this guards the lottery against hand-built lists.
    """
    problems: list[str] = []
    for index, a in enumerate(applicants):
        where = _where(a, index)
        if not a.applicant_id:
            problems.append(f"{where}: empty applicant_id")
        for feature in FEATURES:
            try:
                canonical = parse_value(feature, a.value(feature))
            except ValueError as exc:
                problems.append(f"{where} ({a.applicant_id!r}): {exc}")
                continue
            if canonical != a.value(feature):
                problems.append(
                    f"{where} ({a.applicant_id!r}): {feature} {a.value(feature)!r} is not canonical"
                )
    problems += duplicate_problems(applicants)
    if problems:
        raise HubError(Code.BAD_ROSTER, _listing(source, problems))


def parse_applicants(
    rows: Iterable[RawRow],
    columns: Sequence[str],
    *,
    source: str = "APPLICANTS.csv",
) -> list[Applicant]:
    """Validate APPLICANTS.csv rows (as ``csv.DictReader`` gives them) into ``Applicant``s, in file order.

    ``columns`` is the header. Raises ``HubError(BAD_ROSTER)`` naming every problem with its line
    number (header = line 1): missing or repeated columns, empty required cells, unknown genders,
    age bands or districts, rows longer or shorter than the header, and duplicate applicants.
    """
    header = [c.strip().casefold() for c in columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    repeated = sorted({c for c in header if header.count(c) > 1})
    if missing or repeated:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if repeated:
            parts.append(f"repeated column(s) {', '.join(repeated)}")
        found = ", ".join(columns) or "nothing"
        raise HubError(Code.BAD_ROSTER, f"{source}: {'; '.join(parts)} (found: {found})")
    known = set(APPLICANT_COLUMNS)
    extra_columns = [(c, c.strip()) for c in columns if c.strip().casefold() not in known]
    problems: list[str] = []
    applicants: list[Applicant] = []
    for line, raw in enumerate(rows, start=2):
        if None in raw:
            problems.append(f"line {line}: more cells than the header has columns")
        if any(v is None for k, v in raw.items() if k is not None):
            problems.append(f"line {line}: fewer cells than the header has columns")
        cells = {str(k).strip().casefold(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(cells.values()):
            continue  # a blank line, as spreadsheets leave at the end
        row_problems: list[str] = []
        empty = [c for c in REQUIRED_COLUMNS if not cells.get(c)]
        if empty:
            row_problems.append(f"line {line}: empty {', '.join(empty)}")
        values: dict[str, str] = {}
        for feature in FEATURES:
            if not cells.get(feature):
                continue
            try:
                values[feature] = parse_value(feature, cells[feature])
            except ValueError as exc:
                row_problems.append(f"line {line}: {exc}")
        if row_problems:
            problems += row_problems
            continue
        applicants.append(
            Applicant(
                applicant_id=cells["applicant_id"],
                name=cells["name"],
                gender=values["gender"],
                age_band=values["age_band"],
                district=values["district"],
                email=cells.get("email", ""),
                phone=cells.get("phone", ""),
                extra=tuple((name, (raw.get(orig) or "").strip()) for orig, name in extra_columns),
                line=line,
            )
        )
    problems += duplicate_problems(applicants)
    if problems:
        raise HubError(Code.BAD_ROSTER, _listing(source, problems))
    if not applicants:
        raise HubError(Code.BAD_ROSTER, f"{source}: no applicants")
    return applicants


def read_applicants_csv(path: str | os.PathLike[str], *, encoding: str = "utf-8-sig") -> list[Applicant]:
    """Read and validate APPLICANTS.csv (see ``parse_applicants``); nothing is written."""
    table = read_csv(path, code=Code.BAD_ROSTER, encoding=encoding)
    return parse_applicants(table.rows, table.columns, source=os.fspath(path))


def applicant_columns(applicants: Iterable[Applicant], leading: Sequence[str] = ()) -> list[str]:
    """The header for writing ``applicants``: ``leading``, the standard columns, then every extra column."""
    out = [*leading, *APPLICANT_COLUMNS]
    for a in applicants:
        for name, _ in a.extra:
            if name not in out:
                out.append(name)
    return out


def write_applicants_csv(
    path: str | os.PathLike[str], applicants: Sequence[Applicant], *, encoding: str = "utf-8"
) -> None:
    """Write APPLICANTS.csv (e.g. a synthetic pool for the demo) atomically, in the given order."""
    write_csv(Path(path), applicant_columns(applicants), [a.row() for a in applicants], encoding=encoding)
