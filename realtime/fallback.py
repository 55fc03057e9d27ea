"""The protocol over HTTP, for networks that block WebSockets: ``POST /sse`` opens a stream of the
hub's frames (server-sent events), ``POST /sse/cmd`` carries the client's commands.

Why not a second protocol: a fallback connection is a ``Client`` like a WebSocket one, with an
``SseWriter`` (``realtime.transport.sse``) instead of a WebSocket writer. The same ``Session``
(hello first, the per-connection rate, the flood and garbage closes), the same admission
(``realtime.endpoint.admit_hello``: the token, a slot among the participant's connections over every
hub, ``welcome``), the same ``Commands`` (one at a time, in order, the per-participant buckets of
``realtime.commands.registry``), the same subscriptions, fan-out, recovery and slow-reader policy.
Only the bytes differ: each server frame is one ``data:`` event carrying the WebSocket's JSON text
frame, and a close is a last ``close`` event with the WebSocket's close code.

- ``POST /sse``: the body is the ``hello`` frame (so the token never travels in a URL, which
  proxies and the hub log). The answer is ``200 text/event-stream`` at once: first an event
  ``session`` with the stream's session id, then the hello's ``reply`` (``welcome``) or its
  ``error`` and a ``close`` event, exactly as a WebSocket would have carried them. Refused before
  the stream like the WebSocket's upgrade: a foreign ``Origin`` (403 ``bad_origin``), a hub that is
  not ready (503 ``unavailable``), a body over ``max_frame`` (``too_large``).
- ``POST /sse/cmd``: header ``X-Plenary-Session: <id>``, body one or more command frames, one per
  line (JSON never holds a raw line break), at most ``max_frame`` bytes in all. Answered 204 once
  the commands are queued; their replies come on the stream, in order. An unknown or ended session
  gets 400 ``not_authenticated`` (open a new stream); a body too large gets ``too_large`` and the
  stream is closed with 1009, as the WebSocket closes a frame over the cap.

The session id is 192 random bits, held only in this process's table and in a header (never in a
path or a query: the server logs URLs), and names one admitted connection of one participant: it is
the stream's capability, as the open socket is the WebSocket's. The stream and its commands must
reach the same hub: the load balancer keeps ``/sse`` requests of a client on one hub by a cookie or
the client's address (docs/operations.md).

A WebSocket peer that stops answering pings is closed after 40 s; an HTTP client cannot be pinged,
so a stream with no command for ``IDLE_TIMEOUT`` seconds is closed (1001, reconnect): the page sends
a ``ping`` every 25 s.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass, field
from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from engine.errors import Code, HubError
from realtime.endpoint import Commands, admit_hello, close_connection, release
from realtime.fanout.hub import Hub
from realtime.http.routes import error_response, hub_of, read_body
from realtime.ops import metrics
from realtime.protocol.closecodes import CloseCode
from realtime.protocol.codec import CODECS, JSON
from realtime.protocol.messages import Hello
from realtime.protocol.session import Accept, Close, Limits, Session
from realtime.transport.client import Client
from realtime.transport.sse import HEADERS, SSE_CODEC, SseWriter
from realtime.transport.writers import bound_send_buffer

log = logging.getLogger("plenary.sse")

SESSION_HEADER = "x-plenary-session"
IDLE_TIMEOUT = 90.0
"""Seconds without a command after which a stream is closed: the page pings every 25 s, a hidden
tab's timers may be held to once a minute."""
CHECK_EVERY = 5.0
EXTENSION = "plenary.http_transport"
"""The scope extension under which ``stash_transport`` leaves uvicorn's transport of ``POST /sse``."""
LABEL = "sse"  # the connection metrics' codec label of a fallback connection


@dataclass
class Stream:
    """One open fallback connection, found by its session id."""

    participant: str
    commands: Commands
    writer: SseWriter
    last_seen: float = field(default_factory=time.monotonic)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one POST's commands at a time, in order


STREAMS: dict[str, Stream] = {}
"""This hub's open streams by session id."""


