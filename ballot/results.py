"""What a published vote shows of its results, beyond the export itself.

The results are stored once, at publication (``VoteStore.publish``: the tally as
``msgspec.to_builtins`` of a :class:`~ballot.tally.TallyResult`, and the board's head hash). This
module is the rule of how they are put before people, and nothing of them shows before
publication (only a published vote has them): beside the vote in ``vote.get`` (:func:`summary`), on
the public results page (:func:`public`) and on the stream overlay (:func:`on_air`). The export
itself and its files are ``ballot/export.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from ballot.export import VoteExport
from ballot.model import VoteDefinition
from ballot.tally import published_tiers, tiers_to_ids


def on_air(defn: VoteDefinition, results: Mapping[str, Any], head_hash: str) -> dict[str, Any]:
    """A published vote as the stream overlay shows it (``overlay.show`` with a vote): the official
    order of ``defn.method`` as tiers of proposal titles (ties shown as ties, ``tied`` when there is
    one), the tie-break's strict order beside it (``resolved``), the number of voters, and the head
    hash. The head hash goes on air so that it is published somewhere the operator does not control
    (docs/voting.md): anyone can later check the board they are shown against it.

    A proposal id with no title in ``defn`` is shown as its id.
    """
    titles = {p.id: p.title for p in defn.proposals}
    tiers = published_tiers(results, defn.method)
    strict = (results.get(defn.method) or {}).get("resolved") or []
    resolved = [titles.get(pid, pid) for pid in tiers_to_ids([strict], results.get("proposals") or [])[0]]
    return {
        "id": defn.vote_id,
        "title": defn.title,
        "method": defn.method,
        "ranking": [[titles.get(pid, pid) for pid in tier] for tier in tiers],
        "tied": any(len(tier) > 1 for tier in tiers),
        "resolved": resolved,
        "n_voters": results.get("n_voters"),
        "head_hash": head_hash,
    }


def summary(exp: VoteExport) -> dict[str, Any]:
    """What ``vote.get`` shows of a published vote beside its definition and status: the results as
    published, the board's head hash and how many ballots were counted (the board's entries)."""
    return {"results": exp.results, "head_hash": exp.head_hash, "counted": len(exp.entries)}


def public(exp: VoteExport) -> dict[str, Any]:
    """A published vote's results for anyone (``GET /api/votes/<vote>/results``, the results
    page): the vote, its method and proposals, how many ballots were counted, the head hash and the
    results. No ballot and no identity: the board, with its tracking codes, is a file of its own.
    ``shown_methods``: the methods the host chose to show beside the official one (the page's
    side-by-side orders; every method's result is in ``results`` and the export either way)."""
    return {
        "vote": exp.definition.vote_id,
        "title": exp.definition.title,
        "method": exp.definition.method,
        "shown_methods": list(exp.definition.shown_methods),
        "proposals": msgspec.to_builtins(exp.definition.proposals),
        "counted": len(exp.entries),
        "head_hash": exp.head_hash,
        "results": exp.results,
    }
