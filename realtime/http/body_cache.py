"""A hub's short-lived copy of a public answer that thousands ask for at once.

The results link goes to 3,000 phones at the same moment; some public answers read much (the whole
roster, every decided proposal of a vote) and change rarely. Each hub answers from its copy for a
few seconds, so a change shows within that. A bound, not an LRU: the keys are votes, few."""

from __future__ import annotations

import time
from collections.abc import Callable


class BodyCache:
    """Encoded answers by key, each kept ``seconds``; at most ``bound`` keys (then emptied)."""

    def __init__(self, seconds: float, bound: int = 64, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.bound = bound
        self.clock = clock
        self._kept: dict[str, tuple[float, bytes]] = {}

    def get(self, key: str) -> bytes | None:
        hit = self._kept.get(key)
        return hit[1] if hit is not None and self.clock() - hit[0] < self.seconds else None

    def put(self, key: str, body: bytes) -> bytes:
        if len(self._kept) >= self.bound:
            self._kept.clear()
        self._kept[key] = (self.clock(), body)
        return body
