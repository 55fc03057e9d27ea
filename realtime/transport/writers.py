"""How bytes reach one client: the direct transport path, or a bounded queue behind ASGI ``send``.

Both share one contract, used by the fan-out:
- ``write(frame, droppable=True) -> bool`` never awaits. It returns False when the frame was not
  written: the connection is closing, or (for droppable broadcast frames) the client's buffer is
  past ``cap`` because it reads too slowly. The caller then suspends that client's channel and
  sends it a gap marker later; the client recovers from its offsets.
- Replies (``droppable=False``) are written unless the buffer is past ``hard_cap``; then the
  connection is aborted, since a command must get exactly one reply or none at all.
- ``buffered()`` is the bytes waiting for the client.

The queue writer exists for ASGI servers other than uvicorn with ``realtime.transport.wsproto`` (Starlette's
TestClient): same bounds, one sender task.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import deque
from typing import Protocol

from starlette.websockets import WebSocket

from engine.background import survive
from realtime.protocol.codec import OutFrame
from realtime.transport.wsproto import HubWebSocketProtocol

log = logging.getLogger("plenary.ws")


class Writer(Protocol):
    def write(self, frame: OutFrame, droppable: bool = True) -> bool: ...
    def buffered(self) -> int: ...
    def close(self, code: int, reason: str = "") -> None: ...
    def abort(self) -> None: ...
    def direct(self) -> asyncio.WriteTransport | None: ...


def bound_send_buffer(transport: asyncio.BaseTransport, size: int) -> None:
    """Give the connection's socket a fixed kernel send buffer of ``size`` bytes (``SO_SNDBUF``;
    0 leaves the kernel's autotuning).

    Why: with autotuning the kernel grows a stalled connection's send buffer up to ``tcp_wmem``'s
    maximum (4 MiB here) before the transport buffers a byte, so a reader that stopped held
    megabytes in the kernel and the write cap (drop past ``write_cap``, abort after
    ``stall_timeout``) saw little of it. Bounded, the backlog lands in the transport's buffer
    within a few hundred KiB and the policy acts in seconds. Linux doubles the value for its
    bookkeeping and turns autotuning off for this socket; a phone's burst still fits in the
    kernel buffer plus the transport's ``write_cap`` (the size is measured in
    docs/performance.md, "Issue 11: connect and slow readers"). Call it once the transport
    exists, before the first broadcast; a socket that is not TCP (a test's pipe) is left alone."""
    sock = transport.get_extra_info("socket")
    if size > 0 and sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)


class TransportWriter:
    def __init__(self, proto: HubWebSocketProtocol, cap: int, hard_cap: int) -> None:
        self.proto = proto
        self.cap = cap
        self.hard_cap = hard_cap

    def write(self, frame: OutFrame, droppable: bool = True) -> bool:
        proto = self.proto
        size = proto.transport.get_write_buffer_size()
        if droppable and size > self.cap:
            return False
        if size > self.hard_cap:
            proto.abort()
            return False
        return proto.write_frames(frame.wire)

    def buffered(self) -> int:
        return self.proto.buffered()

    def direct(self) -> asyncio.WriteTransport | None:
        """The transport the fan-out may write to straight from a channel's live list."""
        return self.proto.transport

    def close(self, code: int, reason: str = "") -> None:
        self.proto.close_now(code, reason)

    def abort(self) -> None:
        self.proto.abort()


class QueueWriter:
    def __init__(self, websocket: WebSocket, cap: int, hard_cap: int) -> None:
        self.ws = websocket
        self.cap = cap
        self.hard_cap = hard_cap
        self._queue: deque[OutFrame] = deque()
        self._size = 0
        self._wake = asyncio.Event()
        self._closed = False
        self._task = asyncio.create_task(self._run())

    def write(self, frame: OutFrame, droppable: bool = True) -> bool:
        if self._closed or (droppable and self._size > self.cap):
            return False
        if self._size > self.hard_cap:
            self.abort()
            return False
        self._queue.append(frame)
        self._size += len(frame.payload)
        self._wake.set()
        return True

    def buffered(self) -> int:
        return self._size

    def direct(self) -> asyncio.WriteTransport | None:
        return None  # every frame goes through the queue

    async def _run(self) -> None:
        # A send fails when the peer left mid-write: ordinary (phones lose their network), so
        # debug, and the writer stops, as the connection is gone.
        with survive(log, "queue writer send", level=logging.DEBUG):
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._queue:
                    frame = self._queue.popleft()
                    self._size -= len(frame.payload)
                    if frame.text:
                        await self.ws.send_text(frame.payload.decode())
                    else:
                        await self.ws.send_bytes(frame.payload)

    def close(self, code: int, reason: str = "") -> None:
        if self._closed:
            return
        self._closed = True

        async def _close() -> None:
            with survive(log, "queue writer close", level=logging.DEBUG):  # the peer may be gone already
                while self._queue:
                    await asyncio.sleep(0.01)
                self._task.cancel()
                await self.ws.close(code, reason)

        asyncio.get_running_loop().create_task(_close())

    def abort(self) -> None:
        self._closed = True
        self._queue.clear()
        self._task.cancel()

    def stop(self) -> None:
        self._closed = True
        self._task.cancel()
