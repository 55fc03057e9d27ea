"""``cli.serve.tune_gc``: a hub process freezes what exists at start out of every collection and
scans its youngest generation every ``GC_YOUNG`` allocations (why: its docstring)."""

from __future__ import annotations

import gc

from cli.serve import GC_YOUNG, tune_gc
from realtime.ops import gcpause


def test_the_hub_freezes_its_start_and_collects_young_objects_less_often() -> None:
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == (GC_YOUNG, before[1], before[2])
        assert gc.get_freeze_count() > 0
        # cycles made afterwards are still found and freed
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
        assert sum(isinstance(h, gcpause.PauseWatch) for h in gc.callbacks) == 1  # and timed
    finally:
        for hook in [h for h in gc.callbacks if isinstance(h, gcpause.PauseWatch)]:
            gcpause.unwatch(hook)
        gc.unfreeze()
        gc.set_threshold(*before)