def stash_transport(scope: Scope, send: Send) -> None:
    """Called by the app for ``POST /sse`` with uvicorn's own ``send``, before Starlette wraps it:
    keeps the connection's transport in the scope, so that the writer sees its buffer (the slow
    reader policy) and can abort it. ``send`` is a bound method of uvicorn's request cycle, whose
    ``transport`` is the socket's; under any other server there is none, and the writer counts
    its own queue only (the same reliance on uvicorn's internals as ``realtime.transport.wsproto``,
    and the reason uvicorn is pinned)."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    # Duck-typed: uvloop's transports are not registered as asyncio.Transport subclasses.
    if all(hasattr(transport, name) for name in ("get_write_buffer_size", "abort", "is_closing")):
        scope.setdefault("extensions", {})[EXTENSION] = transport


def close_all(code: CloseCode, reason: str) -> None:
    """Close every stream of this hub with ``code``: the hub is stopping. uvicorn sends its
    WebSockets 1012 by itself, but lets an HTTP response run to its end (the stream: never) until
    its graceful timeout, then cuts it without a close event; called by ``cli.serve`` at the first
    stop signal, so that a stream's client hears 1012 and reconnects elsewhere at once, like a
    WebSocket's."""
    for stream in tuple(STREAMS.values()):
        close_connection(stream.writer, code, reason)
        stream.commands.end()


def _foreign(request: Request, hub: Hub) -> HubError | None:
    """The WebSocket's origin rule (``realtime.endpoint.websocket_endpoint``), on both routes."""
    origin = request.headers.get("origin")
    if origin is not None and origin not in hub.settings.origins():
        log.info("origin refused", extra={"origin": origin[:200]})
        return HubError(Code.BAD_ORIGIN, "this origin may not connect")
    return None


def _too_large(hub: Hub) -> HubError:
    return HubError(Code.TOO_LARGE, f"at most {hub.settings.max_frame} bytes of frames per request")


