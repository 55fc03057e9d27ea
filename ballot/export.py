"""Exports of a published vote, and the check anyone can run on them.

- :func:`export_json`: one JSON document ``{format, definition, definition_hash, entries, head_hash,
  results}`` in the canonical encoding (``ballot.model.canonical``: sorted keys, no whitespace).
- :func:`bulletin_csv`: the board as CSV, one row per counted ballot, for spreadsheets.
- :func:`preflib`: the ballots in PrefLib's 2022 format (``soi``: strict, incomplete orders, each
  ballot as cast; ``toi``: the proposals a ballot leaves out tied at its bottom), so that researchers'
  tools read them as they are.
- :func:`export_file`: each of the files a vote is exported as (:data:`EXPORT_FILES`).
- :func:`verify_export`: rebuilds everything an export claims from what it contains. Every byte of
  the document is covered: the definition by its hash and the chain's genesis, the entries by the
  chain, the head by the chain, the results by a recount, the remaining bytes (spacing, escapes,
  number spelling) by requiring the document to be exactly its own canonical re-encoding. So any
  single changed byte makes it fail, and unparsable input is a report, never an exception; a changed
  byte inside a board entry names that entry even when it breaks the JSON.

The results are opaque here: whatever the tally returns (a dict or a msgspec Struct, numpy values
allowed) as a pure function of the definition and the counted rankings. ``recount`` is injected so
this module does not depend on the tally; it must be that same function, or verification fails.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, Final, Literal

import msgspec

from ballot.bulletin import BulletinEntry, Fault, entry_hash, head_hash, verify_board
from ballot.model import VoteDefinition, canonical, definition_hash
from ballot.rules import validate_definition, validate_ranking
from engine.errors import VoteError

EXPORT_FORMAT: Final = "plenary-hub/vote-export/v1"

Recount = Callable[[VoteDefinition, Sequence[tuple[str, ...]]], Any]
"""``recount(definition, rankings)`` -> the published results; rankings are proposal ids, best first,
in board order. Must return the same value the tally published (compared by canonical encoding)."""


class VoteExport(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The whole public record of one vote."""

    format: str
    definition: VoteDefinition
    definition_hash: str
    entries: tuple[BulletinEntry, ...]
    head_hash: str
    results: dict[str, Any]


def build_export(defn: VoteDefinition, entries: Sequence[BulletinEntry], results: object) -> VoteExport:
    """Assemble the export of a published vote. ``results`` is what the tally published.

    The results are passed through their canonical JSON once, so the export holds exactly what a
    reader will decode (lists for tuples, string keys, plain numbers for numpy ones).
    """
    plain = msgspec.json.decode(canonical(results))
    if not isinstance(plain, dict):
        raise TypeError("results must encode as a JSON object")
    return VoteExport(
        format=EXPORT_FORMAT,
        definition=defn,
        definition_hash=definition_hash(defn),
        entries=tuple(entries),
        head_hash=head_hash(defn, entries),
        results=plain,
    )


def encode_export(export: VoteExport) -> bytes:
    """The export's bytes: canonical JSON, the only form :func:`verify_export` accepts."""
    return canonical(export)


def export_json(defn: VoteDefinition, entries: Sequence[BulletinEntry], results: object) -> bytes:
    """:func:`build_export` then :func:`encode_export`."""
    return encode_export(build_export(defn, entries, results))


_export_dec: Final = msgspec.json.Decoder(VoteExport)


def decode_export(data: bytes) -> VoteExport:
    """A stored export read back (the store writes it with :func:`export_json`, so it decodes; a
    document from elsewhere is checked with :func:`verify_export` instead)."""
    return _export_dec.decode(data)


# --------------------------------------------------------------------------------------------------
# verification


class Problem(StrEnum):
    """The first check an export failed."""

    UNREADABLE = "unreadable"  # the file could not be read
    MALFORMED = "malformed"  # not JSON, or not the shape of an export
    FORMAT = "format"  # another format than EXPORT_FORMAT
    DEFINITION = "definition"  # the definition breaks the rules
    DEFINITION_HASH = "definition_hash"  # definition_hash is not the definition's hash
    BOARD = "board"  # the chain fails: see entry_index and board_fault
    RECOUNT_FAILED = "recount_failed"  # the recount raised
    RESULTS = "results"  # the recount differs from the published results
    NOT_CANONICAL = "not_canonical"  # same content, other bytes: the document was edited


class ExportReport(msgspec.Struct, frozen=True, kw_only=True):
    """The verdict on an export. When the board fails, ``entry_index`` is the first bad entry; so it
    is when the document no longer parses because an entry's bytes were changed (``MALFORMED`` with
    ``board_fault`` ``CHANGED``: :func:`damaged_entry`).

    ``head_hash`` is the head recomputed from the entries (empty when they could not be read): compare
    it with the head published at the plenary, which an export alone cannot vouch for.
    """

    ok: bool
    problem: Problem | None = None
    entry_index: int | None = None
    board_fault: Fault | None = None
    detail: str = ""
    head_hash: str = ""


