"""How long a coalesced channel's events wait on a hub before they go out: longer for a larger
audience, on a grid so that the channels of one audience go out in the same tick (and so in one
write to each of their listeners, ``realtime.fanout.writes``).

Why: a coalesced channel (chat, Q&A, ...) costs its hub one frame written to each listener per
flush, whatever the flush holds, so its cost is listeners × flushes a second, and the events per
flush barely count. A table of 8 costs nothing at any pace, and its events should go out at the
next tick; the plenary's 3,000 listeners at one flush every 25 ms were 83 % of the hub's core in
``plenary-burst`` (docs/performance.md, "the scenarios on the slower machine"). Held longer, each
flush carries more events and there are fewer flushes: the hub writes fewer frames, and its own
queue, which was most of the delivery lag, shrinks more than the hold adds (docs/performance.md,
"Issue 11: a hold that grows with the audience, and one write a client a tick").

The grid: a channel's first held event waits for the next tick that is a multiple of its hold,
so the chat and the Q&A of one meeting (the same listeners, so the same hold) are flushed in the
same tick.
"""

from __future__ import annotations

from typing import Final

MAX_HOLD_TICKS: Final = 4
"""The longest hold, in ticks: 100 ms at the hub's 25 ms tick (a hub near its 10,000 connections),
well inside the plenary's 250 ms delivery target and below what a person notices in a chat."""


def hold_ticks(listeners: int, per_tick: int, most: int = MAX_HOLD_TICKS) -> int:
    """Ticks a coalesced channel with ``listeners`` on this hub holds its events: one, and one more
    per ``per_tick`` listeners (``Settings.hold_listeners``, where the measured default and its why
    are), at most ``most``. ``per_tick`` 0: always one (no hold)."""
    if per_tick <= 0:
        return 1
    return max(1, min(most, 1 + listeners // per_tick))


def due_tick(now: int, hold: int) -> int:
    """The tick an event held at tick ``now`` goes out in: the first multiple of ``hold`` after
    ``now`` (with a hold of one, the next tick)."""
    return (now // hold + 1) * hold
