"""The public bulletin board: every counted ballot, with no voter identity, in a hash chain.

Theory of operation. At publish time the counted ballots (one per panelist, ``rules.select_counted``)
become entries ``{seq, tracking_code, ranking, prev_hash, hash}``:

- ``hash = SHA-256(utf8(prev_hash) || canonical({prev_hash, ranking, seq, tracking_code}))`` in hex,
  the canonical encoding being ``ballot.model.canonical`` (JSON, sorted keys, no whitespace);
- the first entry's ``prev_hash`` is the definition hash (``model.definition_hash``), so the board
  belongs to exactly one definition; every later one is the previous entry's ``hash``;
- the *head hash* is the last entry's hash (the definition hash for an empty board). It is published
  apart from the board (stream overlay, results page, printed minutes): the chain proves the board
  was not changed after the head was announced, and only an independently published head catches a
  board rebuilt from scratch or cut short at its end.

Order: entries are sorted by tracking code, not by casting time. The codes are hashes over a random
salt, so this order is a uniformly random permutation that says nothing about who voted when: in a
hall where people watch each other vote, a time-ordered board would let an observer match a
panelist to a ranking. It is also canonical: the same counted set always gives the same board and
head, so anyone rebuilding it from the ballots gets byte-identical results, and strictly increasing
codes make a ballot listed twice visible at a glance.

A panelist checks their ballot by finding their code (:func:`find_entry`) and reading the ranking;
anyone checks the whole board with :func:`verify_board`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from enum import StrEnum

import msgspec

from ballot.model import VoteDefinition, canonical, definition_hash, sha256_hex
from ballot.receipts import is_tracking_code, normalize_code
from ballot.rules import validate_ranking
from engine.errors import VoteError


class BulletinEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One counted ballot on the public board. ``seq`` is its 0-based position on the board."""

    seq: int
    tracking_code: str
    ranking: tuple[str, ...]
    prev_hash: str
    hash: str


class _EntryBody(msgspec.Struct, frozen=True, kw_only=True):
    # The entry without its hash: what the hash covers.
    seq: int
    tracking_code: str
    ranking: tuple[str, ...]
    prev_hash: str


def entry_hash(*, seq: int, tracking_code: str, ranking: Sequence[str], prev_hash: str) -> str:
    """The hash an entry with these fields must carry (see the module docstring)."""
    body = _EntryBody(seq=seq, tracking_code=tracking_code, ranking=tuple(ranking), prev_hash=prev_hash)
    return sha256_hex(prev_hash.encode("utf-8", "surrogatepass") + canonical(body))


def build_board(
    defn: VoteDefinition, ballots: Iterable[tuple[str, Sequence[str]]]
) -> tuple[BulletinEntry, ...]:
    """The board for the final set of counted ballots, given as ``(tracking_code, ranking)`` pairs.

    Pass ``[(b.tracking_code, b.ranking) for b in selection.counted]``. Any input order gives the same
    board. Raises ``VoteError`` for a ranking the definition does not allow and ``ValueError`` for a
    malformed or repeated tracking code: both mean the store let through what it must not, and
    publishing must stop rather than print a board that fails its own verification.
    """
    items = sorted(((code, tuple(ranking)) for code, ranking in ballots), key=lambda item: item[0])
    entries: list[BulletinEntry] = []
    prev = definition_hash(defn)
    last_code = ""
    for seq, (code, ranking) in enumerate(items):
        if not is_tracking_code(code):
            raise ValueError(f"not a tracking code: {code!r}")
        if code == last_code:
            raise ValueError(f"tracking code {code} appears twice: one ballot would be counted twice")
        validate_ranking(defn, ranking)
        digest = entry_hash(seq=seq, tracking_code=code, ranking=ranking, prev_hash=prev)
        entries.append(
            BulletinEntry(seq=seq, tracking_code=code, ranking=ranking, prev_hash=prev, hash=digest)
        )
        prev, last_code = digest, code
    return tuple(entries)


def head_hash(defn: VoteDefinition, entries: Sequence[BulletinEntry]) -> str:
    """The hash to publish: the last entry's, or the definition hash when nobody voted."""
    return entries[-1].hash if entries else definition_hash(defn)


def find_entry(entries: Sequence[BulletinEntry], typed_code: str) -> BulletinEntry | None:
    """The entry with this code as a panelist typed it (``receipts.normalize_code``), if any."""
    code = normalize_code(typed_code)
    if code is None:
        return None
    i = bisect.bisect_left(entries, code, key=lambda e: e.tracking_code)
    return entries[i] if i < len(entries) and entries[i].tracking_code == code else None


class Fault(StrEnum):
    """Why a board fails verification."""

    CHANGED = "changed"  # an entry's content differs from what was hashed or linked to
    REORDERED = "reordered"  # an entry is not where the chain (or the code order) puts it
    REMOVED = "removed"  # entries are missing
    INSERTED = "inserted"  # an entry that does not belong to the chain
    DUPLICATE = "duplicate"  # the same entry or tracking code twice: a ballot counted twice
    INVALID = "invalid"  # a well-chained entry whose code or ranking the vote does not allow
    GENESIS = "genesis"  # the first entry does not link to this definition
    HEAD = "head"  # the chain is intact but ends at another head than the published one


