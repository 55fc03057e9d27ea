"""Live voice (issue 16) through real hubs on the embedded Redis, with real WebRTC peers (aiortc):
a panelist with the floor sends a 440 Hz tone, a host's console hears 440 Hz, and so does a
moderator's console connected to the other hub; who is live is on
``meeting/m1/voice``; the floor taken away ends the media at once; bad input gets its code and the
hub carries on; the speech is recorded owner-only."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiortc import RTCPeerConnection
from redis.asyncio import Redis

from engine import keys
from loadtest.voice_peers import RATE, Tone, dominant_frequency, listen, speak
from tests.support import HubProcess, connect, hub_pair, seed

VOICE = "meeting/m1/voice"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("voice")


@pytest.fixture(scope="module")
def voice_hubs(redis_url: str, data_dir: Path) -> Iterator[tuple[HubProcess, HubProcess]]:
    """Two hubs on one Redis; the first records speeches under its data dir."""
    with hub_pair(redis_url, "--voice-record", data_dir=data_dir) as hubs:
        yield hubs


async def _floor_to(mod: object, panelist: object, who: str) -> None:
    await panelist.ok("speakers.raise", meeting="m1")  # type: ignore[attr-defined]
    await mod.ok("speakers.next", meeting="m1", participant=who)  # type: ignore[attr-defined]


async def test_a_host_hears_the_speakers_tone(
    redis: Redis, voice_hubs: tuple[HubProcess, HubProcess], data_dir: Path
) -> None:
    tokens = await seed(redis)
    a, b = voice_hubs
    async with (
        connect(a.ws_url, tokens["p1"]) as p1,
        connect(a.ws_url, tokens["host"]) as host,
        connect(b.ws_url, tokens["mod"]) as mod,
    ):
        await host.ok("subscribe", channel=VOICE)
        await _floor_to(mod, p1, "p1")
        speaker_pc, offered = await speak(p1.ok, "m1", Tone(440))
        assert offered["speaker"] == "p1"
        live = (await host.wait_events(VOICE, 1))[0]
        assert live["event"] == "voice.live" and live["data"]["id"] == "p1"
        assert live["data"]["session"] == offered["session"]
        host_pc, heard, ear_f = await listen(host.ok, "m1")
        assert heard["speaker"] == "p1"
        ear = await asyncio.wait_for(ear_f, 10)
        for _ in range(100):  # up to 10 s for ICE, DTLS and 1.5 s of sound
            if ear.frames > 100:
                break
            await asyncio.sleep(0.1)
        assert ear.frames > 100
        samples = ear.last(1.0)
        assert len(samples) >= RATE // 2
        assert abs(dominant_frequency(samples) - 440) < 10
        assert float(abs(samples).max()) > 0.1  # sound, not silence

        # a console on the other hub hears it too: its hub asks the media hub through Redis
        mod_pc, relayed, mod_ear_f = await listen(mod.ok, "m1")
        assert relayed["speaker"] == "p1" and relayed["session"] != heard["session"]
        mod_ear = await asyncio.wait_for(mod_ear_f, 10)
        for _ in range(100):
            if mod_ear.frames > 60:
                break
            await asyncio.sleep(0.1)
        assert abs(dominant_frequency(mod_ear.last(1.0)) - 440) < 10

        # taking the floor away ends the media at once, the console too
        await mod.ok("speakers.yield", meeting="m1")
        events = await host.wait_events(VOICE, 2, timeout=5)
        ended = events[1]
        assert ended["event"] == "voice.ended" and ended["data"]["reason"] == "floor_lost"
        for _ in range(50):
            if host_pc.connectionState == "closed" or host_pc.connectionState == "failed":
                break
            await asyncio.sleep(0.1)
        snap = (await host.ok("subscribe", channel="meeting/m1/speakers"))["snapshot"]
        assert "current" not in snap
        assert (await host.call("voice.listen", meeting="m1", sdp=host_pc.localDescription.sdp))[
            "name"
        ] == "no_voice_session"
        await speaker_pc.close()
        await host_pc.close()
        await mod_pc.close()
    records = list((data_dir / "records" / "m1" / "voice").glob("*.ogg"))
    assert records and records[0].stat().st_size > 0
    assert stat.S_IMODE(records[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(records[0].parent.stat().st_mode) == 0o700


async def test_without_the_floor_bad_sdp_and_floods_get_their_codes(
    redis: Redis, voice_hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, _ = voice_hubs
    async with (
        connect(a.ws_url, tokens["p1"]) as p1,
        connect(a.ws_url, tokens["p2"]) as p2,
        connect(a.ws_url, tokens["mod"]) as mod,
        connect(a.ws_url, tokens["obs"]) as obs,
    ):
        tone = Tone(440)
        pc = RTCPeerConnection()
        pc.addTrack(tone)
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        # nobody holds the floor yet, then p2 does: p1's offer is refused either way
        assert (await p1.call("voice.offer", meeting="m1", sdp=sdp))["name"] == "not_on_the_floor"
        await _floor_to(mod, p2, "p2")
        refused = await p1.call("voice.offer", meeting="m1", sdp=sdp)
        assert refused["name"] == "not_on_the_floor" and refused["code"] == 2201
        # roles: an observer may not offer or listen, a panelist may not listen
        assert (await obs.call("voice.offer", meeting="m1", sdp=sdp))["name"] == "forbidden"
        assert (await p1.call("voice.listen", meeting="m1", sdp=sdp))["name"] == "forbidden"
        # malformed SDP from the floor holder: its code, nothing live
        no_audio = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
        for bad in ("hello", no_audio, "v=0\r\nm=audio 9 x\r\n", sdp.replace("a=fingerprint", "a=fx")):
            assert (await p2.call("voice.offer", meeting="m1", sdp=bad))["name"] == "bad_sdp"
        snap = (await mod.ok("subscribe", channel=VOICE))["snapshot"]
        assert "live" not in snap
        # a real offer goes live; a flood of candidates is cut at the bound, the session lives on
        p2_pc, offered = await speak(p2.ok, "m1", Tone(440))
        session = offered["session"]
        line = "candidate:1 1 udp 2122260223 127.0.0.1 {port} typ host"
        codes = []
        for i in range(45):  # paced under the connection's own rate (20 a second), not the bound
            await asyncio.sleep(0.06)
            r = await p2.call(
                "voice.candidate",
                meeting="m1",
                session=session,
                candidate=line.format(port=40000 + i),
                sdp_mid="0",
            )
            codes.append(r.get("name") or r["result"]["count"])
        assert codes[:40] == list(range(1, 41))
        assert set(codes[40:]) == {"too_many_candidates"}
        assert (await p2.call("voice.candidate", meeting="m1", session=session, candidate="nonsense"))[
            "name"
        ] == "bad_sdp"
        # someone else's session is not theirs to trickle into or end
        assert (
            await p1.call("voice.candidate", meeting="m1", session=session, candidate=line.format(port=1))
        )["name"] == "no_voice_session"
        assert (await p1.call("voice.end", meeting="m1", session=session))["name"] == "forbidden"
        # the hub carries on: the console hears, the speaker stops with the stop button
        host_pc, _, ear_f = await listen(mod.ok, "m1")
        ear = await asyncio.wait_for(ear_f, 10)
        for _ in range(100):
            if ear.frames > 50:
                break
            await asyncio.sleep(0.1)
        assert ear.frames > 50
        ended = await p2.ok("voice.end", meeting="m1")
        assert ended["session"] == session
        events = await mod.wait_events(VOICE, 2)
        assert events[-1]["event"] == "voice.ended" and events[-1]["data"]["by"] == "p2"
        await mod.ok("speakers.yield", meeting="m1")
        for c in (pc, p2_pc, host_pc):
            await c.close()


async def test_the_timer_cuts_off_when_the_host_chose_so(
    redis: Redis, voice_hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = voice_hubs
    async with connect(a.ws_url, tokens["p1"]) as p1, connect(b.ws_url, tokens["host"]) as host:
        await host.ok("speakers.timer", meeting="m1", seconds=10, cut_off=True)
        await host.ok("subscribe", channel=VOICE)
        await _floor_to(host, p1, "p1")
        pc, _ = await speak(p1.ok, "m1", Tone(440))
        events = await host.wait_events(VOICE, 2, timeout=15)
        assert events[1]["event"] == "voice.ended" and events[1]["data"]["reason"] == "timer_out"
        assert 9_500 <= events[1]["time"] - events[0]["time"] <= 11_500
        await host.ok("speakers.timer", meeting="m1", seconds=120, cut_off=False)
        await host.ok("speakers.yield", meeting="m1")
        await pc.close()


async def test_a_moderator_on_another_hub_turns_the_speaker_off(
    redis: Redis, voice_hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = voice_hubs
    for _ in range(50):  # the fixture flushed Redis: both hubs' heartbeats back (once a second)
        if await redis.hlen(keys.HUBS) >= 2:
            break
        await asyncio.sleep(0.1)
    async with connect(a.ws_url, tokens["p1"]) as p1, connect(b.ws_url, tokens["mod"]) as mod:
        await mod.ok("subscribe", channel=VOICE)
        await _floor_to(mod, p1, "p1")
        pc, offered = await speak(p1.ok, "m1", Tone(440))
        assert (await p1.call("voice.end", meeting="m1", session="nope"))["name"] == "no_voice_session"
        ended = await mod.ok("voice.end", meeting="m1")  # the session is on hub a
        assert ended == {"session": offered["session"], "speaker": "p1"}
        events = await mod.wait_events(VOICE, 2, timeout=5)
        assert events[1]["event"] == "voice.ended"
        assert events[1]["data"] == {"id": "p1", "session": offered["session"], "reason": "end", "by": "mod"}
        assert events[1]["time"] - events[0]["time"] < 1500  # the holding hub's watch, every 250 ms
        assert (await mod.call("voice.end", meeting="m1"))["name"] == "no_voice_session"
        await mod.ok("speakers.yield", meeting="m1")
        await pc.close()


async def test_the_floor_taken_on_the_same_hub_ends_the_media_before_the_reply(
    redis: Redis, voice_hubs: tuple[HubProcess, HubProcess]
) -> None:
    """The speakers' list's floor hook, not the watch: by the time the moderator's `speakers.yield`
    is answered, the speaker's session has ended and `voice.ended` is stored."""
    tokens = await seed(redis)
    a, _ = voice_hubs
    async with connect(a.ws_url, tokens["p1"]) as p1, connect(a.ws_url, tokens["mod"]) as mod:
        await _floor_to(mod, p1, "p1")
        pc, _offered = await speak(p1.ok, "m1", Tone(440))
        await mod.ok("speakers.yield", meeting="m1")
        snap = (await mod.ok("subscribe", channel=VOICE))["snapshot"]
        assert "live" not in snap
        await pc.close()
