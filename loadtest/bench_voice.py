"""Live voice benchmark (issue 16): the hub's CPU per relayed speaker-to-listener audio stream,
mouth-to-ear latency on loopback, and how many listeners one hub process relays to (its ceiling).

Run: ``python -m loadtest.bench_voice [--variants once,per-listener] [--steps 0,2,4,8,16,24,32,48]
[--seconds 2] [--generators 2] [--listener light|full] [--decoding 1] [--video WxH]
[--max-seconds 55] [--json out.json]``. The whole run stays under ``--max-seconds`` (at most 60).

Per variant, a ramp: one ``plenary serve`` process (the real hub, uvicorn + uvloop, aiortc in its
loop) on the run's embedded Redis, pinned to the first core (``taskset``); this process is the
speaker (a 440 Hz tone sounding 100 ms every 500 ms, 20 ms frames) and starts ``--generators``
listener processes (``loadtest.voice_listeners``, aiortc peers), all of them pinned to the second
core: the listeners' side no longer starves in one process, and none of it runs on the hub's core.

``--listener light`` (the default): in each generator only the first ``--decoding`` (1) listeners
decode what they hear and find the tone's bursts in the decoded sound; the others are light (ICE,
DTLS, SRTP and RTCP receiver reports like a browser, so the hub's cost for each is a real
listener's, but no jitter buffer and no decoding: they count the RTP packets, and find a burst's
onset by the Opus packets' size), about a seventh of a decoding listener's CPU (0.26 % of a core
against 1.84 %, docs/performance.md), so that the hub, not the listeners' side, is what saturates
first. ``--listener full``: every listener decodes (the bench before; each costs a generator four
to six times what it costs the hub). Use 2 generators: each has a fixed cost once its listeners
hear (its decoding listener, about 0.065 of a core), and more do not help on one core.

Listeners join in steps (``voice.listen``, spread over the generators);
at each step, after a second to settle, for ``--seconds``:

- the hub's CPU (``/proc/<hub>/task/*/schedstat``) as a share of one core; how busy the
  generators' core was (``/proc/stat``: other work on the machine included) and the generators'
  own CPU (theirs and this process's);
- delivery: the frames the listeners received against the 50 a second the speaker sends;
- mouth-to-ear per (decoding listener, burst): the burst's first frame leaving the speaker's track
  to that listener's decoded track yielding its first loud frame (Opus both ways, SRTP, aiortc's
  jitter buffer; one clock, one machine); ``arrival_ms_*``, per light listener and burst, to its
  first loud packet arriving (no jitter buffer). A burst not heard within 500 ms (its period) by a
  listener, decoding or light, is a miss.

The limits: delivery under ``--min-delivery`` (0.95) or more than 5 % of bursts missed (frames
missing or late), mouth-to-ear p99 over ``--max-p99-ms`` (400), the hub's core over
``--max-hub-core`` (0.9), or the hub's event loop thread runnable (running or waiting for its core,
``/proc/<hub>/schedstat``) more than that share of the time: on a machine other work shares, the
hub gets only part of its core and saturates below 0.9 of its CPU. A step whose crossing comes
while the generators' core was saturated and the hub's was not (``listeners_side``: on a shared
machine, other work starves the listeners first) is recorded and the ramp goes on; it stops at
the first crossing on the hub's side. The ceiling is the last step before it (``ceiling``; a
lower bound when the time ran out first, see ``stopped_by``); ``heard_well_up_to`` is the last
step that crossed nothing at all. A generator that fails at a step (it could not add its
listeners in time, or died) ends the ramp there: the step is recorded as ``failed`` and crossed
on the listeners' side, the ceiling is the last step measured, and the report is written as for
any other end.

``--video WxH`` (e.g. 640x360): the speaker also sends a generated camera picture of that size (30
frames a second, ``voice_peers.Colour``) and every listener receives it (the decoding ones decode
it, ``voice_peers.watch``; the light ones count its frames below the decoder, with NACKs, PLIs and
REMB as a browser sends them). Each step also says the video frames a listener received a second
(``video_fps``); the CPU of a relayed video stream is the slope less an audio-only run's, run side
by side.

Variants (the same run, interleaved, each on a fresh hub): ``once`` (the default hub: the speaker's
Opus encoded once for every listener, ``relay.OpusOnce``) and ``per-listener`` (``plenary serve
--voice-encode-per-listener``: aiortc's default, each listener's sender encodes the decoded frames
again). The CPU per listener is the slope of the hub's CPU over the steps under every limit;
``generators_core_per_listener``, the generators' (and this process's) over the steps with
listeners, while they were not starved.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from engine.roles import Role
from engine.server import ensure_server
from loadtest.bench_cast import CLK_TCK, free_port, proc_cpu, stop_process, two_cores
from loadtest.voice_listeners import Conn
from loadtest.voice_peers import Colour, Tone, speak
from moderation.meetings import MeetingInfo, Meetings
from panel.roster import Participant, Roster

FRAMES_PER_S = 50
BURST_EVERY = 0.5
# a generator's answer to a mark is one line: every listener's burst onsets since the last mark
# (about 20 bytes each, 2 a second), over the 64 KiB asyncio reads by default from 100 listeners
# measured 25 s
ANSWER_LIMIT = 64 * 1024 * 1024
VARIANTS = {"once": [], "per-listener": ["--voice-encode-per-listener"]}


def log(msg: str) -> None:
    print(f"[bench_voice {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def core_busy(core: int | None) -> float:
    """CPU seconds core ``core`` (every core when None) spent busy, from ``/proc/stat``."""
    name = "cpu" if core is None else f"cpu{core}"
    with open("/proc/stat") as fh:
        for line in fh:
            f = line.split()
            if f[0] == name:
                return sum(int(f[i]) for i in (1, 2, 3, 6, 7, 8)) / CLK_TCK
    return 0.0


def loop_runnable(pid: int) -> float:
    """Seconds the main thread of ``pid`` (the hub's event loop) ran or waited for a core
    (``/proc/<pid>/schedstat``: run time, run-queue delay). On a machine other work shares, a hub
    given only part of its core runs less than it would, and waits the rest: the two together say
    whether the loop could keep up (near 1: saturated), which its CPU alone cannot."""
    with open(f"/proc/{pid}/schedstat") as fh:
        ran, waited = fh.read().split()[:2]
    return (int(ran) + int(waited)) / 1e9


def slope(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least squares ``y = a + b x``: (a, b)."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs) or 1.0
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den
    return my - b * mx, b


def pct(values: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank), None without values."""
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * len(s)) - 1))]


