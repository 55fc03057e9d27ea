"""Online attendance as the hub sees it: a panelist's connection is in a session from its first
subscribe to one of the session's channels until it follows none of them any more (an unsubscribe,
or the connection's end).

What is open lives here; Redis gets it in one batch a second (``OnlineTracker.flush``, from the
hub's sweep: an interval opened, the open ones closed and the closed spans, one round trip for every
connection of that second), never a write per event and none on a subscribe's path (a reconnect
storm's 3,000 subscribes cost no extra round trip each). An interval opened and closed within the
same second goes to Redis closed only. What a hub that dies had not flushed (at most its last
second) is lost to the record. Why at subscribe and not at ``hello``: a panelist of
every meeting is only *in* the one whose page they opened. A Redis failure here is logged and
never fails the subscribe: attendance is a record, not a gate. A hub that dies leaves its open
intervals to ``lua/reap.lua`` (closed at its last heartbeat); a hub that stops closes its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from attendance import rules
from attendance.store import Presence, Span, open_field
from engine import keys
from realtime.transport.client import Client

log = logging.getLogger("plenary.attendance")


class OnlineTracker:
    """This hub's open intervals: connection -> session -> start (ms)."""

    def __init__(self, presence: Presence, on_change: Callable[[str], None] = lambda session: None) -> None:
        self.presence = presence  # of this hub's instance (``Backend.presence``)
        self.on_change = on_change  # a session's presence changed (the pushed quorum, issue 14)
        self.open: dict[int, dict[str, int]] = {}
        self._who: dict[int, str] = {}
        # not yet in Redis (``flush``): opened fields, open fields closed, closed spans
        self._opened: dict[str, str] = {}
        self._closed: list[str] = []
        self._spans: list[Span] = []

    def followed(self, client: Client, channel: str) -> None:
        """``client`` follows ``channel`` now: the start of its interval in the channel's session,
        if it is a panelist and this is the first of the session's channels it follows."""
        session = keys.meeting_of(channel)
        if session is None or not rules.counted(client.participant):
            return
        mine = self.open.setdefault(client.conn_id, {})
        if session in mine:
            return
        start = mine[session] = int(time.time() * 1000)
        self._who[client.conn_id] = client.participant.id
        field = open_field(self.presence.instance, client.conn_id, session)
        self._opened[field] = f"{client.participant.id}|{start}"
        self.on_change(session)

    def unfollowed(self, client: Client, channel: str) -> None:
        """``client`` left ``channel`` (its subscription is gone): the end of its interval in the
        session when it follows none of the session's channels any more."""
        session = keys.meeting_of(channel)
        mine = self.open.get(client.conn_id)
        if session is None or not mine or session not in mine:
            return
        if any(keys.meeting_of(c) == session for c in client.subs):
            return
        self._close(client.conn_id, {session: mine.pop(session)})
        if not mine:
            del self.open[client.conn_id]
            self._who.pop(client.conn_id, None)

    async def close_all(self) -> None:
        """A clean stop: every interval of this hub ends now, and goes to Redis."""
        for conn_id, mine in list(self.open.items()):
            self._close(conn_id, mine)
        self.open.clear()
        self._who.clear()
        await self.flush()

    def _close(self, conn_id: int, opened: dict[str, int]) -> None:
        end = int(time.time() * 1000)
        who = self._who[conn_id]
        for session, start in opened.items():
            field = open_field(self.presence.instance, conn_id, session)
            if self._opened.pop(field, None) is None:
                self._closed.append(field)  # already in Redis as open
            self._spans.append(Span(session, who, start, max(start, end)))
            self.on_change(session)

    async def flush(self) -> None:
        """Write the second's batch (the hub's sweep calls this once a second). The batch is taken
        before the write, so what opens or closes meanwhile goes with the next one (a close of an
        interval in flight is then an HDEL after its HSET); on a failure it is put back, first."""
        if not (self._opened or self._closed or self._spans):
            return
        opened, closed, spans = self._opened, self._closed, self._spans
        self._opened, self._closed, self._spans = {}, [], []
        try:
            await self.presence.write(opened, closed, spans)
        except Exception:
            log.warning("attendance flush failed; kept for the next", exc_info=True)
            self._opened = {**opened, **self._opened}
            self._closed[:0], self._spans[:0] = closed, spans
