"""Protocol v1: the plenary vote's commands (ballot/ holds the rules; realtime/commands/vote.py runs them)."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta, Struct

from realtime.protocol.base import Command, Ident


class VoteCreate(Command, tag="vote.create"):
    """Host: a new vote in draft. ``definition`` follows ballot.model.VoteDefinition (docs/protocol.md)."""

    definition: dict[str, Any]


class VoteOpen(Command, tag="vote.open"):
    """Host: open a draft vote to every panelist of the roster (or of the meeting it names)."""

    vote: Ident


class VoteClose(Command, tag="vote.close"):
    """Host: announce the close now; casts still count for the vote's grace period, then it closes."""

    vote: Ident


class VotePublish(Command, tag="vote.publish"):
    """Host: tally the counted ballots and publish the results (only after the close)."""

    vote: Ident


class VoteGet(Command, tag="vote.get"):
    """The vote's definition and status (results once published)."""

    vote: Ident


class VoteCast(Command, tag="vote.cast"):
    """Panelist: a ranking of proposal ids, best first. ``nonce``: 8-64 of [A-Za-z0-9_-], the same on
    every retry of this ballot (a retry returns the same receipt and changes nothing)."""

    vote: Ident
    ranking: Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(max_length=100)]
    nonce: Annotated[str, Meta(max_length=64)]


class VotePaper(Command, tag="vote.paper"):
    """Clerk: key in a paper ballot handed in at the hall, for panelist ``voter``. Paper beats the
    panelist's online ballots (ballot.rules.choose_counted); keying the same paper twice is harmless."""

    vote: Ident
    voter: Ident
    ranking: Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(max_length=100)]
    nonce: Annotated[str, Meta(max_length=64)]


class VoteTurnout(Command, tag="vote.turnout"):
    """Host and ops: turnout overall and by stratum beside the panel's composition and who is present."""

    vote: Ident


class VoteList(Command, tag="vote.list"):
    """The votes the caller may see (all for staff; for panelists and clerks, votes of all
    panelists or of a meeting of theirs), by id: how a page finds the votes to show."""


class VoteMine(Command, tag="vote.mine"):
    """Panelist: my own standing in this vote, from the store, on any device: whether I voted,
    which of my ballots counts (``ballot.rules.choose_counted``), its channel, tracking code and
    ranking. Only the caller's own ballots; other roles are refused (``forbidden``)."""

    vote: Ident


class OwnBallot(Struct, kw_only=True, omit_defaults=True):
    """One of the caller's own ballots as ``vote.mine`` shows it."""

    channel: str  # online | paper | phone
    tracking_code: str
    received_ms: int
    ranking: list[str] | None = None  # the counted ballot's only: what the board will show


class VoteMineResult(Struct, kw_only=True):
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
