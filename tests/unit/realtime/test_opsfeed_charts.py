"""The ops feed's figures the dashboard draws over time: each about the interval since the previous
report (the delivery and cast-to-ack p50/p99, casts per second, the recent Redis round trip)."""

from __future__ import annotations

from realtime.ops import metrics
from realtime.ops.opsfeed import LoadReporter, _quantile


def test_the_median_is_the_bucket_edge_holding_half_of_the_new_observations() -> None:
    before = [(0.001, 10.0), (0.01, 10.0), (0.1, 10.0), (float("inf"), 10.0)]
    now = [(0.001, 20.0), (0.01, 70.0), (0.1, 110.0), (float("inf"), 110.0)]  # 100 new: 10, 50, 40
    assert _quantile(0.5, now, before) == 0.01  # 60 of 100 by 10 ms
    assert _quantile(0.99, now, before) == 0.1
    assert _quantile(0.5, before, before) is None


def test_casts_and_their_ack_latency_are_per_interval() -> None:
    reporter = LoadReporter("hub-c", last_at=0.0)
    reporter.report(1, 1, now=0.0)
    casts = metrics.command_counter("vote.cast", "ok")
    for _ in range(99):  # 99 casts acked within 5 ms, one at 400 ms, over 2 s
        casts.inc()
        metrics.CAST_ACK.observe(0.004)
    casts.inc()
    metrics.CAST_ACK.observe(0.4)
    report = reporter.report(1, 1, now=2.0)
    assert report["casts_per_s"] == 50.0
    assert report["cast_ack_p50_ms"] == 5.0 and report["cast_ack_p99_ms"] == 5.0
    metrics.CAST_ACK.observe(0.4)
    metrics.CAST_ACK.observe(0.4)
    report = reporter.report(1, 1, now=4.0)  # only the two new ones: the 400 ms of the first interval is gone
    assert report["casts_per_s"] == 0.0
    assert report["cast_ack_p50_ms"] == 500.0 and report["cast_ack_p99_ms"] == 500.0
    assert reporter.report(1, 1, now=6.0)["cast_ack_p99_ms"] is None  # nothing acked since


def test_the_recent_redis_round_trip_is_the_mean_of_the_interval() -> None:
    reporter = LoadReporter("hub-r", last_at=0.0)
    for _ in range(3):
        metrics.REDIS_RTT.observe(0.050)  # an old slow spell
    reporter.report(0, 0, now=0.0)
    metrics.REDIS_RTT.observe(0.001)
    metrics.REDIS_RTT.observe(0.003)
    report = reporter.report(0, 0, now=2.0)
    assert report["redis_rtt_recent_ms"] == 2.0  # (1 + 3) / 2, the slow spell left out
    assert report["redis_rtt_ms"] > report["redis_rtt_recent_ms"]  # the mean since start keeps it
    assert reporter.report(0, 0, now=4.0)["redis_rtt_recent_ms"] is None  # no PING in between
