"""The rules of attendance, as plain functions: whose presence is recorded, who may be checked in
at a session's hall, and how a clerk's check-ins and check-outs become time in the hall.

Idempotence (the answer to "a clerk scans the same code twice"): checking in a panelist who is in
already, checking out one who is out, and signing in on paper twice are each a no-op, never an
error. The reply says ``changed: false`` and when the standing record was made, so the desk can
say "already checked in at 13:02" and the queue moves on. An unknown number or link is an error
(``unknown_participant``), and so is a panelist of another session (``not_a_member``).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

import msgspec

from attendance.intervals import Interval
from ballot.model import VoteState
from engine import roles
from engine.errors import Code, HubError
from engine.roles import Role
from panel.roster import Participant

COUNTED: frozenset[Role] = roles.PANELISTS
"""Whose attendance is recorded and reported: the panel. Staff follow meetings for their work."""


class Mark(StrEnum):
    """What a clerk recorded at the desk."""

    IN = "in"  # checked in at the hall (the panelist's QR link scanned, or their number typed)
    OUT = "out"  # checked out (left the hall)
    PAPER = "paper"  # signed the paper sheet, keyed in afterwards (no times: present, that is all)


class DeskEntry(msgspec.Struct, frozen=True, array_like=True):
    """One line of a session's desk log (Redis keeps them in order): what, whom, by which clerk, when."""

    mark: Mark
    participant: str
    clerk: str
    at: int  # ms since the Unix epoch, Redis' clock


def counted(p: Participant) -> bool:
    return p.role in COUNTED


def check_attendee(p: Participant | None, given: str, session: str) -> Participant:
    """The panelist a clerk names at the desk of ``session``, or the error to show them.

    ``given`` is what was typed or scanned (for the message only). Staff have no attendance to
    record, so a staff member's number is as unknown here as a typo."""
    if p is None or not counted(p):
        raise HubError(Code.UNKNOWN_PARTICIPANT, f"no panelist {given[:64]!r}: check the number or the link")
    if not p.in_meeting(session):
        raise HubError(Code.NOT_A_MEMBER, f"panelist {p.id} is not a participant of {session}")
    return p


def hall_spans(entries: Iterable[DeskEntry], until: int) -> dict[str, list[Interval]]:
    """Each panelist's time in the hall from the desk log: every check-in to the next check-out,
    and one still open at ``until`` (now, or the session's end) up to then. A second check-in
    without a check-out between never reaches the log (the store makes it a no-op)."""
    opened: dict[str, int] = {}
    out: dict[str, list[Interval]] = {}
    for e in entries:
        if e.mark is Mark.IN:
            opened.setdefault(e.participant, e.at)
        elif e.mark is Mark.OUT and e.participant in opened:
            out.setdefault(e.participant, []).append((opened.pop(e.participant), e.at))
    for pid, start in opened.items():
        out.setdefault(pid, []).append((start, max(start, until)))
    return out


HALL_VOTE_STATE = VoteState.DRAFT
"""The one state in which a vote may be limited to the hall (``lua/hall_vote.lua`` is given it)."""


def check_hall_vote(status: VoteState) -> None:
    """A vote is limited to the checked-in while it is a draft only: once open, who may cast must
    not change under the voters (and hubs keep what they read of an open vote)."""
    if status is not HALL_VOTE_STATE:
        raise HubError(
            Code.BAD_TRANSITION, f"only a draft vote can be limited to the hall (this one is {status})"
        )


def check_in_hall(inside: bool, session: str) -> None:
    """A cast in a vote limited to ``session``'s hall: refused unless checked in there now."""
    if not inside:
        raise HubError(
            Code.NOT_CHECKED_IN, f"this vote is for the panelists checked in at {session}: check in first"
        )


class Quorum(msgspec.Struct, frozen=True, kw_only=True):
    """Who of a session's panel is present now: online, in the hall, either (each counted once)."""

    panel: int
    online: int
    hall: int
    present: int


def quorum(panel: set[str], online: set[str], hall: set[str]) -> Quorum:
    """The live figure for hosts: only the session's panel counts (staff online are not panel)."""
    on, inside = online & panel, hall & panel
    return Quorum(panel=len(panel), online=len(on), hall=len(inside), present=len(on | inside))
