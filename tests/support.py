"""Test support: a real hub process, a real embedded Redis, and a protocol client over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import websockets
from redis.asyncio import Redis

from engine.channels import ChannelLog
from engine.connection import command_client
from moderation import chat_admin
from moderation.meetings import MeetingInfo, Meetings
from panel.roster import Participant, Roster

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HubProcess:
    """``plenary serve`` in a subprocess on 127.0.0.1; stopped (SIGTERM, then SIGKILL) by ``stop``."""

    def __init__(self, redis_url: str, *extra: str, data_dir: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        args = [
            sys.executable,
            "-m",
            "cli.main",
            "serve",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        if redis_url:
            args += ["--redis-url", redis_url]
        if data_dir is not None:
            args += ["--data-dir", str(data_dir)]
        self.proc = subprocess.Popen(
            [*args, *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout: float = 20.0) -> HubProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode() if self.proc.stdout else ""
                raise RuntimeError(f"hub exited with {self.proc.returncode}:\n{out}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.05)
        self.stop()  # a hub that never got ready is still stopped: the caller has no handle to it
        raise TimeoutError(f"hub not ready:\n{self.output()[-2000:]}")

    def output(self) -> str:
        """Everything the process wrote (after ``stop``)."""
        return self._output

    def stop(self) -> None:
        self._output = getattr(self, "_output", "")
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout and not self.proc.stdout.closed:
            self._output = self.proc.stdout.read().decode(errors="replace")
            self.proc.stdout.close()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(5)


PEOPLE = [
    Participant(id="host", name="Host", role="host"),
    Participant(id="mod", name="Moderator", role="moderator"),
    Participant(id="ops", name="Ops", role="ops"),
    Participant(id="obs", name="Observer", role="observer"),
    Participant(id="clerk", name="Clerk", role="clerk"),
    Participant(id="p1", name="패널 하나", role="panelist", meetings=["m1"]),
    Participant(id="p2", name="패널 둘", role="panelist", meetings=["m1"]),
    Participant(id="p3", name="패널 셋", role="panelist", meetings=["m2"]),
]


async def seed(redis: Redis, extra: list[Participant] | None = None) -> dict[str, str]:
    """A small assembly: two meetings and one participant of every role. Returns id -> token."""
    people = PEOPLE + (extra or [])
    roster = Roster(redis)
    await roster.upsert(people)
    meetings = Meetings(redis)
    await meetings.put(MeetingInfo(id="m1", title="Meeting one", youtube="dQw4w9WgXcQ"))
    await meetings.put(MeetingInfo(id="m2", title="Meeting two"))
    return await roster.issue_tokens([p.id for p in people])


class Client:
    """A protocol v1 client over a real WebSocket: commands get their reply by id (the parts of a
    long ``subscribe`` reply joined into one, ``parts`` giving their number), other frames are
    collected in ``events`` (flattened from batches) and ``gaps``."""

    def __init__(self, ws: Any, codec: str) -> None:
        self.ws = ws
        self.codec = codec
        self.ids = itertools.count(1)
        self.replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.sent: dict[int, str] = {}  # command id -> its type
        self.events: list[dict[str, Any]] = []
        self.gaps: list[dict[str, Any]] = []
        self.frames: list[dict[str, Any]] = []
        self.sizes: list[int] = []  # the size of every frame received, in bytes
        self.parts: dict[Any, list[dict[str, Any]]] = {}  # reply id -> earlier parts of a reply
        self.welcome: dict[str, Any] = {}
        self.new = asyncio.Event()
        self.closed: asyncio.Future[tuple[int | None, str]] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._read())

    def encode(self, msg: Any) -> str | bytes:
        return json.dumps(msg) if self.codec == "plenary.v1.json" else msgspec.msgpack.encode(msg)

    def decode(self, data: str | bytes) -> Any:
        return json.loads(data) if isinstance(data, str) else msgspec.msgpack.decode(data)

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                msg = self.decode(data)
                self.frames.append(msg)
                self.sizes.append(len(data.encode() if isinstance(data, str) else data))
                kind = msg.get("type")
                result = msg.get("result")
                subscribe = self.sent.get(msg.get("id")) == "subscribe"
                if kind == "reply" and subscribe and isinstance(result, dict) and result.get("more") is True:
                    # one part of a long subscribe reply: keep its events until the last part
                    self.parts.setdefault(msg.get("id"), []).append(result)
                elif kind in ("reply", "error") and msg.get("id") in self.replies:
                    earlier = self.parts.pop(msg["id"], [])
                    if earlier and kind == "reply":
                        events = [e for part in earlier for e in part["events"]]
                        msg["result"] = {**result, "events": events + result["events"]}
                        msg["parts"] = len(earlier) + 1
                    fut = self.replies.pop(msg["id"])
                    if not fut.done():
                        fut.set_result(msg)
                elif kind == "event":
                    self.events.append(msg)
                elif kind == "batch":
                    self.events.extend(msg["events"])
                elif kind == "gap":
                    # What a real client does: subscribe again from the last event it saw.
                    self.gaps.append(msg)
                    asyncio.get_running_loop().create_task(self._recover(msg))
                self.new.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            if not self.closed.done():
                self.closed.set_result((self.ws.close_code, self.ws.close_reason or ""))

    async def _recover(self, gap: dict[str, Any]) -> None:
        seen = [e for e in self.events if e["channel"] == gap["channel"]]
        offset = seen[-1]["offset"] if seen else gap["offset"]
        with contextlib.suppress(Exception):
            res = await self.ok("subscribe", channel=gap["channel"], epoch=gap["epoch"], offset=offset)
            self.events.extend(res["events"])
            self.new.set()

    async def send_raw(self, data: str | bytes) -> None:
        await self.ws.send(data)

    async def call(self, kind: str, timeout: float = 10.0, **fields: Any) -> dict[str, Any]:
        cid = next(self.ids)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.replies[cid] = fut
        self.sent[cid] = kind  # only a subscribe reply comes in parts
        await self.ws.send(self.encode({"type": kind, "id": cid, **fields}))
        return await asyncio.wait_for(fut, timeout)

    async def ok(self, kind: str, **fields: Any) -> Any:
        msg = await self.call(kind, **fields)
        assert msg["type"] == "reply", msg
        return msg["result"]

    async def wait_events(self, channel: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            got = [e for e in self.events if e["channel"] == channel]
            if len(got) >= count:
                return got
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{len(got)}/{count} events on {channel}")
            self.new.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.new.wait(), left)

    async def close(self) -> None:
        await self.ws.close()
        with contextlib.suppress(Exception):
            await self._task


@contextlib.contextmanager
def hub_pair(
    redis_url: str, *first: str, data_dir: Path | None = None
) -> Iterator[tuple[HubProcess, HubProcess]]:
    """Two hubs on one Redis, both ready; the first with the flags ``first`` (and ``data_dir``),
    the second plain: the voice tests' topology (a session lives on one hub, a console on the
    other). Both are stopped on the way out."""
    a = HubProcess(redis_url, *first, data_dir=data_dir)
    b = HubProcess(redis_url)
    try:
        yield a.wait_ready(), b.wait_ready()
    finally:
        a.stop()
        b.stop()


@contextlib.asynccontextmanager
async def connect(
    ws_url: str,
    token: str | None = None,
    codec: str = "plenary.v1.json",
    origin: str | None = None,
    **kw: Any,
) -> AsyncIterator[Client]:
    headers = {"Origin": origin} if origin else None
    ws = await websockets.connect(
        ws_url, subprotocols=[codec], additional_headers=headers, max_size=2**20, open_timeout=10, **kw
    )
    client = Client(ws, codec)
    try:
        if token is not None:
            client.welcome = await client.ok("hello", token=token)
        yield client
    finally:
        await client.close()


def redis_client(url: str) -> Redis:
    return command_client(url, name="plenary-test")


def run_machine(machine: Any, url: str, *, examples: int, steps: int) -> None:
    """Run a hypothesis state machine that drives a store on the real Redis at ``url`` (its class
    attribute ``url``): ``examples`` sequences (scaled by the profile: ``tests/examples.py``) of at
    most ``steps`` steps, with no deadline (a step is a round trip to Redis, slow on a busy machine,
    and that is not what is tested)."""
    from hypothesis import HealthCheck, settings

    from tests.examples import examples as scaled

    machine.url = url
    machine.TestCase.settings = settings(
        max_examples=scaled(examples),
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    machine.TestCase().runTest()


def env_without_pytest() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}


async def publish_until(log: ChannelLog, channel: str, stop: asyncio.Event, first: int = 0) -> int:
    """Chat messages "first", "first + 1", ... on ``channel``, one per turn of the loop, until
    ``stop`` is set: live events arriving while clients subscribe. Returns the next number (how many
    were published, counting from 0)."""
    n = first
    while not stop.is_set():
        await log.publish(channel, "chat.message", {"text": str(n)})
        n += 1
        await asyncio.sleep(0)
    return n


async def whole_chat_record(log: ChannelLog, meeting_id: str, staff: bool) -> list[dict[str, Any]]:
    """A meeting's whole chat record, oldest first, as the HTTP record's pages give it
    (``chat_admin.chat_page``, the rule that runs), read page after page to the start."""
    newest_first: list[dict[str, Any]] = []
    before: int | None = None
    while True:
        page, before = await chat_admin.chat_page(log, meeting_id, staff, before, chat_admin.PAGE_MAX)
        newest_first += page
        if before is None:
            return newest_first[::-1]
