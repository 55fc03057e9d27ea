"""Protocol v1: commands of moderated meetings (Q&A, chat moderation, speakers, agenda, polls).

moderation/ holds the rules; realtime/commands/moderation.py (and chat.py there for chat) runs them. Every
command names its meeting (``base.MeetingCommand``); the wire only bounds sizes and shapes, the rules
check the meaning. Each reply type stands right before the command(s) it answers. ``offset`` in a
reply is the offset of the event the command published, null when it changed nothing (so published
nothing).

What a reply carries from a channel's state as it is stored (a slide, an overlay item, a poll's
results, a deleted message with its audit) is a plain object (``dict[str, Any]``): its shape is the
event's and the snapshot's (docs/protocol.md, "Events of moderated meetings").
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from realtime.protocol.base import Command, Ident, MeetingCommand, R, Result

QuestionId = Annotated[int, Meta(ge=1, le=2**53 - 1)]
QuestionText = Annotated[str, Meta(max_length=2000)]  # the Q&A rule's own limit is lower
Seconds = Annotated[int, Meta(ge=0, le=86_400)]
Url = Annotated[str, Meta(max_length=2000)]
Title = Annotated[str, Meta(max_length=400)]
Note = Annotated[str, Meta(max_length=1000)]
Offset = Annotated[int, Meta(ge=1, le=2**53 - 1)]
EventOffset = Annotated[
    int | None, Meta(description="of the event this step published; null when it changed nothing")
]


# -- Q&A ----------------------------------------------------------------------------------------
class QaAskReply(Result):
    question: int
    state: Annotated[str, Meta(description="`pending`")]


class QaAsk(MeetingCommand[QaAskReply], tag="qa.ask"):
    """Panelist: ask a question. ``anonymous`` (the default, ``moderation.qa.ANONYMOUS_BY_DEFAULT``):
    other panelists and the stream do not see your name (moderators do); ``false`` agrees to be named."""

    text: QuestionText
    anonymous: bool = True


class QaVoteReply(Result):
    question: int
    voted: Annotated[bool, Meta(description="the caller's vote now")]
    votes: int
    changed: Annotated[bool, Meta(description="false: a repeated vote or withdrawal, nothing published")]


class QaUpvote(MeetingCommand[QaVoteReply], tag="qa.upvote"):
    """Panelist: one vote for a visible question (again: no change)."""

    question: QuestionId


class QaUnvote(MeetingCommand[QaVoteReply], tag="qa.unvote"):
    """Panelist: withdraw your vote."""

    question: QuestionId


class AskedQuestion(Struct, kw_only=True):
    id: int
    state: str
    text: str
    anonymous: bool


class QaMineReply(Result):
    asked: list[AskedQuestion]
    voted: Annotated[list[int], Meta(description="the questions the caller voted for")]


class QaMine(MeetingCommand[QaMineReply], tag="qa.mine"):
    """Panelist: your questions (in every state) and the questions you voted for."""


class QaMoveReply(Result):
    question: int
    offset: Annotated[int | None, Meta(description="of the public event; null when panelists saw no change")]
    votes: int
    state: Annotated[str, Meta(description="the question's state now")]


class _QaMove(MeetingCommand[QaMoveReply]):
    question: QuestionId


class QaApprove(_QaMove, tag="qa.approve"):
    """Moderator: pending -> approved (panelists see it)."""


class QaDismiss(_QaMove, tag="qa.dismiss"):
    """Moderator: pending, approved or queued -> dismissed (hidden, kept)."""


class QaReopen(_QaMove, tag="qa.reopen"):
    """Moderator: dismissed -> pending."""


class QaQueue(_QaMove, tag="qa.queue"):
    """Moderator: approved -> queued (last in the order)."""


class QaUnqueue(_QaMove, tag="qa.unqueue"):
    """Moderator: queued -> approved."""


class QaAir(_QaMove, tag="qa.air"):
    """Moderator: approved, queued or on air -> on air (and on the stream overlay)."""


class QaAnswer(_QaMove, tag="qa.answer"):
    """Moderator: approved, queued or on air -> answered."""


class QaMergeReply(Result):
    question: int
    into: int
    votes: Annotated[int, Meta(description="of `into`, with the merged question's voters")]
    offset: EventOffset


class QaMerge(MeetingCommand[QaMergeReply], tag="qa.merge"):
    """Moderator: ``question`` is a duplicate of ``into``; its voters move there."""

    question: QuestionId
    into: QuestionId


class QaReorderReply(Result):
    order: list[int]
    offset: EventOffset


class QaReorder(MeetingCommand[QaReorderReply], tag="qa.reorder"):
    """Moderator: the queued questions in their new order (every queued id exactly once)."""

    order: Annotated[list[QuestionId], Meta(max_length=500)]


# -- chat moderation ----------------------------------------------------------------------------
class ChatDeleteReply(Result):
    offset: Annotated[int, Meta(description="the deleted message's")]
    deleted: bool
    changed: Annotated[bool, Meta(description="false: it was deleted already")]


class ChatDelete(MeetingCommand[ChatDeleteReply], tag="chat.delete"):
    """Moderator: hide the message at ``offset`` for everyone (kept in the record)."""

    offset: Offset
    reason: Note = ""


class ChatRestrictReply(Result):
    """The participant's standing after ``chat.mute``, ``chat.ban`` or ``chat.unmute``."""

    changed: Annotated[bool, Meta(description="false: nothing to lift")]
    muted_ms: Annotated[int, Meta(description="ms left of a mute, 0 if none")]
    banned: bool


