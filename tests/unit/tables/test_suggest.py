"""Suggested groupings (tables/suggest.py), pure: Korean cards that say the same thing share a group,
unrelated ones do not, and the answer depends on the cards only (not on their order)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tables.suggest import Card, Group, normalise, suggest

BUS_1 = Card("c1", "버스 배차 간격을 줄여 주세요")
BUS_2 = Card("c2", "마을버스 배차 간격이 너무 길다")
DAYCARE = Card("c3", "어린이집 대기")
DAYCARE_2 = Card("c4", "국공립 어린이집 대기 기간이 길어요")
BIKE = Card("c5", "자전거 도로를 늘려 주세요")


def group_of(groups: list[Group], card: str) -> tuple[str, ...] | None:
    return next((g.cards for g in groups if card in g.cards), None)


def test_bus_cards_are_grouped_together_and_daycare_elsewhere() -> None:
    groups = suggest([BUS_1, BUS_2, DAYCARE, DAYCARE_2, BIKE])
    assert group_of(groups, "c1") == ("c1", "c2")
    assert group_of(groups, "c3") == ("c3", "c4")
    assert group_of(groups, "c5") is None  # alone: no suggestion


def test_a_lone_unrelated_card_is_no_suggestion() -> None:
    groups = suggest([BUS_1, BUS_2, DAYCARE])
    assert groups == [Group(groups[0].title, ("c1", "c2"))]
    assert groups[0].title in {BUS_1.text, BUS_2.text}


def test_english_cards_group_too() -> None:
    groups = suggest(
        [Card("a", "Bus intervals are too long"), Card("b", "bus interval shorter please"), BUS_1]
    )
    assert group_of(groups, "a") == ("a", "b")


def test_largest_group_first() -> None:
    bus3 = Card("c9", "버스 배차 간격 단축")
    groups = suggest([DAYCARE, DAYCARE_2, BUS_1, BUS_2, bus3])
    assert groups[0].cards == ("c1", "c2", "c9")


def test_nothing_to_group() -> None:
    assert suggest([]) == []
    assert suggest([BUS_1]) == []
    assert suggest([Card("a", "!"), Card("b", "?")]) == []


def test_a_repeated_id_counts_once() -> None:
    assert suggest([BUS_1, BUS_1]) == []


def test_normalise_folds_width_and_case() -> None:
    assert normalise("  ＢＵＳ   버스 ") == "bus 버스"


TEXTS = st.sampled_from(
    [
        BUS_1.text,
        BUS_2.text,
        DAYCARE.text,
        DAYCARE_2.text,
        BIKE.text,
        "버스 정류장 의자",
        "어린이집 교사 처우",
        "",
    ]
)


@settings(max_examples=40, deadline=None)
@given(st.lists(TEXTS, max_size=12), st.randoms(use_true_random=False))
def test_suggestions_depend_on_the_cards_not_their_order(texts: list[str], rnd: object) -> None:
    cards = [Card(f"k{i:02d}", t) for i, t in enumerate(texts)]
    shuffled = list(cards)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    first = suggest(cards)
    assert suggest(shuffled) == first
    seen = [c for g in first for c in g.cards]
    assert len(seen) == len(set(seen))  # a card in at most one suggestion
    assert all(len(g.cards) >= 2 for g in first)
