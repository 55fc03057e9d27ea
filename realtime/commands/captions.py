"""Live captions (issue 13): ``caption.send``, a thin call into moderation/captions.py.

The role (``roles.COMMAND_ROLES``: captioners and hosts) and the rate (the ``caption`` class) were
checked by ``registry.run``; here the meeting (membership, existence), then the rule and the publish.
"""

from __future__ import annotations

from engine import keys
from moderation import captions
from realtime import roles
from realtime.commands.registry import Handlers, registrar
from realtime.fanout.hub import Hub
from realtime.protocol import captions as p
from realtime.transport.client import Client

HANDLERS: Handlers = {}
"""This module's commands and their handlers, for ``realtime.commands.table``."""
handles = registrar(HANDLERS)


@handles(p.CaptionSend)
async def caption_send(hub: Hub, client: Client, cmd: p.CaptionSend) -> p.CaptionSent:
    who = client.participant
    roles.check_meeting(cmd.meeting, who)
    await hub.meetings.get(cmd.meeting)  # UNKNOWN_MEETING
    pub = await captions.send(hub.log, cmd.meeting, captions.Captioner(who.id, who.name), cmd.text, cmd.final)
    return p.CaptionSent(
        channel=keys.meeting_captions(cmd.meeting), epoch=pub.epoch, offset=pub.offset, time=pub.time
    )