def _text(data: bytes) -> str | bytes:
    """A frame as the JSON codec takes it; bytes that are not UTF-8 stay bytes (``bad_frame``)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


async def open_stream(request: Request) -> Response:
    """``POST /sse``: the stream of one fallback connection (module doc)."""
    hub = hub_of(request)
    refusal = _foreign(request, hub)
    if refusal is None and (not hub.ready or hub.cut_off):
        refusal = HubError(Code.UNAVAILABLE, "the hub is starting, stopping or without Redis")
    if refusal is not None:
        return error_response(refusal)
    try:
        hello = await read_body(request, hub.settings.max_frame, _too_large(hub))
    except HubError as err:
        return error_response(err)
    return EventStream(hub, hello)


async def command(request: Request) -> Response:
    """``POST /sse/cmd``: commands of an open stream, one per line (module doc)."""
    hub = hub_of(request)
    refusal = _foreign(request, hub)
    if refusal is not None:
        return error_response(refusal)
    stream = STREAMS.get(request.headers.get(SESSION_HEADER, ""))
    if stream is None or stream.commands.closed:
        return error_response(
            HubError(Code.NOT_AUTHENTICATED, "no open stream has this session: open one with POST /sse")
        )
    try:
        body = await read_body(request, hub.settings.max_frame, _too_large(hub))
    except HubError as err:
        if err.code is Code.TOO_LARGE:
            close_connection(stream.writer, CloseCode.MESSAGE_TOO_BIG, "request too big")
            stream.commands.end()
        return error_response(err)
    stream.last_seen = time.monotonic()
    commands = stream.commands
    # A request without a frame is an empty frame: a bad_frame error, counted toward 4010 like any
    # garbage, so that empty requests cannot be sent for free.
    frames = [line for line in body.split(b"\n") if line.strip()] or [b""]
    async with stream.lock:
        for line in frames:
            if commands.readable is not None:  # past RECEIVE_AHEAD waiting commands: wait here
                await commands.readable.wait()
            if commands.closed:
                break
            commands.receive(_text(line))
    return Response(status_code=204)


class EventStream(Response):
    """The streaming answer of ``POST /sse``: a whole connection's life, from hello to close."""

    def __init__(self, hub: Hub, hello: bytes) -> None:
        super().__init__(status_code=200)
        self.hub = hub
        self.hello = hello

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hub, s = self.hub, self.hub.settings
        sid = secrets.token_urlsafe(24)
        # The session id in a header too: a balancer keeps the commands on this hub by it
        # (deploy/haproxy.cfg ``stick store-response``); the event below is what the page reads.
        headers = [*HEADERS, (SESSION_HEADER.encode(), sid.encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        transport = scope.get("extensions", {}).get(EXTENSION)
        if transport is not None:
            bound_send_buffer(transport, s.send_buffer)
        # uvicorn chunks a body of unknown length over HTTP/1.1: the writer may then write the chunks
        # itself, and the stream takes the fan-out's direct path (realtime/transport/sse.py).
        chunked = transport is not None and scope.get("http_version") == "1.1"
        writer = SseWriter(send, transport, s.write_cap, s.hard_cap, chunked=chunked)
        sender = asyncio.create_task(writer.run())
        gone = asyncio.create_task(_disconnected(receive))
        metrics.CONNECTIONS.labels(LABEL).inc()
        metrics.CONNECTIONS_TOTAL.labels(LABEL).inc()
        codec = SSE_CODEC if writer.direct() is not None else CODECS[JSON]
        session = Session(codec, Limits(rate=s.rate, burst=s.burst), time.monotonic())  # as /ws
        client: Client | None = None
        try:
            writer.event("session", sid)
            client = await _hello(hub, session, writer, self.hello)
            if client is not None:
                writer.on_close = partial(hub.quiet, client)  # closed by anyone: off the live lists first
                stream = STREAMS[sid] = Stream(
                    client.participant.id, Commands(hub, client, session, None), writer
                )
                await _serve(stream, sender, gone)
        except Exception:  # Redis gone mid-hello or a bug: close so the client retries elsewhere
            log.exception("stream failed")
            close_connection(writer, CloseCode.GOING_AWAY, "try again")
        finally:
            STREAMS.pop(sid, None)
            metrics.CONNECTIONS.labels(LABEL).dec()
            if client is not None:
                absent = await hub.drop_client(client)
                await release(hub, client, absent)
            await _finish(writer, sender, gone, s.stall_timeout)


async def _disconnected(receive: Receive) -> None:
    """Returns once the peer is gone (the request's body was read already)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _hello(hub: Hub, session: Session, writer: SseWriter, body: bytes) -> Client | None:
    """The stream's one ``hello``: admitted, or refused with its error and a close. A WebSocket
    waits for a good hello after a bad frame; a stream has only the one, so it closes with 4001."""
    metrics.FRAMES_IN.inc()
    verdict = session.receive(_text(body), time.monotonic())
    if isinstance(verdict, Accept):
        assert isinstance(verdict.command, Hello)  # the session accepts nothing else first
        return await admit_hello(hub, session, writer, verdict.command)
    if verdict.frame is not None:
        writer.write(verdict.frame, droppable=False)
    if isinstance(verdict, Close):
        close_connection(writer, verdict.code, verdict.reason)
    else:
        close_connection(writer, CloseCode.AUTH_TIMEOUT, "hello expected")
    return None


async def _serve(stream: Stream, sender: asyncio.Task[None], gone: asyncio.Task[None]) -> None:
    """Run the stream's commands until it ends: the commands closed it (abuse, revoked, the hub
    closing), its writer ended (closed, aborted as a slow reader), the peer left, or it went idle."""
    commands = stream.commands
    serving = asyncio.create_task(commands.serve())
    try:
        while True:
            done, _ = await asyncio.wait(
                {serving, sender, gone}, timeout=CHECK_EVERY, return_when=asyncio.FIRST_COMPLETED
            )
            if serving in done:
                break
            if gone in done:
                stream.writer.abort()
            if done:  # the peer left or the writer ended: the command being run finishes, no other
                commands.end()
                break
            if time.monotonic() - stream.last_seen > IDLE_TIMEOUT:
                close_connection(stream.writer, CloseCode.GOING_AWAY, "no command for too long")
                commands.end()
                break
        await serving
    finally:
        if not serving.done():
            commands.end()
            await serving


async def _finish(
    writer: SseWriter, sender: asyncio.Task[None], gone: asyncio.Task[None], wait: float
) -> None:
    """Let the writer send what waits (the close event) for at most ``wait`` seconds, then end."""
    if not writer.closing:
        close_connection(writer, CloseCode.GOING_AWAY, "try again")
    try:
        await asyncio.wait({sender, gone}, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not sender.done():
            writer.abort()
            await asyncio.wait({sender}, timeout=1.0)
        sender.cancel()
        gone.cancel()
