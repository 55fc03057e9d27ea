"""Live tables (issue 15): cards, facilitators, the table agenda's step, the table's discussion,
help flags and notices; thin calls into tables/ (``rules``, ``cards_store``, ``live``, ``overview``).

The role (``roles.COMMAND_ROLES``) and the rate were checked by ``registry.run``; here the meeting
(membership, existence), then the rule and the store.
"""

from __future__ import annotations

from engine.errors import Code, HubError
from engine.roles import Role
from realtime import roles
from realtime.commands.registry import Handlers, registrar
from realtime.fanout.hub import Hub
from realtime.protocol import tables as p
from realtime.transport.client import Client
from tables import cards_store, live, rules
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
    replaced = await live.assign_facilitator(hub.redis, cmd.meeting, cmd.table, target.id)
    return p.FacilitatorSet(table=cmd.table, facilitator=target.id, replaced=replaced)
