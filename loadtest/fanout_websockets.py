"""A ``websockets`` server for the fan-out bench: the hub's frame, sent with ``websockets.broadcast``.

The library's own answer to fan-out (its "Broadcasting" guide): ``websockets.broadcast(connections,
message)`` frames the message for every open connection (``protocol.send_binary``, then
``send_data``) and writes it without awaiting any of them, with no backpressure. The server is ``websockets.asyncio.server``
on uvloop (as the hub runs), no compression, the hub's subprotocol (``plenary.v1.msgpack``) so the
peers' handshake is the hub's; each broadcast is the hub's ``agenda`` event (``loadtest.
fanout_control``) encoded once in msgpack, so its frames are byte for byte the size of the hub's.

The keepalive ping is every ``--ping-interval`` seconds (default an hour, as the bench's hub).
Run by ``loadtest.bench_fanout`` (control: ``loadtest.fanout_control``), listening on 127.0.0.1
only: ``python -m loadtest.fanout_websockets [--ping-interval S]``.
"""

from __future__ import annotations

import argparse
import socket

import msgspec
import uvloop
import websockets
from websockets.asyncio.server import ServerConnection, serve

from loadtest.fanout_control import agenda_event, control, frame_size, say
from loadtest.fanout_peers import SUBPROTOCOL


async def amain(ping_interval: float) -> int:
    conns: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        conns.add(ws)
        try:
            await ws.wait_closed()
        finally:
            conns.discard(ws)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    encode = msgspec.msgpack.Encoder().encode
    async with serve(
        handler,
        sock=sock,
        subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
        compression=None,
        ping_interval=ping_interval,
        ping_timeout=ping_interval,
    ):
        say({"port": sock.getsockname()[1], "frame_bytes": frame_size(len(encode(agenda_event(0))))})

        async def broadcast(k: int) -> None:
            websockets.broadcast(conns, encode(agenda_event(k)))

        await control(broadcast, lambda: len(conns))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ping-interval", type=float, default=3600.0)
    args = ap.parse_args(argv)
    return uvloop.run(amain(args.ping_interval))


if __name__ == "__main__":
    raise SystemExit(main())
