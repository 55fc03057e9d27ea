"""Reading a client's frames: the direct read path's walk (``HubWebSocketProtocol.take_frames``)
against websockets' parser (what every frame took before it), in one process, interleaved.

Each run feeds ``--frames`` masked binary frames (``--size`` bytes, a cast's size by default) to an
open ``HubWebSocketProtocol`` on the direct read path, one frame per ``data_received`` as casts
arrive, and times the whole; the reading with websockets' parser is the same protocol with
``at_frame_start`` held False. The protocol is built as uvicorn builds it, past its handshake,
writing to a transport that records (``open_protocol``, shared with the walk's property test,
``tests/unit/realtime/test_take_frames.py``).

Run: ``python -m loadtest.bench_frames`` (a few seconds; ``taskset -c 1`` to pin it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState
from websockets.http11 import Request

from realtime.transport import wsproto
from realtime.transport.wsproto import HubWebSocketProtocol

MAX_SIZE = 64 * 1024  # the hub's max_frame


class Transport:
    """What the protocol calls on its transport, recorded."""

    def __init__(self) -> None:
        self.written = bytearray()
        self.closed = False
        self.eof = False
        self.paused = False

    def write(self, data: bytes) -> None:
        self.written += data

    def writelines(self, chunks: list[bytes]) -> None:
        for c in chunks:
            self.written += c

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof = True

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


async def _app(scope: Any, receive: Any, send: Any) -> None:  # never called: no handshake runs
    raise AssertionError("the protocol is built past its handshake")


def open_protocol(max_size: int = MAX_SIZE) -> tuple[HubWebSocketProtocol, Transport, list[bytes | str]]:
    """A protocol past its handshake, on the direct read path, as the endpoint leaves it; the
    messages it hands on are appended to the list returned. Call within an event loop's thread
    (``asyncio.set_event_loop``): uvicorn's timers need one."""
    config = Config(app=_app, ws_max_size=max_size, ws_per_message_deflate=False, log_level="critical")
    config.load()
    proto = HubWebSocketProtocol(config=config, server_state=ServerState(), app_state={})
    transport = Transport()
    proto.transport = transport  # type: ignore[assignment]
    request = (
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    proto.conn.receive_data(request)
    (event,) = proto.conn.events_received()
    assert isinstance(event, Request)
    proto.conn.send_response(proto.conn.accept(event))
    proto.conn.data_to_send()
    proto.handshake_complete = True
    got: list[bytes | str] = []
    proto.deliver_to(got.append, lambda: None)
    return proto, transport, got


def frame(first: int, payload: bytes, *, masked: bool = True, long_form: bool = False) -> bytes:
    """A client frame: ``first`` is the FIN/RSV/opcode byte; the length in the shortest form unless
    ``long_form`` (the 16-bit form for a short payload, which RFC 6455 forbids)."""
    n = len(payload)
    mask_bit = 0x80 if masked else 0
    if n < 126 and not long_form:
        head = bytes([first, mask_bit | n])
    elif n < 65536:
        head = bytes([first, mask_bit | 126]) + struct.pack("!H", n)
    else:
        head = bytes([first, mask_bit | 127]) + struct.pack("!Q", n)
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


@contextmanager
def websockets_parses_all() -> Iterator[None]:
    """The reading before the walk: websockets' parser takes every frame."""
    real = wsproto.at_frame_start
    wsproto.at_frame_start = lambda conn: False  # type: ignore[assignment]
    try:
        yield
    finally:
        wsproto.at_frame_start = real


def one_run(frames: list[bytes], walk: bool) -> float:
    """Seconds to read ``frames``, one per ``data_received``."""
    proto, _transport, got = open_protocol()
    if walk:
        t0 = time.perf_counter()
        for f in frames:
            proto.data_received(f)
        elapsed = time.perf_counter() - t0
    else:
        with websockets_parses_all():
            t0 = time.perf_counter()
            for f in frames:
                proto.data_received(f)
            elapsed = time.perf_counter() - t0
    assert len(got) == len(frames), "a frame was not handed on"
    return elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=50_000, help="frames a run (50,000)")
    ap.add_argument("--size", type=int, default=80, help="payload bytes a frame (80: a cast)")
    ap.add_argument("--repeats", type=int, default=5, help="runs of each reading, interleaved (5)")
    args = ap.parse_args(argv)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    frames = [frame(0x82, os.urandom(args.size)) for _ in range(args.frames)]
    per: dict[str, list[float]] = {"walk": [], "websockets": []}
    try:
        for _ in range(args.repeats):
            per["walk"].append(one_run(frames, True) / args.frames * 1e6)
            per["websockets"].append(one_run(frames, False) / args.frames * 1e6)
    finally:
        loop.close()
    print(
        f"{args.frames:,} frames of {args.size} B, one per data_received, {args.repeats} runs each "
        "(median [min-max] µs a frame):"
    )
    for name, xs in per.items():
        print(f"  {name:<11} {statistics.median(xs):6.2f} [{min(xs):.2f}-{max(xs):.2f}]")
    ratios = [w / s for w, s in zip(per["walk"], per["websockets"], strict=True)]
    print(
        f"  walk / websockets, run by run: {statistics.median(ratios):.2f} [{min(ratios):.2f}-{max(ratios):.2f}]"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
