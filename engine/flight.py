"""One read in flight per key: the callers that ask for the same thing while it is being read
wait for that one read instead of each sending their own.

Why: at the opening of a vote 3,000 casts arrive within a second, every one of them before the
hub has read what it keeps of the vote (its definition, whether it is limited to a hall). One
Redis read each is 3,000 round trips queued on one connection ahead of the casts themselves; the
all-at-once cast round went from a p99 of 0.27 s to 1.1 s when one such read was added without
this (docs/performance.md, "the cast path, fifth pass"). The result is not kept here: the caller
keeps what may be kept (a definition never changes; a draft's rule may), this only joins reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Flights(Generic[K, V]):
    """Reads in flight, by key. A read that fails fails every caller that waited for it, and the
    next caller reads again; a caller cancelled while waiting does not cancel the read (the others
    still wait for it)."""

    def __init__(self) -> None:
        self._running: dict[K, asyncio.Future[V]] = {}

    async def once(self, key: K, read: Callable[[], Awaitable[V]]) -> V:
        """``read()``'s result, sharing a read of ``key`` already in flight."""
        return await asyncio.shield(self.start(key, read))

    def start(self, key: K, read: Callable[[], Awaitable[V]]) -> asyncio.Future[V]:
        """The read of ``key`` in flight, started now if there is none (a read begun before its
        result is needed: ``once`` then joins it)."""
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(read())
            self._running[key] = running
            running.add_done_callback(lambda done: self._done(key, done))
        return running

    def in_flight(self, key: K) -> bool:
        return key in self._running

    def _done(self, key: K, done: asyncio.Future[V]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if not done.cancelled():
            done.exception()  # retrieved: a read nobody waits for any more is not "never retrieved"
