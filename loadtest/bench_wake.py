"""The floor under a cast's CPU: what a bare uvloop server pays per message when each message wakes
it, at the rates a plenary sends (docs/performance.md, "Issue 11: what a cast costs at 3,000 a
second, and why").

Run: ``python -m loadtest.bench_wake [--rates 1500,3000,6000,12000,24000] [--messages 6000]
[--connections 300] [--repeats 3] [--json out.json]`` (about half a minute).

Why: the hub's CPU per cast measured by ``loadtest.bench_cast`` falls as the casts come faster
(about 55 µs spread over 0.25 s, 120-150 µs over 1 s, more over 2 s), although each cast does the
same work. This separates what any event-loop server pays per wake-up on this machine from what
the hub's own code costs: a server process (``asyncio.Protocol`` on uvloop, as the hub runs) that
echoes each 8-byte message back at once, over ``--connections`` loopback TCP connections, with the
messages sent at a steady rate from this process, round robin over the connections, like 3,000
panelists casting over a second. Reported: the server's CPU per message (``/proc`` schedstat, all
its threads) at each rate, median [min-max] over ``--repeats``, and its wake-ups per message
(``voluntary_ctxt_switches``: each one a sleep in ``epoll_wait`` ended by a message).

``--shape cast``: the skeleton of a cast instead of an echo, the least any server must do for the
plenary's vote, and nothing else (no frame, no decode, no check, no receipt). Each message joins a
batch; the batch leaves ``--pace`` (the hub's ``cast_pace``) after its first message as one
Redis command (``SET``, RESP written by hand on a raw unix-socket connection to an embedded
redis-server on the other core); when Redis answers, each message of the batch gets its 8-byte
reply; and once a second, if anything was cast in it, every connection gets a 40-byte "turnout"
write (the hub's turnout event to every follower). With ``--connections 3000`` (the default for this
shape) every panelist follows. The hub's CPU per cast (``bench_cast``) minus this is what the hub's
own Python costs; this alone against the target (60 µs) is how much room that Python has.

Placement (2 cores): the server on the first core, this process (and Redis) on the second, as the
hub and its load in ``bench_cast``. Loopback only; every run is bounded (``--max-seconds``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import cast

from loadtest.bench_cast import (
    embedded_redis,
    free_port,
    pin,
    pin_prefix,
    proc_cpu,
    spread,
    stop_process,
    two_cores,
)
from realtime.config import Settings

SIZE = 8  # bytes a message: the server's work is the wake, the read and the write, nothing else


class _Echo(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's, no subclass of asyncio's

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


REPLY = b"x" * SIZE  # a cast's reply (the load counts these bytes)
TURNOUT = b"T" * 40  # a turnout event to every follower, about the hub's frame


class _Store(asyncio.Protocol):
    """One Redis connection: a batch's command out, its reply in (one line each, ``+OK``), in order."""

    def __init__(self) -> None:
        self.waiting: deque[list[asyncio.Transport]] = deque()
        self.tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def send(self, batch: list[asyncio.Transport]) -> None:
        value = b"x" * (SIZE * len(batch))
        self.transport.write(b"*3\r\n$3\r\nSET\r\n$4\r\nwake\r\n$%d\r\n%s\r\n" % (len(value), value))
        self.waiting.append(batch)

    def data_received(self, data: bytes) -> None:
        data = self.tail + data
        answered = data.count(b"\r\n")
        self.tail = data[data.rfind(b"\r\n") + 2 :] if answered else data
        for _ in range(answered):
            for transport in self.waiting.popleft():
                transport.write(REPLY)


class _Skeleton:
    """The cast's least work: batch, one command per batch, the replies, the turnout once a second."""

    def __init__(self, store: _Store, pace: float) -> None:
        self.store, self.pace = store, pace
        self.loop = asyncio.get_running_loop()
        self.followers: set[asyncio.Transport] = set()
        self.batch: list[asyncio.Transport] = []
        self.cast_since_turnout = False
        self.loop.call_later(1.0, self.turnout)

    def take(self, transport: asyncio.Transport, n: int) -> None:
        if not self.batch:
            self.loop.call_later(self.pace, self.flush)
        self.batch.extend([transport] * n)
        self.cast_since_turnout = True

    def flush(self) -> None:
        batch, self.batch = self.batch, []
        self.store.send(batch)

    def turnout(self) -> None:
        self.loop.call_later(1.0, self.turnout)
        if self.cast_since_turnout:
            self.cast_since_turnout = False
            for transport in self.followers:
                transport.write(TURNOUT)


