"""A generator process of listening consoles for ``loadtest.bench_voice`` (issue 16).

The benchmark spreads its listeners over several of these processes (each one Python thread of
aiortc peers), pinned off the hub's core, so that the listeners' side does not starve before the
hub does. With ``--decoding N`` only the first N listeners of the process decode what they hear
(``voice_peers.Ear``, and ``Eye`` with ``--video``); the others are light (``Tap``): they receive
as a browser does (ICE, DTLS, SRTP, RTCP reports) without a jitter buffer or a decoder, and count
what arrives. Without it, every listener decodes. The orchestrator talks to each over its stdin and stdout, one JSON
object a line:

- ``{"op": "add", "tokens": [...]}``: each token's console connects (protocol v1 over WebSocket),
  ``voice.listen``s to the meeting and waits for its first frame (up to 20 s; ICE and DTLS done);
  answers ``{"added": n, "hearing": h}`` (h: how many of all this process's consoles hear);
- ``{"op": "mark"}``: answers ``{"frames": [...], "heard": [[...], ...], "decoding": [...],
  "video_frames": [...]}``, each listener's audio frames received in total, the burst onsets (wall
  clock) heard since the previous mark, whether it decodes, and (``--video``) its video frames;
- ``{"op": "quit"}`` (or stdin closed): closes every peer and connection, exits.

An op that fails answers ``{"error": "..."}`` (the orchestrator ends its ramp there); an add waits
for all its listeners, those that failed included, before answering. ``--fail-after N`` makes an
add beyond N listeners fail on purpose: the benchmark's failure path, tested.

Run by the benchmark: ``python -m loadtest.voice_listeners --url ws://... --meeting m1
[--decoding 1] [--video]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import sys
import time
from typing import Any

import websockets
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.rtcrtpreceiver import StreamStatistics

from loadtest.voice_peers import Call, Ear, Eye, listen, watch


class Conn:
    """A protocol v1 JSON client: ``call(kind, **fields)`` -> the result (raises on an error)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future[Any]] = {}
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for data in self.ws:
                msg = json.loads(data)
                fut = self.waiting.pop(msg.get("id"), None) if msg.get("type") in ("reply", "error") else None
                if fut is not None and not fut.done():
                    fut.set_result(msg)

    async def call(self, kind: str, **fields: Any) -> Any:
        cid = next(self.ids)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting[cid] = fut
        await self.ws.send(json.dumps({"type": kind, "id": cid, **fields}))
        msg = await asyncio.wait_for(fut, 20)
        if msg["type"] != "reply":
            raise RuntimeError(f"{kind}: {msg.get('name')} {msg.get('message')}")
        return msg["result"]

    @classmethod
    async def open(cls, url: str, token: str) -> Conn:
        ws = await websockets.connect(url, subprotocols=[websockets.Subprotocol("plenary.v1.json")])
        conn = cls(ws)
        await conn.call("hello", token=token)
        return conn

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()


LOUD_BYTES = 40  # an Opus packet of the tone is about 240 bytes (96 kb/s), one of silence a few


class Tap:
    """What a light listener receives, counted without decoding: frames (``frames``, ``size``) and,
    for audio, each burst's onset: the first packet after silence whose Opus payload is large
    (``LOUD_BYTES``), the tone heard without decoding it. ``tap`` puts it in a peer's receivers."""

    def __init__(self, audio: bool) -> None:
        self.audio = audio
        self.frames = 0
        self.size = 0
        self.heard: list[float] = []
        self._loud = False

    def count(self, data: bytes) -> None:
        self.frames += 1
        self.size += len(data)
        if self.audio:
            loud = len(data) > LOUD_BYTES
            if loud and not self._loud:
                self.heard.append(time.time())
            self._loud = loud


class FrameTap(Tap):
    """For video, in place of the ``RTCRtpReceiver``'s decoder queue: everything a browser's peer
    does to receive (the jitter buffer reassembling frames, NACKs, PLIs, REMB: what the hub's
    encoder adapts to) except decoding; each encoded frame is counted. The receiver's decoder
    thread, started with this queue once DTLS is done, waits on the original one (``get``), which
    gets the stop (``None``)."""

    def __init__(self, queue: Any) -> None:
        super().__init__(audio=False)
        self.queue = queue

    def get(self) -> Any:
        return self.queue.get()

    def put(self, item: Any) -> None:
        if item is None:
            self.queue.put(None)
        else:
            self.count(item[1].data)


def tap(pc: RTCPeerConnection) -> dict[str, Tap]:
    """Taps a peer's receivers before any packet arrives (they start once DTLS is done): its kind
    -> the tap. Audio at the RTP packet (aiortc's audio receiver sends no NACK nor REMB: what is
    left out is its jitter buffer and decoder, this process's own cost), the statistics of its
    RTCP receiver reports kept, so that the hub gets what it gets from a browser; video below the
    decoder (``FrameTap``)."""
    taps: dict[str, Tap] = {}
    for t in pc.getTransceivers():
        r = t.receiver
        if t.kind == "audio":
            taps["audio"] = audio = Tap(audio=True)
            streams = r._RTCRtpReceiver__remote_streams

            async def packet(
                p: Any, arrival_time_ms: int, audio: Tap = audio, streams: Any = streams
            ) -> None:
                stats = streams.get(p.ssrc)
                if stats is None:
                    stats = streams[p.ssrc] = StreamStatistics(48_000)
                stats.add(p)
                audio.count(p.payload)

            r._handle_rtp_packet = packet
        else:
            taps[t.kind] = r._RTCRtpReceiver__decoder_queue = FrameTap(r._RTCRtpReceiver__decoder_queue)
    return taps


