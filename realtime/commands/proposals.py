"""Citizens' proposals (issue 14): thin calls into proposals/store.py.

The role (``roles.COMMAND_ROLES``, rows from ``proposals/rules.py``'s table) and the participant's
rate were checked by ``registry.run``; each handler checks the meeting (membership, existence),
makes one store call and turns its records into the reply's types.
"""

from __future__ import annotations

from typing import Any

import msgspec

from proposals.model import Person
from proposals.store import ProposalStore
from realtime.commands.moderation import in_meeting
from realtime.commands.registry import Handlers, registrar
from realtime.fanout.hub import Hub
from realtime.protocol import proposals as p
from realtime.transport.client import Client

HANDLERS: Handlers = {}
"""This module's commands and their handlers, for ``realtime.commands.table``."""
handles = registrar(HANDLERS)


def _wire(record: Any, into: type[Any]) -> Any:
    return msgspec.convert(msgspec.to_builtins(record), into)


def _record(record: Any) -> p.ProposalRecord:
    plain = msgspec.to_builtins(record)
    for name in ("shortlist", "ballot", "theme"):  # issues 14, 15: left out of the reply until reached
        if plain.get(name) is None:
            plain.pop(name, None)
    wire: p.ProposalRecord = msgspec.convert(plain, p.ProposalRecord)
    return wire


def _who(client: Client) -> Person:
    return Person(client.participant.id, client.participant.name)


async def _store(hub: Hub, client: Client, meeting: str) -> ProposalStore:
    await in_meeting(hub, client, meeting)
    return ProposalStore(hub.log)


@handles(p.ProposalSections)
async def sections(hub: Hub, client: Client, cmd: p.ProposalSections) -> p.ProposalSectionsReply:
    store = await _store(hub, client, cmd.meeting)
    done = await store.set_sections(cmd.meeting, client.participant.role, cmd.open)
    return p.ProposalSectionsReply(open=list(done.result), offset=done.offset)


@handles(p.ProposalSubmit)
async def submit(hub: Hub, client: Client, cmd: p.ProposalSubmit) -> p.ProposalReply:
    store = await _store(hub, client, cmd.meeting)
    done = await store.submit(
        cmd.meeting, _who(client), client.participant.role, cmd.section, cmd.title, cmd.problem, cmd.action
    )
    return p.ProposalReply(proposal=_record(done.result), offset=done.offset)


@handles(p.ProposalJoin)
async def join(hub: Hub, client: Client, cmd: p.ProposalJoin) -> p.ProposalReply:
    store = await _store(hub, client, cmd.meeting)
    done = await store.join(cmd.meeting, cmd.proposal, _who(client), client.participant.role)
    return p.ProposalReply(proposal=_record(done.result), offset=done.offset)


async def _support(hub: Hub, client: Client, meeting: str, pid: int, add: bool) -> p.ProposalSupportReply:
    store = await _store(hub, client, meeting)
    done = await store.support(meeting, pid, client.participant.id, client.participant.role, add)
    return p.ProposalSupportReply(proposal=pid, supported=add, supports=done.result, offset=done.offset)


@handles(p.ProposalSupport)
async def support(hub: Hub, client: Client, cmd: p.ProposalSupport) -> p.ProposalSupportReply:
    return await _support(hub, client, cmd.meeting, cmd.proposal, True)


@handles(p.ProposalUnsupport)
async def unsupport(hub: Hub, client: Client, cmd: p.ProposalUnsupport) -> p.ProposalSupportReply:
    return await _support(hub, client, cmd.meeting, cmd.proposal, False)


@handles(p.ProposalComment)
async def comment(hub: Hub, client: Client, cmd: p.ProposalComment) -> p.ProposalCommentReply:
    store = await _store(hub, client, cmd.meeting)
    done = await store.comment(cmd.meeting, cmd.proposal, _who(client), client.participant.role, cmd.text)
    return p.ProposalCommentReply(
        proposal=cmd.proposal, comment=_wire(done.result, p.CommentRecord), offset=done.offset
    )


@handles(p.ProposalMerge)
async def merge(hub: Hub, client: Client, cmd: p.ProposalMerge) -> p.ProposalMergeReply:
    store = await _store(hub, client, cmd.meeting)
    done = await store.merge(cmd.meeting, cmd.proposal, cmd.into, _who(client), client.participant.role)
    merged, into = done.result
    return p.ProposalMergeReply(proposal=_record(merged), into=_record(into), offset=done.offset)


@handles(p.ProposalEdit)
async def edit(hub: Hub, client: Client, cmd: p.ProposalEdit) -> p.ProposalReply:
    store = await _store(hub, client, cmd.meeting)
    done = await store.edit(
        cmd.meeting,
        cmd.proposal,
        _who(client),
        client.participant.role,
        section=cmd.section,
        title=cmd.title,
        problem=cmd.problem,
        action=cmd.action,
        note=cmd.note,
    )
    return p.ProposalReply(proposal=_record(done.result), offset=done.offset)


@handles(p.ProposalConsent)
async def consent(hub: Hub, client: Client, cmd: p.ProposalConsent) -> p.ProposalReply:
    store = await _store(hub, client, cmd.meeting)
    done = await store.consent(cmd.meeting, cmd.proposal, _who(client), client.participant.role, cmd.accept)
    return p.ProposalReply(proposal=_record(done.result), offset=done.offset)


@handles(p.ProposalReturn)
async def return_(hub: Hub, client: Client, cmd: p.ProposalReturn) -> p.ProposalReply:
    store = await _store(hub, client, cmd.meeting)
    done = await store.return_(cmd.meeting, cmd.proposal, _who(client), client.participant.role, cmd.reason)
    return p.ProposalReply(proposal=_record(done.result), offset=done.offset)


@handles(p.ProposalList)
async def list_(hub: Hub, client: Client, cmd: p.ProposalList) -> p.ProposalListReply:
    store = await _store(hub, client, cmd.meeting)
    page = await store.page(cmd.meeting, client.participant.id)
    return p.ProposalListReply(
        proposals=[_record(x) for x in page.proposals], open=page.open_sections, supported=page.supported
    )


@handles(p.ProposalGet)
async def get(hub: Hub, client: Client, cmd: p.ProposalGet) -> p.ProposalGetReply:
    store = await _store(hub, client, cmd.meeting)
    d = await store.detail(cmd.meeting, cmd.proposal, client.participant.id)
    return p.ProposalGetReply(
        proposal=_record(d.proposal),
        versions=[_wire(v, p.VersionRecord) for v in d.versions],
        comments=[_wire(c, p.CommentRecord) for c in d.comments],
        supported=d.supported,
    )


# issue 14: the city's response
@handles(p.ProposalRespond)
async def respond(hub: Hub, client: Client, cmd: p.ProposalRespond) -> p.ProposalRespondReply:
    store = await _store(hub, client, cmd.meeting)
    done = await store.respond(
        cmd.meeting, cmd.proposal, _who(client), client.participant.role, cmd.status, cmd.department, cmd.text
    )
    record, n = done.result
    return p.ProposalRespondReply(
        proposal=cmd.proposal, response=_wire(record.response, p.ResponseRecord), n=n, offset=done.offset
    )
