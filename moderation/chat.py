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
from typing import Final

import msgspec

from engine import keys, roles
from engine.channels import SPECS, ChannelLog, Published, encode_data
from engine.connection import raw
from engine.errors import Code, HubError
from engine.roles import Role
from moderation import filters

MAX_CHARS = 500
RATE_COUNT = 5  # messages ...
RATE_WINDOW_MS = 10_000  # ... per this window, per participant and meeting
_NONCE = re.compile(r"[A-Za-z0-9_-]{8,64}")
EVENT = SPECS["chat"].backlog_event  # "chat.message": the chat's backlog is its last messages
REMOVED = SPECS["chat"].backlog_marker  # "chat.removed"
"""A deleted message's place in the history and archive: same offset and time, no text or author
(``chat_admin.delete``). Offsets keep no holes, and no later reader of the channel gets the text;
the moderators' audit record keeps it."""

# What cleaning strips: characters that can hide or reorder text, and nothing a script or an
# emoji needs. Format characters (Cf) go (bidi embeddings, overrides and isolates, the marks
# U+200E/U+200F/U+061C, zero-width spaces, soft hyphens, word joiners, BOMs, invisible operators),
# and so do controls (Cc) but newline and tab, surrogates and private-use characters, and the
# Hangul fillers that show as nothing (U+3164, U+FFA0: how blank messages and names are made),
# except where Unicode gives a format character a job:
# - ZWJ (U+200D) inside an emoji ZWJ sequence (👨‍👩‍👧 is three faces without it);
# - ZWJ and ZWNJ (U+200C) after a letter of a script that shapes with them (Indic scripts' half
#   forms, conjuncts and chillus, Arabic and Persian joining: "می‌خواهم"), unless a letter of
#   another script follows;
# - tag characters in an emoji flag sequence: a black flag, the tags of a subdivision code, a
#   cancel tag (🏴󠁧󠁢󠁥󠁮󠁧󠁿, England).
# A ZWJ or ZWNJ anywhere else is stripped: between Latin or Hangul letters it only splits a word
# past the word filter.
_ALLOWED_CONTROL = frozenset("\n\t")
_STRIPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
_INVISIBLE_LETTERS = frozenset("\u3164\uffa0")
ZWJ = "\u200d"
ZWNJ = "\u200c"
_BLACK_FLAG = "\U0001f3f4"
_CANCEL_TAG = "\U000e007f"
# A flag's tags spell a subdivision code (gbeng, usca): 3-7 lower-case letters and digits. Nothing
# longer or else, so tags cannot carry hidden text ("ASCII smuggling") behind a flag.
_MAX_TAGS = 7
# Scripts whose letters join or form conjuncts through ZWJ/ZWNJ: Arabic, Syriac, Thaana, N'Ko,
# Mandaic, Arabic Extended, Devanagari to Sinhala, Myanmar, Khmer, Mongolian, Arabic forms.
_JOINING_SCRIPTS = (
    (0x0600, 0x08FF),
    (0x0900, 0x0DFF),
    (0x1000, 0x109F),
    (0x1780, 0x18AF),
    (0xA8E0, 0xA8FF),  # Devanagari Extended
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
)
# Pictographs that emoji ZWJ sequences join (Unicode's Extended_Pictographic, by block).
_PICTOGRAPHS = ((0x2100, 0x2BFF), (0x1F000, 0x1FAFF))
# What may stand between a pictograph and the ZWJ after it: the emoji presentation selector and
# skin tone modifiers.
_EMOJI_TAIL = frozenset("\ufe0f\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")


def _in(ch: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in ranges)


def _pictograph(ch: str) -> bool:
    return _in(ch, _PICTOGRAPHS) and unicodedata.category(ch) in ("So", "Sm")


def _joining_letter(ch: str) -> bool:
    return _in(ch, _JOINING_SCRIPTS) and unicodedata.category(ch)[0] in "LM"


def _emoji_before(text: str, i: int) -> bool:
    """Whether a pictograph (with its selector or skin tone) ends just before ``text[i]``."""
    j = i - 1
    while j >= 0 and text[j] in _EMOJI_TAIL:
        j -= 1
    return j >= 0 and _pictograph(text[j])


def _joiner_kept(text: str, i: int) -> bool:
    """Whether the ZWJ or ZWNJ at ``text[i]`` does a job (see the table above)."""
    if i == 0:
        return False
    after = text[i + 1] if i + 1 < len(text) else ""
    if text[i] == ZWJ and after and _emoji_before(text, i) and _pictograph(after):
        return True
    # In a joining script a joiner may also end a word (Malayalam's old-style chillu letters:
    # consonant, virama, ZWJ), but never leads into another script's letters.
    # What follows must stay: a character that cleaning strips would bring the next one closer.
    return _joining_letter(text[i - 1]) and (
        not after
        or _joining_letter(after)
        or after in _ALLOWED_CONTROL
        or unicodedata.category(after)[0] not in "LMC"
    )


def _subdivision_tag(ch: str) -> bool:
    return 0xE0030 <= ord(ch) <= 0xE0039 or 0xE0061 <= ord(ch) <= 0xE007A


def _flag_tags(text: str, i: int) -> int:
    """The length of the tag sequence (tags and the cancel tag) starting at ``text[i]`` if it
    follows a black flag, else 0."""
    if i == 0 or text[i - 1] != _BLACK_FLAG:
        return 0
    j = i
    while j < len(text) and j - i < _MAX_TAGS and _subdivision_tag(text[j]):
        j += 1
    if j - i >= 3 and j < len(text) and text[j] == _CANCEL_TAG:
        return j + 1 - i
    return 0


