"""Chat commands: meeting chat (moderation/chat.py holds the rules)."""

from __future__ import annotations

from engine import keys
from engine.errors import Code, LimitError
from moderation import chat
from realtime import roles
from realtime.client import Client
from realtime.commands import handles
from realtime.hub import Hub
from realtime.protocol import messages as m


@handles(m.ChatSend)
async def chat_send(hub: Hub, client: Client, cmd: m.ChatSend) -> m.Sent:
    who = client.participant
    roles.check_meeting(cmd.meeting, who)
    info = await hub.meetings.get(cmd.meeting)
    if not info.chat_open:
        raise LimitError(Code.CHAT_CLOSED, "the chat of this meeting is closed")
    pub = await chat.send(hub.log, cmd.meeting, chat.Author(who.id, who.name, who.role), cmd.text)
    return m.Sent(channel=keys.meeting_chat(cmd.meeting), epoch=pub.epoch, offset=pub.offset, time=pub.time)
