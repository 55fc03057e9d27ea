"""The HTTP fallback beside the WebSocket in the fan-out benchmark (``bench_fanout --sse N``): what a
panelist whose network blocks WebSockets costs the hub (issue 13, measured as issue 11 measures).

The benchmark's hub holds, besides its msgpack WebSockets, ``N`` WebSockets on ``plenary.v1.json``
(the pages' subprotocol) and ``N`` fallback connections (``POST /sse`` stream, ``POST /sse/cmd``
commands, held by ``loadtest.fanout_peers`` as ``lib/http-socket.js`` holds them), each group on a
meeting of its own. In each slice both groups take the same paced windows (one event per frame on
``agenda``, coalesced chat on ``chat``), so that the two transports see the same mix of other load
and their CPU per delivered event compares like with like: same hub, same frames (the fallback's
``data:`` lines are the JSON text frames), same run. This module holds what the benchmark keeps of
them (``FallbackResult``), the round trip of a command over each transport (``round_trips``: a
``ping`` over a WebSocket against one over ``POST /sse/cmd`` with its reply on the stream, one
connection each, alternating), and the report's rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

JSON_SUBPROTOCOL = "plenary.v1.json"
SESSION_HEADER = "X-Plenary-Session"


@dataclass
class FallbackResult:
    """One hub's figures for the JSON WebSockets and the fallback streams (``Window``s of
    ``loadtest.bench_fanout``, kept as their dicts' owner keeps them: the caller's type)."""

    clients: int
    ws_single: Any
    ws_coalesced: Any
    sse_single: Any
    sse_coalesced: Any
    rss_before_kb: int  # the hub with its msgpack WebSockets only
    rss_ws_kb: int  # + the JSON WebSockets
    rss_sse_kb: int  # + the fallback streams
    idle_before: float  # CPU seconds per second, the same three moments
    idle_ws: float
    idle_sse: float
    ws_rtt_ms: list[float] = field(default_factory=list)
    sse_rtt_ms: list[float] = field(default_factory=list)
    max_lag_s: float = 0.0  # the longest delivery after a window's last publish, either transport

    def summary(self) -> dict[str, float]:
        """The run's figures: µs of hub CPU per delivered event, kB and idle CPU per connection."""
        n = self.clients

        def us(w: Any) -> float:
            return w.cpu / w.events * 1e6 if w.events else float("nan")

        out = {
            "ws_single_us": us(self.ws_single),
            "sse_single_us": us(self.sse_single),
            "ws_coalesced_us": us(self.ws_coalesced),
            "sse_coalesced_us": us(self.sse_coalesced),
            "ws_memory_kb": (self.rss_ws_kb - self.rss_before_kb) / n,
            "sse_memory_kb": (self.rss_sse_kb - self.rss_ws_kb) / n,
            "ws_idle_pct_per_1000": (self.idle_ws - self.idle_before) / n * 1000 * 100,
            "sse_idle_pct_per_1000": (self.idle_sse - self.idle_ws) / n * 1000 * 100,
        }
        out["single_ratio"] = out["sse_single_us"] / out["ws_single_us"]
        out["coalesced_ratio"] = out["sse_coalesced_us"] / out["ws_coalesced_us"]
        out["memory_ratio"] = (
            out["sse_memory_kb"] / out["ws_memory_kb"] if out["ws_memory_kb"] else float("nan")
        )
        for name, values in (("ws", self.ws_rtt_ms), ("sse", self.sse_rtt_ms)):
            if values:
                out[f"{name}_rtt_p50_ms"] = percentile(values, 50)
                out[f"{name}_rtt_p99_ms"] = percentile(values, 99)
        return out


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile, nearest rank (what a p99 over a few hundred samples can honestly say)."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


