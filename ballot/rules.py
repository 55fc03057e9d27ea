"""The rules of a ranked vote as pure functions: what a valid definition, ranking and nonce are, how a
vote moves through its lifecycle, which channels it accepts in each state, and which of a panelist's
ballots counts.

Nothing here touches Redis or a socket. ``ballot/store.py`` (and its Lua) enforces these same rules
atomically; this module is where a reader finds them by name, and what the store's tests compare with.
Every refusal is a :class:`~engine.errors.VoteError` with a stable code and a message naming the field
or position at fault, so a client can show it and a host can fix it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Protocol

import msgspec

from ballot.model import (
    METHODS,
    PANELISTS,
    RULE_KINDS,
    BallotRecord,
    Channel,
    VoteDefinition,
    VoteState,
)
from engine import keys
from engine.errors import Code, HubError
from engine.roles import Role

MAX_PROPOSALS: Final = 100
MAX_TITLE: Final = 200
MAX_GRACE_SECONDS: Final = 600
MAX_ONLINE_BALLOTS: Final = 20
"""Ballots one voter may cast online in one vote (the latest counts): room for second thoughts, and
a bound on the vote's ballot and audit lists, which grow with every recast (issue 9: one panelist
recast 1,100 times). Paper ballots keyed in by clerks are never refused by it. ``cast.lua``
enforces it with this value (``store.CastBatcher`` passes it)."""
_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
_NONCE: Final = re.compile(r"[A-Za-z0-9_-]{8,64}", re.ASCII)


def _bad(field: str, why: str) -> HubError:
    return HubError(Code.BAD_VOTE_DEFINITION, f"{field}: {why}")


def _show(value: object, limit: int = 40) -> str:
    # Echo a bad value back, but never a whole oversized input.
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------------------
# definitions, rankings, nonces


def validate_definition(defn: VoteDefinition) -> VoteDefinition:
    """Check a definition before it is saved or opened; return it unchanged.

    Raises ``HubError(BAD_VOTE_DEFINITION)`` whose message starts with the field at fault
    (``proposals[2].id: ...``, ``rule.k: ...``, ``tie_break: ...``). Checked in field order, so the
    first problem is reported. Decoding with msgspec already checks types; this checks the meaning,
    and also guards definitions built in Python, which msgspec does not check.
    """
    if not isinstance(defn.vote_id, str) or not keys.ID_RE.fullmatch(defn.vote_id):
        # the same rule as every id that goes into a channel name (engine.keys.ID_RE)
        raise _bad(
            "vote_id",
            f"must be 1-64 characters of A-Z a-z 0-9 _ . -, not starting with _ . - (got {_show(defn.vote_id)})",
        )
    if not isinstance(defn.title, str) or not defn.title.strip() or len(defn.title) > MAX_TITLE:
        raise _bad("title", f"must be non-blank and at most {MAX_TITLE} characters")

    n = len(defn.proposals)
    if not 1 <= n <= MAX_PROPOSALS:
        raise _bad("proposals", f"must hold 1 to {MAX_PROPOSALS} proposals (got {n})")
    seen: set[str] = set()
    for i, proposal in enumerate(defn.proposals):
        if not isinstance(proposal.id, str) or not _ID.fullmatch(proposal.id):
            raise _bad(
                f"proposals[{i}].id", f"must be 1-64 characters of A-Z a-z 0-9 _ - (got {_show(proposal.id)})"
            )
        if proposal.id in seen:
            raise _bad(f"proposals[{i}].id", f"{proposal.id!r} is used by an earlier proposal")
        seen.add(proposal.id)
        if (
            not isinstance(proposal.title, str)
            or not proposal.title.strip()
            or len(proposal.title) > MAX_TITLE
        ):
            raise _bad(f"proposals[{i}].title", f"must be non-blank and at most {MAX_TITLE} characters")

    rule = defn.rule
    if rule.kind not in RULE_KINDS:
        raise _bad("rule.kind", f"must be one of {', '.join(RULE_KINDS)} (got {_show(rule.kind)})")
    if rule.kind == "rank_all":
        if rule.k is not None:
            raise _bad("rule.k", "must be unset for rank_all (the ranking may list every proposal)")
        longest = n
    else:
        k = rule.k
        if k is None or not _is_int(k) or not 1 <= k <= n:
            raise _bad("rule.k", f"must be between 1 and {n}, the number of proposals (got {_show(k)})")
        longest = k
    if rule.minimum is not None and (not _is_int(rule.minimum) or not 1 <= rule.minimum <= longest):
        raise _bad("rule.minimum", f"must be between 1 and {longest} (got {_show(rule.minimum)})")

    if defn.method not in METHODS:
        raise _bad("method", f"must be one of {', '.join(METHODS)} (got {_show(defn.method)})")
    if len(defn.tie_break) != n or set(defn.tie_break) != seen:
        raise _bad("tie_break", "must list every proposal id exactly once")
    for i, method in enumerate(defn.shown_methods):
        if method not in METHODS:
            raise _bad(f"shown_methods[{i}]", f"must be one of {', '.join(METHODS)} (got {_show(method)})")
    if len(set(defn.shown_methods)) != len(defn.shown_methods):
        raise _bad("shown_methods", "lists a method twice")
    if not isinstance(defn.eligibility, str) or not (
        defn.eligibility == PANELISTS or _ID.fullmatch(defn.eligibility)
    ):
        raise _bad("eligibility", f"must be {PANELISTS!r} or a meeting id (got {_show(defn.eligibility)})")
    if not _is_int(defn.grace_seconds) or not 0 <= defn.grace_seconds <= MAX_GRACE_SECONDS:
        raise _bad(
            "grace_seconds", f"must be between 0 and {MAX_GRACE_SECONDS} (got {_show(defn.grace_seconds)})"
        )
    if defn.scheduled_close is not None and (not _is_int(defn.scheduled_close) or defn.scheduled_close < 0):
        raise _bad("scheduled_close", "must be unset or a Unix time in milliseconds")
    return defn


def decode_definition(data: bytes | str) -> VoteDefinition:
    """Decode a definition from JSON (host console, export) and validate it.

    Malformed JSON or a wrong type becomes ``BAD_VOTE_DEFINITION`` too, naming msgspec's path.
    """
    try:
        defn = msgspec.json.decode(data, type=VoteDefinition)
    except (msgspec.MsgspecError, ValueError) as exc:
        raise HubError(Code.BAD_VOTE_DEFINITION, f"not a vote definition: {exc}") from None
    return validate_definition(defn)


_TERMS: dict[int, tuple[VoteDefinition, dict[str, int], tuple[int, int]]] = {}


def _ranking_terms(defn: VoteDefinition) -> tuple[dict[str, int], tuple[int, int]]:
    """The proposal index and length bounds ``validate_ranking`` checks against, worked out once
    per definition object: the hub validates 3,000 rankings against one cached definition, and
    building the index each time was a visible share of a cast's CPU. Keyed by identity; the entry
    holds the definition, so its id is not reused while the entry lives."""
    hit = _TERMS.get(id(defn))
    if hit is not None and hit[0] is defn:
        return hit[1], hit[2]
    if len(_TERMS) >= 64:
        _TERMS.clear()
    index = {p.id: i for i, p in enumerate(defn.proposals)}
    bounds = defn.ranking_bounds()
    _TERMS[id(defn)] = (defn, index, bounds)
    return index, bounds


def validate_ranking(defn: VoteDefinition, ranking: Sequence[str]) -> list[int]:
    """Check one ranking (best first) against a validated definition; return the proposal indices.

    Entries are checked in order (the first unknown id is ``UNKNOWN_PROPOSAL``, the first repeat is
    ``REPEATED_PROPOSAL``), then the length against the rule (``RANKING_TOO_SHORT`` /
    ``RANKING_TOO_LONG``). The indices are positions in ``defn.proposals``, the form the tally's numpy
    ballot array takes.
    """
    index, (shortest, longest) = _ranking_terms(defn)
    out: list[int] = []
    seen: set[int] = set()
    for position, pid in enumerate(ranking):
        i = index.get(pid) if isinstance(pid, str) else None
        if i is None:
            raise HubError(
                Code.UNKNOWN_PROPOSAL, f"position {position + 1}: no proposal {_show(pid)} in this vote"
            )
        if i in seen:
            raise HubError(Code.REPEATED_PROPOSAL, f"position {position + 1}: {pid!r} is already ranked")
        seen.add(i)
        out.append(i)
    if len(out) < shortest:
        raise HubError(Code.RANKING_TOO_SHORT, f"rank at least {shortest} proposals (got {len(out)})")
    if len(out) > longest:
        raise HubError(Code.RANKING_TOO_LONG, f"rank at most {longest} proposals (got {len(out)})")
    return out


def check_ranking(defn: VoteDefinition, ranking: Sequence[str]) -> None:
    """``validate_ranking`` without the indices, for the hub's cast path: a ranking of known, distinct
    proposal ids of an allowed length passes in one pass of C-level checks (a set, a length); any
    other goes to ``validate_ranking``, which raises its exact error. Same verdict, always
    (``tests/unit/ballot/test_check_ranking.py``); about half the CPU of a cast's check."""
    index, (shortest, longest) = _ranking_terms(defn)
    try:
        named = set(ranking)
    except TypeError:  # an unhashable entry: validate_ranking names it
        named = set()
    if len(named) == len(ranking) and shortest <= len(ranking) <= longest and index.keys() >= named:
        return
    validate_ranking(defn, ranking)


