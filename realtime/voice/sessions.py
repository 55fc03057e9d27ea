"""This hub's voice sessions: the speaker of each meeting and the consoles listening to them.

The commands (``realtime/commands/voice.py``) call :class:`Voice` (one per hub, :func:`voice_of`);
it asks ``moderation/voice.py``'s rules first, then the media (``realtime/voice/relay.py``), and
commits who is live to ``meeting/<id>/voice``. Each session's phase moves only through the rule
table (``voice.step``).

The floor ends the media: the speakers' list tells :meth:`Voice.on_floor` when the floor of a meeting
changes hands on this hub (``SpeakersList.floor_hooks``), and a watch reads the floor of each
meeting with a live speaker every :data:`WATCH_INTERVAL` for changes made through another hub and
for the timer (``cut_off``).

One media hub per meeting (docs/voice.md): the session lives on the hub of the speaker's
connection. A console whose connection is on another hub is served there all the same: its hub
puts the request in Redis (``keys.voice_requests``), the media hub's watch answers it
(``keys.voice_answer``), and the media then flows between the console and the media hub directly;
past :data:`ASK_TIMEOUT` the console gets ``VOICE_ELSEWHERE`` (retryable). Ending the speaker from
another hub goes the same way (``keys.voice_stop``). A hub whose heartbeat stopped holds nothing: a
new offer takes over.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from engine import keys, roles
from engine.background import survive
from engine.connection import text
from engine.errors import Code, HubError
from engine.private import FILE_MODE, private_dir
from engine.roles import Role
from moderation import voice, voice_ice
from moderation.state import StateChannel
from moderation.voice import Phase, Step
from panel.roster import Participant
from realtime.fanout.hub import Hub

log = logging.getLogger("plenary.voice")

WATCH_INTERVAL: Final = 0.25
"""Seconds between two reads of the floor of each meeting with a live speaker on this hub: the
longest a speaker stays on air after the floor changed through another hub, or the timer ran out."""

STOP_TTL_S: Final = 10
"""Seconds a request to end a session held by another hub waits there for that hub's watch."""

ASK_TIMEOUT: Final = 10.0
"""Seconds a hub waits for the media hub's answer to a console's request (its watch takes requests
every ``WATCH_INTERVAL``; the answer gathers ICE candidates, seconds with a STUN server)."""

HUB_STALE_MS: Final = 15_000
"""A hub whose heartbeat (``keys.HUBS``) is older than this holds no voice session any more."""


def _now() -> int:
    return int(time.time() * 1000)


def _relay() -> ModuleType:
    """The media module, imported on first use: without aiortc the hub still runs."""
    try:
        from realtime.voice import relay
    except ImportError:
        raise HubError(
            Code.VOICE_UNAVAILABLE, "this hub runs without live voice (install .[voice])"
        ) from None
    return relay


@dataclass(eq=False)
class Session:
    """One peer connection: a speaker's (``speaker == owner``) or a listener's."""

    id: str
    meeting: str
    owner: str
    speaker: str
    peer: Any
    listening: bool
    phase: Phase = Phase.OFFERED
    candidates: int = 0
    listeners: set[Session] = field(default_factory=set)
    started_at: int = field(default_factory=_now)