# -- one command's round trip over each transport ----------------------------------------------------
class SseClient:
    """One fallback connection as the page holds it: the stream on one socket, each command a
    ``POST /sse/cmd`` on a kept-alive second socket (a browser's connection pool), the replies
    read off the stream by their ``id``."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.sid = ""
        self.replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.cmd: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.task: asyncio.Task[None] | None = None

    async def open(self, hello: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(hello).encode()
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(self._request("/sse", body))
        status, headers = await _head(self.reader)
        if status != 200 or headers.get("transfer-encoding") != "chunked":
            raise RuntimeError(f"POST /sse answered {status} {headers}")
        self.sid = headers.get(SESSION_HEADER.lower(), "")
        welcome = self.expect(hello["id"])
        self.task = asyncio.create_task(self._read())
        return await asyncio.wait_for(welcome, 10)

    def expect(self, cid: int) -> asyncio.Future[dict[str, Any]]:
        fut = self.replies[cid] = asyncio.get_running_loop().create_future()
        return fut

    def _request(self, path: str, body: bytes, session: str = "") -> bytes:
        extra = f"{SESSION_HEADER}: {session}\r\n" if session else ""
        return (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: text/plain;charset=UTF-8\r\n{extra}Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    async def command(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Send one command and return its reply from the stream."""
        reply = self.expect(frame["id"])
        data = self._request("/sse/cmd", json.dumps(frame).encode(), self.sid)
        for attempt in (0, 1):  # a kept-alive socket the hub closed: once more, fresh
            if self.cmd is None:
                self.cmd = await asyncio.open_connection(self.host, self.port)
            r, w = self.cmd
            try:
                w.write(data)
                status, headers = await _head(r)
                await r.readexactly(int(headers.get("content-length", "0")))
                break
            except (ConnectionError, asyncio.IncompleteReadError):
                w.close()
                self.cmd = None
                if attempt:
                    raise
        if status != 204:
            raise RuntimeError(f"POST /sse/cmd answered {status}")
        return await asyncio.wait_for(reply, 10)

    async def _read(self) -> None:
        """The stream's chunks, their ``data:`` events handed to the awaited replies."""
        assert self.reader is not None
        tail = b""
        while True:
            size = int((await self.reader.readline()).split(b";")[0], 16)
            data = await self.reader.readexactly(size + 2)
            if size == 0:
                return
            tail += data[:-2]
            *blocks, tail = tail.split(b"\n\n")
            for block in blocks:
                if block.startswith(b"data: {"):
                    msg = json.loads(block[6:])
                    fut = self.replies.pop(msg.get("id", -1), None)
                    if fut is not None and not fut.done():
                        fut.set_result(msg)

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task
        for w in (self.writer, self.cmd[1] if self.cmd else None):
            if w is not None:
                w.close()
                with contextlib.suppress(Exception):
                    await w.wait_closed()


async def _head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
    return int(lines[0].split()[1]), headers


async def round_trips(
    host: str, port: int, token: str, count: int, rate: float
) -> tuple[list[float], list[float]]:
    """``count`` pings over a WebSocket (JSON) and over the fallback, alternating, ``rate`` pairs a
    second (under the hub's 20 commands a second per connection): each one's time from sending to
    its reply, in ms, (WebSocket, fallback)."""
    from websockets.asyncio.client import connect
    from websockets.typing import Subprotocol

    ws_ms: list[float] = []
    sse_ms: list[float] = []
    sse = SseClient(host, port)
    async with connect(
        f"ws://{host}:{port}/ws", subprotocols=[Subprotocol(JSON_SUBPROTOCOL)], compression=None
    ) as ws:
        await ws.send(json.dumps({"type": "hello", "id": 1, "token": token}))
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if welcome.get("type") != "reply":
            raise RuntimeError(f"WebSocket hello: {welcome}")
        try:
            got = await sse.open({"type": "hello", "id": 1, "token": token})
            if got.get("type") != "reply":
                raise RuntimeError(f"fallback hello: {got}")
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            for k in range(count):
                cid = 2 + k
                t = time.perf_counter()
                await ws.send(json.dumps({"type": "ping", "id": cid}))
                while json.loads(await asyncio.wait_for(ws.recv(), 10)).get("id") != cid:
                    pass
                ws_ms.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                await sse.command({"type": "ping", "id": cid})
                sse_ms.append((time.perf_counter() - t) * 1000)
                await asyncio.sleep(max(0.0, t0 + (k + 1) / rate - loop.time()))
        finally:
            await sse.close()
    return ws_ms, sse_ms


