"""Tallies of a ranked plenary vote: Borda, Copeland, Schulze, ranked pairs and instant runoff.

Theory of operation: the ballots are packed once (:func:`ballots_from_ids`), the pairwise matrix is
counted once (:func:`pairwise_matrix`, the only step that reads every ballot), and every method but
instant runoff works on that m x m matrix alone, so all methods together cost little more than the
matrix. :func:`tally_all` does exactly that and returns one msgspec Struct for the wire and exports.
Pure functions: no Redis, no clock, no randomness; the same ballots always give the same result.

The published rules, in one place:

* Truncated ballots (rank-your-top-k): a ranked proposal beats every unranked one; proposals a
  voter left unranked are tied for that voter. This decides the pairwise matrix and so Borda,
  Copeland, Schulze and ranked pairs. Instant runoff reads the rankings: a ballot whose ranked
  proposals are all eliminated is *exhausted* and counts for no one.
* The tie-break order: one published order of all proposals, ``tie_break[0]`` first (it wins ties).
  By default it is the proposal order itself (index 0 first); a vote may publish another, e.g. one
  drawn by lot before the vote opens. It is used in three places only: (1) to list the members of a
  tier, which turns the order-with-ties into the strict ``resolved`` order; (2) ranked pairs, to
  order pairs of equal margin and to settle pairs of zero margin; (3) instant runoff, where among the
  proposals tied for fewest votes the one *last* in the order is eliminated.
* Every method returns ``order``: tiers best first, each tier a list of proposal indices tied at that
  place, members in tie-break order; ``winners`` = ``order[0]``; ``resolved`` = the strict order
  after the tie-break, which is the tiers concatenated (for ranked pairs see its docstring). Index
  ``i`` is ``proposals[i]`` of the :class:`TallyResult`; :func:`tiers_to_ids` maps them back.

Method conventions (matched against ``pref_voting``, the test oracle, in
``tests/unit/ballot/test_tally_oracle.py``):

* Borda: position ``i`` (0 = top) earns ``m-1-i`` points, unranked proposals earn 0. Equivalently
  the number of other proposals the voter puts it above, i.e. the row sum of the pairwise matrix
  (pref_voting's ``domination_borda_scores``; its *default* for truncated ballots is the symmetric
  score, proposals below minus proposals above, which can pick another winner).
* Copeland: 1 point per pairwise win, 1/2 per pairwise tie, 0 per loss (pref_voting scores 1/0/-1,
  which orders the proposals identically).
* Schulze: strongest beat-paths by margin (``strength="margin"``, pref_voting's ``beat_path``
  default) or by winning votes (``"winning_votes"``, Schulze's own preferred measure, which
  counts abstentions on a pair differently); the two agree when every voter ranks every proposal.
  ``a`` is above ``b`` when the strongest path from ``a`` to ``b`` is stronger than the reverse;
  tiers peel off the unbeaten.
* Ranked pairs: pairs locked by margin, largest first; equal margins in tie-break order of the winner,
  then of the loser; zero-margin pairs then settled the same way (pref_voting's ``ranked_pairs_tb``),
  giving ``resolved``. The tiers are the layers of the locks every tie-break order makes (a cycle of
  equal margins, which only the tie-break breaks, stays one tier; ``resolved`` shows the tie-break).
* Instant runoff: one proposal eliminated per round (fewest top votes among those left; tie -> the
  one last in the tie-break order) until one is left; no early stop at a majority, which cannot
  change the winner but gives a full order: the winner, then the others in reverse order of
  elimination. Every round is returned so an audit can replay it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import msgspec
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ballot.pairwise import Ballots, ballots_from_array, ballots_from_ids, pairwise_matrix
from engine.errors import Code, HubError

__all__ = [
    "Ballots",
    "BordaResult",
    "CopelandResult",
    "InstantRunoffResult",
    "IrvRound",
    "LockedPair",
    "MethodResult",
    "RankedPairsResult",
    "SchulzeResult",
    "SchulzeStrength",
    "TallyResult",
    "ballots_from_array",
    "ballots_from_ids",
    "borda",
    "copeland",
    "instant_runoff",
    "pairwise_matrix",
    "published_tiers",
    "ranked_pairs",
    "schulze",
    "tally_all",
    "tiers_to_ids",
]

SchulzeStrength = Literal["margin", "winning_votes"]
Tiers = list[list[int]]


class MethodResult(msgspec.Struct, frozen=True, kw_only=True, tag_field="method"):
    """What every method returns: the order with ties shown and its tie-broken form.

    ``order``: tiers best first; ``winners``: ``order[0]``; ``resolved``: the strict order once the
    published tie-break is applied (the tiers concatenated, except in ranked pairs where a settled
    zero margin may reorder them). All are proposal indices.
    """

    order: Tiers
    winners: list[int]
    resolved: list[int]


class BordaResult(MethodResult, frozen=True, kw_only=True, tag="borda"):
    """``scores[p]``: Borda points of proposal ``p`` (position i earns m-1-i, unranked 0)."""

    scores: list[int]


class CopelandResult(MethodResult, frozen=True, kw_only=True, tag="copeland"):
    """Pairwise ``wins``/``ties``/``losses`` of each proposal; ``scores`` = wins + ties / 2."""

    scores: list[float]
    wins: list[int]
    ties: list[int]
    losses: list[int]


class SchulzeResult(MethodResult, frozen=True, kw_only=True, tag="schulze"):
    """``paths[a][b]``: strength of the strongest beat-path from ``a`` to ``b`` (0: none)."""

    strength: SchulzeStrength
    paths: list[list[int]]


class LockedPair(msgspec.Struct, frozen=True, kw_only=True):
    """One pair as ranked pairs considered it. ``locked`` False: it would have closed a cycle.
    ``by_tie_break``: another pair had the same margin, so the tie-break order set which of them came
    first (always true for a zero margin, which only the tie-break settles)."""

    winner: int
    loser: int
    margin: int
    locked: bool
    by_tie_break: bool


class RankedPairsResult(MethodResult, frozen=True, kw_only=True, tag="ranked_pairs"):
    """``pairs``: every pair in the order considered, positive margins first, then zero margins."""

    pairs: list[LockedPair]


class IrvRound(msgspec.Struct, frozen=True, kw_only=True):
    """One instant-runoff round, enough to replay it.

    ``counts[i]``: ballots whose highest proposal still in the count is ``remaining[i]``;
    ``exhausted``: ballots with no proposal left (ranked nothing, or all their choices eliminated);
    ``lowest``: the proposals tied for fewest votes (tie-break order); ``eliminated``: the one removed,
    ``None`` in the last round; ``by_tie_break``: the tie-break order chose it among ``lowest``.
    """

    remaining: list[int]
    counts: list[int]
    exhausted: int
    lowest: list[int]
    eliminated: int | None
    by_tie_break: bool


class InstantRunoffResult(MethodResult, frozen=True, kw_only=True, tag="instant_runoff"):
    """``rounds``: every round, the last holding only the winner. ``majority_round``: the first round
    in which one proposal held a strict majority of the ballots still counting (where a count that
    stops at a majority would have ended; the winner is the same), ``None`` if never."""

    rounds: list[IrvRound]
    majority_round: int | None


class TallyResult(msgspec.Struct, frozen=True, kw_only=True):
    """Every method on one vote. ``pairwise[a][b]``: voters preferring ``a`` to ``b``;
    ``proposals[i]``: the id of index ``i``; ``tie_break``: the order used, first wins ties."""

    proposals: list[str]
    n_voters: int
    tie_break: list[int]
    pairwise: list[list[int]]
    borda: BordaResult
    copeland: CopelandResult
    schulze: SchulzeResult
    ranked_pairs: RankedPairsResult
    instant_runoff: InstantRunoffResult


def tiers_to_ids(tiers: Sequence[Sequence[int]], proposals: Sequence[str]) -> list[list[str]]:
    """The same tiers with proposal ids in place of indices, for display and exports."""
    return [[proposals[i] for i in tier] for tier in tiers]


def published_tiers(results: Mapping[str, Any], method: str) -> list[list[str]]:
    """The order ``method`` gives in a result as published (``msgspec.to_builtins`` of a
    :class:`TallyResult`, as stored in the vote's state and export): tiers of proposal ids, best
    first, ties shown as ties. Every display of a ranking (the stream overlay, the results page)
    reads this one shape; an unknown method or a result without it gives ``[]``."""
    proposals = results.get("proposals") or []
    shown = results.get(method)
    order = shown.get("order") if isinstance(shown, Mapping) else None
    if not isinstance(order, list):
        return []
    return tiers_to_ids(order, proposals)


# -- helpers --------------------------------------------------------------------------------------


def _tie_rank(tie_break: Sequence[int] | None, m: int) -> NDArray[np.int64]:
    """``rank[p]`` = place of proposal ``p`` in the tie-break order (0 wins ties).

    Raises ``HubError(BAD_VOTE_DEFINITION)`` unless ``tie_break`` lists every proposal exactly once:
    a tie-break that leaves a proposal out cannot be published as deciding every tie.
    """
    if tie_break is None:
        return np.arange(m, dtype=np.int64)
    order = np.asarray(tie_break, dtype=np.int64)
    if order.shape != (m,) or not np.array_equal(np.sort(order), np.arange(m)):
        raise HubError(Code.BAD_VOTE_DEFINITION, f"the tie-break must list each of the {m} proposals once")
    rank = np.empty(m, dtype=np.int64)
    rank[order] = np.arange(m)
    return rank


def _square(pairwise: ArrayLike) -> NDArray[np.int64]:
    """The pairwise matrix as int64, checked square, non-negative, at least 1 x 1."""
    p = np.asarray(pairwise, dtype=np.int64)
    if p.ndim != 2 or p.shape[0] != p.shape[1] or p.shape[0] < 1:
        raise HubError(Code.BAD_FIELD, "the pairwise matrix must be square with at least one proposal")
    if p.min() < 0:
        raise HubError(Code.BAD_FIELD, "the pairwise matrix cannot hold negative counts")
    return p


def _tiers_by_score(key: NDArray[np.int64], rank: NDArray[np.int64]) -> Tiers:
    """Tiers of equal ``key`` (an exact integer score), highest first, members in tie-break order."""
    idx = np.lexsort((rank, -key))
    tiers: Tiers = []
    prev: int | None = None
    for p in idx.tolist():
        k = int(key[p])
        if k != prev:
            tiers.append([])
            prev = k
        tiers[-1].append(p)
    return tiers


def _layers(beats: NDArray[np.bool_], rank: NDArray[np.int64]) -> Tiers:
    """Tiers of a strict partial order (``beats[a, b]``: a above b): peel off the unbeaten, repeat.

    Every relation edge then points from an earlier tier to a later one, so concatenating the tiers
    (members in tie-break order) is a linear extension of the relation.
    """
    m = beats.shape[0]
    left = np.ones(m, dtype=bool)
    tiers: Tiers = []
    while left.any():
        top = left & ~beats[left].any(axis=0)
        if not top.any():  # a cycle: impossible for Schulze's relation (it is transitive); never loop
            top = left.copy()
        members = np.flatnonzero(top)
        tiers.append(members[np.argsort(rank[members], kind="stable")].tolist())
        left &= ~top
    return tiers


def _result_parts(tiers: Tiers) -> tuple[Tiers, list[int], list[int]]:
    return tiers, list(tiers[0]), [p for tier in tiers for p in tier]


# -- methods on the pairwise matrix ---------------------------------------------------------------


def borda(pairwise: ArrayLike, tie_break: Sequence[int] | None = None) -> BordaResult:
    """Borda count: position ``i`` of a ranking earns ``m-1-i`` points, an unranked proposal 0.

    Computed as the row sums of the pairwise matrix: under the truncation rule a proposal at position
    ``i`` is above exactly ``m-1-i`` others (those ranked below it and all unranked ones), an unranked
    proposal above none. So no second pass over the ballots is needed.
    """
    p = _square(pairwise)
    scores = p.sum(axis=1)
    order, winners, resolved = _result_parts(_tiers_by_score(scores, _tie_rank(tie_break, p.shape[0])))
    return BordaResult(order=order, winners=winners, resolved=resolved, scores=scores.tolist())


def copeland(pairwise: ArrayLike, tie_break: Sequence[int] | None = None) -> CopelandResult:
    """Copeland: 1 point per pairwise majority win, 1/2 per tie (equal support), 0 per loss.

    Tiers are decided on twice the score (an exact integer), so half points never meet float rounding.
    """
    p = _square(pairwise)
    m = p.shape[0]
    margin = p - p.T
    wins = (margin > 0).sum(axis=1)
    losses = (margin < 0).sum(axis=1)
    ties = (m - 1) - wins - losses
    twice = 2 * wins + ties
    order, winners, resolved = _result_parts(_tiers_by_score(twice, _tie_rank(tie_break, m)))
    return CopelandResult(
        order=order,
        winners=winners,
        resolved=resolved,
        scores=(twice / 2).tolist(),
        wins=wins.tolist(),
        ties=ties.tolist(),
        losses=losses.tolist(),
    )


def schulze(
    pairwise: ArrayLike, tie_break: Sequence[int] | None = None, strength: SchulzeStrength = "margin"
) -> SchulzeResult:
    """Schulze (beat-path): ``a`` is above ``b`` when the strongest path a->b beats the strongest b->a.

    A link a->b exists when a majority prefers a to b; its strength is the margin (``"margin"``) or
    the support ``P[a, b]`` (``"winning_votes"``); a path is as strong as its weakest link. Strongest
    paths by Floyd-Warshall, one vectorised max-min update per intermediate proposal. Schulze proved
    the resulting relation transitive, so the tiers are well defined: the unbeaten first, and so on.
    """
    if strength not in ("margin", "winning_votes"):
        raise HubError(Code.BAD_VOTE_DEFINITION, f"unknown Schulze strength {strength!r}")
    p = _square(pairwise)
    m = p.shape[0]
    margin = p - p.T
    paths = np.where(margin > 0, margin if strength == "margin" else p, 0)
    for k in range(m):
        # Row and column k do not change during step k, so updating in place is exact.
        np.maximum(paths, np.minimum(paths[:, k : k + 1], paths[k : k + 1, :]), out=paths)
    np.fill_diagonal(paths, 0)
    tiers = _layers(paths > paths.T, _tie_rank(tie_break, m))
    order, winners, resolved = _result_parts(tiers)
    return SchulzeResult(
        order=order, winners=winners, resolved=resolved, strength=strength, paths=paths.tolist()
    )


class _Closure:
    """A growing strict order on m items, kept transitively closed as Python-int bitsets.

    ``below[x]``: bit y set when x is locked above y; ``above[y]`` the converse. Locking a->b is
    refused when b is already above a (it would close a cycle). Bitsets keep the per-pair check O(1)
    and the update O(m) word operations, so locking all m(m-1)/2 pairs of 100 proposals stays within
    milliseconds.
    """

    def __init__(self, m: int) -> None:
        self.below = [0] * m
        self.above = [0] * m

    def lock(self, a: int, b: int) -> bool:
        if self.below[b] >> a & 1:
            return False
        if not self.below[a] >> b & 1:
            down = self.below[b] | (1 << b)
            up = self.above[a] | (1 << a)
            for x in _bits(up):
                self.below[x] |= down
            for y in _bits(down):
                self.above[y] |= up
        return True


def _bits(mask: int) -> list[int]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def _certain_locks(m: int, taken: Sequence[tuple[int, int, int]]) -> list[int]:
    """``above[x]`` (bitset): the proposals locked above ``x`` by ranked pairs under *every*
    tie-break order, closed transitively. ``taken``: the positive-margin pairs (winner, loser,
    margin), largest margin first.

    Why not just the locks made: among pairs of equal margin the tie-break sets which comes first,
    so when they form a cycle it is the tie-break that picks the pair skipped, and the order those
    locks give is its decision, not the margins'. Trying every order is exponential; instead each
    pair is sorted into one of three, soundly: *surely skipped* (what is surely locked already puts
    its loser above its winner), *surely locked* (no chain of the pairs that may be locked, of this
    margin or more, leads from its loser back to its winner: nothing can ever block it), or
    undecided. The surely locked pairs are locked in every order, hence in ours, so their layers are
    consistent with ``resolved``. With no equal margins every pair is sure, and this is exactly the
    locking itself.
    """
    sure = _Closure(m)
    possible = [0] * m  # possible[x]: bitset of y with a pair x>y that may be locked
    all_sure = True  # no pair so far was undecided: the possible pairs are exactly the sure ones
    i = 0
    while i < len(taken):
        j = i
        while j < len(taken) and taken[j][2] == taken[i][2]:
            j += 1
        group = taken[i:j]
        if all_sure and len(group) == 1:
            # A margin of its own after only sure locks: the lock is decided as it is made (a path
            # back would be a sure lock above, which the closure already shows). No search needed.
            a, b, _ = group[0]
            if not sure.below[b] >> a & 1:
                possible[a] |= 1 << b
                sure.lock(a, b)
            i = j
            continue
        before = list(sure.below)  # what was surely locked before this margin
        kept = [(a, b) for a, b, _ in group if not before[b] >> a & 1]
        for a, b in kept:
            possible[a] |= 1 << b
        if all_sure and len(kept) <= 8:  # before this margin only sure pairs: search their closure
            decided = [(a, b) for a, b in kept if not _reaches_closed(before, kept, b, a, skip=(a, b))]
        else:
            decided = [(a, b) for a, b in kept if not _reaches(possible, b, a, skip=(a, b))]
        all_sure = all_sure and len(decided) == len(kept)
        for a, b in decided:
            sure.lock(a, b)
        i = j
    return list(sure.above)


def _reaches_closed(
    below: list[int], extra: list[tuple[int, int]], start: int, goal: int, skip: tuple[int, int]
) -> bool:
    """:func:`_reaches` over a transitively closed relation (``below``) plus a few ``extra`` pairs:
    grow the set reached from ``start`` through the closure and the extra pairs until it is stable."""
    reached = below[start] | (1 << start)
    grown = True
    while grown:
        grown = False
        for c, d in extra:
            if (c, d) != skip and reached >> c & 1 and not reached >> d & 1:
                reached |= below[d] | (1 << d)
                grown = True
    return bool(reached >> goal & 1)


def _reaches(edges: list[int], start: int, goal: int, skip: tuple[int, int]) -> bool:
    """Whether a path of ``edges`` (bitsets) leads from ``start`` to ``goal`` without the edge ``skip``."""
    seen = 1 << start
    todo = [start]
    while todo:
        x = todo.pop()
        out = edges[x]
        if x == skip[0]:
            out &= ~(1 << skip[1])
        if out >> goal & 1:
            return True
        fresh = out & ~seen
        seen |= fresh
        todo.extend(_bits(fresh))
    return False


def ranked_pairs(pairwise: ArrayLike, tie_break: Sequence[int] | None = None) -> RankedPairsResult:
    """Ranked pairs (Tideman) with a fixed tie-break order, never enumerating tie-breaking orders.

    Pairs with a positive margin are locked largest margin first, skipping any that would close a
    cycle with those already locked. Equal margins: the pair whose winner is earlier in the tie-break
    order goes first, then the one whose loser is earlier. Then each zero-margin pair is locked, in
    that same order, in the direction the tie-break favours, unless already decided. This is
    pref_voting's ``ranked_pairs_tb`` (Zavist-Tideman style): ``resolved`` is the resulting strict
    order and ``resolved[0]`` its winner.

    ``order`` shows what the margins alone decided: the layers (first the proposals nothing is
    locked above, and so on; members in ``resolved`` order) of the pairs locked *whatever the
    tie-break*, see :func:`_certain_locks`. Where equal margins form a cycle, which pair is skipped
    is the tie-break's choice, so those proposals share a tier: the tie-break's strict answer is
    ``resolved``, shown beside it. ``resolved[0]`` is always in ``winners`` (and so is every winner
    of pref_voting's ``ranked_pairs``, which tries every tie-break); unlike the other methods
    ``resolved`` is not always the tiers concatenated: settling a zero margin can put a proposal
    above one of a higher tier.
    """
    p = _square(pairwise)
    m = p.shape[0]
    rank = _tie_rank(tie_break, m)
    margin = p - p.T
    closure = _Closure(m)
    pairs: list[LockedPair] = []

    win, lose = np.nonzero(margin > 0)
    sizes = margin[win, lose]
    values, seen = np.unique(sizes, return_counts=True)
    shared = set(values[seen > 1].tolist())
    taken = np.lexsort((rank[lose], rank[win], -sizes)).tolist()
    for i in taken:
        a, b, size = int(win[i]), int(lose[i]), int(sizes[i])
        locked = closure.lock(a, b)
        pairs.append(LockedPair(winner=a, loser=b, margin=size, locked=locked, by_tie_break=size in shared))
    beaten_by = _certain_locks(m, [(int(win[i]), int(lose[i]), int(sizes[i])) for i in taken])

    win, lose = np.nonzero((margin == 0) & (rank[:, None] < rank[None, :]))
    for i in np.lexsort((rank[lose], rank[win])).tolist():
        a, b = int(win[i]), int(lose[i])
        pairs.append(LockedPair(winner=a, loser=b, margin=0, locked=closure.lock(a, b), by_tie_break=True))

    # Every pair is now decided: the proposal locked above k others is at place m-1-k.
    resolved = sorted(range(m), key=lambda x: -closure.below[x].bit_count())
    tiers: Tiers = []
    left = (1 << m) - 1
    while left:
        tier = [x for x in resolved if left >> x & 1 and not beaten_by[x] & left]
        tiers.append(tier)
        for x in tier:
            left &= ~(1 << x)
    return RankedPairsResult(order=tiers, winners=list(tiers[0]), resolved=resolved, pairs=pairs)


# -- instant runoff on the ballots ----------------------------------------------------------------


def instant_runoff(ballots: Ballots, tie_break: Sequence[int] | None = None) -> InstantRunoffResult:
    """Instant runoff, one elimination per round, every round recorded.

    Each ballot counts for its highest-ranked proposal still in the count; the proposal with fewest
    such ballots is eliminated (several tied: the one last in the tie-break order) and its ballots
    move on to their next choice still in, or become exhausted. Repeat until one proposal is left: it
    wins. Order: the winner, then the others from last eliminated to first (each a tier of its own;
    ``IrvRound.by_tie_break`` marks places the tie-break decided).

    Vectorised: a round rescans only the rows of the ballots that move (those whose top choice was
    just eliminated), all of them in one array pass: every proposal a ballot ranks above its current
    top is already out, so its next choice is simply its first proposal still in.
    """
    m = ballots.n_proposals
    rank = _tie_rank(tie_break, m)
    ranks = ballots.rankings.astype(np.intp)  # native index width: fancy indexing with it is faster
    weights = ballots.weights
    n, width = ranks.shape
    top = ranks[:, 0].copy() if width else np.full(n, -1, dtype=np.intp)
    out = np.zeros(m + 1, dtype=bool)  # out[-1] (index m) stays True: the -1 padding is never "in"
    out[m] = True
    counts = np.zeros(m, dtype=np.int64)
    live = top >= 0
    np.add.at(counts, top[live], weights[live])
    exhausted = int(weights[~live].sum())

    rounds: list[IrvRound] = []
    eliminated: list[int] = []
    majority_round: int | None = None
    while True:
        remaining = np.flatnonzero(~out[:m])
        now = counts[remaining]
        if majority_round is None and 2 * int(now.max()) > int(now.sum()):
            majority_round = len(rounds)
        if remaining.size == 1:
            rounds.append(
                IrvRound(
                    remaining=remaining.tolist(),
                    counts=now.tolist(),
                    exhausted=exhausted,
                    lowest=[],
                    eliminated=None,
                    by_tie_break=False,
                )
            )
            break
        lowest = remaining[now == now.min()]
        lowest = lowest[np.argsort(rank[lowest], kind="stable")]
        loser = int(lowest[-1])
        rounds.append(
            IrvRound(
                remaining=remaining.tolist(),
                counts=now.tolist(),
                exhausted=exhausted,
                lowest=lowest.tolist(),
                eliminated=loser,
                by_tie_break=lowest.size > 1,
            )
        )
        eliminated.append(loser)
        out[loser] = True
        counts[loser] = 0
        moving = np.flatnonzero(top == loser)
        if moving.size:
            alive = ~out[ranks[moving]]
            has_next = alive.any(axis=1)
            gone, stay = moving[~has_next], moving[has_next]
            exhausted += int(weights[gone].sum())
            top[gone] = -1
            dest = ranks[stay, alive[has_next].argmax(axis=1)]
            top[stay] = dest
            np.add.at(counts, dest, weights[stay])

    winner = int(remaining[0])
    tiers: Tiers = [[winner], *([e] for e in reversed(eliminated))]
    order, winners, resolved = _result_parts(tiers)
    return InstantRunoffResult(
        order=order, winners=winners, resolved=resolved, rounds=rounds, majority_round=majority_round
    )


# -- everything at once ---------------------------------------------------------------------------


def tally_all(
    ballots: Ballots,
    proposals: Sequence[str] | None = None,
    tie_break: Sequence[int] | None = None,
    schulze_strength: SchulzeStrength = "margin",
) -> TallyResult:
    """Every method on one vote, from one pairwise matrix, as one Struct ready for the wire.

    ``proposals``: the ids of indices ``0..m-1`` (default ``"0".."m-1"``); ``tie_break``: indices,
    first wins ties (default: index order). Raises ``HubError(BAD_VOTE_DEFINITION)`` when either
    does not match the ballots' proposal count.
    """
    m = ballots.n_proposals
    ids = [str(i) for i in range(m)] if proposals is None else list(proposals)
    if len(ids) != m:
        raise HubError(Code.BAD_VOTE_DEFINITION, f"{len(ids)} proposal ids for {m} proposals")
    rank = _tie_rank(tie_break, m)
    order = np.argsort(rank).tolist()
    p = pairwise_matrix(ballots)
    return TallyResult(
        proposals=ids,
        n_voters=ballots.n_voters,
        tie_break=order,
        pairwise=p.tolist(),
        borda=borda(p, order),
        copeland=copeland(p, order),
        schulze=schulze(p, order, schulze_strength),
        ranked_pairs=ranked_pairs(p, order),
        instant_runoff=instant_runoff(ballots, order),
    )
