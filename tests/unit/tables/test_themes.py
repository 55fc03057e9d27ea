"""The theme team's board (tables/themes.py), pure: each refusal's stable code, and the invariant
that every sequence of steps keeps each card on at most one theme (hypothesis)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import Code, HubError, ThemeError
from tables import themes
from tables.themes import CardRef, Theme

BUS = CardRef("k1", "t01", "버스 배차 간격을 줄여 주세요")
BUS2 = CardRef("k2", "t02", "마을버스 배차 간격이 너무 길다")
KIDS = CardRef("k3", "t01", "어린이집 대기")


def board(*ts: Theme) -> dict[str, Theme]:
    return {t.id: t for t in ts}


def code(exc: pytest.ExceptionInfo[HubError]) -> Code:
    return exc.value.code


def test_create_assign_and_move_a_card() -> None:
    b = themes.create({}, "t1", " 대중교통  배차 ", "s1", 1)
    assert b["t1"].title == "대중교통 배차"
    b = themes.create(b, "t2", "보육", "s1", 2)
    b = themes.assign(b, [BUS, KIDS], "t1")
    assert b["t1"].card_ids() == ["k1", "k3"]
    b = themes.assign(b, [KIDS], "t2")
    assert b["t1"].card_ids() == ["k1"] and b["t2"].card_ids() == ["k3"]
    assert themes.theme_of(b, "k3") == "t2"
    b = themes.assign(b, [KIDS], None)
    assert themes.theme_of(b, "k3") is None


def test_create_with_cards_takes_them_off_other_themes() -> None:
    b = themes.create({}, "t1", "교통", "s1", 1, [BUS, BUS2])
    b = themes.create(b, "t2", "버스", "s1", 2, [BUS2])
    assert b["t1"].card_ids() == ["k1"] and b["t2"].card_ids() == ["k2"]


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (lambda b: themes.create(b, "t9", "", "s", 1), Code.BAD_THEME),
        (lambda b: themes.create(b, "t9", "가" * 81, "s", 1), Code.BAD_THEME),
        (lambda b: themes.create(b, "t9", "교통", "s", 1), Code.DUPLICATE_THEME),
        (lambda b: themes.create(b, "t9", "TRANSIT", "s", 1), Code.DUPLICATE_THEME),
        (lambda b: themes.assign(b, [BUS], "t9"), Code.UNKNOWN_THEME),
        (
            lambda b: themes.assign(b, [CardRef(f"x{i}", "t", "a") for i in range(201)], "t1"),
            Code.TOO_MANY_CARDS_NAMED,
        ),
        (lambda b: themes.rename(b, "t1", "교통"), Code.BAD_THEME),
        (lambda b: themes.rename(b, "t1", "transit"), Code.DUPLICATE_THEME),
        (lambda b: themes.rename(b, "t9", "새"), Code.UNKNOWN_THEME),
        (lambda b: themes.merge(b, "t1", "t1"), Code.BAD_THEME_MERGE),
        (lambda b: themes.merge(b, "t1", "t9"), Code.UNKNOWN_THEME),
        (lambda b: themes.delete(b, "t9"), Code.UNKNOWN_THEME),
        (lambda b: themes.non_empty(b, "t2"), Code.EMPTY_THEME),
    ],
)
def test_refusals_have_stable_codes(step: Any, expected: Code) -> None:
    b = board(Theme("t1", "교통", (BUS,)), Theme("t2", "Transit"))
    with pytest.raises(ThemeError) as exc:
        step(b)
    assert code(exc) is expected


def test_too_many_themes() -> None:
    b = board(*(Theme(f"t{i}", f"주제 {i}") for i in range(themes.MAX_THEMES)))
    with pytest.raises(HubError) as exc:
        themes.create(b, "tx", "하나 더", "s", 1)
    assert code(exc) is Code.TOO_MANY_THEMES


def test_merge_joins_cards_and_delete_frees_them() -> None:
    b = board(Theme("t1", "교통", (BUS,)), Theme("t2", "버스", (BUS2,)))
    merged = themes.merge(b, "t2", "t1")
    assert list(merged) == ["t1"] and merged["t1"].card_ids() == ["k1", "k2"]
    gone = themes.delete(merged, "t1")
    assert gone == {} and themes.theme_of(gone, "k1") is None


def test_published_shows_themes_with_cards_in_order() -> None:
    b = board(
        Theme("t2", "보육", (KIDS,), at=2),
        Theme("t1", "교통", (BUS, BUS2), at=1),
        Theme("t3", "빈 주제", at=3),
    )
    shown = themes.published(b)
    assert [t["id"] for t in shown] == ["t1", "t2"]
    assert shown[0]["count"] == 2 and shown[0]["tables"] == ["t01", "t02"]
    assert shown[0]["cards"][0] == {"id": "k1", "table": "t01", "text": BUS.text}
    with pytest.raises(HubError) as exc:
        themes.published(board(Theme("t3", "빈 주제")))
    assert code(exc) is Code.NOTHING_TO_PUBLISH


def test_a_theme_round_trips_through_its_dict() -> None:
    t = Theme("t1", "교통", (BUS, KIDS), "s1", 5)
    assert themes.from_dict(themes.to_dict(t)) == t


# -- the invariant, over any sequence of steps ---------------------------------------------------
CARDS = [CardRef(f"k{i}", f"t{i % 3}", f"카드 {i}") for i in range(6)]
THEME_IDS = [f"t{i}" for i in range(4)]
STEPS = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(THEME_IDS), st.lists(st.sampled_from(CARDS), max_size=3)),
    st.tuples(
        st.just("assign"), st.sampled_from([*THEME_IDS, None]), st.lists(st.sampled_from(CARDS), max_size=4)
    ),
    st.tuples(st.just("merge"), st.sampled_from(THEME_IDS), st.sampled_from(THEME_IDS)),
    st.tuples(st.just("delete"), st.sampled_from(THEME_IDS), st.none()),
    st.tuples(st.just("rename"), st.sampled_from(THEME_IDS), st.sampled_from(["가", "나", "다"])),
)


def apply(b: dict[str, Theme], step: tuple[Any, ...]) -> dict[str, Theme]:
    kind, a, c = step
    if kind == "create":
        return themes.create(b, a, f"주제 {a}", "s", 1, c)
    if kind == "assign":
        return themes.assign(b, c, a)
    if kind == "merge":
        return themes.merge(b, a, c)
    if kind == "delete":
        return themes.delete(b, a)
    return themes.rename(b, a, c)


@settings(max_examples=300, deadline=None)
@given(st.lists(STEPS, max_size=25))
def test_every_card_is_on_at_most_one_theme(steps: list[tuple[Any, ...]]) -> None:
    b: dict[str, Theme] = {}
    for step in steps:
        before = b
        try:
            b = apply(b, step)
        except ThemeError:
            assert b is before  # a refused step changed nothing
        counts = Counter(c.id for t in b.values() for c in t.cards)
        assert all(n == 1 for n in counts.values()), counts
        assert all(t.id == tid for tid, t in b.items())
        titles = [t.title.casefold() for t in b.values()]
        assert len(titles) == len(set(titles))
