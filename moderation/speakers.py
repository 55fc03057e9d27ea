"""A meeting's speakers list: raised hands, the moderators' order, the current speaker and the timer.

State of ``meeting/<id>/speakers`` (every member sees it; the subscribe snapshot is the list):

- ``hand:<participant>``: ``{id, name, at, rank}``, one per raised hand; the list is sorted by
  ``(rank, at, id)``. A new hand gets a rank after every other; ``speakers.order`` renumbers.
- ``current``: ``{id, name, started_at, ends_at, seconds}`` of the speaker who has the floor.
  Everyone's page counts down to ``ends_at`` (hub time); the hub does not cut anyone off: the
  moderator calls the next speaker.
- ``seconds``: the per-speaker time for turns that follow (default :data:`DEFAULT_SECONDS`).
- ``cut_off``: true when live voice (issue 16) ends at the timer (``speakers.timer``'s choice);
  otherwise the hub cuts no one off and the moderator calls the next speaker.

Rules are pure functions of the state (``moderation/state.py`` commits them atomically). Raising and
lowering guard only the participant's own field, so a whole plenary raising hands at once never
retries; the moderators' steps guard the whole channel.

Calling on a speaker is where live voice (issue 16) hooks in: :class:`CallOn` is told who got
the floor, after the state changed, and every :data:`FloorHook` of ``floor_hooks`` whenever the
floor changes hands (called, yielded, taken away): the relay ends the media at once there.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

from engine import keys, roles
from engine.channels import ChannelLog
from engine.errors import Code, HubError
from moderation.state import Change, Committed, State, StateChannel

DEFAULT_SECONDS: Final = 120

CallOn = Callable[[str, dict[str, Any]], Awaitable[None]]
"""``call_on(meeting_id, speaker)``: a speaker got the floor (the hook for live voice)."""

FloorHook = Callable[[str], Awaitable[None]]
"""``hook(meeting_id)``: the floor of that meeting changed hands (read the state for who has it)."""


def _now() -> int:
    return int(time.time() * 1000)


def hands(state: State) -> list[dict[str, Any]]:
    """The raised hands in speaking order."""
    return sorted(state.prefixed("hand:").values(), key=lambda h: (h["rank"], h["at"], h["id"]))


def raise_hand(pid: str, name: str, now: int) -> Callable[[State], Change]:
    field = f"hand:{pid}"

    def rule(state: State) -> Change:
        if field in state.values:
            return Change("", None, result={"raised": True, "changed": False})
        rank = max((h["rank"] for h in hands(state)), default=0) + 1
        hand = {"id": pid, "name": name, "at": now, "rank": rank}
        return Change(
            "speakers.raised", {"hand": hand}, sets={field: hand}, guards=(field,), result={"raised": True}
        )

    return rule


def lower_hand(pid: str, by: str, role: str) -> Callable[[State], Change]:
    if pid != by and role not in roles.MODERATORS:
        raise HubError(Code.FORBIDDEN, "only moderators lower someone else's hand")
    field = f"hand:{pid}"

    def rule(state: State) -> Change:
        if field not in state.values:
            return Change("", None, result={"raised": False, "changed": False})
        return Change(
            "speakers.lowered",
            {"participant": pid, "by": by},
            deletes=(field,),
            guards=(field,),
            result={"raised": False},
        )

    return rule


def order(new: list[str]) -> Callable[[State], Change]:
    def rule(state: State) -> Change:
        current = {h["id"] for h in hands(state)}
        if len(new) != len(set(new)) or set(new) != current:
            raise HubError(Code.BAD_ORDER, "the order must list every raised hand exactly once")
        sets = {f"hand:{pid}": {**state.values[f"hand:{pid}"], "rank": i + 1} for i, pid in enumerate(new)}
        return Change("speakers.ordered", {"order": new}, sets=sets, result={"order": new})

    return rule


def call_next(pid: str | None, seconds: int | None, now: int) -> Callable[[State], Change]:
    def rule(state: State) -> Change:
        waiting = hands(state)
        if pid is not None:
            chosen = next((h for h in waiting if h["id"] == pid), None)
            if chosen is None:
                raise HubError(Code.NOBODY_WAITING, f"{pid} has not raised a hand")
        elif waiting:
            chosen = waiting[0]
        else:
            raise HubError(Code.NOBODY_WAITING, "no raised hand to call on")
        secs = seconds or int(state.get("seconds", DEFAULT_SECONDS))
        current = {
            "id": chosen["id"],
            "name": chosen["name"],
            "started_at": now,
            "ends_at": now + secs * 1000,
            "seconds": secs,
        }
        return Change(
            "speakers.called",
            {"current": current, "previous": (state.get("current") or {}).get("id")},
            sets={"current": current},
            deletes=(f"hand:{chosen['id']}",),
            result={"current": current},
        )

    return rule


def yield_floor(by: str, role: str, now: int) -> Callable[[State], Change]:
    def rule(state: State) -> Change:
        current = state.get("current")
        if current is None or (current["id"] != by and role not in roles.MODERATORS):
            raise HubError(Code.NOT_THE_SPEAKER, "only the current speaker (or a moderator) yields the floor")
        data = {"speaker": current["id"], "by": by, "spoke_ms": max(0, now - current["started_at"])}
        return Change("speakers.yielded", data, deletes=("current",), result=data)

    return rule


def set_timer(seconds: int, cut_off: bool | None = None) -> Callable[[State], Change]:
    """The time of the turns that follow; ``cut_off`` (None: unchanged) whether live voice ends
    when a speaker's time runs out."""

    def rule(state: State) -> Change:
        sets: dict[str, Any] = {"seconds": seconds}
        if cut_off is not None:
            sets["cut_off"] = cut_off
        data = {**sets, "cut_off": sets.get("cut_off", bool(state.get("cut_off")))}
        return Change("speakers.timer", data, sets=sets, result=data)

    return rule


class SpeakersList:
    def __init__(self, log: ChannelLog, call_on: CallOn | None = None) -> None:
        self.log = log
        self.call_on = call_on
        self.floor_hooks: list[FloorHook] = []

    def channel(self, meeting_id: str) -> StateChannel:
        return StateChannel(self.log, keys.meeting_speakers(meeting_id))

    async def apply(self, meeting_id: str, rule: Callable[[State], Change]) -> Committed:
        return await self.channel(meeting_id).update(rule)

    async def next(self, meeting_id: str, pid: str | None, seconds: int | None) -> Committed:
        done = await self.apply(meeting_id, call_next(pid, seconds, _now()))
        if self.call_on is not None:
            await self.call_on(meeting_id, done.result["current"])
        await self.floor_changed(meeting_id)
        return done

    async def yield_(self, meeting_id: str, by: str, role: str) -> Committed:
        """The floor yielded by the speaker, or taken away by a moderator."""
        done = await self.apply(meeting_id, yield_floor(by, role, _now()))
        await self.floor_changed(meeting_id)
        return done

    async def floor_changed(self, meeting_id: str) -> None:
        for hook in self.floor_hooks:
            await hook(meeting_id)
