"""Protocol v1: live voice (issue 16). The signaling of WebRTC sessions between a page and the hub:
the speaker's offer, a console's offer to listen, trickled ICE candidates, the end. The hub answers
each offer in the command's reply (its candidates are all in that answer); who is live is pushed on
``meeting/<id>/voice`` (``voice.live``, ``voice.ended``). moderation/voice.py holds the rules."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from realtime.protocol.base import MeetingCommand, Result

Sdp = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=32 * 1024,
        description="a WebRTC offer's SDP (`RTCSessionDescription.sdp`) with at least one audio section, at most 32 KiB",
    ),
]
SessionId = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="a session id the hub gave")]


class VoiceAnswer(Result):
    session: Annotated[
        str, Meta(description="this peer connection's session id (for `voice.candidate`, `voice.end`)")
    ]
    sdp: Annotated[str, Meta(description="the hub's answer (`type: answer`), with all of its ICE candidates")]
    speaker: Annotated[str, Meta(description="whose voice the session carries (participant id)")]


class VoiceOffer(MeetingCommand[VoiceAnswer], tag="voice.offer"):
    """The panelist who holds the floor goes live: their offer (audio, send) and the hub's answer.
    Refused with `not_on_the_floor` for anyone else; a new offer replaces the speaker's previous one."""

    sdp: Sdp


class VoiceListen(MeetingCommand[VoiceAnswer], tag="voice.listen"):
    """Moderator or host: hear the meeting's live speaker (an offer to receive audio; the answer
    sends the speaker's voice). `no_voice_session` (retryable) while nobody is live."""

    sdp: Sdp


class VoiceCandidateReply(Result):
    session: str
    count: Annotated[int, Meta(description="candidates this session has taken (at most 40)")]


class VoiceCandidate(MeetingCommand[VoiceCandidateReply], tag="voice.candidate"):
    """A trickled ICE candidate of one of your sessions (not needed when the offer was sent after
    gathering completed, as the hub's pages do)."""

    session: SessionId
    candidate: Annotated[
        str, Meta(max_length=512, description="`RTCIceCandidate.candidate`: `candidate:...`")
    ]
    sdp_mid: Annotated[str, Meta(max_length=32, description="`RTCIceCandidate.sdpMid`")] | None = None
    sdp_mline_index: (
        Annotated[int, Meta(ge=0, le=16, description="`RTCIceCandidate.sdpMLineIndex`")] | None
    ) = None


class VoiceEndReply(Result):
    session: str
    speaker: str


class VoiceEnd(MeetingCommand[VoiceEndReply], tag="voice.end"):
    """End a session: your own listening session, or a speaker's (the speaker's stop button, or a
    moderator or host cutting them off). Without `session`: the meeting's live speaker."""

    session: SessionId | None = None


class IceServer(Struct, kw_only=True):
    """One entry of `RTCPeerConnection({iceServers})`, as the browser takes it."""

    urls: Annotated[
        list[str], Meta(description="STUN or TURN URLs (`stun:host:3478`, `turn:host:3478?transport=udp`)")
    ]
    username: (
        Annotated[
            str,
            Meta(
                description="TURN only: `<expiry, unix seconds>:<your participant id>` (coturn's REST scheme)"
            ),
        ]
        | UnsetType
    ) = UNSET
    credential: (
        Annotated[str, Meta(description="TURN only: that username's password, valid until the expiry")]
        | UnsetType
    ) = UNSET


class VoiceConfigReply(Result):
    ice_servers: Annotated[
        list[IceServer],
        Meta(
            description="give them to `new RTCPeerConnection({iceServers})`; empty on loopback (none configured)"
        ),
    ]
    expires_at: Annotated[
        int,
        Meta(
            description="unix seconds when the TURN credential expires (ask again for a new connection); 0: none"
        ),
    ]


class VoiceConfig(MeetingCommand[VoiceConfigReply], tag="voice.config"):
    """The STUN/TURN servers for a page's own peer connection, asked right before it offers or
    listens: the panelist who holds the floor, the meeting's moderators and hosts (`not_on_the_floor`
    for other panelists). TURN comes with a credential of your own that expires (`expires_at`)."""


VOICE_COMMANDS: tuple[type[MeetingCommand], ...] = (
    VoiceOffer,
    VoiceListen,
    VoiceCandidate,
    VoiceEnd,
    VoiceConfig,
)
