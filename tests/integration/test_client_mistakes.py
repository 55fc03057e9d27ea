"""Client mistakes below the protocol, over raw sockets to a real hub process: each is answered as
the standard says, logged as one warning with a stable code (never an error, never a traceback),
stores nothing, and the hub carries on."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import httpx
import pytest
import websockets
from redis.asyncio import Redis

from engine.errors import Code
from engine.server import EmbeddedRedis
from realtime.app import create_app
from realtime.config import Settings
from tests.support import HubProcess, connect, seed

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class LoggingHub:
    """One hub for the module, logging at info, its output read as it comes (a thread drains the
    pipe, which would otherwise fill and stall the hub). A hub start cost each of this file's 29
    tests a second or two (more on a busy machine); each test still reads only what it caused:
    ``hub`` marks where the log stood when the test began, and ``logged`` waits for the hub to fall
    quiet. A line written after that (or at shutdown) fails the module's teardown instead."""

    QUIET = 0.5  # seconds without a new line: the hub has logged what the test made it log

    def __init__(self, redis_url: str) -> None:
        self.process = HubProcess(redis_url, "--log-level", "info")
        self.lines: list[str] = []
        self.last = time.monotonic()
        stdout = self.process.proc.stdout
        assert stdout is not None
        self._reader = threading.Thread(target=self._read, args=(stdout,), daemon=True)
        self._reader.start()
        self.process.wait_ready()

    def _read(self, stdout: IO[bytes]) -> None:
        for raw in stdout:
            self.lines.append(raw.decode(errors="replace"))
            self.last = time.monotonic()

    def stop(self) -> str:
        """Stop the hub; everything it wrote."""
        self.process.proc.terminate()
        try:
            self.process.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._reader.join(10)
        return "".join(self.lines)


@dataclass
class Hub:
    """The module's hub as one test sees it: its address, and its log from the test's start."""

    served: LoggingHub
    mark: int
    port: int
    url: str
    ws_url: str


@pytest.fixture(scope="module")
def served(embedded: EmbeddedRedis) -> Iterator[LoggingHub]:
    served = LoggingHub(embedded.url)
    try:
        yield served
    finally:
        out = served.stop()
        # what any test made the hub log after its own check, or at shutdown: still never an error
        assert "Traceback" not in out, out
        errors = [
            line
            for line in out.splitlines()
            if line.strip() and json.loads(line)["level"] in ("error", "critical")
        ]
        assert not errors, errors


@pytest.fixture
def hub(served: LoggingHub) -> Hub:
    p = served.process
    return Hub(served, len(served.lines), p.port, p.url, p.ws_url)


def logged(hub: Hub) -> list[dict[str, Any]]:
    """The hub's log lines since the test began (JSON objects), once it has fallen quiet; anything
    else it printed fails, as does any line at level error."""
    served = hub.served
    asked = time.monotonic()
    while time.monotonic() - max(served.last, asked) < LoggingHub.QUIET and time.monotonic() < asked + 10:
        time.sleep(0.05)
    out = "".join(served.lines[hub.mark :])
    assert "Traceback" not in out, out
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    errors = [line for line in lines if line["level"] in ("error", "critical")]
    assert not errors, errors
    return lines


def warned(lines: list[dict[str, Any]], code: Code) -> list[dict[str, Any]]:
    return [line for line in lines if line["level"] == "warning" and line.get("code") == int(code)]


