"""pref_voting as the oracle: on random small profiles our tallies must agree with the reference.

Profiles: 3-6 proposals; 1-40 voters, or up to 6 distinct ballots with weights up to 8 (pairwise
ties), or weighted rotations of one ranking (majority cycles); ballots truncated at any length
including empty; a random tie-break order; and random margin graphs for the pairwise methods.
Where pref_voting 1.18's conventions differ from ours (read from its source in ``pref_voting/``),
each check lines them up as follows:

* Truncated ballots: ``ProfileWithTies`` by default counts a preference only when both proposals are
  ranked. Ours (ranked beats unranked) is its *extended strict preference*, so every profile calls
  ``use_extended_strict_preference()``; its supports must then equal our pairwise matrix exactly.
* Borda: ``ProfileWithTies`` defaults to the symmetric score (below minus above), which differs from
  ours on truncated ballots. Ours (position i gets m-1-i, unranked 0) is ``domination_borda_scores``:
  scores must match exactly. On complete ballots ``Profile.borda_scores`` must match as well.
* Copeland: pref_voting scores 1/0/-1, ours 1/0.5/0; the same order. We compare wins minus losses
  with its scores, the winners and ``copeland_ranking``'s tiers.
* Schulze: ``beat_path`` with margins (its default) and with ``strength_function=support`` for our
  ``winning_votes``; the whole defeat relation must match ``beat_path_defeat``, not just the winners.
* Ranked pairs: ``ranked_pairs_tb`` with our tie-break order (exact ``ranked_pairs`` enumerates every
  tie-breaking order and hangs on tied margins). Its winner must be ``resolved[0]`` and
  ``ranked_pairs_defeat_tb``'s full order must be our ``resolved``. pref_voting has no tiers; we check
  the winner is in ours. On complete ballots ``ranked_pairs_zt`` (first voter's ranking breaks ties)
  must equal ours run with that ranking as the tie-break.
* Instant runoff: ``instant_runoff_tb`` eliminates ``tie_breaker[0]`` first, we eliminate the *last*
  of our order first, so we pass the order reversed. On ``ProfileWithTies`` it scores each remaining
  proposal by the ballots that have it first among those remaining (``tops_scores``, the same as
  ours for strict truncated ballots) and never stops early; on ``Profile`` it stops at a majority,
  which cannot change the winner. Every round's counts must equal ``tops_scores`` on that round's
  remaining proposals, and the IRV winner restricted to them must be our winner. When our count
  needed no tie-break, plain ``instant_runoff`` (simultaneous elimination) must agree too.

pref_voting's first calls compile with numba (a few seconds); the whole file runs in well under a
minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations
from typing import Any

import numpy as np
import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from tests.examples import examples

pytest.importorskip("pref_voting")

from pref_voting.c1_methods import copeland as pv_copeland
from pref_voting.c1_methods import copeland_ranking
from pref_voting.iterative_methods import instant_runoff as pv_instant_runoff
from pref_voting.iterative_methods import instant_runoff_tb
from pref_voting.margin_based_methods import (
    beat_path,
    beat_path_defeat,
    ranked_pairs_defeat_tb,
    ranked_pairs_tb,
    ranked_pairs_zt,
)
from pref_voting.profiles import Profile
from pref_voting.profiles_with_ties import ProfileWithTies
from pref_voting.scoring_methods import borda as pv_borda
from pref_voting.scoring_methods import borda_for_profile_with_ties, domination_borda_scores
from pref_voting.weighted_majority_graphs import MarginGraph

from ballot.tally import (
    Ballots,
    _certain_locks,
    ballots_from_array,
    borda,
    copeland,
    instant_runoff,
    pairwise_matrix,
    ranked_pairs,
    schulze,
)

SETTINGS = settings(max_examples=examples(150), deadline=None)


@dataclass(frozen=True)
class Drawn:
    m: int
    rows: list[list[int]]  # proposal indices, best first; may be truncated or empty
    weights: list[int]
    tie_break: list[int]  # first wins ties

    def ballots(self) -> Ballots:
        arr = np.full((len(self.rows), self.m), -1)
        for i, r in enumerate(self.rows):
            arr[i, : len(r)] = r
        return ballots_from_array(arr, self.m, self.weights)

    def with_ties(self) -> Any:
        prof = ProfileWithTies(
            [{c: pos for pos, c in enumerate(r)} for r in self.rows],
            rcounts=self.weights,
            candidates=list(range(self.m)),
        )
        prof.use_extended_strict_preference()
        return prof


@st.composite
def drawn(draw: st.DrawFn, complete: bool = False) -> Drawn:
    m = draw(st.integers(3, 6))
    ranking = st.permutations(range(m))
    if not complete:
        ranking = ranking.flatmap(lambda r: st.integers(0, len(r)).map(lambda k: r[:k]))
    shape = draw(st.sampled_from(["voters", "weighted", "rotations"]))
    if shape == "voters":
        rows = draw(st.lists(ranking, min_size=1, max_size=40))
    elif shape == "weighted":
        rows = draw(st.lists(ranking, min_size=1, max_size=6))
    else:  # rotations of one ranking (a Latin square), cut short: majority cycles are the rule
        base = draw(st.permutations(range(m)))
        cut = m if complete else draw(st.integers(1, m))
        rows = [(base[i:] + base[:i])[:cut] for i in range(m)]
    if shape == "voters":
        weights = [1] * len(rows)
    else:
        weights = draw(st.lists(st.integers(1, 8), min_size=len(rows), max_size=len(rows)))
    return Drawn(m, [list(r) for r in rows], weights, list(draw(st.permutations(range(m)))))


CYCLE = Drawn(3, [[0, 1, 2], [1, 2, 0], [2, 0, 1]], [1, 1, 1], [2, 1, 0])
TIES = Drawn(4, [[0, 1], [1, 0], [], [3]], [2, 2, 1, 1], [3, 0, 1, 2])
TRUNCATED = Drawn(4, [[0], [1, 2], [2, 1], [3, 2]], [3, 2, 2, 1], [0, 1, 2, 3])


def tier_sets(tiers: Any) -> list[set[int]]:
    return [set(t) for t in tiers]


@SETTINGS
@given(drawn())
@example(CYCLE)
@example(TIES)
@example(TRUNCATED)
def test_pairwise_matrix_and_borda(d: Drawn) -> None:
    prof = d.with_ties()
    p = pairwise_matrix(d.ballots())
    assert p.tolist() == [[int(prof.support(a, b)) for b in range(d.m)] for a in range(d.m)]
    ours = borda(p, d.tie_break)
    assert ours.scores == [domination_borda_scores(prof)[c] for c in range(d.m)]
    assert ours.winners == sorted(
        borda_for_profile_with_ties(prof, borda_scores=domination_borda_scores), key=d.tie_break.index
    )


@SETTINGS
@given(drawn())
@example(CYCLE)
@example(TIES)
def test_copeland(d: Drawn) -> None:
    prof = d.with_ties()
    ours = copeland(pairwise_matrix(d.ballots()), d.tie_break)
    scores = prof.copeland_scores()
    assert [w - lo for w, lo in zip(ours.wins, ours.losses, strict=True)] == [scores[c] for c in range(d.m)]
    assert set(ours.winners) == set(pv_copeland(prof))
    assert tier_sets(ours.order) == tier_sets(copeland_ranking(prof).to_indiff_list())


@SETTINGS
@given(drawn(), st.sampled_from(["margin", "winning_votes"]))
@example(CYCLE, "margin")
@example(TIES, "winning_votes")
def test_schulze(d: Drawn, strength: Any) -> None:
    prof = d.with_ties()
    fn = prof.support if strength == "winning_votes" else None
    ours = schulze(pairwise_matrix(d.ballots()), d.tie_break, strength)
    paths = np.array(ours.paths)
    relation = {(a, b) for a in range(d.m) for b in range(d.m) if paths[a, b] > paths[b, a]}
    assert relation == set(beat_path_defeat(prof, strength_function=fn).edges())
    assert set(ours.winners) == set(beat_path(prof, strength_function=fn))
    event(f"schulze winners: {len(ours.winners)}")


@SETTINGS
@given(drawn())
@example(CYCLE)
@example(TIES)
def test_ranked_pairs(d: Drawn) -> None:
    prof = d.with_ties()
    ours = ranked_pairs(pairwise_matrix(d.ballots()), d.tie_break)
    assert ranked_pairs_tb(prof, tie_breaker=d.tie_break) == [ours.resolved[0]]
    assert ranked_pairs_defeat_tb(prof, tie_breaker=d.tie_break, return_list=True) == ours.resolved
    assert ours.resolved[0] in ours.winners
    event("ranked pairs: a pair skipped" if not all(x.locked for x in ours.pairs) else "no cycle")


@SETTINGS
@given(drawn())
@example(CYCLE)
@example(TIES)
@example(TRUNCATED)
def test_instant_runoff(d: Drawn) -> None:
    prof = d.with_ties()
    ours = instant_runoff(d.ballots(), d.tie_break)
    reverse = d.tie_break[::-1]
    assert instant_runoff_tb(prof, tie_breaker=reverse) == ours.winners
    for r in ours.rounds:
        assert prof.tops_scores(curr_cands=r.remaining) == dict(zip(r.remaining, r.counts, strict=True))
        assert instant_runoff_tb(prof, curr_cands=r.remaining, tie_breaker=reverse) == ours.winners
    tie_broken = any(r.by_tie_break for r in ours.rounds)
    if not tie_broken:
        assert pv_instant_runoff(prof) == ours.winners
    event(f"irv tie-break used: {tie_broken}")


@SETTINGS
@given(drawn(complete=True))
@example(CYCLE)
def test_complete_ballots_against_profile(d: Drawn) -> None:
    prof = Profile(d.rows, rcounts=d.weights)
    ballots = d.ballots()
    p = pairwise_matrix(ballots)
    assert [[int(prof.margin(a, b)) for b in range(d.m)] for a in range(d.m)] == (p - p.T).tolist()
    ours = borda(p, d.tie_break)
    assert ours.scores == [int(prof.borda_scores()[c]) for c in range(d.m)]
    assert set(ours.winners) == set(pv_borda(prof))
    assert set(copeland(p).winners) == set(pv_copeland(prof))
    assert set(schulze(p).winners) == set(beat_path(prof))
    assert ranked_pairs(p, d.rows[0]).resolved[:1] == ranked_pairs_zt(prof)
    assert ranked_pairs(p, d.tie_break).resolved[:1] == ranked_pairs_tb(prof, tie_breaker=d.tie_break)
    irv = instant_runoff(ballots, d.tie_break)
    assert instant_runoff_tb(prof, tie_breaker=d.tie_break[::-1]) == irv.winners


@st.composite
def margin_graphs(draw: st.DrawFn) -> tuple[np.ndarray, list[int]]:
    """A pairwise matrix straight from small random margins: zero and equal margins everywhere, so
    the order in which ranked pairs takes tied pairs is exercised far more than ballots manage."""
    m = draw(st.integers(3, 7))
    p = np.zeros((m, m), dtype=np.int64)
    for a in range(m):
        for b in range(a + 1, m):
            margin = draw(st.integers(-2, 2))
            p[a, b], p[b, a] = max(margin, 0), max(-margin, 0)
    return p, list(draw(st.permutations(range(m))))


@settings(max_examples=examples(200), deadline=None)
@given(margin_graphs())
def test_margin_graphs(case: tuple[np.ndarray, list[int]]) -> None:
    p, tb = case
    m = p.shape[0]
    mg = MarginGraph(
        list(range(m)), [(a, b, int(p[a, b])) for a in range(m) for b in range(m) if p[a, b] > 0]
    )
    ours = ranked_pairs(p, tb)
    assert ranked_pairs_defeat_tb(mg, tie_breaker=tb, return_list=True) == ours.resolved
    assert ranked_pairs_tb(mg, tie_breaker=tb) == [ours.resolved[0]]
    paths = np.array(schulze(p, tb).paths)
    relation = {(a, b) for a in range(m) for b in range(m) if paths[a, b] > paths[b, a]}
    assert relation == set(beat_path_defeat(mg).edges())
    assert set(copeland(p, tb).winners) == set(pv_copeland(mg))


@settings(max_examples=examples(150), deadline=None)
@given(margin_graphs())
def test_ranked_pairs_tiers_are_what_every_tie_break_agrees_on(case: tuple[np.ndarray, list[int]]) -> None:
    """``order`` shows what the margins alone decided: the same tiers under every tie-break order
    (all of them up to 5 proposals), and each tie-break's winner (``ranked_pairs_tb`` above) in the
    first tier. pref_voting's own ``ranked_pairs``, which tries every order of the tied pairs, hangs
    on these graphs, so the tie-break orders are tried here instead."""
    p, tb = case
    m = p.shape[0]
    ours = ranked_pairs(p, tb)
    tiers = [set(t) for t in ours.order]
    others = permutations(range(m)) if m <= 5 else [tb[::-1], tb[1:] + tb[:1], list(range(m))]
    for other in others:
        again = ranked_pairs(p, list(other))
        assert [set(t) for t in again.order] == tiers
        assert again.resolved[0] in ours.order[0]


def _closure(m: int, pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    above = {(a, b) for a, b in pairs}
    for k in range(m):
        above |= {(a, b) for a in range(m) for b in range(m) if (a, k) in above and (k, b) in above}
    return above


@settings(max_examples=examples(100), deadline=None)
@given(margin_graphs())
def test_ranked_pairs_sure_locks_are_locked_under_every_tie_break(case: tuple[np.ndarray, list[int]]) -> None:
    """Soundness of what ``order`` is built from: every pair ``_certain_locks`` calls sure is locked
    (or implied by locks) under every tie-break order, tried exhaustively up to 5 proposals."""
    p, tb = case
    m = p.shape[0]
    if m > 5:
        return
    margin = p - p.T
    taken = sorted(
        ((a, b, int(margin[a, b])) for a in range(m) for b in range(m) if margin[a, b] > 0),
        key=lambda x: (-x[2], tb.index(x[0]), tb.index(x[1])),
    )
    above = _certain_locks(m, taken)
    sure = {(a, b) for b in range(m) for a in range(m) if above[b] >> a & 1}
    for other in permutations(range(m)):
        locked = [
            (x.winner, x.loser) for x in ranked_pairs(p, list(other)).pairs if x.locked and x.margin > 0
        ]
        assert sure <= _closure(m, locked)