def validate_nonce(nonce: object) -> str:
    """Check a client's cast nonce: 8-64 characters of ``A-Z a-z 0-9 _ -``; return it.

    The nonce makes a cast idempotent: the store keeps one ballot per (voter, nonce), so a client that
    retries after a lost ack gets the same ack instead of a second ballot. It must be long enough that a
    client's own nonces never collide, and plain enough to sit inside a Redis key.
    """
    if not isinstance(nonce, str) or not _NONCE.fullmatch(nonce):
        raise HubError(Code.BAD_NONCE, "nonce must be 8-64 characters of A-Z a-z 0-9 _ -")
    return nonce


# --------------------------------------------------------------------------------------------------
# who may vote


class Member(Protocol):
    """What eligibility reads of a roster entry (``panel.roster.Participant``; ballot/ does not
    import panel/, so the rule names only the fields it needs)."""

    @property
    def id(self) -> str: ...

    @property
    def role(self) -> str: ...

    def in_meeting(self, meeting_id: str) -> bool: ...


def eligible_voters(defn: VoteDefinition, people: Iterable[Member]) -> list[str]:
    """The ids of the people who may vote in ``defn``, in roster order; fixed when the vote opens.

    Only panelists vote (hosts, moderators and clerks run the vote, they do not take part in it).
    ``eligibility`` is ``"panelists"`` (every panelist of the assembly) or a meeting id (the panelists
    of that meeting). The store refuses to open a vote for which this is empty.
    """
    return [
        p.id
        for p in people
        if p.role == Role.PANELIST and (defn.eligibility == PANELISTS or p.in_meeting(defn.eligibility))
    ]


