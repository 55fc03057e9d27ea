"""WebRTC peers in Python for the live voice tests and benchmark (issue 16): a speaker sending a
generated tone (and, optionally, a generated picture of one colour), a console receiving them, the
received sound's dominant frequency and the received picture's size and colour.

Signaling goes through any protocol v1 client: each helper takes its ``call(kind, **fields)`` that
returns the command's result (``tests.support.Client.ok``, the benchmark's own client).
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Awaitable, Callable
from typing import Any

import av
import numpy as np
from aiortc import (
    AudioStreamTrack,
    MediaStreamTrack,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamError

RATE = 48_000
FRAME = 960  # 20 ms at 48 kHz, as a browser sends
Call = Callable[..., Awaitable[Any]]


class Tone(AudioStreamTrack):
    """A sine wave at ``freq`` Hz in real time, 20 ms frames. ``bursts``: when set, the tone sounds
    only in the first 100 ms of every ``bursts`` seconds (silence between), and ``sent`` keeps each
    burst's start (wall clock): a mouth-to-ear latency probe."""

    kind = "audio"

    def __init__(self, freq: float = 440.0, amplitude: float = 0.5, bursts: float = 0.0) -> None:
        super().__init__()
        self.freq, self.amplitude, self.bursts = freq, amplitude, bursts
        self._start: float | None = None
        self._n = 0
        self.sent: list[float] = []

    async def recv(self) -> av.AudioFrame:
        if self._start is None:
            self._start = time.time()
        else:
            wait = self._start + self._n / RATE - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        t = (np.arange(FRAME) + self._n) / RATE
        wave = self.amplitude * np.sin(2 * np.pi * self.freq * t)
        if self.bursts:
            phase = (self._n / RATE) % self.bursts
            if phase >= 0.1:
                wave = wave * 0
            elif phase < FRAME / RATE:
                self.sent.append(time.time())
        frame = av.AudioFrame.from_ndarray(
            (wave * 32767).astype(np.int16).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = RATE
        frame.pts = self._n
        frame.time_base = fractions.Fraction(1, RATE)
        self._n += FRAME
        return frame


class Colour(VideoStreamTrack):
    """A camera that films one colour: ``width`` x ``height`` frames of ``rgb`` at 30 a second
    (aiortc's own pacing), with a moving stripe so the encoder sends more than one key frame's worth."""

    kind = "video"

    def __init__(
        self, rgb: tuple[int, int, int] = (200, 40, 40), width: int = 320, height: int = 240
    ) -> None:
        super().__init__()
        self.rgb, self.width, self.height = rgb, width, height
        self.sent = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        img = np.empty((self.height, self.width, 3), np.uint8)
        img[:] = self.rgb
        stripe = (self.sent * 4) % self.width
        img[:, stripe : stripe + 4] = 255 - np.array(self.rgb, np.uint8)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        self.sent += 1
        return frame


class Eye:
    """Reads a received video track: how many frames, the last one's size and mean colour."""

    def __init__(self, track: MediaStreamTrack) -> None:
        self.track = track
        self.frames = 0
        self.size = (0, 0)
        self.rgb = (0.0, 0.0, 0.0)
        self.task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            while True:
                frame = await self.track.recv()
                if not isinstance(frame, av.VideoFrame):
                    continue
                self.frames += 1
                self.size = (frame.width, frame.height)
                if self.frames % 5 == 1:  # the colour now and then: decoding to RGB is not free
                    img = frame.to_ndarray(format="rgb24").reshape(-1, 3).astype(np.float32)
                    r, g, b = np.median(img, axis=0)
                    self.rgb = (float(r), float(g), float(b))
        except MediaStreamError:
            return


def mono(frame: av.AudioFrame) -> np.ndarray:
    """A frame's samples as one float channel (-1..1), whatever its layout."""
    data = frame.to_ndarray().astype(np.float32) / 32768.0
    channels = len(frame.layout.channels)
    return data.reshape(-1, channels).mean(axis=1) if frame.format.is_packed else data.mean(axis=0)


def dominant_frequency(samples: np.ndarray, rate: int = RATE) -> float:
    """The frequency of the strongest bin of the samples' spectrum (Hann window)."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    spectrum[0] = 0
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


class Ear:
    """Reads a received track: its samples, and the arrival time of each burst's start."""

    def __init__(self, track: MediaStreamTrack, threshold: float = 0.05) -> None:
        self.track = track
        self.samples: list[np.ndarray] = []
        self.frames = 0
        self.heard: list[float] = []
        self.threshold = threshold
        self._loud = False
        self.task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            while True:
                frame = await self.track.recv()
                x = mono(frame)
                self.frames += 1
                self.samples.append(x)
                loud = float(np.sqrt(np.mean(x * x))) > self.threshold
                if loud and not self._loud:
                    self.heard.append(time.time())
                self._loud = loud
                if len(self.samples) > 500:  # keep the last 10 s
                    del self.samples[:250]
        except MediaStreamError:
            return

    def last(self, seconds: float) -> np.ndarray:
        n = int(seconds * RATE / FRAME)
        return np.concatenate(self.samples[-n:]) if self.samples else np.zeros(0)


async def speak(
    call: Call, meeting: str, track: MediaStreamTrack, video: MediaStreamTrack | None = None
) -> tuple[RTCPeerConnection, dict[str, Any]]:
    """Go live: offer ``track`` (and the camera ``video``) through ``voice.offer``; returns the
    connection and the reply."""
    pc = RTCPeerConnection()
    pc.addTrack(track)
    if video is not None:
        pc.addTrack(video)
    await pc.setLocalDescription(await pc.createOffer())
    reply = await call("voice.offer", meeting=meeting, sdp=pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
    return pc, reply


async def listen(call: Call, meeting: str) -> tuple[RTCPeerConnection, dict[str, Any], asyncio.Future[Ear]]:
    """A console listens through ``voice.listen``: the connection, the reply, and the ear once the
    track arrives."""
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="recvonly")
    ear: asyncio.Future[Ear] = asyncio.get_running_loop().create_future()

    @pc.on("track")
    def _track(track: MediaStreamTrack) -> None:
        if track.kind == "audio" and not ear.done():
            ear.set_result(Ear(track))

    await pc.setLocalDescription(await pc.createOffer())
    reply = await call("voice.listen", meeting=meeting, sdp=pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
    return pc, reply, ear


async def watch(
    call: Call, meeting: str
) -> tuple[RTCPeerConnection, dict[str, Any], asyncio.Future[Ear], asyncio.Future[Eye]]:
    """A console that listens and watches (audio and video, both received only), as the host
    console does: the connection, the reply, the ear and the eye once their tracks arrive."""
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="recvonly")
    pc.addTransceiver("video", direction="recvonly")
    loop = asyncio.get_running_loop()
    ear: asyncio.Future[Ear] = loop.create_future()
    eye: asyncio.Future[Eye] = loop.create_future()

    @pc.on("track")
    def _track(track: MediaStreamTrack) -> None:
        if track.kind == "audio" and not ear.done():
            ear.set_result(Ear(track))
        elif track.kind == "video" and not eye.done():
            eye.set_result(Eye(track))

    await pc.setLocalDescription(await pc.createOffer())
    reply = await call("voice.listen", meeting=meeting, sdp=pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
    return pc, reply, ear, eye
