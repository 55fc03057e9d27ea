"""Live tables (issue 15): cards, facilitators, the table agenda's step, the table's discussion,
help flags and notices; thin calls into tables/ (``rules``, ``cards_store``, ``live``, ``overview``).

The role (``roles.COMMAND_ROLES``) and the rate were checked by ``registry.run``; here the meeting
(membership, existence), then the rule and the store.
"""

from __future__ import annotations

import asyncio
import time

from engine import keys
from engine.errors import Code, HubError
from engine.roles import Role
from moderation import chat
from realtime import roles
from realtime.commands.registry import Handlers, registrar
from realtime.fanout.hub import Hub
from realtime.protocol import tables as p
from realtime.transport.client import Client
from tables import cards_store, live, overview, rules
from tables.cards import Card

HANDLERS: Handlers = {}
"""This module's commands and their handlers, for ``realtime.commands.table``."""
handles = registrar(HANDLERS)


async def _meeting(hub: Hub, client: Client, meeting: str) -> None:
    roles.check_meeting(meeting, client.participant)  # NOT_A_MEMBER
    await hub.meetings.check_exists(meeting)  # UNKNOWN_MEETING


async def _facilitated(hub: Hub, client: Client, meeting: str) -> int | None:
    who = client.participant
    if who.role is not Role.FACILITATOR:
        return None
    return await live.facilitated_table(hub.redis, meeting, who.id)


def wire_card(card: Card) -> p.Card:
    return p.Card(
        id=card.id,
        meeting=card.meeting,
        table=card.table,
        text=card.text,
        by=card.by,
        at=card.at,
        step=card.step,
    )


@handles(p.TableCard)
async def table_card(hub: Hub, client: Client, cmd: p.TableCard) -> p.CardPosted:
    await _meeting(hub, client, cmd.meeting)
    rules.check_poster(client.participant.role, await _facilitated(hub, client, cmd.meeting), cmd.table)
    await live.check_table(hub.redis, cmd.meeting, cmd.table)  # NO_SUCH_TABLE
    step = await live.current_step(hub.redis, cmd.meeting)
    card, offset, retry = await cards_store.post_card(
        hub.log, cmd.meeting, cmd.table, cmd.text, client.participant.id, step.n if step else 0, cmd.nonce
    )
    return p.CardPosted(card=wire_card(card), offset=offset, retry=retry)


@handles(p.TableFacilitator)
async def table_facilitator(hub: Hub, client: Client, cmd: p.TableFacilitator) -> p.FacilitatorSet:
    await _meeting(hub, client, cmd.meeting)
    target = await hub.roster.get(cmd.participant)
    if target is None or target.role is not Role.FACILITATOR:
        raise HubError(Code.NOT_A_FACILITATOR, f"{cmd.participant} is not a facilitator")
    if not target.in_meeting(cmd.meeting):
        raise HubError(Code.NOT_A_MEMBER, f"{cmd.participant} is not a participant of {cmd.meeting}")
    await live.check_table(hub.redis, cmd.meeting, cmd.table)  # NO_SUCH_TABLE
    replaced = await live.assign_facilitator(hub.redis, cmd.meeting, cmd.table, target.id)
    return p.FacilitatorSet(table=cmd.table, facilitator=target.id, replaced=replaced)


async def _count(hub: Hub, meeting: str) -> int:
    seating = await live.seating_of(hub.redis, meeting)
    if seating is None:
        raise HubError(Code.NO_SUCH_TABLE, f"meeting {meeting} has no seating yet")
    return seating.count


async def _at_table(hub: Hub, client: Client, meeting: str, table: int) -> None:
    """The table exists, and the caller may be there (``roles.check_table``)."""
    await live.check_table(hub.redis, meeting, table)
    who = client.participant
    roles.check_table(table, who, *await live.standing(hub.redis, meeting, who.id, who.role))


