"""What ``WAIT 1`` per cast batch costs on a real Redis Cluster (the durability decision of
docs/architecture.md, "The path to Redis Cluster").

Run: ``python -m loadtest.bench_wait [--repeats 3] [--casts 9000] [--concurrency 3000]
[--json out.json]`` (about a minute; the system's Redis 7, ``tools/redis_server.py``).

It starts a three-master cluster with a replica each (``tools/redis_cluster.py``: AOF,
``appendfsync always`` on every node, loopback only) under a temporary folder and stops it at the
end. Each run creates and opens a fresh vote through the cluster client, then casts ``--casts``
first ballots of distinct voters with ``ballot.store.CastBatcher`` as the hub runs it (group
commit, one ``cast.lua`` call per batch) over one connection to the master that owns the vote's
slot, two ways, interleaved in each repeat:

- *no wait*: a cast is acknowledged when its batch's script returned (on the master's disk);
- *WAIT 1*: after each batch's script, ``WAIT 1 <timeout>`` on the same connection: a cast is
  acknowledged only once the master's replica has the batch too. A ``WAIT`` that returns 0 (no
  replica within the timeout) is counted; it fails the run.

Reported per way: casts/s, the cast latency (queued to acknowledged) p50 / p99, batches, and the
``WAIT`` call's own duration per batch (p50 / p99). Placement (2 cores): this process on core 0,
the six redis-servers on core 1; every run records the share of the machine other processes used.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from engine.scripts import Scripts
from loadtest.bench_cast import busy_cpu, pct, proc_cpu

WAYS = ("no wait", "WAIT 1")
WAIT_TIMEOUT_MS = 1000


def log(msg: str) -> None:
    print(f"[bench_wait {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class WaitingScripts(Scripts):
    """Scripts of one connection that, after each script, wait for one replica (``WAIT 1``): the
    acknowledgement the cast batcher gives is then replicated. The hub's own path is
    ``engine.scripts.Replicated`` (the same two commands on one connection to the slot's master);
    this one also records each wait's duration."""

    def __init__(self, redis: Redis) -> None:
        super().__init__(redis)
        self.waits: list[float] = []
        self.unreplicated = 0

    async def call(self, package: str, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        result = await super().call(package, name, keys, args)
        t = time.perf_counter()
        replicas = await self._redis.execute_command("WAIT", 1, WAIT_TIMEOUT_MS)
        self.waits.append(time.perf_counter() - t)
        self.unreplicated += int(replicas) < 1
        return result


@dataclass
class Run:
    way: str
    repeat: int
    casts: int
    rate: float
    p50_ms: float
    p99_ms: float
    batches: int
    wait_p50_ms: float = 0.0
    wait_p99_ms: float = 0.0
    unreplicated: int = 0
    others_cpu: float = 0.0
    stored: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


async def one_run(
    cluster_url: str, redis_pids: list[int], way: str, repeat: int, casts: int, conc: int
) -> Run:
    from ballot.store import CastBatcher, Voter, VoteStore
    from engine import keys
    from engine.channels import ChannelLog
    from engine.connection import command_client
    from loadtest import voters as lt

    cluster = command_client(cluster_url, name="bench-wait")
    vote_id = f"wait-{repeat}-{WAYS.index(way)}"
    try:
        setup = VoteStore(ChannelLog(cluster))
        defn = lt.definition(vote_id)
        people = lt.panelists(casts)
        await setup.create(defn)
        await setup.open(vote_id, [p.id for p in people])
        # The vote's master: every key a cast touches is in the vote's slot (engine.keys).
        node = cluster.get_node_from_key(keys.vote_key(vote_id, "ballots"))  # type: ignore[attr-defined]
        direct = Redis(host=node.host, port=node.port, socket_timeout=10).client()  # one connection
        scripts: Scripts = WaitingScripts(direct) if way == WAYS[1] else Scripts(direct)
        store = VoteStore(ChannelLog(direct, scripts))
        batcher = CastBatcher(store)
        batcher.start()
        ids = lt.proposal_ids()
        ballots = [
            (Voter(p.id, p.gender, p.age_band, p.district), lt.ranking(i, ids), f"w{repeat}x{i:07d}")
            for i, p in enumerate(people)
        ]
        lat = [0.0] * casts
        todo = iter(range(casts))

        async def worker() -> None:
            for i in todo:
                voter, ranking, nonce = ballots[i]
                t = time.perf_counter()
                await batcher.cast(defn, voter, ranking, nonce)
                lat[i] = time.perf_counter() - t

        gc.collect()
        busy0, cpu0 = busy_cpu(), time.process_time()
        rcpu0 = sum(proc_cpu(p) for p in redis_pids)
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(min(conc, casts))))
        wall = time.perf_counter() - t0
        cpu, rcpu = time.process_time() - cpu0, sum(proc_cpu(p) for p in redis_pids) - rcpu0
        others = max(0.0, busy_cpu() - busy0 - cpu - rcpu) / (wall * (os.cpu_count() or 1))
        await batcher.stop()
        stored = await lt.ballot_count(cluster, vote_id)
        await direct.aclose()
        ms = [x * 1000 for x in lat]
        run = Run(way, repeat, casts, casts / wall, pct(ms, 50), pct(ms, 99), batcher.batches)
        if isinstance(scripts, WaitingScripts):
            waits = [w * 1000 for w in scripts.waits]
            run.wait_p50_ms, run.wait_p99_ms = pct(waits, 50), pct(waits, 99)
            run.unreplicated = scripts.unreplicated
        run.others_cpu, run.stored = others, stored
        return run
    finally:
        await cluster.aclose()


