"""The fault harness' run, and its first fault: a hub killed behind HAProxy during a cast burst,
every acknowledged ballot kept, none doubled, its clients back on the other hubs through HAProxy
and caught up. Figures for docs/reliability.md. The command is ``loadtest.faults`` (``make
failover`` is ``--fault kill-hub``; the other faults are there); this module is the run around any
fault (``measure``) and the clients.

The command starts what it needs (``make cluster``'s topology, in its own folder and ports: Redis
with AOF ``always``, ``--hubs`` hubs, HAProxy), seeds ``--panelists`` panelists and an open vote,
connects every panelist through HAProxy (``plenary.v1.msgpack``), follows the plenary chat while
``--chat-rate`` messages a second flow, and has every panelist cast once at a random moment of
``--cast-window``. ``--fault-after`` seconds into the window the fault begins (``kill_hub``: the
hub holding the most connections gets SIGKILL). Each client does what the web client does (``realtime/web/lib/client.js``): on a lost
connection it waits 250-500 ms (equal jitter over 500 ms), reconnects through HAProxy, says hello,
subscribes again from its last (epoch, offset), and casts again with the same nonce if its cast
had no acknowledgement.

Checked at the end: every panelist's ballot acknowledged and stored exactly once with the
acknowledged tracking code; every client saw the chat's offsets without a hole or a repeat up to
the last one. Measured: connections per hub, reconnect time (lost connection to subscribed again),
cast-to-acknowledgement latency before and after the kill, retries that were already stored.

Bounded: everything on 127.0.0.1, the whole run within ``--max-seconds``; the topology is stopped
in ``finally`` (``cli.cluster.stop``: exactly what was started). The program paths come from
``tools/system_packages.py`` (``make failover`` passes them).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import re
import socket
import time
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import websockets
from redis.exceptions import RedisError

from ballot.store import VoteStore
from cli import cluster
from engine.channels import ChannelLog
from engine.connection import command_client
from loadtest import voters as lt

CODEC = "plenary.v1.msgpack"
CHAT = f"meeting/{lt.MEETING}/chat"
RECONNECT_MS = (250, 500)  # client.js: attempt 0 after a 1006, equal jitter over 500 ms
HEARTBEAT_S, PING_TIMEOUT_S = 25.0, 10.0  # client.js: HEARTBEAT_MS, PING_TIMEOUT_MS
HOLES: list[dict[str, Any]] = []  # the first holes noticed, for the report


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"n": len(ordered), "p50": at(0.5), "p95": at(0.95), "p99": at(0.99), "max": round(ordered[-1], 1)}


@dataclass
class Run:
    """What every client shares: the address, the clock, what went wrong."""

    url: str
    origin: str
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    fault_at: float | None = None  # when the fault began
    chat_acked: dict[int, str] = field(default_factory=dict)  # offset -> text, of acknowledged sends
    errors: Counter[str] = field(default_factory=Counter)
    ack_ms: list[tuple[float, float]] = field(default_factory=list)  # (sent at, ms)
    phases: dict[str, list[float]] = field(
        default_factory=lambda: {"waited": [], "websocket": [], "hello": [], "subscribe": []}
    )  # of the reconnects' last attempts: backoff and failed attempts, handshake, hello, subscribe
    lag_ms: list[tuple[float, float]] = field(default_factory=list)  # (at, ms late)
    side_url: str = ""  # the slow panelists' address of HAProxy (a fault's own link)
    dial: Callable[[], Awaitable[socket.socket]] | None = None  # a connected socket on that link
    retried_stored: int = 0  # casts sent again after a lost connection that Redis already had


@dataclass
class Panelist:
    pid: str
    token: str
    ranking: list[str]
    cast_at: float
    nonce: str = ""
    ws: Any = None
    ids: int = 0
    replies: dict[int, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    epoch: str | None = None
    offsets: list[int] = field(default_factory=list)  # taken in order
    seen: set[int] = field(default_factory=set)
    repeats: int = 0  # events dropped as already seen
    holes: int = 0  # holes noticed (each followed by a resubscribe)
    gaps: int = 0  # `gap` frames (the hub dropped frames for this client)
    recovering: asyncio.Task[bool] | None = None
    parts: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)
    connected_at: float = 0.0
    closed_at: float | None = None
    pending_kinds: dict[int, str] = field(default_factory=dict)
    tracking: str | None = None
    cast_sent: bool = False
    drops: int = 0
    dropped_at: float | None = None
    back_ms: list[float] = field(default_factory=list)
    recovered: list[bool] = field(default_factory=list)
    slow: bool = False  # connects through the fault's slow link (``Run.dial``)
    latency_ms: list[tuple[float, float]] = field(default_factory=list)  # (received at, ms since stored)

    def __post_init__(self) -> None:
        self.nonce = f"failover-{self.pid}"

    async def call(self, kind: str, timeout: float = 15.0, **fields: Any) -> dict[str, Any]:
        self.ids += 1
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.replies[self.ids] = fut
        self.pending_kinds[self.ids] = kind
        fut.add_done_callback(lambda _f, i=self.ids: self.pending_kinds.pop(i, None))
        await self.ws.send(msgspec.msgpack.encode({"type": kind, "id": self.ids, **fields}))
        msg = await asyncio.wait_for(fut, timeout)
        if msg.get("type") != "reply":
            raise CommandError(str(msg.get("name", "error")))
        result: dict[str, Any] = msg["result"]
        return result

    def events(self, events: list[dict[str, Any]]) -> None:
        """The client's algorithm of docs/protocol.md §7: the next offset is taken, one already
        seen is dropped (a resubscribe's reply may overlap live events), a hole makes the client
        subscribe again from its last offset (it is not taken: the reply brings it)."""
        for e in events:
            if e.get("channel") != CHAT:
                continue
            offset = int(e["offset"])
            if e["epoch"] != self.epoch or not self.offsets:
                self.epoch = e["epoch"]
                self.offsets.append(offset)
                self.seen.add(offset)
            elif offset <= self.offsets[-1]:
                self.repeats += 1
            elif offset == self.offsets[-1] + 1:
                self.offsets.append(offset)
                self.seen.add(offset)
            else:
                self.holes += 1
                if len(HOLES) < 20:
                    HOLES.append(
                        {
                            "participant": self.pid,
                            "last": self.offsets[-1],
                            "got": offset,
                            "since_connect_ms": round((time.monotonic() - self.connected_at) * 1000),
                            "pending": sorted(self.pending_kinds.values()),
                            "drops": self.drops,
                        }
                    )
                self.resubscribe()
                return

    def live(self, events: list[dict[str, Any]]) -> None:
        """Note each live chat event's delay: from its storing (its ``time``, the hub's clock,
        which is this machine's) to now."""
        now = time.time() * 1000
        at = time.monotonic()
        self.latency_ms.extend((at, now - e["time"]) for e in events if e.get("channel") == CHAT)

    def resubscribe(self) -> None:
        if self.recovering is None or self.recovering.done():
            self.recovering = asyncio.get_running_loop().create_task(self._resubscribe())

    async def _resubscribe(self) -> None:
        """Subscribe again until it works while the connection lives: after a ``gap`` sent when
        the hub lost Redis, the first tries may be answered ``unavailable`` (Redis still down)."""
        while True:
            try:
                await self.subscribe()
                return
            except CommandError:
                await asyncio.sleep(random.uniform(*RECONNECT_MS) / 1000)
            except (ConnectionError, TimeoutError, websockets.ConnectionClosed, asyncio.CancelledError):
                return  # the session reconnects and subscribes from the last offset

    async def read(self) -> None:
        """Take every frame; when the connection ends, fail the commands waiting for a reply at
        once (as a real client does), and note when it ended."""
        try:
            await self._read()
        finally:
            self.closed_at = time.monotonic()
            for fut in self.replies.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("closed"))

    async def _read(self) -> None:
        async for data in self.ws:
            msg = msgspec.msgpack.decode(data)
            kind = msg.get("type")
            result = msg.get("result")
            if kind == "reply" and isinstance(result, dict) and result.get("more") is True:
                self.parts.setdefault(msg.get("id"), []).extend(result.get("events", []))
            elif kind in ("reply", "error"):
                earlier = self.parts.pop(msg.get("id"), [])
                if earlier and kind == "reply":
                    msg["result"] = {**result, "events": earlier + result["events"]}
                if kind == "reply" and self.pending_kinds.get(msg.get("id")) == "subscribe":
                    self.subscribed(msg["result"])
                fut = self.replies.pop(msg.get("id"), None)
                if fut is not None and not fut.done():
                    fut.set_result(msg)
            elif kind == "event":
                self.live([msg])
                self.events([msg])
            elif kind == "batch":
                self.live(msg["events"])
                self.events(msg["events"])
            elif kind == "gap" and msg.get("channel") == CHAT:
                self.gaps += 1
                self.resubscribe()  # docs/protocol.md: a gap means subscribe again from the last offset
                self.resubscribe()

    def subscribed(self, res: dict[str, Any]) -> None:
        """A subscribe reply, taken by the reader as it arrives: its events come before any live
        event of the channel (docs/protocol.md §4), so they must be taken before the reader goes
        on to the next frame, not when the awaiting coroutine next runs."""
        if self.offsets and res["epoch"] == self.epoch:
            self.events(res["events"])
        else:
            self.epoch = res["epoch"]
            self.offsets.append(int(res["offset"]))
            self.seen.add(int(res["offset"]))

    async def subscribe(self) -> bool:
        """Follow the chat: from the last offset seen (the missed events come in the reply), or
        from now (the reply's offset) the first time."""
        since = {"epoch": self.epoch, "offset": self.offsets[-1]} if self.offsets else {}
        res = await self.call("subscribe", channel=CHAT, **since)
        return bool(res.get("recovered"))


