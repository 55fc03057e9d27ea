"""Prototype patches of the hub, applied in the benchmark's hub process only
(``python -m loadtest.bench_fanout --variant NAME[,NAME...]``). The hub never imports this module.

Each variant patches the shipped hub (it imports ``realtime`` and wraps or replaces one method),
so that it can be measured beside the hub as it is, in the same run. Only what is NOT the hub's
code lives here: a prototype that ships moves into ``realtime/`` and leaves this file (the live
lists, ``livelist``, are ``realtime/fanout/live.py``'s ``LiveList``; ``lean``'s receive queue, handshake
release and direct ``/ws`` are ``realtime/wsproto.py`` and ``realtime/app.py``; ``fastpath``'s
counting once per fan-out went in with the live lists; their prototypes are in this file's git
history, and their measurements in docs/performance.md).

Proposal (measured, not shipped):
- ``rawfd``: write a frame with ``os.write`` on the socket's fd while the transport's buffer is
  empty (plain TCP only), handing any rest to ``transport.write``. It wraps the shipped
  ``HubWebSocketProtocol.write_frames``, which since the live lists carries replies and the
  careful path only; ``rawsend`` bounds what ``os.write`` could win on the hot path.

Yardsticks / probes (not proposals: they bound what a change could win):
- ``bare``: encode once, then only ``transport.write`` per client (no checks, offsets, metrics).
- ``rawsend``: like ``bare`` with ``os.write`` on each fd, bypassing uvloop.
- ``flat``: ``transport.write`` over a flat list of transports built once per channel.
- ``probe``: no change; per-thread CPU inside ``Hub.fanout``/``Hub.on_event`` written to
  ``$PLENARY_BENCH_PROBE`` every half second.
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import threading
import time
from collections.abc import Callable
from typing import Any


# -- proposal -------------------------------------------------------------------------------------
def _rawfd() -> None:
    from realtime.transport.wsproto import HubWebSocketProtocol

    write_frames = HubWebSocketProtocol.write_frames  # the shipped checks stay the shipped ones

    def fd_of(proto: HubWebSocketProtocol) -> int:
        """The socket's fd for plain TCP; -1 (never write around the transport) for TLS or unknown."""
        transport = proto.transport
        if transport.get_extra_info("sslcontext") is not None:
            return -1
        sock = transport.get_extra_info("socket")
        return sock.fileno() if sock is not None else -1

    def raw_write_frames(self: HubWebSocketProtocol, data: bytes) -> bool:
        if self.transport.get_write_buffer_size() or not self.open_for_writes():
            return write_frames(self, data)  # something queued (keep the byte order) or closing
        fd: int | None = getattr(self, "bench_fd", None)  # -1: never write around uvloop
        if fd is None:
            fd = self.bench_fd = fd_of(self)  # type: ignore[attr-defined]
        if fd < 0:
            return write_frames(self, data)
        try:
            n = os.write(fd, data)
        except OSError:  # EAGAIN, or an error the transport will meet and report itself
            n = 0
        return True if n == len(data) else write_frames(self, data[n:])

    HubWebSocketProtocol.write_frames = raw_write_frames  # type: ignore[method-assign]


# -- yardsticks and probes -----------------------------------------------------------------------
def _bare() -> None:
    from realtime.fanout.hub import Hub
    from realtime.protocol.messages import Batch
    from realtime.transport.client import to_wire

    def fanout(self: Hub, channel: str, epoch: str, events: list[Any]) -> None:
        members = self.local.get(channel)
        if not members:
            return
        wire = [to_wire(channel, epoch, e) for e in events]
        message = wire[0] if len(wire) == 1 else Batch(events=wire)
        frame = next(iter(members)).codec.frame(message).wire
        for client in members:
            client.writer.proto.transport.write(frame)  # type: ignore[attr-defined]

    Hub.fanout = fanout  # type: ignore[method-assign]


