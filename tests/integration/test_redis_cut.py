"""A hub cut from Redis lets its clients go; a Redis that is stuck for everyone does not
(``Hub._redis_watch``, docs/reliability.md "Issue 12: a hub cut from Redis").

Real parts: a ``redis-server`` on a TCP port of its own, a ``plenary serve`` process with a short
``--redis-cut-close``, WebSocket clients over real sockets. The cut is the packet filter's
(``loadtest.faults.cut_from_redis``: every packet between the hub process and Redis dropped, new
connections too), so it needs root, as CI has; the stuck Redis is a SIGSTOP, which any user may send."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from engine.connection import sync_client
from loadtest.faults import cut_from_redis
from tests.integration.test_cluster import free_ports, programs
from tests.support import HubProcess, connect, redis_client, seed
from tools.system_packages import find_program

CUT_CLOSE = 1.0  # the hub's --redis-cut-close in these tests
WS_OPEN = 1  # websockets' State.OPEN


@pytest.fixture
def tcp_redis(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    _haproxy, server = programs()
    port = free_ports(1)
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        probe = sync_client(f"redis://127.0.0.1:{port}")
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(redis.ConnectionError):
                if probe.ping():
                    break
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        probe.close()
        yield proc, port
    finally:
        os.kill(proc.pid, signal.SIGCONT)
        proc.kill()
        proc.wait(5)


def ready(hub: HubProcess) -> int:
    try:
        return httpx.get(hub.url + "/readyz", timeout=3).status_code
    except httpx.HTTPError:
        return 0


async def test_a_redis_stuck_for_every_hub_keeps_the_clients(
    tcp_redis: tuple[subprocess.Popen[bytes], int],
) -> None:
    """SIGSTOP: Redis accepts connections and never answers, for every hub alike. The hub says
    503 but keeps its clients (closing them would only send them to hubs in the same state)."""
    proc, port = tcp_redis
    url = f"redis://127.0.0.1:{port}"
    redis = redis_client(url)
    tokens = await seed(redis)
    await redis.aclose()
    hub = HubProcess(url, "--redis-cut-close", str(CUT_CLOSE)).wait_ready()
    try:
        async with connect(hub.ws_url, tokens["p1"]) as client:
            os.kill(proc.pid, signal.SIGSTOP)
            try:
                await asyncio.sleep(CUT_CLOSE + 3.5)
                assert await asyncio.to_thread(ready, hub) == 503
                assert client.ws.close_code is None, f"closed with {client.ws.close_code}"
            finally:
                os.kill(proc.pid, signal.SIGCONT)
            await client.ok("subscribe", channel="meeting/m1/chat")  # and it goes on
    finally:
        hub.stop()


@pytest.mark.skipif(os.geteuid() != 0, reason="the packet filter needs root")
async def test_a_hub_cut_from_redis_closes_its_clients_with_1012_and_takes_none(
    tcp_redis: tuple[subprocess.Popen[bytes], int],
) -> None:
    if find_program("iptables") is None:
        pytest.fail("iptables not installed: `make packages`")
    _proc, port = tcp_redis
    url = f"redis://127.0.0.1:{port}"
    redis = redis_client(url)
    tokens = await seed(redis)
    await redis.aclose()
    hub = HubProcess(url, "--redis-cut-close", str(CUT_CLOSE)).wait_ready()
    try:
        async with connect(hub.ws_url, tokens["p1"]) as client:
            await client.ok("subscribe", channel="meeting/m1/chat")
            with cut_from_redis(hub.proc.pid, port) as said:
                assert said["connections_cut"] > 0
                t0 = time.monotonic()
                await asyncio.wait_for(client.ws.wait_closed(), CUT_CLOSE + 8)
                took = time.monotonic() - t0
                assert client.ws.close_code == 1012, client.ws.close_code
                assert took >= CUT_CLOSE
                with pytest.raises(Exception, match="503"):  # it takes no one while cut
                    async with connect(hub.ws_url, tokens["p2"]):
                        pass
        deadline = time.monotonic() + 15
        while await asyncio.to_thread(ready, hub) != 200:  # back once Redis answers
            assert time.monotonic() < deadline, "the hub did not come back after the cut"
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # the watch's next look clears the cut
        async with connect(hub.ws_url, tokens["p2"]) as again:
            await again.ok("subscribe", channel="meeting/m1/chat")
    finally:
        hub.stop()