def latencies(sent: list[float], heard: list[float]) -> tuple[list[float], int]:
    """Each burst's send time paired with the first onset heard after it, within a burst period:
    (the latencies in ms, the bursts missed)."""
    out, missed = [], 0
    for s in sent:
        after = [h for h in heard if s <= h < s + BURST_EVERY]
        if after:
            out.append((after[0] - s) * 1000)
        else:
            missed += 1
    return out, missed


def crossed(row: dict[str, Any], args: argparse.Namespace) -> list[str]:
    """The limits a step crossed (none: the hub relays this many listeners well)."""
    out = []
    if row["listeners"] and (row["delivery"] or 0) < args.min_delivery:
        out.append(f"delivery {row['delivery']:.2f} < {args.min_delivery}")
    if row["listeners"] and row["missed"] > 0.05:
        out.append(f"bursts missed {row['missed']:.2f} > 0.05")
    if row["latency_ms_p99"] is not None and row["latency_ms_p99"] > args.max_p99_ms:
        out.append(f"mouth-to-ear p99 {row['latency_ms_p99']:.0f} ms > {args.max_p99_ms}")
    if row["hub_core"] > args.max_hub_core:
        out.append(f"hub core {row['hub_core']:.2f} > {args.max_hub_core}")
    if row["hub_loop_runnable"] > args.max_hub_core:
        out.append(f"hub loop runnable {row['hub_loop_runnable']:.2f} > {args.max_hub_core}")
    return out