# --------------------------------------------------------------------------------------------------
# lifecycle


class HostCommand(StrEnum):
    """What a host can do to a vote; ``COMMAND_EFFECTS`` says what each one does."""

    EDIT = "edit"
    OPEN = "open"
    EXTEND = "extend"
    CLOSE = "close"
    PUBLISH = "publish"


TRANSITIONS: Final[Mapping[tuple[VoteState, HostCommand], VoteState]] = MappingProxyType(
    {
        (VoteState.DRAFT, HostCommand.EDIT): VoteState.DRAFT,
        (VoteState.DRAFT, HostCommand.OPEN): VoteState.OPEN,
        (VoteState.OPEN, HostCommand.EXTEND): VoteState.OPEN,
        (VoteState.OPEN, HostCommand.CLOSE): VoteState.CLOSED,
        (VoteState.CLOSED, HostCommand.PUBLISH): VoteState.PUBLISHED,
    }
)
"""Every legal (state, command) -> new state. Anything absent is illegal. There is no way back: a vote
that opened with a wrong definition is closed and replaced, never edited, because ballots were cast
under (and chained to) the definition as it was."""

COMMAND_EFFECTS: Final[Mapping[HostCommand, str]] = MappingProxyType(
    {
        HostCommand.EDIT: "replace the definition (proposals, rule, method); only while nobody can vote",
        HostCommand.OPEN: "freeze the definition, fix its hash as the board's genesis, accept ballots",
        HostCommand.EXTEND: "move scheduled_close later; proposals and rule stay as they are",
        HostCommand.CLOSE: "stop online and phone ballots (in-flight ones within grace_seconds still "
        "count); clerks may still key in paper ballots handed in before the close",
        HostCommand.PUBLISH: "select the counted ballots, build the bulletin board, tally and release "
        "the results and the export",
    }
)


