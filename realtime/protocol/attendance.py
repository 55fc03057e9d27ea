"""Protocol v1: attendance (issue 14). attendance/rules.py holds the rules (whom a desk may check
in, idempotence, the hall-only vote); realtime/commands/attendance.py runs them. The wire bounds
the sizes only."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from realtime.protocol.base import Command, Ident, Result

Session = Annotated[Ident, Meta(description="a meeting id (a topic meeting or the plenary)")]
Token = Annotated[
    str, Meta(max_length=256, description="the token of the panelist's personal link (after `#t=`)")
]


class DeskMarked(Result):
    session: str
    panelist: Annotated[str, Meta(description="the panelist's id (their number)")]
    name: Annotated[str, Meta(description="the panelist's name, for the clerk to compare")]
    mark: Annotated[str, Meta(description="`in`, `out` or `paper`")]
    changed: Annotated[bool, Meta(description="false: it was so already, nothing was recorded (no error)")]
    at: Annotated[
        int,
        Meta(
            description="when it was recorded (ms since the Unix epoch); 0 for a check-out of someone not in"
        ),
    ]


class AttendanceCheckin(Command[DeskMarked], tag="attendance.checkin"):
    """Clerk or host: a panelist arrives at the session's hall. Give ``token`` (scanned from their
    QR link) or ``participant`` (their number, typed), exactly one."""

    session: Session
    participant: Annotated[Ident | None, Meta(description="the panelist's number, typed")] = None
    token: Token | None = None


class AttendanceCheckout(Command[DeskMarked], tag="attendance.checkout"):
    """Clerk or host: a panelist leaves the session's hall (``token`` or ``participant``)."""

    session: Session
    participant: Annotated[Ident | None, Meta(description="the panelist's number, typed")] = None
    token: Token | None = None


class AttendancePaper(Command[DeskMarked], tag="attendance.paper"):
    """Clerk or host: a panelist's signature on the session's paper sheet, keyed in."""

    session: Session
    participant: Annotated[Ident, Meta(description="the panelist's number on the sheet")]


class Quorum(Result):
    session: str
    panel: Annotated[int, Meta(description="panelists of the session")]
    online: Annotated[int, Meta(description="of them, following the session online now")]
    hall: Annotated[int, Meta(description="of them, checked in at the hall now")]
    present: Annotated[int, Meta(description="of them, online or in the hall (each counted once)")]


class AttendanceQuorum(Command[Quorum], tag="attendance.quorum"):
    """Host: how many of the session's panel are present now."""

    session: Session


class HallVote(Result):
    vote: str
    session: str


class AttendanceHallVote(Command[HallVote], tag="attendance.hall_vote"):
    """Host: limit a draft vote to the panelists checked in at ``session``'s hall when they cast."""

    vote: Annotated[Ident, Meta(description="a draft vote")]
    session: Session


ATTENDANCE_COMMANDS: tuple[type[Command], ...] = (
    AttendanceCheckin,
    AttendanceCheckout,
    AttendancePaper,
    AttendanceQuorum,
    AttendanceHallVote,
)