def upgrade(port: int) -> socket.socket:
    """A raw socket past the WebSocket handshake (subprotocol plenary.v1.json)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: plenary.v1.json\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def frame(opcode: int, payload: bytes, *, fin: bool = True, masked: bool = True) -> bytes:
    """One client frame as RFC 6455 §5.2 lays it out (clients mask; ``masked=False`` breaks that)."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    bit = 0x80 if masked else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 2**16:
        head += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", n)
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def close_code(sock: socket.socket) -> int | None:
    """The code of the hub's close frame, reading until it closes the socket (None: no close frame)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    while data:  # skip the frames before the close frame (pings)
        opcode, n = data[0] & 0x0F, data[1] & 0x7F
        start = 2
        if n == 126:
            n, start = struct.unpack("!H", data[2:4])[0], 4
        if opcode == 0x8:
            return int(struct.unpack("!H", data[start : start + 2])[0])
        data = data[start + n :]
    return None


async def still_serving(hub: Hub) -> None:
    async with connect(hub.ws_url) as anon:
        assert (await anon.call("ping"))["name"] == "not_authenticated"


@pytest.mark.parametrize(
    "frames",
    [
        [frame(0x1, b'{"type":"ping","id":1,"x":"\xff"}')],
        [frame(0x1, b'{"type":"ping","id":1,"x":"\xed\xa0\x80"}')],  # an encoded surrogate
        [frame(0x1, b'{"type":"ping","id":1,"x":"\xea', fin=False), frame(0x0, b'"}')],  # cut short
    ],
    ids=["invalid byte", "surrogate", "sequence cut across fragments"],
)
async def test_invalid_utf8_in_a_text_frame_closes_1007_with_a_coded_warning(
    hub: Hub, frames: list[bytes]
) -> None:
    with upgrade(hub.port) as sock:
        sock.sendall(b"".join(frames))
        assert close_code(sock) == 1007
    await still_serving(hub)
    lines = logged(hub)
    [line] = warned(lines, Code.INVALID_UTF8)
    assert line["close"] == 1007


async def test_a_character_split_across_fragments_is_fine(hub: Hub) -> None:
    with upgrade(hub.port) as sock:
        sock.sendall(frame(0x1, b'{"type":"ping","id":1,"x":"\xea', fin=False) + frame(0x0, b'\xb0\x80"}'))
        reply = sock.recv(4096)
    assert b"not_authenticated" in reply
    assert not warned(logged(hub), Code.INVALID_UTF8)


@pytest.mark.parametrize(
    ("data", "close", "code"),
    [
        (frame(0x1, b'{"type":"ping","id":1}', masked=False), 1002, Code.BAD_WEBSOCKET_FRAME),
        (frame(0x3, b"x"), 1002, Code.BAD_WEBSOCKET_FRAME),  # a reserved opcode
        (bytes([0xC1]) + frame(0x1, b"{}")[1:], 1002, Code.BAD_WEBSOCKET_FRAME),  # RSV1 set, no extension
        (frame(0x9, b"x" * 126), 1002, Code.BAD_WEBSOCKET_FRAME),  # a control frame over 125 bytes
        (frame(0x9, b"x", fin=False), 1002, Code.BAD_WEBSOCKET_FRAME),  # a fragmented control frame
        (frame(0x0, b"more"), 1002, Code.BAD_WEBSOCKET_FRAME),  # a continuation of nothing
        (frame(0x8, struct.pack("!H", 999)), 1002, Code.BAD_WEBSOCKET_FRAME),  # an invalid close code
        (frame(0x8, struct.pack("!H", 1000) + b"\xff"), 1007, Code.INVALID_UTF8),  # close reason
        # (the header alone: the rest would arrive after the close, and be answered with a reset)
        (frame(0x1, b"x" * 70_000)[:20], 1009, Code.TOO_LARGE),
    ],
    ids=[
        "unmasked",
        "reserved opcode",
        "reserved bit",
        "long control frame",
        "fragmented control frame",
        "lone continuation",
        "bad close code",
        "close reason not UTF-8",
        "over the frame cap",
    ],
)
async def test_frames_that_break_rfc6455_are_closed_with_a_coded_warning(
    hub: Hub, data: bytes, close: int, code: Code
) -> None:
    with upgrade(hub.port) as sock:
        sock.sendall(data)
        assert close_code(sock) == close
    await still_serving(hub)
    [line] = warned(logged(hub), code)
    assert line["close"] == close


@pytest.mark.parametrize(
    "data",
    [
        frame(0x1, b'{"type":"ping","id":1}')[:10],  # a frame cut short
        frame(0x1, b"x" * 300)[:4],  # cut inside its length
        frame(0x1, b'{"type":"ping","id":1,"x":"\xea', fin=False),  # a message never finished
    ],
    ids=["cut frame", "cut header", "unfinished message"],
)
async def test_a_peer_gone_mid_frame_is_no_error(hub: Hub, data: bytes) -> None:
    with upgrade(hub.port) as sock:
        sock.sendall(data)
    await asyncio.sleep(0.3)
    await still_serving(hub)
    logged(hub)


async def test_a_peer_gone_mid_handshake_is_no_error(hub: Hub) -> None:
    with socket.create_connection(("127.0.0.1", hub.port), timeout=10) as sock:
        sock.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upg")
    with socket.create_connection(("127.0.0.1", hub.port), timeout=10) as sock:  # a bad key
        sock.sendall(
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: not-base64!\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Protocol: plenary.v1.json\r\n\r\n"
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 400")
    with socket.create_connection(("127.0.0.1", hub.port), timeout=10) as sock:
        sock.sendall(b"\x16\x03\x01\x00\xa5garbage, not HTTP\r\n\r\n")  # TLS to a plain port
        assert sock.recv(4096).startswith(b"HTTP/1.1 400")
    await still_serving(hub)
    assert len(warned(logged(hub), Code.BAD_HTTP_REQUEST)) == 1


def post_upload(port: int, token: str, headers: str, body: bytes) -> socket.socket:
    """A raw socket that has sent an upload's request head and ``body`` (maybe less than promised)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        (
            f"POST /api/meetings/m1/uploads?name=deck.png HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\n{headers}\r\n"
        ).encode()
        + body
    )
    return sock


