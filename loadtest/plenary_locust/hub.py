"""One WebSocket to the hub for a Locust user (gevent, ``websocket-client``), speaking protocol v1
over ``plenary.v1.msgpack``.

Commands get their reply by id (a ``subscribe`` reply in parts is joined, docs/protocol.md §4). A
reader greenlet takes every frame, so a user is never a slow client to the hub, and keeps each
followed channel's position as docs/protocol.md §7 says a client must: the ``subscribe`` reply
sets ``epoch``/``offset``; every live event (alone or in a ``batch``) must be the next offset. A
duplicate or a hole is counted (the hub promises neither happens) and a ``gap`` marks the channel
for a resubscribe. Events are handed to the user's ``on_event`` in order, from the reader.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gevent
import msgpack
import websocket
from gevent.event import AsyncResult

from .recovery import Position

MSGPACK = "plenary.v1.msgpack"
REPLY_TIMEOUT = 30.0
KILL_GRACE = 2.0
OnEvent = Callable[[str, dict[str, Any]], None]
"""Called from the reader, in order: a live event (channel, event), or a subscribe's whole result
(channel, result) before any event after it."""


class CommandFailed(Exception):
    """The hub answered a command with an ``error`` (``name``, ``retry_after_ms`` as sent)."""

    def __init__(self, message: str, name: str = "", retry_after_ms: int = 0) -> None:
        super().__init__(message)
        self.name = name
        self.retry_after_ms = retry_after_ms


@dataclass
class _Pending:
    waiter: AsyncResult
    channel: str | None = None  # a subscribe's channel: its reply sets the position
    parts: list[dict[str, Any]] = field(default_factory=list)


def ws_url(host: str) -> str:
    base = host.rstrip("/")
    for http, ws in (("https://", "wss://"), ("http://", "ws://")):
        if base.startswith(http):
            base = ws + base[len(http) :]
    return base + "/ws"


class HubConnection:
    """One WebSocket to the hub: commands get their reply by id, events go to ``on_event``."""

    def __init__(
        self, url: str, on_event: OnEvent | None = None, on_subscribed: OnEvent | None = None
    ) -> None:
        self.ws = websocket.create_connection(
            url,
            subprotocols=[MSGPACK],
            suppress_origin=True,  # a bot sends no Origin; its token admits it
            timeout=REPLY_TIMEOUT,
            enable_multithread=True,  # sends (user greenlet) and receives (reader) overlap
        )
        self.on_event = on_event
        self.on_subscribed = on_subscribed
        self.ids = itertools.count(1)
        self.pending: dict[int, _Pending] = {}
        self.positions: dict[str, Position] = {}
        self.gaps: set[str] = set()
        self.events = 0
        self.duplicates = 0
        self.holes = 0
        self.callback_errors = 0
        self.closed = False
        self.kill: BaseException | None = None
        self.reader = gevent.spawn(self._read)

    def _read(self) -> None:
        try:
            while True:
                data = self.ws.recv()  # answers the hub's pings by itself
                if not data:
                    break
                msg = msgpack.unpackb(data)
                kind = msg.get("type")
                if kind in ("reply", "error"):
                    self._answer(msg, len(data))
                elif kind == "event":
                    self._event(msg)
                elif kind == "batch":
                    for event in msg.get("events") or ():
                        self._event(event)
                elif kind == "gap":
                    # Nothing more comes on it until a resubscribe from the position held (§5 gap).
                    self.gaps.add(msg["channel"])
        except (websocket.WebSocketException, OSError):
            pass
        finally:
            self.closed = True
            for pending in self.pending.values():
                pending.waiter.set_exception(ConnectionError("connection closed"))
            self.pending.clear()

    def _answer(self, msg: dict[str, Any], size: int) -> None:
        pending = self.pending.get(msg.get("id"))  # type: ignore[arg-type]
        if pending is None:
            return
        result = msg.get("result")
        if msg["type"] == "reply" and pending.channel is not None and isinstance(result, dict):
            pending.parts.append(result)
            if result.get("more"):
                return  # a reply in parts: the rest follows, nothing of this channel between
            whole = dict(result, events=[e for part in pending.parts for e in part.get("events") or ()])
            msg = dict(msg, result=whole)
            # Live events of this channel continue from the reply's offset: set it before reading on.
            self.positions[pending.channel] = Position(str(whole["epoch"]), int(whole["offset"]))
            self.gaps.discard(pending.channel)
            self._hand(self.on_subscribed, pending.channel, whole)
        del self.pending[msg["id"]]
        pending.waiter.set((msg, size))

    def _event(self, event: dict[str, Any]) -> None:
        self.events += 1
        channel = event.get("channel", "")
        at = self.positions.get(channel)
        if at is None:
            return  # not followed (an unsubscribe under way, or after a gap): ignore
        offset = int(event.get("offset", 0))
        if event.get("epoch") != at.epoch or offset <= at.offset:
            self.duplicates += 1
            return
        if offset != at.offset + 1:
            self.holes += 1  # never from the hub: it sends a gap instead
        at.offset = offset
        self._hand(self.on_event, channel, event)

    def _hand(self, fn: OnEvent | None, channel: str, data: dict[str, Any]) -> None:
        """Give the user what came; a bug of the user's must not stop the reader (the connection
        would look dead and the hub would see a slow client)."""
        if fn is not None:
            try:
                fn(channel, data)
            except Exception:
                self.callback_errors += 1

    def call(self, kind: str, **fields: Any) -> tuple[dict[str, Any], int]:
        """Send one command and wait for its reply (``CommandFailed`` on an ``error``)."""
        if self.closed:
            raise ConnectionError("connection closed")
        cid = next(self.ids)
        pending = _Pending(AsyncResult(), fields["channel"] if kind == "subscribe" else None)
        self.pending[cid] = pending
        frame = {"type": kind, "id": cid, **{k: v for k, v in fields.items() if v is not None}}
        self.ws.send(msgpack.packb(frame), opcode=websocket.ABNF.OPCODE_BINARY)
        try:
            msg, size = pending.waiter.get(timeout=REPLY_TIMEOUT)
        except gevent.Timeout as exc:
            self.pending.pop(cid, None)
            raise TimeoutError(f"no reply to {kind} in {REPLY_TIMEOUT:g} s") from exc
        except gevent.GreenletExit as kill:
            # Locust killed the user with the command already sent (a stop without enough
            # --stop-timeout): wait briefly for the reply on its way, so that a ballot the hub
            # stored is still reported; the caller re-raises the kill once it has reported.
            self.kill = kill
            try:
                msg, size = pending.waiter.get(timeout=KILL_GRACE)
            except BaseException as exc:
                raise ConnectionError(f"stopped before the reply to {kind}") from exc
        if msg["type"] == "error":
            raise CommandFailed(
                f"{msg.get('name')}: {msg.get('message')}",
                str(msg.get("name") or ""),
                int(msg.get("retry_after_ms") or 0),
            )
        return msg["result"], size

    def close(self) -> None:
        """Close at once: a close frame (1000) and the socket shut, without waiting for the hub's
        answer. Waiting for it (``ws.close``) costs its whole timeout here, the reader taking the
        hub's close frame, and a loaded generator stopping 500 users then hangs for minutes."""
        self.closed = True
        self.reader.kill(block=False)
        with contextlib.suppress(websocket.WebSocketException, OSError):
            self.ws.send_close()
        with contextlib.suppress(websocket.WebSocketException, OSError):
            self.ws.shutdown()
