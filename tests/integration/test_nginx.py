"""deploy/nginx.conf, the docker-compose proxy, run for real (Debian's nginx) in front of two hub
processes on one Redis (``tests/nginx.py`` rewrites only what docker-compose has: the upstream
names, ports, paths): ``nginx -t`` first, then a WebSocket session and an ``/sse`` fallback session
through it over TLS.

The fallback's commands must reach their stream's hub. HAProxy learns the stream's session from
its answer (``stick store-response``); open-source nginx cannot learn from a response (that is
NGINX Plus's ``sticky learn``), and hashing on ``X-Plenary-Session`` would not do either: the
stream's own request carries no session yet (the hub makes it), so it would be placed by another
hash than its commands. The file therefore places ``/sse`` by the client's address (``hash
$remote_addr consistent``): a stream and its commands come from one address."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import ssl
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from panel.roster import Participant
from tests.integration.test_http_fallback import SseSocket, socket_of
from tests.nginx import Proxy, nginx_program, running_nginx
from tests.support import PEOPLE, Client, HubProcess, connect, seed

CHAT = "meeting/m1/chat"
MORE = [Participant(id=f"n{i}", name=f"패널 {i}", role="panelist", meetings=["m1"]) for i in range(4)]


@pytest.fixture(scope="module")
def proxy(hubs: tuple[HubProcess, HubProcess]) -> Iterator[Proxy]:
    try:
        nginx_program()
    except FileNotFoundError as err:
        pytest.fail(str(err), pytrace=False)
    # Not under pytest's 0700 folders: nginx's workers (nobody, under a root master) use this one.
    folder = Path(tempfile.mkdtemp(prefix="plenary-nginx-", dir="/tmp"))
    try:
        with running_nginx(folder, [h.port for h in hubs]) as running:
            yield running
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def trusting(proxy: Proxy) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(proxy.cafile))


def connections(hubs: tuple[HubProcess, HubProcess]) -> list[int]:
    """Each hub's own count of its clients (its ``/readyz``, not through nginx)."""
    return [int(httpx.get(h.url + "/readyz", timeout=3).json()["connections"]) for h in hubs]


@contextlib.asynccontextmanager
async def sse_through(proxy: Proxy, token: str) -> AsyncIterator[Client]:
    sock = SseSocket(proxy.url)
    await sock.http.aclose()
    sock.http = httpx.AsyncClient(base_url=proxy.url, timeout=10, verify=trusting(proxy))
    client = Client(sock, "plenary.v1.json")
    try:
        client.welcome = await client.ok("hello", token=token)
        yield client
    finally:
        await client.close()


async def test_nginx_passes_websockets_and_the_http_fallback_to_two_hubs(
    proxy: Proxy, hubs: tuple[HubProcess, HubProcess], redis: Redis
) -> None:
    assert "syntax is ok" in proxy.check and "test is successful" in proxy.check, proxy.check
    tokens = await seed(redis, MORE)
    ctx = trusting(proxy)
    async with httpx.AsyncClient(base_url=proxy.url, verify=ctx, timeout=5) as http:
        assert (await http.get("/readyz")).status_code == 200
        assert (await http.get("/metrics")).status_code == 404  # operators only, on the backend network

    # WebSockets: least_conn spreads them over both hubs; a message crosses hubs through Redis.
    async with contextlib.AsyncExitStack() as stack:
        ws = [
            await stack.enter_async_context(connect(proxy.ws_url, tokens[p], ssl=ctx)) for p in ("p1", "p2")
        ]
        assert sorted(connections(hubs)) == [1, 1], connections(hubs)
        for c in ws:
            await c.ok("subscribe", channel=CHAT)
        await ws[0].ok("chat.send", meeting="m1", text="nginx를 거친 웹소켓")
        for c in ws:
            assert [e["data"]["text"] for e in await c.wait_events(CHAT, 1)] == ["nginx를 거친 웹소켓"]

        # The fallback: three streams (each one's commands must reach its hub), events unbuffered.
        streams = [await stack.enter_async_context(sse_through(proxy, tokens[p.id])) for p in MORE[:3]]
        for s in streams:
            await s.ok("subscribe", channel=CHAT)
            for _ in range(3):
                assert (await s.ok("ping"))["server_time"] > 0
        await streams[0].ok("chat.send", meeting="m1", text="HTTP로 보낸 글")
        for c in [*ws, *streams]:
            texts = [e["data"]["text"] for e in await c.wait_events(CHAT, 2 if c in ws else 1)]
            assert texts[-1] == "HTTP로 보낸 글", texts
        assert all(p.status_code == 204 for s in streams for p in socket_of(s).posts)
        on_hubs = connections(hubs)
        assert sum(on_hubs) == 5 and max(on_hubs) >= 4, on_hubs  # one address: the streams on one hub

    await asyncio.sleep(0.2)  # nginx writes a request's log line when it ends
    log = proxy.access_log()
    assert '"GET /ws HTTP/1.1" 101' in log and '"POST /sse HTTP/1.1" 200' in log
    assert '"POST /sse/cmd HTTP/1.1" 204' in log
    leaked = [p.id for p in [*PEOPLE, *MORE] if p.id in tokens and tokens[p.id] in log]
    assert not leaked, f"tokens in nginx's log: {leaked}"
