"""A real Redis Cluster on this machine: three masters with a replica each, loopback only.

For the cluster tests (``tests/cluster.py``) and anyone who wants one by hand::

    python -m tools.redis_cluster start var/cluster   # prints the URL: redis-cluster://127.0.0.1:<port>
    python -m tools.redis_cluster stop var/cluster    # stops exactly the six servers it started

Each node is the system's ``redis-server`` (Redis 7, ``tools/redis_server.py``) with its own
folder under the given directory (mode 0700: the AOF holds ballots), AOF with ``appendfsync always``
as production runs it, listening on 127.0.0.1 only, its port and cluster bus port chosen free. The
cluster is joined with ``redis-cli --cluster create``; ``start`` returns once every node reports
``cluster_state:ok``. The servers run daemonized with pid files, so ``stop`` (even from another
process) ends those pids and nothing else; ``start`` stops what it started if it fails.

Only the standard library: ``tools/`` imports nothing of ours.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tools.redis_server import cli_beside, find_redis

MASTERS = 3
NODES = MASTERS * 2  # a replica each
STATE = "cluster.json"


@dataclass(frozen=True)
class Node:
    port: int
    bus: int
    folder: Path

    @property
    def pidfile(self) -> Path:
        return self.folder / "redis.pid"

    def pid(self) -> int | None:
        try:
            return int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None


@dataclass(frozen=True)
class Cluster:
    """Six running nodes. ``url`` is what the hub takes (``--redis-url``)."""

    root: Path
    nodes: tuple[Node, ...]
    server: str

    @property
    def url(self) -> str:
        return f"redis-cluster://127.0.0.1:{self.nodes[0].port}"

    def cli(self, port: int, *args: str, timeout: float = 10) -> str:
        out = subprocess.run(
            [cli_beside(self.server), "-h", "127.0.0.1", "-p", str(port), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return out.stdout

    def masters(self) -> list[Node]:
        """The nodes that are masters now (after a failover, replicas may have become masters)."""
        return [n for n in self.nodes if "role:master" in self.cli(n.port, "info", "replication")]

    def restart(self, node: Node) -> None:
        """Start a node again from its folder (its AOF and ``nodes.conf``), as a supervisor would
        after it died: it rejoins the cluster, as a replica if its slots failed over meanwhile."""
        subprocess.run(
            [self.server, str(node.folder / "redis.conf")],
            check=True,
            timeout=10,
            capture_output=True,
            umask=0o077,
        )

    def stop(self, timeout: float = 10) -> None:
        """End the servers this cluster started (by their pid files), then wait for them to go."""
        pids = [p for p in (n.pid() for n in self.nodes) if p]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(_alive(p) for p in pids):
            time.sleep(0.05)
        for pid in pids:
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours (the tests' process started the daemonizing parent, not the server)
    # does not count: the server itself is not our child once daemonized.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def _config(node: Node) -> str:
    return "\n".join(
        [
            "bind 127.0.0.1",
            f"port {node.port}",
            f"cluster-port {node.bus}",
            "cluster-enabled yes",
            f'cluster-config-file "{node.folder / "nodes.conf"}"',
            "cluster-node-timeout 2000",
            f'dir "{node.folder}"',
            "daemonize yes",
            f'pidfile "{node.pidfile}"',
            f'logfile "{node.folder / "redis.log"}"',
            "appendonly yes",
            "appendfsync always",
            'save ""',
            "",
        ]
    )


def start(root: Path, timeout: float = 30) -> Cluster:
    """Start six nodes under ``root`` and join them into a cluster; returns once it serves."""
    server = find_redis()
    if server is None:
        raise RuntimeError("no Redis 7: run `make packages` (it installs it, or says how)")
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    ports = _free_ports(2 * NODES)
    nodes = tuple(Node(ports[i], ports[NODES + i], root / f"node-{i}") for i in range(NODES))
    cluster = Cluster(root, nodes, server)
    (root / STATE).write_text(json.dumps({"server": server, "nodes": [[n.port, n.bus] for n in nodes]}))
    try:
        for node in nodes:
            node.folder.mkdir(mode=0o700, exist_ok=True)
            conf = node.folder / "redis.conf"
            conf.write_text(_config(node))
            conf.chmod(0o600)
            subprocess.run([server, str(conf)], check=True, timeout=10, capture_output=True, umask=0o077)
        _wait(lambda: all(cluster.cli(n.port, "ping").strip() == "PONG" for n in nodes), timeout, "nodes up")
        create = [cli_beside(server), "--cluster", "create"]
        create += [f"127.0.0.1:{n.port}" for n in nodes]
        create += ["--cluster-replicas", "1", "--cluster-yes"]
        subprocess.run(create, check=True, timeout=timeout, capture_output=True, text=True)
        _wait(lambda: all(_ok(cluster, n) for n in nodes), timeout, "cluster_state:ok on every node")
        # The replicas' links must be up too, or a failover right after start would lose data.
        _wait(lambda: all(_replica_linked(cluster, n) for n in nodes), timeout, "replicas in sync")
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _ok(cluster: Cluster, node: Node) -> bool:
    return "cluster_state:ok" in cluster.cli(node.port, "cluster", "info")


def _replica_linked(cluster: Cluster, node: Node) -> bool:
    info = cluster.cli(node.port, "info", "replication")
    return "role:master" in info or "master_link_status:up" in info


def _wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError(f"redis cluster: no {what} within {timeout:.0f} s")


def load(root: Path) -> Cluster:
    """The cluster ``start`` left under ``root`` (for ``stop`` from another process)."""
    root = root.resolve()
    state = json.loads((root / STATE).read_text())
    nodes = tuple(Node(p, b, root / f"node-{i}") for i, (p, b) in enumerate(state["nodes"]))
    return Cluster(root, nodes, state["server"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("action", choices=["start", "stop"])
    ap.add_argument("root", type=Path, help="the folder of the nodes' data (created 0700)")
    args = ap.parse_args(argv)
    if args.action == "start":
        print(start(args.root).url)
    else:
        load(args.root).stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
