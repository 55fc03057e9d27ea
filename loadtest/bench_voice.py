"""Live voice benchmark (issue 16): the hub's CPU per relayed speaker-to-listener audio stream,
mouth-to-ear latency on loopback, and how many listeners one hub process relays to.

Run: ``python -m loadtest.bench_voice [--steps 0,1,4,8,16] [--seconds 5] [--json out.json]``; one
run stays under 60 s. Repeat it for a spread (docs/performance.md, "Issue 16: live voice", gives
three runs).

One ``plenary serve`` process (the real hub, uvicorn + uvloop, aiortc in its loop) on a fresh
embedded Redis; this process is the speaker and every listener (aiortc peers, ``voice_peers``):
the speaker goes live with a 440 Hz tone sounding 100 ms every 500 ms, then listeners join in
steps (``voice.listen``, each its own peer connection in the hub: one Opus encode, SRTP and send
per listener and frame). At each step, after a second to settle, for ``--seconds``:

- the hub's CPU (``/proc/<hub>/task/*/schedstat``), as a share of one core; the CPU per relayed
  stream is the slope over the steps (least squares, share of a core per listener), and the
  listeners one core holds is its inverse (beyond the speaker's own cost, the intercept);
- the frames every listener received against the 50 a second the speaker sends (``delivery``: a
  listener the hub or this generator cannot keep up with loses frames);
- mouth-to-ear: each tone burst's send time (the first frame of the burst leaving the speaker's
  track) to the moment a listener's decoded track yields its first loud frame (aiortc's jitter
  buffer and Opus both ways included; one clock, one machine).

``--video 640x360``: the speaker also sends a generated camera picture of that size (30 frames a
second, VP8 from aiortc), and each listener receives it too (``voice_peers.watch``): the hub decodes
it once and encodes it again per listener (aiortc relays frames, not packets). Each step then also
says the video frames each listener received a second (``video_fps``); the CPU of one relayed
video stream is this run's slope less an audio-only run's, run side by side (docs/performance.md).

This generator decodes every listener's audio in one Python process: on a 2-core machine it
saturates near the hub, so the last steps' delivery may fall for the generator's sake; the hub's
CPU per stream is what the steps measure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import websockets

from engine.roles import Role
from engine.server import ensure_server
from loadtest.bench_cast import busy_cpu, free_port, proc_cpu, stop_process
from loadtest.voice_peers import Colour, Ear, Eye, Tone, listen, speak, watch
from moderation.meetings import MeetingInfo, Meetings
from panel.roster import Participant, Roster

MEETING = "m1"
FRAMES_PER_S = 50


def log(msg: str) -> None:
    print(f"[bench_voice {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


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


def slope(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least squares ``y = a + b x``: (a, b)."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs) or 1.0
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den
    return my - b * mx, b


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of one run from its steps: the speaker's own hub CPU (the intercept) and the CPU
    per listener (the slope), over the steps up to 4 listeners (below where this generator starves
    on a 2-core machine) and over all; the listeners one core would hold at that slope; and at each
    step the hub's core-seconds per second of audio a listener received."""
    low = [r for r in rows if r["listeners"] <= 4]
    base, per = slope([r["listeners"] for r in low], [r["hub_core"] for r in low])
    _, per_all = slope([r["listeners"] for r in rows], [r["hub_core"] for r in rows])
    for r in rows:
        got = r["listeners"] * (r["delivery"] or 0)
        r["core_per_received_stream"] = (r["hub_core"] - base) / got if got else None
    return {
        "steps": rows,
        "hub_core_speaker": base,
        "hub_core_per_listener": per,
        "hub_core_per_listener_all_steps": per_all,
        "listeners_per_core": (1 - base) / per if per > 0 else None,
    }