class ChatMute(MeetingCommand[ChatRestrictReply], tag="chat.mute"):
    """Moderator: the participant may not chat in this meeting for ``minutes``."""

    participant: Ident
    minutes: Annotated[int, Meta(ge=1, le=1440)]


class ChatBan(MeetingCommand[ChatRestrictReply], tag="chat.ban"):
    """Moderator: the participant may not chat in this meeting until unmuted."""

    participant: Ident


class ChatUnmute(MeetingCommand[ChatRestrictReply], tag="chat.unmute"):
    """Moderator: lift a mute or a ban."""

    participant: Ident


class ChatSettingsReply(Result):
    slow_mode: int
    links: str
    offset: EventOffset


class ChatSettings(MeetingCommand[ChatSettingsReply], tag="chat.settings"):
    """Moderator: slow mode (seconds between one participant's messages, 0 = off) and/or the link
    policy (``allow``, ``staff``, ``block``); a field left out is unchanged."""

    slow_mode: Annotated[int, Meta(ge=0, le=600)] | None = None
    links: Literal["allow", "staff", "block"] | None = None


class ChatStatusReply(Result):
    slow_mode: int
    links: str
    muted_ms: Annotated[int, Meta(description="the caller's own standing")]
    banned: bool


class ChatStatus(MeetingCommand[ChatStatusReply], tag="chat.status"):
    """The meeting's chat settings and your own standing (muted, banned)."""


class Restriction(Struct, kw_only=True):
    """A mute or ban in force, as the moderators' console lists it."""

    participant: str
    name: str
    kind: Annotated[str, Meta(description="`mute` or `ban`")]
    until: Annotated[int, Meta(description="ms since the Unix epoch, 0 for a ban")]
    muted_ms: int
    by: Annotated[dict[str, Any], Meta(description="the moderator: id, name, role")]
    at: int


class ChatModerationReply(Result):
    restrictions: list[Restriction]
    deleted: Annotated[
        list[dict[str, Any]], Meta(description="offset, the message as posted, `deleted`: by, at, reason")
    ]
    older: Annotated[bool, Meta(description="older deleted messages remain: ask again with `before`")]


class ChatModeration(MeetingCommand[ChatModerationReply], tag="chat.moderation"):
    """Moderator: what the console shows after a (re)connect: the restrictions in force (who is
    muted until when, who is banned, by whom) and a page of the newest deleted messages with their
    text (from the audit); ``before``: the page below that offset. Staff only: a panelist never
    gets others' restrictions or deleted text."""

    before: Offset | None = None


class ChatReportReply(Result):
    offset: int
    reports: Annotated[int, Meta(description="how many have reported this message")]


class ChatReport(MeetingCommand[ChatReportReply], tag="chat.report"):
    """Panelist: report the message at ``offset`` to the moderators."""

    offset: Offset
    reason: Literal["abuse", "spam", "off_topic", "personal_info", "other"]
    note: Note = ""


class ChatDismissReportReply(Result):
    offset: int
    outcome: Annotated[str, Meta(description="`dismissed`")]
    by: Annotated[dict[str, Any], Meta(description="the moderator: id, name, role")]


