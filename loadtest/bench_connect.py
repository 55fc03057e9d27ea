"""What one connection costs the hub: CPU and Redis round trips per connect (handshake, ``hello``,
the ``subscribe``s of a reconnect-storm client) and per close.

    python -m loadtest.bench_connect [--connections 1000] [--rounds 3] [--concurrency 50]

A fresh embedded Redis (pinned with this process to the second core) and one hub (``plenary
serve``, pinned to the first); each round connects ``--connections`` panelists (``hello``, then
``subscribe`` to the meeting's chat and Q&A as the reconnect storm's clients do), then closes them
all. The hub's CPU (``/proc``) is read around each phase; the Redis commands the hub sent are
counted once, in a round of their own watched with ``MONITOR`` (commands a Lua script runs are
shown apart: they are no round trip; a pipeline's commands show one by one, though they share one
round trip: a close's ``hdel`` and ``srem``). The hub's heartbeat (a few commands a second) is in
the count too. Why a bench of its own: the storm's figure mixes connects
with fan-out and the old connections' teardown; this is the connect alone, for before/after.
Everything is bounded (``--max-seconds``) and listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from loadtest.bench_cast import Peer, embedded_redis, pin, proc_cpu, two_cores
from loadtest.scenarios import channels, hub_processes, seed


def log(msg: str) -> None:
    print(f"[bench_connect {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


async def connect_all(
    url: str, seats: list[tuple[str, str]], chans: list[str], concurrency: int
) -> list[Peer]:
    """Every seat connected, said ``hello`` and followed ``chans`` (subscribes sent together, as
    the swarm's clients do); raises on the first refusal."""
    sem = asyncio.Semaphore(concurrency)

    async def one(pid: str, token: str) -> Peer:
        async with sem:
            p = Peer(url, pid, token)
            await p.connect()
            replies = await asyncio.gather(*(p.call({"type": "subscribe", "channel": c}) for c in chans))
            bad = [r for _, r in replies if r["type"] != "reply"]
            if bad:
                raise RuntimeError(f"subscribe refused: {bad[0]}")
            return p

    return list(await asyncio.gather(*(one(pid, tok) for pid, tok in seats)))


async def close_all(peers: list[Peer], concurrency: int) -> None:
    sem = asyncio.Semaphore(concurrency)

    async def one(p: Peer) -> None:
        async with sem:
            await p.close()

    await asyncio.gather(*(one(p) for p in peers))


class Monitor:
    """``MONITOR`` on a raw connection: counts the commands Redis runs, by name, apart for those a
    Lua script runs (``[0 lua]``)."""

    def __init__(self) -> None:
        self.top: Counter[str] = Counter()
        self.lua: Counter[str] = Counter()
        self._task: asyncio.Task[None] | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def start(self, redis_url: str) -> None:
        reader, self._writer = await asyncio.open_unix_connection(redis_url.removeprefix("unix://"))
        self._writer.write(b"MONITOR\r\n")
        await reader.readline()  # +OK
        self._task = asyncio.create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            text = line.decode(errors="replace")
            source, _, rest = text.partition("] ")
            name = rest.split(" ", 1)[0].strip().strip('"').lower()
            (self.lua if "lua" in source else self.top)[name] += 1

    async def stop(self) -> None:
        await asyncio.sleep(0.2)  # the last lines
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._writer is not None:
            self._writer.close()


async def rounds(
    args: argparse.Namespace, url: str, redis_url: str, hub_pid: int, seats: list[tuple[str, str]]
) -> dict[str, Any]:
    chans = channels("reconnect-storm")
    out: dict[str, Any] = {
        "connect_ms": [],
        "connect_net_ms": [],
        "idle_pct": [],
        "close_ms": [],
        "connect_s": [],
    }
    for r in range(args.rounds):
        c0, t0 = proc_cpu(hub_pid), time.perf_counter()
        peers = await connect_all(url, seats, chans, args.concurrency)
        c1, t1 = proc_cpu(hub_pid), time.perf_counter()
        await asyncio.sleep(0.5)  # the replies' last writes
        # What the hub spends holding them idle (the sweep, pings), to take out of the connect's
        # figure: the connects' phase held on average half of them for its duration.
        i0 = proc_cpu(hub_pid)
        await asyncio.sleep(args.idle)
        c2 = proc_cpu(hub_pid)
        idle_rate = (c2 - i0) / args.idle
        await close_all(peers, args.concurrency)
        await asyncio.sleep(1.0)  # the hub's teardown after the close frames
        c3 = proc_cpu(hub_pid)
        n = len(peers)
        out["connect_ms"].append((c1 - c0) / n * 1000)
        out["connect_net_ms"].append((c1 - c0 - idle_rate * (t1 - t0) / 2) / n * 1000)
        out["idle_pct"].append(idle_rate * 100)
        out["close_ms"].append((c3 - c2) / n * 1000)
        out["connect_s"].append(t1 - t0)
        log(f"round {r + 1}: {n} connects in {t1 - t0:.2f} s, hub CPU {(c1 - c0) / n * 1000:.2f} ms a connect, "
            f"{(c3 - c2) / n * 1000:.2f} ms a close")  # fmt: skip
    # Round trips, counted in a round of their own (MONITOR costs Redis, not the hub, but apart anyway).
    count = min(len(seats), args.monitor_connections)
    mon = Monitor()
    await mon.start(redis_url)
    peers = await connect_all(url, seats[:count], chans, args.concurrency)
    await asyncio.sleep(0.3)
    connect_top, connect_lua = Counter(mon.top), Counter(mon.lua)
    mon.top.clear(), mon.lua.clear()
    await close_all(peers, args.concurrency)
    await asyncio.sleep(1.0)
    await mon.stop()
    out["monitor_connections"] = count
    out["connect_commands"] = {k: v / count for k, v in connect_top.most_common()}
    out["connect_lua"] = {k: v / count for k, v in connect_lua.most_common()}
    out["close_commands"] = {k: v / count for k, v in mon.top.most_common()}
    return out


def summary(res: dict[str, Any]) -> str:
    def spread(xs: list[float]) -> str:
        return f"median {statistics.median(xs):.2f} (min {min(xs):.2f}, max {max(xs):.2f}, {len(xs)} rounds)"

    lines = [
        f"hub CPU per connect, ms: {spread(res['connect_ms'])}",
        f"  less holding them idle ({spread(res['idle_pct'])} % of a core, half of it over the phase): "
        f"{spread(res['connect_net_ms'])}",
        f"hub CPU per close, ms: {spread(res['close_ms'])}",
        f"seconds to connect a round: {spread(res['connect_s'])}",
        f"Redis commands per connect ({res['monitor_connections']} watched; one round trip each unless pipelined): "
        f"{sum(res['connect_commands'].values()):.2f} "
        + ", ".join(f"{k} {v:.2f}" for k, v in res["connect_commands"].items()),
        "  run inside scripts: " + ", ".join(f"{k} {v:.2f}" for k, v in res["connect_lua"].items()),
        f"Redis commands per close: {sum(res['close_commands'].values()):.2f} "
        + ", ".join(f"{k} {v:.2f}" for k, v in res["close_commands"].items()),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m loadtest.bench_connect", description=__doc__.split("\n")[0])
    ap.add_argument("--connections", type=int, default=1000, help="panelists connected each round (1000)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds (3): the spread")
    ap.add_argument("--concurrency", type=int, default=50, help="connects in flight at once (50)")
    ap.add_argument(
        "--monitor-connections", type=int, default=200, help="connects watched with MONITOR (200)"
    )
    ap.add_argument(
        "--idle", type=float, default=2.0, help="seconds the connections are held idle, measured (2)"
    )
    ap.add_argument("--send-buffer", type=int, help="the hub's --send-buffer")
    ap.add_argument("--max-seconds", type=float, default=170.0, help="bound on the whole run (170)")
    args = ap.parse_args(argv)
    cores = two_cores()
    hub_core, load_core = cores if cores else (None, None)
    pin(0, load_core)
    with tempfile.TemporaryDirectory(prefix="bench-connect-", dir="/tmp") as d:
        tmp = Path(d)
        with embedded_redis(tmp / "redis", load_core) as server:
            tokens = tmp / "tokens.csv"
            asyncio.run(seed(server.url, args.connections, tokens))
            from loadtest import voters as lt

            seats = [(s.participant_id, s.token) for s in lt.read_tokens(tokens)][: args.connections]
            extra = () if args.send_buffer is None else ("--send-buffer", str(args.send_buffer))
            with hub_processes(server.url, 1, hub_core, tmp, extra) as hubs:
                hub, port = hubs[0]
                log(f"hub pid {hub.pid} on core {hub_core}, Redis and this process on core {load_core}")
                res = asyncio.run(
                    asyncio.wait_for(
                        rounds(args, f"ws://127.0.0.1:{port}/ws", server.url, hub.pid, seats),
                        args.max_seconds,
                    )
                )
    print(summary(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
