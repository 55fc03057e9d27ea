"""The production topology of ``make cluster``, small and real: Debian's Redis 7 (AOF, fsync
always), three ``plenary serve`` processes and Debian's HAProxy in front. Clients speak WebSockets
through HAProxy only; a hub is killed with SIGKILL mid-session and its clients must come back
through HAProxy on the other hubs, with exactly the events they missed and every ballot kept once.
Redis stopped (SIGSTOP) must make every hub report not ready, so that HAProxy sends no one to them.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ballot.store import VoteStore
from cli import cluster
from engine.channels import ChannelLog
from panel.roster import Participant
from tests.support import Client, connect, redis_client, seed
from tools import redis_cluster
from tools.system_packages import find_program, install_command

CHAT = "meeting/m1/chat"
VOTE = "plenary-1"
PROPOSALS = [{"id": f"P{i}", "title": f"제안 {i}", "topic": "교통"} for i in range(6)]
DEFINITION: dict[str, Any] = {
    "vote_id": VOTE,
    "title": "시민총회 우선순위",
    "proposals": PROPOSALS,
    "rule": {"kind": "top_k", "k": 3, "minimum": 1},
    "method": "schulze",
    "tie_break": [p["id"] for p in PROPOSALS],
}
PANELISTS = [
    Participant(id=f"c{i:02d}", name=f"패널 {i}", role="panelist", meetings=["m1"]) for i in range(12)
]


def free_ports(count: int) -> int:
    """A base port with ``count`` free consecutive ports from it (HAProxy, then the hubs), below
    Linux's ephemeral range (32768-60999): a port there, free when checked, may be taken by any
    outgoing connection before the hub binds it (seen: `address already in use`)."""
    rng = random.Random()
    for _ in range(50):
        base = rng.randrange(20000, 32700)
        with contextlib.ExitStack() as stack:
            try:
                for port in range(base, base + count):
                    s = stack.enter_context(socket.socket())
                    s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return base
    raise RuntimeError("no free ports")


def programs() -> tuple[str, str]:
    found = {name: find_program(name) for name in ("haproxy", "redis-server")}
    missing = [n for n, path in found.items() if path is None]
    if missing:
        pytest.fail(f"{missing} not installed: `make packages`, or {' '.join(install_command(missing))}")
    return str(found["haproxy"]), str(found["redis-server"])


@pytest.fixture(params=["single"])
def topology(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[cluster.Cluster]:
    """The topology on one Redis; a test parametrised indirectly with "cluster" gets it on a Redis
    Cluster (``make cluster REDIS=cluster``: three masters with a replica each)."""
    haproxy, redis_server = programs()
    base = free_ports(5)  # HAProxy, three hubs, then Redis: one call, so never the same port twice
    redis_port = base + 4
    top = cluster.Topology(
        directory=tmp_path / "cluster",
        haproxy=haproxy,
        redis_server=redis_server,
        port=base,
        hubs=3,
        redis_port=redis_port,
        hub_args=("--log-level", "warning"),
        redis=request.param,
    )
    running = cluster.start(top)
    try:
        yield running
    finally:
        running.stop()
        assert not [p.name for p in running.procs if cluster.alive(p)], "left running"
        assert not list(top.directory.glob("*.pid"))
        nodes = top.directory / cluster.CLUSTER_FOLDER
        if nodes.exists():
            left = [
                n.port
                for n in redis_cluster.load(nodes).nodes
                if n.pid() and Path(f"/proc/{n.pid()}").exists()
            ]
            assert not left, f"Redis Cluster nodes left running: {left}"


def ws_url(top: cluster.Topology) -> str:
    return top.url.replace("http://", "ws://") + "/ws"


@contextlib.asynccontextmanager
async def through_haproxy(top: cluster.Topology, token: str) -> AsyncIterator[Client]:
    """A client connected through HAProxy, from a page HAProxy served (the hubs' public URL)."""
    async with connect(ws_url(top), token, origin=top.url) as client:
        yield client


def connections(top: cluster.Topology) -> dict[int, int]:
    """Hub index -> its open WebSockets (each hub's own /readyz, not through HAProxy)."""
    out = {}
    for i in range(1, top.hubs + 1):
        body = httpx.get(f"http://127.0.0.1:{top.hub_port(i)}/readyz", timeout=5).json()
        out[i] = int(body["connections"])
    return out


@pytest.mark.parametrize("topology", ["single", "cluster"], indirect=True)
async def test_a_hub_killed_behind_haproxy_loses_nothing(topology: cluster.Cluster) -> None:
    top = topology.top
    redis = redis_client(top.redis_url)
    try:
        tokens = await seed(redis, PANELISTS)
        async with through_haproxy(top, tokens["host"]) as host:
            await host.ok("vote.create", definition=DEFINITION)
            await host.ok("vote.open", vote=VOTE)
        ids = [p.id for p in PANELISTS]
        rankings = {pid: random.Random(pid).sample([p["id"] for p in PROPOSALS], 3) for pid in ids}
        receipts: dict[str, str] = {}

        async with contextlib.AsyncExitStack() as stack:
            clients = {pid: await stack.enter_async_context(through_haproxy(top, tokens[pid])) for pid in ids}
            per_hub = connections(top)
            assert sorted(per_hub.values()) == [4, 4, 4], per_hub  # leastconn: evenly
            for c in clients.values():
                await c.ok("subscribe", channel=CHAT)
            # A chat and a cast through HAProxy, every client on every hub seeing every message.
            for pid in ids[:3]:
                await clients[pid].ok("chat.send", meeting="m1", text=f"before, from {pid}")
            for c in clients.values():
                await c.wait_events(CHAT, 3)
            for pid in ids[:6]:
                res = await clients[pid].ok(
                    "vote.cast", vote=VOTE, ranking=rankings[pid], nonce=f"nonce-{pid}"
                )
                receipts[pid] = res["tracking_code"]

            # kill -9 the first hub: its four clients lose their connection at once.
            victim = 1
            killed_at = time.monotonic()
            topology.kill(f"hub-{victim}")
            deadline = time.monotonic() + 5
            while sum(c.closed.done() for c in clients.values()) < per_hub[victim]:
                assert time.monotonic() < deadline, "the killed hub's clients did not see it go"
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)  # and no other client goes with them
            dropped = [pid for pid, c in clients.items() if c.closed.done()]
            assert len(dropped) == per_hub[victim], (dropped, per_hub)
            kept = [pid for pid in ids if pid not in dropped]
            # The others chat on while the dropped clients are away.
            for i, pid in enumerate(kept[:4]):
                await clients[pid].ok("chat.send", meeting="m1", text=f"while away {i}")
            for pid in kept:
                await clients[pid].wait_events(CHAT, 7)

            # Each dropped client reconnects through HAProxy at once (before the health check
            # has marked the dead hub down: a refused connection is retried on another hub) and
            # recovers from its last position: exactly the four messages it missed.
            back_in = []
            for pid in dropped:
                last = clients[pid].events[-1]
                async with through_haproxy(top, tokens[pid]) as again:
                    back_in.append(time.monotonic() - killed_at)
                    sub = await again.ok(
                        "subscribe", channel=CHAT, epoch=last["epoch"], offset=last["offset"]
                    )
                    assert sub["recovered"] is True
                    assert [e["data"]["text"] for e in sub["events"]] == [f"while away {i}" for i in range(4)]
                    # Its ballot: cast before the kill, a retry with the same nonce is the same
                    # ballot; not cast yet, it casts now, on a living hub.
                    res = await again.ok("vote.cast", vote=VOTE, ranking=rankings[pid], nonce=f"nonce-{pid}")
                    if pid in receipts:
                        assert res["retry"] is True and res["tracking_code"] == receipts[pid]
                    receipts[pid] = res["tracking_code"]
            assert max(back_in) < 5.0, back_in
            for pid in kept:
                if pid not in receipts:
                    res = await clients[pid].ok(
                        "vote.cast", vote=VOTE, ranking=rankings[pid], nonce=f"nonce-{pid}"
                    )
                    receipts[pid] = res["tracking_code"]

        # Every acknowledged ballot is stored, once.
        stored = await VoteStore(ChannelLog(redis)).ballots(VOTE)
        assert len(stored) == len(ids)
        assert {b.voter: b.tracking_code for b in stored} == receipts
        assert {b.voter: list(b.ranking) for b in stored} == rankings

        # HAProxy has marked the dead hub down (two failed checks a second apart) and says so.
        deadline = time.monotonic() + 10
        log = top.directory / "haproxy.log"
        while f"hub-{victim} is DOWN" not in log.read_text() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert f"hub-{victim} is DOWN" in log.read_text()
        statuses = {httpx.get(top.url + "/readyz", timeout=5).status_code for _ in range(6)}
        assert statuses == {200}
    finally:
        await redis.aclose()


