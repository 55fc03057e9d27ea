"""The theme team (issue 15): thin calls into tables/theme_store.py and tables/theme_ballot.py.

The role (``roles.COMMAND_ROLES``: ``THEME_TEAM``) and the rate were checked by ``registry.run``;
each handler checks the meeting (membership, existence), makes one store call and replies.
``theme.suggest`` clusters in a worker thread (tens of ms for 900 cards): the loop keeps serving.
"""

from __future__ import annotations

import asyncio

from engine import keys
from engine.channels import ChannelLog
from moderation.polls import PollStore
from proposals.model import Person
from proposals.store import ProposalStore
from realtime.commands.moderation import in_meeting
from realtime.commands.registry import Handlers, registrar
from realtime.fanout.hub import Hub
from realtime.protocol import themes as p
from realtime.transport.client import Client
from tables import suggest, theme_ballot
from tables.theme_cards import card_reader
from tables.theme_store import ThemeStore

HANDLERS: Handlers = {}
"""This module's commands and their handlers, for ``realtime.commands.table``."""
handles = registrar(HANDLERS)


def _store(log: ChannelLog) -> ThemeStore:
    return ThemeStore(log, card_reader(log))


def _drafts(meeting: str, offset: int | None, theme: str = "") -> p.ThemeDone:
    return p.ThemeDone(channel=keys.meeting_theme_drafts(meeting), offset=offset, theme=theme)


@handles(p.ThemeCreate)
async def create(hub: Hub, client: Client, cmd: p.ThemeCreate) -> p.ThemeDone:
    await in_meeting(hub, client, cmd.meeting)
    done = await _store(hub.log).create(cmd.meeting, cmd.title, client.participant.id, cmd.cards)
    return _drafts(cmd.meeting, done.offset, done.result["theme"])


@handles(p.ThemeAssign)
async def assign(hub: Hub, client: Client, cmd: p.ThemeAssign) -> p.ThemeDone:
    await in_meeting(hub, client, cmd.meeting)
    done = await _store(hub.log).assign(cmd.meeting, cmd.cards, cmd.theme, client.participant.id)
    return _drafts(cmd.meeting, done.offset)


@handles(p.ThemeRename)
async def rename(hub: Hub, client: Client, cmd: p.ThemeRename) -> p.ThemeDone:
    await in_meeting(hub, client, cmd.meeting)
    done = await _store(hub.log).rename(cmd.meeting, cmd.theme, cmd.title, client.participant.id)
    return _drafts(cmd.meeting, done.offset)


@handles(p.ThemeMerge)
async def merge(hub: Hub, client: Client, cmd: p.ThemeMerge) -> p.ThemeDone:
    await in_meeting(hub, client, cmd.meeting)
    done = await _store(hub.log).merge(cmd.meeting, cmd.theme, cmd.into, client.participant.id)
    return _drafts(cmd.meeting, done.offset)


@handles(p.ThemeDelete)
async def delete(hub: Hub, client: Client, cmd: p.ThemeDelete) -> p.ThemeDone:
    await in_meeting(hub, client, cmd.meeting)
    done = await _store(hub.log).delete(cmd.meeting, cmd.theme, client.participant.id)
    return _drafts(cmd.meeting, done.offset)


@handles(p.ThemePublish)
async def publish(hub: Hub, client: Client, cmd: p.ThemePublish) -> p.ThemeDone:
    await in_meeting(hub, client, cmd.meeting)
    done = await _store(hub.log).publish(cmd.meeting, client.participant.id, cmd.on_air)
    return p.ThemeDone(
        channel=keys.meeting_themes(cmd.meeting), offset=done.offset, count=done.result["count"]
    )


@handles(p.ThemeSuggest)
async def suggest_(hub: Hub, client: Client, cmd: p.ThemeSuggest) -> p.ThemeSuggestions:
    await in_meeting(hub, client, cmd.meeting)
    cards = await _store(hub.log).unassigned(cmd.meeting)
    groups = await asyncio.to_thread(suggest.suggest, [suggest.Card(c.id, c.text) for c in cards])
    return p.ThemeSuggestions(groups=[p.SuggestedTheme(g.title, list(g.cards)) for g in groups])


@handles(p.ThemeToPoll)
async def to_poll(hub: Hub, client: Client, cmd: p.ThemeToPoll) -> p.ThemePolled:
    await in_meeting(hub, client, cmd.meeting)
    store = _store(hub.log)
    offset = await theme_ballot.to_poll(
        store, PollStore(hub.log), cmd.meeting, cmd.poll, cmd.prompt, cmd.themes, client.participant.id
    )
    return p.ThemePolled(poll=cmd.poll, offset=offset)


@handles(p.ThemeToProposal)
async def to_proposal(hub: Hub, client: Client, cmd: p.ThemeToProposal) -> p.ThemeProposed:
    await in_meeting(hub, client, cmd.meeting)
    who = Person(client.participant.id, client.participant.name)
    pid, offset = await theme_ballot.to_proposal(
        _store(hub.log),
        ProposalStore(hub.log),
        cmd.meeting,
        cmd.theme,
        cmd.section,
        cmd.action,
        who,
        client.participant.role,
    )
    return p.ThemeProposed(proposal=pid, offset=offset)