def transition(state: VoteState, command: HostCommand) -> VoteState:
    """The state after ``command``; raises ``HubError(BAD_TRANSITION)`` for an illegal move."""
    try:
        return TRANSITIONS[(state, command)]
    except KeyError:
        legal = sorted(c.value for (s, c) in TRANSITIONS if s == state)
        hint = (
            f"; a {state.value} vote allows: {', '.join(legal)}"
            if legal
            else f"; a {state.value} vote is final"
        )
        raise HubError(Code.BAD_TRANSITION, f"cannot {command.value} a {state.value} vote{hint}") from None


class CloseTimes(msgspec.Struct, frozen=True, kw_only=True):
    """When a vote stops taking online ballots (``closes_at``) and when it is closed for good
    (``hard_close_at``); ``repeated``: a close was already announced and these are its times."""

    closes_at: int
    hard_close_at: int
    repeated: bool


def close_times(
    defn: VoteDefinition,
    state: VoteState,
    *,
    now_ms: int,
    closes_at: int | None,
    hard_close_at: int | None,
) -> CloseTimes:
    """The times a host's ``vote.close`` sets: the countdown ends now, the hard close is
    ``grace_seconds`` later; but once a close is announced (its ``closes_at`` has passed, or the vote
    is closed) a close is a repeat and keeps the first close's times.

    Why: two hosts pressing the button, or one pressing it twice during the grace period, must not
    move the hard close later and keep ballots coming in past the announced end. A ``scheduled_close``
    still in the future is not an announcement: closing early replaces it. Raises
    ``HubError(BAD_TRANSITION)`` when the vote cannot be closed. ``ballot/lua/close.lua`` enforces
    this same rule atomically (tests/integration/test_vote_store.py holds the two together).
    """
    announced = closes_at is not None and hard_close_at is not None and closes_at <= now_ms
    if state is VoteState.CLOSED and closes_at is not None and hard_close_at is not None:
        return CloseTimes(closes_at=closes_at, hard_close_at=hard_close_at, repeated=True)
    transition(state, HostCommand.CLOSE)
    if announced and closes_at is not None and hard_close_at is not None:
        return CloseTimes(closes_at=closes_at, hard_close_at=hard_close_at, repeated=True)
    return CloseTimes(closes_at=now_ms, hard_close_at=hard_close_time(defn, now_ms), repeated=False)


