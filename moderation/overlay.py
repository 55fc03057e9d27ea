"""The stream overlay of a meeting, ``overlay/<meeting>``: what the broadcaster's overlay page shows on
top of the YouTube stream, one thing at a time.

State: ``item`` (absent when the overlay is empty), self-contained so the overlay page needs no other
channel: ``{kind: "question", question: {id, text, author?, votes}}``, ``{kind: "slide", slide}``,
``{kind: "poll", poll: {id, title, results}}``, ``{kind: "vote", vote: {id, title, method, ranking, tied, resolved, n_voters, head_hash}}`` or
``{kind: "text", text}`` or (issue 15) ``{kind: "themes", themes: [{id, title, count, tables}]}``, each
with ``since`` (ms). Events: ``overlay.shown {item}``,
``overlay.cleared {}``.

Putting a question on air (``qa.air``) shows it here, and answering, dismissing or unqueueing the
question shown clears it (:data:`QA_STAGE`, :func:`qa_stage`; the handler only calls :func:`follow_qa`).
That is a second atomic step after the Q&A step (the overlay channel lives in another slot); it is
idempotent, and ``qa.air`` on the question already on air shows it again, so a client that got an
error between the two steps repeats the command and both end up right.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from engine import keys, roles
from engine.channels import ChannelLog
from engine.errors import Code, HubError
from engine.roles import Role
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


def question_item(record: Mapping[str, Any]) -> dict[str, Any]:
    """A question as the stream shows it: the public view (no anonymous author), no internal fields."""
    public = qa.public_record(record)
    shown: dict[str, Any] = {k: public[k] for k in ("id", "text", "votes", "anonymous") if k in public}
    if "author" in public:
        shown["author"] = {"name": public["author"]["name"]}
    return {"kind": "question", "question": shown}


class Stage(StrEnum):
    """What a Q&A step does to the overlay."""

    SHOW = "show"  # the question goes on the overlay (in place of whatever it showed)
    CLEAR = "clear"  # the overlay empties, if (and only if) it shows that question


QA_STAGE: Final[Mapping[str, Stage]] = MappingProxyType(
    {"air": Stage.SHOW, "answer": Stage.CLEAR, "dismiss": Stage.CLEAR, "unqueue": Stage.CLEAR}
)
"""The Q&A -> overlay stage: the steps of ``moderation/qa.py`` that change the stream overlay. Putting a
question on air shows it; answering, dismissing or taking out of the order the question shown takes
it off, so the stream never shows a question that is no longer asked. The other steps leave it."""


def qa_stage(
    step: str, question: int, record: Mapping[str, Any] | None = None
) -> Callable[[State], Change] | None:
    """The overlay's rule after the Q&A step ``step`` on ``question`` (None: the overlay stays as it
    is). ``record`` is the question as stored, needed only when the step shows it (:data:`QA_STAGE`)."""
    stage = QA_STAGE.get(step)
    if stage is Stage.SHOW:
        if record is None:
            raise ValueError(f"the Q&A step {step!r} shows the question: its record is needed")
        return show(question_item(record))
    if stage is Stage.CLEAR:
        return clear(only_question=question)
    return None


async def follow_qa(
    log: ChannelLog,
    meeting_id: str,
    step: str,
    question: int,
    record: Callable[[], Awaitable[Mapping[str, Any]]],
) -> Committed | None:
    """The second atomic step after a Q&A step (see the module's docstring): the overlay follows the
    stage :func:`qa_stage` names; ``record`` reads the question only when the step shows it."""
    shown = await record() if QA_STAGE.get(step) is Stage.SHOW else None
    rule = qa_stage(step, question, shown)
    return None if rule is None else await apply(log, meeting_id, rule)


# -- who puts things on air ----------------------------------------------------------------------
OPERATORS: Final = roles.HOSTS
"""Who shows a thing on the stream overlay and clears it (``overlay.show``, ``overlay.clear``): the
hosts. The overlay is what the public broadcast shows, so it speaks for the assembly, not for a
moderator's desk; a moderator's Q&A step changes it only as :data:`QA_STAGE` says."""


def command_roles() -> dict[str, frozenset[Role]]:
    """``overlay.<name>`` -> the roles that may run it; ``realtime/roles.py`` takes these rows from here."""
    return dict.fromkeys(("overlay.show", "overlay.clear"), OPERATORS)


# -- what overlay.show may put on air: one thing, and only what its own rule already made public ------
def check_one(
    *, question: int | None, slide: bool, poll: str | None, vote: str | None, text: str | None
) -> None:
    """``overlay.show`` names exactly one thing to show (``BAD_FIELD`` otherwise)."""
    given = [x for x in (question, poll, vote, text) if x is not None] + ([1] if slide else [])
    if len(given) != 1:
        raise HubError(Code.BAD_FIELD, "show exactly one of: question, slide, poll, vote, text")


def public_question_item(question: int, record: Mapping[str, Any] | None) -> dict[str, Any]:
    """A question panelists can see (``record``: its public record, None if they cannot), as shown:
    a pending or dismissed question never goes on air (``UNKNOWN_QUESTION``)."""
    if record is None:
        raise HubError(Code.UNKNOWN_QUESTION, f"no question {question} that panelists can see")
    return question_item(record)


def slide_item(slide: Any | None) -> dict[str, Any]:
    """The slide the meeting shows (``BAD_SLIDE`` when it shows none)."""
    if slide is None:
        raise HubError(Code.BAD_SLIDE, "no slide is shown in this meeting")
    return {"kind": "slide", "slide": slide}


def poll_item(rec: Mapping[str, Any]) -> dict[str, Any]:
    """A poll's results, only once panelists were shown them (``poll.results``): the stream shows no
    more than the meeting sees (``BAD_TRANSITION`` otherwise)."""
    if not rec.get("visible"):
        raise HubError(Code.BAD_TRANSITION, "show the poll's results to panelists first (poll.results)")
    return {
        "kind": "poll",
        "poll": {k: rec.get(k) for k in ("id", "title", "questions", "answered", "results")},
    }


def text_item(text: str) -> dict[str, Any]:
    """A line of text, trimmed (``BAD_FIELD`` when nothing is left)."""
    text = text.strip()
    if not text:
        raise HubError(Code.BAD_FIELD, "text: empty")
    return {"kind": "text", "text": text}


def themes_item(published: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The theme team's published themes (issue 15, ``theme.publish``): titles, how many cards and
    tables each gathers; not the cards' texts (the stream shows the themes, tables read the cards)."""
    shown = [
        {"id": t["id"], "title": t["title"], "count": t["count"], "tables": len(t["tables"])}
        for t in published
    ]
    return {"kind": "themes", "themes": shown}


async def apply(log: ChannelLog, meeting_id: str, rule: Callable[[State], Change]) -> Committed:
    return await StateChannel(log, keys.overlay(meeting_id)).update(rule)
