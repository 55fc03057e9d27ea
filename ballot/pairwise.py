"""The ballot array every tally reads, and its pairwise matrix.

Theory of operation: a plenary vote's ballots arrive as lists of proposal ids (rank-your-top-k, so
lengths differ). They are packed once into one integer array, ``rankings[v, i]`` = the index of the
proposal voter ``v`` put at position ``i``, padded with ``-1`` after the last ranked proposal.
Identical ballots may be folded into one row with a ``weight``. Every method in ``ballot.tally`` reads
this array (instant runoff) or the pairwise matrix built from it (all the others), so the rule for
truncated ballots is decided here, once:

    a voter prefers ``a`` to ``b`` when ``a`` is ranked and ``b`` is not, or both are ranked and ``a``
    comes first; two proposals the voter left unranked are tied for that voter (no preference).

This is pref_voting's *extended strict preference*
(``ProfileWithTies.use_extended_strict_preference()``), not its default, under which an unranked
proposal is never beaten.

Pure functions, no I/O: the store reads the ballots out of Redis and hands them here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.errors import Code, HubError

__all__ = ["Ballots", "ballots_from_array", "ballots_from_ids", "pairwise_matrix"]

# Bytes of the boolean temporary (rows x m x m) one step of the pairwise count may use: the count
# walks the ballots in chunks of this size, so memory stays flat whatever the number of ballots.
_CHUNK_BYTES = 32 * 2**20
# Indices and positions are stored as int16.
_MAX_PROPOSALS = 10_000


@dataclass(frozen=True, slots=True)
class Ballots:
    """Validated ballots of one vote. Build it with :func:`ballots_from_ids` or :func:`ballots_from_array`.

    ``rankings``: int16 array (n_rows, max_len) of proposal indices ``0..n_proposals-1``, each row
    padded with ``-1`` after its last ranked proposal (never before). ``weights``: int64 array
    (n_rows,), the number of voters who cast that row (1 unless identical ballots were folded).
    The arrays are read-only: a tally can never alter the ballots it reports on.
    """

    rankings: NDArray[np.int16]
    weights: NDArray[np.int64]
    n_proposals: int

    @property
    def n_voters(self) -> int:
        """Voters counted (the sum of the weights), including those who ranked nothing."""
        return int(self.weights.sum())


def ballots_from_array(rankings: ArrayLike, n_proposals: int, weights: ArrayLike | None = None) -> Ballots:
    """Check a padded ranking array and freeze it into :class:`Ballots`.

    Raises ``HubError``: ``BAD_VOTE_DEFINITION`` unless 1-10,000 proposals, ``UNKNOWN_PROPOSAL``
    for an index outside ``-1..n_proposals-1``, ``REPEATED_PROPOSAL`` when a row names a proposal
    twice, ``BAD_FIELD`` for a malformed array (not 2-D, a proposal after the ``-1`` padding, weights
    of the wrong shape or negative). Validation is vectorised: no Python loop over ballots.
    """
    if not 1 <= n_proposals <= _MAX_PROPOSALS:
        raise HubError(Code.BAD_VOTE_DEFINITION, f"a vote needs 1 to {_MAX_PROPOSALS} proposals")
    arr = np.asarray(rankings)
    if arr.ndim == 1 and arr.size == 0:  # no ballots at all, e.g. ``[]``
        arr = arr.reshape(0, 0)
    if arr.ndim != 2:
        raise HubError(Code.BAD_FIELD, f"rankings must be a 2-D array, got {arr.ndim}-D")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise HubError(Code.BAD_FIELD, "rankings must hold integer proposal indices")
    if arr.size and (arr.min() < -1 or arr.max() >= n_proposals):
        raise HubError(Code.UNKNOWN_PROPOSAL, f"a proposal index is outside 0..{n_proposals - 1}")
    packed = arr.astype(np.int16)
    ranked = packed >= 0
    if np.any(ranked[:, 1:] & ~ranked[:, :-1]):
        raise HubError(Code.BAD_FIELD, "a ballot ranks a proposal after its -1 padding")
    # Drop padding columns no ballot uses: every pass over the array gets shorter.
    width = int(ranked.sum(axis=1).max(initial=0))
    packed = np.ascontiguousarray(packed[:, :width])
    if packed.shape[1] > 1:
        srt = np.sort(packed, axis=1)
        if np.any((srt[:, 1:] == srt[:, :-1]) & (srt[:, 1:] >= 0)):
            raise HubError(Code.REPEATED_PROPOSAL, "a ballot ranks the same proposal twice")
    if weights is None:
        w = np.ones(packed.shape[0], dtype=np.int64)
    else:
        w_in = np.asarray(weights)
        if w_in.shape != (packed.shape[0],) or (w_in.size and not np.issubdtype(w_in.dtype, np.integer)):
            raise HubError(Code.BAD_FIELD, "weights must be one integer per ballot row")
        w = w_in.astype(np.int64, copy=True)
        if w.size and w.min() < 0:
            raise HubError(Code.BAD_FIELD, "weights cannot be negative")
    packed.setflags(write=False)
    w.setflags(write=False)
    return Ballots(rankings=packed, weights=w, n_proposals=int(n_proposals))


def ballots_from_ids(
    rankings: Sequence[Sequence[str]],
    proposals: Sequence[str],
    weights: Sequence[int] | None = None,
) -> Ballots:
    """Pack ballots given as lists of proposal ids, best first, against the vote's ordered proposal ids.

    ``proposals`` fixes the index of every proposal (index ``i`` is ``proposals[i]``), and so the rows
    and columns of the pairwise matrix. Raises ``VoteError``: ``BAD_VOTE_DEFINITION`` for an empty or
    repeated proposal list, ``UNKNOWN_PROPOSAL`` for an id not in it, ``REPEATED_PROPOSAL``,
    ``RANKING_TOO_LONG`` for a ranking longer than the proposal list.
    """
    index = {pid: i for i, pid in enumerate(proposals)}
    if len(index) != len(proposals):
        raise HubError(Code.BAD_VOTE_DEFINITION, "proposal ids must be distinct")
    m = len(proposals)
    width = max((len(r) for r in rankings), default=0)
    if width > m:
        raise HubError(Code.RANKING_TOO_LONG, f"a ballot ranks {width} of {m} proposals")
    lengths = np.fromiter(map(len, rankings), dtype=np.int64, count=len(rankings))
    # Looking ids up is the one per-ballot Python step (the input is Python lists): one flat pass,
    # then a single masked store fills the padded array.
    try:
        flat = [index[pid] for ranking in rankings for pid in ranking]
    except KeyError as exc:
        raise HubError(Code.UNKNOWN_PROPOSAL, f"unknown proposal {exc.args[0]!r}") from None
    arr = np.full((len(rankings), width), -1, dtype=np.int16)
    arr[np.arange(width)[None, :] < lengths[:, None]] = flat
    return ballots_from_array(arr, m, weights)


def _positions(b: Ballots) -> NDArray[np.int16]:
    """``pos[v, p]`` = position of proposal ``p`` on ballot ``v``; ``max_len`` (after every rank) if unranked.

    Giving every unranked proposal the same position past the end encodes the truncation rule: it
    loses to every ranked proposal and ties with the other unranked ones.
    """
    n, width = b.rankings.shape
    m = b.n_proposals
    pos = np.full((n, m + 1), width, dtype=np.int16)  # column m swallows the -1 padding
    cols = np.where(b.rankings < 0, m, b.rankings)
    pos[np.arange(n)[:, None], cols] = np.arange(width, dtype=np.int16)[None, :]
    return pos[:, :m]


def pairwise_matrix(b: Ballots) -> NDArray[np.int64]:
    """``P[a, b]`` = number of voters who prefer proposal ``a`` to proposal ``b``; ``P[a, a] = 0``.

    Truncation rule (see the module docstring): every ranked proposal beats every unranked one,
    unranked proposals are tied with each other. So ``P[a, b] + P[b, a]`` is the number of voters
    who ranked at least one of the two, and ``P[a, b] - P[b, a]`` is the margin.

    Vectorised: one comparison of position arrays per chunk of ballots, counted with
    ``np.count_nonzero``; weights are applied per distinct weight value (exact integers, no float
    rounding), so folded ballots cost one pass per distinct weight, not per voter.
    """
    m = b.n_proposals
    out = np.zeros((m, m), dtype=np.int64)
    if b.rankings.shape[0] == 0 or b.rankings.shape[1] == 0:
        return out
    pos = _positions(b)
    weights = b.weights
    distinct = np.unique(weights)
    step = max(1, _CHUNK_BYTES // (m * m))
    for weight in distinct:
        if weight == 0:
            continue
        rows = pos if distinct.size == 1 else pos[weights == weight]
        counts = np.zeros((m, m), dtype=np.int64)
        for start in range(0, rows.shape[0], step):
            chunk = rows[start : start + step]
            counts += np.count_nonzero(chunk[:, :, None] < chunk[:, None, :], axis=0)
        out += int(weight) * counts
    return out