ACCEPTS: Final[Mapping[VoteState, frozenset[Channel]]] = MappingProxyType(
    {
        VoteState.DRAFT: frozenset(),
        VoteState.OPEN: frozenset(Channel),
        VoteState.CLOSED: frozenset({Channel.PAPER}),
        VoteState.PUBLISHED: frozenset(),
    }
)
"""Which channels may record a ballot in each state. Paper stays open after the close because the
clerks key in the ballots handed in before it; the host publishes once they are done."""


ACCEPTS_ARG: Final = (
    " " + " ".join(f"{s.value}:{c.value}" for s in VoteState for c in sorted(ACCEPTS[s])) + " "
)
""":data:`ACCEPTS` as ``cast.lua`` receives it (``ARGV[12]``): `` state:channel `` pairs between
spaces, so the script looks a pair up with one plain ``string.find`` and holds no table of its own."""


def hard_close_time(defn: VoteDefinition, closes_at: int) -> int:
    """When a vote whose countdown ends at ``closes_at`` stops taking online and phone ballots: the
    grace rule gives casts in flight at the close (network, batching) ``grace_seconds`` more."""
    return closes_at + defn.grace_seconds * 1000


def past_hard_close(*, now_ms: int, hard_close_at: int | None) -> bool:
    """Whether the hard close has come (``None``: no close announced nor scheduled).

    From this instant an open vote records only what a closed one does, even before a hub's sweeper
    (``VoteStore.close_due``) writes it closed, so no ballot slips in between the two. A close with no
    grace is past its hard close at once, which is why it closes the vote immediately.
    """
    return hard_close_at is not None and now_ms >= hard_close_at


def check_accepts(state: VoteState, channel: Channel, *, now_ms: int, hard_close_at: int | None) -> None:
    """Raise unless a ballot from ``channel`` may be recorded now; the rule ``cast.lua`` runs.

    Between the announced close (``closes_at``) and the hard close the vote is still open: that is
    the grace period, in which online and phone ballots still count. From the hard close on
    (:func:`past_hard_close`) it takes what :data:`ACCEPTS` allows a closed vote, paper only.
    ``VOTE_NOT_OPEN`` before the vote opens, ``VOTE_CLOSED`` after. ``cast.lua`` runs this rule
    atomically with the store (given :data:`ACCEPTS_ARG`); tests/integration/test_cast_rule.py holds
    the two together on generated cases.
    """
    if state is VoteState.OPEN and past_hard_close(now_ms=now_ms, hard_close_at=hard_close_at):
        state = VoteState.CLOSED
    if channel in ACCEPTS[state]:
        return
    if state is VoteState.DRAFT:
        raise HubError(Code.VOTE_NOT_OPEN, "this vote has not opened yet")
    raise HubError(
        Code.VOTE_CLOSED, f"this vote is {state.value}: {channel.value} ballots are no longer accepted"
    )


# --------------------------------------------------------------------------------------------------
# which ballot counts

CHANNEL_PRIORITY: Final[Mapping[Channel, int]] = MappingProxyType(
    {Channel.PAPER: 3, Channel.ONLINE: 2, Channel.PHONE: 1}
)


