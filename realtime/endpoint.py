"""The WebSocket endpoint ``/ws``: it only shuttles frames between the socket, the sans-I/O session
(``realtime.protocol.session``) and the command handlers.

Order of a connection's life: Origin check and subprotocol choice (refused with an HTTP error
before the upgrade), accept, ``hello`` within ``hello_timeout`` (close 4001 otherwise), a slot
among the participant's connections over every hub (close 4013 past the role's limit), then
commands until the peer leaves or abuses (close 4008/4010), or stops reading (abort).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket

from engine.errors import CATALOGUE, Code, HubError, LimitError
from moderation import captions, chat
from realtime import roles
from realtime.commands import connection, registry
from realtime.commands.table import DIRECT, HANDLERS
from realtime.fanout.hub import Hub
from realtime.ops import metrics
from realtime.protocol.closecodes import CloseCode
from realtime.protocol.codec import CODECS, SUBPROTOCOLS, OutFrame
from realtime.protocol.messages import Command, Hello, Result, Welcome
from realtime.protocol.session import Close, Limits, Reject, Session, Trigger
from realtime.transport.client import Client
from realtime.transport.writers import QueueWriter, TransportWriter, Writer, bound_send_buffer
from realtime.transport.wsproto import EXTENSION, RECEIVE_AHEAD, HubWebSocketProtocol

log = logging.getLogger("plenary.ws")


async def deny(ws: WebSocket, code: Code, message: str) -> None:
    """Refuse the upgrade with an HTTP answer: the code's status (``engine.errors.CATALOGUE``)."""
    body = {"code": int(code), "name": code.name.lower(), "message": message}
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        await ws.send_denial_response(JSONResponse(body, status_code=CATALOGUE[code].http_status))
    else:
        await ws.close(code=1008, reason=code.name.lower())


def make_writer(ws: WebSocket, hub: Hub) -> Writer:
    ext = ws.scope.get("extensions", {}).get(EXTENSION)
    s = hub.settings
    if ext is not None:
        bound_send_buffer(ext["protocol"].transport, s.send_buffer)
        return TransportWriter(ext["protocol"], s.write_cap, s.hard_cap)
    return QueueWriter(ws, s.write_cap, s.hard_cap)


async def websocket_endpoint(ws: WebSocket) -> None:
    hub: Hub = ws.app.state.hub
    origin = ws.headers.get("origin")
    if origin is not None and origin not in hub.settings.origins():
        log.info("origin refused", extra={"origin": origin[:200]})
        await deny(ws, Code.BAD_ORIGIN, "this origin may not connect")
        return
    offered = ws.scope.get("subprotocols", [])
    chosen = next((p for p in offered if p in SUBPROTOCOLS), None)
    if chosen is None:
        await deny(ws, Code.BAD_MESSAGE, f"offer one of the subprotocols {', '.join(SUBPROTOCOLS)}")
        return
    if not hub.ready or hub.cut_off:
        await deny(ws, Code.UNAVAILABLE, "the hub is starting, stopping or without Redis")
        return
    await ws.accept(subprotocol=chosen)
    codec = CODECS[chosen]
    writer = make_writer(ws, hub)
    metrics.CONNECTIONS.labels(chosen).inc()
    metrics.CONNECTIONS_TOTAL.labels(chosen).inc()
    s = hub.settings
    limits = Limits(rate=s.rate, burst=s.burst, hello_timeout=s.hello_timeout)
    session = Session(codec, limits, time.monotonic())
    client: Client | None = None
    try:
        client = await _authenticate(ws, hub, session, writer)
        if client is not None:
            await _serve(ws, hub, session, client)
    except Exception:  # Redis gone mid-hello or a bug: close so the client retries elsewhere
        log.exception("connection failed")
        close_connection(writer, CloseCode.GOING_AWAY, "try again")
    finally:
        metrics.CONNECTIONS.labels(chosen).dec()
        if client is not None:
            absent = await hub.drop_client(client)
            await release(hub, client, absent)
        if isinstance(writer, QueueWriter):
            writer.stop()


