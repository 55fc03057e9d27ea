"""What a published vote shows (``ballot.results``: in vote.get, on the public page, on the
overlay), from a real tally stored the way ``VoteStore.publish`` stores it. No Redis."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from ballot.bulletin import build_board
from ballot.export import decode_export, export_json
from ballot.model import BallotRule, Proposal, VoteDefinition
from ballot.receipts import issue_receipt
from ballot.results import on_air, public, summary
from ballot.store import tally

HEAD = "ab" * 32


def defn(method: str = "schulze", n: int = 4) -> VoteDefinition:
    ids = tuple(f"P{i}" for i in range(n))
    return VoteDefinition(
        vote_id="plenary-1",
        title="우선 과제",
        proposals=tuple(Proposal(id=i, title=f"제안 {i[1:]}") for i in ids),
        rule=BallotRule(kind="rank_all"),
        method=method,  # type: ignore[arg-type]
        tie_break=ids,
    )


def stored(d: VoteDefinition, rankings: list[tuple[str, ...]]) -> Any:
    return msgspec.to_builtins(tally(d, rankings))


def test_a_tie_is_shown_as_a_tie_beside_the_tie_breaks_order() -> None:
    d = defn()
    # P0 and P1 tie 1:1, both beat P2 and P3 (unranked, a tie of their own)
    shown = on_air(d, stored(d, [("P0", "P1", "P2"), ("P1", "P0", "P2")]), HEAD)
    assert shown == {
        "id": "plenary-1",
        "title": "우선 과제",
        "method": "schulze",
        "ranking": [["제안 0", "제안 1"], ["제안 2"], ["제안 3"]],
        "tied": True,
        "resolved": ["제안 0", "제안 1", "제안 2", "제안 3"],
        "n_voters": 2,
        "head_hash": HEAD,
    }


@pytest.mark.parametrize("method", ["schulze", "ranked_pairs", "borda", "copeland", "instant_runoff"])
def test_a_unanimous_order_has_no_tie_under_every_method(method: str) -> None:
    d = defn(method)
    shown = on_air(d, stored(d, [("P3", "P2", "P1", "P0")] * 3), HEAD)
    assert shown["ranking"][0] == ["제안 3"] and shown["resolved"][0] == "제안 3"
    assert [t for tier in shown["ranking"] for t in tier] == shown["resolved"]  # no tie: the same order
    if method != "instant_runoff":  # the runoff orders the rest by elimination, not by preference
        assert shown["resolved"] == ["제안 3", "제안 2", "제안 1", "제안 0"]
    assert (shown["method"], shown["tied"], shown["n_voters"]) == (method, False, 3)


def test_an_id_without_a_title_is_shown_as_its_id_and_a_missing_order_as_none() -> None:
    d = defn()
    results = stored(d, [("P0",)])
    results["proposals"][0] = "X"  # an id the definition does not know
    shown = on_air(d, results, "")
    assert "X" in shown["ranking"][0] and shown["head_hash"] == ""
    empty = on_air(d, {}, HEAD)
    assert (empty["ranking"], empty["resolved"], empty["tied"], empty["n_voters"]) == ([], [], False, None)


def published(d: VoteDefinition, rankings: list[tuple[str, ...]]) -> bytes:
    """The export ``VoteStore.publish`` stores: the board of the counted ballots and their tally."""
    board = build_board(d, [(issue_receipt(d.vote_id, r)[1], r) for r in rankings])
    return export_json(d, board, tally(d, [e.ranking for e in board]))


def test_what_vote_get_and_the_public_page_show_of_a_published_vote() -> None:
    d = defn("borda")
    exp = decode_export(
        published(d, [("P1", "P0", "P2", "P3"), ("P1", "P2", "P0", "P3"), ("P3", "P2", "P1", "P0")])
    )
    assert summary(exp) == {"results": exp.results, "head_hash": exp.head_hash, "counted": 3}
    assert exp.results["n_voters"] == 3 and len(exp.head_hash) == 64
    shown = public(exp)
    assert msgspec.json.decode(msgspec.json.encode(shown)) == {  # as the route sends it
        "vote": "plenary-1",
        "title": "우선 과제",
        "method": "borda",
        "shown_methods": [],
        "proposals": [
            {"id": f"P{i}", "title": f"제안 {i}", "description": "", "topic": ""} for i in range(4)
        ],
        "counted": 3,
        "head_hash": exp.head_hash,
        "results": exp.results,
    }
    # no ballot and no tracking code: those are the board's
    assert "entries" not in shown and all(e.tracking_code not in str(shown) for e in exp.entries)