class BoardCheck(msgspec.Struct, frozen=True, kw_only=True):
    """The verdict on a board. ``index`` is the first bad entry's position (``len(entries)`` for a
    head mismatch: the fault lies at or past the end); ``detail`` is for people. ``head_hash`` is the
    head of the chain as far as it verified (the whole board's head when ``ok``)."""

    ok: bool
    head_hash: str
    index: int | None = None
    fault: Fault | None = None
    detail: str = ""


def _computed_hash(e: BulletinEntry) -> str | None:
    try:
        return entry_hash(seq=e.seq, tracking_code=e.tracking_code, ranking=e.ranking, prev_hash=e.prev_hash)
    except (ValueError, TypeError, msgspec.MsgspecError):
        return None  # not even encodable: it cannot be what we hashed


def verify_board(
    defn: VoteDefinition, entries: Sequence[BulletinEntry], expected_head: str | None = None
) -> BoardCheck:
    """Recompute the chain of ``entries`` for ``defn``; report the first bad entry and why.

    Checks, entry by entry: its own hash; that it is not a copy of an earlier entry; its link to the
    previous entry (the definition for the first); its position (``seq``); its tracking code and
    ranking against the rules; and strictly increasing tracking codes. Then, if given, that the head
    equals ``expected_head``, the hash published apart from the board: without it, entries cut from
    the end or a board rebuilt from scratch cannot be detected.

    A broken link is explained from what the entries still show: a link to an entry elsewhere on the
    board is a reordering; a link that skips one entry, or two entries linking to the same one, an
    insertion; a ``seq`` past the position, a removal; otherwise the previous entry was changed and
    hashed again. A forger who rewrites the chain can blur which of these happened, never that
    something did.
    """
    genesis = definition_hash(defn)
    position: dict[str, int] = {genesis: -1}
    for i, e in enumerate(entries):
        position.setdefault(e.hash, i)

    def bad(index: int, fault: Fault, detail: str) -> BoardCheck:
        return BoardCheck(ok=False, head_hash=head, index=index, fault=fault, detail=detail)

    head = genesis
    seen: set[str] = set()
    last_code: str | None = None
    n = len(entries)
    for i, e in enumerate(entries):
        if _computed_hash(e) != e.hash:
            return bad(i, Fault.CHANGED, f"entry {i}: its content does not match its hash")
        if e.hash in seen:
            return bad(i, Fault.DUPLICATE, f"entry {i}: a copy of an earlier entry")
        if e.prev_hash != head:
            j = position.get(e.prev_hash)
            if j is not None and j == i - 2:
                return bad(i - 1, Fault.INSERTED, f"entry {i - 1}: does not belong, entry {i} links past it")
            if j is not None:
                what = "the definition" if j < 0 else f"entry {j}"
                return bad(i, Fault.REORDERED, f"entry {i}: links to {what}, not to the entry before it")
            if i + 1 < n and entries[i + 1].prev_hash == head:
                return bad(i, Fault.INSERTED, f"entry {i}: does not belong, entry {i + 1} links past it")
            if e.seq > i:
                return bad(
                    i,
                    Fault.REMOVED,
                    f"entry {i}: says seq {e.seq}, so {e.seq - i} entries before it are missing",
                )
            if i == 0:
                return bad(0, Fault.GENESIS, "entry 0: does not link to this vote's definition")
            return bad(
                i - 1, Fault.CHANGED, f"entry {i - 1}: changed and hashed again, entry {i} links elsewhere"
            )
        if i + 1 < n and entries[i + 1].prev_hash == e.prev_hash and entries[i + 1].hash != e.hash:
            return bad(
                i, Fault.INSERTED, f"entry {i}: does not belong, entry {i + 1} links to the same entry"
            )
        if e.seq != i:
            if e.seq > i:
                return bad(i, Fault.REMOVED, f"entry {i}: says seq {e.seq}, so entries before it are missing")
            return bad(i, Fault.INSERTED, f"entry {i}: says seq {e.seq}, so entries before it do not belong")
        if not is_tracking_code(e.tracking_code):
            return bad(i, Fault.INVALID, f"entry {i}: {e.tracking_code!r} is not a tracking code")
        try:
            validate_ranking(defn, e.ranking)
        except VoteError as exc:
            return bad(i, Fault.INVALID, f"entry {i}: the ranking is not allowed ({exc.message})")
        if last_code is not None and e.tracking_code <= last_code:
            if e.tracking_code == last_code:
                return bad(i, Fault.DUPLICATE, f"entry {i}: tracking code {e.tracking_code} is listed twice")
            return bad(i, Fault.REORDERED, f"entry {i}: tracking codes are out of order")
        head, last_code = e.hash, e.tracking_code
        seen.add(e.hash)
    if expected_head is not None and head != expected_head:
        return bad(
            n,
            Fault.HEAD,
            f"the board ends at head {head[:16]}..., the published head is {expected_head[:16]}...: "
            "entries were removed from or added at the end, or the board was rebuilt",
        )
    return BoardCheck(ok=True, head_hash=head)
