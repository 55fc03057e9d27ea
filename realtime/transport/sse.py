"""How bytes reach a client of the HTTP fallback: server-sent events on a streaming response.

A browser behind a proxy that blocks WebSockets reads the hub's frames from a long HTTP response
(``text/event-stream``) and sends its commands as POSTs (``realtime.fallback``). This writer is the
``realtime.transport.writers.Writer`` of such a client, so the fan-out, the subscriptions and the
sweeper treat it exactly like a WebSocket client:

- each server frame is one event, ``data: <the frame's JSON>`` (the JSON codec only: the frames
  are the WebSocket's text frames, byte for byte);
- ``write`` never awaits; past ``cap`` bytes waiting for the client a droppable (broadcast) frame
  is refused, so the caller suspends the channel and sends a ``gap`` once the client drains; past
  ``hard_cap`` the connection is aborted; the hub's sweeper aborts a client stuck past ``cap`` for
  ``stall_timeout`` (``buffered`` counts the queue and uvicorn's transport buffer alike);
- ``close(code, reason)`` writes a last ``close`` event with the code and reason (the WebSocket's
  close codes: ``realtime.protocol.closecodes``) and ends the response once the queue is written;
- on uvicorn over HTTP/1.1 (``chunked``: the body is chunked and the writer has uvicorn's
  transport) every event is written straight to the transport as one chunk of the body
  (``chunk``), and ``direct`` returns that transport: with the ``SSE_CODEC``, whose frames'
  ``wire`` is exactly that chunk, the stream joins the fan-out's live lists beside the WebSockets
  (its own group, one encoding per event for every stream, one ``transport.write`` each).
  Otherwise (another server, a test's ``send``) ``direct`` is None, the client takes the careful
  path (``Client.deliver``) and events wait in a queue that one task sends through ASGI ``send``,
  joining whatever waits into one chunk.

Why the direct path: through the queue each delivered event cost a task wake-up and an ASGI
``send`` through Starlette's wrappers per stream, and a walk of the subscription table per
stream: 2.5 to 5 times a WebSocket's hub CPU per delivered event (docs/performance.md, "Issue 13:
the HTTP fallback's cost"). The headers and the body's end still go through ``send``, so uvicorn
keeps its own account of the response; between them the body's chunks are this writer's alone.

The task (``run``) writes a comment line when nothing was sent for ``keepalive`` seconds so that
proxies and phones keep the idle stream open, and ends the response after the close event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from engine.background import survive
from realtime.protocol.codec import CODECS, JSON, Codec, OutFrame

log = logging.getLogger("plenary.sse")

Send = Callable[[dict[str, Any]], Awaitable[None]]

KEEPALIVE = 15.0
"""Seconds of silence after which the stream gets a comment line: under the 30-60 s idle timeouts
of common proxies and load balancers (``deploy/haproxy.cfg`` ``timeout server`` included)."""

CONTENT_TYPE = "text/event-stream; charset=utf-8"
HEADERS = [
    (b"content-type", CONTENT_TYPE.encode()),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),  # nginx: pass each chunk on at once, never buffer the stream
    (b"x-content-type-options", b"nosniff"),
]


def sse_event(data: bytes, name: str = "") -> bytes:
    """One event in the text/event-stream format. ``data`` holds no line break (compact JSON, a
    session id): one ``data:`` line."""
    head = b"event: " + name.encode() + b"\n" if name else b""
    return head + b"data: " + data + b"\n\n"


def close_event(code: int, reason: str) -> bytes:
    """The last event of a stream: the close code and reason a WebSocket would have carried."""
    return sse_event(json.dumps({"code": code, "reason": reason}, separators=(",", ":")).encode(), "close")


def chunk(data: bytes) -> bytes:
    """``data`` as one chunk of a chunked HTTP/1.1 body (RFC 9112 7.1)."""
    return b"%x\r\n%s\r\n" % (len(data), data)


class SseCodec(Codec):
    """The JSON codec whose frames' ``wire`` is the stream's bytes, a ``data:`` event as one chunk:
    what the fan-out's live lists write to a stream's transport (module doc). Decoding and the
    payload are the JSON codec's."""

    def frame_payload(self, payload: bytes) -> OutFrame:
        return OutFrame(payload, chunk(sse_event(payload)), True)


_json = CODECS[JSON]
SSE_CODEC = SseCodec(
    JSON + "+sse", True, **{name: getattr(_json, name) for name in ("_decoder", "_loose", "_encoder")}
)
"""The codec of a stream on the direct path: its own name, so its own group in the live lists."""


