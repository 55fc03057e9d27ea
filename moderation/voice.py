"""Live voice (issue 16): who may signal, a voice session's steps as a table, what an offer may be,
and who is live in a meeting (the ``meeting/<id>/voice`` channel).

Pure rules apart from I/O: the WebRTC media (aiortc) is ``realtime/voice/``'s; it asks these rules
before it touches a peer connection, and commits "who is live" through :func:`go_live` and
:func:`end` (``moderation/state.py``: read, decide, commit in one guarded step).

What an offer may be (:func:`check_offer`): audio, and at most one video section (the speaker's
optional camera) offering VP8 or H.264 (:func:`check_video`).

Who may signal: the panelist who holds the floor of that meeting (the speakers' list's ``current``,
``moderation/speakers.py``) sends the offer; that meeting's moderators and hosts
(``roles.MODERATORS``) listen and end; the speaker may end their own session. Taking the floor away
ends the media: the relay watches the floor (:func:`floor_lost`).

A session (one peer connection in the hub: the speaker's, or one listener's) moves through
:data:`STEPS`; a step the table does not hold is ``BAD_VOICE_STEP`` and changes nothing::

    offered --connected--> live --end|floor_lost|timer_out|failed--> ended
       └------------- end|floor_lost|timer_out|failed ---------------┘

State of ``meeting/<id>/voice``: ``live``: ``{id, name, session, hub, started_at}`` while a speaker
is live, absent otherwise. Events: ``voice.live`` (that record), ``voice.ended`` (``{id, session,
reason, by}``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from engine import roles
from engine.errors import Code, HubError
from moderation.state import Change, State

MAX_CANDIDATES: Final = 40
"""ICE candidates one session accepts from its peer. A browser gathers a handful per network
interface (host, server-reflexive, relay, for UDP and TCP); 40 is room for a laptop with docks and
VPNs. Past it the peer is flooding: ``TOO_MANY_CANDIDATES``, the session itself carries on."""

MAX_SDP: Final = 32 * 1024
"""Characters of an offer: a browser's audio offer with every candidate is 2-6 kB."""

MAX_CANDIDATE: Final = 512
"""Characters of one ``candidate:`` line."""


class Phase(StrEnum):
    OFFERED = "offered"  # the hub answered; media not yet flowing
    LIVE = "live"  # the peer connection is connected
    ENDED = "ended"  # closed, for good: a new offer makes a new session


class Step(StrEnum):
    CONNECTED = "connected"  # the peer connection reached ``connected``
    CANDIDATE = "candidate"  # the peer sent an ICE candidate (trickle)
    END = "end"  # the speaker, a moderator or a host ended it
    FLOOR_LOST = "floor_lost"  # the speaker no longer holds the floor
    TIMER_OUT = "timer_out"  # the speaker's time ran out and the meeting cuts off at the timer
    FAILED = "failed"  # the peer connection failed or closed (the network, a closed tab)


_ENDING: Final = (Step.END, Step.FLOOR_LOST, Step.TIMER_OUT, Step.FAILED)

STEPS: Mapping[tuple[Phase, Step], Phase] = MappingProxyType(
    {
        (Phase.OFFERED, Step.CONNECTED): Phase.LIVE,
        (Phase.OFFERED, Step.CANDIDATE): Phase.OFFERED,
        (Phase.LIVE, Step.CANDIDATE): Phase.LIVE,
        **{(Phase.OFFERED, s): Phase.ENDED for s in _ENDING},
        **{(Phase.LIVE, s): Phase.ENDED for s in _ENDING},
    }
)
"""(phase, step) -> next phase: the whole life of a voice session. ``ended`` has no way out."""


def step(phase: Phase, what: Step) -> Phase:
    """The phase after ``what``; ``BAD_VOICE_STEP`` when the table has no such row."""
    nxt = STEPS.get((phase, what))
    if nxt is None:
        raise HubError(Code.BAD_VOICE_STEP, f"a voice session that is {phase} cannot take '{what}'")
    return nxt


def count_candidate(seen: int) -> int:
    """One more candidate after ``seen``: the new count, or ``TOO_MANY_CANDIDATES`` past the bound."""
    if seen >= MAX_CANDIDATES:
        raise HubError(Code.TOO_MANY_CANDIDATES, f"at most {MAX_CANDIDATES} ICE candidates per session")
    return seen + 1


# -- who may signal -------------------------------------------------------------------------------
def floor_holder(speakers_state: Mapping[str, Any]) -> str | None:
    """Who holds the floor, from the speakers' list's state (``moderation/speakers.py``)."""
    current = speakers_state.get("current")
    return current["id"] if current else None


def check_may_speak(pid: str, holder: str | None) -> None:
    """Only the participant who holds the floor of the meeting sends an offer."""
    if holder != pid:
        raise HubError(Code.NOT_ON_THE_FLOOR, "only the speaker who has the floor may go live")


def check_may_listen(role: str) -> None:
    """The meeting's moderators and hosts hear the speaker in their consoles (the host mixes the
    stream); everyone else watches the stream. ``realtime/roles.py`` checks the same set first."""
    if role not in roles.MODERATORS:
        raise HubError(Code.FORBIDDEN, "only moderators and hosts listen to live voice")


def check_may_end(pid: str, role: str, speaker: str) -> None:
    """The speaker ends their own session (the stop button); moderators and hosts end anyone's."""
    if pid != speaker and role not in roles.MODERATORS:
        raise HubError(Code.FORBIDDEN, "only the speaker, a moderator or a host ends live voice")


