"""Faults on purpose, one harness: ``make faults FAULT=<name>`` (``python -m loadtest.faults``).

Each fault is one small function (``FAULTS``) that ``loadtest.failover.measure`` calls in the
middle of the same run: ``make cluster``'s topology in its own folder (Redis with AOF ``always``,
three hubs, HAProxy), every panelist connected through HAProxy following the plenary chat while
acknowledged chat messages flow, every panelist casting once within ``--cast-window``. Whatever
the fault, the harness then checks the same things: every acknowledged ballot stored once with its
tracking code, every acknowledged chat message in Redis at its offset, every client at the chat's
last offset without a hole or a repeat. The fault adds its own figures (how long until ready
again, when HAProxy marked a hub down and up).

- ``kill-hub``: SIGKILL the hub holding the most connections (``make failover``).
- ``redis-term`` / ``redis-kill``: Redis stopped with SIGTERM (it fsyncs and exits) or SIGKILL,
  down ``--down`` seconds, started again from its AOF: the hubs reconnect by themselves
  (``engine.pubsub``: each subscriber is told to recover), the clients recover from their offsets.
- ``hub-cut``: one hub cut from Redis by the packet filter (``iptables`` DROP on its connections to
  Redis and, through a cgroup of its own, on any it opens) for ``--cut`` seconds: it must say 503
  on ``/readyz``, HAProxy must mark it down and send it no one, and it must rejoin after.
- ``cluster-master-kill`` (``--redis cluster``: three masters with a replica each): SIGKILL the
  master holding the vote's slot; its replica takes over (about two ``cluster-node-timeout``s);
  the dead node is started again ``--down`` seconds after the failover, as its supervisor would,
  and rejoins as the new master's replica. Until then a cast on that slot cannot be replicated
  (``WAIT 1``) and is refused ``unavailable``, retried with its nonce: every acknowledged ballot
  must be present afterwards. Measured: the failover, the replica's return, the casts' stall,
  and every hub's own ``/readyz`` over the fault (``ReadinessWatch``: a failover must not take
  the hubs out, ``engine.reach``).
- ``slow-link``: every ``1 / --slow-share``-th panelist connects through a network namespace whose
  veth link is throttled (``tbf``) and lossy (the packet filter's ``statistic`` match; this
  kernel has no netem) for ``--impair`` seconds: everyone else's live chat delay is compared with
  the run's unimpaired phase before.

Bounded: loopback only; the whole run within ``--max-seconds``; the topology stopped and every
packet-filter rule, cgroup and namespace removed in ``finally``. ``hub-cut`` and ``slow-link`` need
root (the packet filter, cgroups, network namespaces).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import ctypes
import functools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cli import cluster
from engine import keys
from loadtest import scrape
from loadtest import voters as lt
from loadtest.failover import Fault, FaultContext, kill_hub, measure, percentiles


def cgroup2_root() -> Path:
    """Where the cgroup v2 hierarchy is mounted: ``/sys/fs/cgroup/unified`` beside the v1 ones
    (this machine), ``/sys/fs/cgroup`` on a host with v2 alone."""
    hybrid = Path("/sys/fs/cgroup/unified")
    return hybrid if (hybrid / "cgroup.procs").exists() else Path("/sys/fs/cgroup")


TCP_LISTEN = "0A"  # /proc/net/tcp's state column; any other state is a connection (or one opening)
ACCEPTED_METRIC = "plenary_accepted_connections_total"  # realtime.ops.metrics.CONNECTIONS_TOTAL
CLOSES_METRIC = "plenary_closes_total"  # realtime.ops.metrics.CLOSES, by close code


# -- helpers -----------------------------------------------------------------------------------
async def hub_status(top: cluster.Topology, index: int) -> int | None:
    """A hub's own ``/readyz`` status (not through HAProxy), off the event loop."""
    url = f"http://127.0.0.1:{top.hub_port(index)}/readyz"
    return await asyncio.to_thread(cluster.http_status, url, 2.0)


