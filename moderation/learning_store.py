"""Who opened which material, in Redis (issue 14); the counting rule is ``moderation/learning.py``.

One hash per material, ``opened:<material>`` among the agenda channel's keys (its slot: the
materials list it checks against lives there too): participant id -> when they first opened it
(ms). ``HSETNX`` makes a repeat a no-op, so the page may tell the hub every time someone opens a
material, after a reload or on another phone, and each panelist is counted once per material.
The hashes are bounded by what they key: a meeting's materials (at most 200) times its members.

Nothing is published: the figure is the hosts' to ask for (``GET .../learning``), and a
panelist's opening a paper is no event for anyone else's page.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import msgspec

from engine import keys
from engine.channels import ChannelLog
from engine.connection import raw, text
from engine.errors import Code, HubError


def opened_key(meeting_id: str, material: str) -> str:
    return keys.channel_key(keys.meeting_agenda(meeting_id), f"opened:{material}")


class LearningStore:
    def __init__(self, log: ChannelLog) -> None:
        self.log = log
        self.redis = log.redis

    async def materials(self, meeting_id: str) -> list[dict[str, Any]]:
        """The meeting's materials as the agenda channel holds them now (``[]`` for none)."""
        value = await self.redis.hget(keys.channel_keys(keys.meeting_agenda(meeting_id)).state, "materials")
        return list(msgspec.msgpack.decode(raw(value))) if value else []

    async def opened(self, meeting_id: str, material: str, participant_id: str) -> bool:
        """Record that ``participant_id`` opened ``material``; True the first time, False for a
        repeat (nothing changes). ``UNKNOWN_MATERIAL`` for an id not in the meeting's list now,
        storing nothing. The caller checked role, membership and rate."""
        keys.check_id(material, "material id")
        if material not in {m["id"] for m in await self.materials(meeting_id)}:
            raise HubError(Code.UNKNOWN_MATERIAL, f"meeting {meeting_id} has no material {material!r}")
        now = int(time.time() * 1000)
        return bool(await self.redis.hsetnx(opened_key(meeting_id, material), participant_id, now))

    async def opened_by(self, meeting_id: str, materials: Sequence[str]) -> dict[str, set[str]]:
        """Material id -> the ids of everyone who opened it (one round trip)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for m in materials:
                pipe.hkeys(opened_key(meeting_id, m))
            found = await pipe.execute() if materials else []
        return {m: {text(i) for i in ids} for m, ids in zip(materials, found, strict=True)}
