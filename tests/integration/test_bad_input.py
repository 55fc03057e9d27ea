"""Bad input over real sockets: each gets its stable code (or close code for abuse), nothing is
stored half-way, and the hub and the other connections carry on."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import time

import httpx
import msgspec
import pytest
import websockets
from redis.asyncio import Redis

from engine.server import EmbeddedRedis
from tests.support import HubProcess, connect, seed

CHAT = "meeting/m1/chat"


@pytest.mark.parametrize("codec", ["plenary.v1.json", "plenary.v1.msgpack"])
async def test_malformed_frames_get_coded_errors_and_the_connection_lives(
    redis: Redis, hub: HubProcess, codec: str
) -> None:
    tokens = await seed(redis)
    enc = (lambda o: msgspec.json.encode(o).decode()) if codec.endswith("json") else msgspec.msgpack.encode
    garbage = "{not json" if codec.endswith("json") else b"\xc1\xff\x00"
    wrong_kind = b"\x01\x02" if codec.endswith("json") else "text on a binary protocol"
    cases = [
        (garbage, "bad_frame", None),
        (wrong_kind, "bad_frame", None),
        (enc([1, 2, 3]), "bad_message", None),
        (enc({"id": 5}), "bad_message", 5),
        (enc({"type": "launch.rockets", "id": 6}), "unknown_command", 6),
        (enc({"type": "chat.send", "id": 7, "meeting": "m1"}), "bad_field", 7),
        (enc({"type": "chat.send", "id": 8, "meeting": "m1", "text": 42}), "bad_field", 8),
        (enc({"type": "chat.send", "id": -1, "meeting": "m1", "text": "x"}), "bad_field", None),
        (enc({"type": "subscribe", "id": 9, "channel": "secret/stuff"}), "unknown_channel", 9),
        (enc({"type": "unsubscribe", "id": 10, "channel": CHAT}), "not_subscribed", 10),
        (enc({"type": "hello", "id": 11, "token": "again"}), "already_authenticated", 11),
    ]
    async with connect(hub.ws_url, tokens["p1"], codec) as alice:
        for frame, name, cid in cases:
            before = len(alice.frames)
            await alice.send_raw(frame)
            for _ in range(200):
                if len(alice.frames) > before:
                    break
                await asyncio.sleep(0.01)
            err = alice.frames[before]
            assert (err["type"], err["name"], err["id"]) == ("error", name, cid), (frame, err)
            assert isinstance(err["code"], int) and err["message"]
        # still alive and working
        assert (await alice.ok("chat.send", meeting="m1", text="still here"))["offset"] == 1


async def test_commands_before_hello_are_refused_and_bad_token_closes(redis: Redis, hub: HubProcess) -> None:
    await seed(redis)
    async with connect(hub.ws_url) as anon:
        err = await anon.call("subscribe", channel=CHAT)
        assert err["name"] == "not_authenticated"
        err = await anon.call("hello", token="not-a-real-token")
        assert err["name"] == "bad_token"
        code, _ = await asyncio.wait_for(anon.closed, 5)
        assert code == 4003


async def test_no_hello_in_time_closes_4001(redis: Redis, hub: HubProcess) -> None:
    async with connect(hub.ws_url) as anon:
        code, reason = await asyncio.wait_for(anon.closed, 5)
        assert (code, reason) == (4001, "hello expected")


async def test_oversize_frame_closes_1009_and_others_carry_on(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["p1"]) as big, connect(hub.ws_url, tokens["p2"]) as bystander:
        await bystander.ok("subscribe", channel=CHAT)
        await big.send_raw('{"type":"ping","id":1,"pad":"' + "x" * 70_000 + '"}')
        code, _ = await asyncio.wait_for(big.closed, 5)
        assert code == 1009
        await bystander.ok("chat.send", meeting="m1", text="unaffected")
        assert len(await bystander.wait_events(CHAT, 1)) == 1


async def test_flood_gets_rate_limited_then_closed_4008(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["p1"]) as flooder:
        for i in range(400):
            try:
                await flooder.send_raw(msgspec.json.encode({"type": "ping", "id": i}).decode())
            except websockets.ConnectionClosed:
                break
        code, _ = await asyncio.wait_for(flooder.closed, 5)
        assert code == 4008
        names = {f.get("name") for f in flooder.frames if f["type"] == "error"}
        assert names == {"rate_limited"}


async def test_many_undecodable_frames_close_4010(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["p1"]) as noisy:
        for _ in range(30):
            try:
                await noisy.send_raw("}{")
            except websockets.ConnectionClosed:
                break
        code, _ = await asyncio.wait_for(noisy.closed, 5)
        assert code == 4010


async def test_wrong_origin_and_missing_subprotocol_are_refused_before_upgrade(hub: HubProcess) -> None:
    with pytest.raises(websockets.InvalidStatus) as exc:
        async with connect(hub.ws_url, origin="https://evil.example"):
            pass
    assert exc.value.response.status_code == 403
    assert b"bad_origin" in exc.value.response.body
    with pytest.raises(websockets.InvalidStatus) as exc:
        await websockets.connect(hub.ws_url)
    assert exc.value.response.status_code == 400
    async with connect(hub.ws_url, origin=hub.url) as ok:  # the hub's own origin is fine
        assert (await ok.call("ping"))["name"] == "not_authenticated"


async def test_health_and_metrics(hub: HubProcess) -> None:
    async with httpx.AsyncClient(base_url=hub.url) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        assert (await http.get("/readyz")).json()["status"] == "ready"
        text = (await http.get("/metrics")).text
        for name in (
            "plenary_connections",
            "plenary_frames_in_total",
            "plenary_frames_out_total",
            "plenary_delivery_seconds_bucket",
            "plenary_dropped_frames_total",
            "plenary_redis_rtt_seconds_bucket",
        ):
            assert name in text


def test_a_silent_peer_is_closed_by_the_ping_timeout(embedded: EmbeddedRedis) -> None:
    """A peer that never answers pings (a phone that lost its network) is closed, not kept forever."""
    hub = HubProcess(embedded.url, "--ping-interval", "0.5").wait_ready()
    try:
        with socket.create_connection(("127.0.0.1", hub.port), timeout=10) as sock:
            key = base64.b64encode(os.urandom(16)).decode()
            sock.sendall(
                (
                    f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{hub.port}\r\nUpgrade: websocket\r\n"
                    f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Protocol: plenary.v1.json\r\n\r\n"
                ).encode()
            )
            assert sock.recv(4096).startswith(b"HTTP/1.1 101")
            start = time.monotonic()
            received = b""
            while chunk := sock.recv(4096):  # pings arrive; we never pong; then the hub closes
                received += chunk
            assert 0.5 < time.monotonic() - start < 5
            assert b"\x89" in received  # a ping frame (FIN + opcode 9) was sent first
    finally:
        hub.stop()