def floor_lost(speaker: str, speakers_state: Mapping[str, Any], now: int) -> Step | None:
    """Whether a live speaker's session must end now: ``FLOOR_LOST`` when someone else (or nobody)
    holds the floor, ``TIMER_OUT`` when their time ran out and the meeting cuts off at the timer
    (``cut_off``, set with ``speakers.timer``), else None."""
    current = speakers_state.get("current")
    if not current or current["id"] != speaker:
        return Step.FLOOR_LOST
    if speakers_state.get("cut_off") and now >= int(current["ends_at"]):
        return Step.TIMER_OUT
    return None


# -- what an offer may be -------------------------------------------------------------------------
_MEDIA = re.compile(r"^m=(audio|video) ", re.MULTILINE)
_SECTION = re.compile(r"^m=(\w+) .*?(?=^m=|\Z)", re.MULTILINE | re.DOTALL)
_RTPMAP = re.compile(r"^a=rtpmap:\d+ ([\w.-]+)/", re.MULTILINE)

MAX_VIDEO: Final = 1
"""Video sections an offer may hold: the speaker's one camera (or a console's one picture of it)."""

VIDEO_CODECS: Final = frozenset({"VP8", "H264"})
"""What the relay decodes and re-encodes for each console (aiortc's codecs): an offer's video must
offer one of them. Every browser does; VP9 or AV1 alone cannot be relayed."""


def check_offer(sdp: str) -> str:
    """A session description the relay may hand to WebRTC: the ``v=0`` header, at least one audio
    section, the ICE credentials and the DTLS fingerprint WebRTC requires (without them the media
    could never flow), bounded. aiortc's own parser refuses the rest (the relay maps that to
    ``BAD_SDP`` too)."""
    if len(sdp) > MAX_SDP or not sdp.startswith("v=0"):
        raise HubError(Code.BAD_SDP, "not a WebRTC session description")
    if "audio" not in _MEDIA.findall(sdp):
        raise HubError(Code.BAD_SDP, "the offer has no audio")
    if "a=ice-ufrag:" not in sdp or "a=fingerprint:" not in sdp:
        raise HubError(Code.BAD_SDP, "the offer lacks its ICE credentials or DTLS fingerprint")
    check_video(sdp)
    return sdp


def check_video(sdp: str) -> bool:
    """Whether the offer carries video (the optional camera). At most :data:`MAX_VIDEO` video
    section (``TOO_MANY_VIDEO``), and it must offer VP8 or H.264 (``BAD_VIDEO_CODEC``): the hub
    accepts one camera and relays it to the consoles, and refuses the rest before any peer
    connection is made."""
    videos = [m.group(0) for m in _SECTION.finditer(sdp) if m.group(1) == "video"]
    if len(videos) > MAX_VIDEO:
        raise HubError(Code.TOO_MANY_VIDEO, f"at most {MAX_VIDEO} video track per offer")
    for section in videos:
        offered = {name.upper() for name in _RTPMAP.findall(section)}
        if not offered & VIDEO_CODECS:
            raise HubError(Code.BAD_VIDEO_CODEC, "the video offers neither VP8 nor H.264")
    return bool(videos)


def check_receive_only(sdp: str) -> str:
    """A console's offer to listen only receives: each audio or video section says ``recvonly`` (or
    ``inactive``); else ``LISTENER_SENDS``. The hub reads nothing a console would send, and aiortc
    queues a received track's decoded frames until they are read: a console sending video to
    its listening session would fill the hub's memory."""
    for m in _SECTION.finditer(sdp):
        if m.group(1) in ("audio", "video") and not re.search(
            r"^a=(recvonly|inactive)\s*$", m.group(0), re.M
        ):
            raise HubError(Code.LISTENER_SENDS, "an offer to listen must only receive (recvonly)")
    return sdp


def check_candidate(candidate: str) -> str:
    """One ICE candidate line (``candidate:...``, as a browser's ``RTCIceCandidate.candidate``)."""
    line = candidate.removeprefix("a=")
    if len(line) > MAX_CANDIDATE or not line.startswith("candidate:") or len(line.split()) < 8:
        raise HubError(Code.BAD_SDP, "not an ICE candidate line")
    return line


# -- who is live in a meeting (meeting/<id>/voice) --------------------------------------------------
def go_live(live: dict[str, Any]) -> Callable[[State], Change]:
    """Record ``live`` (``{id, name, session, hub, started_at}``) as the meeting's live speaker. The
    caller has ended any session of its own first; another hub's live session is ``VOICE_ELSEWHERE``
    (one media hub per meeting, docs/voice.md), unless ``replace`` in ``live`` says it is gone."""

    def rule(state: State) -> Change:
        before = state.get("live")
        held = before and before["session"] != live["session"] and before["hub"] != live["hub"]
        if held and not live.get("replace"):
            raise HubError(Code.VOICE_ELSEWHERE, "live voice of this meeting runs on another hub")
        record = {k: v for k, v in live.items() if k != "replace"}
        return Change("voice.live", record, sets={"live": record}, result=record)

    return rule


def end(session: str, reason: str, by: str) -> Callable[[State], Change]:
    """The live record goes when its session ends; a session that is not the live one changes
    nothing (an old one ending late, or twice)."""

    def rule(state: State) -> Change:
        live = state.get("live")
        if not live or live["session"] != session:
            return Change("", None, result={"ended": False})
        data = {"id": live["id"], "session": session, "reason": reason, "by": by}
        return Change("voice.ended", data, deletes=("live",), result={"ended": True})

    return rule
