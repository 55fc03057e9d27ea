"""``loadtest.scrape``: a hub's ``/metrics`` read back into typed samples, on the exposition text
``prometheus_client`` itself writes (the hub's ``generate_latest``), and fetched over HTTP from
the hub's own address whatever form a tool holds it in."""

from __future__ import annotations

import math
import socket
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, start_http_server

from loadtest import scrape
from loadtest.bench_cast import GC_SERIES, gc_pauses

BOUNDS = (0.01, 0.025, 0.25)


def exposition() -> tuple[CollectorRegistry, Histogram]:
    """A registry shaped like the hub's: an unlabelled counter, a labelled counter and gauge, and
    a histogram by generation (``realtime.ops.metrics.GC_PAUSE``'s labels, fewer buckets)."""
    reg = CollectorRegistry()
    Counter("plenary_frames_out", "frames", registry=reg).inc(7)
    accepted = Counter("plenary_accepted_connections", "accepted", ["codec"], registry=reg)
    accepted.labels("json").inc(2)
    accepted.labels("msgpack").inc(3)
    Gauge("plenary_asyncio_tasks", "tasks", registry=reg).set(41)
    pauses = Histogram("plenary_gc_pause_seconds", "pauses", ["generation"], buckets=BOUNDS, registry=reg)
    for took in (0.004, 0.02, 0.2, 0.3):
        pauses.labels("0").observe(took)
    pauses.labels("1").observe(0.1)
    return reg, pauses


def test_the_samples_of_a_real_exposition_by_name_and_labels() -> None:
    reg, _ = exposition()
    got = scrape.parse(generate_latest(reg).decode())
    assert got[scrape.key("plenary_frames_out_total")] == 7.0
    assert got[scrape.key("plenary_accepted_connections_total", codec="msgpack")] == 3.0
    assert scrape.total(got, "plenary_accepted_connections_total") == 5.0  # not the _created series
    assert scrape.total(got, "plenary_accepted_connections_total", codec="json") == 2.0
    assert scrape.total(got, "plenary_accepted_connections_total", codec="ws") == 0.0
    assert scrape.total(got, "plenary_not_exported") == 0.0
    assert got[scrape.key("plenary_asyncio_tasks")] == 41.0
    assert got[scrape.key("plenary_gc_pause_seconds_count", generation="0")] == 4.0
    assert got[scrape.key("plenary_gc_pause_seconds_sum", generation="0")] == pytest.approx(0.524)
    assert scrape.buckets(got, "plenary_gc_pause_seconds", generation="0") == {
        0.01: 1.0,
        0.025: 2.0,
        0.25: 3.0,
        math.inf: 4.0,
    }
    assert scrape.buckets(got, "plenary_gc_pause_seconds", generation="1") == {
        0.01: 0.0,
        0.025: 0.0,
        0.25: 1.0,
        math.inf: 1.0,
    }
    # labels are keyed sorted, whatever order they are named in
    assert scrape.key("x", le="1", generation="0") == scrape.key("x", generation="0", le="1")


def test_the_hub_s_collections_between_two_real_scrapes() -> None:
    reg, pauses = exposition()
    before = scrape.parse(generate_latest(reg).decode())
    pauses.labels("0").observe(0.02)
    pauses.labels("1").observe(0.2)
    pauses.labels("1").observe(0.005)
    got = gc_pauses(before, scrape.parse(generate_latest(reg).decode()))
    assert GC_SERIES == "plenary_gc_pause_seconds"
    assert got["young"] == {"collections": 1, "ms": 20.0}
    assert got["middle"] == {"collections": 2, "ms": 205.0}
    assert got["old"] == {"collections": 0, "ms": 0.0}
    assert got["longest_le_ms"] == 250.0  # the middle one's 200 ms: under 250, over 25


def test_not_an_exposition_does_not_parse() -> None:
    with pytest.raises(ValueError):
        scrape.parse("<html><body>Not Found</body></html>\n")


@pytest.mark.parametrize(
    ("url", "metrics"),
    [
        ("ws://127.0.0.1:8123/ws", "http://127.0.0.1:8123/metrics"),
        ("ws://127.0.0.1:8123/ws?codec=msgpack", "http://127.0.0.1:8123/metrics"),
        ("wss://hub-1.internal:443/ws", "https://hub-1.internal:443/metrics"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123/metrics"),
    ],
)
def test_the_metrics_are_read_at_the_hub_s_own_host_and_port(url: str, metrics: str) -> None:
    assert scrape.metrics_url(url) == metrics


@pytest.fixture
def served() -> Iterator[int]:
    """The registry on a real HTTP server on a free local port."""
    reg, _ = exposition()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server, thread = start_http_server(port, "127.0.0.1", registry=reg)
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_a_scrape_over_http_from_the_websocket_address(served: int) -> None:
    got = scrape.scrape(f"ws://127.0.0.1:{served}/ws", timeout=5)
    assert got[scrape.key("plenary_frames_out_total")] == 7.0
    assert scrape.total(got, "plenary_accepted_connections_total") == 5.0


def test_a_hub_that_does_not_answer_raises_oserror() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])  # closed again: nothing listens there
    with pytest.raises(OSError):
        scrape.scrape(f"http://127.0.0.1:{port}", timeout=2)
