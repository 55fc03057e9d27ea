"""The garbage collector's pauses, timed: a histogram per generation on ``/metrics``, and a warning
for each pause long enough to be felt.

Why: a collection stops the hub's one event loop for as long as it walks, and during a plenary that
is every cast and every event waiting. With 3,000 connections the hub's young collections took
15-52 ms and a walk of the middle generation 170-265 ms (docs/performance.md, "Issue 11: the
fan-out's slice and the garbage collector"): the cause behind the cast rounds whose p99 passed
50 ms. Found then with a probe in a throwaway copy of the hub; here the same measure is part of the
hub, so ops see the pauses on the dashboard and ``loadtest.bench_cast`` reports them per round.

The cost: CPython calls the hook at the start and the end of every collection (a few a second
with the hub's thresholds, ``cli.serve.tune_gc``), each time a clock read, and at the end one
histogram observation.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

from realtime.ops.metrics import GC_PAUSE

SLOW = 0.05
"""A pause from this long (s) is logged as a warning: a cast's whole p99 budget (issue 11)."""

_BY_GENERATION = tuple(GC_PAUSE.labels(str(g)) for g in range(3))

log = logging.getLogger("plenary.gc")


class PauseWatch:
    """The ``gc.callbacks`` hook: times each collection from its start to its end."""

    __slots__ = ("_started", "slow")

    def __init__(self, slow: float = SLOW) -> None:
        self.slow = slow
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        generation = info["generation"]  # CPython: 0, 1 or 2
        _BY_GENERATION[generation].observe(took)
        if took >= self.slow:
            log.warning(
                "gc pause",
                extra={
                    "generation": generation,
                    "ms": round(took * 1000, 1),
                    "collected": info.get("collected"),
                    "uncollectable": info.get("uncollectable"),
                },
            )


def watch(slow: float = SLOW) -> PauseWatch:
    """Time every collection of this process from now on (once per process: a second call replaces
    the first hook). Returns the hook, for ``unwatch``."""
    for hook in [h for h in gc.callbacks if isinstance(h, PauseWatch)]:
        gc.callbacks.remove(hook)
    hook = PauseWatch(slow)
    gc.callbacks.append(hook)
    return hook


def unwatch(hook: PauseWatch) -> None:
    """Stop timing collections with ``hook``."""
    if hook in gc.callbacks:
        gc.callbacks.remove(hook)
