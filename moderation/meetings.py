"""Meetings: topic meetings, online meetings streamed on YouTube, the plenary.

A meeting has an id, a title, the YouTube video id of its stream (may be empty) and a schedule.
Its channels (chat now; Q&A, agenda, speakers, polls later) are named by ``engine.keys``.
"""

from __future__ import annotations

import re

import msgspec
from redis.asyncio import Redis

from engine import connection, keys
from engine.errors import Code, HubError
from engine.scripts import Scripts

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")


class MeetingInfo(msgspec.Struct, kw_only=True):
    id: str
    title: str
    youtube: str = ""
    starts_at: int = 0  # ms since the Unix epoch
    ends_at: int = 0
    chat_open: bool = True


def validate(m: MeetingInfo) -> MeetingInfo:
    keys.check_id(m.id, "meeting id")
    if not m.title.strip() or len(m.title) > 200:
        raise HubError(Code.BAD_FIELD, "a meeting title is 1-200 characters")
    if m.youtube and not _YOUTUBE_ID.match(m.youtube):
        raise HubError(Code.BAD_FIELD, f"not a YouTube video id (11 characters): {m.youtube!r}")
    if m.ends_at and m.ends_at < m.starts_at:
        raise HubError(Code.BAD_FIELD, "a meeting cannot end before it starts")
    return m


_enc = msgspec.msgpack.Encoder()
_dec = msgspec.msgpack.Decoder(MeetingInfo)


class Meetings:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.scripts = Scripts(redis)
        self._known: set[str] = set()

    async def check_exists(self, meeting_id: str) -> None:
        """Raise ``UNKNOWN_MEETING`` unless the meeting exists; Redis is asked once per id.

        Why a cache is safe here: it holds only ids seen to exist, and meetings are never deleted,
        so an id once known stays a real meeting; the check exists so that a subscribe cannot make
        keys for a made-up name, and no input can add an id to this set. A hub whose Redis was
        reset (a new epoch) calls ``forget`` (it does so when its pub/sub link is lost)."""
        if meeting_id not in self._known:
            await self.get(meeting_id)
            self._known.add(meeting_id)

    def forget(self) -> None:
        """Ask Redis again about every meeting (after Redis may have lost them)."""
        self._known.clear()

    async def put(self, meeting: MeetingInfo) -> None:
        validate(meeting)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.meeting(meeting.id), _enc.encode(meeting))
            pipe.zadd(keys.MEETINGS, {meeting.id: meeting.starts_at})
            await pipe.execute()

    async def get(self, meeting_id: str) -> MeetingInfo:
        raw = await self.redis.get(keys.meeting(meeting_id))
        if raw is None:
            raise HubError(Code.UNKNOWN_MEETING, f"no meeting {meeting_id[:64]!r}")
        return _dec.decode(connection.raw(raw))

    async def all(self) -> list[MeetingInfo]:
        """Every meeting, in start order: one round trip (``lua/meetings.lua``), read on every call
        (a title or schedule changed is seen by the next ``hello``)."""
        raws = await self.scripts.call("moderation", "meetings", [keys.MEETINGS], [keys.meeting("")])
        return [_dec.decode(connection.raw(r)) for r in raws]
