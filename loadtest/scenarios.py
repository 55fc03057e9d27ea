"""Load scenarios, each one command that starts what it needs, runs, checks and writes a report.

    python -m loadtest.scenarios plenary-burst --panelists 3000 --seconds 60
    make loadtest SCENARIO=plenary-burst

A run starts its own embedded Redis (a temporary data dir, AOF with ``appendfsync always``) and one
hub (``plenary serve`` on 127.0.0.1), seeds the panelists and a host through the roster
(``loadtest.voters``), drives ``--workers`` swarm processes (``loadtest.swarm``), and stops every
process it started, on success, failure, Ctrl-C or its time bound (``--max-seconds``). Placement on
this 2-core machine (when ``taskset`` and two cores are there): the hub on the first core; Redis,
the swarm workers and this process on the second.

``plenary-burst``: every panelist connected, following the plenary's chat, Q&A and vote; chat at
``--chat-rate`` messages a second and Q&A votes at ``--upvote-rate`` from the start; the host opens
the vote and every panelist casts once at a random instant of ``--cast-window`` seconds, while the
turnout reaches everyone; the host closes and publishes; everyone must receive the result. The
checks: every cast acknowledged and stored once (Redis' ballots against the receipts), p99
cast→ack and p99 delivery lag under the issue's 250 ms, no error, no event lost or doubled.

The end: the senders stop, every worker waits for its replies, the channels' last offsets are read
from Redis, and each connection has ``--catch-up`` seconds to receive up to them; what it has not
by then counts as lost. The steps end early (and the report says so) when one fails or when the
bound comes near, so that a report is written whatever happened.

The report (``loadtest.report``) goes to ``loadtest/reports/<scenario>-<UTC time>/``: ``report.md``
and PNG plots; the checks (met or missed) and one summary line on stdout; progress on stderr every
``--progress`` seconds. Exit status 0 when every check is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import multiprocessing as mp
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from loadtest import report as rep
from loadtest.bench_cast import (
    ROOT,
    _die_with_parent,
    embedded_redis,
    free_port,
    pin_prefix,
    stop_process,
    two_cores,
    verify_hub,
    wait_ready,
)
from loadtest.swarm import Meter, Second, SwarmPeer, Totals, WorkerSpec, worker_main

SCENARIOS = ("plenary-burst",)
TARGET_ACK_P99_MS = 250.0
TARGET_LAG_P99_MS = 250.0
CHAT_LIMIT_PER_S = 0.5  # moderation's chat limit: 5 messages per 10 s per participant and meeting


def log(msg: str) -> None:
    print(f"[scenarios {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- resources -------------------------------------------------------------------------------------
def usage(pid: int) -> tuple[float, float]:
    """CPU seconds and resident MiB of process ``pid`` (psutil when installed, else /proc)."""
    try:
        import psutil
    except ImportError:
        from loadtest.bench_cast import proc_cpu

        rss = 0.0
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) / 1024
        return proc_cpu(pid), rss
    p = psutil.Process(pid)
    t = p.cpu_times()
    return t.user + t.system, p.memory_info().rss / 2**20


class Sampler(threading.Thread):
    """Every second: CPU (% of one core) and memory of each named process, until stopped."""

    def __init__(self, pids: dict[str, list[int]]) -> None:
        super().__init__(daemon=True, name="sampler")
        self.pids = pids
        self.rows: list[dict[str, Any]] = []
        self.halt = threading.Event()

    def read(self) -> dict[str, tuple[float, float]]:
        from loadtest.bench_cast import busy_cpu

        out = {"machine": (busy_cpu(), 0.0)}
        for name, pids in self.pids.items():
            cpu = mem = 0.0
            for pid in pids:
                with contextlib.suppress(OSError, ValueError):
                    c, m = usage(pid)
                    cpu, mem = cpu + c, mem + m
            out[name] = (cpu, mem)
        return out

    def run(self) -> None:
        prev, t_prev = self.read(), time.time()
        while not self.halt.wait(1.0 - time.time() % 1.0):
            cur, t = self.read(), time.time()
            row: dict[str, Any] = {"sec": int(t)}
            for name, (cpu, mem) in cur.items():
                row[name] = {"cpu": 100 * (cpu - prev[name][0]) / (t - t_prev), "mb": mem}
            # The box is shared: what every other process used meanwhile, in % of a core.
            machine = row.pop("machine")["cpu"]
            ours = sum(v["cpu"] for v in row.values() if isinstance(v, dict))
            row["others"] = {"cpu": max(0.0, machine - ours), "mb": 0.0}
            self.rows.append(row)
            prev, t_prev = cur, t


# -- the run ---------------------------------------------------------------------------------------
@dataclass
class Swarm:
    """The parent's side of the worker processes: their pipes, merged seconds and totals."""

    procs: list[Any] = field(default_factory=list)
    pipes: list[Connection] = field(default_factory=list)
    seconds: dict[int, Second] = field(default_factory=dict)
    totals: list[Totals] = field(default_factory=list)
    ready: list[dict[str, Any]] = field(default_factory=list)
    timeouts: int = 0
    quiet: int = 0  # workers that stopped sending and have every reply
    acks: int = 0
    results: dict[int, int] = field(default_factory=dict)  # worker -> connections with the result
    changed: asyncio.Event | None = None

    def on_message(self, i: int, msg: dict[str, Any]) -> None:
        op = msg["op"]
        if op == "second":
            s: Second = msg["second"]
            into = self.seconds.get(s.sec)
            if into is None:
                into = self.seconds[s.sec] = Second(s.sec)
            results = s.results
            s.results = 0  # cumulative per worker: kept apart, not added over seconds
            into.merge(s)
            self.results[i] = results
            self.acks += s.acks
        elif op == "ready":
            self.ready.append(msg)
        elif op == "totals":
            self.totals.append(msg["totals"])
        elif op == "quiet":
            self.quiet += 1
        elif op == "timeout":
            self.timeouts += 1
        if self.changed is not None:
            self.changed.set()

    def listen(self) -> None:
        loop = asyncio.get_running_loop()
        self.changed = asyncio.Event()
        for i, pipe in enumerate(self.pipes):

            def readable(i: int = i, pipe: Connection = pipe) -> None:
                try:
                    msg = pipe.recv()
                except (EOFError, OSError):
                    loop.remove_reader(pipe.fileno())
                    return
                self.on_message(i, msg)

            loop.add_reader(pipe.fileno(), readable)

    def tell(self, msg: dict[str, Any]) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError, ValueError):
                pipe.send(msg)

    async def until(self, cond: Any, timeout: float) -> bool:
        assert self.changed is not None
        deadline = time.monotonic() + timeout
        while not cond():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))
        return True