@handles(p.TableSay)
async def table_say(hub: Hub, client: Client, cmd: p.TableSay) -> p.Said:
    await _meeting(hub, client, cmd.meeting)
    await _at_table(hub, client, cmd.meeting, cmd.table)
    who = client.participant
    pub, retry = await live.say(
        hub.log, cmd.meeting, cmd.table, chat.Author(who.id, who.name, who.role), cmd.text, cmd.nonce
    )
    if not retry:
        step = await live.current_step(hub.redis, cmd.meeting)
        await overview.record(hub.log, cmd.meeting, cmd.table, overview.SAID, step.n if step else 0)
    channel = keys.meeting_table(cmd.meeting, cmd.table)
    return p.Said(channel=channel, epoch=pub.epoch, offset=pub.offset, time=pub.time, retry=retry)


def wire_step(step: rules.Step) -> p.Step:
    return p.Step(
        n=step.n,
        title=step.title,
        seconds=step.seconds,
        starts_at=step.starts_at,
        ends_at=step.ends_at,
        tables=step.tables,
    )


@handles(p.TableStep)
async def table_step(hub: Hub, client: Client, cmd: p.TableStep) -> p.StepSet:
    await _meeting(hub, client, cmd.meeting)
    count = await _count(hub, cmd.meeting)
    step = await live.push_step(hub.log, cmd.meeting, count, cmd.title, cmd.seconds, _now_ms())
    return p.StepSet(step=wire_step(step), tables=count)


@handles(p.TableNotice)
async def table_notice(hub: Hub, client: Client, cmd: p.TableNotice) -> p.NoticeSent:
    await _meeting(hub, client, cmd.meeting)
    count = await _count(hub, cmd.meeting)
    notice = await live.send_notice(hub.log, cmd.meeting, count, cmd.text, client.participant.id, _now_ms())
    return p.NoticeSent(text=str(notice["text"]), tables=count)


@handles(p.TableFlag)
async def table_flag(hub: Hub, client: Client, cmd: p.TableFlag) -> p.FlagSet:
    await _meeting(hub, client, cmd.meeting)
    rules.check_poster(client.participant.role, await _facilitated(hub, client, cmd.meeting), cmd.table)
    await live.check_table(hub.redis, cmd.meeting, cmd.table)
    reason = rules.clean_flag(cmd.reason) if cmd.raised else ""
    step = await live.current_step(hub.redis, cmd.meeting)
    what = overview.FLAG if cmd.raised else overview.UNFLAG
    await overview.record(
        hub.log, cmd.meeting, cmd.table, what, step.n if step else 0, reason, client.participant.id
    )
    return p.FlagSet(table=cmd.table, flag=reason)


@handles(p.TableGet)
async def table_get(hub: Hub, client: Client, cmd: p.TableGet) -> p.TableView:
    await _meeting(hub, client, cmd.meeting)
    who = client.participant
    await live.seating_of(hub.redis, cmd.meeting, cmd.seating_at)  # a reseat's pages: the new one
    seated, facilitated = await live.standing(hub.redis, cmd.meeting, who.id, who.role)
    table = cmd.table or seated or facilitated or 0
    if not table:
        raise HubError(Code.NOT_AT_TABLE, "you have no table in this meeting: name one")
    seating = await live.check_table(hub.redis, cmd.meeting, table)
    roles.check_table(table, who, seated, facilitated)
    members = seating.members(table)
    said = await live.spoken(hub.redis, cmd.meeting, table)
    found = await asyncio.gather(*(hub.roster.get(m) for m in members))
    names = {m: f.name for m, f in zip(members, found, strict=True) if f is not None}
    return p.TableView(
        table=table,
        members=[p.Member(id=m, name=names.get(m, m), spoken=m in said) for m in members],
        facilitator=await live.facilitator_of(hub.redis, cmd.meeting, table) or "",
        not_spoken=rules.not_spoken(members, said),
        step=None if (step := await live.current_step(hub.redis, cmd.meeting)) is None else wire_step(step),
        channel=keys.meeting_table(cmd.meeting, table),
        seating_at=seating.created_ms,
    )


def _now_ms() -> int:
    return int(time.time() * 1000)
