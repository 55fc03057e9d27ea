"""The stream overlay of a meeting, ``overlay/<meeting>``: what the broadcaster's overlay page shows on
top of the YouTube stream, one thing at a time.

State: ``item`` (absent when the overlay is empty), self-contained so the overlay page needs no other
channel: ``{kind: "question", question: {id, text, author?, votes}}``, ``{kind: "slide", slide}``,
``{kind: "poll", poll: {id, title, results}}``, ``{kind: "vote", vote: {id, title, method, ranking, tied, resolved, n_voters, head_hash}}`` or
``{kind: "text", text}``, each with ``since`` (ms). Events: ``overlay.shown {item}``,
``overlay.cleared {}``.

Putting a question on air (``qa.air``) shows it here, and answering the question shown clears it.
That is a second atomic step after the Q&A step (the overlay channel lives in another slot); it is
idempotent, and ``qa.air`` on the question already on air shows it again, so a client that got an
error between the two steps repeats the command and both end up right.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from engine import keys
from engine.channels import ChannelLog
from moderation import qa
from moderation.state import Change, Committed, State, StateChannel


def _now() -> int:
    return int(time.time() * 1000)


def show(item: dict[str, Any]) -> Callable[[State], Change]:
    item = {**item, "since": _now()}

    def rule(state: State) -> Change:
        return Change("overlay.shown", {"item": item}, sets={"item": item}, result={"item": item})

    return rule


def clear(only_question: int | None = None) -> Callable[[State], Change]:
    """Empty the overlay; with ``only_question``, only if that question is what it shows."""

    def rule(state: State) -> Change:
        item = state.get("item")
        if item is None:
            return Change("", None, result={"item": None})
        if only_question is not None and (
            item.get("kind") != "question" or item["question"]["id"] != only_question
        ):
            return Change("", None, result={"item": item})
        return Change("overlay.cleared", {}, deletes=("item",), result={"item": None})

    return rule


def question_item(record: dict[str, Any]) -> dict[str, Any]:
    """A question as the stream shows it: the public view (no anonymous author), no internal fields."""
    public = qa.public_record(record)
    shown: dict[str, Any] = {k: public[k] for k in ("id", "text", "votes", "anonymous") if k in public}
    if "author" in public:
        shown["author"] = {"name": public["author"]["name"]}
    return {"kind": "question", "question": shown}


async def apply(log: ChannelLog, meeting_id: str, rule: Callable[[State], Change]) -> Committed:
    return await StateChannel(log, keys.overlay(meeting_id)).update(rule)
