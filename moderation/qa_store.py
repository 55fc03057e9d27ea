"""A meeting's Q&A in Redis: the rules of ``moderation/qa.py``, enforced atomically by ``lua/qa.lua``.

Two channels carry it, written together in one script (their keys share one slot):

- ``meeting/<id>/qa`` (every member): the questions in a public state, the author left out of
  anonymous ones, and the moderators' ``order`` of the queued ones. Its snapshot is therefore safe
  for panelists: fields ``q:<id>`` (one question each) and ``order``.
- ``meeting/<id>/staff`` (moderators and hosts): every question in every state with its author,
  ``order``, ``on_air`` (the id on air), and the chat reports (``report:<offset>``).

Events on both, one per step: ``qa.<step>`` with ``{"questions": [...], "removed": [ids],
"order": [...]}`` (each key only when it changed; a client upserts the questions, drops the removed
ids, replaces the order), and ``qa.voted {"id", "votes"}`` for votes, kept small because thousands
of them go to thousands of clients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from engine import keys
from engine.channels import ChannelLog
from engine.connection import raw, text
from engine.errors import Code, HubError
from moderation import filters, qa
from moderation.chat import Author

# Who asks a question: the same record as a chat message's author.
Asker = Author


@dataclass(frozen=True)
class Step:
    """What a step did: the question, the events' offsets (public 0: panelists saw no change), and
    the question's votes; ``changed`` False for a repeated vote or withdrawal (nothing published)."""

    question: int
    staff_offset: int
    public_offset: int
    votes: int
    changed: bool


_PUBLIC = " ".join(sorted(qa.PUBLIC))


def _words(states: frozenset[qa.QState]) -> str:
    return " ".join(sorted(states))


