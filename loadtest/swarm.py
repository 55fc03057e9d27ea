"""A high-rate load generator: thousands of panelists per process, several processes at once.

Each worker process holds a slice of the panelists as ``plenary.v1.msgpack`` connections
(``loadtest.bench_cast.Peer``: ``websockets``' sans-I/O protocol driven from ``data_received``, no
task per connection, so thousands of followers do not stall the sender), says ``hello`` with the
real tokens ``loadtest.voters`` seeded, follows the plenary's channels and then does what its
parent (``loadtest.scenarios``) tells it over a ``multiprocessing`` pipe: chat at a rate, Q&A
upvotes at a rate, every panelist's ``vote.cast`` within a window, stop; drop every connection at
once and come back from its offsets (reconnect-storm); connect more (capacity's ramp); stop and
resume reading on its slow readers, every k-th connection with a small receive buffer and
accounts of their own (slow-readers).

What it measures, per wall-clock second, sent back to the parent as it goes (``Second``):

- **delivery lag** of every event received: now less the event's ``time`` (the hub's Redis clock,
  ms; the same machine, so the same clock), a histogram in 1 ms steps (10 ms past one second), so
  that the parent can merge the workers' seconds and take percentiles of the whole;
- **cast→ack**: from just before the ``vote.cast`` frame is written to its reply's bytes;
- **errors** by name: error replies, commands never answered, connections that failed, and ``gap``
  frames (the hub dropped frames for a client; it resubscribes from its position);
- **unplanned reconnects**: a connection lost without the scenario dropping it (a hub killed, a
  proxy or the hub closing it, a starved generator) comes back as a client's does (protocol.md
  "Reconnecting": a random wait within 0.5 s, doubling up to 30 s, trying the next hub when there
  are several, until it is back or the run ends), resubscribing from its positions: the events it
  missed are recovered by offset and checked like any other (lost, doubled, ``recovered: false``).
  Counted apart (``Totals.unplanned``, ``unplanned_back``), not as errors: the report says how many;
- **lost and doubled events**: each connection keeps its (epoch, offset) per channel; an event past
  the next offset is a hole (its missing events are lost), one at or before it a repeat. The tail is
  checked at the end: the parent compares every connection's last offset with the channel's.

Bounded: every worker stops by itself at its ``max_seconds`` and when its parent goes away (the
pipe closes); connections are to 127.0.0.1 only, as the parent's hub listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import msgspec
from websockets.exceptions import InvalidState

# Imported here, not when the casts start: importing the domain (hundreds of ms) inside the event
# loop would stall every connection's reading and show up as delivery lag.
from loadtest import proposal_crowd, table_crowd
from loadtest import voters as lt
from loadtest.bench_cast import Peer

RECONNECT_TRIES = 5
CONNECT_TRIES = 3  # a new seat's connect (``first_connect``)
SLOW_RCVBUF = 4096  # a slow reader's receive buffer, asked for before connecting (the kernel doubles it)


def ms_bucket(ms: float) -> int:
    """The histogram bucket of a latency: whole ms below one second, 10 ms steps above (the hub's
    clock in events is whole ms, so finer steps would claim a precision the lag does not have)."""
    if ms < 0:
        return 0
    return int(ms) if ms < 1000 else int(ms) // 10 * 10


def percentile(hist: Counter[int], q: float) -> float:
    """The q-th percentile (nearest rank) of a histogram of ``ms_bucket``s; NaN when empty."""
    total = sum(hist.values())
    if not total:
        return float("nan")
    rank = max(1, -(-q * total // 100))
    seen = 0
    for b in sorted(hist):
        seen += hist[b]
        if seen >= rank:
            return float(b)
    return float(max(hist))


@dataclass
class Second:
    """What one worker saw in one wall-clock second (``sec``: ``int(time.time())``). Counters add
    up across workers; the histograms merge by adding their buckets."""

    sec: int
    conns: int = 0  # connections open and authenticated at the end of the second
    events: int = 0
    lag: Counter[int] = field(default_factory=Counter)
    ack: Counter[int] = field(default_factory=Counter)
    casts: int = 0
    acks: int = 0
    chat: int = 0
    upvotes: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    results: int = 0  # connections that have received the vote's result (cumulative)

    def merge(self, other: Second) -> None:
        self.conns += other.conns
        self.events += other.events
        self.lag.update(other.lag)
        self.ack.update(other.ack)
        self.casts += other.casts
        self.acks += other.acks
        self.chat += other.chat
        self.upvotes += other.upvotes
        self.errors.update(other.errors)
        self.results += other.results


@dataclass
class Totals:
    """A worker's account at the end, for the parent's checks."""

    peers: int = 0
    connected: int = 0
    casts: int = 0
    acks: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    lost: int = 0  # events missing inside the stream (holes)
    doubled: int = 0
    gaps: int = 0
    results: int = 0
    min_turnout_events: int = 0
    last: dict[str, Counter[int]] = field(default_factory=dict)  # channel -> last offset -> peers
    receipts: dict[str, str] = field(default_factory=dict)  # participant -> tracking code
    cpu_s: float = 0.0
    not_recovered: int = 0  # resubscribes answered ``recovered: false`` (their missed events are lost)
    # the same per channel: resubscribes answered ``recovered: false`` and the events they missed (a
    # stateful channel's snapshot may make that right for its page: the tables scenario's overview)
    not_recovered_on: Counter[str] = field(default_factory=Counter)
    missed_on: Counter[str] = field(default_factory=Counter)
    cut: int = 0  # commands in flight when the scenario itself dropped the connection
    reconnected: int = 0
    retried: int = 0  # reconnect attempts that failed and were tried again (with backoff)
    catch_up: Counter[int] = field(default_factory=Counter)  # ms from the drop to every channel caught up
    unplanned: int = 0  # connections lost without the scenario dropping them
    unplanned_back: int = 0  # of those, back and resubscribed from their positions
    unplanned_catch_up: Counter[int] = field(default_factory=Counter)  # ms from the loss to caught up


class Meter:
    """One worker's per-second accounts."""

    def __init__(self) -> None:
        self.seconds: dict[int, Second] = {}
        self.totals = Totals()
        self.conns = 0
        self.flushed = 0  # the last second sent

    def now(self) -> Second:
        sec = int(time.time())
        s = self.seconds.get(sec)
        if s is None:
            s = self.seconds[sec] = Second(sec)
        return s

    def error(self, name: str) -> None:
        self.now().errors[name] += 1
        self.totals.errors[name] += 1

    def done(self, final: bool = False) -> list[Second]:
        """The seconds that are over (every one when ``final``), each with the connections open;
        the last second is there even when nothing happened in it (the connections over time)."""
        cur = int(time.time())
        if cur - 1 > self.flushed and cur - 1 not in self.seconds:
            self.seconds[cur - 1] = Second(cur - 1)
        out = [s for sec, s in sorted(self.seconds.items()) if final or sec < cur]
        if out:
            self.flushed = out[-1].sec
        for s in out:
            del self.seconds[s.sec]
            s.conns = self.conns
            s.results = self.totals.results
        return out


