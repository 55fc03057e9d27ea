"""The cast bench's load connection (``loadtest.bench_cast.Peer``) reads the hub's plain frames with
its own walk once the handshake is done: the same messages, in the same order, as websockets' own
parser gives for any stream of frames cut anywhere; pings answered with their pongs; and the first
frame it does not walk (a close, text) handed with all that follows to websockets' parser."""

from __future__ import annotations

import asyncio
from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.frames import Frame, Opcode
from websockets.server import ServerProtocol

from loadtest.bench_cast import Peer


class _Wire:
    """What the peer writes: kept, to be read by the server side of the test."""

    def __init__(self) -> None:
        self.out = bytearray()

    def write(self, data: bytes) -> None:
        self.out += data

    def can_write_eof(self) -> bool:
        return False


def _opened() -> tuple[Peer, _Wire, ServerProtocol, list[bytes]]:
    peer = Peer("ws://127.0.0.1:9/ws", "p", "t")
    wire = _Wire()
    got: list[bytes] = []
    peer._message = lambda now, data: got.append(data)  # type: ignore[method-assign]
    peer.connection_made(wire)  # type: ignore[arg-type]
    server = ServerProtocol()
    server.receive_data(bytes(wire.out))
    wire.out.clear()
    (request,) = server.events_received()
    server.send_response(server.accept(request))  # type: ignore[arg-type]
    peer.data_received(b"".join(server.data_to_send()))
    assert peer.opened.done() and peer.opened.exception() is None
    return peer, wire, server, got


# (kind, payload size): binary frames of every length form, pings, and an ending frame
_frames = st.lists(
    st.tuples(
        st.sampled_from(["binary", "binary", "binary", "ping"]),
        st.sampled_from([0, 1, 5, 125, 126, 127, 300, 65535, 65536]),
    ),
    max_size=8,
)


def _stream(
    server: ServerProtocol, frames: list[tuple[str, int]], ending: str | None
) -> tuple[bytes, list[bytes], list[bytes]]:
    binaries, pings = [], []
    for k, (kind, size) in enumerate(frames):
        payload = bytes([k % 251]) * size
        if kind == "binary":
            server.send_binary(payload)
            binaries.append(payload)
        else:
            payload = payload[:125]
            server.send_ping(payload)
            pings.append(payload)
    if ending == "text":
        server.send_text(b"after")
        server.send_binary(b"never walked")  # after a text frame: websockets' parser reads it
    elif ending == "close":
        server.send_close(1000, "bye")
    return b"".join(server.data_to_send()), binaries, pings


def _run(
    frames: list[tuple[str, int]], cuts: list[int], ending: str | None
) -> tuple[list[bytes], list[Any], list[bytes], list[bytes], Peer]:
    async def go() -> tuple[list[bytes], list[Any], list[bytes], list[bytes], Peer]:
        peer, wire, server, got = _opened()
        data, binaries, pings = _stream(server, frames, ending)
        points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
        for a, b in pairwise(points):
            peer.data_received(data[a:b])
        server.receive_data(bytes(wire.out))
        answers = [e for e in server.events_received() if isinstance(e, Frame)]
        return got, answers, binaries, pings, peer

    return asyncio.run(go())


@settings(max_examples=40, deadline=None)
@given(frames=_frames, cuts=st.lists(st.integers(min_value=0, max_value=200_000), max_size=8))
def test_walked_frames_are_websockets_own_cut_anywhere(
    frames: list[tuple[str, int]], cuts: list[int]
) -> None:
    got, answers, binaries, pings, peer = _run(frames, cuts, None)
    assert got == binaries
    assert [(a.opcode, a.data) for a in answers] == [(Opcode.PONG, p) for p in pings]
    assert peer.walking  # nothing made it hand over


@settings(max_examples=20, deadline=None)
@given(
    frames=_frames,
    cuts=st.lists(st.integers(min_value=0, max_value=200_000), max_size=8),
    ending=st.sampled_from(["text", "close"]),
)
def test_the_first_frame_not_walked_goes_with_the_rest_to_websockets(
    frames: list[tuple[str, int]], cuts: list[int], ending: str
) -> None:
    got, answers, binaries, pings, peer = _run(frames, cuts, ending)
    assert not peer.walking
    if ending == "text":  # websockets' parser reads on: the binary frame after the text reaches us
        assert got == [*binaries, b"never walked"]
    else:  # a close ends the reading: websockets drops what follows it, and answers the close
        assert got == binaries
        assert answers[-1].opcode is Opcode.CLOSE
    assert [a.data for a in answers if a.opcode is Opcode.PONG] == pings