class CommandError(Exception):
    """An error reply (its name)."""


async def heartbeat(p: Panelist) -> None:
    """client.js's probe: a ``ping`` every 25 s, and a connection whose answer does not come within
    10 s is dead (a lossy link can lose the hub's close, leaving a socket that looks open forever):
    abort it, and the session reconnects."""
    while True:
        await asyncio.sleep(HEARTBEAT_S)
        try:
            await p.call("ping", timeout=PING_TIMEOUT_S)
        except (TimeoutError, ConnectionError, CommandError, websockets.ConnectionClosed):
            if p.ws is not None:
                p.ws.transport.abort()
            return


async def session(p: Panelist, run: Run) -> None:
    """One panelist for the whole run: connect, follow the chat, cast once; on a lost connection
    reconnect as the web client does, recover, and cast again if unacknowledged."""
    while not run.stop.is_set():
        reader: asyncio.Task[None] | None = None
        beat: asyncio.Task[None] | None = None
        try:
            attempt = time.monotonic()
            side = p.slow and run.dial is not None
            p.ws = await websockets.connect(
                run.side_url if side else run.url,
                sock=await run.dial() if side and run.dial else None,
                subprotocols=[websockets.Subprotocol(CODEC)],
                origin=websockets.Origin(run.origin),
                open_timeout=15,
                max_size=2**20,
                ping_interval=None,
            )
            p.connected_at = time.monotonic()
            p.closed_at = None
            reader = asyncio.create_task(p.read())
            beat = asyncio.create_task(heartbeat(p))
            await p.call("hello", token=p.token, client="failover")
            helloed = time.monotonic()
            recovered = await p.subscribe()
            if p.dropped_at is not None:
                now = time.monotonic()
                p.back_ms.append((now - p.dropped_at) * 1000)
                run.phases["waited"].append((attempt - p.dropped_at) * 1000)
                run.phases["websocket"].append((p.connected_at - attempt) * 1000)
                run.phases["hello"].append((helloed - p.connected_at) * 1000)
                run.phases["subscribe"].append((now - helloed) * 1000)
                p.recovered.append(recovered)
                p.dropped_at = None
            while p.tracking is None and not run.stop.is_set():
                wait = p.cast_at - time.monotonic()
                if wait > 0:  # waiting to cast, but a lost connection is noticed at once
                    await asyncio.wait({reader}, timeout=min(wait, 0.5))
                    if reader.done():
                        raise ConnectionError("closed")
                    continue
                again = p.cast_sent
                p.cast_sent = True
                sent = time.monotonic()
                res = await p.call("vote.cast", vote=lt.VOTE, ranking=p.ranking, nonce=p.nonce)
                run.ack_ms.append((sent, (time.monotonic() - sent) * 1000))
                p.tracking = str(res["tracking_code"])
                if again and res.get("retry"):
                    run.retried_stored += 1
            stop = asyncio.create_task(run.stop.wait())
            await asyncio.wait({reader, stop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            if run.stop.is_set():
                return
            raise ConnectionError("closed")
        except (
            OSError,
            websockets.ConnectionClosed,
            websockets.InvalidHandshake,  # HAProxy's 503 while no hub is ready (Redis down)
            ConnectionError,
            TimeoutError,
            CommandError,
        ) as exc:
            if run.stop.is_set():
                return
            run.errors[f"{type(exc).__name__}: {str(exc)[:60]}"] += 1
            if p.dropped_at is None:
                p.dropped_at = p.closed_at or time.monotonic()
                p.drops += 1
            for fut in p.replies.values():
                if not fut.done():
                    fut.cancel()
            p.replies.clear()
            if reader is not None:
                reader.cancel()
            if p.ws is not None:
                p.ws.transport.abort()  # the connection is gone: nothing to close politely
            await asyncio.sleep(random.uniform(*RECONNECT_MS) / 1000)
        finally:
            if beat is not None:
                beat.cancel()
            if reader is not None:
                reader.cancel()
            if p.ws is not None and run.stop.is_set():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(p.ws.close(), 2)


async def loop_lag(run: Run) -> None:
    """How late this generator's event loop runs (a 50 ms sleep's overshoot): when it lags, the
    latencies it measures are its own."""
    while not run.stop.is_set():
        before = time.monotonic()
        await asyncio.sleep(0.05)
        run.lag_ms.append((before, (time.monotonic() - before - 0.05) * 1000))


async def chatter(people: list[Panelist], run: Run, rate: float, until: asyncio.Event, seed: int) -> int:
    """``rate`` chat messages a second from random connected panelists (each at most 5 per 10 s),
    each with a nonce; the acknowledged ones are noted (``run.chat_acked``) to be looked for in
    Redis at the end. Each send is its own task: a send that hangs (Redis gone) does not slow the
    rate, and one that fails was not acknowledged, so nothing is owed for it."""
    rng = random.Random(seed)
    sent = 0
    pending: set[asyncio.Task[None]] = set()

    async def send(p: Panelist, n: int) -> None:
        with contextlib.suppress(Exception):
            res = await p.call("chat.send", meeting=lt.MEETING, text=f"m{n}", nonce=f"chat-nonce-{n:08d}")
            run.chat_acked[int(res["offset"])] = f"m{n}"

    while not until.is_set():
        p = rng.choice(people)
        if p.ws is not None and p.dropped_at is None:
            task = asyncio.create_task(send(p, sent))
            pending.add(task)
            task.add_done_callback(pending.discard)
            sent += 1
        await asyncio.sleep(1 / rate)
    if pending:
        await asyncio.wait(pending, timeout=20)
    return sent


def busiest_hub(top: cluster.Topology) -> tuple[int, dict[int, int]]:
    """The hub holding the most connections, and every hub's count (each hub's own /readyz)."""
    counts = {}
    for i in range(1, top.hubs + 1):
        with urllib.request.urlopen(f"http://127.0.0.1:{top.hub_port(i)}/readyz", timeout=5) as resp:
            counts[i] = int(json.loads(resp.read())["connections"])
    return max(counts, key=lambda i: counts[i]), counts


def marked_down(log: Path, offset: int) -> list[str]:
    """The hubs HAProxy marked down during the run, with why (its log from ``offset``)."""
    with log.open("rb") as fh:
        fh.seek(offset)
        text = fh.read().decode(errors="replace")
    return [
        f"{m.group(1)}: {m.group(2)}"
        for m in re.finditer(r"^Server hubs/(\S+) is DOWN, reason: ([^,.]+)", text, re.M)
    ]


async def caught_up(people: list[Panelist], target: int) -> float:
    """When every panelist is connected (not between a lost connection and its subscribe reply)
    and has taken the chat's events up to ``target`` (polled every 50 ms)."""
    while any(p.dropped_at is not None or not p.offsets or p.offsets[-1] < target for p in people):
        await asyncio.sleep(0.05)
    return time.monotonic()


@dataclass
class FaultContext:
    """What a fault acts on: the topology, the run (``run.fault_at`` is set when it is called),
    the panelists, the options, and the hub holding the most connections with every hub's count."""

    running: cluster.Cluster
    run: Run
    people: list[Panelist]
    args: argparse.Namespace
    busiest: int
    per_hub: dict[int, int]


Fault = Callable[[FaultContext], Awaitable[dict[str, Any]]]
"""One fault: do it (and undo it, if it is undone) within the run, return its own figures; the
harness checks every ballot and every chat message around it. ``"ok": False`` in the figures fails
the run (the fault's own expectation, e.g. "the cut hub said 503")."""


async def kill_hub(ctx: FaultContext) -> dict[str, Any]:
    """SIGKILL the hub holding the most connections; its clients come back through HAProxy. The
    fault is over when they have all noticed (at most 5 s): only then can "everyone back and
    caught up" be told from "nobody noticed yet"."""
    started = time.monotonic()
    ctx.running.kill(f"hub-{ctx.busiest}")
    lost = ctx.per_hub[ctx.busiest]
    while sum(p.drops > 0 for p in ctx.people) < lost and time.monotonic() - started < 5:
        await asyncio.sleep(0.02)
    noticed = time.monotonic() - started
    return {"killed": f"hub-{ctx.busiest}", "its_clients_noticed_s": round(noticed, 2)}


async def redis_call(what: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    """A read of the harness' own Redis client, retried while Redis comes back from a fault (the
    first command on a connection Redis closed fails once)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await what()
        except (RedisError, OSError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def measure(
    args: argparse.Namespace,
    running: cluster.Cluster,
    fault: Fault,
    side: tuple[str, Callable[[], Awaitable[socket.socket]]] | None = None,
) -> dict[str, Any]:
    """Seed, connect every panelist, chat, open the cast window, call ``fault`` ``--fault-after``
    seconds into it, wait for every ballot and every client, then check them against Redis.
    ``side``: HAProxy's address on a fault's own link and how to open a socket there; every
    ``1 / --slow-share``-th panelist connects that way (``Panelist.slow``)."""
    top = running.top
    redis = command_client(top.redis_url, name="plenary-failover")
    try:
        tokens = await lt.seed_people(redis, args.panelists, moderators=0, hosts=1)
        ids = [lt.panelist_id(i) for i in range(args.panelists)]
        await lt.open_vote(redis, lt.definition(), ids)
        proposals = lt.proposal_ids()
        run = Run(url=top.url.replace("http://", "ws://") + "/ws", origin=top.url)
        every = 0
        if side is not None:
            run.side_url, run.dial = side
            every = round(1 / args.slow_share)
        rng = random.Random(args.seed)
        people = [
            Panelist(
                pid,
                tokens[pid],
                lt.ranking(i, proposals),
                cast_at=float("inf"),
                slow=bool(every) and i % every == 0,
            )
            for i, pid in enumerate(ids)
        ]
        tasks = []
        gate = asyncio.Semaphore(args.connect_concurrency)

        async def start(p: Panelist) -> None:
            async with gate:
                tasks.append(asyncio.create_task(session(p, run)))
                deadline = time.monotonic() + 30
                while not p.offsets and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)

        haproxy_log = top.directory / "haproxy.log"
        log_from = haproxy_log.stat().st_size if haproxy_log.exists() else 0
        lag = asyncio.create_task(loop_lag(run))
        t_connect = time.monotonic()
        await asyncio.gather(*(start(p) for p in people))
        connected_s = time.monotonic() - t_connect
        victim, per_hub = busiest_hub(top)
        chat_stop = asyncio.Event()
        chat = asyncio.create_task(chatter(people, run, args.chat_rate, chat_stop, args.seed))
        await asyncio.sleep(1.0)
        window_start = time.monotonic() + 0.5
        for p in people:
            p.cast_at = window_start + rng.uniform(0, args.cast_window)
        await asyncio.sleep(window_start + args.fault_after - time.monotonic())
        run.fault_at = fault_at = time.monotonic()
        fault_figures = await fault(FaultContext(running, run, people, args, victim, per_hub))
        fault_done_s = time.monotonic() - fault_at
        # Back and caught up: every client connected again and holding every chat event up to the
        # highest offset anyone had when the fault was over (what happened before and during it).
        target = max((p.offsets[-1] for p in people if p.offsets), default=0)
        back = asyncio.create_task(caught_up(people, target))
        await asyncio.sleep(max(0.0, window_start + args.cast_window - time.monotonic()))
        deadline = time.monotonic() + args.settle
        while time.monotonic() < deadline and any(p.tracking is None or p.dropped_at for p in people):
            await asyncio.sleep(0.2)
        settled_s = time.monotonic() - fault_at
        chat_stop.set()
        sent = await chat
        await asyncio.sleep(0.5)
        # every client catches up to the chat's last offset it can know: the highest anyone saw
        top_offset = max((p.offsets[-1] for p in people if p.offsets), default=0)
        deadline = time.monotonic() + args.catch_up
        while time.monotonic() < deadline and any(
            not p.offsets or p.offsets[-1] < top_offset for p in people
        ):
            await asyncio.sleep(0.2)
        caught_up_s = time.monotonic() - fault_at
        back_at = await back if back.done() else None
        back.cancel()
        run.stop.set()
        await asyncio.wait([*tasks, lag], timeout=10)

        log = ChannelLog(redis)
        stored = await redis_call(lambda: VoteStore(log).ballots(lt.VOTE))
        by_voter = Counter(b.voter for b in stored)
        acked = {p.pid: p.tracking for p in people if p.tracking}
        # Every acknowledged chat message is in the channel's history, at its offset, as sent.
        first = min(run.chat_acked, default=1)
        history = await redis_call(lambda: log.recover(CHAT, people[0].epoch, first - 1))
        kept = {e.offset: e.data.get("text") for e in history.events} if history.recovered else {}
        # Lost: an offset between a client's first and the last one that it never received.
        lost = sum(len(set(range(p.offsets[0], top_offset + 1)) - p.seen) for p in people if p.offsets)
        dropped = [p for p in people if p.drops]
        return {
            "panelists": args.panelists,
            "hubs": top.hubs,
            "fault": args.fault,
            "connected_s": round(connected_s, 1),
            "per_hub_before_fault": per_hub,
            **fault_figures,
            "fault_took_s": round(fault_done_s, 2),
            "everyone_back_and_caught_up_s": None if back_at is None else round(back_at - fault_at, 2),
            "all_acked_and_connected_s": round(settled_s, 2),
            "all_caught_up_s": round(caught_up_s, 2),
            "chat_sent": sent,
            "chat_acked": len(run.chat_acked),
            "chat_acked_missing_from_redis": sum(1 for o, t in run.chat_acked.items() if kept.get(o) != t),
            "chat_last_offset": top_offset,
            "epochs_seen": len({p.epoch for p in people}),
            "dropped_clients": len(dropped),
            "reconnect_ms": percentiles([ms for p in dropped for ms in p.back_ms]),
            "reconnect_phases_ms": {k: percentiles(v) for k, v in run.phases.items()},
            "recovered_exactly": sum(all(p.recovered) for p in dropped),
            "behind_at_end": sum(1 for p in people if not p.offsets or p.offsets[-1] < top_offset),
            "events_lost": lost,
            "events_taken_twice": sum(len(p.offsets) - len(set(p.offsets)) for p in people),
            "repeats_dropped_by_offset": sum(p.repeats for p in people),
            "holes_noticed": sum(p.holes for p in people),
            "gap_frames": sum(p.gaps for p in people),
            "first_holes": HOLES,
            "acked": len(acked),
            "stored": len(stored),
            "stored_twice": sum(1 for n in by_voter.values() if n > 1),
            "acked_not_stored": sum(1 for pid in acked if pid not in by_voter),
            "tracking_codes_match": {b.voter: b.tracking_code for b in stored} == acked,
            "retries_already_stored": run.retried_stored,
            "cast_ack_ms_before_fault": percentiles([ms for at, ms in run.ack_ms if at < fault_at]),
            "cast_ack_ms_after_fault": percentiles([ms for at, ms in run.ack_ms if at >= fault_at]),
            "errors": dict(run.errors),
            "haproxy_marked_down": marked_down(haproxy_log, log_from),
            "generator_loop_lag_ms": {
                "before_fault": percentiles([ms for at, ms in run.lag_ms if at < fault_at]),
                "fault_to_plus_10s": percentiles(
                    [ms for at, ms in run.lag_ms if fault_at <= at < fault_at + 10]
                ),
            },
        }
    finally:
        await redis.aclose()