class SeenEvent(msgspec.Struct):
    """An event as a reader checks it: where it stands and when it was published. Its payload is
    not decoded (msgspec skips the fields a struct does not name): a received event's Python path
    took 2.6-2.7 µs decoding it whole into dicts, 1.7-1.9 µs so, of the 8-9 µs of the generator's
    CPU an event (the rest is the kernel's and the frame walk's), and a generator with no time left
    measures its own wait (docs/performance.md, "the scenarios on the slower machine")."""

    channel: str
    epoch: str
    offset: int
    time: int
    event: str


class SeenFrame(msgspec.Struct):
    """A frame from the hub as far as a reader of events needs it: one event, a batch of them, or
    another kind (a reply, an error, a gap), which is then decoded whole."""

    type: str
    events: list[SeenEvent] = []
    channel: str = ""
    epoch: str = ""
    offset: int = 0
    time: int = 0
    event: str = ""


_SEEN = msgspec.msgpack.Decoder(SeenFrame)


def seen_events(data: bytes) -> list[SeenEvent] | list[SeenFrame] | None:
    """The events of a frame read as :class:`SeenFrame` (a lone event is its own frame); None for
    any other kind, or a frame the struct cannot read: the caller decodes it whole, which tells
    (and counts) what it is."""
    try:
        f = _SEEN.decode(data)
    except msgspec.ValidationError:
        return None
    if f.type == "batch":
        return f.events
    return [f] if f.type == "event" else None


