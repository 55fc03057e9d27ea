"""Quick polls and surveys of a meeting: definitions, answers once per panelist, results, CSV export.

A **poll** asks one question during a meeting (single choice, multiple choice, or a 1-5 scale); the
host decides when panelists see the results, live while it is open or only at the end. A **survey**
asks several questions, free text included, and is exported to CSV.

What is reused from the vote: the lifecycle. A poll moves draft -> open -> closed -> published
exactly as a vote does, by the same table (``ballot.rules.TRANSITIONS``, ``VoteState``,
``HostCommand``); what differs is the ballot (answers instead of a ranking) and how it is counted
(per-option counts instead of a tally). Ranked-vote casting (nonces, receipts, the bulletin board)
does not fit a once-only answer and is not used.

State of ``meeting/<id>/polls``: ``poll:<id>`` per poll (``lua/poll.lua`` describes the record);
``results`` are in it only while the host shows them. Answers are private (``answers:<poll>``, with
the respondent's strata for the export) and never published; only counts are.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, Literal, NamedTuple

import msgspec

from ballot.model import VoteState
from ballot.rules import TRANSITIONS, HostCommand
from engine import keys
from engine.channels import ChannelLog
from engine.connection import raw, text
from engine.errors import Code, HubError
from moderation import chat

MAX_QUESTIONS: Final = 30
MAX_OPTIONS: Final = 20
MAX_TEXT: Final = 2000
RESULTS_INTERVAL_MS: Final = 1000
_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_enc = msgspec.msgpack.Encoder()


class PollQuestion(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``single`` / ``multiple``: 2-20 ``options``; ``scale``: 1 to 5 (``options``: none, or 5 labels);
    ``text``: free text (surveys only)."""

    id: str
    kind: Literal["single", "multiple", "scale", "text"]
    prompt: str
    options: tuple[str, ...] = ()
    required: bool = True


