"""The speaker's optional video (issue 16) through a real hub on the embedded Redis, with real WebRTC
peers (aiortc): a panelist with the floor sends a 440 Hz tone and a generated 320x240 picture of one
colour; a host's console decodes frames of that size and colour and still hears the tone; the video
is recorded owner-only beside the audio. Bad input (a second video track, a codec the relay cannot
decode) gets its code, nothing goes live, and the hub carries on."""

from __future__ import annotations

import asyncio
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiortc import RTCPeerConnection
from redis.asyncio import Redis

from engine import keys
from loadtest.voice_peers import Colour, Tone, dominant_frequency, listen, speak, watch
from tests.support import HubProcess, connect, hub_pair, seed

VOICE = "meeting/m1/voice"
RED = (200, 40, 40)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("video")


@pytest.fixture(scope="module")
def video_hubs(redis_url: str, data_dir: Path) -> Iterator[tuple[HubProcess, HubProcess]]:
    """Two hubs on one Redis; the first records speeches under its data dir."""
    with hub_pair(redis_url, "--voice-record", data_dir=data_dir) as hubs:
        yield hubs


@pytest.fixture
def video_hub(video_hubs: tuple[HubProcess, HubProcess]) -> HubProcess:
    return video_hubs[0]


async def _offer(*tracks: object) -> tuple[RTCPeerConnection, str]:
    pc = RTCPeerConnection()
    for t in tracks:
        pc.addTrack(t)  # type: ignore[arg-type]
    await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


async def test_the_host_console_sees_the_speakers_camera(
    redis: Redis, video_hub: HubProcess, data_dir: Path
) -> None:
    tokens = await seed(redis)
    async with (
        connect(video_hub.ws_url, tokens["p1"]) as p1,
        connect(video_hub.ws_url, tokens["host"]) as host,
        connect(video_hub.ws_url, tokens["mod"]) as mod,
    ):
        await host.ok("subscribe", channel=VOICE)
        await p1.ok("speakers.raise", meeting="m1")
        await mod.ok("speakers.next", meeting="m1", participant="p1")

        # bad input first: two cameras, a codec the relay cannot decode; nothing goes live
        two, sdp = await _offer(Tone(440), Colour(), Colour())
        refused = await p1.call("voice.offer", meeting="m1", sdp=sdp)
        assert refused["name"] == "too_many_video" and refused["code"] == 2208
        vp9 = re.sub(r"(VP8|H264)/90000", "VP9/90000", (await _offer(Tone(440), Colour()))[1])
        refused = await p1.call("voice.offer", meeting="m1", sdp=vp9)
        assert refused["name"] == "bad_video_codec" and refused["code"] == 2209
        assert "live" not in (await mod.ok("subscribe", channel=VOICE))["snapshot"]
        await two.close()

        # the camera: the console decodes frames of its size and colour, and hears the tone
        camera = Colour(RED, 320, 240)
        speaker_pc, offered = await speak(p1.ok, "m1", Tone(440), camera)
        assert offered["speaker"] == "p1"
        host_pc, _heard, ear_f, eye_f = await watch(host.ok, "m1")
        eye = await asyncio.wait_for(eye_f, 10)
        ear = await asyncio.wait_for(ear_f, 10)
        for _ in range(150):  # up to 15 s for ICE, DTLS, a key frame and 30 frames
            if eye.frames > 30 and ear.frames > 100:
                break
            await asyncio.sleep(0.1)
        assert eye.frames > 30 and eye.size == (320, 240)
        r, g, b = eye.rgb
        assert abs(r - RED[0]) < 25 and abs(g - RED[1]) < 25 and abs(b - RED[2]) < 25
        assert abs(dominant_frequency(ear.last(1.0)) - 440) < 10

        # a console's offer that would send (its own camera, sendrecv) is refused: consoles only receive
        sending = RTCPeerConnection()
        sending.addTransceiver("audio", direction="recvonly")
        sending.addTrack(Colour())
        await sending.setLocalDescription(await sending.createOffer())
        sdp = sending.localDescription.sdp
        refused = await mod.call("voice.listen", meeting="m1", sdp=sdp)
        assert refused["name"] == "listener_sends" and refused["code"] == 2210
        await sending.close()

        # a console that asks for audio only gets audio only; the video goes on for the other
        mod_pc, relayed, mod_ear_f = await listen(mod.ok, "m1")
        assert (await asyncio.wait_for(mod_ear_f, 10)) is not None
        assert "m=video" not in relayed["sdp"]
        before = eye.frames
        for _ in range(50):  # ten more frames (a third of a second at 30 fps), within 5 s on a loaded box
            if eye.frames > before + 10:
                break
            await asyncio.sleep(0.1)
        assert eye.frames > before + 10

        await p1.ok("voice.end", meeting="m1")
        await mod.ok("speakers.yield", meeting="m1")
        for c in (speaker_pc, host_pc, mod_pc):
            await c.close()

    folder = data_dir / "records" / "m1" / "voice"
    for _ in range(50):  # the recorder's file is closed as the session ends
        videos = list(folder.glob("*-video.webm"))
        if videos and videos[0].stat().st_size > 1000:
            break
        await asyncio.sleep(0.1)
    assert videos and videos[0].stat().st_size > 1000
    assert stat.S_IMODE(videos[0].stat().st_mode) == 0o600
    assert list(folder.glob(videos[0].name.removesuffix("-video.webm") + ".ogg"))  # its audio beside it


