"""Group commit: whatever waits when the previous batch returns goes out in the next one.

Why: under ``appendfsync always`` Redis answers a pipeline after one write and one fsync, however
many commands it holds, and a hub spends most of a lone command's cost in the round trip. So the
hub never sends a durable write per item when a batch can carry many: casts (``ballot.store``) and
per-participant rate checks (``engine.limits``) both queue their items here, and one task sends
them, a batch at a time, in arrival order. A batch is not held back to fill up: the next one leaves
as soon as the previous one returned, so a lone item waits for nothing but its own round trip.

The contract for ``flush``: it gets each batch (at most ``max_batch`` items, in arrival order), one
at a time, and settles every item itself (a result, or an error the caller can act on); it must not
raise. It may ``put`` an item again (a retry with new input): that item goes in a later batch.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupCommit(Generic[T]):
    """One task sending queued items in batches through ``flush``. ``start`` before ``put``;
    ``stop`` returns what was still waiting, for the caller to fail as it sees fit."""

    def __init__(self, flush: Callable[[list[T]], Awaitable[None]], name: str, max_batch: int) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.flush = flush
        self.name = name
        self.max_batch = max_batch
        self.batches = 0  # batches sent, for benchmarks and tests (round trips to Redis)
        self._queue: list[T] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    def put(self, item: T) -> None:
        self._queue.append(item)
        self._wake.set()

    async def stop(self) -> list[T]:
        """Stop sending; the items that were waiting (not in a batch already sent) come back."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        left, self._queue = self._queue, []
        return left

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                await self.flush(batch)
                self.batches += 1
