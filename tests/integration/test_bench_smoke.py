"""The fan-out benchmark's harness, run tiny: it must start and stop everything it needs and count
every frame exactly. No timing is asserted (the numbers of a 20-client run mean nothing)."""

from __future__ import annotations

import json
import math
import selectors
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from loadtest.fanout_floor import frame_of
from loadtest.fanout_peers import client_frame

ROOT = Path(__file__).resolve().parents[2]
CLIENTS, EVENTS, BURSTS, PER_BURST = 20, 6, 3, 10
SOCKETIO_EVENTS = 4
SSE, SSE_EVENTS, SSE_BURSTS, RTT = 8, 4, 2, 20


def parse_frame(data: bytes, mask: bool) -> Frame:
    reader = StreamReader()
    reader.feed_data(data)
    parser = Frame.parse(reader.read_exact, mask=mask)
    try:
        next(parser)
    except StopIteration as done:
        frame: Frame = done.value
        return frame
    raise AssertionError("incomplete frame")


def test_peer_and_floor_frames_are_valid_websocket_frames() -> None:
    for size in (0, 5, 125, 126, 70_000):
        payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
        frame = parse_frame(client_frame(0x2, payload), mask=True)
        assert frame.opcode is Opcode.BINARY and frame.data == payload
    hello = msgspec.msgpack.encode({"type": "hello", "id": 1, "token": "t"})
    assert msgspec.msgpack.decode(parse_frame(client_frame(0x2, hello), mask=True).data)["id"] == 1
    for size in (100, 300):
        raw = frame_of(size)
        assert len(raw) == size
        assert parse_frame(raw, mask=False).opcode is Opcode.BINARY


def test_fanout_bench_runs_and_counts_every_frame(tmp_path: Path) -> None:
    out = tmp_path / "fanout.json"
    argv = [
        sys.executable, "-m", "loadtest.bench_fanout",
        "--clients", str(CLIENTS), "--runs", "1", "--slices", "2",
        "--events", str(EVENTS), "--rate", "50",
        "--bursts", str(BURSTS), "--burst-rate", "10", "--per-burst", str(PER_BURST),
        "--idle-seconds", "0.3", "--settle", "0.3",
        "--socketio-events", str(SOCKETIO_EVENTS), "--socketio-rate", "20", "--compare-ping", "1",
        "--sse", str(SSE), "--sse-events", str(SSE_EVENTS), "--sse-rate", "20",
        "--sse-bursts", str(SSE_BURSTS), "--sse-burst-rate", "10", "--rtt", str(RTT), "--rtt-rate", "50",
        "--profile", str(tmp_path / "profile"),
        "--no-docs", "--json", str(out), "--max-seconds", "150",
    ]  # fmt: skip
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| floor: `socket.send`" in proc.stdout and "| hub, one event per frame" in proc.stdout
    assert "python-socketio" in proc.stdout and "`websockets.broadcast`" in proc.stdout

    raw = json.loads(out.read_text())
    hub = raw["runs"][0]["hub"]
    floor, single, coalesced = hub["floor"], hub["single"], hub["coalesced"]
    for w in (floor, single, coalesced):
        assert w["events"] == w["expected"] and w["gaps"] == 0 and w["closed"] == 0, w
    assert floor["frames"] == floor["events"] == CLIENTS * EVENTS
    assert single["frames"] == single["events"] == CLIENTS * EVENTS
    assert coalesced["events"] == CLIENTS * BURSTS * PER_BURST
    # Ten events published in one MULTI reach a client in one frame (two if a tick splits them, fewer
    # frames if a busy machine made the hub join bursts); every client gets the same frames.
    assert coalesced["frames"] % CLIENTS == 0
    assert CLIENTS <= coalesced["frames"] <= 2 * CLIENTS * BURSTS
    # The HTTP fallback beside the JSON WebSocket (--sse): every event reached every stream and every
    # socket, counted off the event stream's chunks and the text frames, and by the hub.
    fb = hub["fallback"]
    for name in ("ws", "sse"):
        one, co = fb[f"{name}_single"], fb[f"{name}_coalesced"]
        assert one["frames"] == one["events"] == one["expected"] == SSE * SSE_EVENTS, (name, one)
        assert co["events"] == co["expected"] == SSE * SSE_BURSTS * PER_BURST, (name, co)
        assert SSE <= co["frames"] <= 2 * SSE * SSE_BURSTS and co["frames"] % SSE == 0, (name, co)
        assert one["gaps"] == co["gaps"] == one["closed"] == co["closed"] == 0
        assert one["cpu_raw"] > 0, (name, one)
    assert fb["rss_sse_kb"] > fb["rss_before_kb"] > 0
    fallback_frames = sum(fb[f"{n}_{w}"]["frames"] for n in ("ws", "sse") for w in ("single", "coalesced"))
    assert len(fb["ws_rtt_ms"]) == len(fb["sse_rtt_ms"]) == RTT and min(fb["sse_rtt_ms"]) > 0
    # a figure, whatever its value: a few events less the idle rate can come out below zero in a
    # smoke run on a busy machine (the benchmark's own runs are long enough to be read)
    assert math.isfinite(hub["fallback_sse_single_us"]) and math.isfinite(hub["fallback_single_ratio"])
    assert "| µs of hub CPU per delivered event, one event per frame" in proc.stdout
    assert "| HTTP fallback: `POST /sse/cmd`" in proc.stdout
    assert (tmp_path / "profile" / "summary-sse.md").read_text().strip()
    # the hub's own count agrees
    assert hub["frames_out"] == single["frames"] + coalesced["frames"] + fallback_frames
    assert hub["rss_all_kb"] > hub["rss_fresh_kb"] > 0
    assert single["cpu_raw"] > 0 and floor["cpu_raw"] > 0
    # The comparison servers held the same number of clients all along (their pings, every second,
    # answered) and every one of their broadcasts reached every client, one event per frame.
    sio, ws = hub["compare"]["socketio"], hub["compare"]["websockets"]
    assert sio["frames"] == sio["events"] == sio["expected"] == CLIENTS * SOCKETIO_EVENTS, sio
    assert ws["frames"] == ws["events"] == ws["expected"] == CLIENTS * EVENTS, ws
    for w in (sio, ws):
        assert w["gaps"] == 0 and w["closed"] == 0 and w["cpu_raw"] > 0, w
    assert hub["hub_over_socketio"] > 0 and hub["websockets_ratio"] > 0
    assert raw["frame_bytes"]["websockets"] == raw["frame_bytes"]["hub_event"]  # the hub's very frame
    # py-spy sampled the hub in its one-event windows (or said why not) and the summary was written.
    assert (tmp_path / "profile" / "summary.md").read_text().strip()


