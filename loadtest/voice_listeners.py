"""A generator process of listening consoles for ``loadtest.bench_voice`` (issue 16).

The benchmark spreads its listeners over several of these processes (each one Python thread of
aiortc peers, decoding what it hears), pinned off the hub's core, so that the listeners' side does
not starve before the hub does. The orchestrator talks to each over its stdin and stdout, one JSON
object a line:

- ``{"op": "add", "tokens": [...]}``: each token's console connects (protocol v1 over WebSocket),
  ``voice.listen``s to the meeting and waits for its first frame (up to 20 s; ICE and DTLS done);
  answers ``{"added": n, "hearing": h}`` (h: how many of all this process's consoles hear);
- ``{"op": "mark"}``: answers ``{"frames": [...], "heard": [[...], ...]}``, each listener's frames
  received in total and the burst onsets (wall clock) heard since the previous mark;
- ``{"op": "quit"}`` (or stdin closed): closes every peer and connection, exits.

An op that fails answers ``{"error": "..."}`` (the orchestrator ends its ramp there); an add waits
for all its listeners, those that failed included, before answering. ``--fail-after N`` makes an
add beyond N listeners fail on purpose: the benchmark's failure path, tested.

Run by the benchmark: ``python -m loadtest.voice_listeners --url ws://... --meeting m1``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import sys
from typing import Any

import websockets

from loadtest.voice_peers import Ear, listen


class Conn:
    """A protocol v1 JSON client: ``call(kind, **fields)`` -> the result (raises on an error)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future[Any]] = {}
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for data in self.ws:
                msg = json.loads(data)
                fut = self.waiting.pop(msg.get("id"), None) if msg.get("type") in ("reply", "error") else None
                if fut is not None and not fut.done():
                    fut.set_result(msg)

    async def call(self, kind: str, **fields: Any) -> Any:
        cid = next(self.ids)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting[cid] = fut
        await self.ws.send(json.dumps({"type": kind, "id": cid, **fields}))
        msg = await asyncio.wait_for(fut, 20)
        if msg["type"] != "reply":
            raise RuntimeError(f"{kind}: {msg.get('name')} {msg.get('message')}")
        return msg["result"]

    @classmethod
    async def open(cls, url: str, token: str) -> Conn:
        ws = await websockets.connect(url, subprotocols=[websockets.Subprotocol("plenary.v1.json")])
        conn = cls(ws)
        await conn.call("hello", token=token)
        return conn

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()


class Listeners:
    """This process's consoles: their connections, peers and ears."""

    def __init__(self, url: str, meeting: str, fail_after: int | None = None) -> None:
        self.url, self.meeting = url, meeting
        self.fail_after = fail_after
        self.conns: list[Conn] = []
        self.pcs: list[Any] = []
        self.ears: list[Ear] = []
        self.marks: list[int] = []

    async def add_one(self, token: str) -> None:
        conn = await Conn.open(self.url, token)
        self.conns.append(conn)
        pc, _, ear_f = await listen(conn.call, self.meeting)
        self.pcs.append(pc)
        ear = await asyncio.wait_for(ear_f, 20)
        # the track comes with the answer, before ICE and DTLS: a listener counts once it hears
        for _ in range(200):
            if ear.frames:
                break
            await asyncio.sleep(0.1)
        self.ears.append(ear)
        self.marks.append(len(ear.heard))

    async def add(self, tokens: list[str]) -> dict[str, Any]:
        if self.fail_after is not None and len(self.conns) + len(tokens) > self.fail_after:
            raise RuntimeError(f"told to fail after {self.fail_after} listeners (--fail-after)")
        # every one finished before answering, even when one fails: nothing left half added
        done = await asyncio.gather(*(self.add_one(t) for t in tokens), return_exceptions=True)
        for d in done:
            if isinstance(d, BaseException):
                raise d
        return {"added": len(tokens), "hearing": sum(1 for e in self.ears if e.frames)}

    def mark(self) -> dict[str, Any]:
        heard = [e.heard[m:] for e, m in zip(self.ears, self.marks, strict=True)]
        self.marks = [len(e.heard) for e in self.ears]
        return {"frames": [e.frames for e in self.ears], "heard": heard}

    async def close(self) -> None:
        for p in self.pcs:
            with contextlib.suppress(Exception):
                await p.close()
        for c in self.conns:
            with contextlib.suppress(Exception):
                await c.close()


async def serve(url: str, meeting: str, fail_after: int | None = None) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    listeners = Listeners(url, meeting, fail_after)
    try:
        while line := await reader.readline():
            cmd = json.loads(line)
            try:
                if cmd["op"] == "add":
                    out = await listeners.add(cmd["tokens"])
                elif cmd["op"] == "mark":
                    out = listeners.mark()
                else:
                    break
            except Exception as e:  # told to the orchestrator, which stops the run
                out = {"error": f"{type(e).__name__}: {e}"}
            sys.stdout.write(json.dumps(out) + "\n")
            sys.stdout.flush()
    finally:
        await listeners.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--meeting", required=True)
    p.add_argument(
        "--fail-after", type=int, help="answer an error to an add beyond this many listeners (tests)"
    )
    args = p.parse_args(argv)
    asyncio.run(serve(args.url, args.meeting, args.fail_after))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
