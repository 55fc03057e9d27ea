"""Meeting chat: the rules for a message, and sending it through the channel log.

Text only: a message is stored and sent as plain text; pages render it with ``textContent``,
never as HTML. Before the store, pure rules run in order: cleaning (:func:`clean_text`), the word
filter (masks) and the meeting's link policy (refuses), both in ``moderation/filters.py``. Then one
script (``lua/chat_send.lua``) checks the author's mute or ban, slow mode and the per-participant
rate limit and publishes, in one atomic step: a moderator's mute or a slow-mode change holds on
every hub process at once, and a rejected message leaves nothing behind.

The moderators' side (delete, mute, ban, slow mode, link policy, reports) is ``chat_admin.py``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import msgspec

from engine import keys
from engine.channels import ChannelLog, Published, encode_data, spec_of
from engine.connection import raw
from engine.errors import ChatError, Code, LimitError
from moderation import filters

MAX_CHARS = 500
RATE_COUNT = 5  # messages ...
RATE_WINDOW_MS = 10_000  # ... per this window, per participant and meeting
_NONCE = re.compile(r"[A-Za-z0-9_-]{8,64}")
EVENT = "chat.message"

# Control and format characters except the usual whitespace: they can hide or reorder text.
_ALLOWED_CONTROL = {"\n", "\t"}


def clean_text(text: str, max_chars: int = MAX_CHARS) -> str:
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
    if len(text) > max_chars:
        raise ChatError(
            Code.MESSAGE_TOO_LONG, f"a message is at most {max_chars} characters ({len(text)} sent)"
        )
    return text


@dataclass(frozen=True)
class Author:
    id: str
    name: str
    role: str


STAFF = frozenset({"moderator", "host"})
"""Roles that moderate: exempt from slow mode, may post links under the default policy, cannot be
muted or banned."""


def settings_of(state: dict[str, object]) -> tuple[int, filters.LinkPolicy]:
    """(slow mode in seconds, link policy) from the chat channel's state fields."""
    slow = state.get("slow_mode", 0)
    links = state.get("links", filters.DEFAULT_LINK_POLICY)
    return (
        slow if isinstance(slow, int) else 0,
        filters.LinkPolicy(links)
        if isinstance(links, str) and links in set(filters.LinkPolicy)
        else filters.DEFAULT_LINK_POLICY,
    )


async def read_settings(log: ChannelLog, meeting_id: str) -> tuple[int, filters.LinkPolicy]:
    state_key = keys.channel_keys(keys.meeting_chat(meeting_id))[2]
    flat = await log.redis.hgetall(state_key)
    return settings_of({raw(k).decode(): msgspec.msgpack.decode(raw(v)) for k, v in flat.items()})


def restriction_key(meeting_id: str, participant_id: str) -> str:
    return keys.channel_key(keys.meeting_chat(meeting_id), "restrict:" + participant_id)


async def send(
    log: ChannelLog,
    meeting_id: str,
    author: Author,
    text: str,
    word_filter: filters.WordFilter | None = None,
) -> Published:
    """Publish one chat message (see ``send_once``)."""
    published, _retry = await send_once(log, meeting_id, author, text, "", word_filter)
    return published


async def send_once(
    log: ChannelLog,
    meeting_id: str,
    author: Author,
    text: str,
    nonce: str,
    word_filter: filters.WordFilter | None = None,
) -> tuple[Published, bool]:
    """Publish one chat message; with a ``nonce``, a retry (a client that lost the reply) returns
    the first message's position with ``True`` and posts nothing. Raises, storing nothing:
    ``EMPTY_MESSAGE``, ``MESSAGE_TOO_LONG``, ``LINK_NOT_ALLOWED``, ``BAD_NONCE``, ``BANNED``,
    ``MUTED`` and ``SLOW_MODE`` (retryable after the wait), ``RATE_LIMITED`` (retryable) when the
    author sends too fast."""
    if nonce and not _NONCE.fullmatch(nonce):
        raise ChatError(Code.BAD_NONCE, "a nonce is 8-64 characters of A-Z a-z 0-9 _ -")
    text = clean_text(text)
    wf = word_filter or filters.default()
    staff = author.role in STAFF
    _slow, policy = await read_settings(log, meeting_id)
    wf.links_allowed(text, policy, staff)
    shown = wf.mask(text)
    channel = keys.meeting_chat(meeting_id)
    spec = spec_of(channel)
    data: dict[str, object] = {
        "text": shown,
        "author": {"id": author.id, "name": author.name, "role": author.role},
    }
    if shown != text:
        data["masked"] = True
    result = await log.scripts.call(
        "moderation",
        "chat_send",
        [
            *keys.channel_keys(channel),
            keys.rate_key(channel, author.id),
            restriction_key(meeting_id, author.id),
            keys.channel_key(channel, "slow:" + author.id),
            keys.channel_key(channel, f"nonce:{author.id}:{nonce}"),
        ],
        [
            keys.pubsub_channel(channel),
            EVENT,
            encode_data(data),
            spec.history,
            spec.archive_arg,
            RATE_COUNT,
            RATE_WINDOW_MS,
            "1" if staff else "0",
            nonce,
        ],
    )
    if int(result[0]) == -3:
        offset, epoch, now = msgspec.msgpack.decode(raw(result[1]))
        return Published(int(offset), str(epoch), int(now)), True
    if int(result[0]) == -2:
        raise _held_back(raw(result[1]).decode(), int(result[2]))
    if int(result[0]) < 0:
        wait_ms = int(result[1])
        raise LimitError(
            Code.RATE_LIMITED,
            f"at most {RATE_COUNT} messages per {RATE_WINDOW_MS // 1000} s; wait {wait_ms / 1000:.1f} s",
            retryable=True,
            retry_after_ms=wait_ms,
        )
    offset, epoch, now = result
    return Published(int(offset), epoch.decode() if isinstance(epoch, bytes) else epoch, int(now)), False


def _held_back(why: str, wait_ms: int) -> ChatError:
    if why == "banned":
        return ChatError(Code.BANNED, "a moderator banned you from this meeting's chat")
    if why == "muted":
        return ChatError(
            Code.MUTED,
            f"a moderator muted you in this meeting's chat for {max(wait_ms, 0) / 1000:.0f} s more",
            retryable=True,
            retry_after_ms=max(wait_ms, 0),
        )
    return ChatError(
        Code.SLOW_MODE,
        f"slow mode: wait {max(wait_ms, 0) / 1000:.1f} s before your next message",
        retryable=True,
        retry_after_ms=max(wait_ms, 0),
    )