async def until(check: Callable[[], Awaitable[bool]], timeout: float, every: float = 0.1) -> float | None:
    """Seconds until the async ``check()`` is true, or None at ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if await check():
            return round(time.monotonic() - started, 2)
        await asyncio.sleep(every)
    return None


def haproxy_said(top: cluster.Topology, text: str, offset: int, after: str = "") -> bool:
    """Whether HAProxy's log from ``offset`` holds ``text`` (after ``after``'s first line, if given)."""
    with (top.directory / "haproxy.log").open("rb") as fh:
        fh.seek(offset)
        log = fh.read().decode(errors="replace")
    if after:
        return after in log and text in log[log.index(after) :]
    return text in log


def log_size(top: cluster.Topology) -> int:
    log = top.directory / "haproxy.log"
    return log.stat().st_size if log.exists() else 0


def pin(ctx: FaultContext, name: str) -> None:
    """A process restarted by a fault goes where ``--pin`` put the topology: core 0."""
    if ctx.args.pin:
        proc = next(p for p in ctx.running.procs if p.name == name)
        os.sched_setaffinity(proc.pid, {0})


# -- Redis stopped and started again from its AOF ----------------------------------------------
async def restart_redis(ctx: FaultContext, sig: signal.Signals) -> dict[str, Any]:
    """Stop Redis with ``sig``, leave it down ``--down`` seconds, start it again on the same AOF;
    measure until Redis answers and until every hub's ``/readyz`` says 200 again."""
    top = ctx.running.top
    started = time.monotonic()
    await asyncio.to_thread(ctx.running.kill, "redis", sig)
    exited_s = time.monotonic() - started
    await asyncio.sleep(ctx.args.down)
    restarted = time.monotonic()
    await asyncio.to_thread(ctx.running.restart, "redis")
    pin(ctx, "redis")
    answers_s = time.monotonic() - restarted

    async def hub_ready(i: int) -> float | None:
        async def ok() -> bool:
            return await hub_status(top, i) == 200

        return await until(ok, 30)

    ready = await asyncio.gather(*(hub_ready(i) for i in range(1, top.hubs + 1)))
    return {
        "signal": sig.name,
        "redis_exited_s": round(exited_s, 2),
        "down_s": ctx.args.down,
        "redis_answers_after_start_s": round(answers_s, 2),
        "hubs_ready_after_start_s": dict(zip(range(1, top.hubs + 1), ready, strict=True)),
        "ok": None not in ready,
    }


