"""uvicorn's sans-I/O WebSocket protocol, extended with a direct write path for the fan-out.

Why: a broadcast frame's bytes are the same for every client of a codec (server frames are not
masked). The ASGI ``send`` path frames each message again per connection and awaits the transport's
drain; here the hub frames once and writes the same bytes to each connection's transport, without
ever awaiting one client (measured in docs/performance.md).

This leans on uvicorn internals (``transport``, ``conn``, ``close_sent``, ``disconnected``,
``queue``, ``close_timer``), so uvicorn is pinned to a minor version in pyproject.toml and
``tests/integration/test_wsproto.py`` exercises every path. Every write checks the connection
state first and runs on the loop thread (the hub has one loop).

The read side has a direct path too (``deliver_to``): once a connection is authenticated, each
data message is handed to the endpoint's callback from ``data_received``, without uvicorn's queue,
Starlette's ``receive`` and a task switch per command; a command that needs no task (a cast: queued
for the next batch at once) is started there (docs/performance.md, "Issue 11: the cast path,
second pass").

Use: ``uvicorn.run(app, ws="realtime.transport.wsproto:HubWebSocketProtocol")``. The endpoint finds the
protocol object in ``scope["extensions"]["plenary.transport"]["protocol"]``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import PayloadTooBig, ProtocolError
from websockets.http11 import Request
from websockets.protocol import Protocol, State
from websockets.speedups import apply_mask
from websockets.streams import StreamReader

from engine.errors import Code
from realtime.ops import metrics

EXTENSION = "plenary.transport"
RECEIVE_AHEAD = 2
"""Messages read ahead of the endpoint before the socket stops being read. uvicorn stops reading
after every message and starts again when the endpoint takes it: two event-loop calls (and epoll
changes) per command, on the cast path 3,000 times a second. Reading stops once this many wait, so
a flooding peer is still held back by TCP, with at most this many frames (each at most
``max_frame``) buffered per connection. The same bound holds on the direct read path: its consumer
calls ``hold_reading`` when this many of its commands wait (``realtime.endpoint.Commands``)."""
log = logging.getLogger("plenary.ws")

# A frame the WebSocket layer refuses is the client's mistake, not the hub's: one warning with a
# stable code and the close code sent, never an error with a traceback (uvicorn logs invalid UTF-8
# as an error with one, and the rest not at all). Checked in order: PayloadTooBig is no
# ProtocolError, but keep the specific ones first.
_REFUSED_FRAMES: tuple[tuple[type[Exception], Code, int], ...] = (
    (UnicodeDecodeError, Code.INVALID_UTF8, 1007),  # in a close frame's reason
    (PayloadTooBig, Code.TOO_LARGE, 1009),
    (ProtocolError, Code.BAD_WEBSOCKET_FRAME, 1002),
)


def client_mistake(code: Code, close: int, reason: str) -> None:
    """Log one refused frame (and count the close): the canonical line for a client's mistake."""
    metrics.CLOSES.labels(str(close)).inc()
    log.warning(
        "frame refused",
        extra={"code": int(code), "error": code.name.lower(), "close": close, "reason": reason[:200]},
    )


def at_frame_start(conn: Protocol) -> bool:
    """Whether websockets' parser waits for the first byte of a frame, holding nothing (open
    connection, no fragmented message in progress): only then may frames be read past it.

    Read from the parser's innermost generator: between frames websockets' ``Protocol.parse``
    waits in ``StreamReader.at_eof``, inside a frame in ``read_exact``. Should websockets parse
    otherwise in a later version this is False and every frame takes its parser, as before (the
    test of ``take_frames`` fails, so an upgrade is noticed)."""
    if conn.reader.buffer or conn.current_size is not None or conn.state is not State.OPEN:
        return False
    gen: Any = conn.parser
    while gen.gi_yieldfrom is not None:
        gen = gen.gi_yieldfrom
    return gen.gi_code is _AT_EOF


_AT_EOF = StreamReader.at_eof.__code__


