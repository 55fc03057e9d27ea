"""The live tables' pure rules (issue 15): steps, who may post and follow, who has not spoken,
which tables are behind, a card's text, the overview record's life."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import Code, HubError
from engine.roles import Role
from tables import cards, rules
from tables.rules import Record, Step

TITLES = st.text(min_size=1, max_size=90)


def test_steps_count_from_one_and_end_where_every_table_ends() -> None:
    first = rules.next_step(None, " 문제 나누기 ", 600, 1_000, tables=300)
    assert first == Step(n=1, title="문제 나누기", seconds=600, starts_at=1_000, ends_at=601_000, tables=300)
    assert rules.next_step(first, "아이디어", 30, 5_000).n == 2


@pytest.mark.parametrize(
    ("title", "seconds"), [("", 600), ("\u200b", 600), ("가" * 81, 600), ("단계", 29), ("단계", 10_801)]
)
def test_a_bad_step_is_refused_with_one_code(title: str, seconds: int) -> None:
    with pytest.raises(HubError) as exc:
        rules.next_step(None, title, seconds, 0)
    assert exc.value.code is Code.BAD_STEP


@given(TITLES, st.integers(-10, 20_000))
def test_a_step_is_made_or_refused_bad_step_nothing_else(title: str, seconds: int) -> None:
    try:
        step = rules.next_step(None, title, seconds, 0)
    except HubError as exc:
        assert exc.code is Code.BAD_STEP
    else:
        assert 1 <= len(step.title) <= rules.STEP_TITLE_CHARS and step.ends_at == seconds * 1000


@pytest.mark.parametrize(
    ("role", "seated", "facilitated", "table", "may"),
    [
        (Role.PANELIST, 3, None, 3, True),
        (Role.PANELIST, 3, None, 4, False),
        (Role.PANELIST, None, None, 1, False),  # not seated: no table
        (Role.FACILITATOR, None, 2, 2, True),
        (Role.FACILITATOR, None, 2, 3, False),
        (Role.FACILITATOR, None, None, 1, False),
        (Role.HOST, None, None, 7, True),
        (Role.MODERATOR, None, None, 7, True),
    ],
)
def test_who_follows_which_table(
    role: Role, seated: int | None, facilitated: int | None, table: int, may: bool
) -> None:
    assert rules.may_follow(role, seated, facilitated, table) is may


def test_who_posts_for_a_table() -> None:
    rules.check_poster(Role.FACILITATOR, 2, 2)
    rules.check_poster(Role.HOST, None, 9)  # a host stands in anywhere
    with pytest.raises(HubError) as exc:
        rules.check_poster(Role.FACILITATOR, 2, 3)
    assert exc.value.code is Code.NOT_THE_FACILITATOR
    with pytest.raises(HubError) as exc:
        rules.check_poster(Role.PANELIST, None, 3)
    assert exc.value.code is Code.FORBIDDEN


@given(st.lists(st.sampled_from("abcdef"), unique=True), st.sets(st.sampled_from("abcdefgh")))
def test_not_spoken_keeps_the_members_order_and_only_the_silent(members: list[str], said: set[str]) -> None:
    out = rules.not_spoken(members, said)
    assert out == [m for m in members if m not in said]


def test_behind_past_half_the_step_without_a_card_and_quiet_after_three_minutes() -> None:
    step = Step(n=2, title="x", seconds=600, starts_at=0, ends_at=600_000)
    assert rules.behind(None, 0, 0, 0, 10) == []
    assert rules.behind(step, 2, 0, 100_000, 200_000) == []  # before half: no card yet is fine
    assert rules.behind(step, 2, 0, 200_000, 300_000) == ["cards"]
    assert rules.behind(step, 2, 1, 200_000, 300_000) == []
    assert rules.behind(step, 1, 5, 290_000, 300_000) == ["cards", "quiet"]  # an older step's counts are none
    assert rules.behind(step, 2, 3, 10_000, 10_000 + rules.QUIET_MS) == ["quiet"]


@given(st.text(max_size=260))
def test_a_cards_text_is_the_chats_rule_at_200_characters(text: str) -> None:
    try:
        clean = cards.clean_card(text)
    except HubError as exc:
        assert exc.code in (Code.EMPTY_MESSAGE, Code.MESSAGE_TOO_LONG)
    else:
        assert 1 <= len(clean) <= cards.MAX_CHARS and clean == clean.strip()


EVENTS = st.tuples(
    st.sampled_from(rules.OVERVIEW_EVENTS), st.integers(0, 4), st.sampled_from(["", "도움", "소란"])
)


@given(st.lists(EVENTS, max_size=40))
def test_a_tables_record_counts_the_latest_step_only(events: list[tuple[str, int, str]]) -> None:
    rec = Record(table=1)
    latest = 0
    counted = {"card": 0, "said": 0}
    flag = ""
    for i, (what, step, text) in enumerate(events):
        rec = rules.next_record(rec, what, step, text, "f1", i)
        if what in counted:
            if step > latest:
                latest, counted = step, {"card": 0, "said": 0}
            counted[what] += 1
        else:
            flag = text if what == "flag" else ""
        assert (rec.step, rec.cards, rec.said, rec.flag) == (latest, counted["card"], counted["said"], flag)