class SseWriter:
    """A client's frames as server-sent events on one streaming HTTP response (module doc)."""

    def __init__(
        self,
        send: Send,
        transport: asyncio.Transport | None,
        cap: int,
        hard_cap: int,
        keepalive: float = KEEPALIVE,
        chunked: bool = False,
    ) -> None:
        self._send = send
        self.transport = transport  # uvicorn's, for the buffer size and abort; None elsewhere
        # The direct path (module doc): uvicorn's transport of a chunked HTTP/1.1 body.
        self._direct = transport if chunked else None
        self.on_close: Callable[[], None] | None = None  # takes the client off the live lists
        self.cap = cap
        self.hard_cap = hard_cap
        self.keepalive = keepalive
        self._queue: deque[bytes] = deque()
        self._size = 0
        self._wake = asyncio.Event()
        self._closing = False  # no more writes: the queue drains, then the response ends
        self._aborted = False
        self.ended = asyncio.Event()  # the response is over (ended, aborted or the peer gone)
        self.last_sent = time.monotonic()

    # -- the Writer contract (realtime.transport.writers) ------------------------------------------
    def write(self, frame: OutFrame, droppable: bool = True) -> bool:
        if self._closing:
            return False
        size = self.buffered()
        if droppable and size > self.cap:
            return False
        if size > self.hard_cap:
            self.abort()
            return False
        if self._direct is not None:  # an SSE_CODEC frame: its wire is the chunk
            if not self._direct.is_closing():
                self._direct.write(frame.wire)
            return True
        self._put(sse_event(frame.payload))
        return True

    def buffered(self) -> int:
        waiting = self._size
        if self.transport is not None and not self.transport.is_closing():
            waiting += self.transport.get_write_buffer_size()
        return waiting

    def direct(self) -> asyncio.WriteTransport | None:
        """The transport the live lists may write a stream's chunks to (the direct path), or None;
        None once closing, so that a closing stream never joins a list again."""
        return None if self._closing else self._direct

    def close(self, code: int, reason: str = "") -> None:
        if self._closing:
            return
        self._leave()
        self._put(close_event(code, reason))
        self._closing = True
        self._wake.set()  # the task ends the response

    def abort(self) -> None:
        """End at once, dropping what waits: a reader too slow for the hard cap, or the stall."""
        if not self._closing:
            self._leave()
        self._closing = self._aborted = True
        self._queue.clear()
        self._size = 0
        if self.transport is not None:
            self.transport.abort()
        self._wake.set()

    # -- what only the stream has ------------------------------------------------------------------
    def event(self, name: str, data: str) -> None:
        """A named event that is not a protocol frame (the stream's session id)."""
        if not self._closing:
            self._put(sse_event(data.encode(), name))

    def _leave(self) -> None:
        """Off the live lists before the close event (``on_close``, the hub's ``quiet``): they write
        to the transport itself, and a chunk after the close event, or after the body's end, would
        be a frame after the close, or garbage on the kept-alive connection."""
        if self.on_close is not None:
            self.on_close()

    @property
    def closing(self) -> bool:
        return self._closing

    def _put(self, data: bytes) -> None:
        if self._direct is not None:
            if not self._direct.is_closing():
                self._direct.write(chunk(data))
            return
        self._queue.append(data)
        self._size += len(data)
        self._wake.set()

    async def run(self) -> None:
        """Send the queue until the writer is closed and drained, or aborted, or the peer left.
        A send fails when the peer left mid-write: ordinary (phones lose their network), so debug."""
        try:
            with survive(log, "sse send", level=logging.DEBUG):
                while True:
                    if not self._queue and not self._closing:
                        try:
                            await asyncio.wait_for(self._wake.wait(), self.keepalive)
                        except TimeoutError:
                            self._put(b":\n\n")
                        self._wake.clear()
                    if self._aborted:
                        return
                    if self._queue:
                        chunk = b"".join(self._queue)
                        self._queue.clear()
                        await self._send({"type": "http.response.body", "body": chunk, "more_body": True})
                        self._size = max(0, self._size - len(chunk))  # counted until written
                        self.last_sent = time.monotonic()
                        continue
                    if self._closing:
                        await self._send({"type": "http.response.body", "body": b"", "more_body": False})
                        return
        finally:
            self._closing = True
            self.ended.set()
