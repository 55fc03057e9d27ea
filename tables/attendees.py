"""Whom a session seats: the panelists of the meeting who attend it now (checked in at the hall
desk or following it online, ``attendance/``), or with ``everyone`` the meeting's whole panel; as
``tables.mix.Person`` with the roster's strata."""

from __future__ import annotations

from redis.asyncio import Redis

from attendance import rules
from attendance.store import Desk, Presence
from panel.roster import Participant, Roster
from tables.mix import Person


def person(p: Participant) -> Person:
    return Person(p.id, p.gender, p.age_band, p.district)


async def attending(redis: Redis, session: str) -> set[str]:
    """Who attends ``session`` now: in the hall (the desk's check-ins) or online."""
    return await Desk(redis).in_hall(session) | await Presence(redis).online(session)


async def panel(redis: Redis, session: str) -> list[Participant]:
    """The panelists of ``session``'s meeting (attendance's ``counted`` roles), by id."""
    return [p for p in await Roster(redis).all() if rules.counted(p) and p.in_meeting(session)]


async def to_seat(
    redis: Redis, session: str, *, everyone: bool = False
) -> tuple[list[Participant], list[Person]]:
    """The meeting's panel, and whom to seat of it: those attending, or everyone."""
    members = await panel(redis, session)
    if not everyone:
        here = await attending(redis, session)
        seat = [p for p in members if p.id in here]
    else:
        seat = members
    return members, [person(p) for p in seat]
