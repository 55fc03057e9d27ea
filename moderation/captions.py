"""Live captions of a meeting (issue 13): what a caption may be, sending one, and the record.

A captioner (``roles.CAPTIONERS``: the captioners, and hosts who run a meeting without one) types
what is said; each line goes out on the meeting's ``meeting/<id>/captions`` channel and reaches the
panelist page and the stream overlay within a second (coalesced like chat: one frame per tick).

Two events, both ``{text, by: {id, name}}``:

- ``caption.line``: a finished line (the captioner pressed Enter). A late joiner's backlog is the
  last few of these (``SPECS["captions"].backlog_event``).
- ``caption.partial``: the line as typed so far, replaced on the pages by the next partial or by
  the finished line. The console sends at most one every ``PARTIAL_MS`` (only the newest text), so
  the rate class of ``caption.send`` (``realtime/roles.py``) holds a fast typist.

The channel's archive keeps every event with its time; the meeting's record (:func:`record`) is its
finished lines, as JSON, as SRT (:func:`srt`) or as a plain transcript in Seoul time
(:func:`transcript`). Text only, as in chat: the pages render it with ``textContent``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from engine import keys
from engine.channels import SPECS, ChannelLog, Published
from engine.seoul import in_seoul
from moderation import chat

MAX_CHARS: Final = 300
"""Characters of one caption after cleaning: two lines of a stream's subtitles are about 80; a
captioner who typed more without pressing Enter gets ``MESSAGE_TOO_LONG`` and keeps the text."""

LINE: Final = SPECS["captions"].backlog_event  # "caption.line"
PARTIAL: Final = "caption.partial"

PARTIAL_MS: Final = 250
"""How often the console sends the line being typed, at most (the newest text only)."""

CUE_MS: Final = 4_000
"""How long an SRT cue stays at most when the next line comes later: a subtitle that lingers over
silence reads as if it were still being said."""


@dataclass(frozen=True)
class Captioner:
    id: str
    name: str


@dataclass(frozen=True)
class Caption:
    """One finished line of the record: its offset on the channel, when the hub stored it (ms since
    the Unix epoch), its text and who typed it."""

    offset: int
    time: int
    text: str
    by: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {"offset": self.offset, "time": self.time, "text": self.text, "by": self.by}


def clean(text: str) -> str:
    """A caption as shown: the chat's cleaning (nothing that hides or reorders text), one line
    (line breaks and runs of spaces become one space). Raises ``EMPTY_MESSAGE`` or
    ``MESSAGE_TOO_LONG`` (more than :data:`MAX_CHARS`), storing nothing."""
    return " ".join(chat.clean_text(text, MAX_CHARS).split())


async def send(log: ChannelLog, meeting_id: str, by: Captioner, text: str, final: bool) -> Published:
    """Publish one caption on the meeting's channel: a finished line, or (``final`` false) the line
    as typed so far. The caller has checked the role, the rate and the meeting."""
    data = {"text": clean(text), "by": {"id": by.id, "name": by.name}}
    return await log.publish(keys.meeting_captions(meeting_id), LINE if final else PARTIAL, data)


async def record(log: ChannelLog, meeting_id: str) -> list[Caption]:
    """The meeting's finished captions, oldest first, with their times (the partial ones are left
    out: each was replaced by its line)."""
    events = await log.archive(keys.meeting_captions(meeting_id))
    return [
        Caption(e.offset, e.time, str(e.data["text"]), dict(e.data["by"])) for e in events if e.type == LINE
    ]


def _clock(ms: int) -> str:
    ms = max(ms, 0)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def srt(captions: Sequence[Caption], start_ms: int | None = None) -> str:
    """The captions as SubRip (``.srt``), times counted from ``start_ms`` (the stream's start, ms
    since the Unix epoch; by default the first caption's time). A cue lasts until the next line,
    at most :data:`CUE_MS`."""
    if not captions:
        return ""
    origin = captions[0].time if start_ms is None else start_ms
    cues = []
    for i, c in enumerate(captions):
        end = c.time + CUE_MS
        if i + 1 < len(captions):
            end = min(end, max(captions[i + 1].time, c.time + 1))
        cues.append(f"{i + 1}\n{_clock(c.time - origin)} --> {_clock(end - origin)}\n{c.text}\n")
    return "\n".join(cues)


def transcript(captions: Sequence[Caption]) -> str:
    """The captions as plain text, one line each with its time of day in Seoul:
    ``[14:03:27] 회의를 시작하겠습니다``."""
    return "".join(f"[{in_seoul(c.time):%H:%M:%S}] {c.text}\n" for c in captions)
