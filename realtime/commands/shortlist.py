"""The shortlist vote and the plenary ballot (issue 14): thin calls into proposals/voting.py.

The role (``roles.COMMAND_ROLES``: the rows ``shortlist`` and ``ballot`` of ``proposals/rules.py``)
and the rate were checked by ``registry.run``; the shortlist also needs the meeting (membership,
existence). :func:`follow_publication` is what ``vote.publish`` does for a vote made from proposals.
"""

from __future__ import annotations

import msgspec

from ballot.model import PANELISTS
from moderation import meeting_votes
from proposals.provenance import Origin
from proposals.store import ProposalStore
from proposals.voting import Made, ProposalVotes
from realtime.commands.moderation import in_meeting
from realtime.commands.registry import Handlers, registrar
from realtime.fanout.hub import Hub
from realtime.protocol import proposals as p
from realtime.transport.client import Client

HANDLERS: Handlers = {}
"""This module's commands and their handlers, for ``realtime.commands.table``."""
handles = registrar(HANDLERS)


def _votes(hub: Hub) -> ProposalVotes:
    return ProposalVotes(hub.votes, ProposalStore(hub.log))


def _items(origin: Origin) -> list[p.Provenance]:
    return msgspec.convert(msgspec.to_builtins(origin.items), list[p.Provenance])


def _reply(made: Made) -> p.ProposalVoteReply:
    return p.ProposalVoteReply(
        vote=made.definition.vote_id, status="draft", items=_items(made.origin), offset=made.offset
    )


@handles(p.ProposalShortlist)
async def shortlist(hub: Hub, client: Client, cmd: p.ProposalShortlist) -> p.ProposalVoteReply:
    await in_meeting(hub, client, cmd.meeting)
    made = await _votes(hub).shortlist(
        cmd.meeting,
        cmd.vote,
        cmd.title,
        client.participant.role,
        section=cmd.section,
        top=cmd.top,
        chosen=cmd.proposals,
    )
    # listed on the meeting's pages as vote.create lists a meeting's vote (idempotent)
    await meeting_votes.announce(hub.log, cmd.meeting, cmd.vote, cmd.title, cmd.meeting)
    return _reply(made)


@handles(p.ProposalBallot)
async def ballot(hub: Hub, client: Client, cmd: p.ProposalBallot) -> p.ProposalVoteReply:
    if cmd.meeting is not None:
        await hub.meetings.get(cmd.meeting)  # UNKNOWN_MEETING, before anything is stored
    made = await _votes(hub).ballot(cmd.vote, cmd.title, client.participant.role, cmd.shortlists, top=cmd.top)
    home = meeting_votes.home_meeting(PANELISTS, cmd.meeting)
    if home is not None:
        await meeting_votes.announce(hub.log, home, cmd.vote, cmd.title, PANELISTS)
    return _reply(made)


async def follow_publication(hub: Hub, vote: str) -> None:
    """After ``vote.publish`` (and on its retry, which finds the vote published): the proposals a
    vote was made from follow its result; nothing for any other vote (``ProposalVotes.follow``)."""
    await _votes(hub).follow(vote)