class Voice:
    """The voice sessions of one hub. Build with :func:`voice_of`; :meth:`close` when the hub stops."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.sessions: dict[str, Session] = {}
        self.speaking: dict[str, Session] = {}  # meeting -> its live speaker's session here
        self._watch: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[Any]] = set()
        self._offering: dict[str, asyncio.Lock] = {}
        hub.speakers.floor_hooks.append(self.on_floor)

    def _config(self) -> Any:
        """The hub's own ICE servers: with coturn's shared secret, a credential of its own (minted
        as a page's, for ``hub-<id>``); else the static TURN credentials of the environment."""
        s = self.hub.settings
        user, cred = s.ice_username, s.ice_credential
        if s.turn_secret:
            user, cred = voice_ice.turn_credential(
                s.turn_secret, f"hub-{self.hub.hub_id}", _now() // 1000, s.turn_ttl
            )
        return _relay().configuration(s.ice_servers, user, cred)

    def _check_on(self) -> None:
        if not self.hub.settings.voice:
            raise HubError(Code.VOICE_UNAVAILABLE, "live voice is off on this hub")

    def _channel(self, meeting: str) -> StateChannel:
        return StateChannel(self.hub.log, keys.meeting_voice(meeting))

    async def _holder_alive(self, hub_id: str) -> bool:
        if hub_id == self.hub.hub_id:
            return True
        beat = await self.hub.redis.hget(keys.HUBS, hub_id)
        return beat is not None and _now() - int(text(beat)) < HUB_STALE_MS

    # -- commands --------------------------------------------------------------------------------
    async def config(self, who: Participant, meeting: str) -> tuple[list[dict[str, Any]], int]:
        """``voice.config``: the ICE servers for the page's own peer connection, and when its TURN
        credential expires; only for the pages that may use voice (``voice_ice.check_may_have_ice``)."""
        self._check_on()
        holder = None
        if who.role not in roles.MODERATORS:
            floor = await self.hub.speakers.channel(meeting).read()
            holder = voice.floor_holder(floor.values)
        voice_ice.check_may_have_ice(who.id, who.role, holder)
        s = self.hub.settings
        return voice_ice.page_servers(s.ice_servers, who.id, _now() // 1000, s.turn_secret, s.turn_ttl)

    async def offer(self, who: Participant, meeting: str, sdp: str) -> tuple[Session, str]:
        """The floor holder goes live: the hub's answer, and the session it made. One offer of a
        meeting at a time on this hub (a double press must not leave a second connection behind)."""
        self._check_on()
        voice.check_offer(sdp)
        lock = self._offering.setdefault(meeting, asyncio.Lock())
        async with lock:
            return await self._offer(who, meeting, sdp)

    async def _offer(self, who: Participant, meeting: str, sdp: str) -> tuple[Session, str]:
        floor = await self.hub.speakers.channel(meeting).read()
        voice.check_may_speak(who.id, voice.floor_holder(floor.values))
        relay = _relay()
        before = self.speaking.get(meeting)
        if before is not None:  # a reload, a second device: the newest offer wins
            await self.end(before, Step.END, who.id, reason="replaced")
        live = (await self._channel(meeting).read()).get("live")
        replace = bool(live) and not await self._holder_alive(live["hub"])
        session = Session(secrets.token_urlsafe(9), meeting, who.id, who.id, None, listening=False)
        session.peer = relay.SpeakerPeer(
            self._config(),
            lambda st: self._on_state(session, st),
            encode_once=self.hub.settings.voice_encode_once,
        )
        try:
            answer = await session.peer.answer(sdp)
            record = {
                "id": who.id,
                "name": who.name,
                "session": session.id,
                "hub": self.hub.hub_id,
                "started_at": session.started_at,
            }
            await self._channel(meeting).update(voice.go_live({**record, "replace": replace}))
        except BaseException:
            await session.peer.close()
            raise
        self.sessions[session.id] = session
        self.speaking[meeting] = session
        if self.hub.settings.voice_record:
            # one stamp for the speech's files: the video's is made at the camera's first frame,
            # which may come in a later second than the audio's (under load it did)
            stamp = time.strftime("%Y%m%dT%H%M%S")
            with survive(log, "voice recorder", meeting=meeting):
                await session.peer.record(
                    self._record_path(meeting, who.id, session.id, stamp),
                    lambda: self._record_path(meeting, who.id, session.id, stamp, "-video.webm"),
                )
        if self._watch is None:
            self._watch = asyncio.create_task(self._watch_floor(), name="plenary-voice-watch")
        log.info("voice live", extra={"meeting": meeting, "participant": who.id, "session": session.id})
        return session, answer

    async def listen(self, who: Participant, meeting: str, sdp: str) -> tuple[Session, Session, str]:
        """A console hears the meeting's live speaker: (its session, the speaker's, the answer)."""
        self._check_on()
        voice.check_may_listen(who.role)
        voice.check_receive_only(voice.check_offer(sdp))
        speaker = self.speaking.get(meeting)
        if speaker is None or speaker.phase is Phase.ENDED:
            return await self._listen_elsewhere(who, meeting, sdp)
        if len(speaker.listeners) >= self.hub.settings.voice_max_listeners:
            raise HubError(Code.TOO_MANY_LISTENERS, "this meeting's live voice has its most listeners")
        relay = _relay()
        session = Session(secrets.token_urlsafe(9), meeting, who.id, speaker.owner, None, listening=True)
        video = speaker.peer.video.subscribe() if voice.check_video(sdp) else None
        session.peer = relay.ListenerPeer(
            self._config(), lambda st: self._on_state(session, st), speaker.peer.listen(), video
        )
        try:
            answer = await session.peer.answer(sdp)
        except BaseException:
            await session.peer.close()
            raise
        self.sessions[session.id] = session
        speaker.listeners.add(session)
        return session, speaker, answer

    async def _listen_elsewhere(
        self, who: Participant, meeting: str, sdp: str
    ) -> tuple[Session, Session, str]:
        """``voice.listen`` on a hub that does not hold the meeting's voice: asked of the hub that
        does, through Redis; its answer comes back here. ``NO_VOICE_SESSION`` when nobody is live."""
        live = (await self._channel(meeting).read()).get("live")
        if not live or live["hub"] == self.hub.hub_id or not await self._holder_alive(live["hub"]):
            raise HubError(Code.NO_VOICE_SESSION, f"nobody is live in meeting {meeting}")
        rid = secrets.token_urlsafe(9)
        ask = {"rid": rid, "id": who.id, "name": who.name, "role": str(who.role), "sdp": sdp}
        async with self.hub.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(keys.voice_requests(meeting), json.dumps(ask))
            pipe.expire(keys.voice_requests(meeting), int(ASK_TIMEOUT) + 5)
            await pipe.execute()
        deadline = time.monotonic() + ASK_TIMEOUT
        while time.monotonic() < deadline:
            got = await self.hub.redis.getdel(keys.voice_answer(meeting, rid))
            if got is not None:
                answer = json.loads(text(got))
                if "code" in answer:
                    raise HubError(Code(answer["code"]), answer.get("message", ""))
                speaker = Session(live["session"], meeting, live["id"], live["id"], None, listening=False)
                mine = Session(answer["session"], meeting, who.id, live["id"], None, listening=True)
                return mine, speaker, answer["sdp"]
            await asyncio.sleep(0.05)
        raise HubError(Code.VOICE_ELSEWHERE, f"the hub of meeting {meeting}'s voice did not answer in time")

    async def _answer_requests(self, meeting: str) -> None:
        """The watch of the media hub: answer the consoles of other hubs that asked to listen."""
        for _ in range(self.hub.settings.voice_max_listeners):
            raw = await self.hub.redis.lpop(keys.voice_requests(meeting))
            if raw is None:
                return
            ask = json.loads(text(raw))
            task = asyncio.ensure_future(self._answer_one(meeting, ask))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _answer_one(self, meeting: str, ask: dict[str, Any]) -> None:
        who = Participant(id=ask["id"], name=ask["name"], role=Role(ask["role"]))
        reply: dict[str, Any]
        try:
            session, _speaker, sdp = await self.listen(who, meeting, ask["sdp"])
            reply = {"session": session.id, "sdp": sdp}
        except HubError as e:
            reply = {"code": int(e.code), "message": e.message}
        await self.hub.redis.set(
            keys.voice_answer(meeting, ask["rid"]), json.dumps(reply), ex=int(ASK_TIMEOUT) + 5
        )

    def _own(self, who: Participant, meeting: str, session_id: str) -> Session:
        session = self.sessions.get(session_id)
        if session is None or session.meeting != meeting or session.owner != who.id:
            raise HubError(Code.NO_VOICE_SESSION, "no such voice session of yours")
        return session

    async def candidate(
        self, who: Participant, meeting: str, session_id: str, line: str, mid: str | None, index: int | None
    ) -> int:
        """A trickled ICE candidate from the session's own peer: how many it sent so far."""
        session = self._own(who, meeting, session_id)
        line = voice.check_candidate(line)
        count = voice.count_candidate(session.candidates)
        session.phase = voice.step(session.phase, Step.CANDIDATE)
        session.candidates = count
        await session.peer.add_candidate(line, mid, index)
        return count

    async def end_command(self, who: Participant, meeting: str, session_id: str | None) -> Session:
        """``voice.end``: a listener's own session; a speaker's by the speaker or a moderator; with
        no session named, the meeting's live speaker."""
        found = self.speaking.get(meeting) if session_id is None else self.sessions.get(session_id)
        if found is None or found.meeting != meeting:
            return await self._end_elsewhere(who, meeting, session_id)
        session = found
        if session.listening:
            if session.owner != who.id:
                raise HubError(Code.FORBIDDEN, "only its own console ends a listener's session")
        else:
            voice.check_may_end(who.id, who.role, session.speaker)
        await self.end(session, Step.END, who.id)
        return session

    async def _end_elsewhere(self, who: Participant, meeting: str, session_id: str | None) -> Session:
        """``voice.end`` of the live speaker whose session another hub holds: the request goes into
        Redis (``keys.voice_stop``) and that hub's watch ends the session within ``WATCH_INTERVAL``.
        The reply names the session; ``voice.ended`` follows on the channel."""
        live = (await self._channel(meeting).read()).get("live")
        if not live or live["hub"] == self.hub.hub_id or session_id not in (None, live["session"]):
            raise HubError(Code.NO_VOICE_SESSION, f"nobody is live in meeting {meeting} with that session")
        if not await self._holder_alive(live["hub"]):
            raise HubError(Code.NO_VOICE_SESSION, f"the hub of meeting {meeting}'s voice is gone")
        voice.check_may_end(who.id, who.role, live["id"])
        await self.hub.redis.set(keys.voice_stop(meeting), f"{live['session']}|{who.id}", ex=STOP_TTL_S)
        return Session(live["session"], meeting, live["id"], live["id"], None, listening=False)

    # -- the floor, the peers' states, the end ---------------------------------------------------
    async def on_floor(self, meeting: str) -> None:
        """The floor of ``meeting`` changed on this hub: end its speaker's media at once if they lost it."""
        session = self.speaking.get(meeting)
        if session is None:
            return
        floor = await self.hub.speakers.channel(meeting).read()
        lost = voice.floor_lost(session.speaker, floor.values, _now())
        if lost is not None:
            await self.end(session, lost, "")

    async def _watch_floor(self) -> None:
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            for meeting in list(self.speaking):
                with survive(log, "voice floor watch", meeting=meeting):
                    await self.on_floor(meeting)
                    await self._stop_requested(meeting)
                    await self._answer_requests(meeting)

    async def _stop_requested(self, meeting: str) -> None:
        """End the meeting's speaker if a moderator on another hub asked (``_end_elsewhere``)."""
        session = self.speaking.get(meeting)
        if session is None:
            return
        asked = await self.hub.redis.getdel(keys.voice_stop(meeting))
        if asked is None:
            return
        wanted, _, by = text(asked).partition("|")
        if wanted == session.id:
            await self.end(session, Step.END, by)

    def _on_state(self, session: Session, state: str) -> None:
        if state == "connected" and session.phase is Phase.OFFERED:
            session.phase = voice.step(session.phase, Step.CONNECTED)
        elif state in ("failed", "closed") and session.phase is not Phase.ENDED:
            task = asyncio.ensure_future(self.end(session, Step.FAILED, ""))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def end(self, session: Session, why: Step, by: str, reason: str = "") -> None:
        """End ``session`` (its listeners too, for a speaker's) and say so on the meeting's channel.
        A session already ended is left as it is."""
        if session.phase is Phase.ENDED:
            return
        session.phase = voice.step(session.phase, why)
        self.sessions.pop(session.id, None)
        if session.listening:
            owner = self.speaking.get(session.meeting)
            if owner is not None:
                owner.listeners.discard(session)
        else:
            if self.speaking.get(session.meeting) is session:
                del self.speaking[session.meeting]
            for listener in list(session.listeners):
                await self.end(listener, why, by, reason)
        with survive(log, "voice close", session=session.id):
            await session.peer.close()
        if not session.listening:
            with survive(log, "voice ended", meeting=session.meeting):
                await self._channel(session.meeting).update(voice.end(session.id, reason or str(why), by))
            log.info(
                "voice ended",
                extra={"meeting": session.meeting, "session": session.id, "reason": reason or str(why)},
            )

    def level(self, meeting: str) -> float:
        """The live speaker's level as this hub hears it (0-1), 0 when nobody is live here."""
        session = self.speaking.get(meeting)
        return float(session.peer.level) if session is not None else 0.0

    def _record_path(
        self, meeting: str, speaker: str, session: str, stamp: str, suffix: str = ".ogg"
    ) -> Path:
        """An owner-only file in the meeting's record folder (``engine/private.py``): the speech's
        Ogg/Opus, or ``-video.webm`` for its video (made at the camera's first frame), both named
        after the speech's start (``stamp``) so that they sort and pair as one speech."""
        folder = private_dir(self.hub.settings.data_dir / "records" / meeting / "voice")
        path = folder / f"{stamp}-{speaker}-{session}{suffix}"
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE))
        return path

    async def close(self) -> None:
        """When the hub stops: every session ended, the watch stopped."""
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        for session in list(self.speaking.values()):
            await self.end(session, Step.END, "", reason="hub_stopped")
        for session in list(self.sessions.values()):
            await self.end(session, Step.END, "", reason="hub_stopped")
        with contextlib.suppress(ValueError):
            self.hub.speakers.floor_hooks.remove(self.on_floor)


_of: weakref.WeakKeyDictionary[Hub, Voice] = weakref.WeakKeyDictionary()


def voice_of(hub: Hub) -> Voice:
    """The hub's voice sessions, made on first use (a hub nobody speaks on holds nothing)."""
    found = _of.get(hub)
    if found is None:
        found = _of[hub] = Voice(hub)
    return found


async def close(hub: Hub) -> None:
    """Ends the hub's voice sessions, if it has any (the app's shutdown)."""
    found = _of.pop(hub, None)
    if found is not None:
        await found.close()
