"""The groups file (tables/groups.py): a group per row, rows of one name add up, mistakes named by
line with ``bad_groups``."""

from __future__ import annotations

import pytest

from engine.errors import Code, TableError
from tables.groups import check_known, parse_groups


def test_rows_headers_comments_and_repeated_names() -> None:
    text = "group,members\n# interpreters\nsign-1,P2,P1,I1\n\ncarer,P7, C1 \nsign-1,P3\n"
    assert parse_groups(text) == {"carer": ("C1", "P7"), "sign-1": ("I1", "P1", "P2", "P3")}
    assert parse_groups("") == {}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("sign\n", "line 1"),
        (",P1,P2\n", "line 1"),
        ("a,P1,P2\nb,P2,P3\n", "P2 is in two groups"),
    ],
)
def test_mistakes_are_refused_with_their_line(text: str, says: str) -> None:
    with pytest.raises(TableError) as e:
        parse_groups(text)
    assert e.value.code is Code.BAD_GROUPS and says in e.value.message


def test_an_id_off_the_panel_is_refused() -> None:
    check_known({"a": ("P1", "P2")}, ["P1", "P2", "P3"])
    with pytest.raises(TableError) as e:
        check_known({"a": ("P1", "TYPO")}, ["P1"])
    assert e.value.code is Code.BAD_GROUPS and "TYPO" in e.value.message