async def release(hub: Hub, client: Client, absent: bool = False) -> None:
    """Free the connection's slot (and with ``absent`` its participant's presence on this hub); if
    Redis is gone the slot frees itself when this hub stops or dies, and the presence expires with
    this hub's presence set (30 s after its last heartbeat)."""
    try:
        await hub.slots.release(client.participant.id, client.conn_id, absent)
    except Exception:
        log.warning("connection slot not released", extra={"conn_id": client.conn_id})


def close_connection(writer: Writer, code: CloseCode, reason: str) -> None:
    metrics.CLOSES.labels(str(int(code))).inc()
    writer.close(int(code), reason)


async def _receive(ws: WebSocket, timeout: float | None) -> bytes | str | None:
    """The next data frame, or None when the peer left."""
    message = await asyncio.wait_for(ws.receive(), timeout) if timeout else await ws.receive()
    if message["type"] == "websocket.disconnect":
        return None
    data: bytes | str | None = message.get("text")
    if data is None:
        data = message.get("bytes")
    return data if data is not None else b""


async def _authenticate(ws: WebSocket, hub: Hub, session: Session, writer: Writer) -> Client | None:
    deadline = time.monotonic() + session.limits.hello_timeout
    while True:
        remaining = deadline - time.monotonic()
        try:
            data = await _receive(ws, max(remaining, 0.001))
        except TimeoutError:
            close_connection(writer, CloseCode.AUTH_TIMEOUT, "hello expected")
            return None
        if data is None:
            return None
        metrics.FRAMES_IN.inc()
        verdict = session.receive(data, time.monotonic())
        if isinstance(verdict, Close):
            if verdict.frame:
                writer.write(verdict.frame, droppable=False)
            close_connection(writer, verdict.code, verdict.reason)
            return None
        if isinstance(verdict, Reject):
            writer.write(verdict.frame, droppable=False)
            continue
        hello = verdict.command
        assert isinstance(hello, Hello)
        return await admit_hello(hub, session, writer, hello)


async def admit_hello(hub: Hub, session: Session, writer: Writer, hello: Hello) -> Client | None:
    """A ``hello`` accepted by the session: the token, a connection slot, then ``welcome``; or the
    refusal (error frame, then the close) and None. The one admission of every transport: the
    WebSocket here and the HTTP fallback (``realtime.fallback``) call it, so both share the token
    check, the per-participant slots and the welcome."""
    who = await hub.roster.authenticate(hello.token)
    if who is None:
        session.fire(Trigger.HELLO_FAILED)
        err = HubError(Code.BAD_TOKEN, "this link is not valid (expired or revoked): ask the organisers")
        metrics.COMMANDS.labels("hello", "bad_token").inc()
        log.info("hello refused", extra={"outcome": "bad_token"})
        writer.write(session.error(hello.id, err), droppable=False)
        close_connection(writer, CloseCode.BAD_TOKEN, "bad token")
        return None
    client = Client(who, session.codec, writer)
    try:  # one slot per connection over every hub; the role's limit refuses the one past it
        await hub.slots.admit(who.id, client.conn_id, roles.max_connections(who.role))
    except LimitError as err:
        session.fire(Trigger.HELLO_FAILED)
        metrics.COMMANDS.labels("hello", err.name).inc()
        log.info("hello refused", extra={"participant": who.id, "role": who.role, "outcome": err.name})
        writer.write(session.error(hello.id, err), droppable=False)
        close_connection(writer, CloseCode.TOO_MANY_CONNECTIONS, "too many connections")
        return None
    session.fire(Trigger.HELLO_OK)
    hub.join(client)
    welcome = Welcome(
        participant=who.id,
        name=who.name,
        role=who.role,
        meetings=await connection.meetings_for(hub, client),
        server_time=int(time.time() * 1000),
        limits={
            "max_frame": hub.settings.max_frame,
            "chat_chars": chat.MAX_CHARS,
            "caption_chars": captions.MAX_CHARS,
            "rate": int(session.limits.rate),
            "burst": int(session.limits.burst),
        },
        may=roles.allowed_commands(who.role),
    )
    writer.write(session.reply(hello.id, welcome), droppable=False)
    metrics.COMMANDS.labels("hello", "ok").inc()
    log.info(
        "hello",
        extra={
            "conn_id": client.conn_id,
            "participant": who.id,
            "role": who.role,
            "client": hello.client[:64],
        },
    )
    return client


