"""Attendance in Redis: online presence intervals (``Presence``), the hall desk (``Desk``) and the
votes limited to those checked in (``HallVotes``). The rules are ``rules.py``'s; this module
only keeps what they need.

Cost (issue 14: "not a Redis write per event"): a connection writes once when it begins to follow
a session's channels (``Presence.open``) and once when it stops (``Presence.close``), however
many events it receives; the hub keeps what is open in memory meanwhile
(``realtime/fanout/attendance.py``). A hub that dies closes nothing: the next reader closes its
intervals at its last heartbeat (``lua/reap.lua``).
"""

from __future__ import annotations

import msgspec
from redis.asyncio import Redis

from attendance import rules
from attendance.intervals import Interval
from attendance.report import SessionRecord
from attendance.rules import DeskEntry, Mark
from ballot.model import VoteState
from engine import connection, keys
from engine.errors import Code, HubError
from engine.flight import Flights
from engine.limits import STALE_MS
from engine.scripts import Scripts


class Span(msgspec.Struct, frozen=True, array_like=True):
    """A closed online interval as ``ATTENDANCE_CLOSED`` keeps it."""

    session: str
    participant: str
    start: int
    end: int


_span = msgspec.msgpack.Encoder()
_spans = msgspec.msgpack.Decoder(Span)
_entry = msgspec.msgpack.Decoder(DeskEntry)


def open_field(instance: str, conn_id: int, session: str) -> str:
    """The field of one connection's open interval in one session (the hub instance first: a dead
    hub's fields are found by it)."""
    return f"{instance}|{conn_id}|{session}"


class Presence:
    """Online presence intervals per (session, participant), over every hub. ``instance``: the hub
    instance whose connections this object opens and closes (its connection slots' instance,
    ``engine.limits.ConnectionSlots``: the heartbeat that ``reap.lua`` judges it by); readers
    need none."""

    def __init__(self, redis: Redis, scripts: Scripts | None = None, instance: str = "") -> None:
        self.redis = redis
        self.scripts = scripts or Scripts(redis)
        self.instance = instance

    async def write(self, opened: dict[str, str], closed: list[str], spans: list[Span]) -> None:
        """A hub's batch of a second: intervals opened (``open_field`` -> ``participant|start``),
        the open fields closed, and the closed spans, in one round trip (``OnlineTracker.flush``)."""
        if not (opened or closed or spans):
            return
        async with self.redis.pipeline(transaction=True) as pipe:
            if opened:
                pipe.hset(keys.ATTENDANCE_OPEN, mapping=opened)  # type: ignore[arg-type]
            if closed:
                pipe.hdel(keys.ATTENDANCE_OPEN, *closed)
            if spans:
                pipe.rpush(keys.ATTENDANCE_CLOSED, *(_span.encode(s) for s in spans))
            await pipe.execute()

    async def open_now(self) -> tuple[int, list[Span]]:
        """Redis' clock and every interval open on a live hub (dead hubs' are closed first), each
        as a ``Span`` ending now."""
        now, flat = await self.scripts.call(
            "attendance",
            "reap",
            [keys.ATTENDANCE_OPEN, keys.ATTENDANCE_CLOSED, keys.CONNECTION_HUBS],
            [STALE_MS],
        )
        now = int(now)
        out = []
        for i in range(0, len(flat), 2):
            session = connection.text(flat[i]).rsplit("|", 1)[1]
            who, _, start = connection.text(flat[i + 1]).rpartition("|")
            out.append(Span(session, who, int(start), max(int(start), now)))
        return now, out

    async def online(self, session: str) -> set[str]:
        """Who follows ``session`` online now."""
        _now, spans = await self.open_now()
        return {s.participant for s in spans if s.session == session}

    async def spans(self, session: str) -> tuple[int, dict[str, list[Interval]]]:
        """Every online interval of ``session`` by participant, open ones up to now; and now."""
        now, current = await self.open_now()
        closed = [
            _spans.decode(connection.raw(r)) for r in await self.redis.lrange(keys.ATTENDANCE_CLOSED, 0, -1)
        ]
        out: dict[str, list[Interval]] = {}
        for s in [*closed, *current]:
            if s.session == session:
                out.setdefault(s.participant, []).append((s.start, s.end))
        return now, out


