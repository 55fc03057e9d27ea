"""Every message of protocol v1, declared once as a msgspec Struct.

One declaration validates both encodings (``plenary.v1.json`` text frames and
``plenary.v1.msgpack`` binary frames). Client commands are a tagged union on ``type`` and carry an
``id``; the server answers each with exactly one ``reply`` or ``error`` with the same ``id``.
Schema evolution: new fields get defaults and go at the end; fields are never reordered or
renamed; a new command is a new tag. docs/protocol.md is the reference for client writers.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct

# JavaScript numbers are exact to 2**53: ids and offsets stay within that.
CommandId = Annotated[int, Meta(ge=0, le=2**53 - 1)]
Offset = Annotated[int, Meta(ge=0, le=2**53 - 1)]
ShortStr = Annotated[str, Meta(max_length=256)]
Ident = Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
ChannelName = Annotated[str, Meta(max_length=160)]
ChatText = Annotated[str, Meta(max_length=4000)]  # hard wire cap; the chat rule's own limit is lower


class Command(Struct, tag_field="type", forbid_unknown_fields=False, kw_only=True):
    id: CommandId


class Hello(Command, tag="hello"):
    """First frame of every connection: authenticate with the personal token."""

    token: Annotated[str, Meta(min_length=1, max_length=128)]
    client: ShortStr = ""


class Ping(Command, tag="ping"):
    """Application-level round trip (WebSocket pings keep the connection alive on their own)."""


class Subscribe(Command, tag="subscribe"):
    """Follow a channel. With ``epoch`` and ``offset`` (the last event seen) the reply carries
    exactly the missed events, or a snapshot when the history no longer reaches back."""

    channel: ChannelName
    epoch: ShortStr | None = None
    offset: Offset | None = None


class Unsubscribe(Command, tag="unsubscribe"):
    channel: ChannelName


class MeetingList(Command, tag="meeting.list"):
    """The meetings the caller may join."""


class ChatSend(Command, tag="chat.send"):
    meeting: Ident
    text: ChatText


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


ClientMessage = (
    Hello
    | Ping
    | Subscribe
    | Unsubscribe
    | MeetingList
    | ChatSend
    | VoteCreate
    | VoteOpen
    | VoteClose
    | VotePublish
    | VoteGet
    | VoteCast
)
COMMANDS: dict[str, type[Command]] = {
    cls.__struct_config__.tag: cls  # type: ignore[misc]
    for cls in (
        Hello,
        Ping,
        Subscribe,
        Unsubscribe,
        MeetingList,
        ChatSend,
        VoteCreate,
        VoteOpen,
        VoteClose,
        VotePublish,
        VoteGet,
        VoteCast,
    )
}


# -- server to client ---------------------------------------------------------------------------
class ServerMessage(Struct, tag_field="type", kw_only=True, omit_defaults=False):
    pass


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


# -- results ------------------------------------------------------------------------------------
class Meeting(Struct, kw_only=True):
    id: str
    title: str
    youtube: str = ""  # YouTube video id of the stream, empty if none
    starts_at: int = 0  # ms since the Unix epoch
    ends_at: int = 0
    channels: list[str] = msgspec.field(default_factory=list)


class Welcome(Struct, kw_only=True):
    participant: str
    name: str
    role: str
    meetings: list[Meeting]
    server_time: int
    protocol: str = "plenary.v1"
    limits: dict[str, int] = msgspec.field(default_factory=dict)


class Subscribed(Struct, kw_only=True):
    channel: str
    epoch: str
    offset: int  # the channel's position this reply reflects
    recovered: bool  # true: ``events`` are exactly the missed ones
    events: list[Event]
    snapshot: dict[str, Any] | None = None


class Sent(Struct, kw_only=True):
    channel: str
    epoch: str
    offset: int
    time: int
