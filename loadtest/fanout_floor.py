"""The floor of the fan-out benchmark: a pre-built WebSocket frame, ``socket.send`` to every socket.

Nothing is cheaper in Python than this loop: one non-blocking ``send`` of the same bytes per
connection, on sockets with ``TCP_NODELAY`` (uvloop sets it on every connection; with Nagle on the
kernel merges segments and the floor reads about twice as cheap). The hub's broadcast is compared
with it in the same run, on the same core, read by the same peers.

Control (JSON lines): on start it prints ``{"port": P}``, accepts ``--n`` connections and prints
``{"accepted": n}``; then ``{"op": "burst", "rounds": R, "rate": HZ}`` sends R rounds (one frame
to every socket per round, rounds paced at HZ) and replies with what it sent and its own CPU time
(``time.process_time``); ``{"op": "quit"}`` ends it. Run by ``loadtest.bench_fanout``.

``--uvloop``: the same rounds written with ``transport.write`` on uvloop transports (asyncio
protocols on accepted sockets, as uvicorn has them): what uvloop's write path costs over a plain
``send`` before any hub code runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import time
from collections.abc import Callable


def frame_of(size: int) -> bytes:
    """A complete, unmasked binary frame of ``size`` bytes in all (header included)."""
    if size < 2 + 126:
        return bytes((0x82, size - 2)) + b"x" * (size - 2)
    return bytes((0x82, 126)) + (size - 4).to_bytes(2, "big") + b"x" * (size - 4)


def say(obj: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--frame-bytes", type=int, default=100)
    ap.add_argument("--nodelay", type=int, default=1)
    ap.add_argument("--accept-timeout", type=float, default=120.0)
    ap.add_argument("--uvloop", action="store_true", help="write through uvloop transports")
    args = ap.parse_args(argv)

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("127.0.0.1", 0))
    ls.listen(4096)
    ls.settimeout(args.accept_timeout)
    say({"port": ls.getsockname()[1]})
    socks: list[socket.socket] = []
    try:
        while len(socks) < args.n:
            s, _ = ls.accept()
            if args.nodelay:
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.setblocking(False)
            socks.append(s)
    except TimeoutError:
        say({"accepted": len(socks), "error": "accept timed out"})
        return 1
    ls.close()
    say({"accepted": len(socks)})
    frame = frame_of(args.frame_bytes)
    if args.uvloop:
        import uvloop

        return uvloop.run(serve_uvloop(socks, frame))

    def send_all() -> tuple[int, int, int]:
        sent = partial = eagain = 0
        for s in socks:
            try:
                if s.send(frame) == len(frame):
                    sent += 1
                else:
                    partial += 1  # the peer's framing is now broken: the run is flagged
            except BlockingIOError:
                eagain += 1
        return sent, partial, eagain

    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        if cmd["op"] == "quit":
            say({"ok": True})
            break
        if cmd["op"] != "burst":
            say({"ok": False, "error": f"unknown op {cmd['op']!r}"})
            continue
        say(burst(cmd, send_all, time.sleep, len(frame)))
    for s in socks:
        s.close()
    return 0


def burst(
    cmd: dict[str, object],
    send_all: Callable[[], tuple[int, int, int]],
    sleep: Callable[[float], object],
    size: int,
) -> dict[str, object]:
    rounds, period = int(cmd["rounds"]), 1.0 / float(cmd["rate"])  # type: ignore[call-overload,arg-type]
    sent = partial = eagain = 0
    c0, w0 = time.process_time(), time.monotonic()
    due = w0
    for _ in range(rounds):
        s, p, e = send_all()
        sent, partial, eagain = sent + s, partial + p, eagain + e
        due += period
        delay = due - time.monotonic()
        if delay > 0:
            sleep(delay)
    c1, w1 = time.process_time(), time.monotonic()
    return {
        "ok": True,
        "sent": sent,
        "partial": partial,
        "eagain": eagain,
        "cpu": c1 - c0,
        "wall": w1 - w0,
        "frame_bytes": size,
    }


async def serve_uvloop(socks: list[socket.socket], frame: bytes) -> int:
    loop = asyncio.get_running_loop()
    transports: list[asyncio.WriteTransport] = []

    class Sink(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            transports.append(transport)  # type: ignore[arg-type]

    for s in socks:
        await loop.connect_accepted_socket(Sink, s)

    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        if not line.strip():
            continue
        cmd = json.loads(line)
        if cmd["op"] == "quit":
            say({"ok": True})
            break
        if cmd["op"] != "burst":
            say({"ok": False, "error": f"unknown op {cmd['op']!r}"})
            continue
        rounds, period = int(cmd["rounds"]), 1.0 / float(cmd["rate"])
        c0, w0 = time.process_time(), time.monotonic()
        due = w0
        for _ in range(rounds):
            for t in transports:
                t.write(frame)
            due += period
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        c1, w1 = time.process_time(), time.monotonic()
        say(
            {
                "ok": True,
                "sent": rounds * len(transports),
                "partial": 0,
                "eagain": sum(t.get_write_buffer_size() > 0 for t in transports),  # still buffered
                "cpu": c1 - c0,
                "wall": w1 - w0,
                "frame_bytes": len(frame),
            }
        )
    for t in transports:
        t.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