def latencies(sent: list[float], heard: list[float]) -> list[float]:
    """Each burst's send time paired with the first onset heard after it (within 400 ms), in ms."""
    out = []
    for s in sent:
        after = [h for h in heard if s <= h < s + 0.4]
        if after:
            out.append((after[0] - s) * 1000)
    return out


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    steps = [int(n) for n in args.steps.split(",")]
    with tempfile.TemporaryDirectory(prefix="plenary-bench-voice-") as tmp:
        redis = ensure_server(Path(tmp) / "data")
        port = free_port()
        logfile = Path(tmp) / "hub.log"
        hub = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "--redis-url", redis.url, "--port", str(port),
             "--log-level", "warning", "--voice-max-listeners", str(max(steps) + 1)],
            stdout=logfile.open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        conns: list[Conn] = []
        pcs: list[Any] = []
        try:
            from engine.connection import command_client

            client = command_client(redis.url, name="bench-voice")
            people = [Participant(id="sp", name="발언자", role=Role.PANELIST, meetings=[MEETING])]
            people += [
                Participant(id=f"h{i}", name=f"진행 {i}", role=Role.MODERATOR) for i in range(max(steps))
            ]
            roster = Roster(client)
            await roster.upsert(people)
            await Meetings(client).put(MeetingInfo(id=MEETING, title="Bench"))
            tokens = await roster.issue_tokens([p.id for p in people])
            await client.aclose()
            url = f"ws://127.0.0.1:{port}/ws"
            for _ in range(200):
                with contextlib.suppress(OSError):
                    conns.append(await Conn.open(url, tokens["sp"]))
                    break
                await asyncio.sleep(0.1)
            speaker = conns[0]
            await speaker.call("speakers.raise", meeting=MEETING)
            listeners = [await Conn.open(url, tokens[f"h{i}"]) for i in range(max(steps))]
            conns += listeners
            await listeners[0].call("speakers.next", meeting=MEETING, participant="sp") if listeners else None
            tone = Tone(440, bursts=0.5)
            camera = Colour(width=args.video[0], height=args.video[1]) if args.video else None
            pc, _ = await speak(speaker.call, MEETING, tone, camera)
            pcs.append(pc)
            ears: list[Ear] = []
            eyes: list[Eye] = []
            rows = []
            for n in steps:
                while len(ears) < n:
                    if camera is not None:
                        lpc, _, ear_f, eye_f = await watch(listeners[len(ears)].call, MEETING)
                        eyes.append(await asyncio.wait_for(eye_f, 20))
                    else:
                        lpc, _, ear_f = await listen(listeners[len(ears)].call, MEETING)
                    pcs.append(lpc)
                    ears.append(await asyncio.wait_for(ear_f, 20))
                await asyncio.sleep(1.5)  # ICE and DTLS of the new ones, then steady
                seen0 = [e.frames for e in eyes]
                frames0 = [e.frames for e in ears]
                heard0 = [len(e.heard) for e in ears]
                sent0 = len(tone.sent)
                cpu0, busy0, t0 = proc_cpu(hub.pid), busy_cpu(), time.monotonic()
                await asyncio.sleep(args.seconds)
                cpu1, busy1, t1 = proc_cpu(hub.pid), busy_cpu(), time.monotonic()
                wall = t1 - t0
                got = sum(e.frames - f for e, f in zip(ears, frames0, strict=True))
                lat: list[float] = []
                sent = tone.sent[sent0:]
                for e, h in zip(ears, heard0, strict=True):
                    lat += latencies(sent, e.heard[h:])
                row = {
                    "listeners": n,
                    "hub_core": (cpu1 - cpu0) / wall,
                    "machine_busy": (busy1 - busy0) / wall / (os.cpu_count() or 1),
                    "delivery": got / (n * FRAMES_PER_S * wall) if n else None,
                    "latency_ms_p50": statistics.median(lat) if lat else None,
                    "latency_ms_p95": sorted(lat)[int(0.95 * (len(lat) - 1))] if lat else None,
                    "bursts": len(lat),
                }
                if camera is not None:
                    seen = sum(e.frames - f for e, f in zip(eyes, seen0, strict=True))
                    row["video_fps"] = seen / (n * wall) if n else None
                rows.append(row)
                log(json.dumps(row))
            return summarise(rows)
        finally:
            for p in pcs:
                with contextlib.suppress(Exception):
                    await p.close()
            for c in conns:
                with contextlib.suppress(Exception):
                    await c.close()
            stop_process(hub)
            redis.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", default="0,1,4,8,16", help="listeners at each step (0,1,4,8,16)")
    p.add_argument("--seconds", type=float, default=5.0, help="seconds measured at each step (5)")
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument(
        "--video",
        type=lambda v: tuple(int(x) for x in v.split("x", 1)),
        default=None,
        help="the speaker also sends a camera picture of WIDTHxHEIGHT (e.g. 640x360), every listener receives it",
    )
    args = p.parse_args(argv)
    result = asyncio.run(measure(args))
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
