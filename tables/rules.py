"""The rules of the live tables (issue 15), as pure functions: who may post for a table and follow
it, what a step, a flag and a notice may be, who at a table has not spoken yet, which tables are
behind. The stores (``cards_store.py``, ``live.py``, ``overview.py``) call them before they write;
``realtime/roles.py`` calls ``may_follow`` for every subscription to a table's channel.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import msgspec

from engine.errors import Code, HubError
from engine.roles import FACILITATORS, Role
from moderation.chat import clean_text

STEP_TITLE_CHARS: Final = 80
STEP_SECONDS: Final = (30, 3 * 3600)
"""A step lasts from 30 seconds to three hours."""
FLAG_CHARS: Final = 200
NOTICE_CHARS: Final = 300
QUIET_MS: Final = 3 * 60_000
"""A table with no card and no message for this long in the current step is quiet."""
MIN_CARDS: Final = 1
"""A table with fewer cards than this in a step past its half is behind."""


class Step(msgspec.Struct, frozen=True, kw_only=True):
    """The current step of the table agenda, the same at every table (one shared timer): ``n``
    counts the steps from 1; ``ends_at`` (ms since the Unix epoch) is where every phone's countdown
    ends, so every table sees the same time left whatever its clock and its hub."""

    n: int
    title: str
    seconds: int
    starts_at: int
    ends_at: int
    tables: int = 0  # how many tables it was sent to: the hosts' page lists every one of them


def next_step(previous: Step | None, title: str, seconds: int, now_ms: int, tables: int = 0) -> Step:
    """The step after ``previous`` (the first when None), starting now; ``BAD_STEP`` for an empty
    or long title or a duration out of :data:`STEP_SECONDS`."""
    try:
        title = clean_text(title, STEP_TITLE_CHARS)
    except HubError as exc:
        raise HubError(Code.BAD_STEP, f"a step's title is 1-{STEP_TITLE_CHARS} characters") from exc
    low, high = STEP_SECONDS
    if not low <= seconds <= high:
        raise HubError(Code.BAD_STEP, f"a step lasts {low}-{high} seconds, not {seconds}")
    n = 1 if previous is None else previous.n + 1
    return Step(
        n=n, title=title, seconds=seconds, starts_at=now_ms, ends_at=now_ms + seconds * 1000, tables=tables
    )


def check_poster(role: Role, facilitated: int | None, table: int) -> None:
    """Who may post a card or raise a flag for ``table``: its facilitator (``facilitated``: the
    table the caller facilitates, None for none), or a host standing in. The role table already
    kept everyone else out (``roles.FACILITATORS``)."""
    if role not in FACILITATORS:
        raise HubError(Code.FORBIDDEN, f"the role '{role}' may not speak for a table")
    if role is Role.FACILITATOR and facilitated != table:
        raise HubError(Code.NOT_THE_FACILITATOR, f"you do not facilitate table {table}")


def may_follow(role: Role, seated: int | None, facilitated: int | None, table: int) -> bool:
    """Whether a participant may follow ``table``'s channel: a panelist seated there, its
    facilitator; the staff who follow every table anyway (hosts, moderators, observers: their roles
    pass ``realtime.roles.CHANNEL_ROLES['table']`` without a seat)."""
    if role is Role.PANELIST:
        return seated == table
    if role is Role.FACILITATOR:
        return facilitated == table
    return True


def clean_flag(reason: str) -> str:
    try:
        return clean_text(reason, FLAG_CHARS)
    except HubError as exc:
        raise HubError(Code.BAD_FLAG, f"a flag's reason is 1-{FLAG_CHARS} characters") from exc


def clean_notice(text: str) -> str:
    try:
        return clean_text(text, NOTICE_CHARS)
    except HubError as exc:
        raise HubError(Code.BAD_NOTICE, f"a notice is 1-{NOTICE_CHARS} characters") from exc


def not_spoken(members: Iterable[str], spoken: Iterable[str]) -> list[str]:
    """The members (in their order) who have not written at the table yet."""
    said = set(spoken)
    return [m for m in members if m not in said]


def behind(step: Step | None, rec_step: int, cards: int, last_at: int, now_ms: int) -> list[str]:
    """Why a table is behind in the current step, for the hosts (empty: it is not): ``cards`` when
    past half the step it has fewer than :data:`MIN_CARDS` cards, ``quiet`` when nothing came from it
    for :data:`QUIET_MS`. A table's counts of an older step count as none."""
    if step is None:
        return []
    if rec_step != step.n:
        cards, last_at = 0, 0
    why = []
    if now_ms >= step.starts_at + step.seconds * 500 and cards < MIN_CARDS:
        why.append("cards")
    if now_ms - max(last_at, step.starts_at) >= QUIET_MS:
        why.append("quiet")
    return why


class Record(msgspec.Struct, frozen=True, kw_only=True):
    """One table in the hosts' overview (``tables.overview.TableRecord`` on the wire): the pure
    rule of ``lua/overview.lua``, which applies it in Redis; a property test holds the two together."""

    table: int
    step: int = 0
    cards: int = 0
    said: int = 0
    flag: str = ""
    flag_by: str = ""
    flag_at: int = 0
    last_at: int = 0


OVERVIEW_EVENTS: Final = ("card", "said", "flag", "unflag")


def next_record(rec: Record, what: str, step: int, text: str, by: str, now_ms: int) -> Record:
    """A table's record after a card or a message in ``step`` (counted in that step: the first of a
    newer step starts the counts at 0; one of an older step counts in the record's step), or its
    flag raised with ``text`` or lowered, by ``by``."""
    if what not in OVERVIEW_EVENTS:
        raise ValueError(what)
    if what in ("card", "said"):
        if step > rec.step:
            rec = msgspec.structs.replace(rec, step=step, cards=0, said=0)
        if what == "card":
            return msgspec.structs.replace(rec, cards=rec.cards + 1, last_at=now_ms)
        return msgspec.structs.replace(rec, said=rec.said + 1, last_at=now_ms)
    return msgspec.structs.replace(rec, flag=text if what == "flag" else "", flag_by=by, flag_at=now_ms)