class QAStore:
    def __init__(self, log: ChannelLog, word_filter: filters.WordFilter | None = None) -> None:
        self.log = log
        self.word_filter = word_filter

    def _keys(self, meeting_id: str, voters: int = 0, into: int = 0) -> list[str]:
        ch = keys.meeting_qa(meeting_id)
        counter = keys.channel_key(ch, "seq")
        return [
            counter,
            keys.channel_key(ch, f"voters:{voters}") if voters else counter,
            keys.channel_key(ch, f"voters:{into}") if into else counter,
            keys.channel_key(ch, "asked"),
        ]

    async def _call(
        self, meeting_id: str, r: qa.Rule, args: list[Any], voters: int = 0, into: int = 0
    ) -> Step:
        res = await self.log.write(
            "moderation",
            "qa",
            keys.meeting_qa(meeting_id),
            keys.meeting_staff(meeting_id),
            keys=self._keys(meeting_id, voters or into, into),
            args=[args[0], r.event, _PUBLIC, *args[1:]],
        )
        if int(res[0]) < 0:
            raise _error(r, text(res[1]), text(res[2]))
        return Step(int(res[1]), int(res[2]), int(res[3]), int(res[4]), bool(int(res[5])))

    # -- panelists ---------------------------------------------------------------------------------
    async def ask(
        self, meeting_id: str, who: Asker, text_: str, anonymous: bool = qa.ANONYMOUS_BY_DEFAULT
    ) -> Step:
        r = qa.rule("ask")
        qa.check_role(r, who.role)
        body = qa.clean_question(text_)
        body = (self.word_filter or filters.default()).mask(body)
        args = ["ask", who.id, who.name, "1" if anonymous else "0", body, qa.MAX_QUESTIONS_PER_ASKER]
        return await self._call(meeting_id, r, args)

    async def vote(self, meeting_id: str, question: int, voter: str, role: str, add: bool = True) -> Step:
        r = qa.rule("upvote" if add else "unvote")
        qa.check_role(r, role)
        return await self._call(
            meeting_id, r, ["vote" if add else "unvote", question, voter, _words(r.sources)], voters=question
        )

    # -- moderators --------------------------------------------------------------------------------
    async def move(self, meeting_id: str, rule_name: str, question: int, role: str) -> Step:
        """Take one of the state-changing rules (approve, dismiss, reopen, queue, unqueue, air, answer)."""
        r = qa.rule(rule_name)
        if r.target is None or not r.sources or rule_name == "merge":
            raise ValueError(f"{rule_name} is not a move")
        qa.check_role(r, role)
        return await self._call(meeting_id, r, ["move", question, r.target.value, _words(r.sources)])

    async def merge(self, meeting_id: str, question: int, into: int, role: str) -> Step:
        r = qa.rule("merge")
        qa.check_role(r, role)
        return await self._call(
            meeting_id,
            r,
            ["merge", question, into, _words(r.sources), _words(qa.MERGE_TARGETS)],
            voters=question,
            into=into,
        )

    async def reorder(self, meeting_id: str, order: list[int], role: str) -> Step:
        r = qa.rule("reorder")
        qa.check_role(r, role)
        return await self._call(meeting_id, r, ["reorder", *order])

    # -- reads -------------------------------------------------------------------------------------
    async def questions(self, meeting_id: str, staff: bool = True) -> dict[int, dict[str, Any]]:
        """Every question of the desk (``staff``) or of the panelists' view, by id."""
        ch = keys.meeting_staff(meeting_id) if staff else keys.meeting_qa(meeting_id)
        flat = await self.log.redis.hgetall(keys.channel_keys(ch).state)
        out = {}
        for k, v in flat.items():
            name = text(k)
            if name.startswith("q:"):
                out[int(name[2:])] = msgspec.msgpack.decode(raw(v))
        return out

    async def order(self, meeting_id: str) -> list[int]:
        value = await self.log.redis.hget(keys.channel_keys(keys.meeting_staff(meeting_id)).state, "order")
        return list(msgspec.msgpack.decode(raw(value))) if value else []

    async def voters(self, meeting_id: str, question: int) -> set[str]:
        members = await self.log.redis.smembers(
            keys.channel_key(keys.meeting_qa(meeting_id), f"voters:{question}")
        )
        return {text(m) for m in members}

    async def mine(self, meeting_id: str, participant_id: str) -> dict[str, Any]:
        """A panelist's own questions (with their state, also those panelists do not see) and the
        questions they voted for: what a page needs to show after a reconnect."""
        questions = await self.questions(meeting_id)
        asked = [
            {"id": q["id"], "state": q["state"], "text": q["text"], "anonymous": q["anonymous"]}
            for q in sorted(questions.values(), key=lambda q: q["id"])
            if q.get("author", {}).get("id") == participant_id
        ]
        ids = sorted(questions)
        ch = keys.meeting_qa(meeting_id)
        async with self.log.redis.pipeline(transaction=False) as pipe:
            for qid in ids:
                pipe.sismember(keys.channel_key(ch, f"voters:{qid}"), participant_id)
            found = await pipe.execute() if ids else []
        return {"asked": asked, "voted": [qid for qid, yes in zip(ids, found, strict=True) if yes]}


def _error(r: qa.Rule, name: str, detail: str) -> HubError:
    if name == "too_many_questions":
        return HubError(Code.TOO_MANY_QUESTIONS, f"you have asked {detail} questions in this meeting already")
    if name == "unknown_question":
        return HubError(Code.UNKNOWN_QUESTION, f"no question {detail} in this meeting")
    if name == "bad_transition":
        allowed = ", ".join(sorted(r.sources))
        return HubError(
            Code.BAD_TRANSITION, f"cannot {r.name} a question that is {detail} (only when: {allowed})"
        )
    if name == "bad_merge":
        if detail in set(qa.QState):
            return HubError(
                Code.BAD_MERGE, f"merge into a question panelists can see, not one that is {detail}"
            )
        return HubError(Code.BAD_MERGE, detail)
    if name == "bad_order":
        return HubError(Code.BAD_ORDER, "the order must list every queued question exactly once")
    return HubError(Code.INTERNAL, name)