async def _serve(ws: WebSocket, hub: Hub, session: Session, client: Client) -> None:
    """The connection's commands until it ends: on uvicorn with ``realtime.transport.wsproto``,
    each frame reaches ``Commands.receive`` from the socket's read callback (the direct read
    path); on any other ASGI server (Starlette's TestClient) a task reads them from ``receive``."""
    ext = ws.scope.get("extensions", {}).get(EXTENSION)
    proto: HubWebSocketProtocol | None = ext["protocol"] if ext is not None else None
    commands = Commands(hub, client, session, proto)
    feeder: asyncio.Task[None] | None = None
    if proto is not None:
        proto.deliver_to(commands.receive, commands.end)
    else:
        feeder = asyncio.create_task(_feed(ws, commands))
    try:
        await commands.serve()
    finally:
        if proto is not None:
            proto.on_message = proto.on_lost = None
        if feeder is not None:
            feeder.cancel()


async def _feed(ws: WebSocket, commands: Commands) -> None:
    """The ASGI read path (no ``wsproto``): every frame from ``receive`` to ``Commands.receive``."""
    try:
        assert commands.readable is not None
        while not commands.closed:
            await commands.readable.wait()
            data = await _receive(ws, None)
            if data is None:
                break
            commands.receive(data)
    finally:
        commands.end()