async def stored_uploads(redis: Redis) -> list[bytes]:
    return [k async for k in redis.scan_iter(match="*upload:*")]


@pytest.mark.parametrize("sent", [0, 1000, 99_999], ids=["no body", "part of it", "all but one byte"])
async def test_an_upload_aborted_mid_body_stores_nothing_and_is_a_coded_warning(
    redis: Redis, hub: Hub, sent: int
) -> None:
    tokens = await seed(redis)
    body = (PNG + b"\x00" * 100_000)[:100_000]
    with post_upload(hub.port, tokens["host"], "Content-Length: 100000\r\n", body[:sent]) as sock:
        await asyncio.sleep(0.2)  # the hub is reading the body
        sock.shutdown(socket.SHUT_RDWR)
    await asyncio.sleep(0.3)
    assert await stored_uploads(redis) == []
    async with httpx.AsyncClient(base_url=hub.url) as http:  # the next upload works
        r = await http.post(
            "/api/meetings/m1/uploads", content=PNG, headers={"Authorization": f"Bearer {tokens['host']}"}
        )
        assert r.status_code == 201, r.text
    [line] = warned(logged(hub), Code.REQUEST_ABORTED)
    assert line["meeting"] == "m1"


@pytest.mark.parametrize(
    ("headers", "warning"),
    [
        ("Content-Length: abc\r\n", Code.BAD_HTTP_REQUEST),
        ("Content-Length: -5\r\n", Code.BAD_HTTP_REQUEST),
        ("Content-Length: 5\r\nContent-Length: 6\r\n", Code.BAD_HTTP_REQUEST),
        ("Content-Length: 99999999999999999999999999\r\n", Code.BAD_HTTP_REQUEST),
        (f"Content-Length: {10**9}\r\n", Code.BAD_UPLOAD),  # a number, too large
        ("Upgrade: h2c\r\nConnection: Upgrade\r\nContent-Length: 0\r\n", None),
    ],
    ids=["not a number", "negative", "two lengths", "huge", "too large", "h2c"],
)
async def test_a_bad_content_length_is_refused_without_an_error(
    redis: Redis, hub: Hub, headers: str, warning: Code | None
) -> None:
    """Refused with 400 before a byte is stored: by the HTTP layer (a warning with the code
    ``bad_http_request``) or by the route (``bad_upload``, in the answer)."""
    tokens = await seed(redis)
    with post_upload(hub.port, tokens["host"], headers, b"") as sock:
        head = sock.recv(4096)
        if b"application/json" in head and b"\r\n\r\n{" not in head:
            head += sock.recv(4096)  # the body of the answer
    assert await stored_uploads(redis) == []
    await still_serving(hub)
    lines = logged(hub)
    if warning == Code.BAD_HTTP_REQUEST:
        assert head.startswith(b"HTTP/1.1 400"), head
        assert len(warned(lines, Code.BAD_HTTP_REQUEST)) == 1, lines
    elif warning == Code.BAD_UPLOAD:
        assert head.startswith(b"HTTP/1.1 400") and b'"bad_upload"' in head, head
    else:  # an upgrade the hub does not speak: ignored (uvicorn answers the request), with a warning
        assert len(warned(lines, Code.BAD_HTTP_REQUEST)) == 1, lines


