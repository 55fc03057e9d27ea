"""What a resubscription with a position must bring (docs/protocol.md §7), as a pure rule: exactly
the missed events, or a documented fresh start. Standard library only, so that pytest holds it to
the hub (``tests/unit/test_locust_limits.py``); the users (gevent) apply it to every reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STATEFUL = (
    *("qa", "staff", "agenda", "speakers", "polls", "votes", "vote", "overlay", "proposals"),
    *("table", "cards", "tables", "themes", "theme_drafts"),  # issue 15: live tables, the theme team
    "voice",  # issue 16: live voice
    "seating",  # issue 15: a reseat's news (when, how many tables)
)
"""Channel kinds with a state (docs/protocol.md §6): a fresh start on them brings a snapshot."""


class RecoveryFailed(Exception):
    """A ``subscribe`` with a position did not bring exactly the missed events, nor a fresh start."""


@dataclass
class Position:
    """Where this connection stands on one channel (docs/protocol.md §7)."""

    epoch: str
    offset: int


def channel_kind(channel: str) -> str:
    """As ``engine.keys.channel_kind``: a meeting's channels by their last part, a table's
    (``meeting/<id>/table/<n>``) ``table``, the others by their first part."""
    if channel.startswith("meeting/"):
        parts = channel.split("/")
        return "table" if len(parts) == 4 and parts[2] == "table" else parts[-1]
    return channel.split("/", 1)[0]


def check_recovery(sent: Position | None, result: dict[str, Any]) -> str:
    """Judge a ``subscribe`` reply: ``"exact"`` (the events after ``sent``, every one, in order,
    up to the reply's offset), ``"fresh"`` (a documented fresh start: no position sent, another
    epoch or the history no longer reaches back; a stateful channel then has its snapshot).
    Raises ``RecoveryFailed`` otherwise."""
    channel, offset = result["channel"], int(result["offset"])
    events = result.get("events") or []
    if result.get("recovered"):
        if sent is None or sent.epoch != result["epoch"]:
            raise RecoveryFailed(f"{channel}: recovered without a position of this epoch")
        got = [int(e["offset"]) for e in events]
        want = list(range(sent.offset + 1, offset + 1))
        if got != want or any(e.get("epoch") != result["epoch"] for e in events):
            raise RecoveryFailed(f"{channel}: recovered {got[:5]}... for the missed {want[:5]}...")
        return "exact"
    if channel_kind(channel) in STATEFUL and result.get("snapshot") is None:
        raise RecoveryFailed(f"{channel}: a fresh start without a snapshot")
    if sent is not None and sent.epoch == result["epoch"] and sent.offset <= offset:
        # Same epoch and still a fresh start: only if the history no longer holds the next event.
        first = min((int(e["offset"]) for e in events), default=offset + 1)
        if first <= sent.offset + 1 and events:
            raise RecoveryFailed(
                f"{channel}: a fresh start although the history reaches offset {sent.offset}"
            )
    return "fresh"
