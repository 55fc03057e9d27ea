"""Every moderated-meeting command against every role over real sockets: the roles the table allows
get past the role check (to the rules' own answers), every other role gets ``forbidden``."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis

from engine.roles import Role
from panel.roster import Participant
from realtime.protocol.moderation import MODERATION_COMMANDS
from tests.support import HubProcess, connect, seed
from tests.unit.realtime.test_roles import EXPECTED

M = {"meeting": "m1"}
FIELDS: dict[str, dict[str, Any]] = {
    "qa.ask": {**M, "text": "질문"},
    "qa.mine": M,
    "qa.reorder": {**M, "order": []},
    "qa.merge": {**M, "question": 1, "into": 2},
    "chat.delete": {**M, "offset": 1},
    "chat.mute": {**M, "participant": "p2", "minutes": 1},
    "chat.ban": {**M, "participant": "p2"},
    "chat.unmute": {**M, "participant": "p2"},
    "chat.settings": M,
    "chat.status": M,
    "chat.moderation": M,
    "chat.report": {**M, "offset": 1, "reason": "spam"},
    "chat.dismiss_report": {**M, "offset": 1},
    "speakers.raise": M,
    "speakers.lower": M,
    "speakers.order": {**M, "order": []},
    "speakers.next": M,
    "speakers.yield": M,
    "speakers.timer": {**M, "seconds": 60},
    "agenda.set": {**M, "items": []},
    "agenda.current": {**M, "item": None},
    "slide.show": {**M, "url": "https://example.org/s.png"},
    "slide.clear": M,
    "materials.set": {**M, "items": []},
    "overlay.show": {**M, "text": "안내"},
    "overlay.clear": M,
    "poll.create": {**M, "poll": {"id": "x", "title": "x", "questions": []}},
    "poll.answer": {**M, "poll": "x", "answers": {}},
    "poll.results": {**M, "poll": "x", "visible": True},
}
for _tag in (
    "qa.upvote",
    "qa.unvote",
    "qa.approve",
    "qa.dismiss",
    "qa.reopen",
    "qa.queue",
    "qa.unqueue",
    "qa.air",
    "qa.answer",
):
    FIELDS[_tag] = {**M, "question": 1}
for _tag in ("poll.open", "poll.close", "poll.publish", "poll.export"):
    FIELDS[_tag] = {**M, "poll": "x"}
TAGS = sorted(str(c.__struct_config__.tag) for c in MODERATION_COMMANDS)


async def test_every_command_against_every_role(redis: Redis, hubs: tuple[HubProcess, HubProcess]) -> None:
    assert set(FIELDS) == set(TAGS)
    tokens = await seed(
        redis,
        extra=[
            Participant(id="cap", name="자막", role=Role.CAPTIONER),
            Participant(id="fac", name="진행", role=Role.FACILITATOR, meetings=["m1"]),  # issue 15
            Participant(id="thm", name="주제", role=Role.THEMER),  # issue 15: the theme team
        ],
    )
    people = {
        "panelist": "p1",
        "moderator": "mod",
        "host": "host",
        "ops": "ops",
        "observer": "obs",
        "clerk": "clerk",
        "captioner": "cap",
        "facilitator": "fac",
        "themer": "thm",
    }
    assert set(people) == set(Role)

    async def one_role(i: int, role: str) -> dict[str, str]:
        out = {}
        for half in (TAGS[::2], TAGS[1::2]):  # two connections: each stays within the command rate
            async with connect(hubs[i % 2].ws_url, tokens[people[role]]) as c:
                for tag in half:
                    reply = await c.call(tag, **FIELDS[tag])
                    out[tag] = "ok" if reply["type"] == "reply" else reply["name"]
        return out

    results = await asyncio.gather(*(one_role(i, r) for i, r in enumerate(Role)))
    for role, got in zip(Role, results, strict=True):
        for tag in TAGS:
            if role in EXPECTED[tag]:
                assert got[tag] not in ("forbidden", "rate_limited", "bad_field"), (tag, role, got[tag])
            else:
                assert got[tag] == "forbidden", (tag, role, got[tag])