class ChatDismissReport(MeetingCommand[ChatDismissReportReply], tag="chat.dismiss_report"):
    """Moderator: close the report about a message without deleting it."""

    offset: Offset


# -- speakers list ------------------------------------------------------------------------------
class SpeakersHandReply(Result, kw_only=True):
    raised: Annotated[bool, Meta(description="the hand's state now")]
    changed: Annotated[
        bool | UnsetType, Meta(description="false when it was so already (absent otherwise)")
    ] = UNSET
    offset: EventOffset


class SpeakersRaise(MeetingCommand[SpeakersHandReply], tag="speakers.raise"):
    """Panelist: raise your hand (again: no change)."""


class SpeakersLower(MeetingCommand[SpeakersHandReply], tag="speakers.lower"):
    """Lower a hand: your own (panelists), or anyone's (``participant``, moderators)."""

    participant: Ident | None = None


class SpeakersOrderReply(Result):
    order: list[str]
    offset: EventOffset


class SpeakersOrder(MeetingCommand[SpeakersOrderReply], tag="speakers.order"):
    """Moderator: the raised hands in their new order (every one exactly once)."""

    order: Annotated[list[Ident], Meta(max_length=3000)]


class Speaker(Struct, kw_only=True):
    id: str
    name: str
    started_at: Annotated[int, Meta(description="ms since the Unix epoch")]
    ends_at: int
    seconds: int


class SpeakersNextReply(Result):
    current: Speaker
    offset: EventOffset


class SpeakersNext(MeetingCommand[SpeakersNextReply], tag="speakers.next"):
    """Moderator: give the floor to the first raised hand (or to ``participant``) for ``seconds``
    (default: the meeting's per-speaker time)."""

    participant: Ident | None = None
    seconds: Annotated[int, Meta(ge=10, le=3600)] | None = None


class SpeakersYieldReply(Result):
    speaker: str
    by: str
    spoke_ms: int
    offset: EventOffset


class SpeakersYield(MeetingCommand[SpeakersYieldReply], tag="speakers.yield"):
    """The speaker (or a moderator) ends the current turn."""


class SpeakersTimerReply(Result):
    seconds: int
    offset: EventOffset
    cut_off: Annotated[
        bool, Meta(description="whether live voice ends when a speaker's time runs out (issue 16)")
    ] = False


class SpeakersTimer(MeetingCommand[SpeakersTimerReply], tag="speakers.timer"):
    """Moderator: the per-speaker time, in seconds, for the turns that follow."""

    seconds: Annotated[int, Meta(ge=10, le=3600)]
    cut_off: Annotated[
        bool | None,
        Meta(
            description="issue 16: `true`: a speaker's live voice ends when their time runs out; `false`: it never does (the moderator calls the next); null: unchanged"
        ),
    ] = None


# -- agenda, slides, materials, overlay ---------------------------------------------------------
class AgendaItem(Struct, kw_only=True, forbid_unknown_fields=True):
    id: Ident
    title: Title
    starts_at: int = 0  # planned start, ms since the Unix epoch (0: not planned)
    minutes: Annotated[int, Meta(ge=0, le=1440)] = 0


class AgendaSetReply(Result):
    items: Annotated[int, Meta(description="how many")]
    offset: EventOffset


class AgendaSet(MeetingCommand[AgendaSetReply], tag="agenda.set"):
    """Host: the whole agenda, in order (replaces the previous one)."""

    items: Annotated[list[AgendaItem], Meta(max_length=100)]


class AgendaCurrentReply(Result):
    current: Annotated[
        dict[str, Any] | None, Meta(description="the item under way: `item` (its id), `since`; null: none")
    ]
    offset: EventOffset


class AgendaCurrent(MeetingCommand[AgendaCurrentReply], tag="agenda.current"):
    """Host: the item under way (null: none)."""

    item: Ident | None


class SlideReply(Result):
    slide: Annotated[
        dict[str, Any] | None, Meta(description="the slide shown now (the `slide.shown` event's)")
    ]
    offset: EventOffset


class SlideShow(MeetingCommand[SlideReply], tag="slide.show"):
    """Host: show a slide: an uploaded image or a page of an uploaded PDF (``upload``, ``page``), or
    a ``url`` (https)."""

    upload: Ident | None = None
    page: Annotated[int, Meta(ge=1, le=10_000)] = 1
    url: Url | None = None
    title: Title = ""


