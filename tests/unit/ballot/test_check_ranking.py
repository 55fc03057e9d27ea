"""``rules.check_ranking`` (the cast path's check) gives ``validate_ranking``'s verdict on any
ranking: the same pass, or the same error code and message."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ballot.rules import check_ranking, validate_ranking
from engine.errors import VoteError
from tests.unit.ballot.test_rules import make_defn

RULES = st.sampled_from(
    [
        {"kind": "rank_all"},
        {"kind": "rank_all", "minimum": 1},
        {"kind": "top_k", "k": 2},
        {"kind": "top_k", "k": 2, "minimum": 1},
    ]
)
ENTRY = st.one_of(
    st.sampled_from([f"p{i}" for i in range(7)]),  # known to a 5-proposal vote, and two that are not
    st.text(max_size=3),
    st.integers(0, 3),
    st.none(),
    st.lists(st.just("p1"), max_size=1),  # unhashable
)


def _verdict(fn: Any, defn: Any, ranking: list[Any]) -> tuple[object, str] | None:
    try:
        fn(defn, ranking)
    except VoteError as exc:
        return exc.code, exc.message
    return None


@given(RULES, st.lists(ENTRY, max_size=7))
def test_check_ranking_agrees_with_validate_ranking(rule: dict[str, Any], ranking: list[Any]) -> None:
    defn = make_defn(5, **rule)
    assert _verdict(check_ranking, defn, ranking) == _verdict(validate_ranking, defn, ranking)


@given(RULES, st.permutations([f"p{i}" for i in range(5)]), st.integers(0, 5))
def test_check_ranking_agrees_on_distinct_known_ids(rule: dict[str, Any], ids: list[str], n: int) -> None:
    defn = make_defn(5, **rule)
    assert _verdict(check_ranking, defn, ids[:n]) == _verdict(validate_ranking, defn, ids[:n])