# -- report --------------------------------------------------------------------------------------
def spread(values: list[float], fmt: str) -> str:
    values = [v for v in values if v == v]
    if not values:
        return "–"
    med = statistics.median(values)
    return f"{format(med, fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def report_rows(results: list[FallbackResult], opts: Any) -> list[str]:
    """The fallback's table: SSE against the JSON WebSocket, ratios within each run."""
    if not results:
        return []
    s = [r.summary() for r in results]

    def col(key: str) -> list[float]:
        return [x.get(key, float("nan")) for x in s]

    per_frame = [
        r.sse_coalesced.events / r.sse_coalesced.frames if r.sse_coalesced.frames else 0.0 for r in results
    ]
    n = results[0].clients
    lines = [
        "",
        f"The HTTP fallback beside the WebSocket (`--sse {n}`): {n:,} panelists on each, on the same hub in "
        f"the same slices, each group on a meeting of its own; JSON frames (the pages' subprotocol; the "
        f"fallback's `data:` lines are the same bytes). {opts.sse_events} events at {opts.sse_rate:g}/s; "
        f"{opts.sse_bursts} bursts of {opts.per_burst} chat events at {opts.sse_burst_rate:g}/s. "
        f"{len(results)} runs: median (min–max); ratios within a run.",
        "",
        "| hub cost | WebSocket (JSON) | HTTP fallback (SSE + POST) | fallback / WebSocket |",
        "|---|---|---|---|",
        f"| µs of hub CPU per delivered event, one event per frame (`agenda`) | {spread(col('ws_single_us'), '.1f')} "
        f"| {spread(col('sse_single_us'), '.1f')} | {spread(col('single_ratio'), '.2f')} |",
        f"| µs of hub CPU per delivered event, coalesced (`chat`, {spread(per_frame, '.1f')} events per frame) "
        f"| {spread(col('ws_coalesced_us'), '.2f')} | {spread(col('sse_coalesced_us'), '.2f')} "
        f"| {spread(col('coalesced_ratio'), '.2f')} |",
        f"| idle memory, kB per connection (RSS before and after each group connected) "
        f"| {spread(col('ws_memory_kb'), '.1f')} | {spread(col('sse_memory_kb'), '.1f')} "
        f"| {spread(col('memory_ratio'), '.2f')} |",
        f"| idle CPU, % of a core per 1,000 connections | {spread(col('ws_idle_pct_per_1000'), '.2f')} "
        f"| {spread(col('sse_idle_pct_per_1000'), '.2f')} | |",
    ]
    ws_all = [v for r in results for v in r.ws_rtt_ms]
    sse_all = [v for r in results for v in r.sse_rtt_ms]
    if ws_all and sse_all:
        lines += [
            "",
            f"| `ping` round trip, {len(ws_all):,} per transport ({opts.rtt} a run, alternating, "
            f"{opts.rtt_rate:g} pairs/s) | p50 ms | p99 ms | p50 per run | p99 per run |",
            "|---|---|---|---|---|",
            f"| WebSocket (JSON) | {percentile(ws_all, 50):.2f} | {percentile(ws_all, 99):.2f} "
            f"| {spread(col('ws_rtt_p50_ms'), '.2f')} | {spread(col('ws_rtt_p99_ms'), '.2f')} |",
            f"| HTTP fallback: `POST /sse/cmd`, the reply on the stream | {percentile(sse_all, 50):.2f} "
            f"| {percentile(sse_all, 99):.2f} | {spread(col('sse_rtt_p50_ms'), '.2f')} "
            f"| {spread(col('sse_rtt_p99_ms'), '.2f')} |",
        ]
    return lines
