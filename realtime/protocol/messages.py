"""Every message of protocol v1, declared once as a msgspec Struct.

One declaration validates both encodings (``plenary.v1.json`` text frames and
``plenary.v1.msgpack`` binary frames). Client commands are a tagged union on ``type`` and carry an
``id``; the server answers each with exactly one ``reply`` or ``error`` with the same ``id``.
Schema evolution: new fields get defaults and go at the end; fields are never reordered or
renamed; a new command is a new tag. docs/protocol.md is the reference for client writers.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

import msgspec
from msgspec import Meta, Struct

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
from realtime.protocol.moderation import MODERATION_COMMANDS
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
    youtube: str = ""  # YouTube video id of the stream, empty if none
    starts_at: int = 0  # ms since the Unix epoch
    ends_at: int = 0
    channels: list[str] = msgspec.field(default_factory=list)


class Welcome(Result):
    participant: str
    name: str
    role: str
    meetings: list[Meeting]
    server_time: int
    protocol: str = "plenary.v1"
    limits: dict[str, int] = msgspec.field(default_factory=dict)
    may: list[str] = msgspec.field(default_factory=list)  # the commands this role may send


class Hello(Command[Welcome], tag="hello"):
    """First frame of every connection: authenticate with the personal token."""

    token: Annotated[str, Meta(min_length=1, max_length=128)]
    client: ShortStr = ""


class PingReply(Result):
    server_time: int  # ms since the Unix epoch


class Ping(Command[PingReply], tag="ping"):
    """Application-level round trip (WebSocket pings keep the connection alive on their own)."""


class Subscribed(Result):
    channel: str
    epoch: str
    offset: int  # the channel's position this reply reflects
    recovered: bool  # true: ``events`` are exactly the missed ones
    events: list[Event]
    snapshot: dict[str, Any] | None = None
    # true on every part of a reply split in several frames but the last (docs/protocol.md §4
    # ``subscribe``): the parts' ``events`` joined in order are the whole list
    more: bool = False


class Subscribe(Command[Subscribed], tag="subscribe"):
    """Follow a channel. With ``epoch`` and ``offset`` (the last event seen) the reply carries
    exactly the missed events, or a snapshot when the history no longer reaches back."""

    channel: ChannelName
    epoch: ShortStr | None = None
    offset: Offset | None = None


class UnsubscribeReply(Result):
    channel: str


class Unsubscribe(Command[UnsubscribeReply], tag="unsubscribe"):
    channel: ChannelName


class MeetingListReply(Result):
    meetings: list[Meeting]


class MeetingList(Command[MeetingListReply], tag="meeting.list"):
    """The meetings the caller may join."""


class Sent(Result):
    channel: str
    epoch: str
    offset: int
    time: int
    retry: bool = False  # a retry of a message already posted (same nonce): nothing new was posted


class ChatSend(Command[Sent], tag="chat.send"):
    """``nonce`` (optional, 8-64 of [A-Za-z0-9_-]): the same on a retry of this message; a retry
    within 10 minutes returns the first reply (``retry`` true) and posts nothing."""

    meeting: Ident
    text: ChatText
    nonce: Annotated[str, Meta(max_length=64)] = ""


CORE_COMMANDS: tuple[type[Command], ...] = (Hello, Ping, Subscribe, Unsubscribe, MeetingList, ChatSend)
ALL_COMMANDS = CORE_COMMANDS + VOTE_COMMANDS + MODERATION_COMMANDS
ClientMessage: Any = Union[ALL_COMMANDS]  # noqa: UP007 - a runtime union of the feature modules' commands
COMMANDS: dict[str, type[Command]] = {cls.__struct_config__.tag: cls for cls in ALL_COMMANDS}  # type: ignore[misc]
