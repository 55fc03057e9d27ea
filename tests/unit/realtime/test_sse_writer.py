"""The HTTP fallback's writer (``realtime.transport.sse``) keeps the Writer contract of the
WebSocket writers: frames as ``data:`` events, droppable frames refused past the cap, the
connection aborted past the hard cap, a close as a last ``close`` event, then the end."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from realtime.protocol.codec import CODECS, JSON
from realtime.protocol.messages import Gap
from realtime.transport.sse import SseWriter, close_event, sse_event

FRAME = CODECS[JSON].frame(Gap(channel="meeting/m1/chat", epoch="e", offset=3))


class Sink:
    """ASGI ``send`` that records the body chunks; ``stuck`` makes it wait like a stalled peer."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.ended = False
        self.stuck = asyncio.Event()
        self.stuck.set()

    async def __call__(self, message: dict[str, Any]) -> None:
        await self.stuck.wait()
        self.chunks.append(message["body"])
        self.ended = not message["more_body"]


def test_the_event_format() -> None:
    assert sse_event(b'{"a":1}') == b'data: {"a":1}\n\n'
    assert sse_event(b"abc", "session") == b"event: session\ndata: abc\n\n"
    body = close_event(4012, "link revoked").split(b"data: ")[1]
    assert close_event(4012, "link revoked").startswith(b"event: close\n")
    assert json.loads(body) == {"code": 4012, "reason": "link revoked"}


async def test_frames_then_the_close_event_then_the_end() -> None:
    sink = Sink()
    w = SseWriter(sink, None, cap=1 << 20, hard_cap=4 << 20)
    task = asyncio.create_task(w.run())
    w.event("session", "abc")
    assert w.write(FRAME, droppable=False) and w.write(FRAME)
    w.close(4012, "link revoked")
    assert not w.write(FRAME, droppable=False)  # nothing after the close
    await asyncio.wait_for(task, 5)
    body = b"".join(sink.chunks)
    assert body == (
        b"event: session\ndata: abc\n\n" + sse_event(FRAME.payload) * 2 + close_event(4012, "link revoked")
    )
    assert sink.ended and w.ended.is_set() and w.buffered() == 0


async def test_a_stalled_reader_meets_the_cap_then_the_hard_cap() -> None:
    sink = Sink()
    sink.stuck.clear()  # the peer reads nothing
    size = len(sse_event(FRAME.payload))
    w = SseWriter(sink, None, cap=10 * size, hard_cap=20 * size)
    task = asyncio.create_task(w.run())
    while w.buffered() <= 10 * size:
        assert w.write(FRAME)
    assert not w.write(FRAME)  # broadcast frames past the cap: refused (the channel gets a gap)
    while w.buffered() <= 20 * size:
        assert w.write(FRAME, droppable=False)  # replies still go, up to the hard cap
    assert not w.write(FRAME, droppable=False)  # past it: aborted
    assert w.closing and w.buffered() == 0
    sink.stuck.set()
    await asyncio.wait_for(task, 5)
    assert not sink.ended  # aborted: no clean end of the response


async def test_a_silent_stream_gets_keepalive_comments() -> None:
    sink = Sink()
    w = SseWriter(sink, None, cap=1 << 20, hard_cap=4 << 20, keepalive=0.05)
    task = asyncio.create_task(w.run())
    await asyncio.sleep(0.2)
    w.close(1000, "")
    await asyncio.wait_for(task, 5)
    assert sink.chunks.count(b":\n\n") >= 2
