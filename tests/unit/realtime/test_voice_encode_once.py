"""The speaker's Opus is encoded once for every listener (issue 16, ``relay.OpusOnce``): listeners of
one speaker get the very same packets, the encoder runs once per frame whatever their number, and
the packets are Opus that decodes back to the speaker's tone. What aiortc's sender does with a
packet (packs it, no encode) is aiortc's; the tone through real hubs is
``tests/integration/test_voice.py``."""

from __future__ import annotations

import asyncio

import av
import numpy as np
from aiortc.codecs.opus import OpusDecoder
from aiortc.contrib.media import MediaRelay
from aiortc.jitterbuffer import JitterFrame

from loadtest.voice_peers import FRAME, RATE, Tone, dominant_frequency, mono
from realtime.voice.relay import OPUS_TIME_BASE, OpusOnce

FRAMES = 30


class Frames(Tone):
    """The tone without its real-time pacing: a unit test need not wait 20 ms a frame."""

    async def recv(self) -> av.AudioFrame:
        self._start = None  # never waits for real time
        await asyncio.sleep(0)  # but yields, as a real track does: the relays' readers run
        return await super().recv()


async def _three_listeners() -> tuple[OpusOnce, list[list[av.Packet]]]:
    opus = OpusOnce(MediaRelay().subscribe(Frames(440), buffered=True))
    packets = MediaRelay()
    tracks = [packets.subscribe(opus, buffered=True) for _ in range(3)]
    got: list[list[av.Packet]] = [[] for _ in tracks]

    async def read(i: int) -> None:
        for _ in range(FRAMES):
            packet = await tracks[i].recv()
            assert isinstance(packet, av.Packet)
            got[i].append(packet)

    await asyncio.wait_for(asyncio.gather(*(read(i) for i in range(3))), 20)
    return opus, got


async def test_three_listeners_share_one_encode_per_frame() -> None:
    opus, got = await _three_listeners()
    assert all(len(g) == FRAMES for g in got)
    assert all(a is b is c for a, b, c in zip(*got, strict=True))  # the same packet objects
    assert opus.encoded <= FRAMES + 3  # once per frame, not once per frame and listener
    pts = [p.pts or 0 for p in got[0]]
    assert pts == list(range(pts[0], pts[0] + FRAME * FRAMES, FRAME))  # 20 ms apart, in order
    assert all(p.time_base == OPUS_TIME_BASE for p in got[0])


async def test_the_shared_packets_decode_back_to_the_tone() -> None:
    _, got = await _three_listeners()
    decoder = OpusDecoder()
    samples = []
    for p in got[1]:
        for frame in decoder.decode(JitterFrame(data=bytes(p), timestamp=p.pts or 0)):
            assert isinstance(frame, av.AudioFrame)
            samples.append(mono(frame))
    sound = np.concatenate(samples[5:])  # past the codec's start-up
    assert len(sound) >= RATE // 3
    assert abs(dominant_frequency(sound) - 440) < 10
