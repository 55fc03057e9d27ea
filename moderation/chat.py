"""Meeting chat: the rules for a message, and sending it through the channel log.

Text only: a message is stored and sent as plain text; pages render it with ``textContent``,
never as HTML. The per-participant rate limit is enforced in Redis inside the same script that
publishes (``lua/chat_send.lua``), so it holds across every hub process a participant is connected
to, and a rejected message leaves nothing behind.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from engine import keys
from engine.channels import ChannelLog, Published, encode_data, spec_of
from engine.errors import ChatError, Code, LimitError

MAX_CHARS = 500
RATE_COUNT = 5  # messages ...
RATE_WINDOW_MS = 10_000  # ... per this window, per participant and meeting
EVENT = "chat.message"

# Control and format characters except the usual whitespace: they can hide or reorder text.
_ALLOWED_CONTROL = {"\n", "\t"}


def clean_text(text: str) -> str:
    """Normalise a chat message (NFC, no control characters, trimmed) or raise a coded error."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(
        ch
        for ch in text
        if ch in _ALLOWED_CONTROL or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")
    )
    text = text.strip()
    if not text:
        raise ChatError(Code.EMPTY_MESSAGE, "the message is empty")
    if len(text) > MAX_CHARS:
        raise ChatError(
            Code.MESSAGE_TOO_LONG, f"a message is at most {MAX_CHARS} characters ({len(text)} sent)"
        )
    return text


@dataclass(frozen=True)
class Author:
    id: str
    name: str
    role: str


async def send(log: ChannelLog, meeting_id: str, author: Author, text: str) -> Published:
    """Publish one chat message; raises RATE_LIMITED (retryable) when the author sends too fast."""
    text = clean_text(text)
    channel = keys.meeting_chat(meeting_id)
    spec = spec_of(channel)
    data = {"text": text, "author": {"id": author.id, "name": author.name, "role": author.role}}
    result = await log.scripts.call(
        "moderation",
        "chat_send",
        [*keys.channel_keys(channel), keys.rate_key(channel, author.id)],
        [
            keys.pubsub_channel(channel),
            EVENT,
            encode_data(data),
            spec.history,
            "1" if spec.archive else "0",
            RATE_COUNT,
            RATE_WINDOW_MS,
        ],
    )
    if int(result[0]) < 0:
        wait_ms = int(result[1])
        raise LimitError(
            Code.RATE_LIMITED,
            f"at most {RATE_COUNT} messages per {RATE_WINDOW_MS // 1000} s; wait {wait_ms / 1000:.1f} s",
            retryable=True,
            retry_after_ms=wait_ms,
        )
    offset, epoch, now = result
    return Published(int(offset), epoch.decode() if isinstance(epoch, bytes) else epoch, int(now))
