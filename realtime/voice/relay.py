"""The media: one aiortc ``RTCPeerConnection`` per speaker and per listener, in the hub process.

The speaker's audio comes in once (:class:`SpeakerPeer`) and is decoded once; aiortc's
``MediaRelay`` hands the level meter, the optional recorder and the Opus encoder a track of their
own. The encoder (:class:`OpusOnce`) encodes each frame once for every listener: a second relay
hands each listening console (:class:`ListenerPeer`) the same encoded packets, and its sender only
packetizes them (RTP, SRTP, send). Without it each listener's sender would encode the decoded
frames again, one Opus encoder per listener (docs/performance.md, issue 16: most of a listener's
cost). Every relayed track is unbuffered: a listener that falls behind loses packets, never delays
the speaker or another listener. The speaker's optional camera has a track path of its own
(``video.py`` :class:`VideoPath`, imported only from here). These two are the only modules that
import aiortc (``realtime/voice/sessions.py`` imports this one when the first voice command
arrives): a hub installed without the ``voice`` extra runs, and its voice commands answer
``VOICE_UNAVAILABLE``.

Signaling is not trickled from the hub: aiortc gathers every local candidate before
``setLocalDescription`` returns, so the answer a command replies with is complete. Peers may trickle
theirs (``voice.candidate``, :meth:`Peer.add_candidate`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
from collections import deque
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.codecs.opus import SAMPLES_PER_FRAME, OpusEncoder
from aiortc.contrib.media import MediaRecorder, MediaRelay
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import candidate_from_sdp

from engine.errors import Code, HubError
from realtime.voice.video import VideoPath

log = logging.getLogger("plenary.voice")

OnState = Callable[[str], None]
"""Told the peer connection's ``connectionState`` on each change (``connected``, ``failed``...)."""


def configuration(urls: tuple[str, ...], username: str = "", credential: str = "") -> RTCConfiguration:
    """The ICE servers: none by default (loopback and one LAN need none); STUN and TURN URLs from
    the hub's settings (``plenary serve --ice-server``), the TURN credentials given to each."""
    servers = [
        RTCIceServer(url, username or None, credential or None)
        if url.startswith("turn")
        else RTCIceServer(url)
        for url in urls
    ]
    return RTCConfiguration(iceServers=servers)


OPUS_TIME_BASE = fractions.Fraction(1, 48_000)
"""Opus's RTP clock: the packets' ``pts`` count samples at 48 kHz, as ``OpusEncoder.pack`` reads them."""


class OpusOnce(MediaStreamTrack):
    """The speaker's decoded audio encoded once, as Opus ``av.Packet``s, for every listener.

    aiortc's ``RTCRtpSender`` packs a track's ``av.Packet`` as it is (``OpusEncoder.pack``) where it
    would encode an ``av.Frame``: relayed through a ``MediaRelay``, one encode per frame serves any
    number of listeners. Each sender still adds its own random RTP timestamp origin, sequence
    numbers and SSRC. The encoder is aiortc's own (same bitrate and settings as a sender's); it runs
    in the event loop, one 20 ms frame at a time, where each sender ran its own in a worker thread.
    Made on the first listener; from then on it encodes until the speaker's track ends."""

    kind = "audio"

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self.source = source
        self.encoder = OpusEncoder()
        self.encoded = 0
        """Frames encoded: one per frame of the speaker's, whatever the listeners."""
        self._ready: deque[av.Packet] = deque()

    async def recv(self) -> av.Packet:
        while not self._ready:
            frame = await self.source.recv()  # MediaStreamError when the speaker's track ends
            if not isinstance(frame, av.AudioFrame):
                continue
            payloads, timestamp = self.encoder.encode(frame)
            self.encoded += 1
            for i, payload in enumerate(payloads):
                packet = av.Packet(payload)
                packet.pts = timestamp + i * SAMPLES_PER_FRAME
                packet.time_base = OPUS_TIME_BASE
                self._ready.append(packet)
        return self._ready.popleft()


