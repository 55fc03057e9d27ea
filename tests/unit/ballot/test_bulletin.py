"""The bulletin board: how it is built, and that verification finds every single-entry tampering."""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballot.bulletin import (
    BulletinEntry,
    Fault,
    build_board,
    entry_hash,
    find_entry,
    head_hash,
    verify_board,
)
from ballot.model import BallotRule, Proposal, VoteDefinition, definition_hash
from ballot.receipts import tracking_code
from engine.errors import Code, VoteError
from tests.examples import examples

replace = msgspec.structs.replace


def make_defn(n: int = 5, **kw: Any) -> VoteDefinition:
    ids = tuple(f"p{i}" for i in range(n))
    fields: dict[str, Any] = {
        "vote_id": "plenary-1",
        "title": "서울시 우선 과제",
        "proposals": tuple(Proposal(id=i, title=f"제안 {i}") for i in ids),
        "rule": BallotRule(kind="rank_all", minimum=1),
        "method": "schulze",
        "tie_break": ids,
    }
    fields.update(kw)
    return VoteDefinition(**fields)


DEFN = make_defn()


def salt(i: int) -> str:
    # Deterministic salts keep hypothesis examples reproducible; production salts come from secrets.
    return hashlib.sha256(f"salt-{i}".encode()).hexdigest()[:32]


def ballots_for(defn: VoteDefinition, rankings: list[tuple[str, ...]]) -> list[tuple[str, tuple[str, ...]]]:
    return [(tracking_code(defn.vote_id, r, salt(i)), r) for i, r in enumerate(rankings)]


def board_of(rankings: list[tuple[str, ...]], defn: VoteDefinition = DEFN) -> tuple[BulletinEntry, ...]:
    return build_board(defn, ballots_for(defn, rankings))


RANKINGS = [("p0", "p1"), ("p2",), ("p4", "p3", "p2", "p1", "p0"), ("p0", "p1"), ("p1", "p3"), ("p3",)]


def forge(
    seq: int, prev_hash: str, ranking: tuple[str, ...] = ("p2", "p0"), code: str | None = None
) -> BulletinEntry:
    """A well-formed entry that was never counted, hashed correctly over whatever prev it claims."""
    code = code or tracking_code(DEFN.vote_id, ranking, salt(10_000 + seq))
    digest = entry_hash(seq=seq, tracking_code=code, ranking=ranking, prev_hash=prev_hash)
    return BulletinEntry(seq=seq, tracking_code=code, ranking=ranking, prev_hash=prev_hash, hash=digest)


def chain(entries: list[tuple[str, tuple[str, ...]]], defn: VoteDefinition = DEFN) -> list[BulletinEntry]:
    """Hash entries in the order given, valid or not: a board built by someone else's code."""
    out: list[BulletinEntry] = []
    prev = definition_hash(defn)
    for seq, (code, ranking) in enumerate(entries):
        out.append(forge(seq, prev, ranking, code))
        prev = out[-1].hash
    return out


# --------------------------------------------------------------------------------------------------
# building


def test_the_board_is_sorted_by_tracking_code_and_chained_from_the_definition():
    board = board_of(RANKINGS)
    assert [e.seq for e in board] == list(range(len(RANKINGS)))
    assert [e.tracking_code for e in board] == sorted(e.tracking_code for e in board)
    assert board[0].prev_hash == definition_hash(DEFN)
    for before, after in itertools.pairwise(board):
        assert after.prev_hash == before.hash
    assert head_hash(DEFN, board) == board[-1].hash
    assert sorted(e.ranking for e in board) == sorted(RANKINGS)


