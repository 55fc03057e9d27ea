"""Online attendance as the hub sees it: a panelist's connection is in a session from its first
subscribe to one of the session's channels until it follows none of them any more (an unsubscribe,
or the connection's end).

Two writes per connection and session (``attendance.store.Presence``: open, then close), never one
per event; what is open lives here meanwhile. Why at subscribe and not at ``hello``: a panelist of
every meeting is only *in* the one whose page they opened. A Redis failure here is logged and
never fails the subscribe: attendance is a record, not a gate. A hub that dies leaves its open
intervals to ``lua/reap.lua`` (closed at its last heartbeat); a hub that stops closes its own.
"""

from __future__ import annotations

import logging
import time

from attendance import rules
from attendance.store import Presence
from engine import keys
from engine.background import survive
from realtime.transport.client import Client

log = logging.getLogger("plenary.attendance")


class OnlineTracker:
    """This hub's open intervals: connection -> session -> start (ms)."""

    def __init__(self, presence: Presence) -> None:
        self.presence = presence  # of this hub's instance (``Backend.presence``)
        self.open: dict[int, dict[str, int]] = {}
        self._who: dict[int, str] = {}

    async def followed(self, client: Client, channel: str) -> None:
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
        with survive(log, "attendance open", conn_id=client.conn_id):
            await self.presence.open(client.conn_id, session, client.participant.id, start)

    async def unfollowed(self, client: Client, channel: str) -> None:
        """``client`` left ``channel`` (its subscription is gone): the end of its interval in the
        session when it follows none of the session's channels any more."""
        session = keys.meeting_of(channel)
        mine = self.open.get(client.conn_id)
        if session is None or not mine or session not in mine:
            return
        if any(keys.meeting_of(c) == session for c in client.subs):
            return
        await self._close(client.conn_id, {session: mine.pop(session)})
        if not mine:
            del self.open[client.conn_id]
            self._who.pop(client.conn_id, None)

    async def close_all(self) -> None:
        """A clean stop: every interval of this hub ends now."""
        for conn_id, mine in list(self.open.items()):
            await self._close(conn_id, mine)
        self.open.clear()
        self._who.clear()

    async def _close(self, conn_id: int, opened: dict[str, int]) -> None:
        with survive(log, "attendance close", conn_id=conn_id):
            await self.presence.close(conn_id, self._who[conn_id], opened.items(), int(time.time() * 1000))
