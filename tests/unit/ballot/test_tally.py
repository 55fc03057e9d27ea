"""Tallies on small named profiles, every expected order worked out by hand (see each case's notes).

Proposal ids are letters; the tie-break order is the proposal order (``a`` wins ties) unless a case
says otherwise. The property tests at the end check the invariants every result must keep; the
comparison with pref_voting lives in ``test_tally_oracle.py``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballot.tally import (
    Ballots,
    LockedPair,
    TallyResult,
    ballots_from_array,
    ballots_from_ids,
    instant_runoff,
    pairwise_matrix,
    ranked_pairs,
    schulze,
    tally_all,
    tiers_to_ids,
)
from engine.errors import Code, HubError, VoteError
from tests.examples import examples

METHODS = ("borda", "copeland", "schulze", "ranked_pairs", "instant_runoff")


@dataclass(frozen=True)
class Case:
    proposals: str  # one letter per proposal, in index order
    ballots: list[tuple[int, str]]  # (voters, ranking best first)
    expected: dict[str, str]  # method -> tiers, e.g. "c|ab" = c first, then a and b tied
    tie_break: str | None = None
    resolved: dict[str, str] = field(default_factory=dict)  # when not the tiers concatenated

    def tally(self) -> TallyResult:
        rankings = [list(r) for count, r in self.ballots for _ in range(count)]
        tb = None if self.tie_break is None else [self.proposals.index(p) for p in self.tie_break]
        return tally_all(ballots_from_ids(rankings, list(self.proposals)), list(self.proposals), tb)


def tiers(spec: str) -> list[list[str]]:
    return [list(t) for t in spec.split("|")]


CASES = {
    # P: a>b 4:5, a>c 4:5, b>c 3:6, so c beats both (Condorcet winner) and b beats a.
    # Borda (2,1,0): a 8, b 3*2+2*1 = 8, c 4+3+2*2 = 11. Copeland c 2, b 1, a 0.
    # IRV: tops a4 b3 c2, c out and its 2 ballots go to b: a4 b5, a out. The Condorcet winner loses.
    "condorcet_winner": Case(
        "abc",
        [(4, "acb"), (3, "bca"), (2, "cba")],
        {
            "borda": "c|ab",
            "copeland": "c|b|a",
            "schulze": "c|b|a",
            "ranked_pairs": "c|b|a",
            "instant_runoff": "b|a|c",
        },
    ),
    # Rock-paper-scissors: a>b, b>c, c>a, each 2:1. Borda 3 each, Copeland 1 each, every beat-path 1.
    # Ranked pairs: three margins of 1, taken in tie-break order of the winner: a>b, b>c locked,
    # c>a would close the cycle. Which pair is skipped is the tie-break's choice, so the margins
    # alone decide nothing: one tier, and the tie-break's a, b, c is ``resolved``.
    # IRV: 1-1-1, c out (last in the tie-break), its ballot goes to a.
    "condorcet_cycle": Case(
        "abc",
        [(1, "abc"), (1, "bca"), (1, "cab")],
        {
            "borda": "abc",
            "copeland": "abc",
            "schulze": "abc",
            "ranked_pairs": "abc",
            "instant_runoff": "a|b|c",
        },
    ),
    # Same cycle, tie-break c, b, a: pairs c>a, b>c locked, a>b skipped: resolved b>c>a, still one
    # tier. IRV: a out first (last in the tie-break), its ballot goes to b (2), c out.
    "cycle_other_tie_break": Case(
        "abc",
        [(1, "abc"), (1, "bca"), (1, "cab")],
        {
            "borda": "cba",
            "copeland": "cba",
            "schulze": "cba",
            "ranked_pairs": "bca",
            "instant_runoff": "b|c|a",
        },
        tie_break="cba",
    ),
    # a and b tie 1:1, both beat c 2:0. IRV: c out (0), then a-b 1:1, b out by the tie-break.
    "pairwise_tie": Case(
        "abc",
        [(1, "abc"), (1, "bac")],
        {
            "borda": "ab|c",
            "copeland": "ab|c",
            "schulze": "ab|c",
            "ranked_pairs": "ab|c",
            "instant_runoff": "a|b|c",
        },
    ),
    # Truncated ballots, ranked beats unranked:
    #        a  b  c  d
    #   a    0  3  3  3
    #   b    4  0  2  4
    #   c    5  3  0  4
    #   d    1  1  1  0
    # c>b>a>d pairwise. Borda (3,2,1,0; unranked 0): a 9, b 10, c 12, d 3.
    # IRV: a3 b2 c2 d1, d out -> c: a3 b2 c3, b out -> c: a3 c5, a out (its 3 ballots exhaust).
    "truncated": Case(
        "abcd",
        [(3, "a"), (2, "bc"), (2, "cb"), (1, "dc")],
        {
            "borda": "c|b|a|d",
            "copeland": "c|b|a|d",
            "schulze": "c|b|a|d",
            "ranked_pairs": "c|b|a|d",
            "instant_runoff": "c|a|b|d",
        },
    ),
    # One full ballot: its order everywhere. IRV: a and c tie at 0, c out, then a out.
    "single_ballot": Case(
        "abc",
        [(1, "bac")],
        {
            "borda": "b|a|c",
            "copeland": "b|a|c",
            "schulze": "b|a|c",
            "ranked_pairs": "b|a|c",
            "instant_runoff": "b|a|c",
        },
    ),
    # One ballot ranking only b: b beats a and c, which stay tied (Copeland b 2, a and c 0.5).
    "single_truncated_ballot": Case(
        "abc",
        [(1, "b")],
        {
            "borda": "b|ac",
            "copeland": "b|ac",
            "schulze": "b|ac",
            "ranked_pairs": "b|ac",
            "instant_runoff": "b|a|c",
        },
    ),
    # Nothing cast: all tied; IRV eliminates in reverse tie-break order, every round by tie-break.
    "zero_ballots": Case(
        "abc",
        [],
        {
            "borda": "abc",
            "copeland": "abc",
            "schulze": "abc",
            "ranked_pairs": "abc",
            "instant_runoff": "a|b|c",
        },
    ),
    "zero_ballots_tie_break": Case(
        "abc",
        [],
        {
            "borda": "cab",
            "copeland": "cab",
            "schulze": "cab",
            "ranked_pairs": "cab",
            "instant_runoff": "c|a|b",
        },
        tie_break="cab",
    ),
    "one_proposal": Case(
        "a",
        [(2, "a"), (1, "")],
        {"borda": "a", "copeland": "a", "schulze": "a", "ranked_pairs": "a", "instant_runoff": "a"},
    ),
    # a beats b 1:0 (the ballot "c" leaves both unranked); a-c and b-c are 1:1. Borda a 2, b 1,
    # c 2; Copeland a 1.5, c 1, b 0.5. Schulze and the ranked-pairs layers: a and c unbeaten, then b.
    # Ranked pairs settles the zero margins by the tie-break, a>c then b>c: resolved a, b, c, which
    # puts b (second tier) above c (first tier). IRV: b out with 0, then a-c 1:1, c out.
    "zero_margins": Case(
        "abc",
        [(1, "ab"), (1, "c")],
        {
            "borda": "ac|b",
            "copeland": "a|c|b",
            "schulze": "ac|b",
            "ranked_pairs": "ac|b",
            "instant_runoff": "a|c|b",
        },
        resolved={"ranked_pairs": "abc"},
    ),
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", [pytest.param(c, id=name) for name, c in CASES.items()])
def test_order_matches_hand_count(case: Case, method: str) -> None:
    result = case.tally()
    got = getattr(result, method)
    assert tiers_to_ids(got.order, result.proposals) == tiers(case.expected[method])
    assert got.winners == got.order[0]
    want = case.resolved.get(method, case.expected[method].replace("|", ""))
    assert "".join(result.proposals[i] for i in got.resolved) == want


def test_truncated_pairwise_matrix_and_borda_scores() -> None:
    result = CASES["truncated"].tally()
    assert result.pairwise == [[0, 3, 3, 3], [4, 0, 2, 4], [5, 3, 0, 4], [1, 1, 1, 0]]
    assert result.borda.scores == [9, 10, 12, 3]
    assert result.n_voters == 8


def test_unranked_proposals_lose_to_ranked_and_tie_with_each_other() -> None:
    p = pairwise_matrix(ballots_from_ids([["c", "a"]], ["a", "b", "c", "d"]))
    assert p.tolist() == [[0, 1, 0, 1], [0, 0, 0, 0], [1, 1, 0, 1], [0, 0, 0, 0]]


def test_instant_runoff_rounds_replay_the_count() -> None:
    result = CASES["condorcet_winner"].tally().instant_runoff
    assert [(r.remaining, r.counts, r.exhausted, r.eliminated) for r in result.rounds] == [
        ([0, 1, 2], [4, 3, 2], 0, 2),
        ([0, 1], [4, 5], 0, 0),
        ([1], [9], 0, None),
    ]
    assert result.majority_round == 1  # b's 5 of 9
    assert not any(r.by_tie_break for r in result.rounds)


def test_instant_runoff_exhausted_ballots_and_tie_break_rounds() -> None:
    truncated = CASES["truncated"].tally().instant_runoff
    assert [(r.counts, r.exhausted) for r in truncated.rounds] == [
        ([3, 2, 2, 1], 0),
        ([3, 2, 3], 0),
        ([3, 5], 0),
        ([5], 3),
    ]
    assert truncated.majority_round == 2
    empty = CASES["zero_ballots"].tally().instant_runoff
    assert [(r.lowest, r.eliminated, r.by_tie_break) for r in empty.rounds] == [
        ([0, 1, 2], 2, True),
        ([0, 1], 1, True),
        ([], None, False),
    ]
    assert empty.majority_round is None


def test_ranked_pairs_records_the_skipped_pair() -> None:
    result = CASES["condorcet_cycle"].tally().ranked_pairs
    assert result.pairs == [
        LockedPair(winner=0, loser=1, margin=1, locked=True, by_tie_break=True),
        LockedPair(winner=1, loser=2, margin=1, locked=True, by_tie_break=True),
        LockedPair(winner=2, loser=0, margin=1, locked=False, by_tie_break=True),
    ]


def test_ranked_pairs_shows_a_tie_where_only_the_tie_break_chose_the_skipped_pair() -> None:
    # a>b, b>c, c>a by 2 (a cycle the tie-break breaks), each beats d by 1, and d>e by 3 (alone).
    p = np.zeros((5, 5), dtype=np.int64)
    for a, b, margin in [(0, 1, 2), (1, 2, 2), (2, 0, 2), (0, 3, 1), (1, 3, 1), (2, 3, 1), (3, 4, 3)]:
        p[a, b] = margin
    for tb in itertools.permutations(range(3)):
        result = ranked_pairs(p, [*tb, 3, 4])
        assert [sorted(t) for t in result.order] == [[0, 1, 2], [3], [4]]
        assert result.order[0] == result.resolved[:3]  # the tie, members in the order the tie-break gave
        assert result.resolved[3:] == [3, 4]


def test_ranked_pairs_with_distinct_margins_is_strict() -> None:
    # a>b 3, b>c 2, c>a 1: no equal margins, so the margins alone skip c>a: a, b, c strictly.
    p = np.array([[0, 3, 0], [0, 0, 2], [1, 0, 0]])
    assert ranked_pairs(p, [2, 1, 0]).order == [[0], [1], [2]]


def test_ranked_pairs_resolved_can_cross_tiers() -> None:
    # b>a by 1, every other margin 0. Layers: b and c unbeaten, then a. Zero margins in tie-break
    # order: a>c locked, then b>c locked (b>a>c already), so resolved b, a, c: a (second tier) is
    # placed above c (first tier) because the tie-break settled their zero margin.
    p = np.array([[0, 0, 1], [1, 0, 1], [1, 1, 0]])
    result = ranked_pairs(p)
    assert result.order == [[1, 2], [0]]
    assert result.resolved == [1, 0, 2]


def test_schulze_winning_votes_differs_from_margin_on_truncated_ballots() -> None:
    # Cycle a>b (margin 1, support 5), b>c (margin 3, support 3), c>a (margin 2, support 4).
    # Margins: the weakest link is a>b, so b wins; winning votes: the weakest is b>c, so c wins.
    p = np.array([[0, 5, 2], [4, 0, 3], [4, 0, 0]])
    assert schulze(p).winners == [1]
    assert schulze(p, strength="winning_votes").winners == [2]


def test_weights_count_as_repeated_ballots() -> None:
    folded = ballots_from_ids([["a", "c", "b"], ["b", "c", "a"], ["c", "b", "a"]], ["a", "b", "c"], [4, 3, 2])
    assert tally_all(folded, ["a", "b", "c"]) == CASES["condorcet_winner"].tally()


def test_result_round_trips_through_msgspec() -> None:
    result = CASES["truncated"].tally()
    for codec in (msgspec.json, msgspec.msgpack):
        assert codec.decode(codec.encode(result), type=TallyResult) == result
    assert b'"method":"instant_runoff"' in msgspec.json.encode(result)


def test_ballots_are_read_only() -> None:
    b = ballots_from_ids([["a", "b"]], ["a", "b"])
    with pytest.raises(ValueError):
        b.rankings[0, 0] = 1


@pytest.mark.parametrize(
    ("rankings", "proposals", "weights", "code"),
    [
        pytest.param([["a", "x"]], ["a", "b"], None, Code.UNKNOWN_PROPOSAL, id="unknown_id"),
        pytest.param([["a", "a"]], ["a", "b"], None, Code.REPEATED_PROPOSAL, id="repeated"),
        pytest.param([["a", "b", "a"]], ["a", "b"], None, Code.RANKING_TOO_LONG, id="too_long"),
        pytest.param([], ["a", "a"], None, Code.BAD_VOTE_DEFINITION, id="duplicate_proposals"),
        pytest.param([], [], None, Code.BAD_VOTE_DEFINITION, id="no_proposals"),
        pytest.param([["a"]], ["a", "b"], [-1], Code.BAD_FIELD, id="negative_weight"),
        pytest.param([["a"]], ["a", "b"], [1, 1], Code.BAD_FIELD, id="weights_shape"),
    ],
)
def test_bad_ballots_from_ids(
    rankings: list[list[str]], proposals: list[str], weights: list[int] | None, code: Code
) -> None:
    with pytest.raises(HubError) as err:  # vote codes, and bad_field for a malformed array
        ballots_from_ids(rankings, proposals, weights)
    assert err.value.code == code


@pytest.mark.parametrize(
    ("rankings", "code"),
    [
        pytest.param([[0, 3]], Code.UNKNOWN_PROPOSAL, id="index_too_large"),
        pytest.param([[0, -2]], Code.UNKNOWN_PROPOSAL, id="index_negative"),
        pytest.param([[1, 1]], Code.REPEATED_PROPOSAL, id="repeated"),
        pytest.param([[-1, 1]], Code.BAD_FIELD, id="gap_before_padding"),
        pytest.param([0, 1], Code.BAD_FIELD, id="one_dimensional"),
        pytest.param([[0.0, 1.0]], Code.BAD_FIELD, id="not_integers"),
    ],
)
def test_bad_ballot_arrays(rankings: list[list[float]], code: Code) -> None:
    with pytest.raises(HubError) as err:
        ballots_from_array(rankings, 3)
    assert err.value.code == code


@pytest.mark.parametrize("tie_break", [[0, 1], [0, 1, 1], [0, 1, 3]], ids=["short", "repeat", "unknown"])
def test_tie_break_must_list_every_proposal_once(tie_break: list[int]) -> None:
    with pytest.raises(VoteError) as err:
        tally_all(ballots_from_array([[0, 1, 2]], 3), tie_break=tie_break)
    assert err.value.code == Code.BAD_VOTE_DEFINITION


def test_proposal_ids_must_match_count() -> None:
    with pytest.raises(VoteError) as err:
        tally_all(ballots_from_array([[0, 1]], 3), ["a", "b"])
    assert err.value.code == Code.BAD_VOTE_DEFINITION


# -- invariants on random profiles ----------------------------------------------------------------


@st.composite
def weighted_ballots(draw: st.DrawFn) -> tuple[Ballots, list[int]]:
    m = draw(st.integers(1, 7))
    rows = draw(
        st.lists(
            st.permutations(range(m)).flatmap(lambda r: st.integers(0, len(r)).map(lambda k: r[:k])),
            max_size=25,
        )
    )
    weights = draw(st.lists(st.integers(0, 4), min_size=len(rows), max_size=len(rows)))
    arr = np.full((len(rows), m), -1)
    for i, r in enumerate(rows):
        arr[i, : len(r)] = r
    return ballots_from_array(arr, m, weights), draw(st.permutations(range(m)))


@settings(max_examples=examples(150), deadline=None)
@given(weighted_ballots())
def test_every_result_is_a_consistent_order(case: tuple[Ballots, list[int]]) -> None:
    ballots, tb = case
    m = ballots.n_proposals
    result = tally_all(ballots, tie_break=tb)
    p = np.array(result.pairwise)
    assert (p + p.T <= result.n_voters).all()
    assert (np.diag(p) == 0).all()
    for method in METHODS:
        got = getattr(result, method)
        assert sorted(got.resolved) == list(range(m)), method
        assert sorted(x for tier in got.order for x in tier) == list(range(m)), method
        assert got.winners == got.order[0] and got.winners, method
        if method != "ranked_pairs":
            assert got.resolved == [x for tier in got.order for x in tier], method
        if method in ("borda", "copeland", "schulze"):
            assert all(tier == sorted(tier, key=tb.index) for tier in got.order), method
    assert result.ranked_pairs.resolved[0] in result.ranked_pairs.winners
    last = result.instant_runoff.rounds[-1]
    assert last.remaining == result.instant_runoff.winners
    for r in result.instant_runoff.rounds:
        assert sum(r.counts) + r.exhausted == result.n_voters


@settings(max_examples=examples(100), deadline=None)
@given(weighted_ballots())
def test_weights_equal_repeated_ballots(case: tuple[Ballots, list[int]]) -> None:
    folded, tb = case
    unfolded = ballots_from_array(np.repeat(folded.rankings, folded.weights, axis=0), folded.n_proposals)
    assert tally_all(folded, tie_break=tb) == tally_all(unfolded, tie_break=tb)


def test_instant_runoff_single_round_for_one_proposal() -> None:
    result = instant_runoff(ballots_from_array(np.zeros((0, 0), dtype=int), 1))
    assert result.order == [[0]] and len(result.rounds) == 1
