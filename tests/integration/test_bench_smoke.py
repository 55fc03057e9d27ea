"""The fan-out benchmark's harness, run tiny: it must start and stop everything it needs and count
every frame exactly. No timing is asserted (the numbers of a 20-client run mean nothing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import msgspec
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from loadtest.fanout_floor import frame_of
from loadtest.fanout_peers import client_frame

ROOT = Path(__file__).resolve().parents[2]
CLIENTS, EVENTS, BURSTS, PER_BURST = 20, 6, 3, 10


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
        "--no-docs", "--json", str(out), "--max-seconds", "150",
    ]  # fmt: skip
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| floor: `socket.send`" in proc.stdout and "| hub, one event per frame" in proc.stdout

    hub = json.loads(out.read_text())["runs"][0]["hub"]
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
    assert hub["frames_out"] == single["frames"] + coalesced["frames"]  # the hub's own count agrees
    assert hub["rss_all_kb"] > hub["rss_fresh_kb"] > 0
    assert single["cpu_raw"] > 0 and floor["cpu_raw"] > 0


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
