"""Vote exports: JSON with its verification (every changed byte is caught), CSV and PrefLib."""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballot.bulletin import BulletinEntry, Fault, build_board
from ballot.export import (
    EXPORT_FILES,
    EXPORT_FORMAT,
    Problem,
    VoteExport,
    build_export,
    bulletin_csv,
    encode_export,
    export_file,
    export_json,
    preflib,
    preflib_from_board,
    verify_export,
)
from ballot.model import BallotRule, Proposal, VoteDefinition, definition_hash
from ballot.receipts import tracking_code
from tests.examples import examples

replace = msgspec.structs.replace


def make_defn(n: int = 5, **kw: Any) -> VoteDefinition:
    ids = tuple(f"p{i}" for i in range(n))
    fields: dict[str, Any] = {
        "vote_id": "plenary-1",
        "title": '서울시 우선 과제 "2026"',
        "proposals": tuple(Proposal(id=i, title=f"제안 {i}", description="설명\n둘째 줄") for i in ids),
        "rule": BallotRule(kind="top_k", k=3, minimum=1),
        "method": "borda",
        "tie_break": ids,
        "shown_methods": ("schulze",),
    }
    fields.update(kw)
    return VoteDefinition(**fields)


def recount(defn: VoteDefinition, rankings: Sequence[tuple[str, ...]]) -> dict[str, Any]:
    """A stand-in tally: Borda-like scores with numpy values and a float, as a real tally returns."""
    ids = defn.proposal_ids
    scores = np.zeros(len(ids), dtype=np.int64)
    for ranking in rankings:
        for position, pid in enumerate(ranking):
            scores[ids.index(pid)] += len(ids) - 1 - position
    order = sorted(range(len(ids)), key=lambda i: (-int(scores[i]), defn.tie_break.index(ids[i])))
    mean = sum(len(r) for r in rankings) / len(rankings) if rankings else 0.0
    return {
        "method": defn.method,
        "ballots": np.int64(len(rankings)),
        "scores": scores,
        "order": tuple(ids[i] for i in order),
        "mean_length": mean,
    }


def salt(i: int) -> str:
    return hashlib.sha256(f"salt-{i}".encode()).hexdigest()[:32]


def board_for(defn: VoteDefinition, rankings: Sequence[tuple[str, ...]]) -> tuple[BulletinEntry, ...]:
    return build_board(defn, [(tracking_code(defn.vote_id, r, salt(i)), r) for i, r in enumerate(rankings)])


def export_of(defn: VoteDefinition, rankings: Sequence[tuple[str, ...]]) -> bytes:
    board = board_for(defn, rankings)
    return export_json(defn, board, recount(defn, [e.ranking for e in board]))


DEFN = make_defn()
RANKINGS = [("p1", "p0"), ("p1", "p0"), ("p2",), ("p0", "p1", "p3"), ("p1", "p0"), ("p4", "p3", "p2")]
DATA = export_of(DEFN, RANKINGS)


def reencode(data: bytes, **changes: Any) -> bytes:
    """Change fields and write the export canonically again: an edit that keeps the form valid."""
    return encode_export(replace(msgspec.json.decode(data, type=VoteExport), **changes))


# --------------------------------------------------------------------------------------------------
# JSON export and its verification


def test_an_untouched_export_verifies_from_bytes_and_from_a_file(tmp_path: Path):
    report = verify_export(DATA, recount)
    assert report.ok and report.problem is None
    export = msgspec.json.decode(DATA, type=VoteExport)
    assert report.head_hash == export.head_hash == export.entries[-1].hash
    assert export.format == EXPORT_FORMAT and export.definition_hash == definition_hash(DEFN)
    path = tmp_path / "plenary-1.json"
    path.write_bytes(DATA)
    assert verify_export(path, recount).ok
    assert verify_export(str(path), recount).ok
    assert verify_export(bytearray(DATA), recount).ok


def test_an_export_of_a_vote_nobody_voted_in_verifies():
    data = export_of(DEFN, [])
    report = verify_export(data, recount)
    assert report.ok and report.head_hash == definition_hash(DEFN)


def test_the_export_holds_results_as_plain_json():
    class Result(msgspec.Struct):
        winner: str
        scores: tuple[int, ...]

    board = board_for(DEFN, RANKINGS)
    export = build_export(DEFN, board, Result(winner="p1", scores=(3, 2)))
    assert export.results == {"winner": "p1", "scores": [3, 2]}
    with pytest.raises(TypeError):
        build_export(DEFN, board, [1, 2])


