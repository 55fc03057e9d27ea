"""Reading a meeting's open record from Redis (issue 14); what goes in it, and how, is
``moderation/record.py``.

Each part is read from where the meeting keeps it: the agenda channel's state and archive, the Q&A
panelists' view, the chat's archive, the meeting's votes (``meeting/<id>/votes``) with each one's
state and published results, and the captions' archive. The parts are separate reads, not one
snapshot: a record of a running meeting may be a message or two apart between its chat and its
Q&A, as two pages opened a moment apart would be.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec

from ballot.model import VoteState
from ballot.store import VoteStore
from engine import keys
from engine.channels import ChannelLog
from engine.connection import raw, text
from engine.errors import Code, HubError
from moderation import captions, record
from moderation.meetings import MeetingInfo
from moderation.qa_store import QAStore


async def _state(log: ChannelLog, channel: str) -> dict[str, Any]:
    flat = await log.redis.hgetall(keys.channel_keys(channel).state)
    return {text(k): msgspec.msgpack.decode(raw(v)) for k, v in flat.items()}


async def _votes(log: ChannelLog, votes: VoteStore, meeting_id: str) -> list[dict[str, Any]]:
    listed = await _state(log, keys.meeting_votes(meeting_id))
    out = []
    for field in sorted(listed):
        if not field.startswith("vote:"):
            continue
        entry = listed[field]
        vote_id = entry["vote"]
        try:
            status = (await votes.status(vote_id)).value
        except HubError as err:
            if err.code is not Code.UNKNOWN_VOTE:
                raise
            continue  # listed, but its creation failed: no vote to record
        shown = None
        if status == VoteState.PUBLISHED:
            shown = await votes.results_on_air(vote_id)
        out.append(record.vote_entry(vote_id, entry.get("title", vote_id), status, shown))
    return out


async def meeting_record(
    log: ChannelLog, votes: VoteStore, meeting: MeetingInfo, now: int | None = None
) -> dict[str, Any]:
    """The record of ``meeting`` as it stands now (see ``moderation/record.py`` for each part)."""
    now = int(time.time() * 1000) if now is None else now
    m = meeting.id
    agenda = await _state(log, keys.meeting_agenda(m))
    public = await QAStore(log).questions(m, staff=False)
    lines = await captions.record(log, m)
    return {
        "meeting": {
            "id": m,
            "title": meeting.title,
            "starts_at": meeting.starts_at,
            "ends_at": meeting.ends_at,
        },
        "as_of": now,
        "running": record.running(meeting.ends_at, now),
        "agenda": {"items": agenda.get("items", []), "current": agenda.get("current")},
        "materials": agenda.get("materials", []),
        "slides": record.slides_shown(await log.archive(keys.meeting_agenda(m))),
        "questions": record.questions(public),
        "chat": record.chat_entries(await log.archive(keys.meeting_chat(m))),
        "votes": await _votes(log, votes, m),
        "captions": [c.as_dict() for c in lines],
    }
