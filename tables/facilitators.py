"""Who facilitates which table, from a file (issue 15): ``plenary tables facilitators SESSION FILE``.

The file is CSV with a header, a row per table: ``table,participant``. Every row is checked before
anything is stored (a table of the seating, a facilitator of the meeting, nobody twice), so a bad
file stores nothing; then each row is ``live.assign_facilitator``, as the host's
``table.facilitator`` command does one at a time.
"""

from __future__ import annotations

import csv
import io

from redis.asyncio import Redis

from engine.errors import Code, HubError
from engine.roles import Role
from panel.roster import Roster
from tables import live, seating_store


def parse_rows(text: str) -> list[tuple[int, str]]:
    """(table, participant) per row; ``BAD_FIELD`` for a file without the two columns, a table that
    is no number, or a table or a participant named twice."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"table", "participant"} <= set(reader.fieldnames):
        raise HubError(Code.BAD_FIELD, "the file needs the columns table,participant")
    rows: list[tuple[int, str]] = []
    for line, row in enumerate(reader, start=2):
        table, who = (row.get("table") or "").strip(), (row.get("participant") or "").strip()
        if not table.isdigit() or not who:
            raise HubError(Code.BAD_FIELD, f"line {line}: a table number and a participant id")
        rows.append((int(table), who))
    if len({t for t, _ in rows}) < len(rows) or len({p for _, p in rows}) < len(rows):
        raise HubError(Code.BAD_FIELD, "a table or a participant is named twice")
    return rows


async def assign_from(redis: Redis, session: str, text: str) -> list[tuple[int, str]]:
    """Check every row, then give each table its facilitator; returns the rows stored."""
    rows = parse_rows(text)
    seating = await seating_store.require_seating(redis, session)
    roster = Roster(redis)
    for table, who in rows:
        if not 1 <= table <= seating.count:
            raise HubError(Code.NO_SUCH_TABLE, f"{session} has tables 1-{seating.count}, not {table}")
        person = await roster.get(who)
        if person is None or person.role is not Role.FACILITATOR:
            raise HubError(Code.NOT_A_FACILITATOR, f"{who} is not a facilitator")
        if not person.in_meeting(session):
            raise HubError(Code.NOT_A_MEMBER, f"{who} is not a participant of {session}")
    for table, who in rows:
        await live.assign_facilitator(redis, session, table, who)
    return rows
