"""``plenary_asyncio_tasks``: the hub's tasks as a scrape on its loop sees them (the soak's leak
measure), and no figure (NaN, not a crash) when collected with no loop running."""

from __future__ import annotations

import asyncio
import math

from realtime.ops import metrics


def test_the_gauge_counts_the_running_loops_tasks_and_is_nan_without_one() -> None:
    async def main() -> tuple[float, float]:
        metrics._tasks_seen[0] = -1.0  # a fresh count, not last second's
        alone = metrics.REGISTRY.get_sample_value("plenary_asyncio_tasks")
        gate = asyncio.Event()
        waiting = [asyncio.create_task(gate.wait()) for _ in range(5)]
        metrics._tasks_seen[0] = -1.0
        more = metrics.REGISTRY.get_sample_value("plenary_asyncio_tasks")
        gate.set()
        await asyncio.gather(*waiting)
        assert alone is not None and more is not None
        return alone, more

    alone, more = asyncio.run(main())
    assert alone >= 1 and more == alone + 5
    metrics._tasks_seen[0] = -1.0
    assert math.isnan(metrics.REGISTRY.get_sample_value("plenary_asyncio_tasks") or 0.0)
