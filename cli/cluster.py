"""``make cluster``: the production topology as plain processes on this machine.

Redis (Debian's ``redis-server``, AOF with ``appendfsync always``, its data in a 0700 folder),
``--hubs`` hub processes (``plenary serve --redis-url ...``) and HAProxy (Debian's package,
``deploy/haproxy.cfg``) in front, which passes WebSockets and sends clients only to hubs whose
``/readyz`` answers 200. Everything listens on 127.0.0.1 only. ``start`` prints the one URL to open;
``stop`` ends exactly what ``start`` started and checks that nothing is left.

Why plain processes: no Docker engine runs on the development machines, and the same pieces as
``docker-compose.yml`` (Redis 7, several hubs, a well-known proxy in front) are what the
reliability runs break on purpose (kill a hub, restart Redis).

What was started is known by its pid files in the cluster's folder, each ``<pid> <start time>``
(the process' start in clock ticks since boot, ``/proc/<pid>/stat``): ``stop`` signals a pid only
while that same process holds it, so a pid reused after a reboot or a crash is never signalled.

The program paths (``--haproxy``, ``--redis-server``) come from ``tools/system_packages.py``, which
finds or installs them (the Makefile passes them): where they may be is decided there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import functools
import os
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine import private
from tools import redis_cluster

ROOT = Path(__file__).resolve().parent.parent
HAPROXY_TEMPLATE = ROOT / "deploy" / "haproxy.cfg"
HOST = "127.0.0.1"  # loopback only: this is a rehearsal of the topology, not a public service

REDIS_MODES = ("single", "cluster")
CLUSTER_FOLDER = "redis-cluster"
"""``REDIS=cluster``: the six nodes of ``tools/redis_cluster.py`` (three masters with a replica each,
AOF ``always``) live in this subfolder, with their own pid files; ``stop`` ends them after the hubs."""

STOP_ORDER = ("haproxy", "hub", "redis")
"""The proxy first (no new clients), then the hubs (they close their WebSockets with 1012 and leave
Redis tidy), Redis last (it fsyncs its AOF on SIGTERM)."""


class ClusterError(Exception):
    """The topology cannot start (or is already running); the message says what to do."""


@dataclass(frozen=True)
class Topology:
    """Where and how: the folder holding config, data, logs and pid files, and the ports (HAProxy
    on ``port``, hub *i* on ``port + i``, Redis on ``redis_port``)."""

    directory: Path
    haproxy: str
    redis_server: str
    port: int = 8100
    hubs: int = 3
    redis_port: int = 6390
    hub_args: tuple[str, ...] = ()  # more `plenary serve` options (tests shorten timeouts)
    redis: str = "single"  # or "cluster": REDIS_MODES
    cluster_url: str | None = None  # the Redis Cluster's seed URL, once its nodes are up
    more_binds: tuple[str, ...] = ()  # more HAProxy addresses ("host:port"): a fault's private link
    maxconn: int = 8000  # each WebSocket holds two of HAProxy's descriptors: 16,000 of 20,000

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def redis_url(self) -> str:
        if self.cluster_url is not None:
            return self.cluster_url
        return f"redis://{HOST}:{self.redis_port}/0"

    def hub_port(self, index: int) -> int:
        return self.port + index

    @property
    def redis_dir(self) -> Path:
        return self.directory / "redis"


# -- the processes: pid files that name one process, not a reusable number -----------------------
@dataclass(frozen=True)
class Started:
    """One process ``start`` began: its name (``redis``, ``hub-2``, ``haproxy``), pid and start time."""

    name: str
    pid: int
    ticks: int

    @property
    def kind(self) -> str:
        return self.name.split("-")[0]


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, start time in ticks) of a process, or None if there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
    return fields[0], int(fields[19])


def alive(proc: Started) -> bool:
    """Whether ``proc`` still runs: the same pid with the same start time, and not a zombie (a dead
    child its parent has not waited for yet)."""
    stat = _stat(proc.pid)
    return stat is not None and stat[1] == proc.ticks and stat[0] != "Z"


def record(directory: Path, name: str, popen: subprocess.Popen[bytes]) -> Started:
    stat = _stat(popen.pid)
    proc = Started(name, popen.pid, stat[1] if stat else -1)
    private.write_private(directory / f"{name}.pid", f"{proc.pid} {proc.ticks}\n")
    return proc


def recorded(directory: Path) -> list[Started]:
    """The processes of the pid files in ``directory``, in ``STOP_ORDER``."""
    procs = []
    for path in directory.glob("*.pid") if directory.is_dir() else []:
        with contextlib.suppress(ValueError):
            pid, ticks = path.read_text().split()
            procs.append(Started(path.stem, int(pid), int(ticks)))
    kinds = {kind: i for i, kind in enumerate(STOP_ORDER)}
    return sorted(procs, key=lambda p: (kinds.get(p.kind, len(kinds)), p.name))


def _spawn(top: Topology, name: str, argv: Sequence[str]) -> tuple[Started, subprocess.Popen[bytes]]:
    """Start ``argv`` in its own session (so that it outlives ``make`` and no terminal's Ctrl-C
    reaches it), output appended to ``<name>.log``, files created 0600; record its pid file."""
    fd = os.open(top.directory / f"{name}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, private.FILE_MODE)
    with os.fdopen(fd, "ab") as logfile:
        popen = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            umask=private.UMASK,
        )
    return record(top.directory, name, popen), popen


# -- configuration -----------------------------------------------------------------------------
def redis_config(top: Topology) -> str:
    """Redis as production runs it (``docker-compose.yml``): every acknowledged write fsynced
    (``appendfsync always``), the AOF the only record, full means refuse rather than evict."""
    data = top.redis_dir.resolve()
    return "\n".join(
        [
            f"bind {HOST}",
            f"port {top.redis_port}",
            "protected-mode yes",
            "daemonize no",
            f'dir "{data}"',
            "appendonly yes",
            'appendfilename "appendonly.aof"',
            "appendfsync always",
            'save ""',
            "maxmemory-policy noeviction",
            "maxclients 10000",
            "timeout 0",
            "tcp-keepalive 60",
            "",
        ]
    )


def haproxy_config(top: Topology) -> str:
    """``deploy/haproxy.cfg`` with this topology's address, hubs and connection limit."""
    servers = "\n".join(f"    server hub-{i} {HOST}:{top.hub_port(i)}" for i in range(1, top.hubs + 1))
    template = string.Template(HAPROXY_TEMPLATE.read_text(encoding="utf-8"))
    # More addresses as more `bind` lines after the template's: the lossy link of
    # `make faults FAULT=slow-link` reaches HAProxy on its own veth address, not on loopback.
    listen = "".join([f"{HOST}:{top.port}", *(f"\n    bind {b}" for b in top.more_binds)])
    return template.substitute(listen=listen, servers=servers, maxconn=top.maxconn)


