"""Protocol v1: commands of moderated meetings (Q&A, chat moderation, speakers, agenda, polls).

moderation/ holds the rules; realtime/commands/moderation.py (and chat.py there for chat) runs them. Every
command names its meeting; the wire only bounds sizes and shapes, the rules check the meaning.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from realtime.protocol.base import Command, Ident

QuestionId = Annotated[int, Meta(ge=1, le=2**53 - 1)]
QuestionText = Annotated[str, Meta(max_length=2000)]  # the Q&A rule's own limit is lower
Seconds = Annotated[int, Meta(ge=0, le=86_400)]
Url = Annotated[str, Meta(max_length=2000)]
Title = Annotated[str, Meta(max_length=400)]
Note = Annotated[str, Meta(max_length=1000)]
Offset = Annotated[int, Meta(ge=1, le=2**53 - 1)]


# -- Q&A ----------------------------------------------------------------------------------------
class QaAsk(Command, tag="qa.ask"):
    """Panelist: ask a question. ``anonymous``: other panelists do not see your name (moderators do)."""

    meeting: Ident
    text: QuestionText
    anonymous: bool = False


class QaUpvote(Command, tag="qa.upvote"):
    """Panelist: one vote for a visible question (again: no change)."""

    meeting: Ident
    question: QuestionId


class QaUnvote(Command, tag="qa.unvote"):
    """Panelist: withdraw your vote."""

    meeting: Ident
    question: QuestionId


class QaMine(Command, tag="qa.mine"):
    """Panelist: your questions (in every state) and the questions you voted for."""

    meeting: Ident


class _QaMove(Command):
    meeting: Ident
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


class QaMerge(Command, tag="qa.merge"):
    """Moderator: ``question`` is a duplicate of ``into``; its voters move there."""

    meeting: Ident
    question: QuestionId
    into: QuestionId


class QaReorder(Command, tag="qa.reorder"):
    """Moderator: the queued questions in their new order (every queued id exactly once)."""

    meeting: Ident
    order: Annotated[list[QuestionId], Meta(max_length=500)]


# -- chat moderation ----------------------------------------------------------------------------
class ChatDelete(Command, tag="chat.delete"):
    """Moderator: hide the message at ``offset`` for everyone (kept in the record)."""

    meeting: Ident
    offset: Offset
    reason: Note = ""


class ChatMute(Command, tag="chat.mute"):
    """Moderator: the participant may not chat in this meeting for ``minutes``."""

    meeting: Ident
    participant: Ident
    minutes: Annotated[int, Meta(ge=1, le=1440)]


class ChatBan(Command, tag="chat.ban"):
    """Moderator: the participant may not chat in this meeting until unmuted."""

    meeting: Ident
    participant: Ident


class ChatUnmute(Command, tag="chat.unmute"):
    """Moderator: lift a mute or a ban."""

    meeting: Ident
    participant: Ident


class ChatSettings(Command, tag="chat.settings"):
    """Moderator: slow mode (seconds between one participant's messages, 0 = off) and/or the link
    policy (``allow``, ``staff``, ``block``); a field left out is unchanged."""

    meeting: Ident
    slow_mode: Annotated[int, Meta(ge=0, le=600)] | None = None
    links: Literal["allow", "staff", "block"] | None = None


class ChatStatus(Command, tag="chat.status"):
    """The meeting's chat settings and your own standing (muted, banned)."""

    meeting: Ident


class ChatModeration(Command, tag="chat.moderation"):
    """Moderator: what the console shows after a (re)connect: the restrictions in force (who is
    muted until when, who is banned, by whom) and a page of the newest deleted messages with their
    text (from the audit); ``before``: the page below that offset. Staff only: a panelist never
    gets others' restrictions or deleted text."""

    meeting: Ident
    before: Offset | None = None


class ChatReport(Command, tag="chat.report"):
    """Panelist: report the message at ``offset`` to the moderators."""

    meeting: Ident
    offset: Offset
    reason: Literal["abuse", "spam", "off_topic", "personal_info", "other"]
    note: Note = ""


class ChatDismissReport(Command, tag="chat.dismiss_report"):
    """Moderator: close the report about a message without deleting it."""

    meeting: Ident
    offset: Offset


# -- speakers list ------------------------------------------------------------------------------
class SpeakersRaise(Command, tag="speakers.raise"):
    """Panelist: raise your hand (again: no change)."""

    meeting: Ident


class SpeakersLower(Command, tag="speakers.lower"):
    """Lower a hand: your own (panelists), or anyone's (``participant``, moderators)."""

    meeting: Ident
    participant: Ident | None = None


class SpeakersOrder(Command, tag="speakers.order"):
    """Moderator: the raised hands in their new order (every one exactly once)."""

    meeting: Ident
    order: Annotated[list[Ident], Meta(max_length=3000)]


class SpeakersNext(Command, tag="speakers.next"):
    """Moderator: give the floor to the first raised hand (or to ``participant``) for ``seconds``
    (default: the meeting's per-speaker time)."""

    meeting: Ident
    participant: Ident | None = None
    seconds: Annotated[int, Meta(ge=10, le=3600)] | None = None


class SpeakersYield(Command, tag="speakers.yield"):
    """The speaker (or a moderator) ends the current turn."""

    meeting: Ident


class SpeakersTimer(Command, tag="speakers.timer"):
    """Moderator: the per-speaker time, in seconds, for the turns that follow."""

    meeting: Ident
    seconds: Annotated[int, Meta(ge=10, le=3600)]


# -- agenda, slides, materials, overlay ---------------------------------------------------------
class AgendaItem(Struct, kw_only=True, forbid_unknown_fields=True):
    id: Ident
    title: Title
    starts_at: int = 0  # planned start, ms since the Unix epoch (0: not planned)
    minutes: Annotated[int, Meta(ge=0, le=1440)] = 0


class AgendaSet(Command, tag="agenda.set"):
    """Host: the whole agenda, in order (replaces the previous one)."""

    meeting: Ident
    items: Annotated[list[AgendaItem], Meta(max_length=100)]


class AgendaCurrent(Command, tag="agenda.current"):
    """Host: the item under way (null: none)."""

    meeting: Ident
    item: Ident | None


class SlideShow(Command, tag="slide.show"):
    """Host: show a slide: an uploaded image or a page of an uploaded PDF (``upload``, ``page``), or
    a ``url`` (https)."""

    meeting: Ident
    upload: Ident | None = None
    page: Annotated[int, Meta(ge=1, le=10_000)] = 1
    url: Url | None = None
    title: Title = ""


class SlideClear(Command, tag="slide.clear"):
    """Host: no slide."""

    meeting: Ident


class Material(Struct, kw_only=True, forbid_unknown_fields=True):
    id: Ident
    title: Title
    url: Url
    kind: Literal["document", "video", "course", "link"] = "document"
    description: Note = ""


class MaterialsSet(Command, tag="materials.set"):
    """Host: the meeting's learning materials, in order (replaces the list)."""

    meeting: Ident
    items: Annotated[list[Material], Meta(max_length=200)]


class OverlayShow(Command, tag="overlay.show"):
    """Host: put one thing on the stream overlay: a question, the current slide, a poll's results, a
    vote's published results, or a short text."""

    meeting: Ident
    question: Annotated[int, Meta(ge=1)] | None = None
    slide: bool = False
    poll: Ident | None = None
    vote: Ident | None = None
    text: Annotated[str, Meta(max_length=300)] | None = None


class OverlayClear(Command, tag="overlay.clear"):
    """Host: an empty overlay."""

    meeting: Ident


# -- polls and surveys --------------------------------------------------------------------------
class PollCreate(Command, tag="poll.create"):
    """Host: a quick poll or a survey, in draft. ``poll`` follows moderation.polls.PollDefinition."""

    meeting: Ident
    poll: dict[str, Any]


class _PollRef(Command):
    meeting: Ident
    poll: Ident


class PollOpen(_PollRef, tag="poll.open"):
    """Host: open a draft poll."""


class PollClose(_PollRef, tag="poll.close"):
    """Host: close an open poll (no more answers)."""


class PollPublish(_PollRef, tag="poll.publish"):
    """Host: publish the final results of a closed poll."""


class PollResults(_PollRef, tag="poll.results"):
    """Host: show (``visible``) or hide the live results of an open or closed poll."""

    visible: bool


class PollAnswer(_PollRef, tag="poll.answer"):
    """Panelist: your answers, once: question id -> option index (single, scale: an int; multiple: a
    list of ints) or text."""

    answers: Annotated[dict[Ident, int | list[int] | str], Meta(max_length=50)]


class PollExport(_PollRef, tag="poll.export"):
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
