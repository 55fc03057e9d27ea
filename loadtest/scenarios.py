"""Load scenarios, each one command that starts what it needs, runs, checks and writes a report.

    python -m loadtest.scenarios plenary-burst --panelists 3000 --seconds 60
    python -m loadtest.scenarios reconnect-storm | slow-readers | capacity | scaling
    python -m loadtest.scenarios tables                  # issue 15: 300 tables on 2 hubs, the storm
    make loadtest SCENARIO=plenary-burst

A run starts its own embedded Redis (a temporary data dir, AOF with ``appendfsync always``) and
its hub(s) (``plenary serve`` on 127.0.0.1), seeds the panelists and a host through the roster
(``loadtest.voters``), drives ``--workers`` swarm processes (``loadtest.swarm``), and stops every
process it started, on success, failure, Ctrl-C or its time bound (``--max-seconds``). Placement on
this 2-core machine (when ``taskset`` and two cores are there): the hub(s) on the first core;
Redis, the swarm workers and this process on the second.

``plenary-burst``: every panelist connected, following the plenary's chat, Q&A and vote; chat at
``--chat-rate`` messages a second and Q&A votes at ``--upvote-rate`` from the start; the host opens
the vote and every panelist casts once at a random instant of ``--cast-window`` seconds, while the
turnout reaches everyone; the host closes and publishes; everyone must receive the result. The
checks: every cast acknowledged and stored once (Redis' ballots against the receipts), p99
cast→ack and p99 delivery lag under the issue's 250 ms, no error, no event lost or doubled.

``reconnect-storm``: everyone follows chat and Q&A with traffic flowing; every connection drops at
once and comes straight back with its offsets; each must be caught up within 10 s of the drop,
with no event missed or doubled. ``slow-readers``: every 10th connection stops reading for a
while; the others' delivery lag must stay within 10% of a baseline phase of the same run.
``capacity``: one hub, a slide every second to everyone, connections added a step at a time until
the lag or an error crosses the stated limit (or ``--panelists``, the most, is reached).
``scaling``: plenary-burst on 1, 2 and 3 hubs sharing one Redis, side by side. ``soak`` (``make
soak``): the plenary for ``--minutes`` (30) with 1,000 panelists: chat and Q&A votes throughout, a
vote opened, cast, closed and published every ``--vote-every`` s, ``--reconnect-share`` of the
panelists dropped and back every ``--reconnect-every`` s; every ``--sample-every`` s each hub's RSS,
open fds and asyncio tasks, and Redis' memory and clients: memory flat, no task or fd leaked.
Their limits and checks are stated in ``loadtest.verdicts``. ``proposals`` (issue 14, ``make
proposals-load``): panelists in ``--meetings`` topic meetings, the hour of 500 proposals and 20,000
supports (withdrawals, comments, joins) compressed into ``--minutes``, then everyone supporting the
plenary's hot proposal within ``--hot-window`` s; its seats, steps, checks against Redis and
verdicts are ``loadtest.proposals_scenario``'s, the crowd's actions ``loadtest.proposal_crowd``'s.
``tables`` (issue 15, ``make tables-load``): 3,000 panelists at 300 tables over ``--hubs 2``, each
table chatting and posting cards, the theme console and the hosts' overview following, then every
table phone dropping at once and coming back from its offsets; ``loadtest.tables_scenario``'s,
the tables' actions ``loadtest.table_crowd``'s.

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
import math
import multiprocessing as mp
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from loadtest import report as rep
from loadtest import scrape
from loadtest import verdicts as judged
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

SCENARIOS = (
    "plenary-burst", "reconnect-storm", "slow-readers", "capacity", "scaling", "soak", "proposals", "tables"
)  # fmt: skip
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
                # A process gone (a hub a step killed): psutil's NoSuchProcess is no OSError.
                with contextlib.suppress(Exception):
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
    # slow-readers: the slow connections' own seconds and totals (``group: "slow"``)
    slow_seconds: dict[int, Second] = field(default_factory=dict)
    slow_totals: list[Totals] = field(default_factory=list)
    grown: list[dict[str, Any]] = field(default_factory=list)  # capacity: each worker's step done
    reconnected: list[dict[str, Any]] = field(default_factory=list)  # reconnect-storm: workers back
    unplanned: dict[int, tuple[int, int]] = field(default_factory=dict)  # worker -> (lost unasked, back)
    crowd: list[Any] = field(default_factory=list)  # proposals: each worker's CrowdTotals

    def on_message(self, i: int, msg: dict[str, Any]) -> None:
        op = msg["op"]
        if op == "second" and msg.get("group") == "slow":
            s = msg["second"]
            self.slow_seconds.setdefault(s.sec, Second(s.sec)).merge(s)
        elif op == "second":
            s = msg["second"]
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
        elif op == "totals" and msg.get("group") == "slow":
            self.slow_totals.append(msg["totals"])
        elif op == "totals":
            self.totals.append(msg["totals"])
        elif op == "grown":
            self.grown.append(msg)
        elif op == "reconnected":
            self.reconnected.append(msg)
        elif op == "unplanned":
            self.unplanned[i] = (msg["lost"], msg["back"])
        elif op == "crowd":
            self.crowd.append(msg["totals"])
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
        self.tell_each([msg] * len(self.pipes))

    def tell_each(self, msgs: list[dict[str, Any]]) -> None:
        """Worker i gets ``msgs[i]``."""
        for pipe, msg in zip(self.pipes, msgs, strict=True):
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
    prefix: str = ""  # scaling: which round

    def mark(self, name: str) -> None:
        self.at[self.prefix + name] = time.time()
        log(self.prefix + name)


@dataclass
class Stage:
    """What a scenario's steps work with: its options, the hubs' WebSocket URLs, the seats' tokens,
    Redis, the swarm, the step marks, and the instant (``time.monotonic()``) the steps must end by."""

    args: argparse.Namespace
    urls: list[str]
    tokens: Path
    redis_url: str
    swarm: Swarm
    marks: Marks
    deadline: float
    chans: list[str]
    problems: list[str] = field(default_factory=list)  # the scenario's own: a step failed or ran late
    hub_pids: list[int] = field(default_factory=list)  # soak: whose RSS and fds it samples
    hub_counters: dict[str, float] = field(default_factory=dict)  # HUB_COUNTERS, summed over the hubs
    hubs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    killed: set[int] = field(default_factory=set)  # pids of hubs a step killed on purpose (--kill-hub-after)

    async def host(self) -> SwarmPeer:
        """The host's connection (first hub): opens votes, approves questions, shows slides."""
        from engine.roles import Role
        from loadtest import voters as lt

        seat = lt.read_tokens(self.tokens, role=Role.HOST)[0]
        host = SwarmPeer(self.urls[0], seat.participant_id, seat.token, Meter())
        await host.connect()
        return host

    async def questions(self, host: SwarmPeer) -> list[int]:
        from loadtest import voters as lt

        seats = lt.read_tokens(self.tokens)[: self.args.questions]
        qs = await ask_questions(self.urls[0], [(s.participant_id, s.token) for s in seats], host, lt.MEETING)
        self.marks.mark(f"{len(qs)} questions asked and approved")
        return qs

    async def connected(self) -> int:
        """Wait for every worker's first connections; their number (a shortfall is a problem)."""
        swarm = self.swarm
        wait = min(self.args.connect_timeout, self.deadline - time.monotonic())
        if not await swarm.until(lambda: len(swarm.ready) == len(swarm.procs), wait):
            self.problems.append(
                f"only {len(swarm.ready)} of {len(swarm.procs)} workers connected within {wait:.0f} s"
            )
            self.marks.mark(self.problems[-1])
        connected = sum(r["connected"] for r in swarm.ready)
        wanted = sum(r["peers"] for r in swarm.ready)
        self.marks.mark(f"connected: {connected} of {wanted}")
        if connected < wanted:
            self.problems.append(f"{wanted - connected} of {wanted} did not connect")
        return connected

    async def bounded(self, steps: Callable[[], Awaitable[None]]) -> None:
        """Run ``steps`` until the deadline. A step that fails or runs out of time ends the steps,
        never the run: the swarm still reports, Redis is still checked, the report says what went
        wrong."""
        try:
            if self.problems:
                raise RuntimeError("not every connection came up")
            await asyncio.wait_for(steps(), max(1.0, self.deadline - time.monotonic()))
        except (RuntimeError, ConnectionError, TimeoutError) as err:
            self.problems.append(f"the scenario stopped early: {type(err).__name__}: {err}")
            self.marks.mark(self.problems[-1])

    async def wind_down(self) -> dict[str, int]:
        """The end: senders stop, the channels' last offsets are read from Redis, and every
        connection has ``--catch-up`` seconds to reach them; what it has not received by then is
        lost. Returns those offsets."""
        swarm, args = self.swarm, self.args
        # A worker still connecting reads its commands only once connected: do not wait long.
        ready = len(swarm.ready) == len(swarm.procs)
        wait = args.catch_up if ready else 2.0
        swarm.tell({"op": "quiet", "within": wait})
        if not await swarm.until(lambda: swarm.quiet == len(swarm.procs), wait + 5):
            self.problems.append(
                f"only {swarm.quiet} of {len(swarm.procs)} workers had their replies in time"
            )
        await asyncio.sleep(0.2)  # the hub's coalescing tick
        self.hub_counters = await asyncio.to_thread(hub_counters, self.urls)
        final = await final_offsets(self.redis_url, self.chans)
        swarm.tell({"op": "finish", "final": final, "catch_up": wait})
        if not await swarm.until(lambda: len(swarm.totals) == len(swarm.procs), wait + 10):
            self.problems.append(
                f"only {len(swarm.totals)} of {len(swarm.procs)} workers reported their totals"
            )
        self.marks.mark("finished")
        return final