class Commands:
    """A connection's commands after ``hello``: one at a time, in the order they arrive, so that
    replies come back in the order of the commands (docs/protocol.md).

    Why not one task reading ``receive`` and awaiting each command, as before: every cast then
    crossed uvicorn's queue, Starlette's ``receive`` and two task switches, at 3,000 casts a second
    a large share of the hub's CPU per cast (docs/performance.md, "Issue 11: the cast path, second
    pass"). Now ``receive`` is called with each frame as it arrives; a command with a direct
    handler (``realtime.commands.table.DIRECT``: the cast) is started right there and answered from
    its batch's callback, with no task at all; every other command is run by the connection's task
    (``serve``), as before. Either way the next command starts only once the reply is written. Past
    ``RECEIVE_AHEAD`` waiting commands the socket is not read (TCP holds a flooding peer back)."""

    def __init__(
        self, hub: Hub, client: Client, session: Session, proto: HubWebSocketProtocol | None
    ) -> None:
        self.hub = hub
        self.client = client
        self.session = session
        self.proto = proto
        # Commands, and refusals to write in turn. A list, not a deque: it holds at most a few, and
        # an empty deque costs 600 bytes on every one of 3,000 connections (so does an Event).
        self.pending: list[Command[Any] | OutFrame] = []
        self.busy = False  # a command is being answered
        self.closed = False
        self.readable: asyncio.Event | None = None  # the ASGI read path's back pressure (``_hold``)
        if proto is None:
            self.readable = asyncio.Event()
            self.readable.set()
        self._held = False
        self._ordinary: Command[Any] | None = None  # for the task
        self._wake: asyncio.Future[None] | None = None

    # -- arrival: called from the socket's read callback, never awaits --------------------------
    def receive(self, data: bytes | str) -> None:
        if self.closed:
            return
        try:
            metrics.FRAMES_IN.inc()
            verdict = self.session.receive(data, time.monotonic())
            if isinstance(verdict, Close):
                self._abusive(verdict)
                return
            if isinstance(verdict, Reject):
                metrics.COMMANDS.labels("invalid", verdict.error.name).inc()
                self.pending.append(verdict.frame)
            else:
                self.pending.append(verdict.command)
            self._next()
            if len(self.pending) >= RECEIVE_AHEAD:
                self._hold(True)
        except Exception:  # a bug: this connection goes, the hub and the others stay
            log.exception("connection failed")
            close_connection(self.client.writer, CloseCode.GOING_AWAY, "try again")
            self.end()

    def end(self) -> None:
        """The connection is gone or closing: the commands not started are dropped (never
        answered, so the client sends them again, a cast with its nonce); ``serve`` returns after
        the one it runs, and a direct command in flight is answered into the closed writer."""
        self.closed = True
        self.pending.clear()
        if self.readable is not None:
            self.readable.set()
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    def _abusive(self, verdict: Close) -> None:
        writer = self.client.writer
        if verdict.frame:
            writer.write(verdict.frame, droppable=False)
        log.info(
            "closing abusive connection", extra={"conn_id": self.client.conn_id, "code": int(verdict.code)}
        )
        close_connection(writer, verdict.code, verdict.reason)
        self.end()

    def _hold(self, hold: bool) -> None:
        if hold == self._held:
            return
        self._held = hold
        if self.readable is None:
            assert self.proto is not None
            self.proto.hold_reading(hold)
        elif hold:
            self.readable.clear()
        else:
            self.readable.set()

    # -- one command at a time -------------------------------------------------------------------
    def _next(self) -> None:
        """Start the next commands, until one is being answered (refusals are written in turn)."""
        while not self.busy and self.pending and not self.closed:
            item = self.pending.pop(0)
            if isinstance(item, OutFrame):
                self.client.writer.write(item, droppable=False)
                continue
            self.busy = True
            name, t0 = registry.command_name(item), time.perf_counter()
            try:
                started = registry.start(
                    DIRECT, self.hub, self.client, item, partial(self._settle, item, name, t0)
                )
            except Exception as exc:  # refused at once (role, validation), or a bug
                _refused(self.client, self.session, item, name, t0, exc)
                self.busy = False
                continue
            if not started:
                self._ordinary = item
                if self._wake is not None and not self._wake.done():
                    self._wake.set_result(None)
        if self._held and len(self.pending) < RECEIVE_AHEAD:
            self._hold(False)

    def _settle(self, cmd: Command[Any], name: str, t0: float, outcome: Result | Exception | None) -> None:
        """A direct command's end (``registry.Done``): its reply or error, then the next command."""
        try:
            if outcome is None:  # not direct after all: the task runs it
                self._ordinary = cmd
                if self._wake is not None and not self._wake.done():
                    self._wake.set_result(None)
                return
            if isinstance(outcome, Exception):
                _refused(self.client, self.session, cmd, name, t0, outcome)
            else:
                _answered(self.client, name, t0)
                self.client.writer.write(self.session.reply(cmd.id, outcome), droppable=False)
                connection.after_reply(self.hub, self.client, outcome)
        except Exception:
            log.exception("connection failed")
            close_connection(self.client.writer, CloseCode.GOING_AWAY, "try again")
            self.end()
            return
        self.busy = False
        self._next()

    async def serve(self) -> None:
        """Run the commands that need a task, one at a time; returns once the connection ended."""
        loop = asyncio.get_running_loop()
        while not self.closed or self._ordinary is not None:  # a command started is finished
            cmd, self._ordinary = self._ordinary, None
            if cmd is None:
                self._wake = loop.create_future()
                await self._wake
                self._wake = None
                continue
            await _run(self.hub, self.client, self.session, cmd)
            self.busy = False
            self._next()