class _Caster(asyncio.Protocol):
    def __init__(self, skeleton: _Skeleton) -> None:
        self.skeleton = skeleton

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.skeleton.followers.add(self.transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.skeleton.followers.discard(self.transport)

    def data_received(self, data: bytes) -> None:
        self.skeleton.take(self.transport, len(data) // SIZE)


async def _serve(port: int, redis_socket: str | None, pace: float) -> None:
    loop = asyncio.get_running_loop()
    if redis_socket is None:
        server = await loop.create_server(_Echo, "127.0.0.1", port)
    else:
        _t, store = await loop.create_unix_connection(_Store, redis_socket)
        skeleton = _Skeleton(store, pace)
        server = await loop.create_server(lambda: _Caster(skeleton), "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def serve(port: int, redis_socket: str | None = None, pace: float = Settings.cast_pace) -> None:
    """The server process: echo on ``port`` (or, given Redis' socket, the cast's skeleton) until
    stopped."""
    import uvloop

    uvloop.run(_serve(port, redis_socket, pace))


def wakeups(pid: int) -> int:
    """Times process ``pid`` went to sleep of its own (``voluntary_ctxt_switches``, all threads)."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])
    return 0


@dataclass
class Run:
    rate: float
    repeat: int
    messages: int
    seconds: float
    cpu_us: float  # the server's CPU per message
    wakeups: float  # the server's voluntary sleeps per message
    shape: str  # the server's work: echo, or the cast's skeleton


async def one_rate(port: int, pid: int, rate: float, n: int, conns: int, repeat: int, shape: str) -> Run:
    """Send ``n`` messages at ``rate`` per second, round robin over ``conns`` connections, and wait
    for every echo; the server's CPU and wake-ups meanwhile."""
    loop = asyncio.get_running_loop()
    got = 0
    done: asyncio.Future[None] = loop.create_future()

    class Peer(asyncio.Protocol):
        def data_received(self, data: bytes) -> None:
            nonlocal got
            got += data.count(b"x") // SIZE  # the replies; the skeleton's turnout writes are "T"s
            if got >= n and not done.done():
                done.set_result(None)

    transports: list[asyncio.Transport] = []
    for _ in range(conns):
        transport, _peer = await loop.create_connection(Peer, "127.0.0.1", port)
        transports.append(transport)
    await asyncio.sleep(0.3)  # the connections settled: the server idle again
    cpu0, wake0, t0 = proc_cpu(pid), wakeups(pid), time.perf_counter()
    period = 1.0 / rate
    message = b"x" * SIZE
    for i in range(n):
        wait = t0 + i * period - time.perf_counter()
        if wait > 0.0005:  # sleeps shorter than this overshoot; those messages go a little early
            await asyncio.sleep(wait)
        transports[i % conns].write(message)
    await asyncio.wait_for(done, 30)
    seconds = time.perf_counter() - t0
    cpu, woke = proc_cpu(pid) - cpu0, wakeups(pid) - wake0
    for transport in transports:
        transport.close()
    return Run(rate, repeat, n, seconds, cpu / n * 1e6, woke / n, shape)


async def measure(a: argparse.Namespace, port: int, pid: int) -> list[Run]:
    runs: list[Run] = []
    for repeat in range(a.repeats):
        for rate in a.rates:  # interleaved: every rate in each repeat
            run = await one_rate(port, pid, rate, a.messages, a.connections, repeat, a.shape)
            print(
                f"[bench_wake] {a.shape}, rate {rate:,.0f}/s: server CPU {run.cpu_us:.1f} µs/message,"
                f" {run.wakeups:.2f} wake-ups/message, {run.seconds:.2f} s",
                file=sys.stderr,
                flush=True,
            )
            runs.append(run)
    return runs


def report(runs: list[Run]) -> str:
    lines = [
        "| messages/s | server CPU µs/message | wake-ups/message |",
        "|---|---|---|",
    ]
    for rate in sorted({r.rate for r in runs}):
        mine = [r for r in runs if r.rate == rate]
        lines.append(
            f"| {rate:,.0f} | {spread([r.cpu_us for r in mine], 1)}"
            f" | {statistics.median(r.wakeups for r in mine):.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m loadtest.bench_wake", description=__doc__.split("\n")[0])
    ap.add_argument(
        "--rates", type=lambda s: [float(x) for x in s.split(",")], default=[1500, 3000, 6000, 12000, 24000]
    )
    ap.add_argument("--shape", choices=["echo", "cast"], default="echo", help="the server's work (echo)")
    ap.add_argument(
        "--pace",
        type=float,
        default=Settings.cast_pace,
        help=f"cast shape: a batch's wait, s ({Settings.cast_pace:g})",
    )
    ap.add_argument("--messages", type=int, default=6000, help="messages per rate and repeat (6000)")
    ap.add_argument(
        "--connections",
        type=int,
        help="connections the messages go round (300; cast shape: 3000, all following)",
    )
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path, help="write every run here")
    ap.add_argument("--max-seconds", type=float, default=300, help="bound on the whole run (300)")
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the server process' own entry
    ap.add_argument("--redis", help=argparse.SUPPRESS)  # the server's Redis socket (cast shape)
    a = ap.parse_args(argv)
    if a.serve is not None:
        serve(a.serve, a.redis, a.pace)
        return 0
    if a.connections is None:
        a.connections = 3000 if a.shape == "cast" else 300
    cores = two_cores()
    with contextlib.ExitStack() as stack:
        server_args = []
        if a.shape == "cast":
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bwake-")))
            redis = stack.enter_context(embedded_redis(tmp / "redis", cores[1] if cores else None))
            server_args = ["--redis", str(redis.socket_path), "--pace", str(a.pace)]
        runs = _run(a, cores, server_args)
    print(report(runs))
    if a.json:
        a.json.write_text(json.dumps([asdict(r) for r in runs], indent=1))
    return 0


def _run(a: argparse.Namespace, cores: tuple[int, int] | None, server_args: list[str]) -> list[Run]:
    port = free_port()
    server = subprocess.Popen(
        [
            *pin_prefix(cores[0] if cores else None),
            sys.executable,
            "-m",
            "loadtest.bench_wake",
            "--serve",
            str(port),
            *server_args,
        ]
    )
    try:
        pin(0, cores[1] if cores else None)
        deadline = time.monotonic() + 10
        while True:  # listening?
            try:
                asyncio.run(asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 1))
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.1)
        import uvloop

        return uvloop.run(asyncio.wait_for(measure(a, port, server.pid), a.max_seconds))
    finally:
        stop_process(server)


if __name__ == "__main__":
    sys.exit(main())