def readiness(top: cluster.Topology) -> list[int | None]:
    return [
        cluster.http_status(f"http://127.0.0.1:{top.hub_port(i)}/readyz", 5) for i in range(1, top.hubs + 1)
    ]


async def test_hubs_are_not_ready_while_redis_does_not_answer(topology: cluster.Cluster) -> None:
    """Redis frozen (SIGSTOP: connections open, no answers, as a cut network looks): every hub's
    /readyz says 503 within a few seconds, HAProxy has no hub to send anyone to; Redis back
    (SIGCONT): every hub ready again, and HAProxy sends clients to them."""
    top = topology.top
    assert readiness(top) == [200] * top.hubs
    topology.kill("redis", signal.SIGSTOP)
    try:
        started = time.monotonic()
        statuses = readiness(top)
        took = time.monotonic() - started
        assert statuses == [503] * top.hubs, statuses
        assert took < 3 * 2.0, f"/readyz took {took:.1f} s for {top.hubs} hubs"
        deadline = time.monotonic() + 10
        while cluster.http_status(top.url + "/readyz") != 503 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert cluster.http_status(top.url + "/readyz") == 503  # HAProxy: no server available
    finally:
        topology.kill("redis", signal.SIGCONT)
    deadline = time.monotonic() + 15
    while readiness(top) != [200] * top.hubs and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert readiness(top) == [200] * top.hubs
    while cluster.http_status(top.url + "/readyz") != 200 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert cluster.http_status(top.url + "/readyz") == 200