class TraceBudget:
    """A failure's traceback once per kind of exception every ``every`` seconds; the others of the
    same kind are logged with the exception's text only.

    Why: when Redis is slow or the hub starved, thousands of commands fail alike (a pool wait that
    runs out), and formatting a traceback for each was 43 % of such a hub's time in a profile
    (docs/performance.md, "Issue 14: proposals at scale"): the overload fed itself. One traceback
    per kind and interval still shows where each kind comes from."""

    def __init__(self, every: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.clock = clock
        self._last: dict[type, float] = {}

    def due(self, kind: type) -> bool:
        now = self.clock()
        if now - self._last.get(kind, -self.every) < self.every:
            return False
        self._last[kind] = now
        return True


_traces = TraceBudget()


def _log_command(
    client: Client,
    name: str,
    t0: float,
    err: HubError | None,
    exc: bool = False,
    cause: BaseException | None = None,
) -> None:
    """The one log line of a command (docs/operations.md "Logs"): who, what, the outcome, how long.

    Why these levels: ``ok`` is debug, so that 3,000 casts in a minute do not flood the log at
    info; a refusal is info (a client's mistake or a state that does not allow it, worth seeing
    but not a fault of the hub); a failure of the hub is error, with its traceback (once per kind
    every 10 s: ``TraceBudget``). Never the
    command's fields: a token or a ballot's content must not reach a log."""
    who = client.participant
    outcome = "ok" if err is None else err.name
    level = logging.ERROR if exc else logging.DEBUG if err is None else logging.INFO
    if not log.isEnabledFor(level):
        return
    traced = cause is not None and _traces.due(type(cause))
    log.log(
        level,
        "command",
        exc_info=(type(cause), cause, cause.__traceback__) if traced and cause is not None else False,
        extra={
            **({"error": repr(cause)} if cause is not None and not traced else {}),
            "command": name,
            "conn_id": client.conn_id,
            "participant": who.id,
            "role": who.role,
            "outcome": outcome,
            "code": None if err is None else int(err.code),
            "latency_ms": round((time.perf_counter() - t0) * 1000, 3),
        },
    )


def _refused(client: Client, session: Session, cmd: Any, name: str, t0: float, exc: Exception) -> None:
    """A command that failed: its error frame, counter and log line. A ``HubError`` is the
    command's own outcome; anything else (a bug, Redis gone) must not kill the connection."""
    if isinstance(exc, HubError):
        metrics.command_counter(name, exc.name).inc()
        _log_command(client, name, t0, exc)
        client.writer.write(session.error(cmd.id, exc), droppable=False)
        return
    metrics.command_counter(name, "internal").inc()
    retry = exc.__class__.__module__.startswith("redis")
    failure = HubError(Code.UNAVAILABLE if retry else Code.INTERNAL, "the hub could not do this now")
    _log_command(client, name, t0, failure, exc=True, cause=exc)
    client.writer.write(session.error(cmd.id, failure), droppable=False)


def _answered(client: Client, name: str, t0: float) -> None:
    metrics.command_counter(name, "ok").inc()
    if name == "vote.cast":  # the ops dashboard's cast-to-ack chart (realtime/ops/opsfeed.py)
        metrics.CAST_ACK.observe(time.perf_counter() - t0)
    _log_command(client, name, t0, None)


async def _run(hub: Hub, client: Client, session: Session, cmd: Any) -> None:
    name = registry.command_name(cmd)
    t0 = time.perf_counter()
    try:
        result = await registry.run(HANDLERS, hub, client, cmd)
    except Exception as exc:
        _refused(client, session, cmd, name, t0, exc)
        return
    _answered(client, name, t0)
    for i, frame in enumerate(session.replies(cmd.id, result)):  # several only for a long subscribe
        if i:
            await _drained(hub, client)
        client.writer.write(frame, droppable=False)
    connection.after_reply(hub, client, result)


async def _drained(hub: Hub, client: Client) -> None:
    """Wait until what waits for ``client`` is back under the write cap (or the connection is gone).

    Why: a subscribe reply in parts may carry a channel's whole history (1,000 events, MBs on a
    channel of large events); written at once it would pass the hard cap and abort the very
    client it is meant to bring back. Between parts no other reply and no event of that channel
    is written (its events wait in the subscription); events of other channels may be. A client
    that stops reading meanwhile is handled by the hub's stall check, as always."""
    cap = hub.settings.write_cap
    deadline = time.monotonic() + hub.settings.stall_timeout
    while client.writer.buffered() > cap and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
