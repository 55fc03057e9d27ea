"""Shared pieces of protocol v1's schemas: field types and the two message bases.

Feature modules (``messages`` for the core and chat, ``vote``, ``moderation``) declare their
commands on ``Command``; ``messages.ClientMessage`` joins them into the one tagged union that the
decoder is built from.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

# JavaScript numbers are exact to 2**53: ids and offsets stay within that.
CommandId = Annotated[int, Meta(ge=0, le=2**53 - 1)]
Offset = Annotated[int, Meta(ge=0, le=2**53 - 1)]
ShortStr = Annotated[str, Meta(max_length=256)]
Ident = Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
ChannelName = Annotated[str, Meta(max_length=160)]
ChatText = Annotated[str, Meta(max_length=4000)]  # hard wire cap; the chat rule's own limit is lower


class Command(Struct, tag_field="type", forbid_unknown_fields=False, kw_only=True):
    """A client command: every one carries an ``id`` and gets exactly one reply or error."""

    id: CommandId


class ServerMessage(Struct, tag_field="type", kw_only=True, omit_defaults=False):
    pass
