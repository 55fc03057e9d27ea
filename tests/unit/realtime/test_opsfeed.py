"""The ops feed's arithmetic: rates from running totals, p99 from histogram bucket deltas."""

from __future__ import annotations

from realtime.ops import metrics
from realtime.ops.opsfeed import LoadReporter, _p99


def test_p99_is_the_bucket_edge_holding_99_percent_of_the_new_observations() -> None:
    before = [(0.001, 10.0), (0.01, 10.0), (0.1, 10.0), (float("inf"), 10.0)]
    # cumulative, as Prometheus keeps them: 150 new, 50 under 1 ms, 99 more under 10 ms, 1 under 100 ms
    now = [(0.001, 60.0), (0.01, 159.0), (0.1, 160.0), (float("inf"), 160.0)]
    assert _p99(now, before) == 0.01  # 149 of 150 (99.3 %) by 10 ms
    assert _p99(before, before) is None  # nothing new


def test_rates_are_deltas_between_two_reports() -> None:
    reporter = LoadReporter("hub-x", last_at=0.0)
    reporter.report(3, 5, now=0.0)
    metrics.FRAMES_OUT.inc(200)
    report = reporter.report(3, 5, now=2.0)
    assert report["hub"] == "hub-x" and report["connections"] == 3 and report["subscriptions"] == 5
    assert report["frames_out_per_s"] == 100.0
