"""Fan-out benchmark: the hub's real broadcast path against the raw-socket floor, in one run.

Run: ``python -m loadtest.bench_fanout [--clients 2000] [--runs 5] [--no-docs] [--json out.json]
[--variant NAME ...]``. docs/performance.md says how to read the result.

What is measured, side by side on one machine (DESIGN.md, "The fan-out path"):

1. **floor**: a pre-built 100-byte WebSocket frame, non-blocking ``socket.send`` to N loopback
   sockets with ``TCP_NODELAY`` (``loadtest.fanout_floor``), frames per CPU-second of that process;
   beside it the same frames through uvloop transports (``--uvloop``): the event loop's share;
2. **hub, one event per frame**: the real hub (``cli.serve.serve``: uvicorn + uvloop +
   ``HubWebSocketProtocol``) with N authenticated clients subscribed to a meeting's ``agenda``
   channel (not coalesced); events published through the real channel log (``ChannelLog.publish``,
   the Lua publish step, Redis pub/sub); hub CPU-seconds per frame delivered;
3. **hub, coalesced**: ten chat events published as one burst (one MULTI of ten calls of the same
   publish script) per period on the meeting's ``chat`` channel, which the hub joins into one frame
   per tick; events delivered per hub CPU-second;
4. **idle memory**: hub RSS (``VmRSS``) before and after N authenticated, subscribed, idle
   connections, divided by N (and the marginal figure between 10 % and 100 % of N);
5. **other servers, the same clients** (``--compare``): python-socketio on uvicorn
   (``loadtest.fanout_socketio``, its ``emit`` to every client) and ``websockets.broadcast``
   (``loadtest.fanout_websockets``), each holding N more connections from the same peers for the
   whole run, pinned beside the hub, broadcasting the hub's ``agenda`` event one event per frame;
   frames per CPU-second of that server process, as a ratio to the floor and the hub's over it;
6. **the HTTP fallback** (``--sse N``, ``loadtest.fanout_fallback``): N more panelists on WebSockets
   with the pages' JSON subprotocol and N on the fallback (``POST /sse`` stream, ``POST /sse/cmd``),
   each group on a meeting of its own on the same hub, in the same slices, both at one pace of
   their own (``--sse-rate``: a dearer transport must be paced below what the hub delivers); hub
   CPU per delivered event on each, idle memory and CPU per connection, and a ``ping``'s round
   trip over each (``--rtt``).

How it keeps the numbers honest:

- The hub and the floors run pinned to one core (``taskset -c 0``); the peers, Redis, the
  publisher and this orchestrator to the other. CPU is read from ``/proc/<pid>/task/*/schedstat`` (ns; the
  ``utime+stime`` of ``/proc/<pid>/stat`` is kept beside it as a check) around each window, and the
  hub's idle CPU rate (measured just before, same connections) times the window is subtracted.
- Peers (``loadtest.fanout_peers``) do the WebSocket handshake, ``hello`` and ``subscribe`` by hand
  and afterwards only ``recv_into`` and count frames; the floor's sockets are read by the same loop,
  so both senders see the same receivers. Publishing is paced well below what the peers can drain,
  so no socket backs up (a backed-up socket would merge writes and flatter the hub); frames the hub
  dropped (gap markers) or failed deliveries make the run invalid, not faster.
- Every figure is delivered frames/events counted by the peers, checked against what was
  expected and against the hub's own ``plenary_frames_out_total``.
- Each run starts a fresh hub (so the memory figure starts from a fresh process) on a fresh meeting
  and measures it in ``--slices`` alternations of floor, uvloop floor, one event per frame and
  coalesced, so that all see the same mix of other load; the table gives the median and the
  min–max of the runs. Ratios are computed within a run, then summarised.
- The comparison servers are measured in the same slices as the hub as it is (not beside variants),
  each after an idle rate of its own; python-socketio is paced at ``--socketio-rate`` (2 events/s:
  it delivers about 11,000 frames per CPU-second, so at the hub's 25/s it would fall behind and
  its writer tasks would send queued packets back to back, which flatters it). A window delivered
  more than 0.5 s after the last broadcast is noted as having run behind.
- ``--variant NAME`` measures a prototype hub change (``loadtest.fanout_variants``) as a further
  fresh hub in each run, against its own floor.

Everything listens on 127.0.0.1. Every child is stopped on exit, failure, Ctrl-C or SIGTERM; the
children die with this process even on SIGKILL (``PR_SET_PDEATHSIG``), and ``fanout_reaper`` then
stops the embedded redis-server (a daemon) and removes the temporary directory. The whole run has
a time limit (``--max-seconds``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, astuple, dataclass, field
from pathlib import Path
from typing import Any, Literal

from rich.console import Console

from engine.roles import Role
from loadtest import scrape
from loadtest.fanout_fallback import FallbackResult, report_rows, round_trips

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- fanout-results:begin -->", "<!-- fanout-results:end -->"
TARGET_SINGLE = 0.8  # of the floor, frames per CPU-second (issue 11; issue 10 asked 0.6)
TARGET_OVER_SOCKETIO = 10.0  # the hub's frames per CPU-second over python-socketio's
TARGET_COALESCED = 3.0  # times the floor, events per CPU-second
TARGET_MEMORY_KB = 25.0  # per idle connection
YARDSTICKS = ("bare", "rawsend", "flat")
AUTHOR = {"id": "bench-00001", "name": "패널 1", "role": Role.PANELIST}


@dataclass(frozen=True)
class Other:
    """A comparison server: the module that runs it, how the peers speak to it, how the report names it."""

    module: str
    kind: str  # the peers' kind (``loadtest.fanout_peers``)
    name: str
    label: str  # the report's row, formatted with the versions (``versions()``)


COMPARE = {
    "socketio": Other(
        "loadtest.fanout_socketio",
        "socketio",
        "python-socketio",
        "python-socketio {socketio} on uvicorn (ASGI, `emit` to all, Engine.IO text frames)",
    ),
    "websockets": Other(
        "loadtest.fanout_websockets",
        "ws",
        "`websockets.broadcast`",
        "`websockets.broadcast` (websockets {websockets}, the hub's msgpack frame)",
    ),
}


def chat_text(burst: int, j: int) -> str:
    return f"교통 정책 의견 {burst}-{j}: 버스 배차 간격을 줄여 주세요"


console = Console(stderr=True, highlight=False)


def pace(opts: argparse.Namespace, name: str) -> tuple[int, float]:
    """(events per window, events per second) of a comparison server: python-socketio has its own,
    slower pace (it falls behind at the hub's), the others the hub's."""
    if name == "socketio":
        return opts.socketio_events, opts.socketio_rate
    return opts.events, opts.rate


# -- /proc -----------------------------------------------------------------------------------------
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(schedstat run time, utime+stime) of every thread of ``pid``, in seconds."""
    sched = ticks = 0.0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as fh:
                sched += int(fh.read().split()[0]) / 1e9
            with open(f"/proc/{pid}/task/{tid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ticks += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return sched, ticks


def core_ticks(core: int | None) -> tuple[float, float]:
    """(user+nice+system, steal) seconds of one core (or all cores) from /proc/stat."""
    name = "cpu" if core is None else f"cpu{core}"
    with open("/proc/stat") as fh:
        for line in fh:
            f = line.split()
            if f[0] == name:
                v = [int(x) / CLK_TCK for x in f[1:9]]
                return v[0] + v[1] + v[2], v[7]
    return 0.0, 0.0


def share(total: int, parts: int, k: int) -> int:
    """The k-th of ``parts`` near-equal shares of ``total``."""
    return total // parts + (1 if k < total % parts else 0)


def sum_windows(ws: list[Any]) -> Window:
    out: Window = ws[0]
    for w in ws[1:]:
        out = out + w
    return out


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cores() -> list[int]:
    return sorted(os.sched_getaffinity(0))


def pin_prefix(core: int | None) -> list[str]:
    if core is None or shutil.which("taskset") is None:
        return []
    return ["taskset", "-c", str(core)]


# -- children --------------------------------------------------------------------------------------
def die_with_parent() -> None:
    """In the child, before exec: SIGTERM when this orchestrator dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Child:
    """A subprocess in its own session, talking JSON lines (for the floor and the peers)."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process) -> None:
        self.name = name
        self.proc = proc

    @classmethod
    async def start(
        cls, name: str, argv: list[str], *, json_io: bool = True, log: Path | None = None, tied: bool = True
    ) -> Child:
        out: Any = asyncio.subprocess.PIPE if json_io else (open(log, "wb") if log else subprocess.DEVNULL)  # noqa: SIM115
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE if json_io else subprocess.DEVNULL,
            stdout=out,
            stderr=out if not json_io else None,
            start_new_session=True,
            preexec_fn=die_with_parent if tied else None,
            limit=1 << 22,
        )
        if not json_io and log:
            out.close()
        return cls(name, proc)

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def read(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        if not line:
            raise RuntimeError(f"{self.name} exited (code {self.proc.returncode})")
        msg: dict[str, Any] = json.loads(line)
        return msg

    async def call(self, timeout: float = 30.0, **cmd: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        await self.proc.stdin.drain()
        msg = await self.read(timeout)
        if not msg.get("ok", True):
            raise RuntimeError(f"{self.name}: {msg}")
        return msg

    async def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL, this child only (by its pid)."""
        if self.proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await asyncio.wait_for(self.proc.wait(), 5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_json(url: str, timeout: float = 2.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


# -- results ---------------------------------------------------------------------------------------
@dataclass
class Window:
    """One measured window: work counted by the peers and the sender's CPU spent on it."""

    frames: int
    events: int
    expected: int
    cpu: float  # seconds, idle baseline subtracted
    cpu_raw: float
    cpu_ticks: float  # utime+stime over the same window (a check on schedstat)
    wall: float
    gaps: int = 0
    closed: int = 0
    others: float = 0.0  # CPU seconds other processes ran on the measured core meanwhile
    steal: float = 0.0

    def __add__(self, other: Window) -> Window:
        return Window(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    @property
    def per_cpu(self) -> float:
        return self.events / self.cpu if self.cpu > 0 else 0.0

    @property
    def complete(self) -> bool:
        return self.events == self.expected and self.gaps == 0 and self.closed == 0


@dataclass
class HubResult:
    """One hub process (as it is, or with a prototype variant) in one run, with the floor measured
    just before it so that its ratios compare neighbours in time."""

    variant: str
    floor: Window
    floor_self_cpu: float
    uvfloor: Window  # the same frames through uvloop transports, no hub code
    single: Window
    coalesced: Window
    idle_cpu_pct: float
    rss_fresh_kb: int
    rss_warm_kb: int
    rss_all_kb: int
    warm: int
    clients: int
    frames_out: float = float("nan")  # the hub's own plenary_frames_out_total
    compare: dict[str, Window] = field(default_factory=dict)  # other servers, the same slices
    fallback: FallbackResult | None = None  # ``--sse``: the JSON WebSockets and the fallback streams

    @property
    def memory_kb(self) -> float:
        return (self.rss_all_kb - self.rss_fresh_kb) / self.clients

    @property
    def memory_marginal_kb(self) -> float:
        n = self.clients - self.warm
        return (self.rss_all_kb - self.rss_warm_kb) / n if n > 0 else float("nan")

    @property
    def single_ratio(self) -> float:
        return self.single.per_cpu / self.floor.per_cpu

    @property
    def coalesced_ratio(self) -> float:
        return self.coalesced.per_cpu / self.floor.per_cpu

    @property
    def events_per_frame(self) -> float:
        return self.coalesced.events / self.coalesced.frames if self.coalesced.frames else 0.0

    def summary(self) -> dict[str, float]:
        return {
            "floor_per_cpu": self.floor.per_cpu,
            "uvfloor_per_cpu": self.uvfloor.per_cpu,
            "uvfloor_ratio": self.uvfloor.per_cpu / self.floor.per_cpu,
            "single_per_cpu": self.single.per_cpu,
            "coalesced_per_cpu": self.coalesced.per_cpu,
            "single_ratio": self.single_ratio,
            "coalesced_ratio": self.coalesced_ratio,
            "events_per_frame": self.events_per_frame,
            "memory_kb": self.memory_kb,
            "memory_marginal_kb": self.memory_marginal_kb,
            **{k: v for name, w in self.compare.items() for k, v in self.versus(name, w).items()},
            **({f"fallback_{k}": v for k, v in self.fallback.summary().items()} if self.fallback else {}),
        }

    def versus(self, name: str, w: Window) -> dict[str, float]:
        return {
            f"{name}_per_cpu": w.per_cpu,
            f"{name}_ratio": w.per_cpu / self.floor.per_cpu,
            f"hub_over_{name}": self.single.per_cpu / w.per_cpu if w.per_cpu else float("nan"),
        }


@dataclass
class Run:
    index: int
    hubs: dict[str, HubResult] = field(default_factory=dict)  # "" is the hub as it is


# -- the benchmark ---------------------------------------------------------------------------------
class Bench:
    def __init__(self, opts: argparse.Namespace) -> None:
        self.o = opts
        self.children: list[Child] = []
        self.tmp = Path(tempfile.mkdtemp(prefix="plb-", dir="/tmp"))
        self.embedded: Any = None
        self.reaper: Child | None = None
        self.redis: Any = None
        cs = cores()
        self.pinned = len(cs) >= 2 and not opts.no_pin
        self.hub_core = cs[0] if self.pinned else None
        self.peer_core = cs[1] if self.pinned else None
        self.notes: list[str] = []
        self.compare_idle: dict[str, float] = {}  # each comparison server's idle CPU rate
        self.compare_bytes: dict[str, int] = {}  # the wire size of its frame
        self.compare_lag: dict[str, float] = {}  # the longest delivery after its last broadcast, s
        self.fallback_lag = 0.0  # the same, the fallback's comparison (``--sse``)
        self.rtt_token = ""

    # -- set-up and tear-down ------------------------------------------------------------------
    async def __aenter__(self) -> Bench:
        from engine.connection import command_client
        from engine.server import ensure_server

        if self.pinned and self.peer_core is not None:
            os.sched_setaffinity(0, {self.peer_core})
        self.embedded = await asyncio.to_thread(ensure_server, self.tmp / "redis")
        # The net under the clean-up below: stops this Redis and removes self.tmp when this process
        # ends in any way, SIGKILL included (it waits for its stdin pipe to close).
        self.reaper = await Child.start(
            "reaper",
            [sys.executable, "-m", "loadtest.fanout_reaper", str(self.tmp / "redis"), str(self.tmp)],
            tied=False,
        )
        rpid = self.embedded.pid()
        if self.pinned and rpid and self.peer_core is not None:
            os.sched_setaffinity(rpid, {self.peer_core})
        self.redis = command_client(self.embedded.url, name="plenary-bench")
        return self

    async def __aexit__(self, *exc: object) -> None:
        for child in reversed(self.children):
            with contextlib.suppress(Exception):
                await child.stop()
        if self.redis is not None:
            with contextlib.suppress(Exception):
                await self.redis.aclose()
        if self.embedded is not None:
            await asyncio.to_thread(self.embedded.stop)
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self.reaper is not None and self.reaper.proc.stdin is not None:
            self.reaper.proc.stdin.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.reaper.proc.wait(), 15)

    async def spawn(self, name: str, argv: list[str], core: int | None, **kw: Any) -> Child:
        child = await Child.start(name, [*pin_prefix(core), sys.executable, *argv], **kw)
        self.children.append(child)
        return child

    async def retire(self, child: Child) -> None:
        await child.stop()
        self.children.remove(child)

    async def seed(self) -> list[str]:
        from moderation.meetings import MeetingInfo, Meetings
        from panel.roster import Participant, Roster

        n = self.o.clients
        people = [
            Participant(id=f"bench-{i:05d}", name=f"패널 {i}", role=Role.PANELIST, meetings=["*"])
            for i in range(n)
        ]
        rtt = Participant(id="bench-rtt", name="패널 왕복", role=Role.PANELIST, meetings=["*"])
        roster = Roster(self.redis)
        await roster.upsert([*people, rtt])
        meetings = Meetings(self.redis)
        hubs = (self.o.runs + self.o.warmup_runs) * (1 + len([v for v in self.o.variant if v]))
        for r in range(1, hubs + 1):  # a fresh meeting (fresh channels, no backlog) for every hub
            await meetings.put(MeetingInfo(id=f"b{r}", title=f"Fan-out bench {r}"))
            if self.o.sse:  # and one for each transport of the fallback's comparison
                await meetings.put(MeetingInfo(id=f"b{r}j", title=f"Fan-out bench {r}, JSON WebSockets"))
                await meetings.put(MeetingInfo(id=f"b{r}s", title=f"Fan-out bench {r}, HTTP fallback"))
        tokens = await roster.issue_tokens([p.id for p in [*people, rtt]])
        self.rtt_token = tokens[rtt.id]  # the round trips' own panelist (``--sse``: two connections)
        return [tokens[p.id] for p in people]

    # -- pieces of a run -----------------------------------------------------------------------
    async def start_hub(self, variant: str = "") -> tuple[Child, int]:
        port = free_port()
        argv = ["-m", "loadtest.fanout_hub", "--redis-url", self.embedded.url, "--port", str(port)]
        if variant:
            argv += ["--variant", variant]
        log = self.tmp / f"hub-{port}.log"
        hub = await self.spawn("hub", argv, self.hub_core, json_io=False, log=log)
        deadline = time.monotonic() + 30
        while True:
            if hub.proc.returncode is not None:
                raise RuntimeError(f"hub exited ({hub.proc.returncode}): {log.read_text()[-2000:]}")
            try:
                if (await asyncio.to_thread(http_json, f"http://127.0.0.1:{port}/readyz"))[
                    "status"
                ] == "ready":
                    return hub, port
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"hub not ready: {log.read_text()[-2000:]}")
            await asyncio.sleep(0.1)

    async def connect(
        self, peers: Child, group: str, port: int, tokens: list[str], channels: list[str], kind: str = "hub"
    ) -> None:
        res = await peers.call(
            timeout=180,
            op="connect",
            group=group,
            kind=kind,
            host="127.0.0.1",
            port=port,
            tokens=tokens,
            channels=channels,
            concurrency=self.o.concurrency,
            deadline_s=150,
        )
        if res["failed"]:
            raise RuntimeError(f"{res['failed']} {kind} connections failed: {res['errors']}")

    async def idle_rate(self, pid: int, seconds: float) -> float:
        c0, w0 = cpu_seconds(pid)[0], time.monotonic()
        await asyncio.sleep(seconds)
        return (cpu_seconds(pid)[0] - c0) / (time.monotonic() - w0)

    async def window(
        self, pid: int, peers: Child, group: str, expected: int, idle: float, act: Any, settle: float
    ) -> Window:
        """Run ``act`` (which makes ``expected`` events reach the group) and measure ``pid``'s CPU."""
        await peers.call(op="reset", group=group)
        k0, st0 = core_ticks(self.hub_core)
        (s0, t0), w0 = cpu_seconds(pid), time.monotonic()
        extra = await act()
        deadline = time.monotonic() + settle
        while True:
            counts = await peers.call(op="counts", group=group)
            if counts["events"] >= expected or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.02)
        (s1, t1), w1 = cpu_seconds(pid), time.monotonic()
        k1, st1 = core_ticks(self.hub_core)
        wall = w1 - w0
        win = Window(
            frames=counts["frames"],
            events=counts["events"],
            expected=expected,
            cpu=(s1 - s0) - idle * wall,
            cpu_raw=s1 - s0,
            cpu_ticks=t1 - t0,
            wall=wall,
            gaps=counts["gaps"],
            closed=counts["closed"],
            others=max(0.0, (k1 - k0) - (s1 - s0)),
            steal=st1 - st0,
        )
        if isinstance(extra, dict):
            win_extra = extra
            if win_extra.get("partial") or win_extra.get("eagain"):
                self.notes.append(
                    f"floor: {win_extra['partial']} partial sends, {win_extra['eagain']} EAGAIN"
                )
        return win

    async def floor_window(
        self, floor: Child, peers: Child, n: int, rounds: int, group: str = "floor"
    ) -> tuple[Window, float]:
        rate = self.o.rate
        result: dict[str, Any] = {}

        async def act() -> dict[str, Any]:
            result.update(await floor.call(timeout=rounds / rate + 60, op="burst", rounds=rounds, rate=rate))
            return result

        win = await self.window(floor.pid, peers, group, n * rounds, 0.0, act, settle=30)
        return win, float(result["cpu"])

    def sampling(
        self, pid: int, variant: str, label: str, prefix: str = "hub"
    ) -> contextlib.AbstractAsyncContextManager[object]:
        """py-spy on the hub as it is around one window, with ``--profile DIR``; otherwise nothing.
        ``prefix`` names the windows' files (``hub-*``: the msgpack WebSockets; ``sse-*``: the
        fallback's, with ``--sse``)."""
        if not self.o.profile or variant:
            return contextlib.nullcontext()
        from loadtest.fanout_profile import Sampler

        self.o.profile.mkdir(parents=True, exist_ok=True)
        return Sampler(pid, self.o.profile / f"{prefix}-{label}.txt", pin_prefix(self.peer_core))

    async def compare_window(
        self, name: str, server: Child, peers: Child, n: int, rounds: int, rate: float
    ) -> Window:
        """One comparison server broadcasting ``rounds`` events at ``rate``, as the floor's window."""

        async def act() -> None:
            await server.call(timeout=rounds / rate + 60, op="burst", rounds=rounds, rate=rate)

        win = await self.window(server.pid, peers, name, n * rounds, self.compare_idle[name], act, settle=60)
        # The burst's reply comes one period after its last broadcast; the peers' counts are polled.
        self.compare_lag[name] = max(self.compare_lag.get(name, 0.0), win.wall - rounds / rate)
        return win

    async def start_compare(self, peers: Child, n: int) -> dict[str, Child]:
        """Each comparison server, pinned beside the hub, with ``n`` peers connected and counted by it."""
        servers: dict[str, Child] = {}
        for name in self.o.compare:
            other = COMPARE[name]
            child = await self.spawn(
                name, ["-m", other.module, "--ping-interval", str(self.o.compare_ping)], self.hub_core
            )
            hello = await child.read(60)
            self.compare_bytes[name] = int(hello["frame_bytes"])
            res = await peers.call(
                timeout=180,
                op="connect",
                group=name,
                kind=other.kind,
                host="127.0.0.1",
                port=hello["port"],
                n=n,
                concurrency=self.o.concurrency,
                deadline_s=150,
            )
            if res["failed"]:
                raise RuntimeError(f"{name}: {res['failed']} connections failed: {res['errors']}")
            deadline = time.monotonic() + 30
            while (held := (await child.call(op="clients"))["clients"]) != n:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} holds {held} clients, expected {n}")
                await asyncio.sleep(0.1)
            await asyncio.sleep(self.o.settle)
            self.compare_idle[name] = await self.idle_rate(child.pid, self.o.idle_seconds)
            servers[name] = child
        return servers

    async def fanout_window(
        self,
        kind: Literal["single", "coalesced"],
        hub: Child,
        peers: Child,
        channel: str,
        n: int,
        idle: float,
        steps: int,
        group: str = "hub",
        rate: float = 0.0,
    ) -> Window:
        """``steps`` paced steps of one kind on ``channel``, reaching the ``n`` clients of ``group``
        (the transport: ``hub`` the msgpack WebSockets, ``wsjson`` the JSON ones, ``sse`` the
        fallback's streams), and the hub's CPU over them. ``single``: one event a step, published
        alone (one frame per event), at ``rate`` or ``--rate``; ``coalesced``: ``--per-burst`` chat
        messages a step in one transaction (the hub joins them into one frame), at ``rate`` or
        ``--burst-rate``."""
        from engine.channels import ChannelLog, publish_call
        from engine.scripts import Scripts

        if kind == "single":
            log = ChannelLog(self.redis)
            per, rate = 1, rate or self.o.rate

            async def step(k: int) -> None:
                await log.publish(channel, "item", {"i": k})

        else:
            script = Scripts(self.redis).get("engine", "publish")
            per, rate = self.o.per_burst, rate or self.o.burst_rate

            async def step(k: int) -> None:
                async with self.redis.pipeline(transaction=True) as pipe:
                    for j in range(per):
                        data = {"text": chat_text(k, j), "author": AUTHOR}
                        call = publish_call(channel, "chat.message", data)
                        await script(keys=call.keys, args=call.args, client=pipe)
                    await pipe.execute()

        async def act() -> None:
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            for k in range(steps):
                await step(k)
                await asyncio.sleep(max(0.0, t0 + (k + 1) / rate - loop.time()))

        return await self.window(hub.pid, peers, group, n * steps * per, idle, act, settle=30)

    # -- one run -------------------------------------------------------------------------------
    async def hub_once(
        self,
        variant: str,
        meeting: str,
        tokens: list[str],
        peers: Child,
        floor: Child,
        uvfloor: Child,
        compare: dict[str, Child],
    ) -> HubResult:
        """A fresh hub: memory as it fills, idle CPU, then floor, one event per frame, coalesced."""
        n = len(tokens)
        agenda, chat = f"meeting/{meeting}/agenda", f"meeting/{meeting}/chat"
        hub, port = await self.start_hub(variant)
        try:
            await asyncio.sleep(1.0)
            rss_fresh = rss_kb(hub.pid)
            warm = max(1, n // 10)
            await self.connect(peers, "hub", port, tokens[:warm], [agenda, chat])
            await asyncio.sleep(1.0)
            rss_warm = rss_kb(hub.pid)
            await self.connect(peers, "hub", port, tokens[warm:], [agenda, chat])
            await asyncio.sleep(self.o.settle)
            rss_all = rss_kb(hub.pid)
            ready = await asyncio.to_thread(http_json, f"http://127.0.0.1:{port}/readyz")
            if ready.get("connections") != n:
                raise RuntimeError(f"hub reports {ready.get('connections')} clients, expected {n}")
            idle = await self.idle_rate(hub.pid, self.o.idle_seconds)
            fb = await self.fallback_connect(peers, port, hub.pid, meeting, tokens, rss_all, idle)
            if fb is not None:
                idle = fb.idle_sse  # every window runs with every connection held
            fb_parts: list[tuple[Window, Window, Window, Window]] = []
            # Slices: floor, hub one-event, hub coalesced, again and again, so that all three see
            # the same mix of whatever else the machine is doing; each is the sum of its slices.
            parts: list[tuple[Window, float, Window, Window, Window]] = []
            others: dict[str, list[Window]] = {name: [] for name in compare} if not variant else {}
            for k in range(self.o.slices):
                rounds = share(self.o.events, self.o.slices, k)
                f, fself = await self.floor_window(floor, peers, n, rounds)
                uv, _ = await self.floor_window(uvfloor, peers, n, rounds, group="uvfloor")
                async with self.sampling(hub.pid, variant, f"{meeting}-{k}"):
                    one = await self.fanout_window("single", hub, peers, agenda, n, idle, rounds)
                co = await self.fanout_window(
                    "coalesced", hub, peers, chat, n, idle, share(self.o.bursts, self.o.slices, k)
                )
                parts.append((f, fself, uv, one, co))
                if fb is not None:
                    fb_parts.append(await self.fallback_slice(hub, peers, meeting, idle, k, variant))
                for name in others:
                    events, rate = pace(self.o, name)
                    others[name].append(
                        await self.compare_window(
                            name, compare[name], peers, n, share(events, self.o.slices, k), rate
                        )
                    )
            floor_win, uvfloor_win, single, coalesced = (
                sum_windows([p[i] for p in parts]) for i in (0, 2, 3, 4)
            )
            floor_self = sum(p[1] for p in parts)
            m = await asyncio.to_thread(scrape.scrape, f"http://127.0.0.1:{port}")
            if fb is not None:
                fb.ws_single, fb.ws_coalesced, fb.sse_single, fb.sse_coalesced = (
                    sum_windows([p[i] for p in fb_parts]) for i in range(4)
                )
                if self.o.rtt:  # after the counters are read: the pings are not the fan-out's frames
                    fb.ws_rtt_ms, fb.sse_rtt_ms = await round_trips(
                        "127.0.0.1", port, self.rtt_token, self.o.rtt, self.o.rtt_rate
                    )
        finally:
            for group in ("hub", "wsjson", "sse"):
                with contextlib.suppress(Exception):
                    await peers.call(op="close", group=group)
            await self.retire(hub)
        return HubResult(
            variant=variant,
            floor=floor_win,
            floor_self_cpu=floor_self,
            uvfloor=uvfloor_win,
            single=single,
            coalesced=coalesced,
            idle_cpu_pct=idle * 100,
            rss_fresh_kb=rss_fresh,
            rss_warm_kb=rss_warm,
            rss_all_kb=rss_all,
            warm=warm,
            clients=n,
            frames_out=m.get(scrape.key("plenary_frames_out_total"), float("nan")),
            compare={name: sum_windows(ws) for name, ws in others.items()},
            fallback=fb,
        )

    async def fallback_connect(
        self, peers: Child, port: int, pid: int, meeting: str, tokens: list[str], rss: int, idle: float
    ) -> FallbackResult | None:
        """With ``--sse N``: N JSON WebSockets, then N fallback streams, each group on its meeting;
        the hub's RSS and idle CPU after each (the same participants as the msgpack group: three
        connections each, under a panelist's five)."""
        n = self.o.sse
        if not n:
            return None
        idle_seconds = self.o.idle_seconds
        chans = [f"meeting/{meeting}{{}}/{c}" for c in ("agenda", "chat")]
        await self.connect(peers, "wsjson", port, tokens[:n], [c.format("j") for c in chans], kind="hubjson")
        await asyncio.sleep(self.o.settle)
        rss_ws, idle_ws = rss_kb(pid), await self.idle_rate(pid, idle_seconds)
        await self.connect(peers, "sse", port, tokens[:n], [c.format("s") for c in chans], kind="sse")
        await asyncio.sleep(self.o.settle)
        rss_sse, idle_sse = rss_kb(pid), await self.idle_rate(pid, idle_seconds)
        nothing = Window(0, 0, 0, 0.0, 0.0, 0.0, 0.0)
        return FallbackResult(
            clients=n,
            ws_single=nothing,
            ws_coalesced=nothing,
            sse_single=nothing,
            sse_coalesced=nothing,
            rss_before_kb=rss,
            rss_ws_kb=rss_ws,
            rss_sse_kb=rss_sse,
            idle_before=idle,
            idle_ws=idle_ws,
            idle_sse=idle_sse,
        )

    async def fallback_slice(
        self, hub: Child, peers: Child, meeting: str, idle: float, k: int, variant: str
    ) -> tuple[Window, Window, Window, Window]:
        """One slice of the fallback's comparison: one event per frame, then coalesced, on the JSON
        WebSockets and on the streams, at the fallback's pace. The streams are pinged first (out of
        the windows) when their last command is 30 s old, as the page does every 25 s."""
        o, n = self.o, self.o.sse
        await peers.call(timeout=120, op="keepalive", group="sse", older_than=30.0)
        events, bursts = share(o.sse_events, o.slices, k), share(o.sse_bursts, o.slices, k)
        out: list[Window] = []
        paces: tuple[tuple[Literal["single", "coalesced"], str, int, float], ...] = (
            ("single", "agenda", events, o.sse_rate),
            ("coalesced", "chat", bursts, o.sse_burst_rate),
        )
        for kind, name, steps, rate in paces:
            for group, suffix in (("wsjson", "j"), ("sse", "s")):
                channel = f"meeting/{meeting}{suffix}/{name}"
                sampling = (  # py-spy in the one-event windows only, as for the msgpack group
                    self.sampling(hub.pid, variant, f"{meeting}-{k}", group)
                    if kind == "single"
                    else contextlib.nullcontext()
                )
                async with sampling:
                    win = await self.fanout_window(kind, hub, peers, channel, n, idle, steps, group, rate)
                self.fallback_lag = max(self.fallback_lag, win.wall - steps / rate)
                out.append(win)
        ws_one, sse_one, ws_co, sse_co = out
        return ws_one, ws_co, sse_one, sse_co

    def frame_sizes(self) -> tuple[int, int]:
        """Wire sizes of the hub's frames in this benchmark (for the report)."""
        from realtime.protocol.codec import CODECS, MSGPACK
        from realtime.protocol.messages import Batch, Event

        codec = CODECS[MSGPACK]
        now = int(time.time() * 1000)
        ev = Event(
            channel="meeting/b1/agenda",
            epoch="1764000000123456",
            offset=50,
            time=now,
            event="item",
            data={"i": 50},
        )
        chat = [
            Event(
                channel="meeting/b1/chat",
                epoch="1764000000123456",
                offset=100 + j,
                time=now,
                event="chat.message",
                data={"text": chat_text(10, j), "author": AUTHOR},
            )
            for j in range(self.o.per_burst)
        ]
        return len(codec.frame(ev).wire), len(codec.frame(Batch(events=chat)).wire)

    # -- everything ----------------------------------------------------------------------------
    async def run(self) -> list[Run]:
        o = self.o
        where = (
            f"hub and floor on core {self.hub_core}, peers, Redis and publisher on core {self.peer_core}"
            if self.pinned
            else "unpinned"
        )
        console.print(f"[bold]fan-out bench[/]: {o.clients} clients, {o.runs} runs, {where}")
        tokens = await self.seed()
        peers = await self.spawn("peers", ["-m", "loadtest.fanout_peers"], self.peer_core)
        floor = await self.spawn(
            "floor",
            ["-m", "loadtest.fanout_floor", "--n", str(o.clients), "--frame-bytes", str(o.floor_bytes)],
            self.hub_core,
        )
        uvfloor = await self.spawn(
            "uvloop floor",
            [
                "-m",
                "loadtest.fanout_floor",
                "--uvloop",
                "--n",
                str(o.clients),
                "--frame-bytes",
                str(o.floor_bytes),
            ],
            self.hub_core,
        )
        for child, group in ((floor, "floor"), (uvfloor, "uvfloor")):
            fport = (await child.read(30))["port"]
            res = await peers.call(
                timeout=120,
                op="connect",
                group=group,
                kind="floor",
                host="127.0.0.1",
                port=fport,
                n=o.clients,
                concurrency=o.concurrency,
            )
            if res["failed"]:
                raise RuntimeError(f"{child.name} connections failed: {res['errors']}")
            accepted = await child.read(60)
            if accepted.get("accepted") != o.clients:
                raise RuntimeError(f"{child.name}: {accepted}")

        compare = await self.start_compare(peers, o.clients)
        configs = ["", *(v for v in o.variant if v)]
        runs: list[Run] = []
        meeting = 0
        for r in range(o.warmup_runs + o.runs):
            warmup = r < o.warmup_runs
            label = "warm-up" if warmup else f"run {r - o.warmup_runs + 1}/{o.runs}"
            run = Run(index=r)
            for variant in configs:
                name = variant or "hub"
                meeting += 1
                with console.status(f"{label}, {name}: start, {o.clients} connections, floor, agenda, chat"):
                    h = await self.hub_once(variant, f"b{meeting}", tokens, peers, floor, uvfloor, compare)
                self.check(label, h)
                run.hubs[variant] = h
                console.print(
                    f"  {label} {name}: floor {h.floor.per_cpu:,.0f} frames/cpu-s | uvloop "
                    f"{h.uvfloor.per_cpu:,.0f} | one event per frame "
                    f"{h.single.per_cpu:,.0f} ({h.single_ratio:.2f}) | coalesced {h.coalesced.per_cpu:,.0f} "
                    f"events/cpu-s ({h.coalesced_ratio:.2f}, {h.events_per_frame:.1f} per frame) | "
                    f"{h.memory_kb:.1f} kB/conn | idle {h.idle_cpu_pct:.2f}% | others on the hub core "
                    f"{max(w.others / w.wall for w in (h.floor, h.uvfloor, h.single, h.coalesced)) * 100:.0f}%"
                    + "".join(
                        f" | {name} {w.per_cpu:,.0f} ({w.per_cpu / h.floor.per_cpu:.2f}, hub "
                        f"{h.single.per_cpu / w.per_cpu:.1f}×)"
                        for name, w in h.compare.items()
                    )
                )
                if h.fallback is not None:
                    f = h.fallback.summary()
                    console.print(
                        f"    fallback: one event {f['sse_single_us']:.1f} µs/event vs JSON WebSocket "
                        f"{f['ws_single_us']:.1f} ({f['single_ratio']:.2f}×) | coalesced {f['sse_coalesced_us']:.2f} vs "
                        f"{f['ws_coalesced_us']:.2f} ({f['coalesced_ratio']:.2f}×) | {f['sse_memory_kb']:.1f} vs "
                        f"{f['ws_memory_kb']:.1f} kB/conn | ping p50 {f.get('sse_rtt_p50_ms', 0):.2f} vs "
                        f"{f.get('ws_rtt_p50_ms', 0):.2f} ms"
                    )
            if not warmup:
                runs.append(run)
        if self.fallback_lag > 0.5:
            self.notes.append(
                f"fallback comparison: its last frames arrived up to {self.fallback_lag:.1f} s after its last "
                "publish: the hub or the peers were short of CPU at --sse-rate (frames may have been joined)"
            )
        for name, lag in self.compare_lag.items():
            if lag > 0.5:
                self.notes.append(
                    f"{name}: its last frames arrived up to {lag:.1f} s after its last broadcast (short of CPU, or "
                    "its peers were): where frames queued, it may have written them back to back, which flatters it"
                )
        for child in (floor, uvfloor, *compare.values()):
            with contextlib.suppress(Exception):
                await child.call(op="quit", timeout=5)
        with contextlib.suppress(Exception):
            await peers.call(op="quit", timeout=5)
        return runs

    def check(self, label: str, h: HubResult) -> None:
        windows = (
            ("floor", h.floor),
            ("uvloop floor", h.uvfloor),
            ("one event", h.single),
            ("coalesced", h.coalesced),
            *h.compare.items(),
        )
        fb = h.fallback
        if fb is not None:
            windows = (
                *windows,
                ("JSON WebSocket, one event", fb.ws_single),
                ("JSON WebSocket, coalesced", fb.ws_coalesced),
                ("fallback, one event", fb.sse_single),
                ("fallback, coalesced", fb.sse_coalesced),
            )
        for name, w in windows:
            if not w.complete:
                raise RuntimeError(
                    f"{label} {h.variant or 'hub'} {name}: {w.events}/{w.expected} events delivered, "
                    f"{w.gaps} gaps, {w.closed} closed: the measurement is not valid"
                )
        frames = h.single.frames + h.coalesced.frames
        if fb is not None:
            frames += sum(w.frames for w in (fb.ws_single, fb.ws_coalesced, fb.sse_single, fb.sse_coalesced))
        counts = not any(y in h.variant for y in YARDSTICKS)  # yardsticks skip the metrics
        if counts and h.frames_out == h.frames_out and int(h.frames_out) != frames:
            self.notes.append(
                f"{label} {h.variant or 'hub'}: the hub counted {h.frames_out:.0f} frames out, the peers {frames}"
            )
        epf = h.events_per_frame
        if abs(epf - self.o.per_burst) > 0.1 * self.o.per_burst:
            self.notes.append(
                f"{label} {h.variant or 'hub'}: {epf:.1f} events per coalesced frame, not {self.o.per_burst}: "
                "the hub ran late (other load on its core) and joined bursts, which flatters that window"
            )


# -- report ----------------------------------------------------------------------------------------
def spread(values: list[float], fmt: str) -> str:
    med = statistics.median(values)
    return f"{format(med, fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def machine() -> str:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import uvicorn
    import websockets

    return (
        f"{os.cpu_count()} cores ({cpu}), Linux {platform.release()}, Python {platform.python_version()}, "
        f"uvicorn {uvicorn.__version__}, websockets {websockets.__version__}"
    )


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for key, dist in (("socketio", "python-socketio"), ("websockets", "websockets"), ("uvicorn", "uvicorn")):
        try:
            out[key] = version(dist)
        except PackageNotFoundError:
            out[key] = "?"
    return out


def report(
    runs: list[Run],
    opts: argparse.Namespace,
    notes: list[str],
    pinned: bool,
    sizes: tuple[int, int],
    compare_bytes: dict[str, int] | None = None,
) -> str:
    med = statistics.median
    base = [r.hubs[""] for r in runs]

    def col(hs: list[HubResult], key: str) -> list[float]:
        return [h.summary()[key] for h in hs]

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**missed**"

    sr, cr, mem = col(base, "single_ratio"), col(base, "coalesced_ratio"), col(base, "memory_kb")
    windows = [w for h in base for w in (h.floor, h.uvfloor, h.single, h.coalesced)]
    others = [w.others / w.wall * 100 for w in windows]
    steal = [w.steal / w.wall * 100 for w in windows]
    lines = [
        f"{opts.clients:,} loopback clients, {len(runs)} runs: median (min–max). Frames: hub {sizes[0]} B "
        f"(one `agenda` event, msgpack), {sizes[1]} B ({opts.per_burst} chat events in one `batch`); floor "
        f"{opts.floor_bytes} B. {opts.events} events at {opts.rate:g}/s; {opts.bursts} bursts of "
        f"{opts.per_burst} chat events at {opts.burst_rate:g}/s.",
        "",
        "| path | per CPU-second | ratio to floor | target | |",
        "|---|---|---|---|---|",
        f"| floor: `socket.send` of a pre-built frame, `TCP_NODELAY` | {spread(col(base, 'floor_per_cpu'), ',.0f')} "
        "frames | 1 | | |",
        f"| uvloop `transport.write` of a pre-built frame (no hub code) | "
        f"{spread(col(base, 'uvfloor_per_cpu'), ',.0f')} frames | {spread(col(base, 'uvfloor_ratio'), '.2f')} | | |",
        f"| hub, one event per frame (`agenda`, not coalesced) | {spread(col(base, 'single_per_cpu'), ',.0f')} "
        f"frames | {spread(sr, '.2f')} | ≥ {TARGET_SINGLE} | {verdict(med(sr) >= TARGET_SINGLE)} |",
        f"| hub, coalesced (`chat`, {spread(col(base, 'events_per_frame'), '.1f')} events per frame) "
        f"| {spread(col(base, 'coalesced_per_cpu'), ',.0f')} events | {spread(cr, '.2f')} | ≥ {TARGET_COALESCED:g} "
        f"| {verdict(med(cr) >= TARGET_COALESCED)} |",
        *compare_rows(runs, opts, compare_bytes or {}),
        "",
        "| idle memory | kB per connection | target | |",
        "|---|---|---|---|",
        f"| hub RSS with {opts.clients:,} subscribed idle connections minus the fresh hub's, / {opts.clients:,} "
        f"| {spread(mem, '.1f')} | ≤ {TARGET_MEMORY_KB:g} | {verdict(med(mem) <= TARGET_MEMORY_KB)} |",
        f"| marginal, from {base[0].warm:,} to {opts.clients:,} connections | "
        f"{spread(col(base, 'memory_marginal_kb'), '.1f')} | | |",
    ]
    lines += over_rows(base)
    lines += report_rows([h.fallback for h in base if h.fallback is not None], opts)
    variants = [v for v in runs[0].hubs if v]
    if variants:
        lines += [
            "",
            "Prototype hub changes (`--variant`, `loadtest/fanout_variants.py`), each a fresh hub in the same runs, "
            "against the floor measured just before it:",
            "",
            "| hub | one event per frame: ratio | µs per frame | coalesced: ratio | kB per connection |",
            "|---|---|---|---|---|",
        ]
        for v in ["", *variants]:
            hs = [r.hubs[v] for r in runs]
            lines.append(
                f"| {'as it is' if not v else '`' + v + '`'} | {spread(col(hs, 'single_ratio'), '.2f')} "
                f"| {spread([1e6 / x for x in col(hs, 'single_per_cpu')], '.2f')} "
                f"| {spread(col(hs, 'coalesced_ratio'), '.2f')} | {spread(col(hs, 'memory_kb'), '.1f')} |"
            )
    agree = max(abs(w.cpu_ticks - w.cpu_raw) for w in windows)
    lines += [
        "",
        f"Hub CPU per frame, one event per frame: {spread([1e6 / x for x in col(base, 'single_per_cpu')], '.2f')} µs; "
        f"uvloop write: {spread([1e6 / x for x in col(base, 'uvfloor_per_cpu')], '.2f')} µs; "
        f"floor: {spread([1e6 / x for x in col(base, 'floor_per_cpu')], '.2f')} µs. Hub idle CPU with "
        f"{opts.clients:,} connections, subtracted from each window: {spread([h.idle_cpu_pct for h in base], '.2f')} % "
        f"of a core. Checks: every frame counted by the peers (no gaps, no closes) and by the hub's "
        f"`plenary_frames_out_total`; the floor's own `process_time` gives "
        f"{spread([h.floor.events / h.floor_self_cpu for h in base], ',.0f')} frames per CPU-second; `utime+stime` "
        f"agrees with schedstat within {agree:.2f} s per window. Other processes on the hub's core during the "
        f"windows: {spread(others, '.0f')} % of it; steal {spread(steal, '.1f')} %.",
    ]
    if not pinned:
        lines += [
            "",
            "Not pinned (fewer than 2 cores, or `--no-pin`): hub, floor and peers shared the cores.",
        ]
    if notes:
        lines += ["", *(f"- note: {n}" for n in dict.fromkeys(notes))]
    return "\n".join(lines)


def compare_rows(runs: list[Run], opts: argparse.Namespace, frame_bytes: dict[str, int]) -> list[str]:
    """The comparison servers' rows of the main table (frames per CPU-second, ratio to the floor)."""
    base = [r.hubs[""] for r in runs]
    ver = versions()
    rows = []
    for name in base[0].compare:
        per = [h.compare[name].per_cpu for h in base]
        ratio = [h.summary()[f"{name}_ratio"] for h in base]
        events, rate = pace(opts, name)
        rows.append(
            f"| {COMPARE[name].label.format(**ver)}, {frame_bytes.get(name, 0)} B frames, {events} events at "
            f"{rate:g}/s | {spread(per, ',.0f')} frames | {spread(ratio, '.2f')} | | |"
        )
    return rows


def over_rows(base: list[HubResult]) -> list[str]:
    """How many times the hub's frames per CPU-second (one event per frame) are each other server's."""
    names = list(base[0].compare)
    if not names:
        return []
    rows = ["", "| hub, one event per frame, over | times (per CPU-second) | target | |", "|---|---|---|---|"]
    for name in names:
        over = [h.summary()[f"hub_over_{name}"] for h in base]
        target = TARGET_OVER_SOCKETIO if name == "socketio" else None
        verdict = "" if target is None else ("**met**" if statistics.median(over) >= target else "**missed**")
        rows.append(
            f"| {COMPARE[name].name} | {spread(over, '.1f')} | "
            f"{'' if target is None else f'≥ {target:g}'} | {verdict} |"
        )
    return rows


def revision() -> str:
    """The commit measured, and whether the hub's Python differed from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "realtime/*.py", "realtime/protocol", "engine"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "an unknown commit"
    if not head:
        return "an unknown commit"
    return f"commit {head}" + (" with uncommitted changes to the hub's Python" if dirty else "")


def write_docs(path: Path, table: str, opts: argparse.Namespace, argv: list[str]) -> None:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cmd = "python -m loadtest.bench_fanout" + ("" if not argv else " " + " ".join(argv))
    head = f"Measured {now} with `{cmd}` at {revision()}, on {machine()}."
    block = "\n".join([BEGIN, head, "", table, END])
    text = path.read_text() if path.exists() else "# Performance\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n## Fan-out\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m loadtest.bench_fanout", description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup-runs", type=int, default=0, help="runs done first and not reported")
    ap.add_argument("--events", type=int, default=100, help="events (floor rounds) per one-event window")
    ap.add_argument("--rate", type=float, default=25.0, help="events (floor rounds) per second")
    ap.add_argument("--bursts", type=int, default=40, help="bursts per coalesced window")
    ap.add_argument("--burst-rate", type=float, default=10.0, help="bursts per second")
    ap.add_argument("--per-burst", type=int, default=10, help="chat events per burst")
    ap.add_argument("--slices", type=int, default=5, help="floor/hub/coalesced alternations per hub")
    ap.add_argument("--floor-bytes", type=int, default=100)
    ap.add_argument("--idle-seconds", type=float, default=3.0)
    ap.add_argument("--settle", type=float, default=2.0, help="seconds after connecting before measuring")
    ap.add_argument("--concurrency", type=int, default=64, help="handshakes in flight")
    ap.add_argument("--variant", action="append", default=[], help="also measure a prototype hub patch")
    ap.add_argument(
        "--compare",
        type=lambda v: [x for x in v.split(",") if x],
        default=list(COMPARE),
        help=f"other servers measured beside the hub, comma-separated from {','.join(COMPARE)} ('' for none)",
    )
    ap.add_argument("--socketio-events", type=int, default=20, help="events per python-socketio window")
    ap.add_argument("--socketio-rate", type=float, default=2.0, help="python-socketio's events per second")
    ap.add_argument(
        "--compare-ping", type=float, default=3600.0, help="the comparison servers' ping interval, s"
    )
    ap.add_argument(
        "--sse",
        type=int,
        default=0,
        metavar="N",
        help="also N panelists on the HTTP fallback and N on JSON WebSockets, side by side (issue 13)",
    )
    # The fallback's comparison has a pace of its own: a dearer transport must be paced below
    # what the hub can deliver to it, and both of the pair take the same pace.
    ap.add_argument("--sse-events", type=int, default=100, help="events per fallback/JSON one-event window")
    ap.add_argument("--sse-rate", type=float, default=25.0, help="their events per second")
    ap.add_argument("--sse-bursts", type=int, default=40, help="bursts per fallback/JSON coalesced window")
    ap.add_argument("--sse-burst-rate", type=float, default=10.0, help="their bursts per second")
    ap.add_argument("--rtt", type=int, default=200, help="with --sse: pings over each transport per run")
    ap.add_argument("--rtt-rate", type=float, default=15.0, help="ping pairs per second")
    ap.add_argument(
        "--profile", type=Path, help="py-spy on the hub in its one-event windows: stacks and summary.md here"
    )
    ap.add_argument("--no-pin", action="store_true")
    ap.add_argument("--no-docs", action="store_true", help=f"do not write {DOCS.relative_to(ROOT)}")
    ap.add_argument("--json", type=Path, help="write every run's raw figures here")
    ap.add_argument("--max-seconds", type=float, default=1200.0, help="give up (and clean up) after this")
    opts = ap.parse_args(argv)
    if opts.profile and not Path(sys.executable).with_name("py-spy").exists():
        ap.error("--profile needs py-spy beside this Python: pip install -e '.[load]'")
    if opts.sse > opts.clients:
        ap.error("--sse N: at most --clients (its panelists are the msgpack group's)")
    unknown = set(opts.compare) - set(COMPARE)
    if unknown:
        ap.error(f"--compare: unknown {', '.join(sorted(unknown))} (known: {', '.join(COMPARE)})")
    return opts


async def amain(
    opts: argparse.Namespace,
) -> tuple[list[Run], list[str], bool, tuple[int, int], dict[str, dict[str, Any]]]:
    async with Bench(opts) as bench:
        runs = await asyncio.wait_for(bench.run(), opts.max_seconds)
        compare = {
            name: {
                "frame_bytes": bench.compare_bytes[name],
                "idle_cpu_pct": bench.compare_idle[name] * 100,
                "max_lag_s": bench.compare_lag.get(name, 0.0),
                "events": pace(opts, name)[0],
                "rate": pace(opts, name)[1],
            }
            for name in bench.compare_bytes
        }
        return runs, bench.notes, bench.pinned, bench.frame_sizes(), compare


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    opts = parse(argv)

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, on_term)
    try:
        runs, notes, pinned, sizes, compare = asyncio.run(amain(opts))
    except KeyboardInterrupt:
        console.print("[red]interrupted; every child was stopped[/]")
        return 130
    finally:
        signal.signal(signal.SIGTERM, old)
    table = report(runs, opts, notes, pinned, sizes, {k: v["frame_bytes"] for k, v in compare.items()})
    print(table)
    if opts.json:
        raw = {
            "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(opts).items()},
            "frame_bytes": {
                "hub_event": sizes[0],
                "hub_batch": sizes[1],
                "floor": opts.floor_bytes,
                **{k: v["frame_bytes"] for k, v in compare.items()},
            },
            "compare": compare,
            "versions": versions(),
            "runs": [{v or "hub": {**asdict(h), **h.summary()} for v, h in r.hubs.items()} for r in runs],
            "notes": notes,
        }
        opts.json.write_text(json.dumps(raw, indent=1))
    if opts.profile:
        from loadtest.fanout_profile import summarise

        summary = summarise(sorted(opts.profile.glob("hub-*.txt")), ROOT)
        (opts.profile / "summary.md").write_text(summary + "\n")
        for prefix in ("sse", "wsjson") if opts.sse else ():  # the fallback's windows, and their pair
            summary = summarise(sorted(opts.profile.glob(f"{prefix}-*.txt")), ROOT)
            (opts.profile / f"summary-{prefix}.md").write_text(summary + "\n")
        console.print(f"py-spy: {opts.profile / 'summary.md'}")
    if not opts.no_docs and not opts.profile:  # a profiled hub is slower: its figures stay out
        write_docs(DOCS, table, opts, argv)
        console.print(f"wrote {DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
