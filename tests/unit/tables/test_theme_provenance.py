"""From a theme to a ballot item, pure (issue 15): the poll a set of themes becomes, the proposal a
theme becomes, and the provenance a ballot item keeps: card, table, theme, item (JSON and CSV)."""

from __future__ import annotations

import csv
import io

import pytest

from engine.errors import Code, HubError
from proposals import provenance, record, rules
from proposals.model import TEXT_CHARS, Person
from tables import theme_ballot
from tables.themes import CardRef, Theme
from tests.unit.proposals.test_rules import view

BUS = CardRef("t1-1", "1", "버스 배차 간격을 줄여 주세요")
BUS2 = CardRef("t2-2", "2", "마을버스 배차 간격이 너무 길다")
KIDS = CardRef("t1-3", "1", "어린이집 대기")
BOARD = {
    "t1": Theme("t1", "버스 배차", (BUS, BUS2), "th", 1),
    "t2": Theme("t2", "보육", (KIDS,), "th", 2),
    "t3": Theme("t3", "빈 주제", (), "th", 3),
}
TEAM = Person("th", "주제팀 한결")


def test_themes_become_a_single_choice_poll_in_the_order_given() -> None:
    defn = theme_ballot.poll_definition(BOARD, "themes-1", "먼저 다룰 주제는?", ["t2", "t1"])
    [q] = defn.questions
    assert (defn.kind, q.kind, q.options) == ("poll", "single", ("보육", "버스 배차"))


@pytest.mark.parametrize(
    ("ids", "code"),
    [(["t1", "t1"], Code.BAD_POLL), (["t1", "t3"], Code.EMPTY_THEME), (["t1", "t9"], Code.UNKNOWN_THEME)],
)
def test_a_poll_of_themes_refuses(ids: list[str], code: Code) -> None:
    with pytest.raises(HubError) as exc:
        theme_ballot.poll_definition(BOARD, "themes-1", "질문", ids)
    assert exc.value.code is code


def test_a_theme_made_a_proposal_carries_its_cards_and_tables_to_the_ballot_item() -> None:
    theme = BOARD["t1"]
    origin = theme_ballot.from_theme(theme)
    change = rules.submit(
        view(),
        TEAM,
        "themer",
        "transport",
        theme.title,
        theme_ballot.problem_text(theme),
        "10분 이내로",
        origin,
    )
    made = change.result
    assert made.theme == origin and made.authors == (TEAM,)
    assert "마을버스 배차 간격이 너무 길다 (2)" in made.problem
    # a panelist may not make one from a theme, nor a themer submit their own
    for role, with_theme in (("panelist", origin), ("themer", None)):
        with pytest.raises(HubError) as exc:
            rules.submit(view(), TEAM, role, "transport", "제목", "문제", "행동", with_theme)
        assert exc.value.code is Code.FORBIDDEN
    _defn, vote_origin = provenance.shortlist_vote("m-short", "교통", "m", "moderator", [made], [], top=1)
    [item] = vote_origin.items
    assert item.theme == origin and item.theme.tables() == ["1", "2"]
    out = record.provenance_json(vote_origin, [])
    assert out["items"][0]["theme"]["cards"][1] == {"id": "t2-2", "table": "2", "text": BUS2.text}
    [row] = list(csv.DictReader(io.StringIO(record.provenance_csv(vote_origin, []))))
    assert (row["theme"], row["theme_title"], row["theme_tables"]) == ("t1", "버스 배차", "1; 2")
    assert row["theme_cards"] == f"t1-1: {BUS.text}; t2-2: {BUS2.text}"


def test_a_long_theme_fits_the_proposals_limit() -> None:
    many = Theme("t9", "긴 주제", tuple(CardRef(f"t{i}-{i}", str(i), "가" * 190) for i in range(1, 40)))
    assert len(theme_ballot.problem_text(many)) == TEXT_CHARS
