"""Protocol v1: live captions (issue 13). moderation/captions.py holds the rule (who, how long, the
record); realtime/commands/captions.py runs it. The wire bounds the size only."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from realtime.protocol.base import Command, Ident, Result

CaptionText = Annotated[
    str, Meta(max_length=2000, description="at most 300 characters after cleaning; shown as one line")
]  # hard wire cap; the caption rule's own limit (moderation/captions.py MAX_CHARS) is lower


class CaptionSent(Result):
    channel: Annotated[str, Meta(description="`meeting/<id>/captions`")]
    epoch: str
    offset: Annotated[int, Meta(description="the caption's offset on the channel")]
    time: Annotated[int, Meta(description="when the hub stored it, ms since the Unix epoch")]


class CaptionSend(Command[CaptionSent], tag="caption.send"):
    """Captioner or host: one caption for a meeting. ``final`` false sends the line as typed so far
    (``caption.partial``), replaced by the next one; true (the default) a finished line
    (``caption.line``), which the meeting's record keeps."""

    meeting: Annotated[Ident, Meta(description="a meeting you are a member of")]
    text: CaptionText
    final: Annotated[
        bool, Meta(description="true: a finished line (the record keeps it); false: the line as typed so far")
    ] = True


CAPTION_COMMANDS: tuple[type[Command], ...] = (CaptionSend,)