_ENTRIES_START: Final = b'"entries":['
# One board entry exactly as the canonical encoding spells it (keys sorted, no whitespace).
_ENTRY: Final = re.compile(
    rb'\{"hash":"[0-9a-f]{64}","prev_hash":"[0-9a-f]{64}","ranking":\[[^\]]*\],"seq":[0-9]+,'
    rb'"tracking_code":"[^"]*"\}'
)
_entry_dec: Final = msgspec.json.Decoder(BulletinEntry)


def damaged_entry(data: bytes) -> int | None:
    """In an export that no longer parses, the index of the first board entry that is not intact.

    Why: a changed byte inside an entry often breaks the JSON itself (a quote, a brace, a byte that
    is not UTF-8), and "malformed at byte N" tells an auditor nothing about which ballot was touched.
    The canonical encoding spells every entry the same way, so the entries can be read one by one
    from the raw bytes: entry ``i`` is intact when it has exactly that spelling, decodes, says
    ``seq`` ``i`` and matches its own hash. The first entry that is not is the one named. ``None``
    when every entry is intact (the damage lies elsewhere) or the board cannot be found at all.
    """
    start = data.find(_ENTRIES_START)
    if start < 0:
        return None
    pos = start + len(_ENTRIES_START)
    if data.startswith(b'],"format":', pos):
        return None  # an empty board: nothing to name (a first entry whose "{" became "]" is not)
    index = 0
    while True:
        match = _ENTRY.match(data, pos)
        if match is None or not _intact(match.group(), index):
            return index
        pos = match.end()
        if data[pos : pos + 1] != b",":
            return None  # the board ends here (or the damage lies between entries)
        pos += 1
        index += 1


def _intact(text: bytes, index: int) -> bool:
    try:
        entry = _entry_dec.decode(text)
    except (msgspec.MsgspecError, ValueError):
        return False
    if entry.seq != index:
        return False
    try:
        expected = entry_hash(
            seq=entry.seq, tracking_code=entry.tracking_code, ranking=entry.ranking, prev_hash=entry.prev_hash
        )
    except (ValueError, TypeError, msgspec.MsgspecError):
        return False
    return expected == entry.hash


def _first_difference(a: bytes, b: bytes) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))


def _results_difference(published: dict[str, Any], recounted: object) -> str:
    try:
        again = msgspec.json.decode(canonical(recounted))
    except (msgspec.MsgspecError, ValueError, TypeError) as exc:
        return f"the recount's results cannot be encoded: {exc}"
    if not isinstance(again, dict):
        return "the recount did not return an object"
    for key in sorted(set(published) | set(again)):
        if key not in again:
            return f"results[{key!r}] is published but the recount has no such field"
        if key not in published:
            return f"the recount has results[{key!r}], the export does not"
        if canonical(published[key]) != canonical(again[key]):
            return f"results[{key!r}] differs from the recount"
    return "the results differ from the recount"