# -- a hub cut from Redis by the packet filter --------------------------------------------------
def redis_sockets(pid: int, redis_port: int) -> list[int]:
    """The local ports of ``pid``'s TCP connections to ``redis_port`` on loopback, open or opening
    (its fds' socket inodes, looked up in ``/proc/<pid>/net/tcp``)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = []
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        cols = line.split()
        local, remote, state, inode = cols[1], cols[2], cols[3], cols[9]
        if inode in inodes and int(remote.split(":")[1], 16) == redis_port and state != TCP_LISTEN:
            ports.append(int(local.split(":")[1], 16))
    return ports


PROGRAMS: dict[str, str] = {"iptables": "iptables", "ip": "ip", "tc": "tc"}
"""The Debian programs the faults run: ``main`` sets their paths from ``--iptables``, ``--ip`` and
``--tc`` (``make faults`` passes what ``tools/system_packages.py`` found or installed)."""


def program(name: str) -> str:
    return PROGRAMS[name]


def iptables(*rule: str) -> None:
    subprocess.run([program("iptables"), *rule], check=True, capture_output=True, text=True, timeout=10)


def remove_rules(tag: str) -> None:
    """Delete every OUTPUT rule carrying the comment ``tag`` (ours, and only ours)."""
    listed = subprocess.run(
        [program("iptables"), "-S", "OUTPUT"], check=True, capture_output=True, text=True, timeout=10
    ).stdout
    for line in listed.splitlines():
        if f'--comment "{tag}"' in line or f"--comment {tag}" in line:
            subprocess.run(
                [program("iptables"), *re.sub(r"^-A ", "-D ", line).replace('"', "").split()],
                capture_output=True,
                timeout=10,
            )


@contextlib.contextmanager
def cut_from_redis(pid: int, redis_port: int) -> Iterator[dict[str, Any]]:
    """Drop every packet between process ``pid`` and Redis, both ways, as a cut network does
    (nothing refused, nothing answered), and nobody else's: its open connections by their ports,
    and any connection it opens meanwhile by its cgroup (the process is moved to a cgroup of its
    own; a socket belongs to the cgroup it was created in). Undone on leaving, whatever happens."""
    tag = f"plenary-fault-{redis_port}"
    root = cgroup2_root()
    group = root / tag
    said: dict[str, Any] = {}
    try:
        group.mkdir(exist_ok=True)
        (group / "cgroup.procs").write_text(str(pid))
        ports = redis_sockets(pid, redis_port)
        said["connections_cut"] = len(ports)
        note = ["-m", "comment", "--comment", tag, "-j", "DROP"]
        iptables(
            "-I", "OUTPUT", "-p", "tcp", "-m", "cgroup", "--path", tag, "--dport", str(redis_port), *note
        )
        for port in ports:
            iptables("-I", "OUTPUT", "-p", "tcp", "--sport", str(port), "--dport", str(redis_port), *note)
            iptables("-I", "OUTPUT", "-p", "tcp", "--sport", str(redis_port), "--dport", str(port), *note)
        yield said
    finally:
        remove_rules(tag)
        if group.exists():
            with contextlib.suppress(OSError):
                (root / "cgroup.procs").write_text(str(pid))
            with contextlib.suppress(OSError):
                group.rmdir()


def metric(top: cluster.Topology, index: int, name: str, **labels: str) -> int:
    """The sum of hub ``index``'s samples ``name`` with these labels (its own ``/metrics``, which
    answers without Redis)."""
    return int(scrape.total(scrape.scrape(f"http://127.0.0.1:{top.hub_port(index)}"), name, **labels))


def accepted(top: cluster.Topology, index: int) -> int:
    """How many WebSockets hub ``index`` has accepted since it started."""
    return metric(top, index, ACCEPTED_METRIC)


async def hub_cut(ctx: FaultContext) -> dict[str, Any]:
    """Cut the busiest hub from Redis for ``--cut`` seconds; measure when it says 503, when HAProxy
    marks it down, whether any client reached it while down, when it is ready and back after."""
    top = ctx.running.top
    victim = ctx.busiest
    name = f"hub-{victim}"
    proc = next(p for p in ctx.running.procs if p.name == name)
    offset = log_size(top)
    figures: dict[str, Any] = {"cut": name}

    async def said_503() -> bool:
        return await hub_status(top, victim) == 503

    async def marked_down() -> bool:
        return haproxy_said(top, f"hubs/{name} is DOWN", offset)

    async def marked_up() -> bool:
        return haproxy_said(top, f"hubs/{name} is UP", offset, after=f"hubs/{name} is DOWN")

    with cut_from_redis(proc.pid, top.redis_port) as said:
        started = time.monotonic()
        figures.update(said)
        figures["not_ready_after_s"] = await until(said_503, ctx.args.cut)
        figures["haproxy_down_after_s"] = await until(marked_down, ctx.args.cut)
        at_down = await asyncio.to_thread(accepted, top, victim)
        await asyncio.sleep(max(0.0, ctx.args.cut - (time.monotonic() - started)))
        figures["accepted_while_marked_down"] = await asyncio.to_thread(accepted, top, victim) - at_down
        # The 1012 rule (--redis-cut-close): the cut hub closed its clients so that they move.
        figures["closed_with_1012"] = await asyncio.to_thread(metric, top, victim, CLOSES_METRIC, code="1012")
        # Still cut: the rules go on leaving the block, and their removal takes a moment (each an
        # iptables run), enough on a loaded machine for HAProxy's checks to pass once it is done.
        figures["haproxy_up_again_while_cut"] = await marked_up()
        uncut = time.monotonic()

    async def said_200() -> bool:
        return await hub_status(top, victim) == 200

    figures["ready_after_uncut_s"] = await until(said_200, 30)
    figures["haproxy_up_after_uncut_s"] = await until(marked_up, 30)
    figures["cut_s"] = round(uncut - started, 2)
    # Its clients, from their lost connection to subscribed again on another hub (so far).
    figures["its_clients_back_elsewhere_ms"] = percentiles(
        [ms for p in ctx.people if p.drops for ms in p.back_ms]
    )
    figures["ok"] = (
        figures["not_ready_after_s"] is not None
        and figures["haproxy_down_after_s"] is not None
        and figures["accepted_while_marked_down"] == 0
        and figures["ready_after_uncut_s"] is not None
        and figures["haproxy_up_after_uncut_s"] is not None
        and not figures["haproxy_up_again_while_cut"]
    )
    return figures


# -- 10% of the clients on a throttled, lossy link ---------------------------------------------
CLONE_NEWNET = 0x40000000


def run_ip(*argv: str, netns: str | None = None) -> None:
    """``ip`` or ``tc`` (the first word) with the rest, in ``netns`` if given; an error says
    which command failed and how."""
    cmd = [program(argv[0]), *argv[1:]]
    if netns is not None:
        cmd = [program("ip"), "netns", "exec", netns, *cmd]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    if done.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` failed: {done.stderr.strip()}")


@dataclass(frozen=True)
class SlowLink:
    """A network namespace joined to this one by a veth pair: the slow panelists' sockets live in
    it and reach HAProxy on the host end's address (a private link between this machine and
    itself, not loopback: ``tc`` shapes it and the packet filter drops on it, nobody else's
    traffic crosses it). Named after the HAProxy port, so that runs on other ports never meet."""

    port: int

    @property
    def netns(self) -> str:
        return f"plenary-slow-{self.port}"

    @property
    def host_dev(self) -> str:
        return f"pls{self.port}h"

    @property
    def ns_dev(self) -> str:
        return f"pls{self.port}n"

    @property
    def host_addr(self) -> str:
        return f"10.237.{self.port % 250}.1"

    @property
    def ns_addr(self) -> str:
        return f"10.237.{self.port % 250}.2"

    @property
    def bind(self) -> str:
        return f"{self.host_addr}:{self.port}"


@contextlib.contextmanager
def slow_link(link: SlowLink) -> Iterator[SlowLink]:
    """Make the namespace and its veth pair (unimpaired); remove them on leaving, whatever
    happens (deleting the namespace deletes its veth end, its ``tc`` and its packet filter)."""
    teardown(link)
    try:
        run_ip("ip", "netns", "add", link.netns)
        run_ip("ip", "link", "add", link.host_dev, "type", "veth", "peer", "name", link.ns_dev)
        run_ip("ip", "link", "set", link.ns_dev, "netns", link.netns)
        run_ip("ip", "addr", "add", f"{link.host_addr}/24", "dev", link.host_dev)
        run_ip("ip", "link", "set", link.host_dev, "up")
        run_ip("ip", "addr", "add", f"{link.ns_addr}/24", "dev", link.ns_dev, netns=link.netns)
        run_ip("ip", "link", "set", link.ns_dev, "up", netns=link.netns)
        run_ip("ip", "link", "set", "lo", "up", netns=link.netns)
        yield link
    finally:
        teardown(link)


def teardown(link: SlowLink) -> None:
    subprocess.run([program("ip"), "netns", "del", link.netns], capture_output=True, timeout=10)
    subprocess.run([program("ip"), "link", "del", link.host_dev], capture_output=True, timeout=10)


def impair(link: SlowLink, kbit: int, loss: float) -> None:
    """Throttle both directions to ``kbit`` (``tbf``: a queue of at most 500 ms, beyond which
    packets are dropped) and drop ``loss`` of the packets at random each way (the packet filter's
    ``statistic`` match). Not netem: this kernel has no ``sch_netem`` (docs/reliability.md)."""
    rate = f"{kbit}kbit"
    burst = f"{max(4, kbit // 8 // 10)}kb"  # 100 ms of the rate, at least a few full packets
    run_ip(
        "tc",
        "qdisc",
        "add",
        "dev",
        link.host_dev,
        "root",
        "tbf",
        "rate",
        rate,
        "burst",
        burst,
        "latency",
        "500ms",
    )
    run_ip(
        "tc",
        "qdisc",
        "add",
        "dev",
        link.ns_dev,
        "root",
        "tbf",
        "rate",
        rate,
        "burst",
        burst,
        "latency",
        "500ms",
        netns=link.netns,
    )
    for chain in ("INPUT", "OUTPUT"):
        run_ip(
            "iptables",
            "-A",
            chain,
            "-m",
            "statistic",
            "--mode",
            "random",
            "--probability",
            str(loss),
            "-j",
            "DROP",
            netns=link.netns,
        )


def unimpair(link: SlowLink) -> None:
    for chain in ("INPUT", "OUTPUT"):
        with contextlib.suppress(RuntimeError):
            run_ip("iptables", "-F", chain, netns=link.netns)
    with contextlib.suppress(RuntimeError):
        run_ip("tc", "qdisc", "del", "dev", link.host_dev, "root")
    with contextlib.suppress(RuntimeError):
        run_ip("tc", "qdisc", "del", "dev", link.ns_dev, "root", netns=link.netns)


class Dialer:
    """Sockets created inside the namespace: a thread that entered it (``setns`` moves only the
    calling thread) creates them, the event loop connects them. A socket stays in the namespace
    it was created in, so one generator process holds both kinds of clients, measured alike."""

    def __init__(self, link: SlowLink) -> None:
        self.link = link
        self.pool = concurrent.futures.ThreadPoolExecutor(1, initializer=self._enter)

    def _enter(self) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(f"/run/netns/{self.link.netns}", os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
        finally:
            os.close(fd)

    @staticmethod
    def _socket() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        return sock

    async def __call__(self) -> socket.socket:
        loop = asyncio.get_running_loop()
        sock = await loop.run_in_executor(self.pool, self._socket)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, (self.link.host_addr, self.link.port)), 15)
        except BaseException:
            sock.close()
            raise
        return sock


def phase(people: list[Any], slow: bool, start: float, end: float) -> dict[str, float]:
    """Live chat delays received by the fast (or slow) panelists between ``start`` and ``end``."""
    return percentiles([ms for p in people if p.slow is slow for at, ms in p.latency_ms if start <= at < end])


async def slow_link_fault(ctx: FaultContext) -> dict[str, Any]:
    """Throttle and make lossy the link of ``--slow-share`` of the panelists for ``--impair``
    seconds; compare everyone else's live chat delay with the same run's unimpaired phase before."""
    link: SlowLink = ctx.args.link
    started = time.monotonic()
    impair(link, ctx.args.slow_kbit * sum(p.slow for p in ctx.people), ctx.args.slow_loss)
    try:
        await asyncio.sleep(ctx.args.impair)
    finally:
        unimpair(link)
    ended = time.monotonic()
    chat_from = started - ctx.args.fault_after - 1.0  # the chat began a second before the window
    before = phase(ctx.people, False, chat_from, started)
    during = phase(ctx.people, False, started + 1.0, ended)  # a second for queues to fill
    ratios = {
        q: round(during[q] / before[q], 2) for q in ("p50", "p95", "p99") if before.get(q) and during.get(q)
    }
    return {
        "slow_clients": sum(p.slow for p in ctx.people),
        "slow_link": {
            "kbit_per_client": ctx.args.slow_kbit,
            "loss_each_way": ctx.args.slow_loss,
            "impaired_s": round(ended - started, 1),
        },
        "chat_delay_ms_others_before": before,
        "chat_delay_ms_others_impaired": during,
        "others_impaired_over_before": ratios,
        "others_within_10pct_p50_p95": all(ratios.get(q, 99) <= 1.1 for q in ("p50", "p95")),
        "chat_delay_ms_slow_before": phase(ctx.people, True, chat_from, started),
        "chat_delay_ms_slow_impaired": phase(ctx.people, True, started + 1.0, ended),
        "slow_clients_dropped": sum(1 for p in ctx.people if p.slow and p.drops),
    }


# -- a Redis Cluster master killed during casting --------------------------------------------------
class ReadinessWatch:
    """Every hub's own ``/readyz`` (not through HAProxy), every ``every`` seconds while it runs:
    when each said something else than 200 (503, or no answer within 2 s). A failover must not
    take the hubs out (``engine.reach``); this is how a run shows it."""

    def __init__(self, top: cluster.Topology, every: float = 0.25) -> None:
        self.top = top
        self.every = every
        self.samples: list[tuple[float, list[int | None]]] = []
        self.reasons: dict[int, list[str]] = {}  # hub index -> why it said 503 (its answer's reason)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        hubs = range(1, self.top.hubs + 1)
        while True:
            at = time.monotonic()
            answers = await asyncio.gather(*(asyncio.to_thread(self._ask, i) for i in hubs))
            self.samples.append((at, [status for status, _ in answers]))
            for i, (status, why) in zip(hubs, answers, strict=True):
                if status != 200:
                    self.reasons.setdefault(i - 1, []).append(why)
            await asyncio.sleep(max(0.0, self.every - (time.monotonic() - at)))

    def _ask(self, index: int) -> tuple[int | None, str]:
        """A hub's own ``/readyz``: its status and, when not ready, its reason (None: no answer in 2 s)."""
        url = f"http://127.0.0.1:{self.top.hub_port(index)}/readyz"
        try:
            with urllib.request.urlopen(url, timeout=2.0) as resp:
                return int(resp.status), ""
        except urllib.error.HTTPError as err:
            return int(err.code), str(json.loads(err.read() or b"{}").get("reason", ""))[:300]
        except (OSError, ValueError) as err:
            return None, f"no answer: {type(err).__name__}"

    def figures(self, since: float) -> dict[str, Any]:
        """Per hub: the spans (seconds from ``since``) it was not ready, their total and longest;
        a span runs from the first sample not 200 to the next sample that is."""
        out: dict[str, Any] = {"samples": len(self.samples), "every_s": self.every}
        for h in range(self.top.hubs):
            spans: list[list[float]] = []
            start: float | None = None
            for at, statuses in self.samples:
                if statuses[h] != 200 and start is None:
                    start = at
                elif statuses[h] == 200 and start is not None:
                    spans.append([round(start - since, 2), round(at - since, 2)])
                    start = None
            if start is not None and self.samples:
                spans.append([round(start - since, 2), round(self.samples[-1][0] - since, 2)])
            out[f"hub-{h + 1}"] = {
                "not_ready_spans_s": spans,
                "not_ready_total_s": round(sum(b - a for a, b in spans), 2),
                "longest_not_ready_s": round(max((b - a for a, b in spans), default=0.0), 2),
                "reasons": sorted(set(self.reasons.get(h, []))),
            }
        return out


