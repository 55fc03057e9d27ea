"""Named groups kept at one table (a sign-language user with their interpreter, a carer with the
person they assist), read from a small CSV file (pure).

A row is a group's name and then its members' ids: ``sign1,P0001,P0002,I0001``. Several rows with
one name add to that group; blank lines and lines starting with ``#`` are skipped, and a first row
whose first cell is ``group`` is a header. ``BAD_GROUPS`` names the line of any mistake.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from engine.errors import Code, HubError


def parse_groups(text: str) -> dict[str, tuple[str, ...]]:
    groups: dict[str, list[str]] = {}
    for n, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if n == 1 and cells[0].lower() == "group":
            continue
        name, members = cells[0], [c for c in cells[1:] if c]
        if not name or not members:
            raise HubError(Code.BAD_GROUPS, f"line {n}: a group's name, then its members' ids")
        groups.setdefault(name, []).extend(members)
    owner: dict[str, str] = {}
    for name, members in groups.items():
        for m in members:
            if owner.get(m, name) != name:
                raise HubError(Code.BAD_GROUPS, f"{m} is in two groups: {owner[m]} and {name}")
            owner[m] = name
    return {name: tuple(sorted(set(ms))) for name, ms in sorted(groups.items())}


def check_known(groups: dict[str, tuple[str, ...]], known: Iterable[str]) -> None:
    """``BAD_GROUPS`` if a group names someone who is not on the meeting's panel (a typo)."""
    ids = set(known)
    unknown = sorted({m for ms in groups.values() for m in ms} - ids)
    if unknown:
        raise HubError(Code.BAD_GROUPS, f"not on the meeting's panel: {', '.join(unknown[:10])}")
