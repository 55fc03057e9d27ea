"""The hosts' live quorum, pushed (issue 14): a session whose presence changed on this hub (an
online interval opened or closed, a hall check-in or check-out at this hub's desk) gets its figure
published on ``meeting/<session>/quorum`` by the hub's once-a-second sweep, instead of every host
console asking every few seconds.

**At most one a second per session, over every hub.** A hub that has a changed session takes the
session's gate (``SET NX PX 1000`` on ``attendance_key(session, "quorum_gate")``) before it reads
and publishes; a hub that finds the gate taken keeps the session changed and tries again at its
next sweep, so its own change is never lost: it is in the figure of whichever hub reads after it.
The figure is read the way ``attendance.quorum`` reads it (``read_quorums``: one roster read, one
reap-and-read of the open intervals, one read of each hall), after this hub's intervals of the
second were flushed (the sweep flushes first). A Redis failure keeps the sessions for the next
sweep: the figure is a convenience, never a gate.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from attendance import rules
from attendance.store import Desk, Presence
from engine import keys
from engine.channels import ChannelLog
from panel.roster import Roster

log = logging.getLogger("plenary.attendance")

EVENT = "attendance.quorum"
"""The event type on ``meeting/<session>/quorum``; its data is ``attendance.quorum``'s result."""
GATE_MS = 1000
"""At most one figure per session in this many milliseconds, over every hub."""


async def read_quorums(
    roster: Roster, presence: Presence, desk: Desk, sessions: set[str]
) -> dict[str, rules.Quorum]:
    """Each session's quorum now (``rules.quorum``): its panel from the roster, who follows it
    online (a dead hub's intervals closed first, ``Presence.open_now``), who is in its hall."""
    everyone = [x for x in await roster.all() if rules.counted(x)]
    _now, spans = await presence.open_now()
    out = {}
    for session in sessions:
        panel = {x.id for x in everyone if x.in_meeting(session)}
        online = {s.participant for s in spans if s.session == session}
        out[session] = rules.quorum(panel, online, await desk.in_hall(session))
    return out


def figure(session: str, q: rules.Quorum) -> dict[str, object]:
    """The wire form, the same as ``attendance.quorum``'s result."""
    return {"session": session, "panel": q.panel, "online": q.online, "hall": q.hall, "present": q.present}


class QuorumPush:
    """This hub's changed sessions, and their figures pushed by ``push`` (the hub's sweep)."""

    def __init__(
        self, redis: Redis, log_: ChannelLog, roster: Roster, presence: Presence, desk: Desk
    ) -> None:
        self.redis = redis
        self.log = log_
        self.roster = roster
        self.presence = presence
        self.desk = desk
        self.changed: set[str] = set()

    def touched(self, session: str) -> None:
        """Someone's presence in ``session`` changed here: its figure goes out at the next sweep."""
        self.changed.add(session)

    async def push(self) -> None:
        """Publish the figure of every changed session whose gate this hub takes; keep the others."""
        if not self.changed:
            return
        changed, self.changed = self.changed, set()
        try:
            mine = set()
            for session in changed:
                if await self.redis.set(
                    keys.attendance_key(session, "quorum_gate"), "1", nx=True, px=GATE_MS
                ):
                    mine.add(session)
            if mine:
                for session, q in (await read_quorums(self.roster, self.presence, self.desk, mine)).items():
                    await self.log.publish(keys.meeting_quorum(session), EVENT, figure(session, q))
        except Exception:
            log.warning("quorum push failed; kept for the next sweep", exc_info=True)
            self.changed |= changed
            return
        self.changed |= changed - mine