async def host_call(host: SwarmPeer, cmd: dict[str, Any], tries: int = 5) -> dict[str, Any]:
    """The host's command; a refusal the hub calls ``retryable`` is tried again after the pause it
    asks for (half a second when it names none), as the host console does, up to ``tries`` times."""
    for attempt in range(tries):
        _, msg = await host.call(cmd, timeout=60)
        if msg["type"] == "reply":
            result: dict[str, Any] = msg["result"]
            return result
        if not msg.get("retryable") or attempt == tries - 1:
            break
        log(f"{cmd['type']} refused ({msg.get('name')}), trying again")
        await asyncio.sleep(max(0.5, msg.get("retry_after_ms", 0) / 1000))
    raise RuntimeError(f"{cmd['type']} refused: {msg.get('name')}: {msg.get('message')}")


async def ask_questions(url: str, seats: list[tuple[str, str]], host: SwarmPeer, meeting: str) -> list[int]:
    """Each of ``seats`` asks one question and the host approves it: the questions panelists see
    and upvote. Done over the protocol, as people would (the ask limit is 3 per panelist)."""
    ids = []
    for k, (pid, tok) in enumerate(seats):
        p = SwarmPeer(url, pid, tok, Meter())
        await p.connect()
        try:
            _, msg = await p.call(
                {"type": "qa.ask", "meeting": meeting, "text": f"질문 {k}: 예산은 어떻게 나누나요?"}
            )
            if msg["type"] != "reply":
                raise RuntimeError(f"qa.ask refused: {msg.get('name')}")
            q = int(msg["result"]["question"])
        finally:
            await p.close()
        await host_call(host, {"type": "qa.approve", "meeting": meeting, "question": q})
        ids.append(q)
    return ids


@dataclass
class Marks:
    """When the scenario's steps happened (``time.time()``), for the report and the plots."""

    at: dict[str, float] = field(default_factory=dict)

    def mark(self, name: str) -> None:
        self.at[name] = time.time()
        log(name)


