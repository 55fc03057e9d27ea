"""Prototype patches of the hub, applied in the benchmark's hub process only
(``python -m loadtest.bench_fanout --variant NAME[,NAME...]``). The hub never imports this module.

Each proposal variant stands for a diff to ``realtime/`` written out in docs/performance.md; here it
is a monkeypatch so that it can be measured beside the hub as it is, in the same run. Yardsticks
are not proposals: they bound what a change could win.

Proposals:
- ``livelist``: per channel, a flat list of the transports of subscribers in step with it; the
  fan-out walks it with two checks per transport; the rest take ``Client.deliver`` as before.
- ``fastpath``: count frames once per fan-out instead of two Prometheus ``Counter.inc`` per
  frame, and inline the writer's checks (one Python call per client instead of four).
- ``rawfd``: on top of the writer, write the frame with ``os.write`` on the socket's fd while the
  transport's buffer is empty (plain TCP only), handing any rest to ``transport.write``.
- ``lean``: less memory per connection, the three below together:
  ``slimqueue`` (a one-consumer receive queue instead of ``asyncio.Queue`` and its four deques),
  ``drophandshake`` (uvicorn's handshake ``Response``/``Request`` released after the accept),
  ``directws`` (``/ws`` dispatched before Starlette's middleware stack, whose coroutine frames
  otherwise live as long as each connection).

Yardsticks / probes:
- ``bare``: encode once, then only ``transport.write`` per client (no checks, offsets, metrics).
- ``rawsend``: like ``bare`` with ``os.write`` on each fd, bypassing uvloop.
- ``probe``: no change; per-thread CPU inside ``Hub.fanout``/``Hub.on_event`` written to
  ``$PLENARY_BENCH_PROBE`` every half second.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import resource
import threading
import time
from collections.abc import Callable
from typing import Any


# -- proposals ------------------------------------------------------------------------------------
def _fastpath() -> None:
    from realtime.fanout.hub import Hub
    from realtime.ops import metrics
    from realtime.protocol.codec import OutFrame
    from realtime.protocol.messages import Batch
    from realtime.transport.client import MAX_BATCH, Client, SubState, to_wire
    from realtime.transport.writers import TransportWriter

    live = SubState.LIVE
    slow_deliver = Client.deliver  # the original handles every case but the common one

    def deliver(self: Client, channel: str, epoch: str, events: list[Any], frame: OutFrame) -> int:
        sub = self.subs.get(channel)
        if sub is None:
            return 0
        if sub.state is live and epoch == sub.epoch and events[0].offset == sub.last + 1:
            if self.writer.write(frame):
                sub.last = events[-1].offset
                return 1
            metrics.DROPPED.inc()
            self._suspend(sub)
            return 0
        slow_deliver(self, channel, epoch, events, frame)
        return 0

    def fanout(self: Hub, channel: str, epoch: str, events: list[Any]) -> None:
        members = self.local.get(channel)
        if not members:
            return
        if len(events) > MAX_BATCH:
            for i in range(0, len(events), MAX_BATCH):
                fanout(self, channel, epoch, events[i : i + MAX_BATCH])
            return
        frames: dict[str, OutFrame] = {}
        message: Any = None
        written = 0
        for client in tuple(members):
            name = client.codec.name
            frame = frames.get(name)
            if frame is None:
                if message is None:
                    wire = [to_wire(channel, epoch, e) for e in events]
                    message = wire[0] if len(wire) == 1 else Batch(events=wire)
                frame = frames[name] = client.codec.frame(message)
            written += client.deliver(channel, epoch, events, frame)  # type: ignore[func-returns-value,operator]
        if written:
            metrics.FRAMES_OUT.inc(written)
            metrics.EVENTS_OUT.inc(written * len(events))

    def write(self: TransportWriter, frame: OutFrame, droppable: bool = True) -> bool:
        proto = self.proto
        transport = proto.transport
        size = transport.get_write_buffer_size()
        if size > self.cap:
            if droppable:
                return False
            if size > self.hard_cap:
                proto.abort()
                return False
        if proto.close_sent or proto.disconnected or not proto.handshake_complete or transport.is_closing():
            return False
        transport.write(frame.wire)
        return True

    Client.deliver = deliver  # type: ignore[assignment]
    Hub.fanout = fanout  # type: ignore[method-assign]
    TransportWriter.write = write  # type: ignore[method-assign]


def _livelist() -> None:
    """Per channel, a flat list of the transports of subscribers known to be in step (LIVE, same
    epoch, every event up to the channel's last offset written): the fan-out walks that list with
    two checks per transport (write cap, closing). Everyone else (recovering, suspended, just
    subscribed, a hole) goes through ``Client.deliver`` as before and joins the list once in step.
    A prototype of the proposal in docs/performance.md, complete enough for the benchmark and for
    subscribe/unsubscribe/drop/reset; the real change belongs in ``realtime/fanout/hub.py`` with tests."""
    from realtime.fanout.hub import Hub
    from realtime.ops import metrics
    from realtime.protocol.codec import Codec, OutFrame
    from realtime.protocol.messages import Batch
    from realtime.transport.client import MAX_BATCH, Client, SubState, to_wire

    live_state = SubState.LIVE

    class Live:
        __slots__ = ("epoch", "groups", "last", "slow")

        def __init__(self) -> None:
            self.epoch = ""
            self.last = -1
            # codec name -> (codec, transports, clients): parallel lists, same index
            self.groups: dict[str, tuple[Codec, list[Any], list[Client]]] = {}
            self.slow: set[Client] = set()  # subscribers not in a group

    def table(hub: Hub) -> dict[str, Live]:
        t: dict[str, Live] | None = hub.__dict__.get("_live")
        if t is None:
            t = hub.__dict__["_live"] = {}
        return t

    def live_of(hub: Hub, channel: str) -> Live:
        t = table(hub)
        lv = t.get(channel)
        if lv is None:
            lv = t[channel] = Live()
        return lv

    def leave(lv: Live, client: Client, channel: str) -> None:
        """Out of the fast list; its subscription says how far it got (everything up to lv.last)."""
        for _codec, ts, cs in lv.groups.values():
            if client in cs:
                i = cs.index(client)
                del cs[i], ts[i]
                sub = client.subs.get(channel)
                if sub is not None:
                    sub.last = lv.last
                break
        lv.slow.discard(client)

    def demote_all(lv: Live, channel: str) -> None:
        for _codec, _ts, cs in lv.groups.values():
            for c in cs:
                sub = c.subs.get(channel)
                if sub is not None:
                    sub.last = lv.last
                    lv.slow.add(c)
        lv.groups.clear()

    attach, detach, drop_client, on_reset = Hub.attach, Hub.detach, Hub.drop_client, Hub.on_reset

    async def attach_(self: Hub, client: Client, channel: str) -> None:
        lv = live_of(self, channel)
        leave(lv, client, channel)  # a subscribe again (recovery) leaves the fast list first
        lv.slow.add(client)
        await attach(self, client, channel)

    async def detach_(self: Hub, client: Client, channel: str) -> None:
        lv = table(self).get(channel)
        if lv is not None:
            leave(lv, client, channel)
        await detach(self, client, channel)

    async def drop_client_(self: Hub, client: Client) -> None:
        for channel, lv in table(self).items():  # at once, before any await
            if channel in client.subs:
                leave(lv, client, channel)
        await drop_client(self, client)

    def on_reset_(self: Hub) -> None:
        for channel, lv in table(self).items():
            demote_all(lv, channel)
        on_reset(self)

    def fanout(self: Hub, channel: str, epoch: str, events: list[Any]) -> None:
        members = self.local.get(channel)
        if not members:
            return
        if len(events) > MAX_BATCH:
            for i in range(0, len(events), MAX_BATCH):
                fanout(self, channel, epoch, events[i : i + MAX_BATCH])
            return
        lv = live_of(self, channel)
        if lv.groups and not (epoch == lv.epoch and events[0].offset == lv.last + 1):
            demote_all(lv, channel)  # a hole or a new epoch: everyone takes the careful path
        message: Any = None
        frames: dict[str, OutFrame] = {}

        def frame_of(codec: Codec) -> OutFrame:
            nonlocal message
            frame = frames.get(codec.name)
            if frame is None:
                if message is None:
                    wire = [to_wire(channel, epoch, e) for e in events]
                    message = wire[0] if len(wire) == 1 else Batch(events=wire)
                frame = frames[codec.name] = codec.frame(message)
            return frame

        cap = self.settings.write_cap
        written = 0
        for codec, ts, cs in lv.groups.values():
            data = frame_of(codec).wire
            bad: list[Any] | None = None
            for t in ts:
                if t.get_write_buffer_size() <= cap and not t.is_closing():
                    t.write(data)
                else:
                    if bad is None:
                        bad = []
                    bad.append(t)
            written += len(ts)
            if bad is not None:
                written -= len(bad)
                for t in bad:  # not written: the careful path drops it and suspends the channel
                    i = ts.index(t)
                    c = cs[i]
                    del ts[i], cs[i]
                    sub = c.subs.get(channel)
                    if sub is not None:
                        sub.last = lv.last
                        lv.slow.add(c)
        lv.epoch, lv.last = epoch, events[-1].offset
        if written:
            metrics.FRAMES_OUT.inc(written)
            metrics.EVENTS_OUT.inc(written * len(events))
        if lv.slow:
            for c in tuple(lv.slow):
                sub = c.subs.get(channel)
                if sub is None:
                    lv.slow.discard(c)
                    continue
                c.deliver(channel, epoch, events, frame_of(c.codec))
                if sub.state is live_state and sub.epoch == epoch and sub.last == lv.last:
                    proto = getattr(c.writer, "proto", None)
                    if proto is None:  # a queue writer (TestClient): stays on the careful path
                        continue
                    lv.slow.discard(c)
                    group = lv.groups.get(c.codec.name)
                    if group is None:
                        group = lv.groups[c.codec.name] = (c.codec, [], [])
                    group[1].append(proto.transport)
                    group[2].append(c)

    Hub.attach = attach_  # type: ignore[method-assign]
    Hub.detach = detach_  # type: ignore[method-assign]
    Hub.drop_client = drop_client_  # type: ignore[method-assign]
    Hub.on_reset = on_reset_  # type: ignore[method-assign]
    Hub.fanout = fanout  # type: ignore[method-assign]


def _rawfd() -> None:
    from realtime.protocol.codec import OutFrame
    from realtime.transport.writers import TransportWriter

    def fd_of(proto: Any) -> int:
        """The socket's fd for plain TCP; -1 (never write around the transport) for TLS or unknown."""
        transport = proto.transport
        if transport.get_extra_info("sslcontext") is not None:
            return -1
        sock = transport.get_extra_info("socket")
        return sock.fileno() if sock is not None else -1

    def write(self: TransportWriter, frame: OutFrame, droppable: bool = True) -> bool:
        proto = self.proto
        transport = proto.transport
        size = transport.get_write_buffer_size()
        if size > self.cap:
            if droppable:
                return False
            if size > self.hard_cap:
                proto.abort()
                return False
        if proto.close_sent or proto.disconnected or not proto.handshake_complete or transport.is_closing():
            return False
        data = frame.wire
        if size == 0:  # nothing queued in uvloop or libuv: a direct write keeps the byte order
            fd = getattr(self, "fd", None)
            if fd is None:
                fd = self.fd = fd_of(proto)  # type: ignore[attr-defined]
            if fd >= 0:
                try:
                    n = os.write(fd, data)
                except OSError:  # EAGAIN, or an error the transport will meet and report itself
                    n = 0
                if n == len(data):
                    return True
                data = data[n:]
        transport.write(data)
        return True

    TransportWriter.write = write  # type: ignore[method-assign]


class SlimQueue:
    """What uvicorn's protocol needs of its receive queue (one consumer): ``put_nowait``, ``get``,
    ``empty``. A list and one future instead of ``asyncio.Queue``'s four deques (~3 kB)."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)


def _slimqueue() -> None:
    from realtime.transport.wsproto import HubWebSocketProtocol

    init = HubWebSocketProtocol.__init__

    def __init__(self: HubWebSocketProtocol, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.queue = SlimQueue()  # type: ignore[assignment]

    HubWebSocketProtocol.__init__ = __init__  # type: ignore[method-assign]


def _drophandshake() -> None:
    from realtime.transport.wsproto import HubWebSocketProtocol

    send = HubWebSocketProtocol.send

    async def lean_send(self: HubWebSocketProtocol, message: Any) -> None:
        await send(self, message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            self.response = None  # type: ignore[assignment]
            self.request = None  # type: ignore[assignment]

    HubWebSocketProtocol.send = lean_send  # type: ignore[method-assign,assignment]


def _directws() -> None:
    from starlette.websockets import WebSocket

    import realtime.app
    from realtime.transport.endpoint import websocket_endpoint

    create_app = realtime.app.create_app

    class DirectWS:
        """``/ws`` straight to the endpoint; everything else (and lifespan) through Starlette."""

        def __init__(self, app: Any) -> None:
            self.app = app
            self.state = app.state

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "websocket" and scope["path"] == "/ws":
                scope["app"] = self.app
                await websocket_endpoint(WebSocket(scope, receive, send))
                return
            await self.app(scope, receive, send)

    realtime.app.create_app = lambda settings: DirectWS(create_app(settings))  # type: ignore[assignment,return-value]


def _lean() -> None:
    _slimqueue()
    _drophandshake()
    _directws()


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
    "fastpath": _fastpath,
    "rawfd": _rawfd,
    "livelist": _livelist,
    "lean": _lean,
    "slimqueue": _slimqueue,
    "drophandshake": _drophandshake,
    "directws": _directws,
    "bare": _bare,
    "rawsend": _rawsend,
    "flat": _flat,
    "probe": _probe,
}


def apply(names: str) -> None:
    """Apply variants in order (``fastpath,rawfd``: rawfd's writer replaces fastpath's)."""
    for name in names.split(","):
        VARIANTS[name.strip()]()