def verify_export(
    source: bytes | bytearray | memoryview | str | os.PathLike[str], recount: Recount
) -> ExportReport:
    """Check an export (its bytes, or a path to it) from scratch; report the first failure.

    In order: it parses as an export of this format; the definition is valid and matches its hash;
    the board verifies against the definition and the export's head (see ``bulletin.verify_board``);
    ``recount`` over the board's rankings gives the published results; and the bytes are exactly the
    canonical encoding of what was parsed. Never raises for bad input: a report says what is wrong.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        try:
            with open(source, "rb") as f:
                data = f.read()
        except OSError as exc:
            return ExportReport(ok=False, problem=Problem.UNREADABLE, detail=str(exc))

    try:
        export = msgspec.json.decode(data, type=VoteExport)
    except (msgspec.MsgspecError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        index = damaged_entry(data)
        if index is not None:
            return ExportReport(
                ok=False,
                problem=Problem.MALFORMED,
                entry_index=index,
                board_fault=Fault.CHANGED,
                detail=f"entry {index}: changed so that the document no longer parses ({exc})",
            )
        return ExportReport(ok=False, problem=Problem.MALFORMED, detail=f"not a vote export: {exc}")
    if export.format != EXPORT_FORMAT:
        return ExportReport(
            ok=False, problem=Problem.FORMAT, detail=f"format {export.format!r}, expected {EXPORT_FORMAT!r}"
        )

    defn = export.definition
    try:
        validate_definition(defn)
    except VoteError as exc:
        return ExportReport(ok=False, problem=Problem.DEFINITION, detail=exc.message)
    if export.definition_hash != definition_hash(defn):
        return ExportReport(
            ok=False, problem=Problem.DEFINITION_HASH, detail="definition_hash is not the definition's hash"
        )

    board = verify_board(defn, export.entries, expected_head=export.head_hash)
    if not board.ok:
        return ExportReport(
            ok=False,
            problem=Problem.BOARD,
            entry_index=board.index,
            board_fault=board.fault,
            detail=board.detail,
            head_hash=board.head_hash,
        )

    rankings = [e.ranking for e in export.entries]
    try:
        recounted = recount(defn, rankings)
    except Exception as exc:  # an injected function: whatever it raises, the verdict is "not verified"
        return ExportReport(
            ok=False,
            problem=Problem.RECOUNT_FAILED,
            detail=f"{type(exc).__name__}: {exc}",
            head_hash=board.head_hash,
        )
    try:
        same = canonical(recounted) == canonical(export.results)
    except (msgspec.MsgspecError, ValueError, TypeError):
        same = False
    if not same:
        return ExportReport(
            ok=False,
            problem=Problem.RESULTS,
            detail=_results_difference(export.results, recounted),
            head_hash=board.head_hash,
        )

    again = encode_export(export)
    if again != data:
        offset = _first_difference(again, data)
        return ExportReport(
            ok=False,
            problem=Problem.NOT_CANONICAL,
            detail=f"byte {offset} differs from the canonical encoding of the same content",
            head_hash=board.head_hash,
        )
    return ExportReport(ok=True, head_hash=board.head_hash)


# --------------------------------------------------------------------------------------------------
# the printed sheet


def result_sheet(export: VoteExport, official: Sequence[Sequence[str]]) -> str:
    """A one-page text sheet to print, read out and sign at the plenary: the vote, the official order
    (``official``: tiers of proposal ids, ties as ties) and the head hash in groups of eight.

    Why: the head hash only protects the board if it is published somewhere the operator of the
    server does not control. Printed, read aloud and signed by observers at the close, it is; anyone
    can later run ``plenary verify`` on the export and compare the head it prints with this sheet.
    """
    titles = {p.id: _one_line(p.title) for p in export.definition.proposals}
    head = export.head_hash
    lines = [
        f"투표 결과 확인표 / Vote result sheet: {export.definition.vote_id}",
        _one_line(export.definition.title),
        "",
        f"집계한 표 / Ballots counted: {len(export.entries)}",
        f"방식 / Method: {export.definition.method}",
        "",
        "공식 순위 / Official order (공동 = tied):",
    ]
    place = 1
    for tier in official:
        label = f"공동 {place}위" if len(tier) > 1 else f"{place}위"
        lines += [f"  {label}  {titles.get(pid, pid)} [{pid}]" for pid in tier]
        place += len(tier)
    lines += [
        "",
        "게시판 봉인 해시 / Head hash:",
        "  " + " ".join(head[i : i + 8] for i in range(0, len(head), 8)),
        "",
        "이 값은 공개 게시판의 모든 표를 이은 값입니다. 내보낸 파일에 `plenary verify`를 돌려 같은 값이",
        "나오면 게시판은 발표 뒤 바뀌지 않았습니다. / `plenary verify` on the export must print this head.",
        "",
        "확인한 사람 / Witnessed by: ______________________   ______________________",
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------
# CSV and PrefLib


def bulletin_csv(defn: VoteDefinition, entries: Sequence[BulletinEntry]) -> str:
    """The board as CSV (RFC 4180, CRLF): ``seq, tracking_code, hash, prev_hash, rank_1 ... rank_K``.

    One column per rank (K is the longest ranking the rule allows, cells past a ballot's end empty)
    so that a spreadsheet can count first preferences without parsing anything.
    """
    longest = defn.ranking_bounds()[1]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["seq", "tracking_code", "hash", "prev_hash", *(f"rank_{r}" for r in range(1, longest + 1))]
    )
    for e in entries:
        ranks = list(e.ranking) + [""] * (longest - len(e.ranking))
        writer.writerow([e.seq, e.tracking_code, e.hash, e.prev_hash, *ranks])
    return out.getvalue()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def preflib(
    defn: VoteDefinition,
    rankings: Sequence[Sequence[str]],
    data_type: Literal["soi", "toi"],
    *,
    publication_date: str = "",
    modification_date: str = "",
) -> str:
    """The ballots in PrefLib's format (https://preflib.org/format, 2022 headers).

    Alternative ``i`` is ``defn.proposals[i - 1]``. ``soi`` writes each ballot as cast, so truncated
    ballots stay truncated. ``toi`` ties the proposals a ballot does not rank at its bottom (``{4,5}``),
    the reading our tallies use; it is marked ``induced`` from the ``soi`` file. Orders are listed by
    count, most frequent first, then by the order itself, so the file is deterministic. PrefLib's
    types nest (soc within soi, toc within toi), so the labels hold even when every ballot is complete.
    Dates are ``YYYY-MM-DD`` and passed in, keeping this function pure.

    The header also carries what a recount needs beyond the orders, so that the file alone gives
    the published result even when margins tie: ``VOTE METHOD``, ``TIE BREAK`` (alternative numbers,
    first wins ties), the Schulze strength and the rule for unranked proposals; every proposal is an
    ``ALTERNATIVE NAME``, ranked by anyone or not.
    """
    n = len(defn.proposals)
    number = {p.id: i for i, p in enumerate(defn.proposals, 1)}
    counts: Counter[tuple[tuple[int, ...], ...]] = Counter()
    for ranking in rankings:
        ranked = [i + 1 for i in validate_ranking(defn, ranking)]
        order: list[tuple[int, ...]] = [(a,) for a in ranked]
        if data_type == "toi":
            chosen = set(ranked)
            rest = tuple(a for a in range(1, n + 1) if a not in chosen)
            if rest:
                order.append(rest)
        counts[tuple(order)] += 1

    soi_name = f"{defn.vote_id}.soi"
    header = [
        ("FILE NAME", f"{defn.vote_id}.{data_type}"),
        ("TITLE", _one_line(defn.title)),
        (
            "DESCRIPTION",
            "Plenary ballots, best first; unranked proposals are left out"
            if data_type == "soi"
            else "Plenary ballots, best first; the proposals a ballot does not rank are tied at its bottom",
        ),
        ("DATA TYPE", data_type),
        ("MODIFICATION TYPE", "original" if data_type == "soi" else "induced"),
        ("RELATES TO", "" if data_type == "soi" else soi_name),
        ("RELATED FILES", f"{defn.vote_id}.toi" if data_type == "soi" else soi_name),
        ("PUBLICATION DATE", publication_date),
        ("MODIFICATION DATE", modification_date),
        ("NUMBER ALTERNATIVES", str(n)),
        ("NUMBER VOTERS", str(len(rankings))),
        ("NUMBER UNIQUE ORDERS", str(len(counts))),
        # What a recount from this file alone needs besides the orders (PrefLib allows such
        # metadata lines): the method that decides, the tie-break order, how unranked ones count.
        ("VOTE METHOD", defn.method),
        ("SHOWN METHODS", ",".join(defn.shown_methods)),
        ("SCHULZE STRENGTH", "margin"),
        ("TIE BREAK", ",".join(str(number[p]) for p in defn.tie_break)),
        ("TIE BREAK NOTE", "alternative numbers, the first wins every tie"),
        ("UNRANKED", "a ranked proposal beats every unranked one; unranked proposals are tied"),
    ]
    header += [
        (f"ALTERNATIVE NAME {i}", _one_line(f"{p.title} [{p.id}]")) for i, p in enumerate(defn.proposals, 1)
    ]
    lines = [f"# {key}: {value}".rstrip() for key, value in header]

    def spell(order: tuple[tuple[int, ...], ...]) -> str:
        return ",".join(str(g[0]) if len(g) == 1 else "{" + ",".join(map(str, g)) + "}" for g in order)

    for groups, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"{count}: {spell(groups)}")
    return "\n".join(lines) + "\n"


def preflib_from_board(
    defn: VoteDefinition, entries: Sequence[BulletinEntry], data_type: Literal["soi", "toi"]
) -> str:
    """:func:`preflib` over the rankings on a board."""
    return preflib(defn, [e.ranking for e in entries], data_type)


EXPORT_FILES: Final = ("export.json", "board.csv", "ballots.soi", "ballots.toi")
"""The files a published vote is exported as, by name: ``plenary vote export`` writes them all,
``GET /api/votes/<vote>/<name>`` serves each. The export itself, then what is built from it: the
board for spreadsheets, the ballots for PrefLib's tools."""


def export_file(exp: VoteExport, data: bytes, name: str) -> bytes:
    """The file ``name`` of :data:`EXPORT_FILES` for the export ``data`` (``exp``: ``data``
    decoded). Every file but the export itself is built from what the export holds, so the files
    cannot disagree with it. ``ValueError`` for another name."""
    if name == "export.json":
        return data
    if name == "board.csv":
        return bulletin_csv(exp.definition, exp.entries).encode()
    if name in ("ballots.soi", "ballots.toi"):
        return preflib_from_board(
            exp.definition, exp.entries, "soi" if name.endswith("soi") else "toi"
        ).encode()
    raise ValueError(f"no export file {name!r}: one of {', '.join(EXPORT_FILES)}")