def test_the_entry_hash_is_the_documented_recipe():
    e = board_of(RANKINGS)[0]
    body = json.dumps(
        {
            "seq": e.seq,
            "tracking_code": e.tracking_code,
            "ranking": list(e.ranking),
            "prev_hash": e.prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    assert e.hash == hashlib.sha256(e.prev_hash.encode() + body.encode()).hexdigest()


def test_the_board_does_not_depend_on_the_order_ballots_arrive_in():
    ballots = ballots_for(DEFN, RANKINGS)
    shuffled = list(ballots)
    random.Random(7).shuffle(shuffled)
    assert build_board(DEFN, shuffled) == build_board(DEFN, ballots)


def test_an_empty_board_has_the_definition_hash_as_its_head():
    assert build_board(DEFN, []) == ()
    assert head_hash(DEFN, ()) == definition_hash(DEFN)
    assert verify_board(DEFN, (), expected_head=definition_hash(DEFN)).ok


def test_building_refuses_what_the_store_must_never_let_through():
    ballots = ballots_for(DEFN, RANKINGS)
    with pytest.raises(ValueError, match="twice"):
        build_board(DEFN, [*ballots, ballots[0]])
    with pytest.raises(ValueError, match="not a tracking code"):
        build_board(DEFN, [("nope", ("p0",))])
    with pytest.raises(VoteError) as exc:
        build_board(DEFN, [(ballots[0][0], ("p0", "p9"))])
    assert exc.value.code is Code.UNKNOWN_PROPOSAL


def test_a_panelist_finds_their_ballot_by_the_code_as_typed():
    board = board_of(RANKINGS)
    for e in board:
        assert find_entry(board, e.tracking_code.lower().replace("-", " ")) == e
    assert find_entry(board, "0000-0000-0000-0000") is None
    assert find_entry(board, "not a code") is None


# --------------------------------------------------------------------------------------------------
# verifying: named cases


def check(
    entries: Any, defn: VoteDefinition = DEFN, head: str | None = None
) -> tuple[int | None, Fault | None]:
    result = verify_board(defn, list(entries), expected_head=head)
    assert result.ok is (result.fault is None)
    return result.index, result.fault


BOARD = board_of(RANKINGS)
HEAD = BOARD[-1].hash


def test_an_untouched_board_verifies():
    result = verify_board(DEFN, BOARD, expected_head=HEAD)
    assert result.ok and result.head_hash == HEAD


def test_a_changed_ranking_is_found():
    board = list(BOARD)
    board[2] = replace(board[2], ranking=("p0",))
    assert check(board, head=HEAD) == (2, Fault.CHANGED)


def test_a_changed_and_rehashed_entry_is_found_by_the_next_link():
    board = list(BOARD)
    board[2] = forge(2, board[1].hash, ("p0",), board[2].tracking_code)
    assert check(board, head=HEAD) == (2, Fault.CHANGED)


def test_swapped_entries_are_found():
    board = list(BOARD)
    board[1], board[4] = board[4], board[1]
    assert check(board, head=HEAD) == (1, Fault.REORDERED)


def test_a_removed_entry_is_found():
    board = list(BOARD)
    del board[3]
    assert check(board, head=HEAD) == (3, Fault.REMOVED)


def test_a_removed_last_entry_is_found_only_through_the_published_head():
    board = list(BOARD[:-1])
    assert check(board) == (None, None)
    assert check(board, head=HEAD) == (len(board), Fault.HEAD)


def test_an_inserted_entry_is_found():
    board = list(BOARD)
    board.insert(3, forge(3, board[2].hash))
    assert check(board, head=HEAD) == (3, Fault.INSERTED)


def test_a_copied_entry_is_found():
    board = list(BOARD)
    board.insert(4, board[1])
    assert check(board, head=HEAD) == (4, Fault.DUPLICATE)


def test_a_board_of_another_definition_is_found():
    assert check(BOARD, defn=make_defn(title="다른 투표"), head=HEAD) == (0, Fault.GENESIS)


def test_a_consistent_chain_out_of_code_order_is_found():
    ballots = sorted(ballots_for(DEFN, RANKINGS))
    ballots[2], ballots[3] = ballots[3], ballots[2]
    assert check(chain(ballots)) == (3, Fault.REORDERED)


def test_a_consistent_chain_listing_a_code_twice_is_found():
    ballots = sorted(ballots_for(DEFN, RANKINGS))
    ballots.insert(3, (ballots[2][0], ("p4",)))
    assert check(chain(ballots)) == (3, Fault.DUPLICATE)


@pytest.mark.parametrize(
    "ranking,code", [(("p0", "p0"), None), (("p9",), None), ((), None), (("p0",), "ABCD")], ids=str
)
def test_a_consistent_chain_with_an_invalid_entry_is_found(ranking: tuple[str, ...], code: str | None):
    ballots = sorted(ballots_for(DEFN, RANKINGS))
    ballots[4] = (code or ballots[4][0], ranking)
    assert check(chain(ballots)) == (4, Fault.INVALID)


# --------------------------------------------------------------------------------------------------
# verifying: every single-entry tampering, on random boards

rankings_strategy = st.lists(
    st.permutations([f"p{i}" for i in range(5)]).flatmap(
        lambda p: st.integers(1, 5).map(lambda k: tuple(p[:k]))
    ),
    min_size=1,
    max_size=12,
)


@given(rankings_strategy)
def test_every_built_board_verifies(rankings: list[tuple[str, ...]]):
    board = board_of(rankings)
    assert verify_board(DEFN, board, expected_head=head_hash(DEFN, board)).ok


@settings(max_examples=examples(300))
@given(rankings_strategy, st.data())
def test_every_single_entry_tampering_is_found_where_it_happened(
    rankings: list[tuple[str, ...]], data: st.DataObject
):
    board = list(board_of(rankings))
    head, n = board[-1].hash, len(board)
    i = data.draw(st.integers(0, n - 1), label="entry")
    other = data.draw(st.sampled_from([("p0",), ("p1", "p2"), ("p4", "p3")]), label="other ranking")
    kind = data.draw(
        st.sampled_from(["change", "change+rehash", "swap", "remove", "insert", "insert-unlinked", "copy"]),
        label="tampering",
    )
    if kind == "change":
        if board[i].ranking == other:
            other = ("p2",)
        board[i] = replace(board[i], ranking=other)
        expected: set[tuple[int, Fault]] = {(i, Fault.CHANGED)}
    elif kind == "change+rehash":
        if board[i].ranking == other:
            other = ("p2",)
        board[i] = forge(i, board[i].prev_hash, other, board[i].tracking_code)
        expected = {(i, Fault.CHANGED)} if i < n - 1 else {(n, Fault.HEAD)}
    elif kind == "swap":
        if n < 2:
            return
        j = data.draw(st.integers(0, n - 1).filter(lambda j: j != i), label="other entry")
        board[i], board[j] = board[j], board[i]
        expected = {(min(i, j), Fault.REORDERED)}
    elif kind == "remove":
        del board[i]
        expected = {(i, Fault.REMOVED)} if i < n - 1 else {(n - 1, Fault.HEAD)}
    elif kind == "insert":
        at = data.draw(st.integers(0, n), label="insert at")
        prev = board[at - 1].hash if at else definition_hash(DEFN)
        board.insert(at, forge(at, prev, other))
        # Appended at the end, it can only be out of code order or past the published head.
        expected = {(at, Fault.INSERTED)} if at < n else {(n, Fault.REORDERED), (n + 1, Fault.HEAD)}
    elif kind == "insert-unlinked":
        at = data.draw(st.integers(0, n - 1), label="insert at")
        board.insert(at, forge(at, hashlib.sha256(b"nowhere").hexdigest(), other))
        expected = {(at, Fault.INSERTED)}
    else:  # copy entry i to another place
        at = data.draw(st.integers(0, n), label="copy to")
        board.insert(at, board[i])
        # Placed after its original (right before it is the same list), the copy is a duplicate; placed
        # further before it, an entry out of place.
        expected = {(max(at, i + 1), Fault.DUPLICATE)} if at >= i else {(at, Fault.REORDERED)}
    assert check(board, head=head) in expected
