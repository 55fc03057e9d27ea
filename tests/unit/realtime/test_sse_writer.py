"""The HTTP fallback's writer (``realtime.transport.sse``) keeps the Writer contract of the
WebSocket writers: frames as ``data:`` events, droppable frames refused past the cap, the
connection aborted past the hard cap, a close as a last ``close`` event, then the end; on the
direct path (uvicorn's chunked body) each event as one chunk written to the transport at once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from realtime.protocol.codec import CODECS, JSON
from realtime.protocol.messages import Gap
from realtime.transport.sse import SSE_CODEC, SseWriter, chunk, close_event, sse_event

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


class Transport:
    """uvicorn's transport as the direct path sees it: what was written, a buffer size, abort."""

    def __init__(self) -> None:
        self.data: list[bytes] = []
        self.size = 0
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.data.append(data)

    def get_write_buffer_size(self) -> int:
        return self.size

    def is_closing(self) -> bool:
        return self.aborted

    def abort(self) -> None:
        self.aborted = True


def unchunk(body: bytes) -> bytes:
    """A chunked HTTP/1.1 body decoded, each chunk checked against its size line."""
    out, i = b"", 0
    while True:
        eol = body.index(b"\r\n", i)
        size = int(body[i:eol], 16)
        assert body[eol + 2 + size : eol + 4 + size] == b"\r\n"
        out += body[eol + 2 : eol + 2 + size]
        i = eol + 4 + size
        if size == 0:
            assert i == len(body)
            return out


def test_the_sse_codec_frames_a_chunk_of_the_json_frame() -> None:
    json_frame = CODECS[JSON].frame(Gap(channel="meeting/m1/chat", epoch="e", offset=3))
    frame = SSE_CODEC.frame(Gap(channel="meeting/m1/chat", epoch="e", offset=3))
    assert frame.payload == json_frame.payload and frame.text  # the WebSocket's text frame, byte for byte
    assert frame.wire == chunk(sse_event(json_frame.payload))
    assert unchunk(frame.wire + b"0\r\n\r\n") == b"data: " + json_frame.payload + b"\n\n"
    assert SSE_CODEC.name != JSON  # its own group in the live lists
    assert SSE_CODEC.decode('{"type":"ping","id":7}') == CODECS[JSON].decode('{"type":"ping","id":7}')


async def test_the_direct_path_writes_each_event_as_a_chunk_then_ends_through_send() -> None:
    sink, t = Sink(), Transport()
    w = SseWriter(sink, t, cap=1 << 20, hard_cap=4 << 20, chunked=True)  # type: ignore[arg-type]
    assert w.direct() is t  # the live lists may write SSE_CODEC frames to it
    task = asyncio.create_task(w.run())
    w.event("session", "abc")
    frame = SSE_CODEC.frame(Gap(channel="meeting/m1/chat", epoch="e", offset=3))
    assert w.write(frame, droppable=False) and w.write(frame)
    assert len(t.data) == 3 and sink.chunks == []  # written at once, no task in between
    w.close(4012, "link revoked")
    await asyncio.wait_for(task, 5)
    assert sink.chunks == [b""] and sink.ended  # the body's end through uvicorn's send
    body = unchunk(b"".join(t.data) + b"0\r\n\r\n")
    assert body == (
        b"event: session\ndata: abc\n\n" + sse_event(frame.payload) * 2 + close_event(4012, "link revoked")
    )


async def test_the_direct_path_keeps_the_caps() -> None:
    t = Transport()
    w = SseWriter(Sink(), t, cap=100, hard_cap=200, chunked=True)  # type: ignore[arg-type]
    frame = SSE_CODEC.frame(Gap(channel="meeting/m1/chat", epoch="e", offset=3))
    t.size = 150
    assert not w.write(frame) and w.write(frame, droppable=False)  # past the cap: broadcasts refused
    t.size = 250
    assert not w.write(frame, droppable=False) and t.aborted and w.closing  # past the hard cap: aborted


def test_without_uvicorns_chunked_body_the_stream_takes_the_queue() -> None:
    assert SseWriter(Sink(), Transport(), cap=1, hard_cap=2).direct() is None  # type: ignore[arg-type]


async def test_a_closing_stream_leaves_the_live_lists_before_its_close_event() -> None:
    t = Transport()
    w = SseWriter(Sink(), t, cap=1 << 20, hard_cap=4 << 20, chunked=True)  # type: ignore[arg-type]
    seen: list[int] = []
    w.on_close = lambda: seen.append(len(t.data))  # the hub's quiet: what was written by then
    w.close(1001, "no command for too long")
    assert seen == [0] and len(t.data) == 1  # off the lists, then the close event
    assert w.direct() is None  # and it never joins one again
    w.abort()
    assert seen == [0]  # once