class ReceiveQueue:
    """What uvicorn's protocol needs of its receive queue, for its one consumer (the endpoint's
    ``receive``): ``put_nowait``, ``get``, ``empty``. A list and one future instead of
    ``asyncio.Queue``'s four deques: 3 kB less per connection (docs/performance.md)."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)

    def take_all(self) -> list[Any]:
        """Every message waiting, in order, leaving the queue empty."""
        items, self._items = self._items, []
        return items

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)


class HubWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inbox = ReceiveQueue()
        self.queue = self.inbox  # type: ignore[assignment]
        self.on_message: Callable[[bytes | str], None] | None = None  # the direct read path
        self.on_lost: Callable[[], None] | None = None
        # The WebSocket layer logs every frame's content at debug level; a hello frame holds a
        # personal token, and tokens never go to a log. Frame tracing stays off at every level.
        self.conn.debug = False
        self.draining = False  # a frame was refused: the rest is read and dropped (below)
        # websockets' limits on a frame, fixed when uvicorn built ``conn``: read once, not on every read
        conn = self.conn
        limit = conn.max_message_size
        if conn.max_fragment_size is not None and (limit is None or conn.max_fragment_size < limit):
            limit = conn.max_fragment_size
        self.frame_limit = limit  # the largest frame ``take_frames`` reads itself

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:  # None when the handshake was refused
            scope["extensions"][EXTENSION] = {"protocol": self}
            sock = self.transport.get_extra_info("socket")
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                # uvloop sets TCP_NODELAY itself; asyncio's default loop does not.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        # uvicorn's own, with the refusal logged (see _REFUSED_FRAMES), after the plain frames
        # the direct read path takes itself (``take_frames``).
        if self.draining:
            return
        on_message = self.on_message
        if on_message is not None and not self.close_sent and at_frame_start(self.conn):
            taken = self.take_frames(data, on_message)
            if taken == len(data) or self.draining:
                return
            data = data[taken:]
        self.conn.receive_data(data)
        exc = self.conn.parser_exc
        if exc is not None:
            for kind, code, close in _REFUSED_FRAMES:
                if isinstance(exc, kind):
                    client_mistake(code, close, str(exc))
                    break
            # anything else is a fault of the parser, which logged it as an error (close 1011)
            self.handle_parser_exception()
            return
        self.handle_events()

    def take_frames(self, data: bytes, on_message: Callable[[bytes | str], None]) -> int:
        """Hand the plain frames at the start of ``data`` to ``on_message``; the bytes taken.

        Why: websockets' parser (a generator per frame, then uvicorn's dispatch) costs about 12 µs
        a frame, a slice of this about 2 µs, and on the cast path every panelist sends one frame
        (docs/performance.md, "Issue 11: the cast path, third pass"). Plain means what a client of
        the protocol sends: one whole data frame (FIN set, no extension bits, text or binary),
        masked, its length in the short or 16-bit form, within websockets' size limits, its text
        valid UTF-8. Anything else (a control frame, a fragment, a bad or oversized frame, a
        partial one) stops the walk: it and all after it go to websockets' parser, which this runs
        only at a frame boundary (``at_frame_start``), so websockets decides every frame it sees
        exactly as before. One difference, on purpose: when websockets refuses a frame, uvicorn
        drops the messages it parsed in the same ``data_received`` before it; plain messages this
        walk took before the refused frame were handed on (as they would have been had TCP cut
        the bytes between them). ``tests/unit/realtime/test_take_frames.py`` checks that the two
        read any byte stream, cut anywhere, alike but for that."""
        limit = self.frame_limit
        i, n = 0, len(data)
        while n - i >= 6:
            first, second = data[i], data[i + 1]
            if (first != 0x81 and first != 0x82) or second < 0x80:
                break
            length = second & 0x7F
            if length < 126:
                start = i + 6
            elif length == 126 and n - i >= 8:
                length = (data[i + 2] << 8) | data[i + 3]
                if length < 126:  # not the shortest form: websockets' to judge
                    break
                start = i + 8
            else:
                break
            end = start + length
            if end > n or (limit is not None and length > limit):
                break
            payload = apply_mask(data[start:end], data[start - 4 : start])
            if first == 0x81:
                try:
                    message: bytes | str = payload.decode()
                except UnicodeDecodeError:
                    break  # websockets and send_receive_event_to_app close it 1007
            else:
                message = payload
            i = end
            on_message(message)
            if self.close_sent or self.draining or self.disconnected:
                break  # the command closed the connection: the rest is websockets' (discarded)
        return i

    def send_receive_event_to_app(self) -> None:
        """uvicorn's own (one decode per text message), but a text message that is not UTF-8 is
        closed 1007 (RFC 6455 §8.1) with a coded warning instead of an error and a traceback, and
        reading pauses only once :data:`RECEIVE_AHEAD` messages wait (uvicorn: after each one)."""
        data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
        self.frames = []
        if self.close_sent:
            return  # past our close: discard, so reads go on until the peer's close arrives
        if self.curr_msg_data_type == "text":
            try:
                text = data.decode()
            except UnicodeDecodeError as exc:
                if self.conn.state is State.OPEN:
                    client_mistake(Code.INVALID_UTF8, 1007, f"invalid UTF-8 at byte {exc.start}")
                    self.conn.send_close(1007, "invalid UTF-8")
                    self.handle_parser_exception()
                # else the peer's close came in the same read, after this: the close answers it
                # (websockets refuses a second close; found by tests/unit/realtime/test_take_frames.py)
                return
            if self.on_message is not None:
                self.on_message(text)
                return
            self.queue.put_nowait({"type": "websocket.receive", "text": text})
        elif self.on_message is not None:
            self.on_message(data)
            return
        else:
            self.queue.put_nowait({"type": "websocket.receive", "bytes": data})
        if not self.read_paused and self.queue.qsize() >= RECEIVE_AHEAD:
            self.read_paused = True
            self.transport.pause_reading()

    def handle_parser_exception(self) -> None:
        """uvicorn's own (the close frame of a refused frame: 1009, 1007, 1002), but the socket is
        half-closed, not closed, and what the peer still sends is read and dropped until it closes
        (or ``close_timeout``). Why: closing a socket with unread bytes in it sends a TCP reset,
        and a reset can make the peer drop the close frame unread; a client that had pipelined
        frames behind an oversized one saw 1006 instead of the documented 1009 (found by the fuzz,
        tests/fuzz/commands.py)."""
        assert self.conn.close_sent is not None
        code, reason = self.conn.close_sent.code, self.conn.close_sent.reason
        self.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self.draining = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        self.close_timer = self.loop.call_later(self.close_timeout, self.transport.close)

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body", False):
            # A refusal before the upgrade (wrong origin, no subprotocol) is complete once its
            # body is sent; uvicorn does not mark it so and logs "ASGI callable returned without
            # completing handshake." as an error for every refused client.
            self.handshake_complete = True
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # uvicorn keeps the handshake's request and response for the connection's life; only
            # the accept above reads them. 2 kB per connection.
            self.request = None  # type: ignore[assignment]
            self.response = None  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        lost, self.on_lost = self.on_lost, None
        if lost is not None:
            lost()

    # -- the direct read path ------------------------------------------------------------------
    def deliver_to(self, on_message: Callable[[bytes | str], None], on_lost: Callable[[], None]) -> None:
        """From now on hand each data message (text as ``str``, binary as ``bytes``) to
        ``on_message`` as it arrives, from ``data_received`` (no queue, no task), and call
        ``on_lost`` once when the connection is gone. The messages already queued (read ahead of
        the endpoint while it answered ``hello``) are handed over first, in order. ``on_message``
        must not raise and must not await; it holds the peer back with ``hold_reading``."""
        self.on_message, self.on_lost = on_message, on_lost
        left = self.inbox.take_all()
        self.hold_reading(False)  # the queue's own pause; on_message may hold again below
        for message in left:
            if message["type"] == "websocket.receive":
                text = message.get("text")
                on_message(text if text is not None else message.get("bytes") or b"")
            elif message["type"] == "websocket.disconnect" and self.on_lost is not None:
                self.on_lost = None
                on_lost()

    def hold_reading(self, hold: bool) -> None:
        """Stop (True) or start again (False) reading the socket: the direct path's back pressure."""
        if hold and not self.read_paused and not self.disconnected:
            self.read_paused = True
            self.transport.pause_reading()
        elif not hold and self.read_paused and not self.disconnected:
            self.read_paused = False
            self.transport.resume_reading()

    # -- the direct write path -----------------------------------------------------------------
    def open_for_writes(self) -> bool:
        return (
            self.handshake_complete
            and not self.close_sent
            and not self.disconnected
            and not self.transport.is_closing()
        )

    def buffered(self) -> int:
        return int(self.transport.get_write_buffer_size())

    def write_frames(self, data: bytes) -> bool:
        """Write already-framed bytes. False (nothing written) if the connection is closing."""
        if not self.open_for_writes():
            return False
        self.transport.write(data)
        return True

    def close_now(self, code: int, reason: str = "") -> None:
        """Start the closing handshake without awaiting writability (a flooding or stuck peer must
        not hold the closing task). Mirrors uvicorn's own ``websocket.close`` handling."""
        if not self.open_for_writes():
            return
        self.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        self.conn.send_close(code, reason)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        self.close_timer = self.loop.call_later(self.close_timeout, self.transport.close)

    def abort(self) -> None:
        """Drop the connection at once (its unread buffer with it): for a peer that stopped reading."""
        self.transport.abort()
