"""Live voice (issue 16): ``voice.offer``, ``voice.listen``, ``voice.candidate``, ``voice.end``,
``voice.config``, thin
calls into this hub's voice sessions (``realtime/voice/sessions.py``), which ask the rules of
``moderation/voice.py`` (who holds the floor, the session's steps, what an offer may be).

The role (``roles.COMMAND_ROLES``) and the rate (the ``voice`` class) were checked by
``registry.run``; here the meeting (membership, existence), then the session.
"""

from __future__ import annotations

from realtime import roles
from realtime.commands.registry import Handlers, registrar
from realtime.fanout.hub import Hub
from realtime.protocol import voice as p
from realtime.transport.client import Client
from realtime.voice.sessions import voice_of

HANDLERS: Handlers = {}
"""This module's commands and their handlers, for ``realtime.commands.table``."""
handles = registrar(HANDLERS)


async def _in_meeting(hub: Hub, client: Client, meeting: str) -> None:
    roles.check_meeting(meeting, client.participant)
    await hub.meetings.check_exists(meeting)  # UNKNOWN_MEETING


@handles(p.VoiceOffer)
async def voice_offer(hub: Hub, client: Client, cmd: p.VoiceOffer) -> p.VoiceAnswer:
    await _in_meeting(hub, client, cmd.meeting)
    session, answer = await voice_of(hub).offer(client.participant, cmd.meeting, cmd.sdp)
    return p.VoiceAnswer(session=session.id, sdp=answer, speaker=session.speaker)


@handles(p.VoiceListen)
async def voice_listen(hub: Hub, client: Client, cmd: p.VoiceListen) -> p.VoiceAnswer:
    await _in_meeting(hub, client, cmd.meeting)
    session, speaker, answer = await voice_of(hub).listen(client.participant, cmd.meeting, cmd.sdp)
    return p.VoiceAnswer(session=session.id, sdp=answer, speaker=speaker.owner)


@handles(p.VoiceCandidate)
async def voice_candidate(hub: Hub, client: Client, cmd: p.VoiceCandidate) -> p.VoiceCandidateReply:
    await _in_meeting(hub, client, cmd.meeting)
    count = await voice_of(hub).candidate(
        client.participant, cmd.meeting, cmd.session, cmd.candidate, cmd.sdp_mid, cmd.sdp_mline_index
    )
    return p.VoiceCandidateReply(session=cmd.session, count=count)


@handles(p.VoiceEnd)
async def voice_end(hub: Hub, client: Client, cmd: p.VoiceEnd) -> p.VoiceEndReply:
    await _in_meeting(hub, client, cmd.meeting)
    session = await voice_of(hub).end_command(client.participant, cmd.meeting, cmd.session)
    return p.VoiceEndReply(session=session.id, speaker=session.speaker)


@handles(p.VoiceConfig)
async def voice_config(hub: Hub, client: Client, cmd: p.VoiceConfig) -> p.VoiceConfigReply:
    await _in_meeting(hub, client, cmd.meeting)
    servers, expires_at = await voice_of(hub).config(client.participant, cmd.meeting)
    return p.VoiceConfigReply(ice_servers=[p.IceServer(**s) for s in servers], expires_at=expires_at)