def slot_owner(nodes: cluster.RedisNodes, ask: cluster.RedisNode, slot: int) -> int | None:
    """The port of the master serving ``slot`` as node ``ask`` sees it (``CLUSTER NODES``: a
    master, not flagged failing, whose ranges hold the slot), or None while none does."""
    for line in nodes.cli(ask.port, "cluster", "nodes", timeout=3).splitlines():
        cols = line.split()
        if len(cols) < 9 or "master" not in cols[2].split(",") or "fail" in cols[2]:
            continue
        for part in cols[8:]:
            if part.startswith("["):
                continue  # a slot being migrated
            lo, _, hi = part.partition("-")
            if int(lo) <= slot <= int(hi or lo):
                return int(cols[1].split(":")[1].split("@")[0])
    return None


def key_slot(nodes: cluster.RedisNodes, key: str) -> int:
    return int(nodes.cli(nodes.nodes[0].port, "cluster", "keyslot", key).strip())


async def cluster_master_kill(ctx: FaultContext) -> dict[str, Any]:
    """SIGKILL the master holding the vote's slot (every cast is a step on it); measure until a
    surviving node names another master for the slot (the failover), start the dead node again
    ``--down`` seconds later (a supervisor's restart: it rejoins as a replica), and measure until
    it is linked, and how long casts stalled (no acknowledgement), as the harness sees them."""
    nodes = cluster.redis_nodes(ctx.running.top.directory)
    slot = key_slot(nodes, keys.vote_key(lt.VOTE, "ballots"))
    owner = slot_owner(nodes, nodes.nodes[0], slot)
    chat_owner = slot_owner(
        nodes, nodes.nodes[0], key_slot(nodes, keys.channel_prefix(keys.meeting_chat(lt.MEETING)))
    )
    victim = next(n for n in nodes.nodes if n.port == owner)
    witness = next(n for n in nodes.nodes if n.port != owner)
    pid = victim.pid()
    if pid is None:
        return {"ok": False, "why": f"no pid for the vote's master (port {owner})"}
    readiness = ReadinessWatch(ctx.running.top)
    readiness.start()
    await asyncio.sleep(0.5)  # samples from before the kill
    started = time.monotonic()
    os.kill(pid, signal.SIGKILL)

    async def promoted() -> bool:
        port = await asyncio.to_thread(slot_owner, nodes, witness, slot)
        return port is not None and port != owner

    failover_s = await until(promoted, 30, every=0.05)
    new_master = await asyncio.to_thread(slot_owner, nodes, witness, slot)
    await asyncio.sleep(ctx.args.down)
    restarted = time.monotonic()
    await asyncio.to_thread(nodes.restart, victim)
    if ctx.args.pin:
        await asyncio.sleep(0.2)  # the daemonized server writes its pid file
        new_pid = victim.pid()
        if new_pid:
            os.sched_setaffinity(new_pid, {0})

    async def replica_linked() -> bool:
        info = await asyncio.to_thread(nodes.cli, victim.port, "info", "replication")
        return "role:slave" in info and "master_link_status:up" in info

    linked_s = await until(replica_linked, 30, every=0.05)
    linked = time.monotonic()

    async def casting_again() -> bool:  # an acknowledgement since, or nobody left to cast
        landed = any(at + ms / 1000 >= linked for at, ms in ctx.run.ack_ms)
        return landed or all(p.tracking is not None for p in ctx.people)

    await until(casting_again, 10)
    await readiness.stop()
    # The casts' stall: the longest time without an acknowledgement arriving, from the kill on.
    arrived = sorted(at + ms / 1000 for at, ms in ctx.run.ack_ms if at + ms / 1000 >= started)
    stall = max((b - a for a, b in zip([started, *arrived], arrived, strict=False)), default=None)
    return {
        "killed_master": f":{owner}",
        "vote_slot": slot,
        "chat_on_the_same_master": chat_owner == owner,
        "failover_s": failover_s,
        "new_master": f":{new_master}",
        "restarted_after_kill_s": round(restarted - started, 2),
        "replica_linked_after_restart_s": linked_s,
        "casts_acked_during_fault": len(arrived),
        "longest_without_an_ack_s": None if stall is None else round(stall, 2),
        "hubs_readiness_from_the_kill": readiness.figures(started),
        "ok": failover_s is not None and linked_s is not None,
    }


