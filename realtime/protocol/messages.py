"""Every message of protocol v1, declared once as a msgspec Struct.

One declaration validates both encodings (``plenary.v1.json`` text frames and
``plenary.v1.msgpack`` binary frames). Client commands are a tagged union on ``type`` and carry an
``id``; the server answers each with exactly one ``reply`` or ``error`` with the same ``id``. The
``result`` of a reply is the type the command names (``class Ping(Command[PingReply])``), declared
right before the command; docs/protocol.md's field tables are written from these declarations
(tests/protocol_tables.py), so a field's ``Meta(description=...)`` is what readers of the doc see.
Schema evolution: new fields get defaults and go at the end; fields are never reordered or
renamed; a new command is a new tag. docs/protocol.md is the reference for client writers.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

import msgspec
from msgspec import Meta, Struct

from realtime.protocol.attendance import ATTENDANCE_COMMANDS
from realtime.protocol.base import (
    ChannelName,
    ChatText,
    Command,
    Ident,
    Offset,
    Result,
    ServerMessage,
    ShortStr,
)
from realtime.protocol.captions import CAPTION_COMMANDS
from realtime.protocol.moderation import MODERATION_COMMANDS
from realtime.protocol.proposals import PROPOSAL_COMMANDS  # issue 14
from realtime.protocol.tables import TABLE_COMMANDS  # issue 15
from realtime.protocol.themes import THEME_COMMANDS  # issue 15
from realtime.protocol.voice import VOICE_COMMANDS  # issue 16
from realtime.protocol.vote import VOTE_COMMANDS

__all__ = ["ALL_COMMANDS", "COMMANDS", "ClientMessage", "Command", "Result", "ServerMessage"]


# -- server to client ---------------------------------------------------------------------------
class Reply(ServerMessage, tag="reply"):
    id: int
    result: Any


class Error(ServerMessage, tag="error"):
    """``id`` is null when the frame could not be read far enough to find one."""

    id: int | None
    code: int
    name: str
    message: str
    retryable: bool = False
    retry_after_ms: int = 0  # when retryable: how long to wait, if the hub knows


class Event(ServerMessage, tag="event"):
    channel: str
    epoch: str
    offset: int
    time: int  # server time, ms since the Unix epoch
    event: str
    data: Any


class Batch(ServerMessage, tag="batch"):
    """Several events of one channel in one frame (high-rate channels, coalesced per tick)."""

    events: list[Event]


class Gap(ServerMessage, tag="gap"):
    """Events after ``offset`` were dropped for this client (it read too slowly). Delivery on the
    channel is suspended: send ``subscribe`` with this epoch and your last offset to catch up."""

    channel: str
    epoch: str
    offset: int


# -- commands and their replies (each reply right before the command it answers) ---------------
class Meeting(Struct, kw_only=True):
    id: str
    title: str
    youtube: Annotated[
        str, Meta(description='the YouTube video id of the meeting\'s stream, `""` if none')
    ] = ""
    starts_at: Annotated[int, Meta(description="ms since the Unix epoch, `0` when unset")] = 0
    ends_at: Annotated[int, Meta(description="ms since the Unix epoch, `0` when unset")] = 0
    channels: Annotated[
        list[str],
        Meta(description="the meeting's channels you can subscribe to right away (today: its chat)"),
    ] = msgspec.field(default_factory=list)


class Welcome(Result):
    participant: Annotated[str, Meta(description="your participant id")]
    name: Annotated[str, Meta(description="your display name")]
    role: Annotated[
        str,
        Meta(
            description="`panelist`, `moderator`, `host`, `ops`, `observer`, `clerk`, `captioner` or `facilitator`"
        ),
    ]
    meetings: Annotated[
        list[Meeting], Meta(description="the meetings you may join (staff roles: every meeting)")
    ]
    server_time: Annotated[int, Meta(description="the hub's clock, ms since the Unix epoch")]
    protocol: Annotated[str, Meta(description='`"plenary.v1"`')] = "plenary.v1"
    limits: Annotated[
        dict[str, int],
        Meta(
            description="`max_frame` (bytes per client frame), `chat_chars` (characters per chat message), `caption_chars` (characters per caption), `rate` (commands per second), `burst` (commands at once)"
        ),
    ] = msgspec.field(default_factory=dict)
    may: Annotated[
        list[str],
        Meta(description="the commands your role may send, sorted (a page shows only what they allow)"),
    ] = msgspec.field(default_factory=list)


class Hello(Command[Welcome], tag="hello"):
    """First frame of every connection: authenticate with the personal token."""

    token: Annotated[
        str, Meta(min_length=1, max_length=128, description="the `t` of the personal link's fragment")
    ]
    client: Annotated[
        ShortStr,
        Meta(description="your client's name and version (informational: the hub does not use it today)"),
    ] = ""


class PingReply(Result):
    server_time: Annotated[int, Meta(description="ms since the Unix epoch")]


class Ping(Command[PingReply], tag="ping"):
    """Application-level round trip (WebSocket pings keep the connection alive on their own)."""


class Subscribed(Result):
    channel: Annotated[str, Meta(description="the channel")]
    epoch: Annotated[str, Meta(description="the channel's current epoch")]
    offset: Annotated[
        int,
        Meta(
            description="the channel's latest offset: this reply reflects everything up to it (0: nothing published yet)"
        ),
    ]
    recovered: Annotated[
        bool,
        Meta(
            description="`true`: `events` are exactly the events after your `offset`; `false`: start afresh from this reply"
        ),
    ]
    events: Annotated[
        list[Event],
        Meta(
            description="`recovered` true: the missed events; false: the channel's backlog (its last few events, possibly none)"
        ),
    ]
    snapshot: Annotated[
        dict[str, Any] | None,
        Meta(description="`recovered` false on a stateful channel: its state as of `offset`; otherwise null"),
    ] = None
    # the parts' ``events`` joined in order are the whole list (docs/protocol.md §4 ``subscribe``)
    more: Annotated[
        bool,
        Meta(
            description="`true`: another part of this reply follows ([parts](#a-reply-in-parts)); `false` on the last (or only) part"
        ),
    ] = False


class Subscribe(Command[Subscribed], tag="subscribe"):
    """Follow a channel. With ``epoch`` and ``offset`` (the last event seen) the reply carries
    exactly the missed events, or a snapshot when the history no longer reaches back."""

    channel: Annotated[ChannelName, Meta(description="a channel name ([§6](#6-channels))")]
    epoch: Annotated[ShortStr | None, Meta(description="the `epoch` of the last event you saw")] = None
    offset: Annotated[Offset | None, Meta(description="the `offset` of the last event you saw")] = None
    time: Annotated[
        Offset | None,
        Meta(
            description="the `time` of the last event you saw (ms since the Unix epoch): the hub also checks that this event is still the channel's at `offset`"
        ),
    ] = None


class UnsubscribeReply(Result):
    channel: str


class Unsubscribe(Command[UnsubscribeReply], tag="unsubscribe"):
    channel: Annotated[ChannelName, Meta(description="a channel you follow")]


class MeetingListReply(Result):
    meetings: list[Meeting]


class MeetingList(Command[MeetingListReply], tag="meeting.list"):
    """The meetings the caller may join."""


class Sent(Result):
    channel: str
    epoch: str
    offset: Annotated[int, Meta(description="the message's offset on the channel")]
    time: Annotated[int, Meta(description="when the hub stored it, ms since the Unix epoch")]
    retry: Annotated[
        bool, Meta(description="a retry of a message already posted (same nonce): nothing new was posted")
    ] = False


class ChatSend(Command[Sent], tag="chat.send"):
    """``nonce`` (optional, 8-64 of [A-Za-z0-9_-]): the same on a retry of this message; a retry
    within 10 minutes returns the first reply (``retry`` true) and posts nothing."""

    meeting: Annotated[Ident, Meta(description="a meeting you are a member of")]
    text: Annotated[ChatText, Meta(description="at most 500 characters after cleaning")]
    nonce: Annotated[
        str,
        Meta(
            max_length=64,
            description='8–64 of `A-Z a-z 0-9 _ -`, the same on every retry of this message; `""`: none',
        ),
    ] = ""


CORE_COMMANDS: tuple[type[Command], ...] = (Hello, Ping, Subscribe, Unsubscribe, MeetingList, ChatSend)
ALL_COMMANDS = CORE_COMMANDS + VOTE_COMMANDS + MODERATION_COMMANDS + CAPTION_COMMANDS
ALL_COMMANDS += PROPOSAL_COMMANDS  # issue 14: proposals
ALL_COMMANDS += ATTENDANCE_COMMANDS  # issue 14
ALL_COMMANDS += TABLE_COMMANDS  # issue 15: live tables
ALL_COMMANDS += VOICE_COMMANDS  # issue 16: live voice
ALL_COMMANDS += THEME_COMMANDS  # issue 15: the theme team
ClientMessage: Any = Union[ALL_COMMANDS]  # noqa: UP007 - a runtime union of the feature modules' commands
COMMANDS: dict[str, type[Command]] = {cls.__struct_config__.tag: cls for cls in ALL_COMMANDS}  # type: ignore[misc]
