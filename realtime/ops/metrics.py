"""Prometheus metrics of one hub process (``/metrics``). Created once per process.

Label sets are small and fixed (codec, outcome code): never a participant or channel id, which
would grow without bound.
"""

from __future__ import annotations

import asyncio
import math
import time
from functools import cache

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

CONNECTIONS = Gauge("plenary_connections", "Open WebSocket connections", ["codec"], registry=REGISTRY)
CONNECTIONS_TOTAL = Counter(
    "plenary_accepted_connections", "WebSocket connections accepted", ["codec"], registry=REGISTRY
)
CLOSES = Counter(
    "plenary_closes_total", "Connections closed by the hub, by close code", ["code"], registry=REGISTRY
)
FRAMES_IN = Counter("plenary_frames_in_total", "Frames received from clients", registry=REGISTRY)
FRAMES_OUT = Counter(
    "plenary_frames_out_total", "Broadcast frames written to clients (replies not counted)", registry=REGISTRY
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
COMMANDS = Counter(
    "plenary_commands_total",
    "Commands handled, by command and outcome",
    ["command", "outcome"],
    registry=REGISTRY,
)


@cache
def command_counter(command: str, outcome: str) -> Counter:
    """``COMMANDS``' child for one (command, outcome), found once: ``labels()`` takes the metric's
    lock and builds its key on every call, about 2.5 µs a command (a cast's path counts each one).
    Both labels come from fixed sets (command tags, error names), so the cache stays small."""
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
CAST_ACK = Histogram(
    "plenary_cast_ack_seconds",
    "An accepted vote.cast on this hub: the command taken up to its reply written (the group commit's wait included)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)
SUBSCRIPTIONS = Gauge("plenary_subscriptions", "Channel subscriptions held by clients", registry=REGISTRY)


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