def strip_hidden(text: str) -> str:
    """``text`` without the characters that can hide or reorder it (see the table above)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _INVISIBLE_LETTERS:
            pass
        elif (
            ch in _ALLOWED_CONTROL
            or unicodedata.category(ch) not in _STRIPPED_CATEGORIES
            or (ch in (ZWJ, ZWNJ) and _joiner_kept(text, i))
        ):
            out.append(ch)
        elif tags := _flag_tags(text, i):
            out.append(text[i : i + tags])
            i += tags
            continue
        i += 1
    return "".join(out)


def clean_text(text: str, max_chars: int = MAX_CHARS) -> str:
    """Normalise a chat message (NFC, nothing that hides or reorders text, trimmed) or raise a
    coded error. Also the rule for questions and poll answers."""
    # NFC again after stripping: a stripped character may have kept a letter and its accent apart.
    text = unicodedata.normalize("NFC", strip_hidden(unicodedata.normalize("NFC", text))).strip()
    if not text:
        raise HubError(Code.EMPTY_MESSAGE, "the message is empty")
    if len(text) > max_chars:
        raise HubError(
            Code.MESSAGE_TOO_LONG, f"a message is at most {max_chars} characters ({len(text)} sent)"
        )
    return text


@dataclass(frozen=True)
class Author:
    id: str
    name: str
    role: str


# The chat's moderators are ``roles.MODERATORS``: exempt from slow mode, they may post links under
# the default policy, cannot be muted or banned, and alone run the commands below.
MODERATION_COMMANDS: Final = (
    "delete",
    "mute",
    "ban",
    "unmute",
    "settings",
    "dismiss_report",
    "moderation",
)
"""The chat commands only moderators may run: delete a message for everyone, mute, ban and lift,
change the settings, dismiss a report, and read the console (others' restrictions and deleted text).
``realtime/roles.py`` takes the roles of ``chat.<name>`` from here (:func:`moderation_roles`)."""


SENDERS: Final = roles.SPEAKERS
"""Who may write in a meeting's chat: its panelists and the staff who moderate it. Observers and ops
read along without writing; clerks, who key in paper ballots, do not take part in the chat."""

REPORTERS: Final = roles.PANELISTS
"""Who may report a message to the moderators (``chat.report``): panelists. :data:`roles.MODERATORS` need not
report: they delete the message or restrict its author themselves."""


def command_roles() -> dict[str, frozenset[Role]]:
    """``chat.<name>`` -> the roles that may run it, for every chat command whose rule is here:
    sending (:data:`SENDERS`), reporting (:data:`REPORTERS`) and the moderators' commands
    (:func:`moderation_roles`). ``realtime/roles.py`` takes these rows of its table from here."""
    return {"chat.send": SENDERS, "chat.report": REPORTERS, **moderation_roles()}


def moderation_roles() -> dict[str, frozenset[Role]]:
    """``chat.<name>`` -> the roles that may run it, for every command of :data:`MODERATION_COMMANDS`:
    who may delete a chat message (and take the other moderators' steps) is decided here."""
    return dict.fromkeys((f"chat.{name}" for name in MODERATION_COMMANDS), roles.MODERATORS)


def sees_deleted(role: str) -> bool:
    """Whether ``role`` reads deleted messages in the chat record (marked, with who deleted them and
    why): the roles that may delete them do, so a deletion can be checked; panelists get the record
    without them."""
    return role in roles.MODERATORS


def check_open(chat_open: bool) -> None:
    """Raise ``CHAT_CLOSED`` unless the meeting's chat is open (``MeetingInfo.chat_open``, set when
    the meeting is configured): a closed chat refuses every message, staff's too, so that a meeting
    the organisers closed stays closed whoever writes."""
    if not chat_open:
        raise HubError(Code.CHAT_CLOSED, "the chat of this meeting is closed")


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
    state_key = keys.channel_keys(keys.meeting_chat(meeting_id)).state
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
        raise HubError(Code.BAD_NONCE, "a nonce is 8-64 characters of A-Z a-z 0-9 _ -")
    text = clean_text(text)
    wf = word_filter or filters.default()
    staff = author.role in roles.MODERATORS
    _slow, policy = await read_settings(log, meeting_id)
    wf.links_allowed(text, policy, staff)
    shown = wf.mask(text)
    channel = keys.meeting_chat(meeting_id)
    data: dict[str, object] = {
        "text": shown,
        "author": {"id": author.id, "name": author.name, "role": author.role},
    }
    if shown != text:
        data["masked"] = True
    result = await log.write(
        "moderation",
        "chat_send",
        channel,
        keys=[
            keys.rate_key(channel, author.id),
            restriction_key(meeting_id, author.id),
            keys.channel_key(channel, "slow:" + author.id),
            keys.channel_key(channel, f"nonce:{author.id}:{nonce}"),
        ],
        args=[
            EVENT,
            encode_data(data),
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
        raise HubError(
            Code.RATE_LIMITED,
            f"at most {RATE_COUNT} messages per {RATE_WINDOW_MS // 1000} s; wait {wait_ms / 1000:.1f} s",
            retry_after_ms=wait_ms,
        )
    offset, epoch, now = result
    return Published(int(offset), epoch.decode() if isinstance(epoch, bytes) else epoch, int(now)), False


def _held_back(why: str, wait_ms: int) -> HubError:
    if why == "banned":
        return HubError(Code.BANNED, "a moderator banned you from this meeting's chat")
    if why == "muted":
        return HubError(
            Code.MUTED,
            f"a moderator muted you in this meeting's chat for {max(wait_ms, 0) / 1000:.0f} s more",
            retry_after_ms=max(wait_ms, 0),
        )
    return HubError(
        Code.SLOW_MODE,
        f"slow mode: wait {max(wait_ms, 0) / 1000:.1f} s before your next message",
        retry_after_ms=max(wait_ms, 0),
    )
