"""The Locust users' check of a resubscription (``loadtest/plenary_locust/recovery.py``) is the
protocol's rule (docs/protocol.md §7): exactly the missed events, or a fresh start that brings a
snapshot on a stateful channel. The users cannot import the hub's code; its channel table is held
here to theirs."""

from __future__ import annotations

from typing import Any

import pytest

from engine.channels import SPECS
from loadtest.plenary_locust.recovery import STATEFUL, Position, RecoveryFailed, channel_kind, check_recovery

CHAT = "meeting/plenary/chat"


def reply(
    channel: str, offset: int, offsets: list[int], *, recovered: bool, epoch: str = "e1", **kw: Any
) -> dict:
    events = [{"type": "event", "channel": channel, "epoch": epoch, "offset": o} for o in offsets]
    return {
        "channel": channel,
        "epoch": epoch,
        "offset": offset,
        "recovered": recovered,
        "events": events,
        **kw,
    }


def test_the_stateful_kinds_are_the_hubs() -> None:
    assert set(STATEFUL) == {kind for kind, spec in SPECS.items() if spec.stateful}
    assert [channel_kind(c) for c in (CHAT, "vote/plenary", "ops", "overlay/m1")] == [
        "chat",
        "vote",
        "ops",
        "overlay",
    ]


def test_exactly_the_missed_events_is_exact() -> None:
    assert check_recovery(Position("e1", 4), reply(CHAT, 7, [5, 6, 7], recovered=True)) == "exact"
    assert check_recovery(Position("e1", 7), reply(CHAT, 7, [], recovered=True)) == "exact"  # nothing missed


@pytest.mark.parametrize(
    ("offsets", "why"),
    [([5, 7], "a hole"), ([5, 6], "short of the reply's offset"), ([4, 5, 6, 7], "one seen already")],
)
def test_a_recovery_that_is_not_exactly_the_missed_events_fails(offsets: list[int], why: str) -> None:
    with pytest.raises(RecoveryFailed):
        check_recovery(Position("e1", 4), reply(CHAT, 7, offsets, recovered=True))


def test_a_recovery_from_another_epoch_fails() -> None:
    with pytest.raises(RecoveryFailed):
        check_recovery(Position("e0", 4), reply(CHAT, 7, [5, 6, 7], recovered=True))


def test_a_fresh_start_brings_a_snapshot_on_a_stateful_channel() -> None:
    qa = "meeting/plenary/qa"
    assert check_recovery(Position("e0", 4), reply(qa, 7, [], recovered=False, snapshot={})) == "fresh"
    with pytest.raises(RecoveryFailed):
        check_recovery(Position("e0", 4), reply(qa, 7, [], recovered=False, snapshot=None))
    # chat is not stateful: its fresh start is the backlog
    assert check_recovery(Position("e1", 4), reply(CHAT, 2000, [1901, 2000], recovered=False)) == "fresh"


def test_a_fresh_start_although_the_history_reaches_back_fails() -> None:
    with pytest.raises(RecoveryFailed):
        check_recovery(Position("e1", 4), reply(CHAT, 7, [5, 6, 7], recovered=False, snapshot=None))
