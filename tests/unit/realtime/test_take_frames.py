"""``HubWebSocketProtocol.take_frames``: the plain frames the direct read path reads itself, past
websockets' parser, must come out exactly as websockets would have read them.

Each example is a byte stream of client frames (plain ones, and every kind the walk must leave to
websockets: pings, pongs, fragments, unmasked, extension bits, the 16-bit length in a short
form, oversized, invalid UTF-8, a close), cut into chunks anywhere. It is fed to two protocols
built as uvicorn builds them (open, on the direct read path, writing to a recording transport):
one as it runs, one with ``at_frame_start`` always False (websockets parses every frame, the
hub before this walk). The bytes written back (pongs, the close) and the closing state must be
the same, and so must the messages handed on, but for one difference on purpose: when a frame is
refused, the plain messages the walk took before it in the same chunk were handed on, where
uvicorn drops what websockets parsed in the chunk of the refused frame. So then the old reading's
messages are a prefix of the new one's, and the new one's a prefix of every whole message that
came before the first refused frame."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadtest.bench_frames import Transport, frame, websockets_parses_all
from loadtest.bench_frames import open_protocol as open_hub_protocol
from realtime.transport.wsproto import HubWebSocketProtocol
from tests.examples import examples

MAX_SIZE = 1000  # websockets' max_size here: frames past it are refused (1009)


def open_protocol() -> tuple[HubWebSocketProtocol, Transport, list[bytes | str]]:
    return open_hub_protocol(MAX_SIZE)


TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
FIN = 0x80


class Sent:
    """A frame of the stream with the message it carries (None: none), or that it is refused."""

    def __init__(self, wire: bytes, message: bytes | str | None = None, refused: bool = False) -> None:
        self.wire, self.message, self.refused = wire, message, refused


def sent_text(t: str) -> Sent:
    return Sent(frame(FIN | TEXT, t.encode()), t)


def sent_binary(b: bytes) -> Sent:
    return Sent(frame(FIN | BINARY, b), b)


plain = st.one_of(
    st.binary(max_size=300).map(sent_binary),
    st.text(max_size=200).map(sent_text),
    st.binary(min_size=126, max_size=MAX_SIZE).map(sent_binary),
)
odd = st.one_of(
    st.binary(max_size=125).map(lambda b: Sent(frame(FIN | PING, b))),
    st.binary(max_size=125).map(lambda b: Sent(frame(FIN | PONG, b))),
    st.tuples(st.binary(max_size=50), st.binary(max_size=50)).map(
        lambda p: Sent(frame(BINARY, p[0]) + frame(FIN | CONT, p[1]), p[0] + p[1])
    ),
    st.binary(max_size=50).map(lambda b: Sent(frame(FIN | BINARY, b, masked=False), refused=True)),
    st.binary(max_size=50).map(
        lambda b: Sent(frame(FIN | 0x40 | BINARY, b), refused=True)
    ),  # RSV1, no extension
    st.binary(max_size=100).map(lambda b: Sent(frame(FIN | BINARY, b, long_form=True), b)),
    st.just(Sent(frame(FIN | BINARY, b"x" * (MAX_SIZE + 1)), refused=True)),
    st.just(Sent(frame(FIN | TEXT, b"\xff\xfe"), refused=True)),
    st.just(Sent(frame(FIN | CLOSE, struct.pack("!H", 1000)), refused=True)),  # the end, cleanly
)


def feed(chunks: list[bytes], fast: bool) -> tuple[Any, ...]:
    with contextlib.nullcontext() if fast else websockets_parses_all():
        proto, transport, got = open_protocol()
        for chunk in chunks:
            if transport.closed:
                break
            proto.data_received(chunk)
        if proto.close_timer is not None:
            proto.close_timer.cancel()
        return got, bytes(transport.written), transport.closed, transport.eof, proto.close_sent


def cut(stream: bytes, points: list[int]) -> list[bytes]:
    marks = sorted({p % (len(stream) + 1) for p in points} | {0, len(stream)})
    return [stream[a:b] for a, b in itertools.pairwise(marks) if b > a]


@settings(max_examples=examples(300), deadline=None)
@given(
    frames=st.lists(st.one_of(plain, plain, plain, odd), max_size=12),
    points=st.lists(st.integers(min_value=0, max_value=20_000), max_size=8),
)
def test_the_walk_reads_any_stream_cut_anywhere_as_websockets_does(
    frames: list[Sent], points: list[int]
) -> None:
    chunks = cut(b"".join(f.wire for f in frames), points)
    loop = asyncio.new_event_loop()  # uvicorn's close timer needs one
    asyncio.set_event_loop(loop)
    try:
        fast = feed(chunks, True)
        slow = feed(chunks, False)
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    assert fast[1:] == slow[1:]  # the bytes written back, the closing state
    if not any(f.refused for f in frames):
        assert fast[0] == slow[0]
        return
    before: list[bytes | str] = []  # every whole message before the first refused frame (or close)
    for f in frames:
        if f.refused:
            break
        if f.message is not None:
            before.append(f.message)
    new, old = fast[0], slow[0]
    assert new[: len(old)] == old, "the walk lost a message the old reading handed on"
    assert new == old or new == before[: len(new)], (
        "the walk handed on what was not sent whole before the refusal"
    )


def test_plain_frames_never_reach_websockets_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """The walk is in use (with this websockets: ``at_frame_start`` knows its parser): a stream of
    plain frames, in one chunk or split between frames, is read without websockets' parser."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        proto, _transport, got = open_protocol()
        fed: list[bytes] = []
        real = proto.conn.receive_data
        monkeypatch.setattr(proto.conn, "receive_data", lambda data: (fed.append(data), real(data)))
        casts = [frame(FIN | BINARY, b"cast %d" % i) for i in range(5)]
        proto.data_received(b"".join(casts[:3]))
        proto.data_received(casts[3])
        proto.data_received(frame(FIN | TEXT, "안녕".encode()) + casts[4])
        assert got == [b"cast 0", b"cast 1", b"cast 2", b"cast 3", "안녕", b"cast 4"]
        assert fed == []
        # a partial frame goes to websockets, which completes it; then the walk takes over again
        half = frame(FIN | BINARY, b"split")
        proto.data_received(half[:4])
        proto.data_received(half[4:] + casts[0])
        assert got[-2:] == [b"split", b"cast 0"] and len(fed) == 2
        proto.data_received(casts[1])
        assert got[-1] == b"cast 1" and len(fed) == 2
    finally:
        loop.close()
        asyncio.set_event_loop(None)
