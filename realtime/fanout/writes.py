"""A fan-out's parts and the write groups the hub's hot loop walks (``Hub._write_listed``).

A part is one channel's share of a fan-out: its events and its live list. A write group is the
bytes one write carries and the listed transports it goes to: for one part, its frame to each
transport of a codec (the list itself, not a copy); for several parts flushed in one tick, each
transport once, with the frames of every part whose list holds it joined into one write.

Why joined: the hub's cost in the plenary is its writes (a system call each, about 15 µs with the
loopback's receiving side), uvloop sends each ``transport.write`` at once, and the chat and the
Q&A of one meeting have the same listeners and go out in the same tick (``realtime.fanout.hold``'s
grid): two frames, one write, the same bytes a client would get from one write after the other.
Measured: 2.7 times fewer ``write`` calls and half the hub's CPU in ``plenary-burst``
(docs/performance.md, "Issue 11: a hold that grows with the audience, and one write a client a
tick"). The joined groups are copies, built once per tick: a dict entry per listed transport,
0.24 µs each for the plenary's chat and Q&A (1.4 ms a tick for 3,000), 1 µs for 300 tables of 8
flushed in one tick (2.3 ms), against about 10 µs for the write each saves or makes.

Why a module of its own: this is logic without I/O, the hot loop's data, and tested as such
(``tests/unit/realtime/test_writes.py``); the hub owns when the groups are written.
"""

from __future__ import annotations

import asyncio
from typing import Any

from engine.channels import StoredEvent
from realtime.fanout.live import LiveList
from realtime.protocol.codec import Codec, OutFrame
from realtime.protocol.messages import Batch
from realtime.transport.client import to_wire

DATA, TRANSPORTS, CLIENTS, NEXT, END, PARTS, EVENTS = range(7)
"""A write group is a list (the hot loop unpacks it, and moves ``NEXT`` as slices are written):
the bytes, the transports and their clients (parallel lists), the next index to write, the end,
the parts the bytes hold, and how many events they hold."""


class Part:
    """One channel's share of a fan-out: its events, its live list, where the list stood before
    them (``prev``: the careful path restarts a failed client from there) and its frame, encoded
    once per codec the first time a client of that codec needs it."""

    __slots__ = ("_frames", "_message", "channel", "epoch", "events", "live", "prev")

    def __init__(self, channel: str, epoch: str, events: list[StoredEvent], live: LiveList) -> None:
        self.channel, self.epoch, self.events, self.live, self.prev = channel, epoch, events, live, live.last
        self._frames: dict[str, OutFrame] = {}
        self._message: Any = None

    def frame_of(self, codec: Codec) -> OutFrame:
        frame = self._frames.get(codec.name)
        if frame is None:
            if self._message is None:
                wire = [to_wire(self.channel, self.epoch, e) for e in self.events]
                self._message = wire[0] if len(wire) == 1 else Batch(events=wire)
            frame = self._frames[codec.name] = codec.frame(self._message)
        return frame


def write_groups(parts: tuple[Part, ...]) -> list[list[Any]]:
    """The write groups of ``parts``: one part's codec groups as they are listed, or several parts'
    transports each once, with the frames of every part whose list holds it joined, in the
    parts' order."""
    if len(parts) == 1:
        part = parts[0]
        return [
            [part.frame_of(codec).wire, transports, clients, 0, len(transports), parts, len(part.events)]
            for codec, transports, clients in part.live.groups.values()
        ]
    # transport -> [codec, client, the indexes of the parts that list it]: a few parts a transport
    # (its meeting's channels), however many parts the tick holds (a hall of tables: hundreds)
    seen: dict[asyncio.WriteTransport, list[Any]] = {}
    for i, part in enumerate(parts):
        for codec, transports, clients in part.live.groups.values():
            for t, client in zip(transports, clients, strict=True):
                entry = seen.get(t)
                if entry is None:
                    seen[t] = [codec, client, (i,)]
                else:
                    entry[2] += (i,)
    groups: dict[tuple[str, tuple[int, ...]], list[Any]] = {}
    for t, (codec, client, which) in seen.items():
        group = groups.get((codec.name, which))
        if group is None:
            mine = tuple(parts[i] for i in which)
            data = b"".join(part.frame_of(codec).wire for part in mine)
            group = groups[codec.name, which] = [data, [], [], 0, 0, mine, sum(len(p.events) for p in mine)]
        group[TRANSPORTS].append(t)
        group[CLIENTS].append(client)
    for group in groups.values():
        group[END] = len(group[TRANSPORTS])
    return list(groups.values())
