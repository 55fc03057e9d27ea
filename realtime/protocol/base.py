"""Shared pieces of protocol v1's schemas: field types, the two message bases and the reply base.

Feature modules (``messages`` for the core and chat, ``vote``, ``moderation``) declare their
commands on ``Command`` (a meeting's on ``MeetingCommand``) and each command's reply on ``Result``,
the reply right before the command it answers; ``messages.ClientMessage`` joins the commands into
the one tagged union that the decoder is built from.

Typed both ways: a command names its reply type as its type parameter
(``class VoteMine(Command[VoteMineReply], tag="vote.mine")``), which sets ``VoteMine.reply_type``
at class creation, and ``realtime.commands.handles`` takes a handler for ``VoteMine`` only if it
returns a ``VoteMineReply`` (mypy checks it; tests/unit/realtime/test_replies.py holds every
registered handler to it at run time too).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Generic, TypeVar, get_args

from msgspec import Meta, Struct

# JavaScript numbers are exact to 2**53: ids and offsets stay within that.
CommandId = Annotated[int, Meta(ge=0, le=2**53 - 1)]
Offset = Annotated[int, Meta(ge=0, le=2**53 - 1)]
ShortStr = Annotated[str, Meta(max_length=256)]
Ident = Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
ChannelName = Annotated[str, Meta(max_length=160)]
ChatText = Annotated[str, Meta(max_length=4000)]  # hard wire cap; the chat rule's own limit is lower


class Result(Struct, kw_only=True):
    """A command's reply: the ``result`` of the ``reply`` frame that answers it.

    Every field is sent, in declaration order, ``null`` included, as the replies always were; a
    field that some replies leave out has the default ``msgspec.UNSET`` (left out of the frame
    while unset). New fields go at the end."""


R = TypeVar("R", bound=Result)


class Command(Struct, Generic[R], tag_field="type", forbid_unknown_fields=False, kw_only=True):
    """A client command: every one carries an ``id`` and gets exactly one reply or error.

    The type parameter is the reply's type; ``reply_type`` holds it at run time (set once, when
    the class is created, from the parameter of its nearest parametrised base)."""

    id: CommandId
    reply_type: ClassVar[type[Result]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            args = get_args(base)
            if args and isinstance(args[0], type) and issubclass(args[0], Result):
                cls.reply_type = args[0]
                return


class MeetingCommand(Command[R]):
    """A command about one meeting (every command of ``moderation`` and ``proposals``): ``meeting``
    is its first field, declared here once. Not keyword-only, so it stays where each command always
    had it on the wire: after the tag, before the command's own fields (``id``, keyword-only, last)."""

    meeting: Ident


class ServerMessage(Struct, tag_field="type", kw_only=True, omit_defaults=False):
    pass