class SlideClear(MeetingCommand[SlideReply], tag="slide.clear"):
    """Host: no slide."""


class Material(Struct, kw_only=True, forbid_unknown_fields=True):
    id: Ident
    title: Title
    url: Url
    kind: Literal["document", "video", "course", "link"] = "document"
    description: Note = ""


class MaterialsSetReply(Result):
    materials: Annotated[int, Meta(description="how many")]
    offset: EventOffset


class MaterialsSet(MeetingCommand[MaterialsSetReply], tag="materials.set"):
    """Host: the meeting's learning materials, in order (replaces the list)."""

    items: Annotated[list[Material], Meta(max_length=200)]


class OverlayReply(Result):
    item: Annotated[
        dict[str, Any] | None, Meta(description="what the overlay shows now (the `overlay.shown` event's)")
    ]
    offset: EventOffset


class OverlayShow(MeetingCommand[OverlayReply], tag="overlay.show"):
    """Host: put one thing on the stream overlay: a question, the current slide, a poll's results, a
    vote's published results, or a short text."""

    question: Annotated[int, Meta(ge=1)] | None = None
    slide: bool = False
    poll: Ident | None = None
    vote: Ident | None = None
    text: Annotated[str, Meta(max_length=300)] | None = None


class OverlayClear(MeetingCommand[OverlayReply], tag="overlay.clear"):
    """Host: an empty overlay."""


# -- polls and surveys --------------------------------------------------------------------------
class PollCreateReply(Result):
    poll: str
    status: Annotated[str, Meta(description="`draft`")]
    offset: int


class PollCreate(MeetingCommand[PollCreateReply], tag="poll.create"):
    """Host: a quick poll or a survey, in draft. ``poll`` follows moderation.polls.PollDefinition."""

    poll: dict[str, Any]


class _PollRef(MeetingCommand[R]):
    poll: Ident


class PollMoveReply(Result):
    poll: str
    status: Annotated[str, Meta(description="the poll's status now")]
    answered: int
    offset: int


class PollOpen(_PollRef[PollMoveReply], tag="poll.open"):
    """Host: open a draft poll."""


class PollClose(_PollRef[PollMoveReply], tag="poll.close"):
    """Host: close an open poll (no more answers)."""


class PollPublish(_PollRef[PollMoveReply], tag="poll.publish"):
    """Host: publish the final results of a closed poll."""


class PollResultsReply(Result):
    poll: str
    visible: bool
    answered: int
    offset: int


class PollResults(_PollRef[PollResultsReply], tag="poll.results"):
    """Host: show (``visible``) or hide the live results of an open or closed poll."""

    visible: bool


class PollAnswerReply(Result):
    poll: str
    answered: Annotated[int, Meta(description="respondents so far")]


class PollAnswer(_PollRef[PollAnswerReply], tag="poll.answer"):
    """Panelist: your answers, once: question id -> option index (single, scale: an int; multiple: a
    list of ints) or text."""

    answers: Annotated[dict[Ident, int | list[int] | str], Meta(max_length=50)]


class PollExportReply(Result):
    poll: str
    csv: str


class PollExport(_PollRef[PollExportReply], tag="poll.export"):
    """Host: every answer as CSV (one row per respondent, with their strata, not their identity)."""


MODERATION_COMMANDS: tuple[type[Command], ...] = (
    QaAsk,
    QaUpvote,
    QaUnvote,
    QaMine,
    QaApprove,
    QaDismiss,
    QaReopen,
    QaQueue,
    QaUnqueue,
    QaAir,
    QaAnswer,
    QaMerge,
    QaReorder,
    ChatDelete,
    ChatMute,
    ChatBan,
    ChatUnmute,
    ChatSettings,
    ChatStatus,
    ChatModeration,
    ChatReport,
    ChatDismissReport,
    SpeakersRaise,
    SpeakersLower,
    SpeakersOrder,
    SpeakersNext,
    SpeakersYield,
    SpeakersTimer,
    AgendaSet,
    AgendaCurrent,
    SlideShow,
    SlideClear,
    MaterialsSet,
    OverlayShow,
    OverlayClear,
    PollCreate,
    PollOpen,
    PollClose,
    PollPublish,
    PollResults,
    PollAnswer,
    PollExport,
)