class Choice(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome for one panelist: the ballot that counts, the ones it supersedes, or a conflict.

    When ``conflict`` is non-empty, ``counted`` is None: the panelist's paper entries disagree and no
    rule can tell which is the real ballot. A returning officer must look at the paper and void the
    wrong entry before the vote can be published.
    """

    counted: BallotRecord | None
    superseded: tuple[BallotRecord, ...] = ()
    conflict: tuple[BallotRecord, ...] = ()

    @property
    def voted(self) -> bool:
        """Whether the panelist has any ballot recorded, counted or not (a conflict is a vote too).
        The only ground on which a panelist may be told they did not vote (``vote.mine``)."""
        return self.counted is not None or bool(self.superseded or self.conflict)


def choose_counted(ballots: Sequence[BallotRecord]) -> Choice:
    """Which of one panelist's ballots counts. ``ballots`` must share one vote and one voter.

    The rule, by channel first and only then by the store's acceptance order (``seq``):

    1. A paper ballot beats every online and phone ballot, whenever each was recorded. The panelist
       stood in the hall, staff checked who they were, and the paper can be looked at again; it is
       their final word, as in-person paper supersedes internet votes in Estonia's elections. Time
       cannot decide here: a clerk keys a ballot minutes after it was handed in, so its ``seq`` says
       when the clerk typed, not when the panelist chose.
    2. Otherwise the latest online ballot counts: revoting is allowed while the vote is open, so a
       panelist can change their mind after the debate, and a panelist pressed to vote a certain way
       can quietly vote again. ``seq`` (a Redis counter) orders them, not hub clocks.
    3. A phone pre-vote counts only when there is nothing else: it was taken by staff, before the
       plenary, for a panelist who expected to be absent. If they came after all, what they did
       themselves wins. Pre-votes are merged in bulk, so their ``seq`` is the merge time, not the
       call: again channel, not time, decides. Several pre-votes: the latest taken counts.

    Several paper entries with the same ranking are the same paper keyed twice (clerks double-key to
    catch typos): the first keyed counts, the others are superseded. Paper entries that disagree are a
    conflict (see :class:`Choice`). The result does not depend on the order of ``ballots``.
    """
    if not ballots:
        return Choice(counted=None)
    first = ballots[0]
    for b in ballots:
        if b.vote_id != first.vote_id or b.voter != first.voter:
            raise ValueError("choose_counted takes the ballots of one voter in one vote")
    if len({b.seq for b in ballots}) != len(ballots):
        raise ValueError("two ballots share a seq: the store's acceptance order must be unique")

    papers = sorted((b for b in ballots if b.channel is Channel.PAPER), key=lambda b: b.seq)
    if papers:
        if len({b.ranking for b in papers}) > 1:
            others = tuple(
                sorted((b for b in ballots if b.channel is not Channel.PAPER), key=lambda b: b.seq)
            )
            return Choice(counted=None, superseded=others, conflict=tuple(papers))
        counted = papers[0]
    else:
        counted = max(ballots, key=lambda b: (CHANNEL_PRIORITY[b.channel], b.seq))
    superseded = tuple(sorted((b for b in ballots if b is not counted), key=lambda b: b.seq))
    return Choice(counted=counted, superseded=superseded)


class Selection(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome for a whole vote. ``counted`` goes to the board; ``conflicts`` blocks publishing."""

    counted: tuple[BallotRecord, ...]
    superseded: tuple[BallotRecord, ...]
    conflicts: tuple[Choice, ...]


def select_counted(ballots: Iterable[BallotRecord]) -> Selection:
    """Apply :func:`choose_counted` to every panelist of one vote: one counted ballot per panelist.

    ``counted`` is ordered by tracking code, the bulletin board's order (which reveals nothing about
    who voted when). Publishing must refuse while ``conflicts`` is non-empty.
    """
    by_voter: dict[str, list[BallotRecord]] = {}
    vote_ids: set[str] = set()
    for b in ballots:
        by_voter.setdefault(b.voter, []).append(b)
        vote_ids.add(b.vote_id)
    if len(vote_ids) > 1:
        raise ValueError("select_counted takes the ballots of one vote")
    counted: list[BallotRecord] = []
    superseded: list[BallotRecord] = []
    conflicts: list[Choice] = []
    for voter in sorted(by_voter):
        choice = choose_counted(by_voter[voter])
        superseded.extend(choice.superseded)
        if choice.conflict:
            conflicts.append(choice)
        elif choice.counted is not None:
            counted.append(choice.counted)
    counted.sort(key=lambda b: b.tracking_code)
    superseded.sort(key=lambda b: b.seq)
    return Selection(counted=tuple(counted), superseded=tuple(superseded), conflicts=tuple(conflicts))
