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
            running = asyncio.ensure_future(self._read(key, read))
            self._running[key] = running
            running.add_done_callback(lambda done: self._done(key, done))
        return running

    def in_flight(self, key: K) -> bool:
        return key in self._running

    async def _read(self, key: K, read: Callable[[], Awaitable[V]]) -> V:
        return await read()

    def _done(self, key: K, done: asyncio.Future[V]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if not done.cancelled():
            done.exception()  # retrieved: a read nobody waits for any more is not "never retrieved"


class Unsent(Flights[K, V]):
    """Reads joined only until they are sent: a caller shares a read that has not begun yet, never
    one already on its way, so that what each caller gets was read after its own call.

    Why: a ``subscribe``'s recovery read must come after the client's ``attach`` (from then on the
    hub holds the channel's live events for it): an event published between a read and a client's
    attach would be in neither the read nor the client's held events. A read that begins after every
    joiner's call is one each of them could have sent itself. At a vote's opening the 3,000
    subscribes' reads, woken together when the hub's pub/sub subscription is confirmed, then join
    one or a few reads instead of 3,000 (docs/performance.md, "Issue 11: the subscribe burst at a
    vote's opening")."""

    async def _read(self, key: K, read: Callable[[], Awaitable[V]]) -> V:
        # The read's first step: from here on it is being sent, and a new caller starts another.
        if self._running.get(key) is asyncio.current_task():
            del self._running[key]
        return await read()