async def plenary_burst(st: Stage) -> dict[str, Any]:
    """The scenario's steps, until ``st.deadline`` at the latest; returns what the checks need
    (the swarm's totals are in ``st.swarm``)."""
    from loadtest import voters as lt

    args, swarm, marks = st.args, st.swarm, st.marks
    host = await st.host()
    swarm.listen()
    questions = await st.questions(host)
    connected = await st.connected()
    seed = 1
    t_go = time.time()
    eligible = 0

    async def steps() -> None:
        nonlocal eligible
        go(st, questions, seed)
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

    await st.bounded(steps)
    final = await st.wind_down()
    await host.close()
    receipts: dict[str, str] = {}
    for t in swarm.totals:
        receipts.update(t.receipts)
    errors: Counter[str] = sum((t.errors for t in swarm.totals), Counter())
    stored = await verify_hub(
        st.redis_url,
        [{"vote": lt.VOTE, "receipts": receipts, "acks": len(receipts), "errors": {}, "rate_limited": 0}],
    )
    return {
        "connected": connected,
        "final": final,
        "problems": st.problems,
        "stored": stored,  # ballots in Redis against the receipts
        "errors": errors,
        "eligible": eligible,
        "hub_counters": st.hub_counters,
    }


def go(st: Stage, questions: list[int], seed: int) -> None:
    """Chat and Q&A votes start flowing at the scenario's rates, shared over the workers."""
    n = len(st.swarm.procs)
    st.swarm.tell(
        {
            "op": "go",
            "chat_rate": st.args.chat_rate / n,
            "upvote_rate": st.args.upvote_rate / n,
            "chat_chars": st.args.chat_chars,
            "questions": questions,
            "seed": seed,
        }
    )
    st.marks.mark(
        f"chat ({st.args.chat_rate:g}/s) and Q&A votes ({st.args.upvote_rate:g}/s) flowing"
        + (f", chat messages of {st.args.chat_chars} characters" if st.args.chat_chars else "")
    )


async def reconnect_storm(st: Stage) -> dict[str, Any]:
    """Everyone connected and following chat and Q&A with traffic flowing; then every connection
    drops at once and comes straight back, resubscribing from its offsets (protocol.md §7) while
    the traffic goes on from those already back; then ``--after`` seconds more. The checks (in
    ``storm_checks``): every panelist back and caught up within ``--catch-up-target`` s of the
    drop, every resubscribe recovered, no event missed or doubled on any channel of any client."""
    args, swarm, marks = st.args, st.swarm, st.marks
    host = await st.host()
    swarm.listen()
    questions = await st.questions(host)
    connected = await st.connected()

    async def steps() -> None:
        go(st, questions, 1)
        t0 = time.monotonic()
        if args.kill_hub_after is not None:
            await kill_a_hub(st, args.kill_hub_after)
        await asyncio.sleep(max(0.0, args.before - (time.monotonic() - t0)))
        swarm.tell({"op": "drop"})
        marks.mark(f"all {connected} dropped at once; reconnecting from their offsets")
        back = await swarm.until(lambda: len(swarm.reconnected) == len(swarm.procs), args.storm_timeout)
        n = sum(r["n"] for r in swarm.reconnected)
        marks.mark(
            f"{n} of {connected} back" + ("" if back else f" (not all within {args.storm_timeout:g} s)")
        )
        await asyncio.sleep(args.after)

    await st.bounded(steps)
    final = await st.wind_down()
    await host.close()
    return {"connected": connected, "final": final, "problems": st.problems, "hub_counters": st.hub_counters}


