"""The protocol over HTTP (``POST /sse`` stream, ``POST /sse/cmd`` commands) through real hubs and
a real Redis: the same hello, commands, recovery, limits and close codes as the WebSocket, and the
limits shared with a WebSocket of the same participant."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
from redis.asyncio import Redis

from cli import cluster
from engine import keys
from engine.channels import ChannelLog
from panel.roster import Roster
from tests.integration.test_cluster import PANELISTS, connections, topology
from tests.integration.test_slow_client import metric, publish_burst
from tests.integration.test_vote import DEFINITION
from tests.support import Client, HubProcess, connect, redis_client, seed

__all__ = ["topology"]  # the fixture of the production topology (HAProxy, three hubs, Redis 7)

SESSION = "X-Plenary-Session"
VOTE = DEFINITION["vote_id"]
RANKING = [p["id"] for p in DEFINITION["proposals"][:3]]


class SseSocket:
    """What ``tests.support.Client`` needs of a WebSocket, over the HTTP fallback: the first frame
    sent (the hello) opens the stream as its body; later frames are POSTed with the stream's
    session id; ``data`` events are the frames, a ``close`` event the close code."""

    def __init__(self, base_url: str, origin: str | None = None) -> None:
        headers = {"Origin": origin} if origin else {}
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10, headers=headers)
        self.session: str | None = None
        self.has_session = asyncio.Event()
        self.inbox: asyncio.Queue[str | None] = asyncio.Queue()
        self.close_code: int | None = None
        self.close_reason = ""
        self.response: httpx.Response | None = None  # the stream's answer (status, headers)
        self.refusal: dict[str, Any] | None = None  # the JSON of a stream refused before it began
        self.posts: list[httpx.Response] = []
        self._stream: asyncio.Task[None] | None = None

    async def send(self, data: str | bytes) -> None:
        if self._stream is None:
            self._stream = asyncio.create_task(self._read(data))
            return
        await asyncio.wait_for(self.has_session.wait(), 10)
        assert self.session is not None
        self.posts.append(await self.http.post("/sse/cmd", content=data, headers={SESSION: self.session}))

    async def _read(self, hello: str | bytes) -> None:
        try:
            async with self.http.stream("POST", "/sse", content=hello) as r:
                self.response = r
                if r.status_code != 200:
                    self.refusal = json.loads(await r.aread())
                    return
                event, data = "", ""
                async for line in r.aiter_lines():
                    if line.startswith(":"):
                        continue
                    if line:
                        name, _, value = line.partition(":")
                        value = value.removeprefix(" ")
                        event, data = (value, data) if name == "event" else (event, value)
                        continue
                    if event == "session":
                        self.session = data
                        self.has_session.set()
                    elif event == "close":
                        close = json.loads(data)
                        self.close_code, self.close_reason = close["code"], close["reason"]
                    elif data:
                        self.inbox.put_nowait(data)
                    event, data = "", ""
        except httpx.HTTPError:
            pass
        finally:
            self.inbox.put_nowait(None)

    def __aiter__(self) -> SseSocket:
        return self

    async def __anext__(self) -> str:
        item = await self.inbox.get()
        if item is None:
            self.inbox.put_nowait(None)
            raise StopAsyncIteration
        return item

    async def close(self) -> None:
        if self._stream is not None:
            self._stream.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._stream
        self.inbox.put_nowait(None)
        await self.http.aclose()


@contextlib.asynccontextmanager
async def sse_connect(
    base_url: str, token: str | None = None, origin: str | None = None
) -> AsyncIterator[Client]:
    """A protocol client over the HTTP fallback: ``tests.support.Client`` on an ``SseSocket``."""
    client = Client(SseSocket(base_url, origin), "plenary.v1.json")
    try:
        if token is not None:
            client.welcome = await client.ok("hello", token=token)
        yield client
    finally:
        await client.close()


def socket_of(c: Client) -> SseSocket:
    sock: SseSocket = c.ws
    return sock


async def test_hello_welcome_and_commands_over_http(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with sse_connect(hub.url, tokens["p1"]) as c:
        assert c.welcome["participant"] == "p1" and c.welcome["role"] == "panelist"
        assert "chat.send" in c.welcome["may"]
        sock = socket_of(c)
        assert sock.response is not None
        assert sock.response.headers["content-type"].startswith("text/event-stream")
        assert sock.response.headers["cache-control"] == "no-store"
        assert sock.response.headers["x-accel-buffering"] == "no"
        assert len(sock.session or "") >= 32  # 192 random bits
        assert (await c.ok("ping"))["server_time"] > 0
        meetings = await c.ok("meeting.list")
        assert [m["id"] for m in meetings["meetings"]] == ["m1"]
        assert all(p.status_code == 204 for p in sock.posts)
        # Several frames in one POST, one per line: each answered, in order.
        assert sock.session is not None
        a = c.replies[101] = asyncio.get_running_loop().create_future()
        b = c.replies[102] = asyncio.get_running_loop().create_future()
        two = b'{"type":"ping","id":101}\n{"type":"ping","id":102}'
        r = await sock.http.post("/sse/cmd", content=two, headers={SESSION: sock.session})
        assert r.status_code == 204
        first, second = await asyncio.wait_for(asyncio.gather(a, b), 10)
        assert first["type"] == second["type"] == "reply"


async def test_chat_from_http_reaches_a_websocket_and_back(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with sse_connect(hub.url, tokens["p1"]) as sse, connect(hub.ws_url, tokens["p2"]) as ws:
        await sse.ok("subscribe", channel="meeting/m1/chat")
        await ws.ok("subscribe", channel="meeting/m1/chat")
        await sse.ok("chat.send", meeting="m1", text="HTTP에서 안녕하세요")
        await ws.ok("chat.send", meeting="m1", text="웹소켓에서 안녕하세요")
        got_ws = await ws.wait_events("meeting/m1/chat", 2)
        got_sse = await sse.wait_events("meeting/m1/chat", 2)
        texts = ["HTTP에서 안녕하세요", "웹소켓에서 안녕하세요"]
        assert [e["data"]["text"] for e in got_ws] == texts
        assert [e["data"]["text"] for e in got_sse] == texts
        assert [e["offset"] for e in got_sse] == [1, 2]


async def test_subscribe_with_offsets_recovers_exactly_what_was_missed(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    # p2 writes five messages (chat allows 5 per 10 s), the moderator the live one.
    async with connect(hub.ws_url, tokens["p2"]) as writer, connect(hub.ws_url, tokens["mod"]) as mod:
        async with sse_connect(hub.url, tokens["p1"]) as first:
            await first.ok("subscribe", channel="meeting/m1/chat")
            for i in range(2):
                await writer.ok("chat.send", meeting="m1", text=f"before {i}")
            seen = await first.wait_events("meeting/m1/chat", 2)
        epoch, offset = seen[-1]["epoch"], seen[-1]["offset"]
        for i in range(3):  # while the panelist is away
            await writer.ok("chat.send", meeting="m1", text=f"missed {i}")
        async with sse_connect(hub.url, tokens["p1"]) as again:
            res = await again.ok("subscribe", channel="meeting/m1/chat", epoch=epoch, offset=offset)
            assert res["recovered"] is True
            assert [e["data"]["text"] for e in res["events"]] == [f"missed {i}" for i in range(3)]
            await mod.ok("chat.send", meeting="m1", text="live")
            live = await again.wait_events("meeting/m1/chat", 1)
            assert live[0]["data"]["text"] == "live" and live[0]["offset"] == offset + 4


async def test_a_cast_over_http_gets_its_receipt(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["host"]) as host:
        await host.ok("vote.create", definition=DEFINITION)
        await host.ok("vote.open", vote=VOTE)
    async with sse_connect(hub.url, tokens["p1"]) as c:
        first = await c.ok("vote.cast", vote=VOTE, ranking=RANKING, nonce="nonce-http-1")
        assert first["retry"] is False and len(first["tracking_code"]) > 8
        again = await c.ok("vote.cast", vote=VOTE, ranking=RANKING, nonce="nonce-http-1")
        assert again["retry"] is True and again["tracking_code"] == first["tracking_code"]
        mine = await c.ok("vote.mine", vote=VOTE)
    assert mine["voted"] is True and mine["counted"]["tracking_code"] == first["tracking_code"]
    assert await redis.llen(keys.vote_key(VOTE, "ballots")) == 1


async def test_the_cast_bucket_is_shared_with_a_websocket_of_the_same_panelist(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    async with connect(hubs[0].ws_url, tokens["host"]) as host:
        await host.ok("vote.create", definition=DEFINITION)
        await host.ok("vote.open", vote=VOTE)
    async with sse_connect(hubs[0].url, tokens["p1"]) as a, connect(hubs[1].ws_url, tokens["p1"]) as b:
        results = []
        for i in range(12):  # alternating transports and hubs: a per-connection limit lets more through
            c = a if i % 2 == 0 else b
            results.append(await c.call("vote.cast", vote=VOTE, ranking=RANKING, nonce=f"nonce-{i:04d}"))
    ok = [r for r in results if r["type"] == "reply"]
    limited = [r for r in results if r.get("name") == "rate_limited"]
    assert 5 <= len(ok) < 10 and len(ok) + len(limited) == 12, [r.get("name") for r in results]
    assert any(r["name"] == "rate_limited" for r in results[::2] if r["type"] == "error")  # HTTP ones too
    assert all(r["retryable"] and r["retry_after_ms"] > 0 for r in limited)
    assert await redis.llen(keys.vote_key(VOTE, "ballots")) == len(ok)


async def test_connection_slots_count_http_and_websocket_alike(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(3):
            await stack.enter_async_context(connect(hub.ws_url, tokens["p1"]))
        for _ in range(2):
            await stack.enter_async_context(sse_connect(hub.url, tokens["p1"]))
        async with sse_connect(hub.url) as sixth:  # a panelist holds 5 at most
            refused = await sixth.call("hello", token=tokens["p1"])
            assert refused["name"] == "too_many_connections" and refused["retryable"] is True
            assert (await asyncio.wait_for(sixth.closed, 5))[0] == 4013


async def test_bad_input_gets_coded_errors_and_the_stream_lives_on(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with sse_connect(hub.url, tokens["p1"]) as c:
        sock = socket_of(c)
        assert sock.session is not None
        for raw, name in [
            (b"{not json", "bad_frame"),
            (b'{"type":"no.such","id":7}', "unknown_command"),
            (b'{"type":"chat.send","id":8,"meeting":"m1","text":5}', "bad_field"),
            (b'{"type":"hello","id":9,"token":"x"}', "already_authenticated"),
            (b'{"type":"chat.send","id":10,"meeting":"m2","text":"hi"}', "not_a_member"),
            (b"", "bad_frame"),  # a request without a frame is not free
            (b"\xff\xfe", "bad_frame"),  # not UTF-8
        ]:
            before = len(c.frames)
            r = await sock.http.post("/sse/cmd", content=raw, headers={SESSION: sock.session})
            assert r.status_code == 204
            for _ in range(100):
                if len(c.frames) > before:
                    break
                await asyncio.sleep(0.05)
            assert c.frames[-1]["type"] == "error" and c.frames[-1]["name"] == name, (raw, c.frames[-1])
        assert (await c.ok("ping"))["server_time"] > 0  # the connection survived
        # A session id that names no stream: refused with a code, nothing run.
        r = await sock.http.post("/sse/cmd", content=b'{"type":"ping","id":1}', headers={SESSION: "made-up"})
        assert r.status_code == 400 and r.json()["name"] == "not_authenticated"
        r = await sock.http.post("/sse/cmd", content=b'{"type":"ping","id":1}')
        assert r.status_code == 400 and r.json()["name"] == "not_authenticated"
        # A request over the frame cap: too_large, and the stream closes with 1009 like a WebSocket.
        r = await sock.http.post("/sse/cmd", content=b"x" * (64 * 1024 + 1), headers={SESSION: sock.session})
        assert r.json()["name"] == "too_large"
        assert (await asyncio.wait_for(c.closed, 5))[0] == 1009


async def test_auth_refused(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with sse_connect(hub.url) as bad:
        refused = await bad.call("hello", token="not-a-token")
        assert refused["type"] == "error" and refused["name"] == "bad_token" and refused["code"] == 1100
        assert (await asyncio.wait_for(bad.closed, 5))[0] == 4003
    async with sse_connect(hub.url) as first:  # the stream's one frame must be a hello
        refused = await first.call("ping")
        assert refused["name"] == "not_authenticated"
        assert (await asyncio.wait_for(first.closed, 5))[0] == 4001
    async with sse_connect(hub.url, origin="https://evil.example") as foreign:
        await foreign.send_raw(json.dumps({"type": "hello", "id": 1, "token": tokens["p1"]}))
        await asyncio.wait_for(foreign.closed, 5)
        sock = socket_of(foreign)
        assert sock.response is not None and sock.response.status_code == 403
        assert sock.refusal is not None and sock.refusal["name"] == "bad_origin"
    # The token is never needed in a URL: GET /sse does not exist.
    async with httpx.AsyncClient(base_url=hub.url) as http:
        assert (await http.get(f"/sse?token={tokens['p1']}")).status_code == 405


async def test_revoking_the_link_closes_the_stream(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with sse_connect(hub.url, tokens["p1"]) as c, sse_connect(hub.url, tokens["p2"]) as bystander:
        await Roster(redis).revoke("p1")
        code, reason = await asyncio.wait_for(c.closed, 5)
        assert code == 4012 and reason == "link revoked"
        assert (await bystander.ok("ping"))["server_time"] > 0
        sock = socket_of(c)
        assert sock.session is not None
        r = await sock.http.post(
            "/sse/cmd", content=b'{"type":"ping","id":99}', headers={SESSION: sock.session}
        )
        assert r.status_code == 400 and r.json()["name"] == "not_authenticated"


async def test_behind_haproxy_each_streams_commands_reach_its_hub(topology: cluster.Cluster) -> None:
    """Three hubs behind HAProxy (``deploy/haproxy.cfg``), which balances the streams over them:
    the commands of each stream, balanced alone, would land on another hub two times in three."""
    top = topology.top
    redis = redis_client(top.redis_url)
    try:
        people = PANELISTS[:6]
        tokens = await seed(redis, people)
        async with contextlib.AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(sse_connect(top.url, tokens[p.id], origin=top.url))
                for p in people
            ]
            assert sorted(connections(top).values()) == [2, 2, 2]  # leastconn spread the streams
            for c in clients:
                await c.ok("subscribe", channel="meeting/m1/chat")
                for _ in range(3):
                    assert (await c.ok("ping"))["server_time"] > 0
            await clients[0].ok("chat.send", meeting="m1", text="모든 허브에 닿습니다")
            for c in clients:
                assert [e["data"]["text"] for e in await c.wait_events("meeting/m1/chat", 1)] == [
                    "모든 허브에 닿습니다"
                ]
            assert all(p.status_code == 204 for c in clients for p in socket_of(c).posts)
    finally:
        await redis.aclose()


async def test_a_stopping_hub_closes_its_streams_with_1012(redis: Redis, redis_url: str) -> None:
    """uvicorn closes WebSockets with 1012 at SIGTERM but would let a stream run to its graceful
    timeout and then cut it: the hub closes its streams with 1012 at once."""
    tokens = await seed(redis)
    doomed = HubProcess(redis_url).wait_ready()
    try:
        async with sse_connect(doomed.url, tokens["p1"]) as c:
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            doomed.proc.terminate()
            code, reason = await asyncio.wait_for(c.closed, 10)
            assert code == 1012, (code, reason)
            assert loop.time() - t0 < 4.5  # before the 5 s graceful timeout
    finally:
        doomed.stop()


async def test_a_stalled_stream_is_treated_like_a_stalled_websocket(redis: Redis, hub: HubProcess) -> None:
    """A stream whose reader stopped: its broadcast frames are dropped past the write cap (1 MiB
    in this fixture), it is aborted after the stall timeout (2 s), and a healthy reader of the
    same channel gets every event in time."""
    tokens = await seed(redis)
    aborts_before = await metric(hub, "plenary_slow_aborts_total")
    dropped_before = await metric(hub, "plenary_dropped_frames_total")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", hub.port))
    reader, writer = await asyncio.open_connection(sock=sock)
    hello = json.dumps({"type": "hello", "id": 1, "token": tokens["p1"]}).encode()
    writer.write(
        b"POST /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
        + f"Content-Length: {len(hello)}\r\n\r\n".encode()
        + hello
    )
    head = b""
    while b'"participant"' not in head:
        head += await asyncio.wait_for(reader.read(4096), 10)
    session = re.search(rb"(?im)^x-plenary-session: (\S+)\r$", head)
    assert session is not None
    async with httpx.AsyncClient(base_url=hub.url) as http:
        subscribe = b'{"type":"subscribe","id":2,"channel":"meeting/m1/chat"}'
        r = await http.post("/sse/cmd", content=subscribe, headers={SESSION: session.group(1).decode()})
        assert r.status_code == 204
    await asyncio.sleep(0.3)  # the subscribe is answered; from now on nobody reads this stream
    async with connect(hub.ws_url, tokens["p2"]) as bob:
        await bob.ok("subscribe", channel="meeting/m1/chat")
        n = 300  # 2.4 MB, paced at 8 MB/s (tests/integration/test_slow_client.py)
        await publish_burst(ChannelLog(redis), n, pause=0.05)
        got = await bob.wait_events("meeting/m1/chat", n, timeout=20)
        assert [e["offset"] for e in got] == list(range(1, n + 1)) and bob.gaps == []
        assert await metric(hub, "plenary_dropped_frames_total") > dropped_before
        deadline = time.monotonic() + 10
        while await metric(hub, "plenary_slow_aborts_total") <= aborts_before:
            assert time.monotonic() < deadline, "stalled stream never aborted"
            await asyncio.sleep(0.2)
    with contextlib.suppress(ConnectionError):  # what was buffered, then the end of the connection
        while await asyncio.wait_for(reader.read(65536), 10):
            pass
    writer.close()