class PollDefinition(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    id: str
    title: str
    kind: Literal["poll", "survey"] = "poll"
    questions: tuple[PollQuestion, ...]


def _bad(where: str, why: str) -> HubError:
    return HubError(Code.BAD_POLL, f"{where}: {why}")


def decode_definition(data: Mapping[str, Any]) -> PollDefinition:
    """Decode and check a definition; ``BAD_POLL`` names the field at fault."""
    try:
        defn = msgspec.convert(data, PollDefinition)
    except msgspec.ValidationError as exc:
        raise HubError(Code.BAD_POLL, f"not a poll definition: {exc}") from None
    if not _ID.match(defn.id):
        raise _bad("id", "1-64 characters of A-Z a-z 0-9 _ . -")
    if not defn.title.strip() or len(defn.title) > 200:
        raise _bad("title", "1-200 characters")
    n = len(defn.questions)
    if defn.kind == "poll" and n != 1:
        raise _bad("questions", "a quick poll asks exactly one question (a survey asks several)")
    if not 1 <= n <= MAX_QUESTIONS:
        raise _bad("questions", f"1 to {MAX_QUESTIONS}")
    seen: set[str] = set()
    for i, q in enumerate(defn.questions):
        where = f"questions[{i}]"
        if not _ID.match(q.id) or q.id in seen:
            raise _bad(f"{where}.id", "an id, unique in the poll")
        seen.add(q.id)
        if not q.prompt.strip() or len(q.prompt) > 500:
            raise _bad(f"{where}.prompt", "1-500 characters")
        if any(not o.strip() or len(o) > 200 for o in q.options):
            raise _bad(f"{where}.options", "each 1-200 characters")
        if q.kind in ("single", "multiple") and not 2 <= len(q.options) <= MAX_OPTIONS:
            raise _bad(f"{where}.options", f"2 to {MAX_OPTIONS} options")
        if q.kind == "scale" and len(q.options) not in (0, 5):
            raise _bad(f"{where}.options", "a 1-5 scale has no labels or 5 labels")
        if q.kind == "text" and (defn.kind == "poll" or q.options):
            raise _bad(f"{where}.kind", "free text is for surveys, without options")
    return defn


def check_answers(defn: PollDefinition, answers: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Check a panelist's answers; return (the answers as stored, the tally fields to count).

    single: an option index; multiple: distinct option indices (at least one); scale: 1 to 5; text:
    up to 2,000 characters (cleaned as chat is). Unknown question ids and missing required answers
    are ``BAD_ANSWER``.
    """
    by_id = {q.id: q for q in defn.questions}
    for qid in answers:
        if qid not in by_id:
            raise HubError(Code.BAD_ANSWER, f"{qid}: no such question in this poll")
    stored: dict[str, Any] = {}
    tally: list[str] = []
    for q in defn.questions:
        a = answers.get(q.id)
        if a is None or (q.kind == "text" and isinstance(a, str) and not a.strip()):
            if q.required:
                raise HubError(Code.BAD_ANSWER, f"{q.id}: an answer is required")
            continue
        if q.kind == "single":
            if not _is_int(a) or not 0 <= a < len(q.options):
                raise HubError(Code.BAD_ANSWER, f"{q.id}: one option index, 0 to {len(q.options) - 1}")
            tally.append(f"{q.id}:{a}")
        elif q.kind == "multiple":
            if (
                not isinstance(a, list)
                or not a
                or len(set(a)) != len(a)
                or not all(_is_int(x) and 0 <= x < len(q.options) for x in a)
            ):
                raise HubError(Code.BAD_ANSWER, f"{q.id}: distinct option indices, 0 to {len(q.options) - 1}")
            a = sorted(a)
            tally += [f"{q.id}:{x}" for x in a]
        elif q.kind == "scale":
            if not _is_int(a) or not 1 <= a <= 5:
                raise HubError(Code.BAD_ANSWER, f"{q.id}: 1 to 5")
            tally.append(f"{q.id}:{a - 1}")
        else:
            if not isinstance(a, str):
                raise HubError(Code.BAD_ANSWER, f"{q.id}: text")
            a = chat.clean_text(a, MAX_TEXT)
            tally.append(f"{q.id}:0")
        stored[q.id] = a
    return stored, tally


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def next_status(status: str, command: HostCommand) -> VoteState:
    """The vote's lifecycle table, applied to a poll; ``BAD_TRANSITION`` for an illegal move."""
    new = TRANSITIONS.get((VoteState(status), command))
    if new is None:
        legal = sorted(c.value for (s, c) in TRANSITIONS if s == status)
        raise HubError(
            Code.BAD_TRANSITION,
            f"cannot {command.value} a {status} poll" + (f"; it allows: {', '.join(legal)}" if legal else ""),
        )
    return new


def csv_cell(value: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: keep free text as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(defn: PollDefinition, rows: list[dict[str, Any]]) -> str:
    """One row per respondent, in answer order: a running number, their strata, when, the answers
    (option text for choices, the number for scales). No participant ids or names."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        ["respondent", "gender", "age_band", "district", "answered_at", *(q.id for q in defn.questions)]
    )
    for n, row in enumerate(sorted(rows, key=lambda r: r["at"]), start=1):
        cells = []
        for q in defn.questions:
            a = row["answers"].get(q.id)
            if a is None:
                cells.append("")
            elif q.kind == "single":
                cells.append(q.options[a])
            elif q.kind == "multiple":
                cells.append("; ".join(q.options[i] for i in a))
            elif q.kind == "scale":
                cells.append(str(a))
            else:
                cells.append(csv_cell(a))
        strata = row.get("strata", {})
        when = datetime.fromtimestamp(row["at"] / 1000, UTC).isoformat(timespec="seconds")
        w.writerow(
            [
                n,
                strata.get("gender", ""),
                strata.get("age_band", ""),
                strata.get("district", ""),
                when,
                *cells,
            ]
        )
    return out.getvalue()


class QuestionCount(msgspec.Struct, frozen=True, kw_only=True):
    """One question's counts: ``answered``, the respondents who answered it; ``options``, how many
    picked each choice (a 1-5 scale: its five steps; free text: none, its answers are read in the
    export). A multiple-choice question's options add up to at least ``answered``; the others' to
    exactly ``answered``."""

    id: str
    kind: str
    answered: int
    options: tuple[int, ...]


def count_answers(defn: PollDefinition, answers: Iterable[Mapping[str, Any]]) -> list[QuestionCount]:
    """Per question, per choice counts of the answers as stored (``check_answers``' first result,
    one mapping per respondent), in the definition's order. What the hosts' "질문별로 세기" shows,
    counted here rather than in the page, so no page parses the CSV export."""
    answered = {q.id: 0 for q in defn.questions}
    picks = {q.id: [0] * _choices(q) for q in defn.questions}
    kinds = {q.id: q.kind for q in defn.questions}
    for stored in answers:
        for qid, a in stored.items():
            if qid not in answered:
                continue  # a question no longer in the definition: nothing to count it under
            answered[qid] += 1
            for i in _picked(kinds[qid], a):
                picks[qid][i] += 1
    return [
        QuestionCount(id=q.id, kind=q.kind, answered=answered[q.id], options=tuple(picks[q.id]))
        for q in defn.questions
    ]


def _picked(kind: str, answer: Any) -> list[int]:
    """The choices one stored answer counts for: option indices, a scale's step (1-5 as 0-4)."""
    if kind == "multiple":
        return list(answer)
    if kind == "single":
        return [answer]
    if kind == "scale":
        return [answer - 1]
    return []  # free text: counted as answered, under no choice


def _choices(q: PollQuestion) -> int:
    return 5 if q.kind == "scale" else 0 if q.kind == "text" else len(q.options)


class PollKeys(NamedTuple):
    """A poll's own keys, in the order ``lua/poll.lua`` takes them after its channel's (K[1..3])."""

    respondents: str  # set of participant ids
    answers: str  # hash participant -> MessagePack record
    tally: str  # hash '<question>:<option>' -> count


class PollStore:
    def __init__(self, log: ChannelLog) -> None:
        self.log = log

    def _keys(self, meeting_id: str, poll_id: str) -> PollKeys:
        ch = keys.meeting_polls(meeting_id)
        return PollKeys(
            keys.channel_key(ch, f"respondents:{poll_id}"),
            keys.channel_key(ch, f"answers:{poll_id}"),
            keys.channel_key(ch, f"tally:{poll_id}"),
        )

    async def _call(
        self, meeting_id: str, poll_id: str, op: str, event: str, args: list[Any]
    ) -> tuple[int, int]:
        res = await self.log.write(
            "moderation",
            "poll",
            keys.meeting_polls(meeting_id),
            keys=list(self._keys(meeting_id, poll_id)),
            args=[op, f"poll:{poll_id}", event, *args],
        )
        if int(res[0]) < 0:
            name, detail = text(res[1]), text(res[2])
            if name == "exists":
                raise HubError(Code.BAD_TRANSITION, f"a poll {poll_id!r} exists already in this meeting")
            if name == "bad_transition":
                raise HubError(Code.BAD_TRANSITION, f"the poll is {detail}: try again")
            messages = {
                "unknown_poll": "no such poll in this meeting",
                "poll_not_open": "this poll has not opened yet",
                "poll_closed": "this poll is closed: your answer was not recorded",
                "already_answered": "you have answered this poll already",
            }
            raise HubError(Code[name.upper()], messages[name])
        return int(res[1]), int(res[2])

    async def create(self, meeting_id: str, defn: PollDefinition) -> int:
        record = {**msgspec.to_builtins(defn), "status": VoteState.DRAFT.value}
        offset, _ = await self._call(meeting_id, defn.id, "create", "poll.created", [_enc.encode(record)])
        return offset

    async def record(self, meeting_id: str, poll_id: str) -> dict[str, Any]:
        value = await self.log.redis.hget(
            keys.channel_keys(keys.meeting_polls(meeting_id)).state, f"poll:{poll_id}"
        )
        if value is None:
            raise HubError(Code.UNKNOWN_POLL, f"no poll {poll_id[:64]!r} in this meeting")
        return dict(msgspec.msgpack.decode(raw(value)))

    async def definition(self, meeting_id: str, poll_id: str) -> PollDefinition:
        rec = await self.record(meeting_id, poll_id)
        return msgspec.convert({k: rec[k] for k in ("id", "title", "kind", "questions")}, PollDefinition)

    async def move(self, meeting_id: str, poll_id: str, command: HostCommand) -> dict[str, Any]:
        """open, close (``CLOSE``) or publish (final results, shown)."""
        rec = await self.record(meeting_id, poll_id)
        new = next_status(rec["status"], command)
        visible = "1" if new == VoteState.PUBLISHED else ""
        event = {
            VoteState.OPEN: "poll.opened",
            VoteState.CLOSED: "poll.closed",
            VoteState.PUBLISHED: "poll.published",
        }[new]
        offset, answered = await self._call(
            meeting_id, poll_id, "move", event, [rec["status"], new.value, visible]
        )
        return {"poll": poll_id, "status": new.value, "answered": answered, "offset": offset}

    async def show_results(self, meeting_id: str, poll_id: str, visible: bool) -> dict[str, Any]:
        rec = await self.record(meeting_id, poll_id)
        status = rec["status"]
        if status == VoteState.DRAFT or (status == VoteState.PUBLISHED and not visible):
            raise HubError(
                Code.BAD_TRANSITION, f"cannot {'show' if visible else 'hide'} the results of a {status} poll"
            )
        offset, answered = await self._call(
            meeting_id,
            poll_id,
            "move",
            "poll.results_shown" if visible else "poll.results_hidden",
            [status, status, "1" if visible else "0"],
        )
        return {"poll": poll_id, "visible": visible, "answered": answered, "offset": offset}

    async def answer(
        self,
        meeting_id: str,
        poll_id: str,
        respondent: str,
        strata: Mapping[str, str],
        answers: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Record a panelist's answers, once. ``strata`` go with them for the export, never out."""
        defn = await self.definition(meeting_id, poll_id)
        stored, tally = check_answers(defn, answers)
        record = _enc.encode({"answers": stored, "strata": dict(strata), "at": 0})
        offset, answered = await self._call(
            meeting_id, poll_id, "answer", "poll.results", [respondent, record, RESULTS_INTERVAL_MS, *tally]
        )
        return {"poll": poll_id, "answered": answered, "pending": offset == 0}

    async def refresh(self, meeting_id: str, poll_id: str) -> int:
        """Publish the results held back by the interval, if any (any hub may call it)."""
        offset, _ = await self._call(meeting_id, poll_id, "refresh", "poll.results", [])
        return offset

    async def export(self, meeting_id: str, poll_id: str) -> str:
        defn = await self.definition(meeting_id, poll_id)
        flat = await self.log.redis.hgetall(self._keys(meeting_id, poll_id).answers)
        rows = [msgspec.msgpack.decode(raw(v)) for v in flat.values()]
        return to_csv(defn, rows)

    async def counts(self, meeting_id: str, poll_id: str) -> dict[str, Any]:
        """The answers counted per question and per choice (:func:`count_answers`), for the hosts."""
        defn = await self.definition(meeting_id, poll_id)
        flat = await self.log.redis.hgetall(self._keys(meeting_id, poll_id).answers)
        stored = [msgspec.msgpack.decode(raw(v))["answers"] for v in flat.values()]
        counted = count_answers(defn, stored)
        return {"poll": poll_id, "answered": len(stored), "questions": msgspec.to_builtins(counted)}
