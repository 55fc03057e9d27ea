"""Chat commands: meeting chat and its moderation (moderation/chat.py and chat_admin.py hold the rules)."""

from __future__ import annotations

from engine import keys
from moderation import chat, chat_admin
from realtime import roles
from realtime.commands.registry import Handlers, registrar
from realtime.fanout.hub import Hub
from realtime.protocol import messages as m
from realtime.protocol import moderation as p
from realtime.transport.client import Client

HANDLERS: Handlers = {}
"""This module's commands and their handlers, for ``realtime.commands.table``."""
handles = registrar(HANDLERS)


@handles(m.ChatSend)
async def chat_send(hub: Hub, client: Client, cmd: m.ChatSend) -> m.Sent:
    who = client.participant
    roles.check_meeting(cmd.meeting, who)
    info = await hub.meetings.get(cmd.meeting)
    chat.check_open(info.chat_open)
    pub, retry = await chat.send_once(
        hub.log, cmd.meeting, chat.Author(who.id, who.name, who.role), cmd.text, cmd.nonce
    )
    return m.Sent(
        channel=keys.meeting_chat(cmd.meeting), epoch=pub.epoch, offset=pub.offset, time=pub.time, retry=retry
    )


async def _meeting(hub: Hub, client: Client, meeting_id: str) -> chat_admin.Actor:
    who = client.participant
    roles.check_meeting(meeting_id, who)
    await hub.meetings.get(meeting_id)  # UNKNOWN_MEETING
    return chat_admin.Actor(who.id, who.name, who.role)


@handles(p.ChatDelete)
async def chat_delete(hub: Hub, client: Client, cmd: p.ChatDelete) -> p.ChatDeleteReply:
    by = await _meeting(hub, client, cmd.meeting)
    done = await chat_admin.delete_message(hub.log, cmd.meeting, cmd.offset, by, cmd.reason)
    return p.ChatDeleteReply(offset=done["offset"], deleted=done["deleted"], changed=done["changed"])


async def _restrict(
    hub: Hub, client: Client, meeting: str, participant: str, kind: str, minutes: int = 0
) -> p.ChatRestrictReply:
    by = await _meeting(hub, client, meeting)
    target = await hub.roster.get(participant)
    chat_admin.check_target(kind, target.role if target else None, participant, by)
    name = target.name if target else ""
    pub = await chat_admin.restrict(hub.log, meeting, participant, kind, minutes, by, name)
    standing = await chat_admin.restriction(hub.log, meeting, participant)
    return p.ChatRestrictReply(
        changed=pub is not None, muted_ms=standing["muted_ms"], banned=standing["banned"]
    )


@handles(p.ChatMute)
async def chat_mute(hub: Hub, client: Client, cmd: p.ChatMute) -> p.ChatRestrictReply:
    return await _restrict(hub, client, cmd.meeting, cmd.participant, "mute", cmd.minutes)


@handles(p.ChatBan)
async def chat_ban(hub: Hub, client: Client, cmd: p.ChatBan) -> p.ChatRestrictReply:
    return await _restrict(hub, client, cmd.meeting, cmd.participant, "ban")


@handles(p.ChatUnmute)
async def chat_unmute(hub: Hub, client: Client, cmd: p.ChatUnmute) -> p.ChatRestrictReply:
    return await _restrict(hub, client, cmd.meeting, cmd.participant, "lift")


@handles(p.ChatSettings)
async def chat_settings(hub: Hub, client: Client, cmd: p.ChatSettings) -> p.ChatSettingsReply:
    await _meeting(hub, client, cmd.meeting)
    done = await chat_admin.configure(hub.log, cmd.meeting, cmd.slow_mode, cmd.links)
    return p.ChatSettingsReply(slow_mode=done["slow_mode"], links=done["links"], offset=done["offset"])


@handles(p.ChatStatus)
async def chat_status(hub: Hub, client: Client, cmd: p.ChatStatus) -> p.ChatStatusReply:
    me = await _meeting(hub, client, cmd.meeting)
    slow, links = await chat.read_settings(hub.log, cmd.meeting)
    standing = await chat_admin.restriction(hub.log, cmd.meeting, me.id)
    return p.ChatStatusReply(
        slow_mode=slow, links=str(links), muted_ms=standing["muted_ms"], banned=standing["banned"]
    )


@handles(p.ChatModeration)
async def chat_moderation(hub: Hub, client: Client, cmd: p.ChatModeration) -> p.ChatModerationReply:
    await _meeting(hub, client, cmd.meeting)
    view = await chat_admin.console_view(hub.log, cmd.meeting, cmd.before)
    return p.ChatModerationReply(
        restrictions=[p.Restriction(**r) for r in view["restrictions"]],
        deleted=view["deleted"],
        older=view["older"],
    )


@handles(p.ChatReport)
async def chat_report(hub: Hub, client: Client, cmd: p.ChatReport) -> p.ChatReportReply:
    me = await _meeting(hub, client, cmd.meeting)
    done = await chat_admin.report(hub.log, cmd.meeting, cmd.offset, me, cmd.reason, cmd.note)
    return p.ChatReportReply(offset=done["offset"], reports=done["reports"])


@handles(p.ChatDismissReport)
async def chat_dismiss_report(hub: Hub, client: Client, cmd: p.ChatDismissReport) -> p.ChatDismissReportReply:
    by = await _meeting(hub, client, cmd.meeting)
    done = await chat_admin.close_report(hub.log, cmd.meeting, cmd.offset, "dismissed", by)
    return p.ChatDismissReportReply(offset=done["offset"], outcome=done["outcome"], by=done["by"])