async def kill_a_hub(st: Stage, after: float) -> None:
    """``after`` seconds into the traffic, SIGKILL the last hub: its connections are lost without the
    scenario dropping them, and the swarm brings each back on another hub from its offsets (its
    unplanned reconnects, ``loadtest.swarm``). Waits until all are back (``--storm-timeout``)."""
    args, swarm, marks = st.args, st.swarm, st.marks
    if len(st.hubs) < 2:
        st.problems.append("--kill-hub-after needs --hubs 2 or more")
        return
    await asyncio.sleep(after)
    victim = st.hubs[-1]
    st.killed.add(victim.pid)
    victim.kill()
    await asyncio.to_thread(victim.wait, 5)
    marks.mark(f"hub {len(st.hubs) - 1} (pid {victim.pid}) killed: its connections are lost unasked")

    def sums() -> tuple[int, int]:
        return sum(lost for lost, _ in swarm.unplanned.values()), sum(b for _, b in swarm.unplanned.values())

    def all_back() -> bool:
        lost, back = sums()
        return lost > 0 and back == lost

    ok = await swarm.until(all_back, args.storm_timeout)
    lost, back = sums()
    marks.mark(
        f"{back} of {lost} lost connections back on the other hubs"
        + ("" if ok else f" (not all within {args.storm_timeout:g} s)")
    )


async def slow_readers(st: Stage) -> dict[str, Any]:
    """Everyone connected, chat and Q&A votes flowing; every ``--slow-every``-th connection has a
    small receive buffer and sends nothing. A baseline phase (``--baseline`` s, everyone reading),
    then the slow ones stop reading (``--slow-for`` s): their socket buffers fill, the hub's
    writer policy applies to them (past 256 KiB its broadcast frames are dropped and the channel
    suspended, a ``gap`` owed; 15 s stuck, aborted). Then they read again (``--after`` s): a gap
    and a resubscribe from their offsets. The check (``slow_checks``): the readers' delivery lag
    in the slow phase within 10% of the baseline's."""
    args, swarm, marks = st.args, st.swarm, st.marks
    host = await st.host()
    swarm.listen()
    questions = await st.questions(host)
    connected = await st.connected()
    phases: dict[str, float] = {}

    async def steps() -> None:
        go(st, questions, 1)
        await asyncio.sleep(1.0)  # the senders' first second is a ramp, not the baseline
        phases["baseline"] = time.time()
        marks.mark("baseline: everyone reads")
        await asyncio.sleep(args.baseline)
        phases["slow"] = time.time()
        swarm.tell({"op": "pause"})
        marks.mark("the slow readers stop reading")
        await asyncio.sleep(args.slow_for)
        phases["after"] = time.time()
        swarm.tell({"op": "resume"})
        marks.mark("the slow readers read again")
        await asyncio.sleep(args.after)
        phases["end"] = time.time()

    await st.bounded(steps)
    final = await st.wind_down()
    await host.close()
    return {
        "connected": connected,
        "final": final,
        "problems": st.problems,
        "phases": phases,
        "hub_counters": st.hub_counters,
    }


