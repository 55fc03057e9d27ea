"""The ops feed: every hub publishes a short load report on the ``ops`` channel every few seconds,
so ops staff see every hub of the assembly on one page (``/ops``) without scraping each one.

The figures come from this process's Prometheus metrics (``realtime.ops.metrics``): rates are deltas
between two reports, the delivery p99 is read off the histogram's bucket deltas (an upper bound:
the bucket edge). Nothing here touches the fan-out path.

The ops page draws each report's figures over time (docs/pages.md, the ops dashboard), so every
figure of a report is about the interval since the previous one: the delivery and cast-to-ack p50 and
p99, the casts accepted per second, and the Redis round trip's mean over the interval
(``redis_rtt_recent_ms``; ``redis_rtt_ms`` stays the mean since the hub started, as before).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from realtime.ops import metrics

INTERVAL = 2.0  # seconds between two reports of one hub
EVENT = "ops.hub"


def _value(name: str, labels: dict[str, str] | None = None) -> float:
    return float(metrics.REGISTRY.get_sample_value(name, labels or {}) or 0.0)


def _buckets(name: str) -> list[tuple[float, float]]:
    out = []
    for metric in metrics.REGISTRY.collect():
        for s in metric.samples:
            if s.name == name + "_bucket":
                out.append((float(s.labels["le"]), s.value))
    return sorted(out)


@dataclass
class LoadReporter:
    """Turns the metrics' running totals into one report per interval."""

    hub_id: str
    last_at: float = field(default_factory=time.monotonic)
    last: dict[str, float] = field(default_factory=dict)
    last_buckets: list[tuple[float, float]] = field(default_factory=list)
    last_cast_buckets: list[tuple[float, float]] = field(default_factory=list)

    def report(self, connections: int, subscriptions: int, now: float | None = None) -> dict[str, Any]:
        now = time.monotonic() if now is None else now
        dt = max(now - self.last_at, 1e-6)
        totals = {
            "frames_in": _value("plenary_frames_in_total"),
            "frames_out": _value("plenary_frames_out_total"),
            "events_out": _value("plenary_events_out_total"),
            "dropped": _value("plenary_dropped_frames_total"),
            "slow_aborts": _value("plenary_slow_aborts_total"),
            "casts": _value("plenary_commands_total", {"command": "vote.cast", "outcome": "ok"}),
        }
        rtt = (_value("plenary_redis_rtt_seconds_sum"), _value("plenary_redis_rtt_seconds_count"))
        rates = {k + "_per_s": round((v - self.last.get(k, 0.0)) / dt, 1) for k, v in totals.items()}
        buckets = _buckets("plenary_delivery_seconds")
        cast_buckets = _buckets("plenary_cast_ack_seconds")
        p99 = _p99(buckets, self.last_buckets)
        p50 = _quantile(0.5, buckets, self.last_buckets)
        cast_p50 = _quantile(0.5, cast_buckets, self.last_cast_buckets)
        cast_p99 = _quantile(0.99, cast_buckets, self.last_cast_buckets)
        rtt_n = rtt[1] - self.last.get("rtt_count", 0.0)
        recent_rtt = round((rtt[0] - self.last.get("rtt_sum", 0.0)) / rtt_n * 1000, 2) if rtt_n > 0 else None
        self.last_at, self.last, self.last_buckets = now, totals, buckets
        self.last_cast_buckets = cast_buckets
        self.last.update(rtt_sum=rtt[0], rtt_count=rtt[1])
        return {
            "hub": self.hub_id,
            "connections": connections,
            "subscriptions": subscriptions,
            **rates,
            "dropped_total": int(totals["dropped"]),
            "slow_aborts_total": int(totals["slow_aborts"]),
            "delivery_p99_ms": None if p99 is None else round(p99 * 1000, 1),
            "redis_rtt_ms": _mean_rtt_ms(),
            "delivery_p50_ms": _ms(p50),
            "cast_ack_p50_ms": _ms(cast_p50),
            "cast_ack_p99_ms": _ms(cast_p99),
            "redis_rtt_recent_ms": recent_rtt,
        }


def _ms(seconds: float | None) -> float | None:
    """Seconds as milliseconds for a report (``None``, nothing observed, stays ``None``)."""
    return None if seconds is None else round(seconds * 1000, 1)


def _quantile(q: float, now: list[tuple[float, float]], before: list[tuple[float, float]]) -> float | None:
    """The smallest bucket edge holding the fraction ``q`` of the observations since the last report
    (an upper bound of the quantile); ``None`` when nothing was observed since."""
    prev = dict(before)
    deltas = [(le, count - prev.get(le, 0.0)) for le, count in now]
    total = deltas[-1][1] if deltas else 0.0
    if total <= 0:
        return None
    for le, count in deltas:
        if count >= q * total:
            return le
    return None


def _p99(now: list[tuple[float, float]], before: list[tuple[float, float]]) -> float | None:
    """The smallest bucket edge holding 99 % of the observations since the last report."""
    return _quantile(0.99, now, before)


def _mean_rtt_ms() -> float | None:
    """The Redis round trip: mean of every PING so far (sum / count)."""
    total = _value("plenary_redis_rtt_seconds_sum")
    count = _value("plenary_redis_rtt_seconds_count")
    return round(total / count * 1000, 2) if count else None