async def plenary_burst(
    args: argparse.Namespace,
    url: str,
    tokens: Path,
    redis_url: str,
    swarm: Swarm,
    marks: Marks,
    deadline: float,
) -> dict[str, Any]:
    """The scenario's steps, until ``deadline`` (``time.monotonic()``) at the latest; returns what
    the checks need (the swarm's totals are in ``swarm``)."""
    from engine.roles import Role
    from loadtest import voters as lt

    seats = lt.read_tokens(tokens)
    host_seat = lt.read_tokens(tokens, role=Role.HOST)[0]
    host = SwarmPeer(url, host_seat.participant_id, host_seat.token, Meter())
    await host.connect()
    swarm.listen()
    questions = await ask_questions(
        url, [(s.participant_id, s.token) for s in seats[: args.questions]], host, lt.MEETING
    )
    marks.mark(f"{len(questions)} questions asked and approved")
    problems: list[str] = []
    wait = min(args.connect_timeout, deadline - time.monotonic())
    if not await swarm.until(lambda: len(swarm.ready) == len(swarm.procs), wait):
        problems.append(
            f"only {len(swarm.ready)} of {len(swarm.procs)} workers connected within {wait:.0f} s"
        )
        marks.mark(problems[-1])
    connected = sum(r["connected"] for r in swarm.ready)
    marks.mark(f"connected: {connected} of {len(seats)} panelists")
    seed = 1
    t_go = time.time()
    eligible = 0

    async def steps() -> None:
        nonlocal eligible
        swarm.tell(
            {
                "op": "go",
                "chat_rate": args.chat_rate / len(swarm.procs),
                "upvote_rate": args.upvote_rate / len(swarm.procs),
                "questions": questions,
                "seed": seed,
            }
        )
        marks.mark("chat and Q&A votes flowing")
        await asyncio.sleep(args.open_after)
        opened = await host_call(host, {"type": "vote.open", "vote": lt.VOTE})
        eligible = opened["eligible"]
        swarm.tell(
            {
                "op": "cast",
                "vote": lt.VOTE,
                "window": args.cast_window,
                "proposals": lt.proposal_ids(),
                "seed": seed,
            }
        )
        marks.mark(f"vote opened ({eligible} eligible); casts within {args.cast_window:g} s")
        await swarm.until(lambda: swarm.acks >= connected, args.cast_window + 30)
        await asyncio.sleep(0.5)
        await host_call(host, {"type": "vote.close", "vote": lt.VOTE})
        marks.mark(f"vote closed ({swarm.acks} acks so far)")
        published = await host_call(host, {"type": "vote.publish", "vote": lt.VOTE})
        marks.mark(f"vote published: {published['status']}")
        got = await swarm.until(lambda: sum(swarm.results.values()) >= connected, 15)
        marks.mark(
            f"result received by {sum(swarm.results.values())} of {connected}"
            + ("" if got else " (timed out)")
        )
        rest = t_go + args.seconds - time.time()
        if rest > 0:
            await asyncio.sleep(rest)

    # A step that fails or runs out of the time bound ends the steps, never the run: the swarm
    # still reports, Redis is still checked, and the report says what went wrong.
    try:
        if problems:
            raise RuntimeError("not every panelist connected")
        await asyncio.wait_for(steps(), max(1.0, deadline - time.monotonic()))
    except (RuntimeError, ConnectionError, TimeoutError) as err:
        problems.append(f"the scenario stopped early: {type(err).__name__}: {err}")
        marks.mark(problems[-1])
    # The end: senders stop, the channels' last offsets are read from Redis, and every connection
    # has ``--catch-up`` seconds to reach them; what it has not received by then is lost.
    swarm.tell({"op": "quiet", "within": args.catch_up})
    if not await swarm.until(lambda: swarm.quiet == len(swarm.procs), args.catch_up + 5):
        problems.append(f"only {swarm.quiet} of {len(swarm.procs)} workers had their replies in time")
    await asyncio.sleep(0.2)  # the hub's coalescing tick
    final = await final_offsets(redis_url, args)
    swarm.tell({"op": "finish", "final": final, "catch_up": args.catch_up})
    if not await swarm.until(lambda: len(swarm.totals) == len(swarm.procs), args.catch_up + 10):
        problems.append(f"only {len(swarm.totals)} of {len(swarm.procs)} workers reported their totals")
    marks.mark("finished")
    await host.close()
    receipts: dict[str, str] = {}
    for t in swarm.totals:
        receipts.update(t.receipts)
    errors: Counter[str] = sum((t.errors for t in swarm.totals), Counter())
    stored = await verify_hub(
        redis_url,
        [{"vote": lt.VOTE, "receipts": receipts, "acks": len(receipts), "errors": {}, "rate_limited": 0}],
    )
    return {
        "connected": connected,
        "final": final,
        "problems": problems,  # the scenario's own: a step that failed or ran late
        "stored": stored,  # ballots in Redis against the receipts
        "errors": errors,
        "eligible": eligible,
    }


def channels(meeting: str, vote: str) -> list[str]:
    return [f"meeting/{meeting}/chat", f"meeting/{meeting}/qa", f"vote/{vote}"]


