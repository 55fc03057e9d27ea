"""The swarm's own frame reader and offset accounts, on bytes (no socket): frames split anywhere
across reads, batches, holes, repeats, pings and the subscribe reply that sets a position."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from websockets.protocol import State

from loadtest.swarm import Meter, SwarmPeer

CH = "meeting/plenary/chat"


def server_frame(opcode: int, payload: bytes) -> bytes:
    """An unmasked, final server frame (RFC 6455 5.2)."""
    n = len(payload)
    if n < 126:
        return bytes((0x80 | opcode, n)) + payload
    if n < 1 << 16:
        return bytes((0x80 | opcode, 126)) + n.to_bytes(2, "big") + payload
    return bytes((0x80 | opcode, 127)) + n.to_bytes(8, "big") + payload


def event(offset: int, name: str = "chat.message", epoch: str = "e1", text: str = "x") -> dict[str, Any]:
    return {
        "type": "event",
        "channel": CH,
        "epoch": epoch,
        "offset": offset,
        "time": 0,
        "event": name,
        "data": {"text": text},
    }


class FakeTransport:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass


def feed(peer: SwarmPeer, data: bytes, cut: int) -> None:
    """The same bytes in reads of ``cut`` bytes: every split point of a frame is exercised."""
    for i in range(0, len(data), cut):
        peer.data_received(data[i : i + cut])


def run_peer(frames: list[bytes], cut: int) -> tuple[SwarmPeer, Meter]:
    async def go() -> tuple[SwarmPeer, Meter]:
        meter = Meter()
        peer = SwarmPeer("ws://127.0.0.1:1/ws", "lt-00000", "t", meter)
        peer.transport = FakeTransport()
        peer.ws.state = State.OPEN  # as after the handshake, which websockets reads
        peer.walking = True
        feed(peer, b"".join(frames), cut)
        return peer, meter

    return asyncio.run(go())


def test_offsets_holes_repeats_and_split_frames() -> None:
    enc = msgspec.msgpack.encode
    subscribed = {
        "type": "reply",
        "id": 7,
        "result": {
            "channel": CH,
            "epoch": "e1",
            "offset": 2,
            "recovered": False,
            "events": [],
            "snapshot": None,
        },
    }
    frames = [
        server_frame(0x2, enc(subscribed)),
        server_frame(0x2, enc(event(3))),
        server_frame(0x2, enc({"type": "batch", "events": [event(4), event(5, text="y" * 300)]})),
        server_frame(0x9, b"ping"),
        server_frame(0x2, enc(event(5))),  # a repeat
        server_frame(0x2, enc(event(8, "vote.published"))),  # 6 and 7 lost
        server_frame(0x2, enc(event(9, text="z" * 70_000))),  # the 8-byte length
    ]
    for cut in (1, 3, 64, 1 << 20):
        peer, meter = run_peer(frames, cut)
        assert peer.pos[CH] == ("e1", 9)
        assert meter.totals.doubled == 1 and meter.totals.lost == 2
        assert peer.result and meter.totals.results == 1
        assert sum(s.events for s in meter.seconds.values()) == 6  # the repeat is received too
        assert not meter.totals.errors
        assert any(w[0] & 0x0F == 0xA for w in peer.transport.written)  # the ping answered


def test_an_event_outside_a_subscription_is_an_error() -> None:
    peer, meter = run_peer([server_frame(0x2, msgspec.msgpack.encode(event(1)))], 1 << 20)
    assert meter.totals.errors == {"event outside a subscription": 1}
    assert CH not in peer.pos


def subscribed(offset: int, recovered: bool, events: list[dict[str, Any]]) -> dict[str, Any]:
    result = {"channel": CH, "epoch": "e1", "offset": offset, "recovered": recovered, "events": events}
    return {"type": "reply", "id": 7, "result": result | {"snapshot": None}}


def reconnect(reply: dict[str, Any]) -> tuple[SwarmPeer, Meter]:
    """A peer at offset 3 on CH, then its successor (a reconnect) reading ``reply`` and event 7."""
    enc = msgspec.msgpack.encode

    async def go() -> tuple[SwarmPeer, Meter]:
        meter = Meter()
        first = SwarmPeer("ws://127.0.0.1:1/ws", "lt-00000", "t", meter)
        first.pos = {CH: ("e1", 3)}
        p = first.successor()
        assert p is not first and p.pos == first.pos and p.meter is meter
        p.transport, p.walking = FakeTransport(), True
        p.ws.state = State.OPEN
        p.data_received(server_frame(0x2, enc(reply)) + server_frame(0x2, enc(event(7))))
        return p, meter

    return asyncio.run(go())


def test_a_resubscribe_replays_what_was_missed_once_or_counts_it_lost() -> None:
    """A reconnect's resubscribe (the position carried over): ``recovered`` true replays the missed
    events through the same checks; false is a fresh start, every event between the client's
    position and the reply's offset lost (and an error)."""
    p, m = reconnect(subscribed(6, True, [event(3), event(4), event(5), event(6)]))
    assert p.pos[CH] == ("e1", 7)
    assert m.totals.lost == 0 and m.totals.doubled == 1 and m.totals.not_recovered == 0  # 3 again
    assert not m.totals.errors
    p, m = reconnect(subscribed(6, False, [event(6)]))
    assert p.pos[CH] == ("e1", 7)
    assert m.totals.lost == 3 and m.totals.not_recovered == 1  # 4, 5 and 6 never seen
    assert m.totals.errors == {"resubscribe not recovered": 1}


def test_a_watched_connection_counts_as_an_unwatched_one_and_sees_whole_events() -> None:
    """Unwatched connections read only an event's place and time (``SeenFrame``, the payload
    skipped); a watched one decodes each whole for its watcher. Both count the same; a frame the
    struct cannot read (a time that is not whole ms) is read whole, not dropped."""
    enc = msgspec.msgpack.encode
    odd = event(5) | {"time": 1.5}
    frames = [
        server_frame(0x2, enc(subscribed(2, False, []))),
        server_frame(0x2, enc(event(3))),
        server_frame(0x2, enc({"type": "batch", "events": [event(4), event(6, "vote.published")]})),
        server_frame(0x2, enc(odd)),
    ]

    async def go(watch: bool) -> tuple[SwarmPeer, Meter, list[dict[str, Any]]]:
        meter, seen = Meter(), []
        peer = SwarmPeer("ws://127.0.0.1:1/ws", "lt-00000", "t", meter)
        peer.transport, peer.walking = FakeTransport(), True
        peer.ws.state = State.OPEN
        if watch:
            peer.watch = seen.append
        peer.data_received(b"".join(frames))
        return peer, meter, seen

    for watch in (False, True):
        peer, meter, seen = asyncio.run(go(watch))
        assert peer.pos[CH] == ("e1", 6) and peer.result
        assert meter.totals.doubled == 1 and meter.totals.lost == 1  # 5 after 6; 5 missing before 6
        assert sum(s.events for s in meter.seconds.values()) == 4 and not meter.totals.errors
        assert [e["offset"] for e in seen] == ([3, 4, 6] if watch else [])
        assert not watch or seen[0]["data"] == {"text": "x"}