class Peer:
    """One peer connection: answer an offer, take trickled candidates, report its state, close."""

    def __init__(self, config: RTCConfiguration, on_state: OnState) -> None:
        self.pc = RTCPeerConnection(config)

        @self.pc.on("connectionstatechange")
        def _changed() -> None:
            on_state(self.pc.connectionState)

    async def _remote(self, sdp: str) -> None:
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        except Exception as e:  # aiortc's parser raises what it meets (ValueError, KeyError, ...)
            raise HubError(Code.BAD_SDP, f"the offer could not be read: {type(e).__name__}") from None

    async def _answer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def add_candidate(self, line: str, mid: str | None, index: int | None) -> None:
        try:
            cand = candidate_from_sdp(line.removeprefix("candidate:"))
        except Exception as e:  # as above
            raise HubError(Code.BAD_SDP, f"not an ICE candidate: {type(e).__name__}") from None
        cand.sdpMid, cand.sdpMLineIndex = mid, index
        with contextlib.suppress(Exception):  # a late candidate on a closing connection: harmless
            await self.pc.addIceCandidate(cand)

    async def close(self) -> None:
        await self.pc.close()


class SpeakerPeer(Peer):
    """The speaker's connection: its audio track, relayed to whoever subscribes, and its level."""

    def __init__(self, config: RTCConfiguration, on_state: OnState, encode_once: bool = True) -> None:
        super().__init__(config, on_state)
        self.relay = MediaRelay()
        self.encode_once = encode_once
        """False: each listener's sender encodes the decoded frames itself (aiortc's default; the
        benchmark's "before", ``plenary serve --voice-encode-per-listener``)."""
        self.opus: OpusOnce | None = None
        self._packets = MediaRelay()
        self.track: MediaStreamTrack | None = None
        self.level = 0.0
        """The speaker's level as the hub hears it, 0-1 (RMS of the last frame)."""
        self.frames = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._recorder: MediaRecorder | None = None
        self.video = VideoPath(self.relay)
        """The optional camera: a track path of its own (``realtime/voice/video.py``)."""

        @self.pc.on("track")
        def _track(track: MediaStreamTrack) -> None:
            if track.kind == "audio" and self.track is None:
                self.track = track
                self._tasks.append(asyncio.ensure_future(self._meter(self.subscribe())))
            elif track.kind == "video":
                self.video.take(track)

    async def answer(self, sdp: str) -> str:
        await self._remote(sdp)
        if self.track is None:
            raise HubError(Code.BAD_SDP, "the offer sends no audio")
        return await self._answer()

    def subscribe(self) -> MediaStreamTrack:
        """A track of the speaker's audio for one consumer (a listener, the recorder)."""
        assert self.track is not None
        return self.relay.subscribe(self.track, buffered=False)

    def listen(self) -> MediaStreamTrack:
        """A track for one listening console: the packets encoded once (:class:`OpusOnce`), or the
        decoded frames for its sender to encode when ``encode_once`` is off."""
        assert self.track is not None
        if not self.encode_once:
            return self.subscribe()
        if self.opus is None:
            self.opus = OpusOnce(self.subscribe())
        return self._packets.subscribe(self.opus, buffered=False)

    async def record(self, path: Path, video: Callable[[], Path] | None = None) -> None:
        """Write the speech to ``path`` (an Ogg/Opus file the caller created owner-only), and its
        video, if the camera comes on, to the file ``video()`` creates."""
        if video is not None:
            self.video.record_to(video)
        self._recorder = MediaRecorder(str(path), format="ogg")
        self._recorder.addTrack(self.subscribe())
        await self._recorder.start()

    async def _meter(self, track: MediaStreamTrack) -> None:
        """Reads every frame: the level, and a reader for the relay when nobody listens (aiortc's
        incoming track queues frames without bound until they are read)."""
        try:
            while True:
                frame = await track.recv()
                if not isinstance(frame, av.AudioFrame):
                    continue
                samples = frame.to_ndarray().astype(np.float32)
                self.level = float(np.sqrt(np.mean(samples * samples))) / 32768.0
                self.frames += 1
        except MediaStreamError:
            return

    async def close(self) -> None:
        for t in self._tasks:
            t.cancel()
        await self.video.close()
        if self._recorder is not None:
            with contextlib.suppress(Exception):
                await self._recorder.stop()
        await super().close()


class ListenerPeer(Peer):
    """A console's connection: receives the speaker's relayed track, and their video when the
    console's offer asked for it and the speaker's offer carries one."""

    def __init__(
        self,
        config: RTCConfiguration,
        on_state: OnState,
        track: MediaStreamTrack,
        video: MediaStreamTrack | None = None,
    ) -> None:
        super().__init__(config, on_state)
        self.track = track
        self.video = video

    async def answer(self, sdp: str) -> str:
        try:
            await self._remote(sdp)
        except BaseException:
            if self.video is not None:
                self.video.stop()  # its relay subscription goes with it
            raise
        self.pc.addTrack(self.track)
        if self.video is not None:
            self.pc.addTrack(self.video)
        return await self._answer()