def _median(values: list[float]) -> str:
    s = sorted(values)
    return f"{s[len(s) // 2]:,.1f} [{s[0]:,.1f}–{s[-1]:,.1f}]"


def report(runs: list[Run], args: argparse.Namespace) -> str:
    lines = [
        f"Run {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores: a Redis Cluster of three"
        " masters with a replica each (system redis-server, AOF, appendfsync always), this process on"
        f" core 0, the nodes on core 1; {args.casts:,} first ballots per run, up to {args.concurrency:,}"
        f" pending, {args.repeats} repeat(s), median [min–max].",
        "",
        "| acknowledged when | casts/s | cast latency p50 / p99, ms | batches | WAIT per batch p50 / p99,"
        " ms | others' CPU |",
        "|---|---|---|---|---|---|",
    ]
    for way in WAYS:
        mine = [r for r in runs if r.way == way]
        wait = (
            f"{_median([r.wait_p50_ms for r in mine])} / {_median([r.wait_p99_ms for r in mine])}"
            if way == WAYS[1]
            else "–"
        )
        lines.append(
            f"| {way} | {_median([r.rate for r in mine])} | {_median([r.p50_ms for r in mine])} /"
            f" {_median([r.p99_ms for r in mine])} | {_median([float(r.batches) for r in mine])} | {wait} |"
            f" {_median([r.others_cpu * 100 for r in mine])} % |"
        )
    ratios = []
    for rep in sorted({r.repeat for r in runs}):
        pair = {r.way: r for r in runs if r.repeat == rep}
        if len(pair) == 2:
            ratios.append(pair[WAYS[1]].rate / pair[WAYS[0]].rate)
    lines += ["", f"WAIT 1 / no wait, casts/s within each repeat: {_median(ratios)}"]
    return "\n".join(lines)


def _cluster(action: str, root: Path) -> str:
    """``tools/redis_cluster.py`` as a command (``tools/`` is not for import by ``loadtest/``)."""
    out = subprocess.run(
        [sys.executable, "-m", "tools.redis_cluster", action, str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return out.stdout.strip()


async def main_async(args: argparse.Namespace) -> int:
    root = Path(tempfile.mkdtemp(prefix="plenary-wait-"))
    url = _cluster("start", root)
    try:
        pids = [int(p.read_text().strip()) for p in sorted(root.glob("node-*/redis.pid"))]
        if (os.cpu_count() or 1) >= 2 and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {0})
            for pid in pids:
                os.sched_setaffinity(pid, {1})
        runs: list[Run] = []
        for rep in range(args.repeats):
            for way in WAYS if rep % 2 == 0 else WAYS[::-1]:
                run = await asyncio.wait_for(
                    one_run(url, pids, way, rep, args.casts, args.concurrency), args.max_seconds
                )
                log(
                    f"repeat {rep + 1} {way}: {run.rate:,.0f} casts/s, p99 {run.p99_ms:.1f} ms,"
                    f" {run.batches} batches, WAIT p50 {run.wait_p50_ms:.2f} ms, stored"
                    f" {run.stored}/{run.casts}, others used {run.others_cpu:.0%} of the machine"
                )
                runs.append(run)
        text = report(runs, args)
        print(text)
        if args.json:
            args.json.write_text(json.dumps([asdict(r) for r in runs], indent=1))
        bad = [r for r in runs if r.stored != r.casts or r.unreplicated]
        return 1 if bad else 0
    finally:
        _cluster("stop", root)
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--casts", type=int, default=9000)
    ap.add_argument("--concurrency", type=int, default=3000)
    ap.add_argument("--max-seconds", type=float, default=60, help="bound on each run")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