def test_a_missing_file_is_reported(tmp_path: Path):
    report = verify_export(tmp_path / "absent.json", recount)
    assert not report.ok and report.problem is Problem.UNREADABLE


def first_entry_with(data: bytes, ranking: tuple[str, ...]) -> int:
    export = msgspec.json.decode(data, type=VoteExport)
    return next(i for i, e in enumerate(export.entries) if e.ranking == ranking)


def test_a_changed_ballot_names_its_entry():
    export = msgspec.json.decode(DATA, type=VoteExport)
    i = first_entry_with(DATA, ("p2",))
    entries = list(export.entries)
    entries[i] = replace(entries[i], ranking=("p3",))
    report = verify_export(reencode(DATA, entries=tuple(entries)), recount)
    assert (report.problem, report.entry_index, report.board_fault) == (Problem.BOARD, i, Fault.CHANGED)


def test_a_removed_ballot_names_where_it_was():
    export = msgspec.json.decode(DATA, type=VoteExport)
    entries = list(export.entries)
    del entries[2]
    report = verify_export(reencode(DATA, entries=tuple(entries)), recount)
    assert (report.problem, report.entry_index, report.board_fault) == (Problem.BOARD, 2, Fault.REMOVED)


def test_changed_results_are_named():
    export = msgspec.json.decode(DATA, type=VoteExport)
    results = dict(export.results, order=["p0", "p1", "p2", "p3", "p4"])
    report = verify_export(reencode(DATA, results=results), recount)
    assert report.problem is Problem.RESULTS and "results['order']" in report.detail


def test_a_changed_definition_is_caught_by_its_hash_and_by_the_chain():
    changed = replace(DEFN, title="다른 제목")
    report = verify_export(reencode(DATA, definition=changed), recount)
    assert report.problem is Problem.DEFINITION_HASH
    report = verify_export(
        reencode(DATA, definition=changed, definition_hash=definition_hash(changed)), recount
    )
    assert (report.problem, report.entry_index, report.board_fault) == (Problem.BOARD, 0, Fault.GENESIS)


def test_an_invalid_definition_is_named():
    bad = replace(DEFN, tie_break=("p0",))
    report = verify_export(reencode(DATA, definition=bad, definition_hash=definition_hash(bad)), recount)
    assert report.problem is Problem.DEFINITION and report.detail.startswith("tie_break")


def test_a_changed_head_is_caught():
    report = verify_export(reencode(DATA, head_hash="0" * 64), recount)
    assert (report.problem, report.board_fault) == (Problem.BOARD, Fault.HEAD)


def test_another_format_is_refused():
    assert (
        verify_export(reencode(DATA, format="plenary-hub/vote-export/v0"), recount).problem is Problem.FORMAT
    )


def test_a_recount_that_fails_or_disagrees_is_reported():
    def broken(defn: VoteDefinition, rankings: Sequence[tuple[str, ...]]) -> dict[str, Any]:
        raise RuntimeError("boom")

    def other(defn: VoteDefinition, rankings: Sequence[tuple[str, ...]]) -> dict[str, Any]:
        return {**recount(defn, rankings), "method": "schulze"}

    report = verify_export(DATA, broken)
    assert report.problem is Problem.RECOUNT_FAILED and "boom" in report.detail
    report = verify_export(DATA, other)
    assert report.problem is Problem.RESULTS and "results['method']" in report.detail