class SwarmPeer(Peer):
    """A panelist's connection that follows channels: every event's lag is measured and its offset
    checked against the last one on its channel (protocol.md §7); a ``gap`` is counted and answered
    with a subscribe from the connection's own position, whose recovered events go through the same
    check. Replies resolve the futures of ``Peer.call``/``prepare`` as in ``bench_cast``."""

    def __init__(self, url: str, participant: str, token: str, meter: Meter) -> None:
        super().__init__(url, participant, token)
        self.meter = meter
        self.pos: dict[str, tuple[str, int]] = {}
        self.turnouts = 0
        self.result = False
        self.voted_on: set[int] = set()
        self.wall_ms = 0.0
        self.live = False  # connected and subscribed: the senders may use it
        self.dropping = False  # the scenario drops it on purpose: what fails then is no error
        self.rcvbuf = 0  # SO_RCVBUF before connecting (0: the kernel's autotuning)
        self.watch: Callable[[dict[str, Any]], None] | None = None  # sees every new event (proposals)

    async def connect(self) -> None:
        """As ``Peer.connect``; with ``rcvbuf`` set, on a socket whose receive buffer is that small
        (set before the handshake, so that the window the hub sees is small from the start: a
        reader that stops fills it in seconds, not minutes)."""
        if not self.rcvbuf:
            return await super().connect()
        import socket

        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
            sock.setblocking(False)
            await loop.sock_connect(sock, (self.uri.host, self.uri.port))
        except BaseException:
            sock.close()
            raise
        await loop.create_connection(lambda: self, sock=sock)
        await asyncio.wait_for(self.opened, 60)
        _, reply = await self.call({"type": "hello", "token": self.token, "client": "swarm/1"})
        if reply["type"] != "reply":
            raise RuntimeError(f"hello refused for {self.participant}: {reply}")

    def successor(self, url: str | None = None) -> SwarmPeer:
        """A new connection for the same panelist that carries on from this one's positions (what a
        client keeps across a reconnect, protocol.md §7); to ``url`` when given (another hub)."""
        p = SwarmPeer(url or self.url, self.participant, self.token, self.meter)
        p.pos, p.turnouts, p.result, p.voted_on, p.rcvbuf, p.watch = (
            dict(self.pos),
            self.turnouts,
            self.result,
            self.voted_on,
            self.rcvbuf,
            self.watch,
        )
        return p

    def data_received(self, data: bytes) -> None:
        """``Peer``'s: its own walk of the hub's frames once the handshake is done (websockets'
        parser would saturate the generator before the hub: 3,000 followers of a busy chat receive
        over 100,000 frames a second); each read's wall time kept for the events' lag."""
        self.wall_ms = time.time() * 1000
        super().data_received(data)

    def _odd_frame(self, frame: Any) -> None:
        self.meter.error(f"unexpected frame (opcode {frame.opcode.value}, fin {int(frame.fin)})")

    def _message(self, now: float, data: bytes) -> None:
        # a watcher sees whole events: a watched connection decodes every frame whole
        seen = seen_events(data) if self.watch is None else None
        if seen is not None:
            for e in seen:
                self._event(e.channel, e.epoch, e.offset, e.time, e.event, None)
            return
        msg = self._decode(data)
        kind = msg.get("type")
        if kind == "event":
            self._seen(msg)
        elif kind == "batch":
            for e in msg["events"]:
                self._seen(e)
        elif kind == "reply" or kind == "error":
            result = msg.get("result")
            if kind == "reply" and isinstance(result, dict) and "recovered" in result:
                self._subscribed(result)
                if result.get("more"):
                    return  # a reply in parts: the command is answered by its last part
            fut = self.pending.pop(msg.get("id"), None)
            if fut is not None and not fut.done():
                fut.set_result((now, msg))
        elif kind == "gap":
            self.meter.totals.gaps += 1
            self.meter.error("gap")
            self.resubscribe(msg["channel"])

    def _subscribed(self, r: dict[str, Any]) -> None:
        """Set before any live event of the channel is read (the hub sends the reply first, and the
        events may follow in the same read, before the awaiting coroutine runs)."""
        ch = r["channel"]
        if ch in self.pos and r["recovered"]:
            for e in r["events"]:
                self._seen(e)
        elif ch in self.pos and not r.get("more"):
            # A fresh start where the client asked to catch up: every event between its position
            # and the reply's offset is one it will never see.
            epoch, last = self.pos[ch]
            missed = max(0, r["offset"] - last) if epoch == r["epoch"] else 0
            self.meter.totals.not_recovered += 1
            self.meter.totals.lost += missed
            self.meter.totals.not_recovered_on[ch] += 1
            self.meter.totals.missed_on[ch] += missed
            self.meter.error("resubscribe not recovered")
        if not r.get("more"):
            epoch, last = self.pos.get(ch, ("", 0))
            self.pos[ch] = (r["epoch"], max(last, r["offset"]) if epoch == r["epoch"] else r["offset"])

    def _seen(self, e: dict[str, Any]) -> None:
        """An event decoded whole (a recovered one, or any on a watched connection)."""
        self._event(e["channel"], e["epoch"], e["offset"], e["time"], e["event"], e)

    def _event(self, ch: str, epoch: str, off: int, at: int, name: str, e: dict[str, Any] | None) -> None:
        """Count an event: its lag, and its offset against the channel's last (lost, doubled).
        ``e``: the whole event, for the watcher (None when it was not decoded whole)."""
        sec = self.meter.now()
        sec.events += 1
        sec.lag[ms_bucket(self.wall_ms - at)] += 1
        pos = self.pos.get(ch)
        if pos is None or pos[0] != epoch:
            self.meter.error("event outside a subscription")
            return
        last = pos[1]
        if off <= last:
            self.meter.totals.doubled += 1
            return
        if off > last + 1:
            self.meter.totals.lost += off - last - 1
        self.pos[ch] = (pos[0], off)
        if name == "vote.turnout":
            self.turnouts += 1
        elif name == "vote.published" and not self.result:
            self.result = True
            self.meter.totals.results += 1
        if self.watch is not None and e is not None:
            self.watch(e)

    def resubscribe(self, channel: str) -> None:
        epoch, last = self.pos.get(channel, (None, None))
        self.command({"type": "subscribe", "channel": channel, "epoch": epoch, "offset": last}, "subscribe")

    def command(
        self, cmd: dict[str, Any], what: str, on_reply: Callable[[float, dict[str, Any]], None] | None = None
    ) -> float:
        """Send ``cmd`` now; its error reply (or a lost connection) is counted under ``what``,
        its reply handed to ``on_reply``. Returns the send instant (``perf_counter``)."""
        frame, fut = self.prepare(cmd)
        meter = self.meter

        def done(f: asyncio.Future[tuple[float, dict[str, Any]]]) -> None:
            if f.cancelled():
                return
            if f.exception() is not None:
                # In flight when the connection went (dropped on purpose or lost): its outcome is
                # unknown to this client, which would send it again with its nonce. Not an error;
                # the loss itself is counted (``Worker._dropped``).
                meter.totals.cut += 1
                return
            at, msg = f.result()
            if msg["type"] != "reply":
                meter.error(f"{what}: {msg.get('name')}")
            elif on_reply is not None:
                on_reply(at, msg)

        fut.add_done_callback(done)
        t = time.perf_counter()
        if self.transport is None or self.transport.is_closing():
            fut.set_exception(ConnectionError("closed"))
            return t
        self.send(frame)
        return t


