"""Protocol v1: the plenary vote's commands and their replies (ballot/ holds the rules;
realtime/commands/vote.py runs them)."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import UNSET, Meta, Struct, UnsetType

from realtime.protocol.base import Command, Ident, Result

VoteId = Annotated[Ident, Meta(description="a vote id")]
Ranking = Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(max_length=100)]
Nonce = Annotated[str, Meta(max_length=64)]


class VoteCreateReply(Result):
    vote: str
    status: Annotated[str, Meta(description="`draft`")]
    offset: Annotated[int, Meta(description="of the vote's first event on `vote/<id>`")]


class VoteCreate(Command[VoteCreateReply], tag="vote.create"):
    """Host: a new vote in draft. ``definition`` follows ballot.model.VoteDefinition (docs/protocol.md)."""

    definition: Annotated[dict[str, Any], Meta(description="a vote definition (above)")]
    meeting: Annotated[
        Ident | None,
        Meta(
            description="the meeting whose pages show the vote (its home, announced on "
            "`meeting/<id>/votes`); for a vote restricted to a meeting, that meeting or null"
        ),
    ] = None


class VoteOpenReply(Result):
    vote: str
    status: Annotated[str, Meta(description="`open`")]
    eligible: Annotated[int, Meta(description="how many panelists may vote")]
    offset: int


class VoteOpen(Command[VoteOpenReply], tag="vote.open"):
    """Host: open a draft vote to every panelist of the roster (or of the meeting it names)."""

    vote: VoteId


class VoteCloseReply(Result):
    vote: str
    closes_at: Annotated[int, Meta(description="ms since the Unix epoch")]
    hard_close_at: Annotated[int, Meta(description="the close plus the grace period")]
    repeated: Annotated[bool, Meta(description="a close was announced already: its times, nothing changed")]
    offset: Annotated[int | UnsetType, Meta(description="absent when `repeated`: no event")] = UNSET


class VoteClose(Command[VoteCloseReply], tag="vote.close"):
    """Host: announce the close now; casts still count for the vote's grace period, then it closes."""

    vote: VoteId


class VotePublishReply(Result):
    vote: str
    status: Annotated[str, Meta(description="`published`")]
    results: Annotated[dict[str, Any], Meta(description="ballot.tally's result, as on the bulletin board")]


class VotePublish(Command[VotePublishReply], tag="vote.publish"):
    """Host: tally the counted ballots and publish the results (only after the close)."""

    vote: VoteId


class VoteGetReply(Result):
    definition: Annotated[dict[str, Any], Meta(description="the vote definition, every default filled in")]
    status: str
    results: Annotated[
        dict[str, Any] | UnsetType, Meta(description="once published: the results, as in `vote.publish`")
    ] = UNSET
    head_hash: Annotated[
        str | UnsetType, Meta(description="once published: the bulletin board's head hash")
    ] = UNSET
    counted: Annotated[int | UnsetType, Meta(description="once published: the entries on the board")] = UNSET


class VoteGet(Command[VoteGetReply], tag="vote.get"):
    """The vote's definition and status (results once published)."""

    vote: VoteId


class VoteCastReply(Result):
    vote: str
    tracking_code: str
    retry: Annotated[bool, Meta(description="the same nonce again: the first receipt, nothing changed")]
    received_ms: int


class VoteCast(Command[VoteCastReply], tag="vote.cast"):
    """Panelist: a ranking of proposal ids, best first. ``nonce``: 8-64 of [A-Za-z0-9_-], the same on
    every retry of this ballot (a retry returns the same receipt and changes nothing)."""

    vote: VoteId
    ranking: Annotated[
        Ranking, Meta(description="proposal ids, best first, no repeats; length within the rule's bounds")
    ]
    nonce: Annotated[
        Nonce,
        Meta(
            description="8–64 of `A-Z a-z 0-9 _ -`, new for every ballot, the **same** for every retry of that ballot"
        ),
    ]


class VotePaperReply(Result):
    vote: str
    voter: str
    tracking_code: str
    retry: bool


class VotePaper(Command[VotePaperReply], tag="vote.paper"):
    """Clerk: key in a paper ballot handed in at the hall, for panelist ``voter``. Paper beats the
    panelist's online ballots (ballot.rules.choose_counted); keying the same paper twice is harmless."""

    vote: VoteId
    voter: Annotated[Ident, Meta(description="the panelist's participant id")]
    ranking: Annotated[Ranking, Meta(description="as for `vote.cast`")]
    nonce: Annotated[Nonce, Meta(description="as for `vote.cast`")]


class TurnoutRow(Struct, kw_only=True):
    """One stratum's value (a gender, an age band, a district) in ``vote.turnout``."""

    eligible: int
    voted: int
    present: int


class VoteTurnoutReply(Result):
    vote: str
    eligible: int
    voted: int
    present: int
    strata: Annotated[dict[str, dict[str, TurnoutRow]], Meta(description="feature -> value -> counts")]


class VoteTurnout(Command[VoteTurnoutReply], tag="vote.turnout"):
    """Host and ops: turnout overall and by stratum beside the panel's composition and who is present."""

    vote: VoteId


class ListedVote(Struct, kw_only=True):
    vote: str
    title: str
    status: str
    eligibility: Annotated[str, Meta(description="`panelists` or a meeting id")]


class VoteListReply(Result):
    votes: list[ListedVote]


class VoteList(Command[VoteListReply], tag="vote.list"):
    """The votes the caller may see (all for staff; for panelists and clerks, votes of all
    panelists or of a meeting of theirs), by id: how a page finds the votes to show."""


class OwnBallot(Struct, kw_only=True):
    """One of the caller's own ballots as ``vote.mine`` shows it."""

    channel: Annotated[str, Meta(description="`online`, `paper` or `phone`")]
    tracking_code: str
    received_ms: int
    ranking: Annotated[
        list[str] | UnsetType, Meta(description="the counted ballot's only: what the board will show")
    ] = UNSET


class VoteMineReply(Result):
    """The reply to ``vote.mine``. ``voted`` is true when the store holds any ballot of the caller;
    ``counted`` is the one that counts (None when none does: no ballot, or a ``conflict`` of paper
    entries that a returning officer must resolve); ``superseded`` lists the others, oldest first
    (an online ballot replaced by a later one or by paper, a phone pre-vote), without rankings."""

    vote: str
    eligible: bool
    voted: bool
    counted: OwnBallot | None
    superseded: list[OwnBallot]
    conflict: bool


class VoteMine(Command[VoteMineReply], tag="vote.mine"):
    """Panelist: my own standing in this vote, from the store, on any device: whether I voted,
    which of my ballots counts (``ballot.rules.choose_counted``), its channel, tracking code and
    ranking. Only the caller's own ballots; other roles are refused (``forbidden``)."""

    vote: VoteId


VOTE_COMMANDS: tuple[type[Command], ...] = (
    VoteCreate,
    VoteOpen,
    VoteClose,
    VotePublish,
    VoteGet,
    VoteCast,
    VotePaper,
    VoteTurnout,
    VoteList,
    VoteMine,
)
