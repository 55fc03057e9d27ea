"""Attendance commands (issue 14): the hall desk, the hosts' quorum figure and the hall-only vote,
thin calls into attendance/ (``rules``, ``store``); and the cast's hall check (``hall_gate``),
which ``realtime.commands.vote`` calls before a cast.

The role (``roles.COMMAND_ROLES``: the desk's clerks and hosts, the hosts) and the rate (the
``desk`` and ``staff`` classes) were checked by ``registry.run``; here the session (membership of
the caller, existence), then the rule and the store.
"""

from __future__ import annotations

import asyncio

from attendance import rules
from attendance.rules import Mark
from ballot.model import VoteState
from engine.errors import Code, HubError
from panel.roster import Participant
from realtime import roles
from realtime.commands.registry import Handlers, registrar
from realtime.fanout.hub import Hub
from realtime.fanout.quorum import read_quorums
from realtime.protocol import attendance as p
from realtime.transport.client import Client

HANDLERS: Handlers = {}
"""This module's commands and their handlers, for ``realtime.commands.table``."""
handles = registrar(HANDLERS)


async def _session(hub: Hub, client: Client, session: str) -> None:
    roles.check_meeting(session, client.participant)  # NOT_A_MEMBER
    await hub.meetings.check_exists(session)  # UNKNOWN_MEETING


async def _panelist(hub: Hub, session: str, participant: str | None, token: str | None) -> Participant:
    """The panelist the desk names: by the token of their scanned link, or by their typed number."""
    if (participant is None) == (token is None):
        raise HubError(
            Code.BAD_FIELD, "give the panelist's number or the token of their link, one of the two"
        )
    if token is not None:
        return rules.check_attendee(await hub.roster.authenticate(token), "the scanned link", session)
    assert participant is not None
    return rules.check_attendee(await hub.roster.get(participant), participant, session)


async def _mark(hub: Hub, client: Client, session: str, mark: Mark, who: Participant) -> p.DeskMarked:
    changed, at = await hub.desk.mark(session, mark, who.id, client.participant.id)
    if changed and mark is not Mark.PAPER:
        hub.quorum.touched(session)  # the hosts' figure, pushed at the next sweep
    return p.DeskMarked(
        session=session, panelist=who.id, name=who.name, mark=mark.value, changed=changed, at=at
    )


@handles(p.AttendanceCheckin)
async def checkin(hub: Hub, client: Client, cmd: p.AttendanceCheckin) -> p.DeskMarked:
    await _session(hub, client, cmd.session)
    who = await _panelist(hub, cmd.session, cmd.participant, cmd.token)
    return await _mark(hub, client, cmd.session, Mark.IN, who)


@handles(p.AttendanceCheckout)
async def checkout(hub: Hub, client: Client, cmd: p.AttendanceCheckout) -> p.DeskMarked:
    await _session(hub, client, cmd.session)
    who = await _panelist(hub, cmd.session, cmd.participant, cmd.token)
    return await _mark(hub, client, cmd.session, Mark.OUT, who)


@handles(p.AttendancePaper)
async def paper(hub: Hub, client: Client, cmd: p.AttendancePaper) -> p.DeskMarked:
    await _session(hub, client, cmd.session)
    who = await _panelist(hub, cmd.session, cmd.participant, None)
    return await _mark(hub, client, cmd.session, Mark.PAPER, who)


@handles(p.AttendanceQuorum)
async def quorum(hub: Hub, client: Client, cmd: p.AttendanceQuorum) -> p.Quorum:
    await _session(hub, client, cmd.session)
    q = (await read_quorums(hub.roster, hub.online.presence, hub.desk, {cmd.session}))[cmd.session]
    return p.Quorum(session=cmd.session, panel=q.panel, online=q.online, hall=q.hall, present=q.present)


@handles(p.AttendanceHallVote)
async def hall_vote(hub: Hub, client: Client, cmd: p.AttendanceHallVote) -> p.HallVote:
    await _session(hub, client, cmd.session)
    await hub.hall_votes.limit(cmd.vote, cmd.session)  # UNKNOWN_VOTE, BAD_TRANSITION past the draft
    return p.HallVote(vote=cmd.vote, session=cmd.session)


# -- the cast's hall check (realtime.commands.vote) -------------------------------------------------
async def hall_gate(hub: Hub, vote_id: str, participant: str) -> None:
    """Refuse a cast in a vote limited to a session's hall by a panelist not checked in there
    (``NOT_CHECKED_IN``). What the hub read of a vote that is no draft is kept: the limit is set
    in the draft only (``rules.check_hall_vote``), so it cannot change after."""
    session = hub.hall_votes.known(vote_id)
    if session is None:  # the vote's opening: one read for all the casts arriving meanwhile
        session = await hub.hall_votes.reads.once(vote_id, lambda: _read_hall(hub, vote_id))
    if session:
        rules.check_in_hall(await hub.desk.is_in(session, participant), session)


def learn_hall(hub: Hub, vote_id: str) -> None:
    """Start reading ``vote_id``'s hall rule unless it is known or being read: a panelist who
    follows the vote's channel casts soon, and a cast takes the direct path only once the rule is
    known (``direct_cast_ok``). Without this, all 3,000 casts of an opening went the slow way."""
    if hub.hall_votes.known(vote_id) is None:
        hub.hall_votes.reads.start(vote_id, lambda: _read_hall(hub, vote_id))


async def _read_hall(hub: Hub, vote_id: str) -> str:
    # side by side: one round trip (the casts of the opening wait for it on the slow path)
    session, status = await asyncio.gather(hub.hall_votes.session_of(vote_id), hub.votes.status(vote_id))
    if status is not VoteState.DRAFT:
        hub.hall_votes.remember(vote_id, session)
    return session


def direct_cast_ok(hub: Hub, vote_id: str) -> bool:
    """A cast may take the direct path (no await before it is queued) only in a vote known to be
    open to all; any other goes through ``vote_cast``, which awaits ``hall_gate``."""
    return hub.hall_votes.known(vote_id) == ""