async def capacity(st: Stage) -> dict[str, Any]:
    """One hub; the host shows a slide every second (one event to everyone on the agenda
    channel); connections join ``--step`` at a time, each step held ``--hold`` s; the ramp stops
    at the first step whose delivery lag p99 passes ``--lag-limit`` ms or that has an error or a
    failed connection, at ``--max-connections``, or when the time bound comes near."""
    args, swarm, marks = st.args, st.swarm, st.marks
    host = await st.host()
    swarm.listen()
    await st.connected()  # the workers start empty: ready once their process is up
    steps_done: list[dict[str, Any]] = []
    stop: list[str] = []

    async def broadcast() -> None:
        from loadtest import voters as lt

        k = 0
        while True:
            k += 1
            url = f"https://example.org/plenary/slides/{k}"
            await host_call(host, {"type": "slide.show", "meeting": lt.MEETING, "url": url, "title": f"{k}"})
            await asyncio.sleep(1.0 - time.time() % 1.0)

    async def steps() -> None:
        ticker = asyncio.create_task(broadcast())
        marks.mark("a slide every second to everyone (meeting agenda channel)")
        try:
            n_workers = len(swarm.procs)
            live = 0
            while True:
                want = min(args.step, args.max_connections - live)
                if want <= 0:
                    stop.append(f"reached --max-connections ({args.max_connections:,})")
                    break
                left = st.deadline - time.monotonic()
                if left < args.hold + 15:
                    stop.append("the time bound came near")
                    break
                swarm.grown.clear()
                t0 = time.time()
                swarm.tell_each(
                    [
                        {"op": "grow", "n": want // n_workers + (w < want % n_workers)}
                        for w in range(n_workers)
                    ]
                )
                if not await swarm.until(lambda: len(swarm.grown) == n_workers, min(60.0, left - args.hold)):
                    stop.append(f"a step of {want:,} connections did not finish connecting")
                    break
                live = sum(g["connected"] for g in swarm.grown)
                failed = sum(g["asked"] - g["live"] for g in swarm.grown)
                took = time.time() - t0
                marks.mark(f"{live:,} connected (+{want:,} in {took:.1f} s)")
                h0 = time.time()
                await asyncio.sleep(args.hold)
                row = window(swarm, h0, time.time())
                row.update(
                    connections=live, added=want, failed=failed, connect_s=took, c0=t0, t0=h0, t1=time.time()
                )
                steps_done.append(row)
                log(
                    f"{live:,} connections: lag p50/p99 {rep.fmt(row['p50'])}/{rep.fmt(row['p99'])} ms"
                    f" over {row['events']:,} events, errors {row['errors']}, failed connects {failed}"
                )
                if row["p99"] > args.lag_limit:
                    stop.append(
                        f"delivery lag p99 {rep.fmt(row['p99'])} ms past the limit ({args.lag_limit:g} ms)"
                    )
                    break
                if row["errors"] or failed:
                    stop.append(f"{row['errors']} errors and {failed} failed connections in the step")
                    break
        finally:
            ticker.cancel()
        marks.mark(f"ramp stopped: {stop[-1]}")

    await st.bounded(steps)
    final = await st.wind_down()
    await host.close()
    return {
        "connected": max((r["connections"] for r in steps_done), default=0),
        "final": final,
        "problems": st.problems,
        "steps": steps_done,
        "stop": stop[-1] if stop else "",
        "hub_counters": st.hub_counters,
    }


def probe_hub(pid: int, url: str) -> dict[str, Any]:
    """One hub now: resident MiB and open fds (from /proc), asyncio tasks and open connections
    (its ``/metrics``: ``plenary_asyncio_tasks``, ``plenary_connections`` over the codecs). A
    figure it cannot read is NaN (the hub died, or did not answer within 5 s)."""
    row: dict[str, Any] = {
        "pid": pid,
        "rss_mb": math.nan,
        "fds": math.nan,
        "tasks": math.nan,
        "conns": math.nan,
    }
    with contextlib.suppress(OSError, ValueError):
        row["rss_mb"] = usage(pid)[1]
        row["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    with contextlib.suppress(OSError, ValueError):
        samples = scrape.scrape(url)
        row["tasks"] = samples.get(scrape.key("plenary_asyncio_tasks"), math.nan)
        row["conns"] = scrape.total(samples, "plenary_connections")
    return row


async def sample_resources(st: Stage, into: list[dict[str, Any]]) -> None:
    """Every ``--sample-every`` s until cancelled: each hub (``probe_hub``) and Redis' memory
    (``used_memory``) and clients (``connected_clients``), appended to ``into``."""
    from engine.connection import command_client

    redis = command_client(st.redis_url, max_connections=2, name="soak-probe")
    try:
        while True:
            t = time.time()
            hubs = await asyncio.gather(
                *(
                    asyncio.to_thread(probe_hub, pid, url)
                    for pid, url in zip(st.hub_pids, st.urls, strict=True)
                )
            )
            row: dict[str, Any] = {
                "t": t,
                "hubs": list(hubs),
                "redis_mb": math.nan,
                "redis_clients": math.nan,
            }
            with contextlib.suppress(OSError, ConnectionError, TimeoutError):
                info = await asyncio.wait_for(redis.info(), 5)
                row["redis_mb"] = int(info["used_memory"]) / 2**20
                row["redis_clients"] = int(info["connected_clients"])
            into.append(row)
            await asyncio.sleep(max(0.1, st.args.sample_every - (time.time() - t)))
    finally:
        await redis.aclose()


async def soak(st: Stage) -> dict[str, Any]:
    """The plenary for ``--minutes``: everyone connected, chat and Q&A votes flowing throughout; a
    vote every ``--vote-every`` s (opened, every panelist casts within ``--cast-window``, closed,
    published); every ``--reconnect-every`` s ``--reconnect-share`` of the panelists drop and come
    back from their offsets (never during a vote's casting: a cast on a connection being replaced
    fails, which is the storm's subject, not this one's). Meanwhile every ``--sample-every`` s the
    hubs and Redis are sampled (``sample_resources``). The verdicts (``loadtest.verdicts.soak``):
    memory flat, tasks and fds back to their floor, plus the correctness of every vote and event."""
    from loadtest import voters as lt

    args, swarm, marks = st.args, st.swarm, st.marks
    host = await st.host()
    swarm.listen()
    questions = await st.questions(host)
    connected = await st.connected()
    samples: list[dict[str, Any]] = []
    votes: list[dict[str, Any]] = []
    waves: list[dict[str, Any]] = []
    voting = asyncio.Event()  # set while a vote is being cast: no reconnect wave then
    waving = asyncio.Event()  # set while a wave is coming back: the vote waits for it
    phases: dict[str, float] = {}

    async def vote_cycles(end: float) -> None:
        for k, vote in enumerate(vote_ids(args)):
            # the first after 20 s of chat (or half a --vote-every); none that could not finish
            at = phases["go"] + min(20.0, args.vote_every / 2) + k * args.vote_every
            if at + args.cast_window + 10 > end:
                return
            await asyncio.sleep(max(0.0, at - time.time()))
            voting.set()
            try:
                while waving.is_set():
                    await asyncio.sleep(0.2)
                before = swarm.acks
                opened = await host_call(host, {"type": "vote.open", "vote": vote})
                swarm.tell({"op": "cast", "vote": vote, "window": args.cast_window,
                            "proposals": lt.proposal_ids(), "seed": k + 1})  # fmt: skip
                marks.mark(f"vote {vote} opened ({opened['eligible']} eligible)")
                await swarm.until(lambda b=before: swarm.acks - b >= connected, args.cast_window + 30)
                await asyncio.sleep(0.5)
                await host_call(host, {"type": "vote.close", "vote": vote})
                published = await host_call(host, {"type": "vote.publish", "vote": vote})
                votes.append({"vote": vote, "acks": swarm.acks - before, "status": published["status"]})
                marks.mark(f"vote {vote} closed and published: {swarm.acks - before} acks")
            finally:
                voting.clear()

    async def reconnect_waves(end: float) -> None:
        k = 0
        while True:
            k += 1
            at = phases["go"] + k * args.reconnect_every
            if at + 15 > end:  # a wave is back within a few seconds: none that could not be
                return
            await asyncio.sleep(max(0.0, at - time.time()))
            while voting.is_set():
                await asyncio.sleep(0.5)
            waving.set()
            try:
                n0 = len(swarm.reconnected)
                swarm.tell({"op": "drop", "share": args.reconnect_share, "seed": k})
                back = await swarm.until(lambda n0=n0: len(swarm.reconnected) - n0 >= len(swarm.procs), 30)
            finally:
                waving.clear()
            dropped = sum(r["of"] for r in swarm.reconnected[n0:])
            waves.append({"t": at, "dropped": dropped, "all_back": back})
            marks.mark(
                f"reconnect wave {k}: {dropped} dropped, " + ("all back" if back else "NOT all back in 30 s")
            )

    async def steps() -> None:
        go(st, questions, 1)
        phases["go"] = time.time()
        # before the time bound: the wind-down needs its catch-up and a margin
        end = min(phases["go"] + args.minutes * 60, time.time() + st.deadline - time.monotonic() - 5)
        sampler = asyncio.create_task(sample_resources(st, samples))
        side = [asyncio.create_task(vote_cycles(end)), asyncio.create_task(reconnect_waves(end))]
        try:
            await asyncio.sleep(max(0.0, end - time.time()))
            for t in side:
                if not t.done():
                    t.cancel()
            for t in side:
                with contextlib.suppress(asyncio.CancelledError):
                    await t  # a step's failure (a refused command) ends the steps, as elsewhere
        finally:
            phases["end"] = time.time()  # the samples' span, whatever ended the steps
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
        marks.mark(f"{args.minutes:g} minutes over: {len(votes)} votes, {len(waves)} reconnect waves")

    await st.bounded(steps)
    final = await st.wind_down()
    await host.close()
    stored = await soak_stored(st.redis_url, votes)
    return {
        "connected": connected,
        "final": final,
        "problems": st.problems,
        "stored": stored,
        "samples": samples,
        "votes": votes,
        "waves": waves,
        "phases": phases,
        "hub_counters": st.hub_counters,
    }


async def soak_stored(redis_url: str, votes: list[dict[str, Any]]) -> list[str]:
    """Each vote's ballots in Redis against its acknowledgements (the receipts are per panelist,
    so only the count is checked: a lost or doubled ballot changes it)."""
    from engine.connection import command_client
    from loadtest import voters as lt

    redis = command_client(redis_url, name="soak-verify")
    try:
        problems = []
        for v in votes:
            n = await lt.ballot_count(redis, v["vote"])
            if n != v["acks"]:
                problems.append(f"{v['vote']}: {v['acks']} acks but {n} ballots stored")
        return problems
    finally:
        await redis.aclose()


HUB_COUNTERS = rep.POLICY_COUNTERS + rep.BROADCAST_COUNTERS
"""The hubs' counters a scenario reads at its end (``loadtest.report`` says what each tells)."""


def hub_counters(urls: list[str]) -> dict[str, float]:
    """``HUB_COUNTERS`` from every hub's ``/metrics`` (Prometheus text), summed; a hub that does
    not answer within 5 s is left out."""
    out = dict.fromkeys(HUB_COUNTERS, 0.0)
    for url in urls:
        with contextlib.suppress(OSError):
            samples = scrape.scrape(url)
            for name in HUB_COUNTERS:
                out[name] += scrape.total(samples, name)
    return out


def window(swarm: Swarm, t0: float, t1: float) -> dict[str, Any]:
    """The readers' events, lag p50/p99 and errors in the whole seconds within [t0, t1)."""
    s = Second(0)
    for sec, x in swarm.seconds.items():
        if t0 <= sec and sec + 1 <= t1:
            s.merge(x)
    return {
        "events": s.events,
        "p50": rep.percentile(s.lag, 50),
        "p99": rep.percentile(s.lag, 99),
        "errors": sum(s.errors.values()),
    }


async def _proposals(st: Stage) -> dict[str, Any]:
    """Issue 14's proposals at scale: ``loadtest.proposals_scenario``."""
    from loadtest import proposals_scenario

    return await proposals_scenario.steps(st)


async def _tables(st: Stage) -> dict[str, Any]:
    """Issue 15's live tables at scale, with the table phones' storm: ``loadtest.tables_scenario``."""
    from loadtest import tables_scenario

    return await tables_scenario.steps(st, host_call)


STEPS: dict[str, Callable[[Stage], Awaitable[dict[str, Any]]]] = {
    "plenary-burst": plenary_burst,
    "reconnect-storm": reconnect_storm,
    "slow-readers": slow_readers,
    "capacity": capacity,
    "scaling": plenary_burst,  # on 1, 2 and 3 hubs, one round each
    "soak": soak,
    "proposals": _proposals,
    "tables": _tables,
}


def vote_ids(args: argparse.Namespace) -> list[str]:
    """The votes seeded as drafts: the plenary's one; the soak's, one for each ``--vote-every``."""
    from loadtest import voters as lt

    if args.scenario != "soak":
        return [lt.VOTE]
    return [f"{lt.VOTE}-{k}" for k in range(int(args.minutes * 60 // args.vote_every) + 1)]


def channels(scenario: str, args: argparse.Namespace | None = None) -> list[str]:
    """The channels every connection of ``scenario`` follows (the soak: every vote's)."""
    from engine import keys
    from loadtest import voters as lt

    if scenario == "proposals" and args is not None:
        from loadtest import proposals_scenario

        return proposals_scenario.channels(args)
    if scenario == "tables" and args is not None:
        from loadtest import tables_scenario

        return tables_scenario.channels(args)
    if scenario == "soak" and args is not None:
        return [keys.meeting_chat(lt.MEETING), keys.meeting_qa(lt.MEETING), *map(keys.vote, vote_ids(args))]
    if scenario == "capacity":
        return [keys.meeting_agenda(lt.MEETING)]
    if scenario in ("reconnect-storm", "slow-readers"):
        return [keys.meeting_chat(lt.MEETING), keys.meeting_qa(lt.MEETING)]
    return [keys.meeting_chat(lt.MEETING), keys.meeting_qa(lt.MEETING), keys.vote(lt.VOTE)]


async def final_offsets(redis_url: str, chans: list[str]) -> dict[str, int]:
    """Each followed channel's last offset, from Redis (the tail every connection must reach)."""
    from engine.channels import ChannelLog
    from engine.connection import command_client

    redis = command_client(redis_url, name="scenario-offsets")
    try:
        log_ = ChannelLog(redis)
        return {ch: (await log_.recover(ch, None, None)).offset for ch in chans}
    finally:
        await redis.aclose()


async def seed(redis_url: str, n: int, tokens: Path, votes: Sequence[str] = ()) -> None:
    """The roster (``n`` panelists and the host), the meeting, and the vote(s) (``votes``, else
    the plenary's one) as drafts: the host opens them during the run."""
    from ballot.store import VoteStore
    from engine.channels import ChannelLog
    from engine.connection import command_client
    from loadtest import voters as lt

    redis = command_client(redis_url, name="scenario-seed")
    try:
        toks = await lt.seed_people(redis, n)
        store = VoteStore(ChannelLog(redis))
        for vote in votes or [lt.VOTE]:
            await store.create(lt.definition(vote))
        lt.write_tokens(tokens, toks, lt.MEETING, (list(votes) or [lt.VOTE])[0])
    finally:
        await redis.aclose()


def _hub_preexec() -> None:
    """In the hub before exec: die with the orchestrator, and open files up to the hard limit
    (capacity holds 10,000+ connections on one process; the soft limit may be lower)."""
    import resource

    _die_with_parent()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@contextlib.contextmanager
def hub_processes(
    redis_url: str, n: int, core: int | None, logdir: Path, extra: Sequence[str] = ()
) -> Iterator[list[tuple[subprocess.Popen[bytes], int]]]:
    """``n`` hubs (``plenary serve``) on one Redis, each on its own port; all stopped at the end.
    ``extra``: more ``plenary serve`` options (``--send-buffer``)."""
    hubs: list[tuple[subprocess.Popen[bytes], int]] = []
    try:
        for i in range(n):
            port = free_port()
            logfile = logdir / f"hub-{i}.log"
            with logfile.open("wb") as out:
                hub = subprocess.Popen(
                    [*pin_prefix(core), sys.executable, "-m", "cli.main", "serve", "--redis-url", redis_url,
                     "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", *extra],
                    cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_hub_preexec,
                )  # fmt: skip
            hubs.append((hub, port))
            wait_ready(f"http://127.0.0.1:{port}", hub, logfile)
        yield hubs
    finally:
        for hub, _ in hubs:
            stop_process(hub)


def start_workers(
    args: argparse.Namespace, urls: list[str], tokens: Path, core: int | None, max_seconds: float
) -> Swarm:
    from loadtest import voters as lt

    seats = [(s.participant_id, s.token) for s in lt.read_tokens(tokens)][: args.panelists]
    if args.scenario == "tables":
        from loadtest import tables_scenario

        seats = tables_scenario.seats(args, tokens)  # the facilitators, the console, the overview too
    ctx = mp.get_context("spawn")
    swarm = Swarm()
    for w in range(args.workers):
        spec = WorkerSpec(
            index=w,
            url=urls[0],
            urls=tuple(urls[(w + k) % len(urls)] for k in range(len(urls))),
            seats=seats[w :: args.workers],
            channels=channels(args.scenario, args),
            meeting=lt.MEETING,
            core=core,
            max_seconds=max_seconds,
            initial=0 if args.scenario == "capacity" else None,
            slow_every=args.slow_every if args.scenario == "slow-readers" else 0,
            **proposal_seats(args),
        )
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=worker_main, args=(spec, child), name=f"swarm-{w}", daemon=True)
        proc.start()
        child.close()
        swarm.procs.append(proc)
        swarm.pipes.append(parent)
    return swarm


def proposal_seats(args: argparse.Namespace) -> dict[str, Any]:
    """proposals: each seat's channels and topic meeting (``WorkerSpec``); tables: each seat's
    table, the cards or the overview; the others: none."""
    if args.scenario == "tables":
        from loadtest import tables_scenario

        return {"seat_channels": tables_scenario.seat_channels(args)}
    if args.scenario != "proposals":
        return {}
    from loadtest import proposals_scenario

    return {
        "seat_channels": proposals_scenario.seat_channels(args),
        "seat_meetings": proposals_scenario.seat_meetings(args),
    }


def stop_workers(swarm: Swarm) -> None:
    for p in swarm.procs:
        p.join(timeout=10)
        if p.is_alive():
            p.terminate()
            p.join(timeout=5)
        if p.is_alive():
            p.kill()


async def progress(swarm: Swarm, every: float, t0: float) -> None:
    """A line every ``every`` seconds: connections, casts and acks (once there are casts), the last
    seconds' p99s, errors."""
    while True:
        await asyncio.sleep(every)
        recent = Second(0)
        secs = sorted(swarm.seconds)
        for sec in secs[-int(every) :]:
            recent.merge(swarm.seconds[sec])
        conns = swarm.seconds[secs[-1]].conns if secs else 0
        errors = sum(sum(s.errors.values()) for s in swarm.seconds.values())
        casts = sum(s.casts for s in swarm.seconds.values())
        voting = (
            f" casts {swarm.acks}/{casts} acked, cast→ack p99 {rep.fmt(rep.percentile(recent.ack, 99))} ms;"
            if casts
            else ""
        )
        log(
            f"t+{time.time() - t0:.0f}s: {conns} connected,{voting} last {every:g}s: {recent.events:,} events,"
            f" lag p99 {rep.fmt(rep.percentile(recent.lag, 99))} ms; errors {errors}"
        )


@dataclass
class Round:
    """One run of a scenario's steps against ``hubs`` hub processes (scaling has three)."""

    hubs: int
    swarm: Swarm
    resources: list[dict[str, Any]]
    marks: Marks
    result: dict[str, Any]
    hub_cpu_s: list[float]  # CPU seconds each hub used over the round
    hub_log: str


def one_round(
    args: argparse.Namespace, n_hubs: int, max_seconds: float, marks: Marks, cores: tuple[int, int] | None
) -> Round:
    """Fresh Redis, seats, ``n_hubs`` hubs and the swarm; the scenario's steps; everything it
    started stopped. Bounded by ``max_seconds`` (the steps end earlier, to leave time to collect)."""
    deadline = time.monotonic() + max_seconds - 15 - args.catch_up
    hub_core, load_core = (cores[0], cores[1]) if cores else (None, None)
    result: dict[str, Any] = {}
    swarm = Swarm()
    sampler: Sampler | None = None
    hub_cpu: list[float] = []
    killed: set[int] = set()
    with tempfile.TemporaryDirectory(prefix="scen-", dir="/tmp") as d:
        tmp = Path(d)
        with embedded_redis(tmp / "redis", load_core) as server:
            tokens = tmp / "tokens.csv"
            if args.scenario == "proposals":
                from loadtest import proposals_scenario

                asyncio.run(proposals_scenario.seed(server.url, args, tokens))
            elif args.scenario == "tables":
                from loadtest import tables_scenario

                asyncio.run(tables_scenario.seed(server.url, args, tokens))
            else:
                asyncio.run(seed(server.url, args.panelists, tokens, vote_ids(args)))
            marks.mark(f"seeded {args.panelists} panelists and the host")
            hub_extra: tuple[str, ...] = (
                () if args.send_buffer is None else ("--send-buffer", str(args.send_buffer))
            ) + tuple(shlex.split(args.hub_args))
            with hub_processes(server.url, n_hubs, hub_core, tmp, hub_extra) as hubs:
                urls = [f"ws://127.0.0.1:{port}/ws" for _, port in hubs]
                marks.mark(
                    f"{n_hubs} hub(s), pid {', '.join(str(h.pid) for h, _ in hubs)} (core {hub_core});"
                    f" Redis and swarm on core {load_core}"
                )
                cpu0 = [usage(h.pid)[0] for h, _ in hubs]
                try:
                    swarm = start_workers(args, urls, tokens, load_core, max_seconds)
                    sampler = Sampler(
                        {
                            "hub": [h.pid for h, _ in hubs],
                            "redis": [server.pid() or 0],
                            "swarm": [p.pid for p in swarm.procs],
                            "orchestrator": [os.getpid()],
                        }
                    )
                    sampler.start()
                    st = Stage(
                        args, urls, tokens, server.url, swarm, marks, deadline, channels(args.scenario, args)
                    )
                    st.hub_pids = [h.pid for h, _ in hubs]
                    st.hubs, st.killed = [h for h, _ in hubs], killed

                    async def main() -> dict[str, Any]:
                        ticker = asyncio.create_task(progress(swarm, args.progress, time.time()))
                        try:
                            return await STEPS[args.scenario](st)
                        finally:
                            ticker.cancel()

                    result = asyncio.run(main())
                finally:
                    if sampler is not None:
                        sampler.halt.set()
                        sampler.join(5)
                    swarm.tell({"op": "finish", "parent_gone": True})
                    stop_workers(swarm)
                hub_cpu = [
                    float("nan") if h.pid in killed else usage(h.pid)[0] - c
                    for (h, _), c in zip(hubs, cpu0, strict=True)
                ]
                hub_log = "".join((tmp / f"hub-{i}.log").read_text(errors="replace") for i in range(n_hubs))
                for h, _ in hubs:
                    if h.poll() is not None and h.pid not in killed:
                        result.setdefault("problems", []).append(
                            f"a hub exited during the run ({h.returncode})"
                        )
    return Round(n_hubs, swarm, sampler.rows if sampler else [], marks, result, hub_cpu, hub_log)


def as_run(args: argparse.Namespace, rnd: Round, meta: dict[str, Any]) -> rep.Run:
    sw = rnd.swarm
    return rep.Run(
        meta=meta,
        seconds=[sw.seconds[s] for s in sorted(sw.seconds)],
        totals=sw.totals,
        resources=rnd.resources,
        marks=rnd.marks.at,
        result=rnd.result,
        targets={"ack_p99_ms": TARGET_ACK_P99_MS, "lag_p99_ms": TARGET_LAG_P99_MS},
        slow_seconds=[sw.slow_seconds[s] for s in sorted(sw.slow_seconds)],
        slow_totals=sw.slow_totals,
    )


def run(args: argparse.Namespace) -> int:
    cores = two_cores()
    started = dt.datetime.now(dt.UTC)
    out_dir = args.out / f"{args.scenario}-{started.strftime('%Y%m%dT%H%M%SZ')}"
    if cores:
        os.sched_setaffinity(0, {cores[1]})
    hub_counts = args.hubs if args.scenario == "scaling" else args.hubs[:1]  # the others: one round
    marks = Marks()
    rounds: list[Round] = []
    t_end = time.monotonic() + args.max_seconds
    for i, n in enumerate(hub_counts):
        share = (t_end - time.monotonic()) / (len(hub_counts) - i)
        if len(hub_counts) > 1:
            marks.prefix = f"[{n} hub(s)] "
            marks.mark(f"round {i + 1}")
        rounds.append(one_round(args, n, share, marks, cores))
    meta = {
        "scenario": args.scenario,
        "started": started.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "command": "python -m loadtest.scenarios "
        + " ".join(sys.argv[1:] if args.argv is None else args.argv),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "placement": f"hub(s) on core {cores[0]}; Redis, {args.workers} swarm worker(s) and the orchestrator on core {cores[1]}"
        if cores
        else "not pinned (needs taskset and two cores)",
        "args": vars(args) | {"out": str(args.out), "argv": None},
        "hub_errors": any("Traceback" in r.hub_log or " ERROR " in r.hub_log for r in rounds),
        "hub_log_tail": "".join(r.hub_log for r in rounds)[-20_000:],
    }
    if args.scenario == "scaling":
        data = judged.scaling(args, [(r.hubs, as_run(args, r, meta), r.hub_cpu_s) for r in rounds], meta)
    else:
        data = as_run(args, rounds[0], meta)
        judged.judge(args, data)
        if args.scenario == "proposals":
            from loadtest import proposals_scenario

            proposals_scenario.verdict(args, data, rounds[0].swarm.crowd)
        if args.scenario == "tables":
            from loadtest import tables_scenario

            tables_scenario.verdict(args, data, rounds[0].swarm.crowd)
    summary, ok = rep.write(out_dir, data)
    print(summary, flush=True)
    return 0 if ok else 1


DEFAULTS: dict[str, dict[str, Any]] = {
    # scenario -> its defaults where they differ from plenary-burst's
    "reconnect-storm": {"max_seconds": 120.0},
    "slow-readers": {"max_seconds": 130.0, "chat_chars": 400},
    "capacity": {"max_seconds": 175.0, "panelists": 14_000, "workers": 4},
    "scaling": {"max_seconds": 240.0, "seconds": 12.0, "catch_up": 5.0},  # three rounds
    "soak": {"panelists": 1000},  # max_seconds: --minutes and 3 minutes more (connecting, the end)
    "tables": {"max_seconds": 200.0},  # 3,300 connecting, 2 steps of 20 s with the storm, the end
}


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m loadtest.scenarios",
        description=__doc__.split("\n")[0],
        epilog="Defaults in parentheses are plenary-burst's; other scenarios: "
        + "; ".join(
            f"{k}: {', '.join('--' + o.replace('_', '-') + f' {v:g}' for o, v in d.items())}"
            for k, d in DEFAULTS.items()
        ),
    )
    ap.add_argument("scenario", choices=SCENARIOS)
    ap.add_argument(
        "--panelists", type=int, help="panelists seated (3000); capacity: the most connections (14000)"
    )
    ap.add_argument("--seconds", type=float, help="how long chat and Q&A votes run (60)")
    ap.add_argument("--workers", type=int, help="swarm processes (3)")
    ap.add_argument("--chat-rate", type=float, help="chat messages a second, all together (20)")
    ap.add_argument("--chat-chars", type=int, help="characters per chat message, padded (0: short ones)")
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
        help="at the end, seconds every connection has to receive the channels' last events (10)",
    )
    ap.add_argument("--progress", type=float, default=5.0, help="seconds between progress lines (5)")
    ap.add_argument("--out", type=Path, default=ROOT / "loadtest" / "reports", help="reports go under here")
    ap.add_argument("--max-seconds", type=float, help="bound on the whole run (170)")
    g = ap.add_argument_group("reconnect-storm")
    g.add_argument("--before", type=float, default=10.0, help="seconds of traffic before the drop (10)")
    g.add_argument(
        "--after",
        type=float,
        default=10.0,
        help="seconds of traffic after all are back (10); slow-readers: after they read again (10)",
    )
    g.add_argument("--storm-timeout", type=float, default=40.0, help="for everyone to be back (40 s)")
    g.add_argument(
        "--kill-hub-after",
        type=float,
        help="with --hubs 2 or more: SIGKILL the last hub this many seconds into the traffic, before"
        " the drop; its connections come back on the others by themselves (the swarm's unplanned reconnects)",
    )
    g.add_argument("--catch-up-target", type=float, default=10.0, help="every client caught up within (10 s)")
    g = ap.add_argument_group("slow-readers")
    g.add_argument(
        "--slow-every", type=int, default=10, help="every k-th connection stops reading (10: 10%%)"
    )
    g.add_argument("--baseline", type=float, default=15.0, help="seconds with everyone reading (15)")
    g.add_argument("--slow-for", type=float, default=25.0, help="seconds the slow ones do not read (25)")
    g.add_argument(
        "--tolerance", type=float, default=0.10, help="the readers' lag may grow by this share (0.10)"
    )
    g.add_argument(
        "--send-buffer",
        type=int,
        help="the hubs' SO_SNDBUF per client socket, bytes (plenary serve's default; 0: the kernel's autotuning)",
    )
    ap.add_argument(
        "--hub-args",
        default="",
        help="more `plenary serve` options for every hub, one string (A/B runs: --hub-args '--no-recent')",
    )
    g = ap.add_argument_group("capacity")
    g.add_argument("--step", type=int, default=2000, help="connections added a step (2000)")
    g.add_argument("--hold", type=float, default=4.0, help="seconds each step is measured (4)")
    g.add_argument(
        "--lag-limit", type=float, default=250.0, help="delivery lag p99 past which the ramp stops (250 ms)"
    )
    g = ap.add_argument_group("soak")
    g.add_argument(
        "--minutes", type=float, help="how long the plenary runs (30); proposals: the compressed hour (3)"
    )
    g.add_argument(
        "--sample-every", type=float, default=5.0, help="seconds between the processes' samples (5)"
    )
    g.add_argument(
        "--vote-every", type=float, default=180.0, help="a vote opened, cast, closed, published every (180 s)"
    )
    g.add_argument(
        "--reconnect-every", type=float, default=60.0, help="a share of the panelists reconnects every (60 s)"
    )
    g.add_argument(
        "--reconnect-share",
        type=float,
        default=0.03,
        help="the share of panelists that drop each time (0.03)",
    )
    g = ap.add_argument_group("proposals (the hour: --minutes)")
    g.add_argument("--meetings", type=int, default=10, help="topic meetings the panelists are in (10)")
    g.add_argument("--proposals", type=int, default=500, help="proposals submitted in the hour (500)")
    g.add_argument("--supports", type=int, default=20_000, help="supports (공감) in the hour (20000)")
    g.add_argument(
        "--withdraw-share", type=float, default=0.05, help="withdrawals, as a share of the supports (0.05)"
    )
    g.add_argument("--comments", type=int, default=2000, help="comments in the hour (2000)")
    g.add_argument("--joins", type=int, default=150, help="co-authors joining in the hour (150)")
    g.add_argument(
        "--hot-window",
        type=float,
        default=60.0,
        help="after the hour, everyone supports the plenary's proposal within (60 s; 0: no hot phase)",
    )
    g.add_argument(
        "--idle", type=float, default=4.0, help="seconds the hub's idle rate is measured before the hour (4)"
    )
    g = ap.add_argument_group("tables (issue 15; the storm's options are reconnect-storm's)")
    g.add_argument("--tables", type=int, default=300, help="tables the panelists sit at (300)")
    g.add_argument("--steps", type=int, default=2, help="steps of the table agenda the host starts (2)")
    g.add_argument("--step-seconds", type=float, default=20.0, help="seconds each step runs (20)")
    g.add_argument("--cards", type=int, default=3, help="cards per table per step (3)")
    g.add_argument(
        "--message-every", type=float, default=5.0, help="seconds between two messages at a table (5)"
    )
    g.add_argument(
        "--storm-at",
        type=float,
        default=5.0,
        help="seconds into the last step every connection drops at once (5; negative: no storm)",
    )
    g = ap.add_argument_group("scaling")
    g.add_argument(
        "--hubs",
        type=lambda v: [int(x) for x in v.split(",")],
        default=None,
        help="hub processes per round (1,2,3); the other scenarios: hub processes on one Redis (1; tables: 2)",
    )
    args = ap.parse_args(argv)
    args.argv = argv
    if args.minutes is None:
        args.minutes = 3.0 if args.scenario == "proposals" else 30.0
    if args.scenario == "proposals" and args.max_seconds is None:
        # connecting 3,000 takes up to a minute on a loaded machine; the end its catch-up and checks
        args.max_seconds = args.minutes * 60 + args.hot_window + 180
    if args.scenario == "soak" and args.max_seconds is None:
        args.max_seconds = args.minutes * 60 + 180
    base = {"panelists": 3000, "seconds": 60.0, "workers": 3, "chat_rate": 20.0, "chat_chars": 0,
            "catch_up": 10.0, "max_seconds": 170.0}  # fmt: skip
    for name, value in (base | DEFAULTS.get(args.scenario, {})).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.hubs is None:
        args.hubs = {"scaling": [1, 2, 3], "tables": [2]}.get(args.scenario, [1])
    args.max_connections = args.panelists
    senders = args.panelists - (args.panelists // args.slow_every if args.scenario == "slow-readers" else 0)
    limit = senders * CHAT_LIMIT_PER_S * 0.9
    if args.chat_rate > limit:
        log(f"--chat-rate {args.chat_rate:g} is past what {senders} panelists may send: {limit:g} a second")
        args.chat_rate = limit
    args.workers = max(1, min(args.workers, args.panelists))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from loadtest.bench_cast import _bounded

    return _bounded(lambda: run(args), args.max_seconds + 30)


if __name__ == "__main__":
    sys.exit(main())