async def final_offsets(redis_url: str, args: argparse.Namespace) -> dict[str, int]:
    """Each followed channel's last offset, from Redis (the tail every connection must reach)."""
    from engine.channels import ChannelLog
    from engine.connection import command_client
    from loadtest import voters as lt

    redis = command_client(redis_url, name="scenario-offsets")
    try:
        log_ = ChannelLog(redis)
        return {ch: (await log_.recover(ch, None, None)).offset for ch in channels(lt.MEETING, lt.VOTE)}
    finally:
        await redis.aclose()


async def seed(redis_url: str, n: int, tokens: Path) -> None:
    """The roster (``n`` panelists and the host), the meeting, and the vote as a draft: the host
    opens it during the run."""
    from ballot.store import VoteStore
    from engine.channels import ChannelLog
    from engine.connection import command_client
    from loadtest import voters as lt

    redis = command_client(redis_url, name="scenario-seed")
    try:
        toks = await lt.seed_people(redis, n)
        await VoteStore(ChannelLog(redis)).create(lt.definition(lt.VOTE))
        lt.write_tokens(tokens, toks, lt.MEETING, lt.VOTE)
    finally:
        await redis.aclose()


@contextlib.contextmanager
def hub_process(
    redis_url: str, core: int | None, logfile: Path
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    with logfile.open("wb") as out:
        hub = subprocess.Popen(
            [*pin_prefix(core), sys.executable, "-m", "cli.main", "serve", "--redis-url", redis_url,
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
        )  # fmt: skip
    try:
        wait_ready(f"http://127.0.0.1:{port}", hub, logfile)
        yield hub, port
    finally:
        stop_process(hub)


def start_workers(args: argparse.Namespace, url: str, tokens: Path, core: int | None) -> Swarm:
    from loadtest import voters as lt

    seats = [(s.participant_id, s.token) for s in lt.read_tokens(tokens)][: args.panelists]
    ctx = mp.get_context("spawn")
    swarm = Swarm()
    for w in range(args.workers):
        spec = WorkerSpec(
            index=w,
            url=url,
            seats=seats[w :: args.workers],
            channels=channels(lt.MEETING, lt.VOTE),
            meeting=lt.MEETING,
            core=core,
            max_seconds=args.max_seconds,
        )
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=worker_main, args=(spec, child), name=f"swarm-{w}", daemon=True)
        proc.start()
        child.close()
        swarm.procs.append(proc)
        swarm.pipes.append(parent)
    return swarm


def stop_workers(swarm: Swarm) -> None:
    for p in swarm.procs:
        p.join(timeout=10)
        if p.is_alive():
            p.terminate()
            p.join(timeout=5)
        if p.is_alive():
            p.kill()


async def progress(swarm: Swarm, every: float, t0: float) -> None:
    """A line every ``every`` seconds: connections, casts and acks, the last seconds' p99s, errors."""
    while True:
        await asyncio.sleep(every)
        recent = Second(0)
        secs = sorted(swarm.seconds)
        for sec in secs[-int(every) :]:
            recent.merge(swarm.seconds[sec])
        conns = swarm.seconds[secs[-1]].conns if secs else 0
        errors = sum(sum(s.errors.values()) for s in swarm.seconds.values())
        casts = sum(s.casts for s in swarm.seconds.values())
        log(
            f"t+{time.time() - t0:.0f}s: {conns} connected, casts {swarm.acks}/{casts} acked,"
            f" last {every:g}s: {recent.events:,} events, lag p99 {rep.fmt(rep.percentile(recent.lag, 99))} ms,"
            f" cast→ack p99 {rep.fmt(rep.percentile(recent.ack, 99))} ms; errors {errors}"
        )


def run(args: argparse.Namespace) -> int:
    # The scenario's steps end by this, leaving time to collect, check and report within the bound.
    deadline = time.monotonic() + args.max_seconds - 25 - args.catch_up
    cores = two_cores()
    hub_core, load_core = (cores[0], cores[1]) if cores else (None, None)
    if load_core is not None:
        os.sched_setaffinity(0, {load_core})
    started = dt.datetime.now(dt.UTC)
    out_dir = args.out / f"{args.scenario}-{started.strftime('%Y%m%dT%H%M%SZ')}"
    marks = Marks()
    result: dict[str, Any] = {}
    swarm = Swarm()
    sampler: Sampler | None = None
    with tempfile.TemporaryDirectory(prefix="scen-", dir="/tmp") as d:
        tmp = Path(d)
        with embedded_redis(tmp / "redis", load_core) as server:
            tokens = tmp / "tokens.csv"
            asyncio.run(seed(server.url, args.panelists, tokens))
            marks.mark(f"seeded {args.panelists} panelists and the host")
            with hub_process(server.url, hub_core, tmp / "hub.log") as (hub, port):
                url = f"ws://127.0.0.1:{port}/ws"
                marks.mark(
                    f"hub pid {hub.pid} on {url} (core {hub_core}); Redis and swarm on core {load_core}"
                )
                try:
                    swarm = start_workers(args, url, tokens, load_core)
                    sampler = Sampler(
                        {
                            "hub": [hub.pid],
                            "redis": [server.pid() or 0],
                            "swarm": [p.pid for p in swarm.procs],
                            "orchestrator": [os.getpid()],
                        }
                    )
                    sampler.start()

                    async def main() -> dict[str, Any]:
                        ticker = asyncio.create_task(progress(swarm, args.progress, time.time()))
                        try:
                            return await plenary_burst(args, url, tokens, server.url, swarm, marks, deadline)
                        finally:
                            ticker.cancel()

                    result = asyncio.run(main())
                finally:
                    if sampler is not None:
                        sampler.halt.set()
                        sampler.join(5)
                    swarm.tell({"op": "finish", "parent_gone": True})
                    stop_workers(swarm)
                hub_log = (tmp / "hub.log").read_text(errors="replace")
                if hub.poll() is not None:
                    result.setdefault("problems", []).append(
                        f"the hub exited during the run ({hub.returncode})"
                    )
    meta = {
        "scenario": args.scenario,
        "started": started.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "command": "python -m loadtest.scenarios "
        + " ".join(sys.argv[1:] if args.argv is None else args.argv),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "placement": f"hub on core {hub_core}; Redis, {args.workers} swarm worker(s) and the orchestrator on core {load_core}"
        if cores
        else "not pinned (needs taskset and two cores)",
        "args": vars(args) | {"out": str(args.out), "argv": None},
        "hub_errors": "Traceback" in hub_log or " ERROR " in hub_log,
        "hub_log_tail": hub_log[-20_000:],
    }
    data = rep.Run(
        meta=meta,
        seconds=[swarm.seconds[s] for s in sorted(swarm.seconds)],
        totals=swarm.totals,
        resources=sampler.rows if sampler else [],
        marks=marks.at,
        result=result,
        targets={"ack_p99_ms": TARGET_ACK_P99_MS, "lag_p99_ms": TARGET_LAG_P99_MS},
    )
    summary, ok = rep.write(out_dir, data)
    print(summary, flush=True)
    return 0 if ok else 1


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m loadtest.scenarios", description=__doc__.split("\n")[0])
    ap.add_argument("scenario", choices=SCENARIOS)
    ap.add_argument("--panelists", type=int, default=3000, help="panelists connected (3000)")
    ap.add_argument("--seconds", type=float, default=60, help="how long chat and Q&A votes run (60)")
    ap.add_argument("--workers", type=int, default=3, help="swarm processes (3)")
    ap.add_argument("--chat-rate", type=float, default=20, help="chat messages a second, all together (20)")
    ap.add_argument("--upvote-rate", type=float, default=20, help="Q&A votes a second, all together (20)")
    ap.add_argument(
        "--questions", type=int, default=5, help="questions asked and approved before the run (5)"
    )
    ap.add_argument("--open-after", type=float, default=2.0, help="seconds of chat before the vote opens (2)")
    ap.add_argument("--cast-window", type=float, default=10.0, help="every panelist casts within this (10 s)")
    ap.add_argument(
        "--connect-timeout", type=float, default=90.0, help="for every panelist to connect (90 s)"
    )
    ap.add_argument(
        "--catch-up",
        type=float,
        default=10.0,
        help="at the end, seconds every connection has to receive the channels' last events (10)",
    )
    ap.add_argument("--progress", type=float, default=5.0, help="seconds between progress lines (5)")
    ap.add_argument("--out", type=Path, default=ROOT / "loadtest" / "reports", help="reports go under here")
    ap.add_argument("--max-seconds", type=float, default=170.0, help="bound on the whole run (170)")
    args = ap.parse_args(argv)
    args.argv = argv
    limit = args.panelists * CHAT_LIMIT_PER_S * 0.9
    if args.chat_rate > limit:
        log(
            f"--chat-rate {args.chat_rate:g} is past what {args.panelists} panelists may send: {limit:g} a second"
        )
        args.chat_rate = limit
    args.workers = max(1, min(args.workers, args.panelists))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from loadtest.bench_cast import _bounded

    return _bounded(lambda: run(args), args.max_seconds + 30)


if __name__ == "__main__":
    sys.exit(main())
