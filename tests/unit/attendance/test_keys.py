"""Each attendance script touches one Redis Cluster slot (engine/keys.py): the online intervals
with the hubs' heartbeats (reap.lua), a session's desk (desk.lua), a vote's hall rule with the vote's
state (hall_vote.lua)."""

from __future__ import annotations

from redis.crc import key_slot

from engine import keys


def slots(*names: str) -> set[int]:
    return {key_slot(n.encode()) for n in names}


def test_each_attendance_step_is_one_slot() -> None:
    assert len(slots(keys.ATTENDANCE_OPEN, keys.ATTENDANCE_CLOSED, keys.CONNECTION_HUBS)) == 1
    assert len(slots(*(keys.attendance_key("plenary", p) for p in ("hall", "paper", "desk")))) == 1
    hall = keys.vote_key("v1", "hall")
    assert slots(hall) == slots(keys.channel_keys(keys.vote("v1")).state)
    sessions = {next(iter(slots(keys.attendance_key(f"m{i}", "desk")))) for i in range(50)}
    assert len(sessions) > 40  # sessions spread over the cluster
