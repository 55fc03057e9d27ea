"""The receiving side of the fan-out benchmark: thousands of loopback sockets in one cheap process.

A Python WebSocket client spends several times the hub's CPU per received frame, so on a 2-core
machine a swarm of real clients saturates before the hub and skews what the hub's CPU per frame
means. These peers do only what the measurement needs:

- the WebSocket handshake by hand (HTTP upgrade, ``plenary.v1.msgpack``), then ``hello`` with a real
  token and ``subscribe`` to the benchmark channels, each awaiting its reply (setup only);
- afterwards, per socket: ``recv_into`` one shared buffer, walk the frame headers and count. An
  ``event`` frame is one event; a ``batch`` frame counts its events by the ``offset`` keys it holds
  (a byte count, no decoding); a ``gap`` frame is counted apart (a dropped frame would be a failed
  run); pings are answered with masked pongs;
- no wake-up per frame: the loop polls ready sockets every ``POLL`` seconds and sleeps between, so
  one ``recv`` takes whatever has arrived and the sender's ``send`` never has to wake a sleeper.

The same loop reads the floor's sockets (``kind == "floor"``: plain TCP, every data frame counts as
one), so floor and hub are read the same way and their ratio compares like with like; and the
comparison servers' (``loadtest.fanout_websockets``: ``kind == "ws"``, the hub's handshake and
frames without ``hello`` or ``subscribe``; ``loadtest.fanout_socketio``: ``kind == "socketio"``, a
minimal Engine.IO v4 client on the WebSocket transport, below).

Two more kinds hold the connection a hub page holds, for the HTTP fallback's benchmark
(``bench_fanout --sse``): ``kind == "hubjson"`` is the hub's WebSocket on ``plenary.v1.json`` (the
pages' subprotocol: text frames, counted by their JSON head, ``{"type":"event"``...), and
``kind == "sse"`` is the fallback as ``realtime/web/lib/http-socket.js`` holds it: ``POST /sse``
with the ``hello`` as its body, then the ``text/event-stream`` answer read off its chunked body
(``data:`` events counted as the JSON frames are, the ``session`` event kept, a ``close`` event a
close), and the ``subscribe`` commands in one ``POST /sse/cmd`` (one per line, the session id in
``X-Plenary-Session``), their replies awaited on the stream. Commands go on a second socket per
peer, blocking (setup and ``keepalive`` only, never in a measured window): ``keepalive`` sends a
``ping`` on every stream whose last command is older than ``older_than`` seconds, as the page
pings every 25 s, so that the hub's idle rule (no command for 90 s) does not close them.

Engine.IO v4 over a WebSocket (``GET /socket.io/?EIO=4&transport=websocket``, no subprotocol), as
much of it as a receiver of broadcasts needs: every packet is one text frame whose first character
is its Engine.IO type. The server opens with ``0{"sid": ..., "pingInterval": ...}``; the client
connects to the default namespace with ``40`` (Socket.IO CONNECT inside an Engine.IO MESSAGE) and
is ready on the server's ``40{"sid": ...}``; afterwards ``42[...]`` is an event (counted one),
``2`` is the server's ping, answered ``3`` (pong), ``41`` or ``1`` a disconnect and ``44`` a
refused connect.

Control: one JSON object per line on stdin, one JSON reply per line on stdout, in order:
``connect``, ``counts``, ``reset``, ``keepalive``, ``close``, ``quit`` (see ``Peers.command``). Run by
``loadtest.bench_fanout``; not a general client.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import json
import os
import selectors
import socket
import sys
import time
from typing import Any

import msgspec

SUBPROTOCOL = "plenary.v1.msgpack"
JSON_SUBPROTOCOL = "plenary.v1.json"
HUB_KINDS = ("hub", "hubjson", "sse")  # connections that say hello with a token and subscribe
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
POLL = 0.002  # seconds between polls of the ready sockets when nothing is being set up
RECV = 65536

# msgspec encodes a server message as a map whose first key is "type": 0x8N, 0xa4 "type", then the
# value as a fixstr at payload offset 6.
T_EVENT = b"\xa5event"
T_BATCH = b"\xa5batch"
T_GAP = b"\xa3gap"
K_OFFSET = b"\xa6offset"  # one per event inside a batch

# The JSON subprotocol's (and the fallback's) frames: msgspec writes the tag first.
J_EVENT = b'{"type":"event"'
J_BATCH = b'{"type":"batch"'
J_GAP = b'{"type":"gap"'
J_OFFSET = b'"offset":'

SSE_DATA = b"data: "
SSE_SESSION = b"event: session\n"
SSE_CLOSE = b"event: close\n"
SESSION_HEADER = "X-Plenary-Session"
CMD_REUSE = 2.0  # seconds a command socket is reused: uvicorn closes an idle keep-alive after 5

SOCKETIO_PATH = "/socket.io/?EIO=4&transport=websocket"
EIO_OPEN, EIO_CLOSE, EIO_PING = b"0", b"1", b"2"
SIO_CONNECT, SIO_DISCONNECT, SIO_EVENT, SIO_CONNECT_ERROR = b"40", b"41", b"42", b"44"

CONNECTING, UPGRADING, SETUP, READY, CLOSED = range(5)


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A final, masked client frame (RFC 6455 5.3)."""
    key = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 1 << 16:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes((key * (n // 4 + 1))[:n], "big")).to_bytes(
        n, "big"
    )
    return head + key + masked


class Conn:
    __slots__ = (
        "addr",
        "buf",
        "closed_by_peer",
        "cmd",
        "cmd_at",
        "commands",
        "ev",
        "expect",
        "fr",
        "gaps",
        "group",
        "hello",
        "hs",
        "key",
        "next_id",
        "other",
        "out",
        "sid",
        "sock",
        "state",
        "tail",
    )

    def __init__(self, sock: socket.socket, group: Group) -> None:
        self.sock = sock
        self.group = group
        self.state = CONNECTING
        self.buf = b""
        self.out = b""
        self.hs = b""
        self.key = ""
        self.commands: list[tuple[bytes, int]] = []  # (payload, the id of the reply that ends it)
        self.expect = 0
        self.ev = 0
        self.fr = 0
        self.gaps = 0
        self.other = 0
        self.closed_by_peer = False
        # The HTTP fallback's (``kind == "sse"``): the hello body, the session id, the blocking
        # command socket and when it last carried a command, the stream's undecoded event tail.
        self.addr: tuple[str, int] = ("", 0)
        self.hello = b""
        self.sid = ""
        self.cmd: socket.socket | None = None
        self.cmd_at = 0.0
        self.next_id = 0
        self.tail = b""


class Group:
    """Connections opened by one ``connect`` command (or several, appended to the same name)."""

    def __init__(self, name: str, kind: str) -> None:
        self.name = name
        self.kind = kind
        self.conns: list[Conn] = []
        self.failed = 0
        self.errors: dict[str, int] = {}
        self.bytes = 0
        self.pongs = 0  # pings answered (WebSocket pings, or Engine.IO's ``2``)


class Job:
    """A ``connect`` in progress: at most ``concurrency`` connections in their handshake at once."""

    def __init__(self, group: Group, spec: dict[str, Any]) -> None:
        self.group = group
        self.host = spec["host"]
        self.port = int(spec["port"])
        self.path = spec.get("path", SOCKETIO_PATH if group.kind == "socketio" else "/ws")
        # The subprotocol asked for and required in the answer; none for Socket.IO.
        default = {"socketio": None, "hubjson": JSON_SUBPROTOCOL}.get(group.kind, SUBPROTOCOL)
        self.subprotocol: str | None = spec.get("subprotocol", default)
        self.tokens: list[str] = list(spec.get("tokens") or [])
        self.channels: list[str] = list(spec.get("channels") or [])
        self.todo = len(self.tokens) if group.kind in HUB_KINDS else int(spec["n"])
        self.concurrency = int(spec.get("concurrency", 64))
        self.deadline = time.monotonic() + float(spec.get("deadline_s", 120))
        self.started = 0
        self.inflight: set[Conn] = set()
        self.ready = 0


class Peers:
    def __init__(self) -> None:
        self.sel = selectors.EpollSelector()
        self.groups: dict[str, Group] = {}
        self.job: Job | None = None
        self.rbuf = bytearray(RECV)
        self.stdin = sys.stdin.fileno()
        os.set_blocking(self.stdin, False)
        self.sel.register(self.stdin, selectors.EVENT_READ, None)
        self.inbox = b""
        self.running = True

    # -- control ---------------------------------------------------------------------------------
    def reply(self, obj: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    def read_commands(self) -> None:
        try:
            chunk = os.read(self.stdin, 1 << 20)
        except BlockingIOError:
            return
        if not chunk:
            self.running = False  # the orchestrator went away
            return
        self.inbox += chunk
        while b"\n" in self.inbox:
            line, self.inbox = self.inbox.split(b"\n", 1)
            if line.strip():
                self.command(json.loads(line))

    def command(self, cmd: dict[str, Any]) -> None:
        op = cmd["op"]
        if op == "connect":
            name = cmd["group"]
            group = self.groups.get(name)
            if group is None:
                group = self.groups[name] = Group(name, cmd["kind"])
            self.job = Job(group, cmd)
            self.advance()
        elif op == "counts":
            self.reply(self.counts(self.groups.get(cmd["group"])))
        elif op == "reset":
            group = self.groups.get(cmd["group"])
            for c in group.conns if group else ():
                c.ev = c.fr = c.gaps = c.other = 0
            if group:
                group.bytes = group.pongs = 0
            self.reply({"ok": True})
        elif op == "keepalive":
            self.reply(self.keepalive(self.groups.get(cmd["group"]), float(cmd.get("older_than", 30.0))))
        elif op == "close":
            group = self.groups.pop(cmd["group"], None)
            for c in group.conns if group else ():
                self.drop(c)
            self.reply({"ok": True, "closed": len(group.conns) if group else 0})
        elif op == "quit":
            self.running = False
            self.reply({"ok": True})
        else:
            self.reply({"ok": False, "error": f"unknown op {op!r}"})

    def counts(self, group: Group | None) -> dict[str, Any]:
        if group is None:
            return {"ok": False, "error": "no such group"}
        conns = group.conns
        evs = [c.ev for c in conns] or [0]
        return {
            "ok": True,
            "conns": len(conns),
            "ready": sum(c.state == READY for c in conns),
            "frames": sum(c.fr for c in conns),
            "events": sum(evs),
            "min_events": min(evs),
            "max_events": max(evs),
            "gaps": sum(c.gaps for c in conns),
            "other": sum(c.other for c in conns),
            "closed": sum(c.closed_by_peer for c in conns),
            "bytes": group.bytes,
            "pongs": group.pongs,
        }

    def keepalive(self, group: Group | None, older_than: float) -> dict[str, Any]:
        """A ``ping`` on every ready stream of ``group`` whose last command is older than
        ``older_than`` seconds (the page's 25 s ping); its reply comes on the stream (``other``)."""
        if group is None or group.kind != "sse":
            return {"ok": False, "error": "no such fallback group"}
        now, pinged, failed = time.monotonic(), 0, 0
        for c in list(group.conns):
            if c.state != READY or now - c.cmd_at < older_than:
                continue
            c.next_id += 1
            why = self.post(c, msgspec.json.encode({"type": "ping", "id": c.next_id}))
            if why is None:
                pinged += 1
            else:
                failed += 1
                group.errors[why] = group.errors.get(why, 0) + 1
            self.close_cmd(c)  # uvicorn drops it after 5 idle seconds anyway: no fd held meanwhile
        return {"ok": failed == 0, "pinged": pinged, "failed": failed}

    # -- connecting ------------------------------------------------------------------------------
    def advance(self) -> None:
        job = self.job
        if job is None:
            return
        now = time.monotonic()
        while job.started < job.todo and len(job.inflight) < job.concurrency and now < job.deadline:
            self.open(job, job.started)
            job.started += 1
        if now >= job.deadline:
            for c in list(job.inflight):
                self.fail(c, "timeout")
            job.group.failed += job.todo - job.started
            job.started = job.todo
        if job.started >= job.todo and not job.inflight:
            g = job.group
            self.job = None
            self.reply({"ok": True, "ready": job.ready, "failed": g.failed, "errors": g.errors})

    def open(self, job: Job, index: int) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        c = Conn(sock, job.group)
        kind = job.group.kind
        if kind in HUB_KINDS:
            tok = job.tokens[index]
            encode = msgspec.msgpack.encode if kind == "hub" else msgspec.json.encode
            hello = encode({"type": "hello", "id": 1, "token": tok})
            subs = [
                encode({"type": "subscribe", "id": 2 + i, "channel": ch}) for i, ch in enumerate(job.channels)
            ]
            c.next_id = 1 + len(subs)
            if kind == "sse":  # the hello is the stream's body; the subscribes go in one POST
                c.hello, c.addr, c.cmd_at = hello, (job.host, job.port), time.monotonic()
                c.commands = [(b"\n".join(subs), c.next_id)] if subs else []
            else:
                c.commands = [(hello, 1)] + [(s, 2 + i) for i, s in enumerate(subs)]
        job.group.conns.append(c)
        job.inflight.add(c)
        err = sock.connect_ex((job.host, job.port))
        if err not in (0, errno.EINPROGRESS):
            self.fail(c, f"connect: {os.strerror(err)}")
            return
        self.sel.register(sock, selectors.EVENT_WRITE, c)

    def connected(self, c: Conn) -> None:
        err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self.fail(c, f"connect: {os.strerror(err)}")
            return
        self.sel.modify(c.sock, selectors.EVENT_READ, c)
        if c.group.kind == "floor":
            self.became_ready(c)
            return
        job = self.job
        assert job is not None
        if c.group.kind == "sse":
            head = (
                f"POST /sse HTTP/1.1\r\nHost: {job.host}:{job.port}\r\n"
                f"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {len(c.hello)}\r\n\r\n"
            )
            c.state, c.expect = UPGRADING, 1
            self.send(c, head.encode() + c.hello)
            return
        c.key = base64.b64encode(os.urandom(16)).decode()
        proto = f"Sec-WebSocket-Protocol: {job.subprotocol}\r\n" if job.subprotocol else ""
        request = (
            f"GET {job.path} HTTP/1.1\r\nHost: {job.host}:{job.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {c.key}\r\nSec-WebSocket-Version: 13\r\n"
            f"{proto}\r\n"
        )
        c.state = UPGRADING
        self.send(c, request.encode())

    def upgraded(self, c: Conn) -> bytes | None:
        """Consume the HTTP response; returns bytes after it, or None while incomplete."""
        end = c.hs.find(b"\r\n\r\n")
        if end < 0:
            if len(c.hs) > 16384:
                self.fail(c, "handshake: response too long")
            return None
        head, rest = c.hs[:end].decode("latin-1"), c.hs[end + 4 :]
        c.hs = b""
        lines = head.split("\r\n")
        if c.group.kind == "sse":
            return self.stream_started(c, lines, rest)
        if not lines[0].startswith("HTTP/1.1 101"):
            self.fail(c, f"handshake: {lines[0][:60]}")
            return None
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        accept = base64.b64encode(hashlib.sha1(c.key.encode() + GUID).digest()).decode()
        if headers.get("sec-websocket-accept") != accept:
            self.fail(c, "handshake: bad Sec-WebSocket-Accept")
            return None
        wanted = self.job.subprotocol if self.job is not None else SUBPROTOCOL
        if headers.get("sec-websocket-protocol") != wanted:
            self.fail(c, "handshake: subprotocol not chosen")
            return None
        c.state = SETUP
        if c.group.kind != "socketio":  # Socket.IO: the server speaks first (``0{...}``)
            self.next_command(c)
        return rest

    def stream_started(self, c: Conn, lines: list[str], rest: bytes) -> bytes | None:
        """The answer to ``POST /sse``: 200, an event stream, chunked; then the events (``rest``)."""
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        if not lines[0].startswith("HTTP/1.1 200"):
            self.fail(c, f"stream: {lines[0][:60]}")
            return None
        if not headers.get("content-type", "").startswith("text/event-stream"):
            self.fail(c, "stream: not text/event-stream")
            return None
        if headers.get("transfer-encoding", "").lower() != "chunked":
            self.fail(c, "stream: not chunked")
            return None
        c.sid = headers.get(SESSION_HEADER.lower(), "")
        c.state = SETUP  # the hello's reply comes on the stream
        return rest

    def next_command(self, c: Conn) -> None:
        if not c.commands:
            self.became_ready(c)
            return
        payload, c.expect = c.commands.pop(0)
        kind = c.group.kind
        if kind == "sse":
            why = self.post(c, payload)
            self.close_cmd(c)
            if why is not None:
                self.fail(c, why)
        else:
            self.send(c, client_frame(0x1 if kind == "hubjson" else 0x2, payload))

    def post(self, c: Conn, body: bytes) -> str | None:
        """``POST /sse/cmd`` with ``body`` on the peer's command socket, blocking until the hub's
        answer (204: queued; the replies come on the stream); None, or why it failed."""
        host, port = c.addr
        request = (
            f"POST /sse/cmd HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: text/plain;charset=UTF-8\r\n"
            f"{SESSION_HEADER}: {c.sid}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        if c.cmd is not None and time.monotonic() - c.cmd_at > CMD_REUSE:
            self.close_cmd(c)
        for attempt in (0, 1):  # a kept-alive socket the hub closed meanwhile: once more, fresh
            try:
                if c.cmd is None:
                    c.cmd = socket.create_connection((host, port), timeout=10)
                    c.cmd.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                c.cmd.sendall(request)
                status = read_response(c.cmd)
            except (OSError, ConnectionError) as exc:
                self.close_cmd(c)
                if attempt:
                    return f"command post: {type(exc).__name__}"
                continue
            c.cmd_at = time.monotonic()
            return None if status == 204 else f"command post: {status}"
        return "command post: unreachable"

    def close_cmd(self, c: Conn) -> None:
        if c.cmd is not None:
            with contextlib.suppress(OSError):
                c.cmd.close()
            c.cmd = None

    def became_ready(self, c: Conn) -> None:
        c.state = READY
        job = self.job
        if job is not None and c in job.inflight:
            job.inflight.discard(c)
            job.ready += 1

    def setup_frame(self, c: Conn, payload: bytes) -> None:
        """A non-broadcast frame: during setup, the reply we wait for; afterwards, counted apart."""
        if c.state != SETUP:
            c.other += 1
            return
        try:
            msg = (msgspec.msgpack.decode if c.group.kind == "hub" else msgspec.json.decode)(payload)
        except msgspec.DecodeError:
            self.fail(c, "undecodable frame during setup")
            return
        kind = msg.get("type") if isinstance(msg, dict) else None
        if kind == "reply" and msg.get("id") == c.expect:
            self.next_command(c)
        elif kind == "error":
            self.fail(c, f"error {msg.get('name')}")

    def eio_packet(self, c: Conn, data: bytes | bytearray, p: int, stop: int) -> None:
        """One Engine.IO packet (a text frame's payload ``data[p:stop]``) from a Socket.IO server."""
        if data.startswith(SIO_EVENT, p):
            if c.state == READY:
                c.fr += 1
                c.ev += 1
            else:
                c.other += 1
        elif stop - p == 1 and data.startswith(EIO_PING, p):
            c.group.pongs += 1
            self.send(c, client_frame(0x1, b"3"))
        elif c.state == SETUP and data.startswith(SIO_CONNECT, p):
            self.became_ready(c)
        elif c.state == SETUP and data.startswith(EIO_OPEN, p):
            self.send(c, client_frame(0x1, SIO_CONNECT))
        elif data.startswith(SIO_CONNECT_ERROR, p):
            self.fail(c, "socket.io connect refused")
        elif data.startswith(SIO_DISCONNECT, p) or data.startswith(EIO_CLOSE, p):
            self.lost(c)
        else:
            c.other += 1

    def fail(self, c: Conn, why: str) -> None:
        g = c.group
        g.failed += 1
        g.errors[why] = g.errors.get(why, 0) + 1
        job = self.job
        if job is not None:
            job.inflight.discard(c)
        with contextlib.suppress(ValueError):
            g.conns.remove(c)
        self.drop(c)

    def drop(self, c: Conn) -> None:
        self.close_cmd(c)
        if c.state == CLOSED:
            return
        c.state = CLOSED
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.sel.unregister(c.sock)
        with contextlib.suppress(OSError):
            c.sock.close()

    # -- I/O -------------------------------------------------------------------------------------
    def send(self, c: Conn, data: bytes) -> None:
        if c.out:
            c.out += data
            return
        try:
            n = c.sock.send(data)
        except BlockingIOError:
            n = 0
        except OSError:
            self.lost(c)
            return
        if n < len(data):
            c.out = data[n:]
            self.sel.modify(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)

    def flush(self, c: Conn) -> None:
        data, c.out = c.out, b""
        self.sel.modify(c.sock, selectors.EVENT_READ, c)
        self.send(c, data)

    def lost(self, c: Conn) -> None:
        if c.state in (CONNECTING, UPGRADING, SETUP):
            self.fail(c, "connection lost during setup")
            return
        c.closed_by_peer = True
        self.drop(c)

    def readable(self, c: Conn) -> None:
        rbuf = self.rbuf
        while True:
            try:
                n = c.sock.recv_into(rbuf)
            except BlockingIOError:
                return
            except OSError:
                self.lost(c)
                return
            if n == 0:
                self.lost(c)
                return
            c.group.bytes += n
            if c.state == UPGRADING:
                c.hs += bytes(rbuf[:n])
                rest = self.upgraded(c)
                if rest is None:
                    if c.state == UPGRADING:
                        continue
                    return
                data: bytes | bytearray = c.buf + rest
                end = len(data)
            elif c.buf:
                data = c.buf + rbuf[:n]
                end = len(data)
            else:
                data, end = rbuf, n
            i = self.chunks(c, data, end) if c.group.kind == "sse" else self.frames(c, data, end)
            if c.state == CLOSED:
                return
            c.buf = bytes(data[i:end]) if i < end else b""
            if n < RECV:
                return

    def frames(self, c: Conn, data: bytes | bytearray, end: int) -> int:
        """Count the complete frames in ``data[:end]``; returns where the incomplete tail starts."""
        i = 0
        floor = c.group.kind == "floor"
        eio = c.group.kind == "socketio"
        text = c.group.kind == "hubjson"
        while end - i >= 2:
            ln = data[i + 1] & 0x7F
            if ln < 126:
                p = i + 2
            elif ln == 126:
                if end - i < 4:
                    break
                ln = (data[i + 2] << 8) | data[i + 3]
                p = i + 4
            else:
                if end - i < 10:
                    break
                ln = int.from_bytes(data[i + 2 : i + 10], "big")
                p = i + 10
            stop = p + ln
            if stop > end:
                break
            op = data[i] & 0x0F
            if op == 2 or op == 1:
                if eio:
                    self.eio_packet(c, data, p, stop)
                    if c.state == CLOSED:
                        return stop
                elif text:
                    self.json_frame(c, data, p, stop)
                    if c.state == CLOSED:
                        return i
                elif floor or data.startswith(T_EVENT, p + 6):
                    c.fr += 1
                    c.ev += 1
                elif data.startswith(T_BATCH, p + 6):
                    c.fr += 1
                    c.ev += data.count(K_OFFSET, p, stop)
                elif data.startswith(T_GAP, p + 6):
                    c.gaps += 1
                else:
                    self.setup_frame(c, bytes(data[p:stop]))
                    if c.state == CLOSED:
                        return i
            elif op == 9:
                c.group.pongs += 1
                self.send(c, client_frame(0xA, bytes(data[p:stop])))
            elif op == 8:
                c.closed_by_peer = True
                if c.state == SETUP:
                    self.fail(c, "closed by the hub during setup")
                else:
                    self.drop(c)
                return stop
            i = stop
        return i

    def json_frame(self, c: Conn, data: bytes | bytearray, p: int, stop: int) -> None:
        """One server frame of the JSON subprotocol, ``data[p:stop]``: counted as ``frames`` counts
        the msgpack ones (by the head msgspec writes, the ``"offset":`` keys of a batch)."""
        if data.startswith(J_EVENT, p):
            c.fr += 1
            c.ev += 1
        elif data.startswith(J_BATCH, p):
            c.fr += 1
            c.ev += data.count(J_OFFSET, p, stop)
        elif data.startswith(J_GAP, p):
            c.gaps += 1
        else:
            self.setup_frame(c, bytes(data[p:stop]))

    def chunks(self, c: Conn, data: bytes | bytearray, end: int) -> int:
        """The chunks of a stream's body complete in ``data[:end]``, their events counted; returns
        where the incomplete tail starts. The last chunk (size 0) ends the stream."""
        i = 0
        while i < end:
            eol = data.find(b"\r\n", i, end)
            if eol < 0:
                if end - i > 64:
                    self.fail(c, "stream: bad chunk size line")
                    return end
                break
            try:
                size = int(bytes(data[i:eol]).split(b";", 1)[0], 16)
            except ValueError:
                self.fail(c, "stream: bad chunk size")
                return end
            start = eol + 2
            stop = start + size
            if stop + 2 > end:
                break
            if size == 0:
                self.lost(c)  # ended without a close event: a 1006
                return stop + 2
            self.events(c, data, start, stop)
            if c.state == CLOSED:
                return stop + 2
            i = stop + 2
        return i

    def events(self, c: Conn, data: bytes | bytearray, p: int, stop: int) -> None:
        """The server-sent events in ``data[p:stop]`` (one chunk's data); an event cut by the chunk's
        end waits in ``c.tail`` for the next (the hub writes whole events, so this is rare)."""
        if c.tail:
            data = c.tail + bytes(data[p:stop])
            p, stop, c.tail = 0, len(data), b""
        while p < stop:
            e = data.find(b"\n\n", p, stop)
            if e < 0:
                c.tail = bytes(data[p:stop])
                return
            if data.startswith(SSE_DATA, p):
                self.json_frame(c, data, p + len(SSE_DATA), e)
            elif data.startswith(SSE_SESSION, p):
                c.sid = bytes(data[p + len(SSE_SESSION) + len(SSE_DATA) : e]).decode()
            elif data.startswith(SSE_CLOSE, p):
                c.closed_by_peer = True
                if c.state == SETUP:
                    self.fail(c, "closed by the hub during setup: " + bytes(data[p:e]).decode()[-60:])
                else:
                    self.drop(c)
            # otherwise a comment (``:``, the hub's keepalive): nothing to count
            if c.state == CLOSED:
                return
            p = e + 2

    # -- loop ------------------------------------------------------------------------------------
    def run(self) -> None:
        while self.running:
            setting_up = self.job is not None
            events = self.sel.select(0.02 if setting_up else 0)
            for key, mask in events:
                c = key.data
                if c is None:
                    self.read_commands()
                    continue
                if c.state == CLOSED:
                    continue
                if c.state == CONNECTING:
                    if mask & selectors.EVENT_WRITE:
                        self.connected(c)
                    continue
                if mask & selectors.EVENT_WRITE and c.out:
                    self.flush(c)
                if mask & selectors.EVENT_READ:
                    self.readable(c)
            if self.job is not None:
                self.advance()
            else:
                time.sleep(POLL)


def read_response(sock: socket.socket) -> int:
    """The status of one HTTP/1.1 answer on a blocking socket, its body (``Content-Length``) read."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed before an answer")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed mid-answer")
        rest += chunk
    return int(lines[0].split()[1])


def main() -> int:
    peers = Peers()
    try:
        peers.run()
    finally:
        for g in peers.groups.values():
            for c in g.conns:
                peers.drop(c)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