def listeners_side(row: dict[str, Any]) -> bool:
    """Whether a step's crossing is the listeners' side giving out, not the hub: the generators'
    core saturated (over 0.95 busy, other work on the machine included, or their own CPU over 0.9 of
    it) while the hub's core was under its limit. The hub sends every listener's packets whether
    or not a starved generator reads them in time, so its CPU at that step still counts; the ramp
    goes on, and the ceiling is the last step before a crossing on the hub's side."""
    starved = row["generators_own"] > 0.9 or row["generators_core"] > 0.95
    return bool(row["crossed"]) and starved and not any(c.startswith("hub") for c in row["crossed"])


def error_text(e: BaseException) -> str:
    return str(e) or type(e).__name__


def generator_failed(rows: list[dict[str, Any]], variant: str, n: int, e: BaseException) -> str:
    """A listener generator failed at the step of ``n`` listeners: the step recorded as failed on
    the listeners' side and logged; what ends the ramp (its ``stopped_by``)."""
    rows.append(failed_row(n, e))
    log(f"{variant} {json.dumps(rows[-1])}")
    return f"a listener generator failed at {n} listeners (listeners' side): {error_text(e)}"


def failed_row(n: int, e: BaseException) -> dict[str, Any]:
    """A step a listener generator failed at (it could not add its listeners in time, or died):
    the listeners' side gave out before anything was measured, so the step has no figures, counts
    as crossed on the listeners' side, and ends the ramp (the hub's figures so far stand; the
    ceiling is a lower bound, the last step measured)."""
    return {
        "listeners": n,
        "failed": error_text(e),
        "crossed": [f"listener generator failed: {error_text(e)}"],
        "listeners_side": True,
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A ramp's figures: the speaker's own hub CPU (the intercept) and the CPU per listener (the
    slope) over the steps under every limit, and the listeners one core would hold at that slope."""
    measured = [r for r in rows if "failed" not in r]
    ok = [r for r in measured if not r["crossed"] or r["listeners_side"]] or measured
    if not ok:
        return {
            "hub_core_speaker": None,
            "hub_core_per_listener": None,
            "listeners_per_core_projected": None,
            "generators_core_per_listener": None,
        }
    base, per = slope([r["listeners"] for r in ok], [r["hub_core"] for r in ok])
    # the generators' own cost per listener, while they are not starved, over the steps with
    # listeners (from the first, the decoding ones are a fixed cost: --listener light's sample)
    gens = [r for r in ok if r["generators_own"] < 0.9 and r["listeners"]]
    _, gen_per = (
        slope([r["listeners"] for r in gens], [r["generators_own"] for r in gens])
        if len(gens) > 1
        else (0, None)
    )
    return {
        "hub_core_speaker": base,
        "hub_core_per_listener": per,
        "listeners_per_core_projected": (1 - base) / per if per > 0 else None,
        "generators_core_per_listener": gen_per,
    }


def generator_args(args: argparse.Namespace, i: int) -> list[str]:
    """The options of the ``i``-th listener generator."""
    out = ["--video"] if args.video else []
    if args.listener == "light":
        out += ["--decoding", str(args.decoding)]
    if i == 0 and args.fail_generator_after is not None:
        out += ["--fail-after", str(args.fail_generator_after)]
    return out


class Generator:
    """One ``loadtest.voice_listeners`` process: its consoles, over its stdin and stdout."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, url: str, meeting: str, core: int | None, extra: list[str]) -> Generator:
        pin = ["taskset", "-c", str(core)] if core is not None else []
        proc = await asyncio.create_subprocess_exec(
            *pin, sys.executable, "-m", "loadtest.voice_listeners", "--url", url, "--meeting", meeting, *extra,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, limit=ANSWER_LIMIT,
        )  # fmt: skip
        return cls(proc)

    async def ask(self, op: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write((json.dumps(op) + "\n").encode())
        await self.proc.stdin.drain()
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
            out: dict[str, Any] = json.loads(line) if line else {"error": "exited"}
        except (ValueError, OSError) as e:  # a line over the limit, or not JSON: the generator failed
            raise RuntimeError(f"a listener generator's answer: {type(e).__name__}: {e}") from e
        if "error" in out:
            raise RuntimeError(f"a listener generator: {out['error']}")
        return out

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self.ask({"op": "quit"}, timeout=0.1)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.proc.wait(), 5)
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()


async def ramp(
    variant: str, meeting: str, redis_url: str, tokens: dict[str, str], args: argparse.Namespace,
    cores: tuple[int, int] | None, deadline: float, logdir: Path,
) -> dict[str, Any]:  # fmt: skip
    """One variant's ramp on a fresh hub: the steps until a limit is crossed (or the time is up)."""
    steps = [int(n) for n in args.steps.split(",")]
    port = free_port()
    hub_core, gen_core = cores if cores else (None, None)
    hub = subprocess.Popen(
        [*(["taskset", "-c", str(hub_core)] if cores else []), sys.executable, "-m", "cli.main", "serve",
         "--redis-url", redis_url, "--port", str(port), "--log-level", "warning",
         "--voice-max-listeners", str(max(steps) + 1), *VARIANTS[variant]],
        stdout=(logdir / f"hub-{meeting}.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"ws://127.0.0.1:{port}/ws"
    gens = [
        await Generator.start(url, meeting, gen_core, generator_args(args, i)) for i in range(args.generators)
    ]
    conns: list[Conn] = []
    pcs: list[Any] = []
    rows: list[dict[str, Any]] = []
    stopped = "time bound (no limit crossed before it)"
    try:
        for _ in range(300):
            with contextlib.suppress(OSError):
                conns.append(await Conn.open(url, tokens["sp"]))
                break
            await asyncio.sleep(0.1)
        speaker = conns[0]
        chair = await Conn.open(url, tokens["chair"])
        conns.append(chair)
        await speaker.call("speakers.raise", meeting=meeting)
        await chair.call("speakers.next", meeting=meeting, participant="sp")
        tone = Tone(440, bursts=BURST_EVERY)
        camera = Colour(width=args.video[0], height=args.video[1]) if args.video else None
        pc, _ = await speak(speaker.call, meeting, tone, camera)
        pcs.append(pc)
        joined = 0
        step_s = 1.0 + args.seconds + 1.0  # settle, measure, joining (a guess, refined below)
        for n in steps:
            if time.monotonic() + step_s > deadline:
                break
            began = time.monotonic()
            new = [tokens[f"h{i}"] for i in range(joined, n)]
            try:
                await asyncio.gather(
                    *(g.ask({"op": "add", "tokens": new[i :: len(gens)]}, 40) for i, g in enumerate(gens) if new[i :: len(gens)])
                )  # fmt: skip
                joined = n
                await asyncio.sleep(1.0)  # ICE and DTLS of the new ones, then steady
                marks0 = await asyncio.gather(*(g.ask({"op": "mark"}) for g in gens))
            except (RuntimeError, TimeoutError) as e:
                stopped = generator_failed(rows, variant, n, e)
                break
            sent0 = len(tone.sent)
            own0 = sum(proc_cpu(g.proc.pid) for g in gens) + proc_cpu(os.getpid())
            run0 = loop_runnable(hub.pid)
            cpu0, gbusy0, t0 = proc_cpu(hub.pid), core_busy(gen_core), time.monotonic()
            w0 = time.time()
            await asyncio.sleep(args.seconds)
            cpu1, gbusy1, t1 = proc_cpu(hub.pid), core_busy(gen_core), time.monotonic()
            run1 = loop_runnable(hub.pid)
            own1 = sum(proc_cpu(g.proc.pid) for g in gens) + proc_cpu(os.getpid())
            w1 = time.time()
            try:
                marks1 = await asyncio.gather(*(g.ask({"op": "mark"}) for g in gens))
            except (RuntimeError, TimeoutError) as e:
                stopped = generator_failed(rows, variant, n, e)
                break
            wall = t1 - t0
            hearing = sum(  # listeners that received a frame during the step
                b > a for m0, m1 in zip(marks0, marks1, strict=True) for a, b in zip(m0["frames"], m1["frames"], strict=False)
            )  # fmt: skip
            got = sum(sum(m1["frames"]) - sum(m0["frames"]) for m0, m1 in zip(marks0, marks1, strict=True))
            sent = [s for s in tone.sent[sent0:] if w0 <= s < w1 - BURST_EVERY]
            lat: list[float] = []  # decoded: mouth-to-ear
            arrival: list[float] = []  # light: the burst's first loud packet out of the jitter buffer
            scored = missed = 0
            for m in marks1:
                for heard, decodes in zip(m["heard"], m["decoding"], strict=True):
                    got_lat, miss = latencies(sent, heard)
                    (lat if decodes else arrival).extend(got_lat)
                    missed += miss
                    scored += len(got_lat) + miss
            video = sum(
                sum(m1["video_frames"]) - sum(m0["video_frames"])
                for m0, m1 in zip(marks0, marks1, strict=True)
            )
            watching = sum(len(m["video_frames"]) for m in marks1)
            row: dict[str, Any] = {
                "listeners": n,
                "hearing": hearing,
                "joined_s": time.monotonic() - began,
                "hub_core": (cpu1 - cpu0) / wall,
                "hub_loop_runnable": (run1 - run0) / wall,
                "generators_core": (gbusy1 - gbusy0) / wall / (1 if cores else (os.cpu_count() or 1)),
                "generators_own": (own1 - own0) / wall,
                "delivery": got / (n * FRAMES_PER_S * wall) if n else None,
                "missed": missed / scored if scored else 0.0,
                "latency_ms_p50": pct(lat, 50),
                "latency_ms_p95": pct(lat, 95),
                "latency_ms_p99": pct(lat, 99),
                "bursts": scored,
                "decoding": sum(sum(m["decoding"]) for m in marks1),
                "arrival_ms_p50": pct(arrival, 50),
                "arrival_ms_p99": pct(arrival, 99),
            }
            if args.video:
                row["video_fps"] = video / (watching * wall) if watching else None
            row["crossed"] = crossed(row, args)
            row["listeners_side"] = listeners_side(row)
            rows.append(row)
            log(f"{variant} {json.dumps(row)}")
            step_s = max(step_s, time.monotonic() - began)
            if row["crossed"] and not row["listeners_side"]:
                stopped = "; ".join(row["crossed"])
                break
    finally:
        for p in pcs:
            with contextlib.suppress(Exception):
                await p.close()
        for c in conns:
            with contextlib.suppress(Exception):
                await c.close()
        await asyncio.gather(*(g.stop() for g in gens))
        stop_process(hub)
    under = [r["listeners"] for r in rows if (not r["crossed"] or r["listeners_side"]) and "failed" not in r]
    clean = [r["listeners"] for r in rows if not r["crossed"]]
    return {
        "variant": variant,
        "steps": rows,
        "ceiling": max(under) if under else None,
        "stopped_by": stopped,
        "heard_well_up_to": max(clean) if clean else None,
        "listeners_side_crossings": [r["listeners"] for r in rows if r["listeners_side"]],
        **summarise(rows),
    }


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    variants = [v for v in args.variants.split(",") for _ in range(1)] * args.rounds
    steps = [int(n) for n in args.steps.split(",")]
    cores = two_cores()
    if cores:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {cores[1]})  # this process (the speaker) with the generators
    with tempfile.TemporaryDirectory(prefix="plenary-bench-voice-") as tmp:
        redis = ensure_server(Path(tmp) / "data")
        try:
            from engine.connection import command_client

            client = command_client(redis.url, name="bench-voice")
            meetings = [f"m{i + 1}" for i in range(len(variants))]
            people = [Participant(id="sp", name="발언자", role=Role.PANELIST, meetings=meetings)]
            people.append(Participant(id="chair", name="의장", role=Role.MODERATOR))
            people += [
                Participant(id=f"h{i}", name=f"진행 {i}", role=Role.MODERATOR) for i in range(max(steps))
            ]
            roster = Roster(client)
            await roster.upsert(people)
            for m in meetings:
                await Meetings(client).put(MeetingInfo(id=m, title="Bench"))
            tokens = await roster.issue_tokens([p.id for p in people])
            await client.aclose()
            ramps = []
            budget = args.max_seconds - (time.monotonic() - started) - 3
            for i, (variant, meeting) in enumerate(zip(variants, meetings, strict=True)):
                share = budget / len(variants)
                deadline = started + 3 + share * (i + 1) - 4  # leave time to stop the hub
                log(f"ramp {variant} on {meeting}: until {deadline - time.monotonic():.0f} s from now")
                ramps.append(
                    await ramp(variant, meeting, redis.url, tokens, args, cores, deadline, Path(tmp))
                )
        finally:
            redis.stop()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "placement": f"hub on core {cores[0]}; speaker and generators on core {cores[1]}"
        if cores
        else "not pinned (needs taskset and two cores)",
        "load_average": os.getloadavg(),
        "limits": {
            "min_delivery": args.min_delivery,
            "max_missed": 0.05,
            "max_p99_ms": args.max_p99_ms,
            "max_hub_core": args.max_hub_core,
        },
        "listener": args.listener,
        "decoding_per_generator": args.decoding if args.listener == "light" else None,
        "video": "x".join(map(str, args.video)) if args.video else None,
        "ramps": ramps,
        "seconds": time.monotonic() - started,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--variants", default="once,per-listener", help="ramps in this order (once,per-listener)")
    p.add_argument("--rounds", type=int, default=1, help="times the variants are repeated, interleaved (1)")
    p.add_argument("--steps", default="0,2,4,8,16,24,32,48", help="listeners at each step")
    p.add_argument("--seconds", type=float, default=2.0, help="seconds measured at each step (2)")
    p.add_argument("--generators", type=int, default=2, help="listener processes (2)")
    p.add_argument("--min-delivery", type=float, default=0.95)
    p.add_argument("--max-p99-ms", type=float, default=400.0)
    p.add_argument("--max-hub-core", type=float, default=0.9)
    p.add_argument("--max-seconds", type=float, default=55.0, help="the whole run's bound (55, at most 60)")
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument(
        "--listener",
        choices=("light", "full"),
        default="light",
        help="light (default): only --decoding listeners per generator decode, the others count "
        "packets; full: every listener decodes and analyses the tone",
    )
    p.add_argument(
        "--decoding", type=int, default=1, help="listeners that decode, per generator, when light (1)"
    )
    p.add_argument(
        "--video",
        type=lambda v: tuple(int(x) for x in v.lower().split("x", 1)),
        default=None,
        help="the speaker also sends a camera picture of WIDTHxHEIGHT (e.g. 640x360), every listener receives it",
    )
    p.add_argument(
        "--fail-generator-after",
        type=int,
        help="the first generator fails beyond this many listeners (tests)",
    )
    args = p.parse_args(argv)
    args.max_seconds = min(args.max_seconds, 60.0)
    result = asyncio.run(measure(args))
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