def every_route() -> list[tuple[str, str]]:
    """(method, path) of every HTTP route of the app, with made-up path parameters."""
    out = []
    for route in create_app(Settings()).routes:
        path = re.sub(r"\{meeting\}", "m1", route.path)
        path = re.sub(r"\{name\}", "app.js" if path.startswith("/static") else "ballots.json", path)
        path = re.sub(r"\{\w+\}", "x1", path)
        out += [(method, path) for method in sorted(route.methods or ()) if method != "HEAD"]
    return out


async def test_a_client_gone_mid_request_is_no_error_on_any_route(redis: Redis, hub: Hub) -> None:
    tokens = await seed(redis)
    routes = every_route()
    assert ("POST", "/api/meetings/m1/uploads") in routes and len(routes) > 15
    for method, path in routes:
        head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tokens['host']}\r\n"
        for request in (
            head.encode(),  # gone before the end of the head
            (head + "\r\n").encode(),  # gone before the answer
            (head + "Content-Length: 1000\r\n\r\n").encode() + PNG,  # gone mid-body
        ):
            with socket.create_connection(("127.0.0.1", hub.port), timeout=10) as sock:
                sock.sendall(request)
    await asyncio.sleep(0.5)
    await still_serving(hub)
    assert await stored_uploads(redis) == []
    logged(hub)


async def test_a_websocket_refused_before_the_upgrade_is_no_error(hub: Hub) -> None:
    """A wrong origin or no subprotocol is the client's mistake: refused with an HTTP status and a
    coded body, and nothing at level error (uvicorn took the refusal for a failed handshake)."""
    with pytest.raises(websockets.InvalidStatus) as exc:
        async with connect(hub.ws_url, origin="https://evil.example"):
            pass
    assert exc.value.response.status_code == 403
    with pytest.raises(websockets.InvalidStatus) as exc:
        await websockets.connect(hub.ws_url)
    assert exc.value.response.status_code == 400
    await still_serving(hub)
    logged(hub)


async def test_oversized_frames_sent_pipelined_still_get_the_1009_close(redis: Redis, hub: Hub) -> None:
    """Found by the fuzz (tests/fuzz/commands.py): with frames still arriving behind an oversized
    one, the hub closed its socket with unread bytes in it, the kernel sent a reset, and the client
    saw 1006 (no close frame) about half the time instead of 1009. The hub now half-closes and
    drops what still comes until the client closes."""
    tokens = await seed(redis)
    big = json.dumps({"type": "chat.send", "id": 1, "meeting": "m1", "text": "x" * 280_000})
    codes = []
    for _ in range(6):
        async with connect(hub.ws_url, tokens["p1"]) as client:
            with contextlib.suppress(websockets.ConnectionClosed):
                for _ in range(3):
                    await client.send_raw(big)
            code, _ = await asyncio.wait_for(client.closed, 10)
            codes.append(code)
    assert codes == [1009] * 6
