"""Group commit: whatever waits when the previous batch returns goes out in the next one.

Why: under ``appendfsync always`` Redis answers a pipeline after one write and one fsync, however
many commands it holds, and a hub spends most of a lone command's cost in the round trip. So the
hub never sends a durable write per item when a batch can carry many: casts (``ballot.store``) and
per-participant rate checks (``engine.limits``) both queue their items here, and one task sends
them, a batch at a time, in arrival order. A batch is not held back to fill up: the next one leaves
as soon as the previous one returned, so a lone item waits for nothing but its own round trip.

Pacing (``pace``, seconds, 0 by default): under a steady trickle the batches stay small (casts
spread over a second came one or two per batch) and the hub pays a batch's fixed cost (a task, a
command, a reply, a wake-up) per item. With ``pace``, a batch that is not full leaves no sooner
than ``pace`` after the one before it: a lone item after a quiet spell still leaves at once, a
full batch never waits, and a trickle is gathered into one batch per ``pace``. The price is at
most ``pace`` of added latency, only when batches follow each other closely (docs/performance.md,
"Issue 11: the cast path, third pass").

Batches in flight (``in_flight``, 1 by default): with 2, the next batch leaves while Redis still
runs the previous one, so the hub's work on a batch (packing, then reading the replies) overlaps
Redis' (running the script, the fsync) instead of following it (docs/performance.md, "Issue 11:
the store level"). Order is kept by starting the flushes in batch order: each flush runs in a task
of its own, created in order, and its first step (everything up to its first suspension) runs
before the next batch's; a flush that writes its commands to one connection in that first step
(``engine.scripts.ScriptPipe``) reaches Redis in batch order.

The contract for ``flush``: it gets each batch (at most ``max_batch`` items, in arrival order) and
settles every item itself (a result, or an error the caller can act on); it must not raise. With
``in_flight`` 1 the batches come one at a time; with more, up to that many run at once, each
started only after the one before it got as far as its first suspension. It may ``put`` an item
again (a retry with new input): that item goes in a later batch.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class GroupCommit(Generic[T]):
    """One task sending queued items in batches through ``flush``. ``start`` before ``put``;
    ``stop`` returns what was still waiting, for the caller to fail as it sees fit."""

    def __init__(
        self,
        flush: Callable[[list[T]], Coroutine[Any, Any, None]],
        name: str,
        max_batch: int,
        in_flight: int = 1,
        pace: float = 0.0,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if in_flight < 1:
            raise ValueError("in_flight must be at least 1")
        if pace < 0:
            raise ValueError("pace must not be negative")
        self.flush = flush
        self.name = name
        self.max_batch = max_batch
        self.in_flight = in_flight
        self.batches = 0  # batches sent, for benchmarks and tests (round trips to Redis)
        self._queue: list[T] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._flushing: set[asyncio.Task[None]] = set()
        self._room = asyncio.Semaphore(in_flight)
        self.pace = pace
        self._last_left = -pace  # loop time the last batch left

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    def put(self, item: T) -> None:
        self._queue.append(item)
        self._wake.set()

    async def stop(self) -> list[T]:
        """Stop sending; the items that were waiting (not in a batch already sent) come back. Batches
        in flight are cancelled (their flush settles their items, as with one in flight)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._flushing):
            task.cancel()
        if self._flushing:
            await asyncio.gather(*self._flushing, return_exceptions=True)
        left, self._queue = self._queue, []
        return left

    async def _run(self) -> None:
        if self.in_flight == 1:  # the plain loop: no task per batch
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._queue:
                    await self._paced()
                    batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                    await self.flush(batch)
                    self.batches += 1
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                await self._room.acquire()  # a batch in flight returned (or fewer than in_flight are)
                await self._paced()
                if not self._queue:  # the items were taken back (stop) meanwhile
                    self._room.release()
                    break
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                task = asyncio.create_task(self.flush(batch), name=self.name)
                self._flushing.add(task)
                task.add_done_callback(self._flushed)
                self.batches += 1

    async def _paced(self) -> None:
        """Wait until ``pace`` has passed since the last batch left, unless a full batch waits."""
        if self.pace:
            loop = asyncio.get_running_loop()
            due = self._last_left + self.pace - loop.time()
            if due > 0 and len(self._queue) < self.max_batch:
                await asyncio.sleep(due)
            self._last_left = loop.time()

    def _flushed(self, task: asyncio.Task[None]) -> None:
        self._flushing.discard(task)
        self._room.release()