def hub_argv(top: Topology, index: int) -> list[str]:
    """``plenary serve`` for hub ``index``: the shared Redis, and HAProxy's address as the public URL
    (the origin the pages are loaded from, which the hub checks on every WebSocket)."""
    return [
        sys.executable,
        "-m",
        "cli.main",
        "serve",
        "--redis-url",
        top.redis_url,
        "--host",
        HOST,
        "--port",
        str(top.hub_port(index)),
        "--public-url",
        top.url,
        "--allow-origin",  # the same address by name: a page opened as localhost
        f"http://localhost:{top.port}",
        *top.hub_args,
    ]


# -- waiting -----------------------------------------------------------------------------------
def redis_answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(16).startswith(b"+PONG")
    return False


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return int(err.code)
    except (OSError, ValueError):
        return None


def ready(base_url: str) -> bool:
    """Whether ``base_url/readyz`` answers 200 (a hub, or HAProxy passing it to one)."""
    return http_status(base_url + "/readyz") == 200


def log_tail(top: Topology, name: str, lines: int = 5) -> str:
    try:
        return "\n".join((top.directory / f"{name}.log").read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait(
    top: Topology,
    what: str,
    ready: Callable[[], bool],
    procs: Sequence[subprocess.Popen[bytes]],
    timeout: float,
) -> None:
    """Poll ``ready()`` until true; fail early when one of ``procs`` has exited, and at ``timeout``."""
    deadline = time.monotonic() + timeout
    while not ready():
        if any(p.poll() is not None for p in procs):
            raise ClusterError(f"{what} exited at start; the end of its log:\n{log_tail(top, what)}")
        if time.monotonic() > deadline:
            raise ClusterError(f"{what}: not ready within {timeout:.0f} s")
        time.sleep(0.1)


# -- start and stop ----------------------------------------------------------------------------
@dataclass
class Cluster:
    """A running topology. ``procs`` are what ``start`` began; ``popens`` their handles while the
    starting process lives (a test's), so that it can reap them (``make cluster`` exits at once and
    leaves them to the system)."""

    top: Topology
    procs: list[Started] = field(default_factory=list)
    popens: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    argvs: dict[str, list[str]] = field(default_factory=dict)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to one process of the topology (``kill -9`` a hub, say) and, if it ended,
        reap it."""
        proc = next(p for p in self.procs if p.name == name)
        if alive(proc):
            os.kill(proc.pid, sig)
        popen = self.popens.get(name)
        if popen is not None and sig in (signal.SIGKILL, signal.SIGTERM):
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(15)

    def restart(self, name: str, timeout: float = 30.0) -> Started:
        """Start ``name`` again as ``start`` began it, once a fault ended it (Redis restarted from
        its AOF, say); return when it answers (Redis: PING; a hub: ``/readyz``). Raises
        ``ClusterError`` while the old process still runs: two Redis on one AOF would corrupt it."""
        old = next(p for p in self.procs if p.name == name)
        if alive(old):
            raise ClusterError(f"{name} (pid {old.pid}) still runs: end it before restarting it")
        proc, popen = _spawn(self.top, name, self.argvs[name])
        self.procs[self.procs.index(old)] = proc
        self.popens[name] = popen
        if name == "redis":
            answers: Callable[[], bool] = functools.partial(redis_answers, self.top.redis_port)
        else:
            answers = functools.partial(ready, f"http://{HOST}:{self.top.hub_port(int(name.split('-')[1]))}")
        _wait(self.top, name, answers, [popen], timeout)
        return proc

    def stop(self, timeout: float = 15.0) -> list[str]:
        return stop(self.top.directory, timeout, self.popens)


def start(top: Topology, start_timeout: float = 30.0) -> Cluster:
    """Start Redis, the hubs and HAProxy, each once the one before answers; return when HAProxy
    passes ``/readyz`` through. On any failure what was started is stopped again, then the error
    is raised: nothing is left half up."""
    left = [p.name for p in recorded(top.directory) if alive(p)]
    if left:
        raise ClusterError(f"already running in {top.directory} ({', '.join(left)}): make cluster-stop first")
    private.private_dir(top.directory)
    for stale in top.directory.glob("*.pid"):
        stale.unlink()
    private.private_dir(top.redis_dir)
    private.tighten(top.redis_dir, ("appendonly", "redis", "dump"))
    cluster = Cluster(top)

    def spawn(name: str, argv: Sequence[str]) -> subprocess.Popen[bytes]:
        proc, popen = _spawn(top, name, argv)
        cluster.procs.append(proc)
        cluster.popens[name] = popen
        cluster.argvs[name] = list(argv)
        return popen

    try:
        if top.redis == "cluster":
            nodes = redis_cluster.start(top.directory / CLUSTER_FOLDER, timeout=start_timeout)
            top = cluster.top = dataclasses.replace(top, cluster_url=nodes.url)
        else:
            conf = private.write_private(top.directory / "redis.conf", redis_config(top))
            redis = spawn("redis", [top.redis_server, str(conf.resolve())])
            _wait(top, "redis", lambda: redis_answers(top.redis_port), [redis], start_timeout)
        hubs = [spawn(f"hub-{i}", hub_argv(top, i)) for i in range(1, top.hubs + 1)]
        for i, popen in enumerate(hubs, 1):
            _wait(
                top,
                f"hub-{i}",
                functools.partial(ready, f"http://{HOST}:{top.hub_port(i)}"),
                [popen],
                start_timeout,
            )
        cfg = private.write_private(top.directory / "haproxy.cfg", haproxy_config(top))
        checked = subprocess.run(
            [top.haproxy, "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30
        )
        if checked.returncode != 0:
            raise ClusterError(f"haproxy refuses {cfg}:\n{checked.stdout}{checked.stderr}")
        proxy = spawn("haproxy", [top.haproxy, "-db", "-f", str(cfg.resolve())])
        _wait(top, "haproxy", functools.partial(ready, top.url), [proxy], start_timeout)
    except BaseException:
        cluster.stop()
        raise
    return cluster


RedisNodes = redis_cluster.Cluster
RedisNode = redis_cluster.Node


def redis_nodes(directory: Path) -> RedisNodes:
    """The Redis Cluster nodes a ``REDIS=cluster`` topology in ``directory`` started (the faults
    that act on one node: ``loadtest.faults``, ``cluster-master-kill``)."""
    return redis_cluster.load(directory / CLUSTER_FOLDER)


def stop(
    directory: Path, timeout: float = 15.0, popens: dict[str, subprocess.Popen[bytes]] | None = None
) -> list[str]:
    """End every process of ``directory``'s pid files (``STOP_ORDER``: SIGTERM, SIGKILL after
    ``timeout``), check that none is left, remove the pid files; one line per process said."""
    said = []
    for proc in recorded(directory):
        if alive(proc):
            os.kill(proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while alive(proc) and time.monotonic() < deadline:
                if popens and proc.name in popens:
                    popens[proc.name].poll()  # reap our own child, or it stays a zombie
                time.sleep(0.05)
            if alive(proc):
                os.kill(proc.pid, signal.SIGKILL)
                said.append(f"{proc.name} (pid {proc.pid}) ignored SIGTERM for {timeout:.0f} s: killed")
            else:
                said.append(f"{proc.name} (pid {proc.pid}) stopped")
        else:
            said.append(f"{proc.name} (pid {proc.pid}) was not running")
        if popens and proc.name in popens:
            with contextlib.suppress(subprocess.TimeoutExpired):
                popens[proc.name].wait(5)
    deadline = time.monotonic() + 5
    while any(alive(p) for p in recorded(directory)) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [f"{p.name} (pid {p.pid})" for p in recorded(directory) if alive(p)]
    if left:
        raise ClusterError(f"still running after stop: {', '.join(left)}")
    for proc in recorded(directory):
        (directory / f"{proc.name}.pid").unlink(missing_ok=True)
    nodes = directory / CLUSTER_FOLDER
    if (nodes / redis_cluster.STATE).exists():
        redis_cluster.load(nodes).stop(timeout)
        said.append(f"Redis Cluster nodes of {nodes} stopped")
    return said


# -- the command -------------------------------------------------------------------------------
LINKS_FILE = "links.csv"


def banner(cluster: Cluster, host_link: str | None) -> str:
    top = cluster.top
    hubs = f"{top.hub_port(1)}-{top.hub_port(top.hubs)}" if top.hubs > 1 else str(top.hub_port(1))
    where = top.directory
    lines = [
        "",
        f"  Production topology on {HOST}: HAProxy :{top.port} -> {top.hubs} hubs :{hubs} -> "
        + (
            f"Redis Cluster {top.redis_url} (3 masters with a replica each, AOF, appendfsync always)"
            if top.cluster_url
            else f"Redis :{top.redis_port} (AOF, appendfsync always)"
        ),
        "",
        f"  Open {host_link or top.url}",
    ]
    if host_link:
        lines.append(f"  (the host's seat; every participant's link: {where / LINKS_FILE}, private)")
    else:
        lines.append(
            "  (this Redis holds its own roster: `plenary links --redis-url "
            + top.redis_url
            + "` issues links)"
        )
    lines += [
        f"  Logs, config and pid files: {where}/   stop: make cluster-stop",
        "",
    ]
    return "\n".join(lines)


async def seed_demo(top: Topology) -> str | None:
    """The demo assembly (``plenary demo``'s) on a Redis that holds no other participants, kept
    across restarts (``links.csv``); returns the host's link. A Redis holding anyone else (a
    rehearsal's roster, ``loadtest.voters seed``) is left alone and None returned: issuing the demo's
    links issues everyone's, which would revoke theirs."""
    from cli.demo import demo_roster, seed  # the domain, imported only when seeding
    from engine.connection import command_client
    from panel.roster import Roster

    redis = command_client(top.redis_url, name="plenary-cluster")
    try:
        demo = {p.id for p in demo_roster()}
        if any(p.id not in demo for p in await Roster(redis).all()):
            return None
    finally:
        await redis.aclose()
    rows = await seed(top.redis_url, top.url, top.directory / LINKS_FILE)
    return next(url for _pid, _name, role, url in rows if role == "host")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m cli.cluster", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("start", help="start Redis, the hubs and HAProxy; print the URL to open")
    down = sub.add_parser("stop", help="stop exactly what start started")
    for q in (up, down):
        q.add_argument("--dir", type=Path, default=Path("var/cluster"), help="its folder (var/cluster)")
    up.add_argument("--haproxy", required=True, help="HAProxy (tools/system_packages.py haproxy)")
    up.add_argument("--redis-server", required=True, help="redis-server 7 (tools/system_packages.py)")
    up.add_argument("--port", type=int, default=8100, help="HAProxy's port; hub i on PORT+i (8100)")
    up.add_argument("--hubs", type=int, default=3, help="hub processes (3)")
    up.add_argument("--redis-port", type=int, default=6390, help="Redis' port (6390)")
    up.add_argument("--redis", choices=REDIS_MODES, default="single", help="one Redis, or Redis Cluster")
    up.add_argument("--no-seed", action="store_true", help="do not store the demo assembly")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "stop":
            said = stop(args.dir)
            print("\n".join(said) if said else f"nothing was running from {args.dir}")
            return 0
        top = Topology(
            directory=args.dir,
            haproxy=args.haproxy,
            redis_server=args.redis_server,
            port=args.port,
            hubs=args.hubs,
            redis_port=args.redis_port,
            redis=args.redis,
        )
        cluster = start(top)
        try:
            link = None if args.no_seed else asyncio.run(seed_demo(cluster.top))
        except BaseException:
            cluster.stop()
            raise
        print(banner(cluster, link))
        return 0
    except ClusterError as err:
        print(f"cluster: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