@dataclass
class WorkerSpec:
    """One worker's share: its panelists (participant id, token), the channels they follow, the
    meeting of the chat and Q&A, the core it runs on, and its bound.

    ``urls``: the hubs, the worker's panelists spread over them in turn (default: ``url`` alone).
    ``initial``: how many of ``seats`` connect at the start (None: all; the rest on ``grow``).
    ``slow_every``: every k-th seat is a slow reader (0: none): a small receive buffer, its own
    accounts (``group: "slow"``), never a sender; it stops reading on ``pause``."""

    index: int
    url: str
    seats: list[tuple[str, str]]
    channels: list[str]
    meeting: str
    core: int | None = None
    max_seconds: float = 150.0
    connect_concurrency: int = 200
    urls: tuple[str, ...] = ()
    initial: int | None = None
    slow_every: int = 0
    slow_rcvbuf: int = SLOW_RCVBUF
    # proposals: each seat's own channels (participant -> channels; default ``channels``) and topic
    # meeting (participant -> meeting)
    seat_channels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    seat_meetings: dict[str, str] = field(default_factory=dict)


class Worker:
    """Runs in the worker process: connect, then obey the parent's commands (``go``, ``cast``,
    ``proposals``, ``tables``, ``table-step``, ``drop``, ``grow``, ``pause``, ``resume``, ``quiet``,
    ``finish``) while a ticker sends the
    seconds that are over."""

    def __init__(self, spec: WorkerSpec, pipe: Connection) -> None:
        self.spec = spec
        self.pipe = pipe
        self.meter = Meter()
        self.slow_meter = Meter()
        self.peers: list[SwarmPeer] = []  # the readers: they send, and their lag is the measure
        self.slow: list[SwarmPeer] = []
        self.next_seat = 0
        self.tasks: list[asyncio.Task[None]] = []
        self.returning: dict[int, asyncio.Task[None]] = {}  # id(peer) -> its unplanned reconnect
        self.returning_sem = asyncio.Semaphore(spec.connect_concurrency)  # their handshakes in flight
        self.paused = False  # the slow readers stopped reading (``pause``): one back stops too
        self.finished = asyncio.Event()
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.crowd: proposal_crowd.Crowd | None = None  # the proposals scenario's (``op: "proposals"``)
        self.tables: table_crowd.TableCrowd | None = None  # the tables scenario's (``op: "tables"``)

    def send(self, msg: dict[str, Any]) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.pipe.send(msg)

    def _readable(self) -> None:
        try:
            msg = self.pipe.recv()
        except (EOFError, OSError):
            msg = {"op": "finish", "parent_gone": True}
        self.inbox.put_nowait(msg)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_reader(self.pipe.fileno(), self._readable)
        # uvloop's add_reader made the pipe non-blocking: a message larger than the socket's buffer
        # (the tables scenario's plan, 100 KB at 3,000 seats) would then be read in part, raise
        # BlockingIOError and end the worker as if its parent had gone. Readable means a message
        # is arriving, and the parent writes it whole: waiting for its rest is right.
        os.set_blocking(self.pipe.fileno(), True)
        ticker = asyncio.create_task(self.tick())
        try:
            await self.connect()
            gc.collect()
            gc.freeze()  # the connections' objects stay out of every later collection
            while True:
                msg = await self.inbox.get()
                op = msg["op"]
                if op == "go":
                    self.tasks.append(
                        asyncio.create_task(
                            self.chat(msg["chat_rate"], msg["seed"], msg.get("chat_chars", 0))
                        )
                    )
                    self.tasks.append(
                        asyncio.create_task(self.upvotes(msg["upvote_rate"], msg["questions"], msg["seed"]))
                    )
                elif op == "cast":
                    self.tasks.append(
                        asyncio.create_task(
                            self.cast(msg["vote"], msg["window"], msg["proposals"], msg["seed"])
                        )
                    )
                elif op == "proposals":
                    self.crowd = proposal_crowd.Crowd(self, msg["plan"], self.spec.seat_meetings, ms_bucket)
                    self.tasks.append(asyncio.create_task(self.crowd.run()))
                elif op == "tables":
                    self.tables = table_crowd.TableCrowd(self, msg["plan"], ms_bucket)
                elif op == "table-step" and self.tables is not None:
                    self.tasks.append(asyncio.create_task(self.tables.step(msg["n"], msg["seconds"])))
                elif op == "drop":
                    self.tasks.append(
                        asyncio.create_task(self.storm(msg.get("share", 1.0), msg.get("seed", 0)))
                    )
                elif op == "grow":
                    await self.grow(msg["n"])
                elif op == "pause":
                    self.paused = True
                    for p in self.slow:
                        if p.transport is not None and not p.transport.is_closing():
                            p.transport.pause_reading()
                elif op == "resume":
                    self.paused = False
                    for p in self.slow:
                        if p.transport is not None and not p.transport.is_closing():
                            p.transport.resume_reading()
                elif op == "quiet":
                    await self.quieten(msg["within"])
                elif op == "finish":
                    if msg.get("parent_gone"):
                        return
                    await self.finish(msg["final"], msg["catch_up"])
                    return
        finally:
            ticker.cancel()
            for t in [*self.tasks, *self.returning.values()]:
                t.cancel()
            loop.remove_reader(self.pipe.fileno())
            await asyncio.gather(*(p.close() for p in self.peers + self.slow), return_exceptions=True)

    async def subscribe_all(
        self, p: SwarmPeer, sem: asyncio.Semaphore, what: str, count_error: bool = True
    ) -> bool:
        """Connect ``p`` and follow every channel, from its positions when it has some (a
        reconnect); a failure is an error counted under ``what`` (unless ``count_error`` is False:
        a reconnect that will be tried again). True when it is live."""
        async with sem:
            try:
                await p.connect()
                replies = await asyncio.gather(
                    *(
                        p.call(
                            {
                                "type": "subscribe",
                                "channel": ch,
                                "epoch": p.pos[ch][0],
                                "offset": p.pos[ch][1],
                            }
                        )
                        if ch in p.pos
                        else p.call({"type": "subscribe", "channel": ch})
                        for ch in self.spec.seat_channels.get(p.participant, self.spec.channels)
                    )
                )
            except (OSError, ConnectionError, RuntimeError, TimeoutError, InvalidState) as err:
                if count_error:
                    p.meter.error(f"{what}: {type(err).__name__}")
                if p.transport is not None:
                    p.transport.abort()
                return False
        bad = [m for _, m in replies if m["type"] != "reply"]
        if bad:
            if count_error:
                p.meter.error(f"subscribe: {bad[0].get('name')}")
            p.transport.abort()  # not followed, not counted: closed, so that a retry is the only one
            return False
        p.meter.conns += 1
        p.live = True
        p.lost.add_done_callback(lambda _f, p=p: self._dropped(p))
        return True

    async def first_connect(
        self, p: SwarmPeer, sem: asyncio.Semaphore, tries: int = CONNECT_TRIES
    ) -> SwarmPeer | None:
        """``subscribe_all`` for a new seat, tried again on a fresh connection after a failure
        (0.5 s, doubling) as a client does and as a reconnect wave's are (``RECONNECT_TRIES``): on
        a machine loaded by others a handshake can fail once without the hub being at fault. Only
        the last failure counts as an error. Returns the live peer, or None."""
        for attempt in range(tries):
            last = attempt == tries - 1
            if await self.subscribe_all(p, sem, "connect", count_error=last):
                return p
            if not last:
                await asyncio.sleep(0.5 * 2**attempt)
                p = p.successor()
        return None

    async def add(self, seats: list[tuple[str, str]]) -> int:
        """Connect ``seats`` (the next ones of the spec), each following every channel; returns
        how many are live."""
        sem = asyncio.Semaphore(self.spec.connect_concurrency)
        urls = self.spec.urls or (self.spec.url,)
        fresh: list[SwarmPeer] = []
        for k, (pid, tok) in enumerate(seats, start=self.next_seat):
            slow = self.spec.slow_every > 0 and k % self.spec.slow_every == 0
            p = SwarmPeer(urls[k % len(urls)], pid, tok, self.slow_meter if slow else self.meter)
            if slow:
                p.rcvbuf = self.spec.slow_rcvbuf
            fresh.append(p)
        self.next_seat += len(seats)
        for p in fresh:
            p.meter.totals.peers += 1
        ok = await asyncio.gather(*(self.first_connect(p, sem) for p in fresh))
        for live in ok:
            if live is not None:
                live.meter.totals.connected += 1
                (self.slow if live.meter is self.slow_meter else self.peers).append(live)
        return sum(live is not None for live in ok)

    async def connect(self) -> None:
        n = len(self.spec.seats) if self.spec.initial is None else self.spec.initial
        await self.add(self.spec.seats[:n])
        self.send({"op": "ready", "connected": self.meter.totals.connected + self.slow_meter.totals.connected,
                   "peers": self.meter.totals.peers + self.slow_meter.totals.peers})  # fmt: skip

    async def grow(self, n: int) -> None:
        """``n`` more connections (capacity's ramp); the parent hears how many are live in all."""
        t0 = time.perf_counter()
        seats = self.spec.seats[self.next_seat : self.next_seat + n]
        live = await self.add(seats)
        self.send(
            {"op": "grown", "asked": len(seats), "live": live, "seconds": time.perf_counter() - t0,
             "connected": len(self.peers) + len(self.slow)}
        )  # fmt: skip

    async def storm(self, share: float = 1.0, seed: int = 0) -> None:
        """Every connection (``share`` < 1: that share of them, drawn with ``seed``; the soak's
        reconnects every minute) drops at once (aborted: no closing handshake, as when a network goes)
        and comes back as a new connection resubscribing from its positions, as protocol.md says
        a client reconnects (a random wait up to 0.5 s, doubling on a failure). A panelist
        is caught up when every channel's reply (the missed events) is in: the time from the drop
        to then is its catch-up time. The parent hears when all are back."""
        t0 = time.perf_counter()
        live = list(range(len(self.peers)))
        if share < 1.0:  # of those live now (not one still coming back from the last wave)
            up = [i for i in live if self.peers[i].live]
            live = sorted(random.Random(seed * 7_727 + self.spec.index).sample(up, round(share * len(up))))
        old = [self.peers[i] for i in live]
        returning = {i for i, p in zip(live, old, strict=True) if id(p) in self.returning}
        if returning:  # already coming back on their own (an unplanned loss): not twice
            live = [i for i in live if i not in returning]
            old = [self.peers[i] for i in live]
        for p in old:
            p.live = False
            p.dropping = True
            if p.transport is not None:
                p.transport.abort()
        sem = asyncio.Semaphore(self.spec.connect_concurrency)
        totals = self.meter.totals

        rng = random.Random(self.spec.index)

        async def back(i: int, p: SwarmPeer) -> None:
            # protocol.md "Reconnecting": full jitter, the first wait within 0.5 s, doubling.
            delay = 0.5
            for attempt in range(RECONNECT_TRIES):
                await asyncio.sleep(rng.uniform(0, delay))
                q = self.peers[i] = p.successor()
                last = attempt == RECONNECT_TRIES - 1
                if await self.subscribe_all(q, sem, "reconnect", count_error=last):
                    totals.reconnected += 1
                    totals.catch_up[ms_bucket((time.perf_counter() - t0) * 1000)] += 1
                    return
                totals.retried += 1
                delay = min(30.0, delay * 2)

        await asyncio.gather(*(back(i, p) for i, p in zip(live, old, strict=True)))
        self.send({"op": "reconnected", "n": totals.reconnected, "of": len(old)})

    def _dropped(self, p: SwarmPeer) -> None:
        p.live = False
        if self.finished.is_set():
            return
        p.meter.conns -= 1
        if p.dropping:
            return  # the scenario's own drop: ``storm`` brings it back
        p.meter.totals.unplanned += 1
        self.returning[id(p)] = asyncio.create_task(self._return(p, time.perf_counter()))
        self._report_unplanned()

    async def _return(self, p: SwarmPeer, lost_at: float) -> None:
        """Bring back a connection lost without the scenario dropping it, as a client does
        (protocol.md "Reconnecting": full jitter, the first wait within 0.5 s, doubling up to 30 s,
        for as long as the run lasts), each try after a failure on the next hub of the worker's
        (a client behind a balancer lands on a living one). It resubscribes from its positions:
        what it missed comes by offset, checked as every event is."""
        group = self.slow if p.meter is self.slow_meter else self.peers
        urls = list(self.spec.urls or (self.spec.url,))
        at = urls.index(p.url) if p.url in urls else 0
        rng = random.Random(hash((self.spec.index, p.participant)))
        delay, tries = 0.5, 0
        try:
            while not self.finished.is_set():
                await asyncio.sleep(rng.uniform(0, delay))
                i = next((k for k, q in enumerate(group) if q is p), None)
                if i is None:
                    return  # replaced meanwhile
                q = p.successor(urls[(at + tries) % len(urls)])
                q.dropping = False
                if await self.subscribe_all(q, self.returning_sem, "unplanned reconnect", count_error=False):
                    group[i] = q
                    if group is self.slow and self.paused and q.transport is not None:
                        q.transport.pause_reading()
                    t = p.meter.totals
                    t.unplanned_back += 1
                    t.unplanned_catch_up[ms_bucket((time.perf_counter() - lost_at) * 1000)] += 1
                    self._report_unplanned()
                    return
                tries += 1
                p.meter.totals.retried += 1
                delay = min(30.0, delay * 2)
        finally:
            self.returning.pop(id(p), None)

    def _report_unplanned(self) -> None:
        """The parent hears every loss and every return (``Swarm.unplanned``)."""
        t, s = self.meter.totals, self.slow_meter.totals
        self.send(
            {
                "op": "unplanned",
                "lost": t.unplanned + s.unplanned,
                "back": t.unplanned_back + s.unplanned_back,
            }
        )

    async def tick(self) -> None:
        while True:
            await asyncio.sleep(1.0 - time.time() % 1.0 + 0.01)
            for s in self.meter.done():
                self.send({"op": "second", "second": s})
            for s in self.slow_meter.done():
                self.send({"op": "second", "second": s, "group": "slow"})

    async def paced(self, rate: float, step: Callable[[int], None]) -> None:
        """Call ``step(k)`` ``rate`` times a second, on a schedule (late steps catch up at once)."""
        if rate <= 0:
            return
        t0 = time.perf_counter()
        k = 0
        while True:
            delay = t0 + k / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            step(k)
            k += 1

    async def chat(self, rate: float, seed: int, chars: int = 0) -> None:
        """``rate`` messages a second, the senders in turn (each panelist far under the chat limit
        of 5 per 10 s when the parent gives a worker enough of them); ``chars``: each message
        padded to about that many characters (slow-readers: bytes that fill a stopped reader)."""
        peers, meeting, w = self.peers, self.spec.meeting, self.spec.index
        pad = (" 예산 배분에 대한 시민의 의견입니다" * (chars // 18 + 1))[:chars]

        def step(k: int) -> None:
            if not peers:
                return
            p = peers[k % len(peers)]
            if not p.live:
                return  # reconnecting (reconnect-storm): its turn passes
            text = f"swarm {w}.{k}: 시민총회 의견 {k % 97}{pad}"
            p.command(
                {"type": "chat.send", "meeting": meeting, "text": text, "nonce": f"s{seed}w{w}k{k:08d}"},
                "chat.send",
            )
            self.meter.now().chat += 1

        await self.paced(rate, step)

    async def upvotes(self, rate: float, questions: list[int], seed: int) -> None:
        """``rate`` Q&A votes a second: each in turn upvotes a question it has not voted for, or
        withdraws its vote when it has voted for all of them (so every one changes the count and
        publishes a ``qa.voted`` event)."""
        peers, meeting = self.peers, self.spec.meeting
        rng = random.Random(seed * 7919 + self.spec.index)

        def step(k: int) -> None:
            if not peers or not questions:
                return
            p = peers[k % len(peers)]
            if not p.live:
                return
            todo = [q for q in questions if q not in p.voted_on]
            if todo:
                q = rng.choice(todo)
                p.voted_on.add(q)
                p.command({"type": "qa.upvote", "meeting": meeting, "question": q}, "qa.upvote")
            else:
                q = rng.choice(questions)
                p.voted_on.discard(q)
                p.command({"type": "qa.unvote", "meeting": meeting, "question": q}, "qa.unvote")
            self.meter.now().upvotes += 1

        await self.paced(rate, step)

    async def cast(self, vote: str, window: float, proposals: list[str], seed: int) -> None:
        """Every panelist of this worker casts once, at a uniformly random instant of ``window``;
        one whose connection is coming back from an unplanned loss casts once it is back (within
        30 s), as a person would."""
        rng = random.Random(seed * 104_729 + self.spec.index)
        plan = sorted((rng.uniform(0, window), i) for i in range(len(self.peers)))
        t0 = time.perf_counter()
        meter = self.meter

        def send(i: int) -> None:
            p = self.peers[i]
            cmd = {
                "type": "vote.cast",
                "vote": vote,
                "ranking": lt.ranking(seed * 100_003 + self.spec.index * 10_000 + i, proposals),
                "nonce": f"c{seed}x{p.participant}",
            }
            sent: list[float] = []

            def acked(at: float, msg: dict[str, Any], p: SwarmPeer = p, sent: list[float] = sent) -> None:
                sec = meter.now()
                sec.acks += 1
                sec.ack[ms_bucket((at - sent[0]) * 1000)] += 1
                meter.totals.acks += 1
                meter.totals.receipts[p.participant] = msg["result"]["tracking_code"]

            sent.append(p.command(cmd, "vote.cast", acked))
            meter.now().casts += 1
            meter.totals.casts += 1

        async def when_back(i: int) -> None:
            deadline = time.perf_counter() + 30
            while not self.peers[i].live and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
            send(i)

        for at, i in plan:
            delay = t0 + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            p = self.peers[i]
            if p.live or id(p) not in self.returning:
                send(i)
            else:
                self.tasks.append(asyncio.create_task(when_back(i)))

    def quiet(self) -> None:
        """Stop sending: chat, Q&A votes and casts not yet sent."""
        for task in self.tasks:
            task.cancel()

    async def quieten(self, within: float) -> None:
        """Stop sending and wait (at most ``within`` s) for every reply still due: after that, the
        hub publishes nothing more for this worker, so the channels' last offsets are final."""
        self.quiet()
        deadline = time.monotonic() + within
        while any(p.pending for p in self.peers) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.send({"op": "quiet"})

    async def finish(self, final: dict[str, int], catch_up: float) -> None:
        """Wait (at most ``catch_up`` s) for the replies still due and for every live connection
        to reach each channel's ``final`` offset (what Redis holds once the senders stopped), then
        report the totals (the slow readers' apart and first, ``group: "slow"``): what is still missing then
        counts as lost, on a connection that died too."""
        self.quiet()
        deadline = time.monotonic() + catch_up
        everyone = self.peers + self.slow

        def behind() -> bool:
            return any(p.pending for p in everyone if p.live) or any(
                p.pos.get(ch, ("", off))[1] < off for p in everyone if p.live for ch, off in final.items()
            )

        while behind() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        for p in everyone:
            for fut in p.pending.values():
                if not fut.done():
                    p.meter.error("no reply")
            p.pending.clear()
        self.finished.set()
        if self.crowd is not None:
            self.send({"op": "crowd", "totals": self.crowd.close()})
        if self.tables is not None:
            self.send({"op": "crowd", "totals": self.tables.close()})
        for group, meter, peers in (("slow", self.slow_meter, self.slow), ("", self.meter, self.peers)):
            t = meter.totals
            t.min_turnout_events = min((p.turnouts for p in peers), default=0)
            for p in peers:
                for ch, (_, last) in p.pos.items():
                    t.last.setdefault(ch, Counter())[last] += 1
            t.cpu_s = time.process_time()
            for s in meter.done(final=True):
                self.send({"op": "second", "second": s, "group": group})
            if group == "" or peers or t.peers:
                self.send({"op": "totals", "totals": t, "group": group})


def worker_main(spec: WorkerSpec, pipe: Connection) -> None:
    """The worker process' entry (``multiprocessing``): pinned to its core, bounded in time."""
    if spec.core is not None:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {spec.core})

    async def bounded() -> None:
        worker = Worker(spec, pipe)
        try:
            await asyncio.wait_for(worker.run(), spec.max_seconds)
        except TimeoutError:
            worker.send({"op": "timeout"})

    try:
        import uvloop

        uvloop.run(bounded())
    except ImportError:
        asyncio.run(bounded())
