"""A python-socketio server for the fan-out bench: the hub's event, emitted to every client.

The usual way to serve Socket.IO from Python on the hub's stack: ``socketio.AsyncServer`` as an
ASGI app (``socketio.ASGIApp``) on uvicorn with uvloop and uvicorn's default WebSocket
implementation (``ws="auto"``: websockets' sans-I/O protocol when websockets is installed), clients on the WebSocket transport only (Engine.IO v4), the default namespace, no
Redis manager (one process; with ``AsyncRedisManager`` every emit also goes through Redis, which
only adds to its cost). Each broadcast is one ``await sio.emit("event", data)`` with the dict of the
hub's ``agenda`` event (``loadtest.fanout_control``): python-socketio encodes the packet once and
queues it to every client, whose Engine.IO writer task sends it as one JSON text frame.

The Engine.IO ping interval is ``--ping-interval`` (default an hour, as the bench's hub has its
WebSocket ping: pings landing in random windows are not the per-frame cost); the peers answer pings
all the same. Run by ``loadtest.bench_fanout`` (control: ``loadtest.fanout_control``), listening on
127.0.0.1 only: ``python -m loadtest.fanout_socketio [--ping-interval S]``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
from typing import Any

import socketio
import uvicorn
import uvloop
from socketio import packet

from loadtest.fanout_control import agenda_event, as_dict, control, frame_size, say

EVENT = "event"


def build(ping_interval: float) -> tuple[socketio.AsyncServer, set[str]]:
    """The server and the live set of connected session ids it keeps up to date."""
    sio = socketio.AsyncServer(
        async_mode="asgi",
        transports=["websocket"],
        ping_interval=ping_interval,
        ping_timeout=ping_interval,
        logger=False,
        engineio_logger=False,
    )
    sids: set[str] = set()

    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        sids.add(sid)

    async def disconnect(sid: str, *reason: Any) -> None:
        sids.discard(sid)

    sio.on("connect", connect)
    sio.on("disconnect", disconnect)
    return sio, sids


def wire_bytes() -> int:
    """One broadcast frame on the wire: Engine.IO ``4`` (message) + Socket.IO ``2["event",{...}]``."""
    text = "4" + packet.Packet(packet.EVENT, data=[EVENT, as_dict(agenda_event(0))]).encode()
    return frame_size(len(text.encode()))


async def amain(ping_interval: float) -> int:
    sio, sids = build(ping_interval)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    config = uvicorn.Config(
        socketio.ASGIApp(sio),
        loop="none",  # already on uvloop (uvloop.run below)
        lifespan="off",
        log_level="warning",
        access_log=False,
        ws_ping_interval=None,  # Engine.IO has its own ping
        ws_per_message_deflate=False,
        backlog=4096,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if serving.done():
            return 1
        await asyncio.sleep(0.02)
    say({"port": sock.getsockname()[1], "frame_bytes": wire_bytes()})

    async def broadcast(k: int) -> None:
        await sio.emit(EVENT, as_dict(agenda_event(k)))

    try:
        await control(broadcast, lambda: len(sids))
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ping-interval", type=float, default=3600.0)
    args = ap.parse_args(argv)
    logging.getLogger("engineio").setLevel(logging.WARNING)
    return uvloop.run(amain(args.ping_interval))


if __name__ == "__main__":
    raise SystemExit(main())