FAULTS: dict[str, Fault] = {
    "kill-hub": kill_hub,
    "redis-term": functools.partial(restart_redis, sig=signal.SIGTERM),
    "redis-kill": functools.partial(restart_redis, sig=signal.SIGKILL),
    "hub-cut": hub_cut,
    "slow-link": slow_link_fault,
    "cluster-master-kill": cluster_master_kill,
}


# -- the command -------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m loadtest.faults", description=__doc__.split("\n\n")[0])
    p.add_argument("--fault", choices=sorted(FAULTS), default="kill-hub")
    p.add_argument("--haproxy", required=True)
    p.add_argument("--redis-server", required=True)
    for name in PROGRAMS:
        p.add_argument(f"--{name}", default=name, help=f"the {name} program (hub-cut, slow-link)")
    p.add_argument("--panelists", type=int, default=1000)
    p.add_argument("--hubs", type=int, default=3)
    p.add_argument(
        "--redis",
        choices=cluster.REDIS_MODES,
        default="single",
        help="one Redis, or a Redis Cluster of three masters with a replica each (cluster-master-kill)",
    )
    p.add_argument("--chat-rate", type=float, default=2.0, help="chat messages a second (2)")
    p.add_argument("--cast-window", type=float, default=10.0, help="every panelist casts within it (10 s)")
    p.add_argument(
        "--fault-after",
        "--kill-after",
        type=float,
        default=4.0,
        help="the fault begins this far into the window (4 s)",
    )
    p.add_argument(
        "--down",
        type=float,
        default=2.0,
        help="redis-*: Redis stays down this long; cluster-master-kill: the dead master after the failover (2 s)",
    )
    p.add_argument("--cut", type=float, default=8.0, help="hub-cut: the hub stays cut this long (8 s)")
    p.add_argument("--impair", type=float, default=10.0, help="slow-link: impaired this long (10 s)")
    p.add_argument("--slow-share", type=float, default=0.1, help="slow-link: this share of panelists (0.1)")
    p.add_argument("--slow-kbit", type=int, default=16, help="slow-link: kbit/s per slow panelist (16)")
    p.add_argument("--slow-loss", type=float, default=0.03, help="slow-link: packets dropped each way (0.03)")
    p.add_argument("--settle", type=float, default=20.0, help="after the window, for the last acks (20 s)")
    p.add_argument("--catch-up", type=float, default=10.0, help="for every client to reach the last event")
    p.add_argument("--connect-concurrency", type=int, default=100)
    p.add_argument("--port", type=int, default=8300, help="HAProxy; hubs on PORT+i (8300)")
    p.add_argument("--redis-port", type=int, default=6391)
    p.add_argument("--dir", type=Path, default=Path("var/failover"), help="the topology's folder")
    p.add_argument("--pin", action="store_true", help="topology on core 0, this generator on core 1")
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--max-seconds", type=float, default=170.0)
    p.add_argument("--out", type=Path, default=None, help="write the figures here (JSON)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    PROGRAMS.update({name: getattr(args, name) for name in PROGRAMS})
    link = SlowLink(args.port) if args.fault == "slow-link" else None
    args.link = link
    top = cluster.Topology(
        directory=args.dir,
        haproxy=args.haproxy,
        redis_server=args.redis_server,
        port=args.port,
        hubs=args.hubs,
        redis_port=args.redis_port,
        redis=args.redis,
        hub_args=("--log-level", "warning"),
        more_binds=(link.bind,) if link else (),
    )
    cluster.stop(args.dir)  # a run killed half-way left its processes: end them first
    for stale in (args.dir / "redis").glob("**/*"):
        if stale.is_file():
            stale.unlink()  # a fresh Redis: the figures are this run's
    shutil.rmtree(args.dir / cluster.CLUSTER_FOLDER, ignore_errors=True)  # and a fresh cluster
    if args.fault == "cluster-master-kill" and args.redis != "cluster":
        raise SystemExit("cluster-master-kill needs --redis cluster (make faults ... REDIS=cluster)")
    with contextlib.ExitStack() as stack:
        side = None
        if link is not None:
            stack.enter_context(slow_link(link))
            side = (f"ws://{link.bind}/ws", Dialer(link))
        running = cluster.start(top)
        stack.callback(running.stop)
        if args.pin:
            for proc in running.procs:
                os.sched_setaffinity(proc.pid, {0})
            if args.redis == "cluster":
                for node in cluster.redis_nodes(args.dir).nodes:
                    node_pid = node.pid()
                    if node_pid is not None:
                        os.sched_setaffinity(node_pid, {0})
            os.sched_setaffinity(0, {1})
        started = time.monotonic()
        figures = asyncio.run(
            asyncio.wait_for(measure(args, running, FAULTS[args.fault], side), args.max_seconds)
        )
        figures["seconds"] = round(time.monotonic() - started, 1)
        figures["load_average"] = os.getloadavg()
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    ok = (
        figures["acked"] == args.panelists
        and figures["stored"] == args.panelists
        and figures["tracking_codes_match"]
        and figures["chat_acked_missing_from_redis"] == 0
        and figures["events_lost"] == 0
        and figures["events_taken_twice"] == 0
        and figures["behind_at_end"] == 0
        and figures.get("ok", True) is not False
    )
    print(
        f"{args.fault}: "
        + ("every acknowledged ballot and message kept once, every client caught up" if ok else "FAILED")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # finally: stop the topology and the cut
    raise SystemExit(main())
