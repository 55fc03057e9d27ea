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
from typing import Any

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket

from engine.errors import CATALOGUE, Code, HubError, LimitError
from moderation import chat
from realtime import roles
from realtime.commands import connection, registry
from realtime.commands.table import HANDLERS
from realtime.fanout.hub import Hub
from realtime.ops import metrics
from realtime.protocol.closecodes import CloseCode
from realtime.protocol.codec import CODECS, SUBPROTOCOLS
from realtime.protocol.messages import Hello, Welcome
from realtime.protocol.session import Accept, Close, Limits, Reject, Session, Trigger
from realtime.transport.client import Client
from realtime.transport.writers import QueueWriter, TransportWriter, Writer, bound_send_buffer
from realtime.transport.wsproto import EXTENSION

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
    if not hub.ready:
        await deny(ws, Code.UNAVAILABLE, "the hub is starting or stopping")
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
        _close(writer, CloseCode.GOING_AWAY, "try again")
    finally:
        metrics.CONNECTIONS.labels(chosen).dec()
        if client is not None:
            absent = await hub.drop_client(client)
            await _release(hub, client, absent)
        if isinstance(writer, QueueWriter):
            writer.stop()


async def _release(hub: Hub, client: Client, absent: bool = False) -> None:
    """Free the connection's slot (and with ``absent`` its participant's presence on this hub); if
    Redis is gone the slot frees itself when this hub stops or dies, and the presence expires with
    this hub's presence set (30 s after its last heartbeat)."""
    try:
        await hub.slots.release(client.participant.id, client.conn_id, absent)
    except Exception:
        log.warning("connection slot not released", extra={"conn_id": client.conn_id})


def _close(writer: Writer, code: CloseCode, reason: str) -> None:
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
            _close(writer, CloseCode.AUTH_TIMEOUT, "hello expected")
            return None
        if data is None:
            return None
        metrics.FRAMES_IN.inc()
        verdict = session.receive(data, time.monotonic())
        if isinstance(verdict, Close):
            if verdict.frame:
                writer.write(verdict.frame, droppable=False)
            _close(writer, verdict.code, verdict.reason)
            return None
        if isinstance(verdict, Reject):
            writer.write(verdict.frame, droppable=False)
            continue
        hello = verdict.command
        assert isinstance(hello, Hello)
        who = await hub.roster.authenticate(hello.token)
        if who is None:
            session.fire(Trigger.HELLO_FAILED)
            err = HubError(Code.BAD_TOKEN, "this link is not valid (expired or revoked): ask the organisers")
            metrics.COMMANDS.labels("hello", "bad_token").inc()
            log.info("hello refused", extra={"outcome": "bad_token"})
            writer.write(session.error(hello.id, err), droppable=False)
            _close(writer, CloseCode.BAD_TOKEN, "bad token")
            return None
        client = Client(who, session.codec, writer)
        try:  # one slot per connection over every hub; the role's limit refuses the one past it
            await hub.slots.admit(who.id, client.conn_id, roles.max_connections(who.role))
        except LimitError as err:
            session.fire(Trigger.HELLO_FAILED)
            metrics.COMMANDS.labels("hello", err.name).inc()
            log.info("hello refused", extra={"participant": who.id, "role": who.role, "outcome": err.name})
            writer.write(session.error(hello.id, err), droppable=False)
            _close(writer, CloseCode.TOO_MANY_CONNECTIONS, "too many connections")
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
                "rate": int(session.limits.rate),
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
    writer = client.writer
    while True:
        data = await _receive(ws, None)
        if data is None:
            return
        metrics.FRAMES_IN.inc()
        verdict = session.receive(data, time.monotonic())
        if isinstance(verdict, Close):
            if verdict.frame:
                writer.write(verdict.frame, droppable=False)
            log.info(
                "closing abusive connection", extra={"conn_id": client.conn_id, "code": int(verdict.code)}
            )
            _close(writer, verdict.code, verdict.reason)
            return
        if isinstance(verdict, Reject):
            metrics.COMMANDS.labels("invalid", verdict.error.name).inc()
            writer.write(verdict.frame, droppable=False)
            continue
        assert isinstance(verdict, Accept)
        await _run(hub, client, session, verdict.command)


def _log_command(client: Client, name: str, t0: float, err: HubError | None, exc: bool = False) -> None:
    """The one log line of a command (docs/operations.md "Logs"): who, what, the outcome, how long.

    Why these levels: ``ok`` is debug, so that 3,000 casts in a minute do not flood the log at
    info; a refusal is info (a client's mistake or a state that does not allow it, worth seeing
    but not a fault of the hub); a failure of the hub is error, with its traceback. Never the
    command's fields: a token or a ballot's content must not reach a log."""
    who = client.participant
    outcome = "ok" if err is None else err.name
    level = logging.ERROR if exc else logging.DEBUG if err is None else logging.INFO
    if not log.isEnabledFor(level):
        return
    log.log(
        level,
        "command",
        exc_info=exc,
        extra={
            "command": name,
            "conn_id": client.conn_id,
            "participant": who.id,
            "role": who.role,
            "outcome": outcome,
            "code": None if err is None else int(err.code),
            "latency_ms": round((time.perf_counter() - t0) * 1000, 3),
        },
    )


async def _run(hub: Hub, client: Client, session: Session, cmd: Any) -> None:
    name = registry.command_name(cmd)
    t0 = time.perf_counter()
    try:
        result = await registry.run(HANDLERS, hub, client, cmd)
    except HubError as err:
        metrics.command_counter(name, err.name).inc()
        _log_command(client, name, t0, err)
        client.writer.write(session.error(cmd.id, err), droppable=False)
        return
    except Exception as exc:  # a bug or Redis failure must not kill the connection
        metrics.command_counter(name, "internal").inc()
        retry = exc.__class__.__module__.startswith("redis")
        failure = HubError(Code.UNAVAILABLE if retry else Code.INTERNAL, "the hub could not do this now")
        _log_command(client, name, t0, failure, exc=True)
        client.writer.write(session.error(cmd.id, failure), droppable=False)
        return
    metrics.command_counter(name, "ok").inc()
    _log_command(client, name, t0, None)
    for i, frame in enumerate(session.replies(cmd.id, result)):  # several only for a long subscribe
        if i:
            await _drained(hub, client)
        client.writer.write(frame, droppable=False)
    connection.after_reply(client, result)


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