def _rawsend() -> None:
    from realtime.fanout.hub import Hub
    from realtime.protocol.messages import Batch
    from realtime.transport.client import to_wire

    def fanout(self: Hub, channel: str, epoch: str, events: list[Any]) -> None:
        members = self.local.get(channel)
        if not members:
            return
        wire = [to_wire(channel, epoch, e) for e in events]
        message = wire[0] if len(wire) == 1 else Batch(events=wire)
        frame = next(iter(members)).codec.frame(message).wire
        w = os.write
        for client in members:
            writer: Any = client.writer
            fd = getattr(writer, "fd", None)
            if fd is None:
                fd = writer.fd = writer.proto.transport.get_extra_info("socket").fileno()
            w(fd, frame)

    Hub.fanout = fanout  # type: ignore[method-assign]


def _flat() -> None:
    """Yardstick: a flat list of transports per channel, built on the first fan-out (static
    membership only: not a correct hub), then ``transport.write`` over the list. Against ``bare``
    it shows what walking client -> writer -> protocol -> transport costs per frame."""
    from realtime.fanout.hub import Hub
    from realtime.protocol.messages import Batch
    from realtime.transport.client import to_wire

    flat: dict[str, tuple[int, list[Any], Any]] = {}

    def fanout(self: Hub, channel: str, epoch: str, events: list[Any]) -> None:
        members = self.local.get(channel)
        if not members:
            return
        cached = flat.get(channel)
        if cached is None or cached[0] != len(members):
            cached = flat[channel] = (
                len(members),
                [c.writer.proto.transport for c in members],  # type: ignore[attr-defined]
                next(iter(members)).codec,
            )
        wire = [to_wire(channel, epoch, e) for e in events]
        message = wire[0] if len(wire) == 1 else Batch(events=wire)
        frame = cached[2].frame(message).wire
        for t in cached[1]:
            t.write(frame)

    Hub.fanout = fanout  # type: ignore[method-assign]


def _probe() -> None:
    from realtime.fanout.hub import Hub

    stats: dict[str, float] = {"fanout_cpu": 0.0, "fanout_calls": 0, "on_event_cpu": 0.0, "on_event_calls": 0}
    fanout, on_event = Hub.fanout, Hub.on_event
    clock = time.thread_time

    def timed_fanout(self: Hub, channel: str, epoch: str, events: list[Any]) -> None:
        t = clock()
        fanout(self, channel, epoch, events)
        stats["fanout_cpu"] += clock() - t
        stats["fanout_calls"] += 1

    def timed_on_event(self: Hub, channel: str, msg: Any) -> None:
        t = clock()
        on_event(self, channel, msg)
        stats["on_event_cpu"] += clock() - t
        stats["on_event_calls"] += 1

    Hub.fanout = timed_fanout  # type: ignore[method-assign]
    Hub.on_event = timed_on_event  # type: ignore[method-assign]

    def dump() -> None:
        path = os.environ.get("PLENARY_BENCH_PROBE")
        if not path:
            return
        ru = resource.getrusage(resource.RUSAGE_SELF)
        stats.update(utime=ru.ru_utime, stime=ru.ru_stime, nvcsw=ru.ru_nvcsw, nivcsw=ru.ru_nivcsw)
        with open(path, "w") as fh:
            json.dump(stats, fh)

    def dumper() -> None:  # uvicorn re-raises SIGTERM on exit, so atexit alone is not enough
        while True:
            time.sleep(0.5)
            dump()

    atexit.register(dump)
    threading.Thread(target=dumper, daemon=True, name="bench-probe").start()


VARIANTS: dict[str, Callable[[], None]] = {
    "rawfd": _rawfd,
    "bare": _bare,
    "rawsend": _rawsend,
    "flat": _flat,
    "probe": _probe,
}


def apply(names: str) -> None:
    """Apply variants in order (``rawfd,probe``: the probe times the patched hub)."""
    for name in names.split(","):
        VARIANTS[name.strip()]()
