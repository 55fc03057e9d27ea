"""The speaker's optional video (issue 16): one camera track in, relayed to each console that asked
for video, drained and measured, and recorded when recording is on. A track path of its own beside
the audio's (``realtime/voice/relay.py`` holds one :class:`VideoPath` per speaker), so the audio
relay's cost and code stay as they are when nobody turns a camera on.

aiortc relays decoded frames: ``MediaRelay`` hands each console's sender the same frames, and each
sender encodes them again (VP8 or H.264, as that console negotiated). That is the cost of one
relayed video stream per console (``loadtest/bench_voice.py --video``, docs/performance.md).
Unbuffered subscriptions, as the audio's: a console that falls behind loses frames, never delays
the speaker or another console.

The page offers its video section from the start, with no track, and puts the camera on it later
(``RTCRtpSender.replaceTrack``): turning the camera on or off needs no new offer, and frames simply
start or stop. The recording (a WebM file, VP8) therefore starts at the first frame, not at the
offer; a speech whose camera stayed off has no video file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

import av
from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaRecorder, MediaRelay
from aiortc.mediastreams import MediaStreamError

log = logging.getLogger("plenary.voice")


class VideoPath:
    """One speaker's camera: :meth:`take` the incoming track once, :meth:`subscribe` a console,
    :meth:`record_to` before the first frame, :meth:`close` with the speaker's connection."""

    def __init__(self, relay: MediaRelay) -> None:
        self.relay = relay
        self.track: MediaStreamTrack | None = None
        self.frames = 0
        """Frames the hub decoded from the speaker's camera (0 while the camera is off)."""
        self.size = (0, 0)
        """(width, height) of the last frame."""
        self._task: asyncio.Task[None] | None = None
        self._record_to: Callable[[], Path] | None = None
        self._recorder: MediaRecorder | None = None

    def take(self, track: MediaStreamTrack) -> bool:
        """The speaker's video track, the first one only (the offer's rule allows one:
        ``moderation/voice.py`` ``check_video``); a watch reads it from now on."""
        if self.track is not None:
            return False
        self.track = track
        self._task = asyncio.ensure_future(self._watch(self.relay.subscribe(track, buffered=False)))
        return True

    def subscribe(self) -> MediaStreamTrack | None:
        """A track of the speaker's video for one consumer, or None when the offer had no video."""
        return None if self.track is None else self.relay.subscribe(self.track, buffered=False)

    def record_to(self, path: Callable[[], Path]) -> None:
        """At the first frame, write the video to ``path()`` (a WebM file the callable creates
        owner-only): called only when frames come, so no empty file for a camera left off."""
        self._record_to = path

    async def _watch(self, track: MediaStreamTrack) -> None:
        """Reads every frame: the count and size, the recorder's start, and a reader for the relay
        (aiortc's incoming track queues frames without bound until they are read)."""
        try:
            while True:
                frame = await track.recv()
                if not isinstance(frame, av.VideoFrame):
                    continue
                self.frames += 1
                self.size = (frame.width, frame.height)
                if self.frames == 1 and self._record_to is not None:
                    await self._start_recorder(self._record_to)
        except MediaStreamError:
            return

    async def _start_recorder(self, path: Callable[[], Path]) -> None:
        try:
            recorder = MediaRecorder(str(path()), format="webm")
            recorder.addTrack(self.relay.subscribe(self.track, buffered=False))  # type: ignore[arg-type]
            await recorder.start()
            self._recorder = recorder
        except Exception:  # a full disk must not end the speech: the audio goes on
            log.exception("voice video recorder")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._recorder is not None:
            with contextlib.suppress(Exception):
                await self._recorder.stop()
