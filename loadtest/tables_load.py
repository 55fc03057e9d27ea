"""The live tables at scale (issue 15): 3,000 panelists at 300 tables, each table chatting, 3 cards
per table per step, the theme team's console following every card, the hosts' overview following
every table; delivery lag and hub CPU (docs/performance.md "Issue 15: tables at scale").

    python -m loadtest.tables_load                                   # 3,000 at 300 tables, 2 steps of 20 s
    python -m loadtest.tables_load --panelists 600 --tables 60 --step-seconds 10

One embedded Redis and one hub process (``plenary serve``, pinned to core 0 when ``taskset`` is
there), and this process as every client (pinned to core 1): each panelist follows their own
table's channel, each facilitator theirs, the themer the meeting's cards channel (the theme
team), one host the overview channel. The host starts each step (``table.step``); during a step
every table's members send ``table.say`` at ``--message-every`` seconds per table, and each
facilitator posts 3 cards (``table.card``) spread over the step. Lag: a client's receive time
minus the event's ``time`` (the Redis clock, same machine), per kind of event and follower
(``member``: a panelist at the table, ``facilitating``, ``theme``, ``overview``: the hosts' page). Hub CPU: its
utime + stime over the load window, from /proc. Never longer than about a minute: keep
``--steps x --step-seconds`` small.

Two hubs, the table phones' storm and the checks against Redis are the ``tables`` scenario's
(``python -m loadtest.scenarios tables``, ``loadtest.tables_scenario``), whose seeding this uses;
this one process, one hub measurement stays for the figures of 20:17 in docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import websockets

from loadtest.bench_cast import free_port, stop_process, wait_ready
from loadtest.tables_scenario import THEMER

ROOT = Path(__file__).resolve().parents[1]
MEETING = "plenary"
CODEC = "plenary.v1.msgpack"
_enc = msgspec.msgpack.Encoder()
_dec = msgspec.msgpack.Decoder()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


@dataclass
class Stats:
    lags: dict[str, list[float]] = field(default_factory=dict)
    frames: int = 0
    events: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def lag(self, kind: str, ms: float) -> None:
        self.lags.setdefault(kind, []).append(ms)


class Peer:
    """One connection speaking msgpack: commands by id, events timed on arrival."""

    def __init__(self, ws: Any, stats: Stats, role: str) -> None:
        self.ws, self.stats, self.role = ws, stats, role
        self.next_id = 1
        self.waiting: dict[int, asyncio.Future[Any]] = {}
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for data in self.ws:
                now = time.time() * 1000
                msg = _dec.decode(data)
                kind = msg.get("type")
                self.stats.frames += 1
                if kind in ("reply", "error"):
                    fut = self.waiting.pop(msg.get("id"), None)
                    if fut is not None and not fut.done():
                        fut.set_result(msg)
                    if kind == "error":
                        name = msg.get("name", "?")
                        self.stats.errors[name] = self.stats.errors.get(name, 0) + 1
                elif kind in ("event", "batch"):
                    for e in msg["events"] if kind == "batch" else [msg]:
                        self.stats.events += 1
                        self.stats.lag(f"{e['event']} @{self.role}", now - e["time"])

    async def call(self, kind: str, **fields: Any) -> Any:
        cid = self.next_id
        self.next_id += 1
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting[cid] = fut
        await self.ws.send(_enc.encode({"type": kind, "id": cid, **fields}))
        return await asyncio.wait_for(fut, 30)

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()


async def seed(
    redis_url: str, panelists: int, tables: int
) -> tuple[dict[str, str], list[tuple[str, ...]], list[str]]:
    """The seats of ``loadtest.tables_scenario`` (one seeding for both)."""
    from loadtest.tables_scenario import seed_tables

    return await seed_tables(redis_url, panelists, tables)


def hub_cpu(pid: int) -> float:
    parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


async def connect(url: str, token: str, stats: Stats, role: str, channel: str) -> Peer:
    ws = await websockets.connect(
        url, subprotocols=[websockets.Subprotocol(CODEC)], max_size=2**22, open_timeout=60
    )
    peer = Peer(ws, stats, role)
    welcome = await peer.call("hello", token=token)
    assert welcome["type"] == "reply", welcome
    sub = await peer.call("subscribe", channel=channel)
    assert sub["type"] == "reply", sub
    return peer


async def load(
    url: str,
    args: argparse.Namespace,
    tokens: dict[str, str],
    seats: list[tuple[str, ...]],
    facs: list[str],
    hub_pid: int,
) -> dict[str, Any]:
    from engine import keys

    stats = Stats()
    gate = asyncio.Semaphore(100)

    async def one(pid: str, role: str, channel: str) -> Peer:
        async with gate:
            return await connect(url, tokens[pid], stats, role, channel)

    t0 = time.monotonic()
    jobs = [
        one(p, "member", keys.meeting_table(MEETING, t))
        for t, table in enumerate(seats, start=1)
        for p in table
    ]
    jobs += [one(f, "facilitating", keys.meeting_table(MEETING, t)) for t, f in enumerate(facs, start=1)]
    jobs += [
        one(THEMER, "theme", keys.meeting_cards(MEETING)),
        one("lt-host", "overview", keys.meeting_tables(MEETING)),
    ]
    peers = await asyncio.gather(*jobs)
    connect_s = time.monotonic() - t0
    by_id = dict(zip([p for table in seats for p in table] + facs + [THEMER, "lt-host"], peers, strict=True))
    host = by_id["lt-host"]
    print(f"connected {len(peers)} in {connect_s:.1f} s", file=sys.stderr)
    stats.lags.clear()
    stats.frames = stats.events = 0
    rng = random.Random(1)
    cpu0, w0 = hub_cpu(hub_pid), time.monotonic()
    sent = {"table.say": 0, "table.card": 0}

    async def table_life(t: int, members: tuple[str, ...], fac: str, step_s: float) -> None:
        end = time.monotonic() + step_s
        card_at = sorted(rng.uniform(0.5, step_s - 0.5) for _ in range(args.cards))
        start = time.monotonic()
        next_msg = start + rng.uniform(0, args.message_every)
        while time.monotonic() < end:
            now = time.monotonic()
            if card_at and now - start >= card_at[0]:
                card_at.pop(0)
                r = await by_id[fac].call(
                    "table.card", meeting=MEETING, table=t, text=f"테이블 {t}의 생각 {rng.randrange(1000)}"
                )
                sent["table.card"] += 1 if r["type"] == "reply" else 0
            if now >= next_msg:
                who = rng.choice(members)
                r = await by_id[who].call(
                    "table.say", meeting=MEETING, table=t, text="저는 이렇게 생각해요 " * 2
                )
                sent["table.say"] += 1 if r["type"] == "reply" else 0
                next_msg += args.message_every
            await asyncio.sleep(0.1)

    for n in range(args.steps):
        r = await host.call(
            "table.step", meeting=MEETING, title=f"단계 {n + 1}", seconds=max(30, int(args.step_seconds))
        )
        assert r["type"] == "reply", r
        await asyncio.gather(
            *(table_life(t, seats[t - 1], facs[t - 1], args.step_seconds) for t in range(1, len(seats) + 1))
        )
    await asyncio.sleep(1.0)  # the last events arrive
    cpu1, w1 = hub_cpu(hub_pid), time.monotonic()
    for p in peers:
        await p.close()
    window = w1 - w0
    out: dict[str, Any] = {
        "panelists": args.panelists,
        "tables": args.tables,
        "steps": args.steps,
        "step_seconds": args.step_seconds,
        "connect_s": round(connect_s, 1),
        "window_s": round(window, 1),
        "sent": sent,
        "events_received": stats.events,
        "frames_received": stats.frames,
        "errors": stats.errors,
        "hub_cpu_s": round(cpu1 - cpu0, 2),
        "hub_cpu_share": round((cpu1 - cpu0) / window, 3),
        "lag_ms": {
            k: {
                "n": len(v),
                "p50": round(percentile(v, 0.5), 1),
                "p99": round(percentile(v, 0.99), 1),
                "max": round(max(v), 1),
            }
            for k, v in sorted(stats.lags.items())
        },
    }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--panelists", type=int, default=3000)
    ap.add_argument("--tables", type=int, default=300)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--step-seconds", type=float, default=20.0)
    ap.add_argument("--cards", type=int, default=3, help="cards per table per step")
    ap.add_argument("--message-every", type=float, default=5.0, help="seconds between messages at one table")
    ap.add_argument("--json", type=Path, help="write the figures here too")
    args = ap.parse_args(argv)
    from engine.server import ensure_server

    pin = shutil.which("taskset") and (os.cpu_count() or 1) >= 2
    if pin:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {1})
    with tempfile.TemporaryDirectory(prefix="tables-load-") as tmp:
        server = ensure_server(Path(tmp) / "data")
        hub: subprocess.Popen[bytes] | None = None
        try:
            tokens, seats, facs = asyncio.run(seed(server.url, args.panelists, args.tables))
            port = free_port()
            logfile = Path(tmp) / "hub.log"
            cmd = [
                sys.executable,
                "-m",
                "cli.main",
                "serve",
                "--redis-url",
                server.url,
                "--port",
                str(port),
                "--log-level",
                "warning",
            ]
            with logfile.open("wb") as log:
                hub = subprocess.Popen(
                    [*(["taskset", "-c", "0"] if pin else []), *cmd],
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            wait_ready(f"http://127.0.0.1:{port}", hub, logfile)
            result = asyncio.run(load(f"ws://127.0.0.1:{port}/ws", args, tokens, seats, facs, hub.pid))
        finally:
            if hub is not None:
                stop_process(hub)
            server.stop()
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