def test_every_fanout_variant_patches_the_shipped_hub() -> None:
    """The prototypes wrap or replace the shipped methods (no copy of the hub to drift from it):
    each one, applied in a fresh process as the benchmark's hub does, changes what it names."""
    check = (
        "import sys; from loadtest import fanout_variants as v\n"
        "from realtime.fanout.hub import Hub; from realtime.transport.wsproto import HubWebSocketProtocol as P\n"
        "name = sys.argv[1]; before = (Hub.fanout, Hub.on_event, P.write_frames)\n"
        "v.apply(name)\n"
        "after = (Hub.fanout, Hub.on_event, P.write_frames)\n"
        "assert after != before, name\n"
    )
    from loadtest.fanout_variants import VARIANTS

    assert set(VARIANTS) == {"rawfd", "bare", "rawsend", "flat", "probe"}
    for name in VARIANTS:
        proc = subprocess.run([sys.executable, "-c", check, name], cwd=ROOT, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


class Control:
    """A child speaking JSON lines (a comparison server, the peers), every read bounded in time."""

    def __init__(self, *argv: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *argv], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def read(self, timeout: float = 30.0) -> dict[str, Any]:
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            assert sel.select(timeout), "no answer in time"
        msg: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return msg

    def call(self, **cmd: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return self.read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.mark.parametrize(
    ("module", "kind"), [("loadtest.fanout_socketio", "socketio"), ("loadtest.fanout_websockets", "ws")]
)
def test_peers_speak_to_each_comparison_server(module: str, kind: str) -> None:
    """The peers' Engine.IO v4 client (open, connect, events, ping and pong) and their plain
    WebSocket client, against the real servers: pings every 0.3 s are answered (else the server
    would close the connection after 0.3 s more), and every broadcast is one counted event."""
    n, rounds = 5, 3
    server, peers = Control(module, "--ping-interval", "0.3"), Control("loadtest.fanout_peers")
    try:
        port = server.read()["port"]
        ready = peers.call(op="connect", group="g", kind=kind, host="127.0.0.1", port=port, n=n)
        assert ready["ready"] == n and ready["failed"] == 0, ready
        time.sleep(1.2)
        counts = peers.call(op="counts", group="g")
        assert counts["pongs"] >= 2 * n and counts["closed"] == 0, counts
        assert server.call(op="clients")["clients"] == n
        assert server.call(op="burst", rounds=rounds, rate=50)["sent"] == n * rounds
        deadline = time.monotonic() + 10
        while (counts := peers.call(op="counts", group="g"))[
            "events"
        ] < n * rounds and time.monotonic() < deadline:
            time.sleep(0.05)
        assert counts["events"] == counts["frames"] == n * rounds and counts["min_events"] == rounds, counts
        assert counts["other"] == 0 and counts["closed"] == 0, counts
        assert server.call(op="quit")["ok"] and peers.call(op="quit")["ok"]
    finally:
        server.stop()
        peers.stop()


def test_the_frame_reading_bench_runs_both_readings(capsys: pytest.CaptureFixture[str]) -> None:
    from loadtest import bench_frames

    assert bench_frames.main(["--frames", "300", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "walk" in out and "websockets" in out
