"""The rules of a meeting's Q&A, as a table: every step is a named rule with the roles that may take
it and the states a question may be in before it.

Theory of operation. A panelist asks; the question is ``pending`` and only moderators see it (on the
moderators' desk, ``meeting/<id>/staff``, with its author always). Moderators approve it (panelists
now see it on ``meeting/<id>/qa``, without the author's name unless the asker agreed to be named:
:func:`names_author`), dismiss
it, merge it into a duplicate (its voters move there), queue it for the speakers in an order they
set, put it on air (the stream overlay shows it; the one on air before is then answered), and mark
it answered. Panelists upvote the questions they see, once each, and may withdraw the vote.

Invariants the store keeps (``tests/unit/moderation/test_qa_machine.py`` checks them on random
command sequences): a question is in exactly one state; its vote count is the size of its voters'
set; the moderators' order is a permutation of the queued questions; at most one is on air; the
panelists' view holds exactly the questions in a :data:`PUBLIC` state, never an anonymous author.

``qa_store`` enforces this table atomically in Redis (``lua/qa.lua``); this module is where a reader
finds the rules, and what the role table (``realtime/roles.py``) and the store take them from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from engine.errors import Code, HubError
from engine.roles import MODERATORS, PANELISTS, Role
from moderation import chat

MAX_CHARS: Final = 300
MAX_QUESTIONS_PER_ASKER: Final = 30
"""Questions one panelist may ask in one meeting: far more than a person asks, and a bound on the
meeting's Q&A state, which keeps every question (issue 9). ``lua/qa.lua`` enforces it with this value."""


class QState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DISMISSED = "dismissed"
    MERGED = "merged"
    QUEUED = "queued"
    ON_AIR = "on_air"
    ANSWERED = "answered"


PUBLIC: Final = frozenset({QState.APPROVED, QState.QUEUED, QState.ON_AIR, QState.ANSWERED})
"""States in which every member of the meeting sees a question (the others only moderators)."""
VOTABLE: Final = frozenset({QState.APPROVED, QState.QUEUED, QState.ON_AIR})
MERGE_TARGETS: Final = PUBLIC
"""A duplicate merges into a question panelists can see, so its voters can see where it went."""


@dataclass(frozen=True)
class Rule:
    """One named step: who may take it, from which states (empty: a new question), to which state
    (None: the state does not change, as for votes)."""

    name: str
    roles: frozenset[Role]
    sources: frozenset[QState]
    target: QState | None
    event: str
    doc: str


def _rule(
    name: str, roles: frozenset[Role], sources: Iterable[QState], target: QState | None, event: str, doc: str
) -> Rule:
    return Rule(name, roles, frozenset(sources), target, event, doc)


S = QState
RULES: Final[Mapping[str, Rule]] = MappingProxyType(
    {
        r.name: r
        for r in (
            _rule("ask", PANELISTS, (), S.PENDING, "qa.asked", "a panelist asks; only moderators see it yet"),
            _rule("approve", MODERATORS, (S.PENDING,), S.APPROVED, "qa.approved", "panelists see it"),
            _rule(
                "dismiss",
                MODERATORS,
                (S.PENDING, S.APPROVED, S.QUEUED),
                S.DISMISSED,
                "qa.dismissed",
                "hidden from panelists, kept for the record",
            ),
            _rule("reopen", MODERATORS, (S.DISMISSED,), S.PENDING, "qa.reopened", "a dismissal undone"),
            _rule(
                "merge",
                MODERATORS,
                (S.PENDING, S.APPROVED, S.QUEUED),
                S.MERGED,
                "qa.merged",
                "a duplicate joins a visible question; its voters move there",
            ),
            _rule(
                "queue", MODERATORS, (S.APPROVED,), S.QUEUED, "qa.queued", "appended to the speakers' order"
            ),
            _rule("unqueue", MODERATORS, (S.QUEUED,), S.APPROVED, "qa.unqueued", "taken out of the order"),
            _rule(
                "air",
                MODERATORS,
                (S.APPROVED, S.QUEUED, S.ON_AIR),
                S.ON_AIR,
                "qa.aired",
                "on the stream overlay; the question on air before is answered (again: shown again)",
            ),
            _rule(
                "answer",
                MODERATORS,
                (S.APPROVED, S.QUEUED, S.ON_AIR),
                S.ANSWERED,
                "qa.answered",
                "answered; stays visible",
            ),
            _rule("upvote", PANELISTS, VOTABLE, None, "qa.voted", "one vote per panelist and question"),
            _rule("unvote", PANELISTS, VOTABLE, None, "qa.voted", "the panelist withdraws their vote"),
            _rule("reorder", MODERATORS, (), None, "qa.reordered", "the order of the queued questions"),
        )
    }
)


def rule(name: str) -> Rule:
    return RULES[name]


def target_state(name: str) -> str:
    """The state a question is in after the step ``name``, as the moderators' commands answer it
    (``state``); ``""`` for a step that leaves the state as it was (a vote, the order)."""
    target = RULES[name].target
    return target.value if target else ""


def check_role(r: Rule, role: str) -> None:
    if role not in r.roles:
        raise HubError(Code.FORBIDDEN, f"the role '{role}' may not {r.name} a question")


def clean_question(text: str) -> str:
    """A question's text: cleaned as a chat message is (NFC, no control characters, trimmed), at most
    :data:`MAX_CHARS` characters. ``EMPTY_MESSAGE`` / ``MESSAGE_TOO_LONG`` otherwise."""
    text = chat.clean_text(text, MAX_CHARS)
    return text


ANONYMOUS_BY_DEFAULT: Final = True
"""A question is anonymous toward panelists and the stream unless its asker says otherwise (``qa.ask``
with ``anonymous: false``, the page's "내 이름을 화면에 보여도 좋아요"): many panelists would not ask
on a broadcast under their own name, and a name on air cannot be taken back. Moderators always see
who asked (the desk, ``meeting/<id>/staff``)."""


def names_author(record: Mapping[str, Any]) -> bool:
    """Whether panelists and the stream overlay see who asked: only when the asker agreed, that is the
    record says ``anonymous`` is false. A record without the flag is anonymous (:data:`ANONYMOUS_BY_DEFAULT`).
    ``lua/qa.lua`` ``public_of`` applies the same rule inside Redis."""
    return record.get("anonymous", ANONYMOUS_BY_DEFAULT) is False


def public_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """What panelists (and the stream overlay) see of a question: the author only when
    :func:`names_author` says so."""
    out = {k: v for k, v in record.items() if k != "merged_into"}
    if not names_author(record):
        out.pop("author", None)
    return out