@pytest.mark.parametrize(
    "edit,problem",
    [
        (lambda d: msgspec.json.format(d, indent=2), Problem.NOT_CANONICAL),
        (lambda d: d + b"\n", Problem.NOT_CANONICAL),
        (lambda d: b" " + d, Problem.NOT_CANONICAL),
        (lambda d: d.replace(b'"p2"', b'"\\u0070\\u0032"'), Problem.NOT_CANONICAL),
        (lambda d: d[:-1], Problem.MALFORMED),
        (lambda d: d[: len(d) // 2], Problem.MALFORMED),
        (lambda d: b"", Problem.MALFORMED),
        (lambda d: b"[]", Problem.MALFORMED),
        (lambda d: b"\xff" + d, Problem.MALFORMED),
        (lambda d: d[:-1] + b',"extra":1}', Problem.MALFORMED),
        (lambda d: d.replace(b'"seq":0', b'"seq":"0"'), Problem.MALFORMED),
    ],
    ids=[
        "pretty printed",
        "trailing newline",
        "leading space",
        "escaped characters",
        "last byte cut",
        "cut in half",
        "empty",
        "an array",
        "not utf-8",
        "extra field",
        "seq as a string",
    ],
)
def test_edits_that_keep_or_break_the_content_are_reported(edit: Any, problem: Problem):
    report = verify_export(edit(DATA), recount)
    assert not report.ok and report.problem is problem, report


def flip(data: bytes, position: int, mask: int) -> bytes:
    return data[:position] + bytes([data[position] ^ mask]) + data[position + 1 :]


SMALL = export_of(make_defn(3, rule=BallotRule(kind="rank_all", minimum=1)), [("p0", "p1"), ("p2",), ("p1",)])


@pytest.mark.parametrize("mask", [0x01, 0x20, 0x80])
def test_every_single_byte_flip_of_a_small_export_fails(mask: int):
    """Exhaustive over positions: lowest bit (digit and letter neighbours), case bit, UTF-8 high bit."""
    for position in range(len(SMALL)):
        report = verify_export(flip(SMALL, position, mask), recount)
        assert not report.ok and report.problem is not None, (position, report)


BIG = export_of(
    make_defn(8, rule=BallotRule(kind="rank_all", minimum=1)),
    [tuple(f"p{(i * 7 + j) % 8}" for j in range(1 + i % 8)) for i in range(40)],
)


@settings(max_examples=examples(400), suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(BIG) - 1), st.integers(1, 255))
def test_any_changed_byte_anywhere_makes_the_export_fail(position: int, mask: int):
    report = verify_export(flip(BIG, position, mask), recount)
    assert not report.ok and report.problem is not None


def entry_spans(data: bytes) -> list[tuple[int, int]]:
    """Where each board entry's bytes lie in an export: ``[start, end)`` of its canonical JSON."""
    export = msgspec.json.decode(data, type=VoteExport)
    spans, pos = [], data.index(b'"entries":[')
    for e in export.entries:
        text = msgspec.json.encode(e, order="sorted")
        start = data.index(text, pos)
        spans.append((start, start + len(text)))
        pos = start + len(text)
    return spans


def assert_names_the_entry(data: bytes, position: int, mask: int, index: int) -> None:
    report = verify_export(flip(data, position, mask), recount)
    assert not report.ok and report.entry_index == index, (position, hex(mask), report)


def test_every_changed_byte_inside_an_entry_names_that_entry():
    """Exhaustive over the board of SMALL, every byte to every other value: whether or not the
    change still parses as JSON, the report names the entry the byte belongs to (not just
    "malformed at byte N"). A "{" turned "]" once made the first entry look like an empty board."""
    for index, (start, end) in enumerate(entry_spans(SMALL)):
        for position in range(start, end):
            for mask in range(1, 256):
                assert_names_the_entry(SMALL, position, mask, index)


BIG_SPANS = entry_spans(BIG)


@settings(max_examples=examples(400), suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_changed_byte_inside_an_entry_names_that_entry(data: st.DataObject):
    index = data.draw(st.integers(0, len(BIG_SPANS) - 1))
    start, end = BIG_SPANS[index]
    assert_names_the_entry(BIG, data.draw(st.integers(start, end - 1)), data.draw(st.integers(1, 255)), index)


@settings(max_examples=examples(200))
@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_reported_not_raised(data: bytes):
    assert verify_export(data, recount).problem is Problem.MALFORMED


# --------------------------------------------------------------------------------------------------
# CSV


def test_the_csv_lists_the_board_one_column_per_rank():
    board = board_for(DEFN, RANKINGS)
    rows = list(csv.reader(io.StringIO(bulletin_csv(DEFN, board), newline="")))
    assert rows[0] == ["seq", "tracking_code", "hash", "prev_hash", "rank_1", "rank_2", "rank_3"]
    assert len(rows) == len(board) + 1
    for row, e in zip(rows[1:], board, strict=True):
        assert row[:4] == [str(e.seq), e.tracking_code, e.hash, e.prev_hash]
        assert tuple(c for c in row[4:] if c) == e.ranking and len(row) == 7
    assert bulletin_csv(DEFN, board).endswith("\r\n")


# --------------------------------------------------------------------------------------------------
# PrefLib

GOLDEN_DEFN = make_defn(4, title="Plenary\npriorities", rule=BallotRule(kind="top_k", k=3, minimum=1))
GOLDEN_RANKINGS = [("p1", "p0"), ("p1", "p0"), ("p2",), ("p0", "p1", "p3"), ("p1", "p0")]
GOLDEN_HEADER = """\
# TITLE: Plenary priorities
# DESCRIPTION: {description}
# DATA TYPE: {kind}
# MODIFICATION TYPE: {modification}
# RELATES TO:{relates}
# RELATED FILES: {related}
# PUBLICATION DATE: 2026-11-25
# MODIFICATION DATE: 2026-11-26
# NUMBER ALTERNATIVES: 4
# NUMBER VOTERS: 5
# NUMBER UNIQUE ORDERS: 3
# VOTE METHOD: borda
# SHOWN METHODS: schulze
# SCHULZE STRENGTH: margin
# TIE BREAK: 1,2,3,4
# TIE BREAK NOTE: alternative numbers, the first wins every tie
# UNRANKED: a ranked proposal beats every unranked one; unranked proposals are tied
# ALTERNATIVE NAME 1: 제안 p0 [p0]
# ALTERNATIVE NAME 2: 제안 p1 [p1]
# ALTERNATIVE NAME 3: 제안 p2 [p2]
# ALTERNATIVE NAME 4: 제안 p3 [p3]
"""


def test_soi_golden():
    text = preflib(
        GOLDEN_DEFN, GOLDEN_RANKINGS, "soi", publication_date="2026-11-25", modification_date="2026-11-26"
    )
    header = GOLDEN_HEADER.format(
        description="Plenary ballots, best first; unranked proposals are left out",
        kind="soi",
        modification="original",
        relates="",
        related="plenary-1.toi",
    )
    assert text == "# FILE NAME: plenary-1.soi\n" + header + "3: 2,1\n1: 1,2,4\n1: 3\n"


def test_toi_golden():
    text = preflib(
        GOLDEN_DEFN, GOLDEN_RANKINGS, "toi", publication_date="2026-11-25", modification_date="2026-11-26"
    )
    header = GOLDEN_HEADER.format(
        description="Plenary ballots, best first; the proposals a ballot does not rank are tied at its bottom",
        kind="toi",
        modification="induced",
        relates=" plenary-1.soi",
        related="plenary-1.soi",
    )
    assert text == "# FILE NAME: plenary-1.toi\n" + header + "3: 2,1,{3,4}\n1: 1,2,4,3\n1: 3,{1,2,4}\n"


def test_preflib_from_the_board_counts_every_ballot():
    board = board_for(DEFN, RANKINGS)
    assert preflib_from_board(DEFN, board, "soi") == preflib(DEFN, sorted(RANKINGS), "soi")


def test_every_export_file_is_built_from_the_export() -> None:
    exp = msgspec.json.decode(DATA, type=VoteExport)
    files = {name: export_file(exp, DATA, name) for name in EXPORT_FILES}
    assert files == {
        "export.json": DATA,
        "board.csv": bulletin_csv(DEFN, exp.entries).encode(),
        "ballots.soi": preflib_from_board(DEFN, exp.entries, "soi").encode(),
        "ballots.toi": preflib_from_board(DEFN, exp.entries, "toi").encode(),
    }
    with pytest.raises(ValueError):
        export_file(exp, DATA, "ballots.xls")


@settings(max_examples=examples(60))
@given(
    st.lists(
        st.permutations(["p0", "p1", "p2", "p3", "p4"]).flatmap(
            lambda p: st.integers(1, 3).map(lambda k: tuple(p[:k]))
        ),
        min_size=1,  # preflibtools 2.0 misreads a file with no orders (its last header as an order)
        max_size=30,
    ),
    st.sampled_from(["soi", "toi"]),
)
def test_preflibtools_reads_back_exactly_our_ballots(rankings: list[tuple[str, ...]], kind: str):
    instances = pytest.importorskip("preflibtools.instances")
    parsed = instances.OrdinalInstance()
    parsed.parse_str(preflib(DEFN, rankings, kind), kind)  # type: ignore[arg-type]
    assert parsed.data_type == kind
    assert parsed.num_alternatives == 5 and parsed.num_voters == len(rankings)
    assert parsed.num_unique_orders == len(set(rankings))
    want: Counter[tuple[tuple[int, ...], ...]] = Counter()
    for r in rankings:
        ranked = [int(pid[1:]) + 1 for pid in r]
        tail = tuple(a for a in range(1, 6) if a not in ranked)
        want[tuple((a,) for a in ranked) + ((tail,) if kind == "toi" and tail else ())] += 1
    assert parsed.multiplicity == dict(want)


# The published result, recomputed by pref_voting from nothing but a PrefLib file.
RECOUNT_IDS = ("p0", "p1", "p2", "p3", "p4")


def header_of(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if line.startswith("# ") and ": " in line:
            key, value = line[2:].split(": ", 1)
            out[key] = value
    return out


def layers(m: int, beats: set[tuple[int, int]], rank: dict[int, int]) -> list[int]:
    left, out = set(range(1, m + 1)), []
    while left:
        top = sorted((c for c in left if not any((o, c) in beats for o in left)), key=rank.__getitem__)
        out += top
        left -= set(top)
    return out


def recount_from_preflib(path: Path) -> dict[str, list[int]]:
    """Every method's strict order (alternative numbers) from the file alone, with pref_voting."""
    mbm = pytest.importorskip("pref_voting.margin_based_methods")
    from pref_voting.iterative_methods import instant_runoff_tb
    from pref_voting.profiles_with_ties import ProfileWithTies
    from pref_voting.scoring_methods import domination_borda_scores

    text = path.read_text(encoding="utf-8")
    head = header_of(text)
    m = int(head["NUMBER ALTERNATIVES"])
    assert [f"ALTERNATIVE NAME {i}" in head for i in range(1, m + 1)] == [True] * m
    assert head["SCHULZE STRENGTH"] == "margin" and head["UNRANKED"].startswith("a ranked proposal beats")
    tb = [int(x) for x in head["TIE BREAK"].split(",")]
    rank = {c: i for i, c in enumerate(tb)}
    prof = ProfileWithTies.from_preflib(str(path))
    prof = ProfileWithTies(
        [r.rmap for r in prof.rankings], rcounts=list(prof.rcounts), candidates=list(range(1, m + 1))
    )
    prof.use_extended_strict_preference()  # ranked beats unranked (the header's UNRANKED rule)

    def by_score(scores: dict[int, float]) -> list[int]:
        return sorted(range(1, m + 1), key=lambda c: (-scores[c], rank[c]))

    return {
        "method": [METHOD_NUMBER[head["VOTE METHOD"]]],
        "borda": by_score(domination_borda_scores(prof)),
        "copeland": by_score(prof.copeland_scores()),
        "schulze": layers(m, set(mbm.beat_path_defeat(prof).edges()), rank),
        "ranked_pairs": mbm.ranked_pairs_defeat_tb(prof, tie_breaker=tb, return_list=True),
        "instant_runoff": instant_runoff_tb(prof, tie_breaker=tb[::-1]),
    }


METHOD_NUMBER = {
    name: i for i, name in enumerate(("borda", "copeland", "schulze", "ranked_pairs", "instant_runoff"))
}

RECOUNT_PROFILES = {
    # a Condorcet cycle of equal margins: only the tie-break decides, and it is not index order
    "cycle": [("p0", "p1", "p2"), ("p1", "p2", "p0"), ("p2", "p0", "p1")],
    # two proposals tied pairwise, truncated ballots, p3 and p4 never ranked by anyone
    "ties": [("p0", "p1"), ("p1", "p0"), ("p2",), ("p0", "p2", "p1"), ("p1", "p2", "p0")],
    "nobody_ranks_p4": [("p3", "p0"), ("p0", "p3"), ("p2", "p1"), ("p1", "p2")],
}


@pytest.mark.parametrize("kind", ["soi", "toi"])
@pytest.mark.parametrize("method", ["borda", "copeland", "schulze", "ranked_pairs", "instant_runoff"])
@pytest.mark.parametrize("profile", sorted(RECOUNT_PROFILES))
def test_pref_voting_recounts_every_published_order_from_the_preflib_file_alone(
    tmp_path: Path, kind: str, method: str, profile: str
):
    from ballot.store import tally

    defn = make_defn(
        5,
        method=method,
        rule=BallotRule(kind="top_k", k=3, minimum=1),
        tie_break=("p2", "p4", "p1", "p3", "p0"),
        shown_methods=(),
    )
    rankings = RECOUNT_PROFILES[profile]
    published = msgspec.to_builtins(tally(defn, rankings))
    path = tmp_path / f"{defn.vote_id}.{kind}"
    path.write_text(preflib(defn, rankings, kind), encoding="utf-8")  # type: ignore[arg-type]
    again = recount_from_preflib(path)
    assert again["method"] == [METHOD_NUMBER[method]]
    for name in ("borda", "copeland", "schulze", "ranked_pairs"):
        assert again[name] == [i + 1 for i in published[name]["resolved"]], name
    assert again["instant_runoff"] == [published["instant_runoff"]["resolved"][0] + 1]
