"""What the fan-out bench's comparison servers share: the event they broadcast and their control loop.

The comparison servers (``loadtest.fanout_socketio``, ``loadtest.fanout_websockets``) serve the
same peers as the hub and are measured the same way: the bench reads their CPU from outside, the
peers count what arrives. So that the comparison is of fan-out paths and not of messages, each
broadcasts the message the hub sends in its one-event window (an ``event`` on a meeting's
``agenda``, built here once), encoded the way that library encodes it, one event per frame.

Control is the floor's (``loadtest.fanout_floor``): JSON lines on stdin and stdout. On start a
server prints ``{"port": P, "frame_bytes": B}`` (its listening port and the wire size of one of its
frames); then ``{"op": "clients"}`` answers how many clients it holds, ``{"op": "burst", "rounds":
R, "rate": HZ}`` broadcasts R events paced at HZ and answers what it sent and its own CPU time, and
``{"op": "quit"}`` ends it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from realtime.protocol.messages import Event

CHANNEL = "meeting/b1/agenda"
EPOCH = "1764000000123456"


def agenda_event(k: int) -> Event:
    """The k-th event of the hub's one-event window, as the hub would send it (offset, server time)."""
    return Event(
        channel=CHANNEL, epoch=EPOCH, offset=k + 1, time=int(time.time() * 1000), event="item", data={"i": k}
    )


def as_dict(ev: Event) -> dict[str, Any]:
    """The same message as a plain dict with its ``type`` tag (what a JSON library would send)."""
    out: dict[str, Any] = msgspec.to_builtins(ev)
    return out


def say(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def control(broadcast: Callable[[int], Awaitable[object]], clients: Callable[[], int]) -> None:
    """Answer the bench's commands on stdin until ``quit`` or end of input.

    ``broadcast(k)`` must send the k-th event to every client (it may return before the frames are
    written: the bench waits for the peers' counts, not for this reply); ``clients()`` is how many
    clients are connected now.
    """
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    k = 0
    while line := await reader.readline():
        if not line.strip():
            continue
        cmd = json.loads(line)
        op = cmd.get("op")
        if op == "quit":
            say({"ok": True})
            return
        if op == "clients":
            say({"ok": True, "clients": clients()})
        elif op == "burst":
            rounds, period = int(cmd["rounds"]), 1.0 / float(cmd["rate"])
            n = clients()
            c0, w0 = time.process_time(), time.monotonic()
            due = w0
            for _ in range(rounds):
                await broadcast(k)
                k += 1
                due += period
                await asyncio.sleep(max(0.0, due - time.monotonic()))
            say(
                {
                    "ok": True,
                    "sent": rounds * n,
                    "cpu": time.process_time() - c0,
                    "wall": time.monotonic() - w0,
                }
            )
        else:
            say({"ok": False, "error": f"unknown op {op!r}"})


def frame_size(payload_bytes: int) -> int:
    """Wire size of an unmasked server frame carrying ``payload_bytes`` (RFC 6455 5.2)."""
    return payload_bytes + (2 if payload_bytes < 126 else 4 if payload_bytes < 1 << 16 else 10)