async def receive(call: Call, meeting: str, video: bool) -> tuple[RTCPeerConnection, dict[str, Tap]]:
    """A light console: offers to receive audio (and video) through ``voice.listen`` as
    ``voice_peers.listen``/``watch`` do, and taps its receivers instead of reading tracks."""
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="recvonly")
    if video:
        pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    reply = await call("voice.listen", meeting=meeting, sdp=pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
    return pc, tap(pc)


class Listeners:
    """This process's consoles: their connections, peers, and what each one heard (an ``Ear``
    decoding for the first ``decoding`` of them, a ``Tap`` for the others), and saw with
    ``video`` (an ``Eye`` or a tap)."""

    def __init__(
        self, url: str, meeting: str, decoding: int | None = None, video: bool = False,
        fail_after: int | None = None,
    ) -> None:  # fmt: skip
        self.url, self.meeting = url, meeting
        self.decoding, self.video, self.fail_after = decoding, video, fail_after
        self.conns: list[Conn] = []
        self.pcs: list[Any] = []
        self.ears: list[Ear | Tap] = []
        self.eyes: list[Eye | Tap] = []
        self.marks: list[int] = []
        self.added = 0

    async def add_one(self, token: str, decodes: bool) -> None:
        conn = await Conn.open(self.url, token)
        self.conns.append(conn)
        ear: Ear | Tap
        eye: Eye | Tap | None = None
        if not decodes:
            pc, taps = await receive(conn.call, self.meeting, self.video)
            self.pcs.append(pc)
            ear, eye = taps["audio"], taps.get("video")
        elif self.video:
            pc, _, ear_f, eye_f = await watch(conn.call, self.meeting)
            self.pcs.append(pc)
            ear, eye = await asyncio.wait_for(ear_f, 20), await asyncio.wait_for(eye_f, 20)
        else:
            pc, _, ear_f = await listen(conn.call, self.meeting)
            self.pcs.append(pc)
            ear = await asyncio.wait_for(ear_f, 20)
        # the track comes with the answer, before ICE and DTLS: a listener counts once it hears
        for _ in range(200):
            if ear.frames:
                break
            await asyncio.sleep(0.1)
        self.ears.append(ear)
        if eye is not None:
            self.eyes.append(eye)
        self.marks.append(len(ear.heard))

    async def add(self, tokens: list[str]) -> dict[str, Any]:
        if self.fail_after is not None and len(self.conns) + len(tokens) > self.fail_after:
            raise RuntimeError(f"told to fail after {self.fail_after} listeners (--fail-after)")
        first = self.added
        self.added += len(tokens)
        decodes = [self.decoding is None or first + i < self.decoding for i in range(len(tokens))]
        # every one finished before answering, even when one fails: nothing left half added
        done = await asyncio.gather(
            *(self.add_one(t, d) for t, d in zip(tokens, decodes, strict=True)), return_exceptions=True
        )
        for d in done:
            if isinstance(d, BaseException):
                raise d
        return {"added": len(tokens), "hearing": sum(1 for e in self.ears if e.frames)}

    def mark(self) -> dict[str, Any]:
        heard = [e.heard[m:] for e, m in zip(self.ears, self.marks, strict=True)]
        self.marks = [len(e.heard) for e in self.ears]
        return {
            "frames": [e.frames for e in self.ears],
            "heard": heard,
            "decoding": [isinstance(e, Ear) for e in self.ears],
            "video_frames": [e.frames for e in self.eyes],
        }

    async def close(self) -> None:
        for p in self.pcs:
            with contextlib.suppress(Exception):
                await p.close()
        for c in self.conns:
            with contextlib.suppress(Exception):
                await c.close()


async def serve(url: str, meeting: str, decoding: int | None, video: bool, fail_after: int | None) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    listeners = Listeners(url, meeting, decoding, video, fail_after)
    try:
        while line := await reader.readline():
            cmd = json.loads(line)
            try:
                if cmd["op"] == "add":
                    out = await listeners.add(cmd["tokens"])
                elif cmd["op"] == "mark":
                    out = listeners.mark()
                else:
                    break
            except Exception as e:  # told to the orchestrator, which stops the run
                out = {"error": f"{type(e).__name__}: {e}"}
            sys.stdout.write(json.dumps(out) + "\n")
            sys.stdout.flush()
    finally:
        await listeners.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--meeting", required=True)
    p.add_argument(
        "--fail-after", type=int, help="answer an error to an add beyond this many listeners (tests)"
    )
    p.add_argument(
        "--decoding", type=int, help="only the first N listeners decode, the others are light (all decode)"
    )
    p.add_argument("--video", action="store_true", help="the listeners also receive the speaker's video")
    args = p.parse_args(argv)
    asyncio.run(serve(args.url, args.meeting, args.decoding, args.video, args.fail_after))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