class Desk:
    """A session's hall desk: check-ins, check-outs, paper sign-ins, each with its clerk."""

    def __init__(self, redis: Redis, scripts: Scripts | None = None) -> None:
        self.redis = redis
        self.scripts = scripts or Scripts(redis)

    async def mark(self, session: str, mark: Mark, participant: str, clerk: str) -> tuple[bool, int]:
        """Record ``mark``; (True, when) if it changed anything, (False, the standing record's
        time or 0) if it was a no-op (``rules``: idempotent by design)."""
        k = keys.attendance_key
        changed, at = await self.scripts.call(
            "attendance",
            "desk",
            [k(session, "hall"), k(session, "paper"), k(session, "desk")],
            [mark.value, participant, clerk],
        )
        return bool(int(changed)), int(at)

    async def in_hall(self, session: str) -> set[str]:
        return {connection.text(p) for p in await self.redis.hkeys(keys.attendance_key(session, "hall"))}

    async def is_in(self, session: str, participant: str) -> bool:
        return bool(await self.redis.hexists(keys.attendance_key(session, "hall"), participant))

    async def entries(self, session: str) -> list[DeskEntry]:
        raws = await self.redis.lrange(keys.attendance_key(session, "desk"), 0, -1)
        return [_entry.decode(connection.raw(r)) for r in raws]


async def read_session(redis: Redis, session: str) -> SessionRecord:
    """What the report needs of one session, read now."""
    now, online = await Presence(redis).spans(session)
    return SessionRecord(session=session, online=online, desk=await Desk(redis).entries(session), now=now)


class HallVotes:
    """Votes open only to the panelists checked in at a session's hall (``vote_key(vote, "hall")``
    holds the session). Set while the vote is a draft (``rules.check_hall_vote``), so what a hub
    read of an open vote stays true: it keeps it (``remember``) and asks Redis once per vote."""

    def __init__(self, redis: Redis, scripts: Scripts | None = None) -> None:
        self.redis = redis
        self.scripts = scripts or Scripts(redis)
        self._known: dict[str, str] = {}  # vote -> its session, "" for a vote open to all
        self.reads: Flights[str, str] = Flights()  # one read per vote for the casts that wait for it

    async def limit(self, vote_id: str, session: str) -> None:
        """Limit ``vote_id`` to ``session``'s hall, in the same step as the check that it is a draft
        (``UNKNOWN_VOTE``, or ``rules.check_hall_vote``'s error)."""
        done, status = await self.scripts.call(
            "attendance",
            "hall_vote",
            [keys.channel_keys(keys.vote(vote_id)).state, keys.vote_key(vote_id, "hall")],
            [session, rules.HALL_VOTE_STATE.value],
        )
        status = connection.text(status)
        if not status:
            raise HubError(Code.UNKNOWN_VOTE, f"no vote {vote_id!r}")
        if not int(done):
            rules.check_hall_vote(VoteState(status))

    async def session_of(self, vote_id: str) -> str:
        """The session whose checked-in panelists alone may cast in ``vote_id``, or ""."""
        raw = await self.redis.get(keys.vote_key(vote_id, "hall"))
        return connection.text(raw) if raw else ""

    def known(self, vote_id: str) -> str | None:
        """What this hub remembers of ``vote_id``: its session, "" for none, None when not read yet."""
        return self._known.get(vote_id)

    def remember(self, vote_id: str, session: str) -> None:
        self._known[vote_id] = session

    def forget(self) -> None:
        """Read every vote's rule again (after Redis may have lost them: a vote made anew)."""
        self._known.clear()