async def test_a_speaker_without_a_camera_is_heard_as_before(redis: Redis, video_hub: HubProcess) -> None:
    """A console that offers to receive video while the speaker sends none: audio only, no error."""
    tokens = await seed(redis)
    async with (
        connect(video_hub.ws_url, tokens["p1"]) as p1,
        connect(video_hub.ws_url, tokens["host"]) as host,
    ):
        await p1.ok("speakers.raise", meeting="m1")
        await host.ok("speakers.next", meeting="m1", participant="p1")
        speaker_pc, _ = await speak(p1.ok, "m1", Tone(440))
        host_pc, _, ear_f, eye_f = await watch(host.ok, "m1")
        ear = await asyncio.wait_for(ear_f, 10)
        for _ in range(100):
            if ear.frames > 60:
                break
            await asyncio.sleep(0.1)
        assert abs(dominant_frequency(ear.last(1.0)) - 440) < 10
        assert not eye_f.done() or eye_f.result().frames == 0
        await host.ok("speakers.yield", meeting="m1")
        await speaker_pc.close()
        await host_pc.close()


async def test_a_console_on_another_hub_sees_the_camera_too(
    redis: Redis, video_hubs: tuple[HubProcess, HubProcess]
) -> None:
    """The console's hub asks the media hub through Redis (docs/voice.md, "Several hubs"); the video
    comes from the media hub directly, as the audio does."""
    tokens = await seed(redis)
    a, b = video_hubs
    for _ in range(50):  # the fixture flushed Redis: both hubs' heartbeats back (once a second)
        if await redis.hlen(keys.HUBS) >= 2:
            break
        await asyncio.sleep(0.1)
    async with connect(a.ws_url, tokens["p1"]) as p1, connect(b.ws_url, tokens["mod"]) as mod:
        await p1.ok("speakers.raise", meeting="m1")
        await mod.ok("speakers.next", meeting="m1", participant="p1")
        speaker_pc, _ = await speak(p1.ok, "m1", Tone(440), Colour((40, 40, 200), 160, 120))
        mod_pc, _, _ear_f, eye_f = await watch(mod.ok, "m1")
        eye = await asyncio.wait_for(eye_f, 10)
        for _ in range(150):
            if eye.frames > 20:
                break
            await asyncio.sleep(0.1)
        assert eye.frames > 20 and eye.size == (160, 120)
        assert eye.rgb[2] > eye.rgb[0] + 100  # blue, as sent
        await mod.ok("speakers.yield", meeting="m1")
        await speaker_pc.close()
        await mod_pc.close()
