"""Prometheus metrics of one hub process (``/metrics``). Created once per process.

Label sets are small and fixed (codec, outcome code): never a participant or channel id, which
would grow without bound.
"""

from __future__ import annotations

import asyncio
import bisect
import math
import time
from collections.abc import Iterable, Sequence
from functools import cache

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import metrics as _prom
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

REGISTRY = CollectorRegistry(auto_describe=True)


class Tally:
    """One counter (one set of label values) as a plain number, read when scraped."""

    __slots__ = ("created", "value")

    def __init__(self) -> None:
        self.value = 0.0
        self.created = time.time()

    def inc(self, amount: float = 1) -> None:
        self.value += amount


class PlainCounter(Collector):
    """A Prometheus counter whose children are plain numbers, read at scrape time: a custom
    collector, prometheus_client's documented way to expose values kept elsewhere.

    Why: ``Counter.inc`` takes a lock and a child's ``labels()`` builds its key, about 1-2 µs, and
    the cast path counted each cast this way (frames in, the command's outcome): at 3,000 casts a
    second a few per cent of the hub's CPU (docs/performance.md, "Issue 11: the cast path, fifth
    pass"). The hub counts on its event loop's thread only, so a plain add is enough. The scrape
    shows the same samples as a ``Counter`` (``_total``, ``_created``) in the same order."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        registry: CollectorRegistry = REGISTRY,
    ) -> None:
        self.name = name.removesuffix("_total")
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self._children: dict[tuple[str, ...], Tally] = {}
        self._plain = Tally() if not labelnames else None
        if self._plain is not None:
            self._children[()] = self._plain
        registry.register(self)

    def labels(self, *values: str) -> Tally:
        if len(values) != len(self.labelnames):
            raise ValueError(f"{self.name}: {len(self.labelnames)} label values expected")
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = Tally()
        return child

    def inc(self, amount: float = 1) -> None:
        assert self._plain is not None, "a counter with labels counts through labels()"
        self._plain.value += amount

    def describe(self) -> Iterable[Metric]:
        return [Metric(self.name, self.documentation, "counter")]

    def collect(self) -> Iterable[Metric]:
        metric = Metric(self.name, self.documentation, "counter")
        for values, child in list(self._children.items()):
            labels = dict(zip(self.labelnames, values, strict=True))
            metric.samples.append(Sample(self.name + "_total", labels, child.value))
            if _prom._use_created:
                metric.samples.append(Sample(self.name + "_created", labels, child.created))
        return [metric]


class PlainHistogram(Collector):
    """A Prometheus histogram without labels kept as plain numbers (``PlainCounter``'s reason):
    ``observe`` is a bisect and two adds, not a lock per bucket. Scraped as a ``Histogram``."""

    def __init__(
        self, name: str, documentation: str, buckets: Sequence[float], registry: CollectorRegistry = REGISTRY
    ) -> None:
        self.name = name
        self.documentation = documentation
        bounds = [float(b) for b in buckets]
        if bounds[-1] != math.inf:
            bounds.append(math.inf)
        self.bounds = tuple(bounds)
        self.counts = [0] * len(bounds)
        self.sum = 0.0
        self.created = time.time()
        registry.register(self)

    def observe(self, amount: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, amount)] += 1
        self.sum += amount

    def describe(self) -> Iterable[Metric]:
        return [Metric(self.name, self.documentation, "histogram")]

    def collect(self) -> Iterable[Metric]:
        metric = Metric(self.name, self.documentation, "histogram")
        acc = 0.0
        for bound, n in zip(self.bounds, list(self.counts), strict=True):
            acc += n
            metric.samples.append(Sample(self.name + "_bucket", {"le": floatToGoString(bound)}, acc))
        metric.samples.append(Sample(self.name + "_count", {}, acc))
        metric.samples.append(Sample(self.name + "_sum", {}, self.sum))
        if _prom._use_created:
            metric.samples.append(Sample(self.name + "_created", {}, self.created))
        return [metric]


CONNECTIONS = Gauge("plenary_connections", "Open WebSocket connections", ["codec"], registry=REGISTRY)
CONNECTIONS_TOTAL = Counter(
    "plenary_accepted_connections", "WebSocket connections accepted", ["codec"], registry=REGISTRY
)
CLOSES = Counter(
    "plenary_closes_total", "Connections closed by the hub, by close code", ["code"], registry=REGISTRY
)
FRAMES_IN = PlainCounter("plenary_frames_in_total", "Frames received from clients")
FRAMES_OUT = Counter(
    "plenary_frames_out_total", "Broadcast frames written to clients (replies not counted)", registry=REGISTRY
)
WRITES_OUT = Counter(
    "plenary_fanout_writes_total",
    "Transport writes of the broadcast: the frames of channels flushed in one tick to one client share a write",
    registry=REGISTRY,
)
EVENTS_OUT = Counter(
    "plenary_events_out_total", "Events delivered to clients (one per client)", registry=REGISTRY
)
DROPPED = Counter(
    "plenary_dropped_frames_total",
    "Broadcast frames dropped for slow clients (recovered by offset)",
    registry=REGISTRY,
)
SLOW_ABORTS = Counter("plenary_slow_aborts_total", "Connections aborted for not reading", registry=REGISTRY)
COMMANDS = PlainCounter(
    "plenary_commands_total", "Commands handled, by command and outcome", ["command", "outcome"]
)


@cache
def command_counter(command: str, outcome: str) -> Tally:
    """``COMMANDS``' child for one (command, outcome), found once: ``labels()`` builds its key on
    every call (a cast's path counts each one). Both labels come from fixed sets (command tags,
    error names), so the cache stays small."""
    return COMMANDS.labels(command, outcome)


DELIVERY = Histogram(
    "plenary_delivery_seconds",
    "Publish (Redis time) to fan-out on this hub",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    registry=REGISTRY,
)
REDIS_RTT = Histogram(
    "plenary_redis_rtt_seconds",
    "Redis round-trip time (a PING every second)",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
    registry=REGISTRY,
)
CAST_ACK = PlainHistogram(
    "plenary_cast_ack_seconds",
    "An accepted vote.cast on this hub: the command taken up to its reply written (the group commit's wait included)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
SUBSCRIPTIONS = Gauge("plenary_subscriptions", "Channel subscriptions held by clients", registry=REGISTRY)
GC_PAUSE = Histogram(  # observed by realtime.ops.gcpause's hook
    "plenary_gc_pause_seconds",
    "The garbage collector's pauses of the hub's process, by generation collected",
    ["generation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    registry=REGISTRY,
)


_tasks_seen: list[float] = [-1.0, math.nan]  # [monotonic time, count]: the last count, kept a second


def _running_tasks() -> float:
    """The asyncio tasks alive in the running loop: the soak's leak measure (a task left behind per
    connection or per command grows this with nothing else to show). Counting walks every task
    (O(tasks)), and every ``REGISTRY.collect()`` asks (the ops feed collects several times each
    report), so a count is reused for a second. A scrape runs on the hub's loop; collected from
    anywhere else (a test, a thread) there is no loop to count: NaN."""
    now = time.monotonic()
    if now - _tasks_seen[0] >= 1.0:
        try:
            _tasks_seen[:] = [now, float(len(asyncio.all_tasks(asyncio.get_running_loop())))]
        except RuntimeError:
            return math.nan
    return _tasks_seen[1]


TASKS = Gauge("plenary_asyncio_tasks", "asyncio tasks alive in the hub's event loop", registry=REGISTRY)
TASKS.set_function(_running_tasks)
