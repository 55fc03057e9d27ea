"""The plain counters and histogram (``realtime.ops.metrics``) scrape exactly as prometheus_client's
own ``Counter`` and ``Histogram`` fed the same values: the ops feed, dashboards and alerts read the
same samples as before. Only the ``_created`` timestamps differ (each metric's own)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from realtime.ops.metrics import PlainCounter, PlainHistogram

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
LABELS = st.sampled_from([("vote.cast", "ok"), ("vote.cast", "rate_limited"), ("hello", "ok")])


def _scrape(registry: CollectorRegistry) -> str:
    return re.sub(r"(_created(\{[^}]*\})?) \S+", r"\1 T", generate_latest(registry).decode())


@given(st.lists(st.tuples(LABELS, st.integers(1, 3))), st.integers(0, 5))
def test_a_plain_counter_scrapes_as_a_counter(incs: list[tuple[tuple[str, str], int]], frames: int) -> None:
    theirs, ours = CollectorRegistry(), CollectorRegistry()
    c = Counter("plenary_commands_total", "Commands", ["command", "outcome"], registry=theirs)
    p = PlainCounter("plenary_commands_total", "Commands", ["command", "outcome"], registry=ours)
    f = Counter("plenary_frames_in_total", "Frames", registry=theirs)
    g = PlainCounter("plenary_frames_in_total", "Frames", registry=ours)
    for labels, n in incs:
        c.labels(*labels).inc(n)
        p.labels(*labels).inc(n)
    for _ in range(frames):
        f.inc()
        g.inc()
    assert _scrape(ours) == _scrape(theirs)
    if incs:
        first = {"command": incs[0][0][0], "outcome": incs[0][0][1]}
        assert ours.get_sample_value("plenary_commands_total", first) == theirs.get_sample_value(
            "plenary_commands_total", first
        )


@given(st.lists(st.one_of(st.sampled_from(BUCKETS), st.floats(0, 10, allow_nan=False))))
def test_a_plain_histogram_scrapes_as_a_histogram(values: list[float]) -> None:
    theirs, ours = CollectorRegistry(), CollectorRegistry()
    h = Histogram("plenary_cast_ack_seconds", "Acks", buckets=BUCKETS, registry=theirs)
    p = PlainHistogram("plenary_cast_ack_seconds", "Acks", buckets=BUCKETS, registry=ours)
    for v in values:
        h.observe(v)
        p.observe(v)
    assert _scrape(ours) == _scrape(theirs)
