"""``realtime.ops.gcpause``: every collection is timed into the histogram of its generation, a
pause from ``slow`` on is logged as a warning with its generation and length, and ``unwatch``
removes the hook (one hook per process however often ``watch`` is called)."""

from __future__ import annotations

import gc
import logging

import pytest

from realtime.ops import gcpause
from realtime.ops.metrics import REGISTRY


def count(generation: int) -> float:
    value = REGISTRY.get_sample_value("plenary_gc_pause_seconds_count", {"generation": str(generation)})
    return value or 0.0


def test_each_collection_is_timed_under_its_generation() -> None:
    hook = gcpause.watch()
    try:
        before = [count(g) for g in range(3)]
        gc.collect(2)
        gc.collect(0)
        assert count(2) == before[2] + 1
        assert count(0) >= before[0] + 1  # and any young collection the test itself set off
        total = REGISTRY.get_sample_value("plenary_gc_pause_seconds_sum", {"generation": "2"})
        assert total is not None and total > 0
    finally:
        gcpause.unwatch(hook)
    after = count(2)
    gc.collect(2)
    assert count(2) == after  # unwatched: no longer timed


def test_a_slow_pause_is_a_warning_with_its_generation(caplog: pytest.LogCaptureFixture) -> None:
    hook = gcpause.watch(slow=0.0)  # every pause counts as slow
    try:
        with caplog.at_level(logging.WARNING, logger="plenary.gc"):
            gc.collect(1)
    finally:
        gcpause.unwatch(hook)
    records = [r for r in caplog.records if r.getMessage() == "gc pause"]
    assert records and records[-1].generation == 1  # type: ignore[attr-defined]
    assert records[-1].ms >= 0  # type: ignore[attr-defined]


def test_a_pause_under_the_threshold_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    hook = gcpause.watch(slow=3600.0)
    try:
        with caplog.at_level(logging.WARNING, logger="plenary.gc"):
            gc.collect(0)
    finally:
        gcpause.unwatch(hook)
    assert not [r for r in caplog.records if r.getMessage() == "gc pause"]


def test_watching_twice_keeps_one_hook() -> None:
    first = gcpause.watch()
    second = gcpause.watch()
    try:
        assert first not in gc.callbacks
        assert sum(isinstance(h, gcpause.PauseWatch) for h in gc.callbacks) == 1
    finally:
        gcpause.unwatch(second)
    assert not any(isinstance(h, gcpause.PauseWatch) for h in gc.callbacks)
