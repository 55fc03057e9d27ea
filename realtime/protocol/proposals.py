"""Protocol v1: citizens' proposals of the topic meetings (issue 14).

proposals/ holds the rules (``proposals/rules.py``) and the records (``proposals/model.py``);
realtime/commands/proposals.py runs them. The wire bounds sizes and shapes only: the rules check
the meaning (a field's length after cleaning, a section that is open, a proposal's state). The
records below are the model's, field for field, as every reply and every event on
``meeting/<id>/proposals`` carries them.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType, field

from realtime.protocol.base import Command, Ident, MeetingCommand, R, Result

ProposalId = Annotated[int, Meta(ge=1, le=2**53 - 1)]
Section = Annotated[
    str,
    Meta(
        max_length=40,
        description="`health`, `childcare`, `transport`, `economy`, `environment`, `housing`, `education`, `welfare`, `safety` or `culture`",
    ),
]
TitleText = Annotated[str, Meta(max_length=1000, description="at most 100 characters after cleaning")]
LongText = Annotated[str, Meta(max_length=8000, description="at most 2,000 characters after cleaning")]
CommentText = Annotated[str, Meta(max_length=4000, description="at most 1,000 characters after cleaning")]
ReasonText = Annotated[str, Meta(max_length=2000, description="at most 500 characters after cleaning")]
Offset = Annotated[int, Meta(description="of the event this step published on `meeting/<id>/proposals`")]


class Person(Struct, kw_only=True):
    id: str
    name: str


class PendingEdit(Struct, kw_only=True):
    """A moderator's edit waiting for every author's consent: the fields it changes (`""`: unchanged)."""

    by: Person
    at: int
    note: str = ""
    section: str = ""
    title: str = ""
    problem: str = ""
    action: str = ""
    consents: Annotated[list[str], Meta(description="the authors (ids) who accepted so far")] = []


class ShortlistPlace(Struct, kw_only=True):
    vote: str
    rank: Annotated[int, Meta(description="its place in the shortlist vote's published order, 1 first")]


class BallotPlace(Struct, kw_only=True):
    vote: str
    item: Annotated[str, Meta(description="its id on the plenary ballot")]
    rank: Annotated[int, Meta(description="its place in the plenary's published order, 0 until then")]


class ThemeCardRecord(Struct, kw_only=True):
    id: Annotated[str, Meta(description="the card's id (`table.card`)")]
    table: Annotated[str, Meta(description="the table that wrote it")]
    text: str


class FromThemeRecord(Struct, kw_only=True):
    """Issue 15: the theme of the theme team a proposal was made from (`theme.to_proposal`)."""

    theme: Annotated[str, Meta(description="the theme's id in the meeting")]
    title: str
    cards: list[ThemeCardRecord]


class ProposalRecord(Struct, kw_only=True):
    id: int
    meeting: str
    section: str
    title: str
    problem: str
    action: Annotated[str, Meta(description="what the city should do")]
    authors: Annotated[list[Person], Meta(description="the submitter first, then the co-authors")]
    state: Annotated[
        str, Meta(description="`submitted`, `merged`, `returned`, `shortlisted`, `on_ballot` or `decided`")
    ]
    version: Annotated[int, Meta(description="1 at submission, one more per accepted edit")]
    supports: Annotated[int, Meta(description="how many panelists support it (공감)")]
    comments: int
    merged_into: Annotated[int, Meta(description="the proposal it was merged into, 0 if none")]
    merged_from: list[int]
    reason: Annotated[str, Meta(description="why a moderator returned it")]
    edit: PendingEdit | None
    at: Annotated[int, Meta(description="submitted, ms since the Unix epoch")]
    updated: int
    # issue 14: shortlist and ballot (left out until reached)
    shortlist: Annotated[
        ShortlistPlace | UnsetType, Meta(description="the shortlist vote that kept it, and its rank there")
    ] = UNSET
    ballot: Annotated[
        BallotPlace | UnsetType, Meta(description="its item on the plenary ballot; `rank` once decided")
    ] = UNSET
    theme: Annotated[
        FromThemeRecord | UnsetType,
        Meta(
            description="issue 15: the theme, its cards and their tables it was made from (left out otherwise)"
        ),
    ] = UNSET


class VersionRecord(Struct, kw_only=True):
    version: int
    section: str
    title: str
    problem: str
    action: str
    by: Annotated[
        Person, Meta(description="the submitter (version 1) or the moderator who proposed the edit")
    ]
    at: int
    consents: list[str] = []
    note: str = ""


class CommentRecord(Struct, kw_only=True):
    n: Annotated[int, Meta(description="the comment's number on its proposal, from 1")]
    by: Person
    text: str
    at: int


# -- commands and replies -------------------------------------------------------------------------
class _OnProposal(MeetingCommand[R]):
    """A step on one proposal of the meeting: ``proposal`` right after ``meeting``, as on the wire."""

    proposal: ProposalId


class ProposalSectionsReply(Result):
    open: list[str]
    offset: Offset


class ProposalSections(MeetingCommand[ProposalSectionsReply], tag="proposal.sections"):
    """Moderator: the sections that take proposals in this meeting now (the others are closed)."""

    open: Annotated[list[Section], Meta(max_length=20)]


class ProposalReply(Result):
    proposal: ProposalRecord
    offset: Offset


class ProposalSubmit(MeetingCommand[ProposalReply], tag="proposal.submit"):
    """Panelist: a new proposal in an open section of a meeting you are a member of."""

    section: Section
    title: TitleText
    problem: LongText
    action: Annotated[
        str,
        Meta(max_length=8000, description="what the city should do; at most 2,000 characters after cleaning"),
    ]


class ProposalJoin(_OnProposal[ProposalReply], tag="proposal.join"):
    """Panelist: join a submitted proposal as a co-author."""


class ProposalSupportReply(Result):
    proposal: int
    supported: Annotated[bool, Meta(description="the caller's support now")]
    supports: int
    offset: Offset


class ProposalSupport(_OnProposal[ProposalSupportReply], tag="proposal.support"):
    """Panelist: support (공감) a submitted proposal, once."""


class ProposalUnsupport(_OnProposal[ProposalSupportReply], tag="proposal.unsupport"):
    """Panelist: withdraw your support."""


class ProposalCommentReply(Result):
    proposal: int
    comment: CommentRecord
    offset: Offset


class ProposalComment(_OnProposal[ProposalCommentReply], tag="proposal.comment"):
    text: CommentText


class ProposalMergeReply(Result):
    proposal: Annotated[ProposalRecord, Meta(description="the duplicate, now `merged`")]
    into: Annotated[ProposalRecord, Meta(description="the proposal it joined, with its supports and authors")]
    offset: Offset


class ProposalMerge(_OnProposal[ProposalMergeReply], tag="proposal.merge"):
    """Moderator: ``proposal`` is a duplicate of ``into``."""

    into: ProposalId


class ProposalEdit(_OnProposal[ProposalReply], tag="proposal.edit"):
    """Moderator: propose an edit; it takes effect once every author consents."""

    section: Annotated[str, Meta(max_length=40, description='a new section, `""` to keep it')] = ""
    title: Annotated[str, Meta(max_length=1000, description='a new title, `""` to keep it')] = ""
    problem: Annotated[str, Meta(max_length=8000, description='`""` to keep it')] = ""
    action: Annotated[str, Meta(max_length=8000, description='`""` to keep it')] = ""
    note: Annotated[str, Meta(max_length=2000, description="why, for the authors")] = ""


class ProposalConsent(_OnProposal[ProposalReply], tag="proposal.consent"):
    """Author: accept or decline the edit waiting on your proposal."""

    accept: bool


class ProposalReturn(_OnProposal[ProposalReply], tag="proposal.return"):
    """Moderator: return a proposal to its authors with a reason."""

    reason: ReasonText


class ProposalListReply(Result):
    proposals: list[ProposalRecord]
    open: Annotated[list[str], Meta(description="the sections that take proposals now")]
    supported: Annotated[list[int], Meta(description="the proposals the caller supports")]


class ProposalList(MeetingCommand[ProposalListReply], tag="proposal.list"):
    """Every proposal of a meeting, in every state, by id."""


class ProposalGetReply(Result):
    proposal: ProposalRecord
    versions: Annotated[list[VersionRecord], Meta(description="every version, the first first")]
    comments: list[CommentRecord]
    supported: bool


class ProposalGet(_OnProposal[ProposalGetReply], tag="proposal.get"):
    """One proposal with its whole record: versions and comments."""


# -- issue 14: shortlist and ballot -------------------------------------------------------------------
VoteTitle = Annotated[str, Meta(max_length=200, description="the vote's title, shown to the voters")]


class Provenance(Struct, kw_only=True):
    """Where a ballot item came from (``proposals.provenance.Provenance``)."""

    item: Annotated[str, Meta(description="the item's id on the ballot: `<meeting>-<proposal>`")]
    meeting: str
    proposal: int
    section: str
    title: str
    authors: list[Person]
    shortlist: Annotated[
        ShortlistPlace | None, Meta(description="the shortlist vote and rank that brought it (plenary items)")
    ] = None
    theme: Annotated[
        FromThemeRecord | None,
        Meta(description="issue 15: made from a theme: the theme, its cards and their tables"),
    ] = None


class ProposalVoteReply(Result):
    vote: str
    status: Annotated[str, Meta(description="`draft`: hosts open, close and publish it as any vote")]
    items: Annotated[
        list[Provenance], Meta(description="the ballot's items, in its order, with their provenance")
    ]
    offset: Annotated[
        int | None,
        Meta(description="of `vote.created` on `vote/<id>`; null: the same vote existed already (a retry)"),
    ]


class ProposalShortlist(MeetingCommand[ProposalVoteReply], tag="proposal.shortlist"):
    """Moderator or host of the meeting: the meeting's shortlist vote, a ranked vote of its panelists
    from its submitted proposals; once published, its first ``top`` go `shortlisted`."""

    vote: Ident
    title: VoteTitle
    top: Annotated[int, Meta(ge=1, le=100, description="how many the meeting keeps, and ranks at most")]
    section: Annotated[str, Meta(max_length=40, description='one section, `""`: every section')] = ""
    proposals: Annotated[
        list[ProposalId],
        Meta(max_length=100, description="only these (each submitted); `[]`: all of the section"),
    ] = field(default_factory=list)


class ProposalBallot(Command[ProposalVoteReply], tag="proposal.ballot"):
    """Host: the plenary ballot (a draft vote of every panelist) from the proposals the published
    shortlist votes kept; they go `on_ballot`, and `decided` with their rank once it is published."""

    vote: Ident
    title: VoteTitle
    shortlists: Annotated[list[Ident], Meta(min_length=1, max_length=50, description="the shortlist votes")]
    top: Annotated[int, Meta(ge=1, le=100, description="how many a panelist ranks at most (the Top 10)")] = 10
    meeting: Annotated[Ident | None, Meta(description="the meeting whose pages show it (the plenary's)")] = (
        None
    )


# -- issue 14: the city's response --------------------------------------------------------------
class ResponseRecord(Struct, kw_only=True):
    """The city's response to a decided proposal."""

    status: Annotated[str, Meta(description="`accepted`, `under_review` or `rejected`")]
    department: Annotated[str, Meta(description="the city's department responsible")]
    text: Annotated[str, Meta(description="what the city will do, or why not (a rejection's reason)")]
    by: Annotated[Person, Meta(description="who recorded it")]
    at: int


class ProposalRespondReply(Result):
    proposal: int
    response: ResponseRecord
    n: Annotated[int, Meta(description="how many responses the proposal has now, this one included")]
    offset: Offset


class ProposalRespond(_OnProposal[ProposalRespondReply], tag="proposal.respond"):
    """Host: record the city's response to a decided proposal; it replaces the earlier one, and
    every response is kept."""

    status: Annotated[str, Meta(max_length=40, description="`accepted`, `under_review` or `rejected`")]
    department: Annotated[str, Meta(max_length=400, description="at most 100 characters after cleaning")]
    text: Annotated[
        str,
        Meta(max_length=8000, description="at most 2,000 characters after cleaning; required when rejected"),
    ] = ""


PROPOSAL_COMMANDS: tuple[type[Command], ...] = (
    ProposalSections,
    ProposalSubmit,
    ProposalJoin,
    ProposalSupport,
    ProposalUnsupport,
    ProposalComment,
    ProposalMerge,
    ProposalEdit,
    ProposalConsent,
    ProposalReturn,
    ProposalList,
    ProposalGet,
    ProposalShortlist,  # issue 14: shortlist and ballot
    ProposalBallot,
    ProposalRespond,  # issue 14: response
)
