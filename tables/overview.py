"""The hosts' overview of every table of a meeting (issue 15): one record per table.

300 tables must not cost the hosts' page 300 subscriptions, so every table's news that hosts need
(its cards and messages in the current step, its help flag) is one small record in the state of
one channel, ``meeting/<id>/tables``, updated and published in one step (``lua/overview.lua``) on
each card, message and flag. The page follows that channel: its snapshot is every table's record,
each event one table's new record (``table.overview``), coalesced like a chat. Which tables are
behind is the pure rule ``tables.rules.behind``.
"""

from __future__ import annotations

from typing import Final

import msgspec
from redis.asyncio import Redis

from engine import keys
from engine.channels import ChannelLog
from engine.connection import raw
from tables.rules import Record

CARD: Final = "card"
SAID: Final = "said"
FLAG: Final = "flag"
UNFLAG: Final = "unflag"
EVENT: Final = "table.overview"


TableRecord = Record
"""One table as the hosts see it (``tables.rules.Record``, whose rule ``next_record`` is the one
``lua/overview.lua`` applies). ``step``: the step its counts are of (a table with nothing in the
current step still shows an older one: 0 cards now). ``flag``: the reason of its help flag, ``""``
for none; ``flag_by``: who raised or lowered it. ``last_at``: its last card or message."""


_decoder = msgspec.msgpack.Decoder(TableRecord)


async def record(
    log: ChannelLog, meeting: str, table: int, what: str, step: int, text: str = "", by: str = ""
) -> None:
    """Count a card or a message of ``table`` in ``step``, or raise or lower its flag."""
    await log.write("tables", "overview", keys.meeting_tables(meeting), args=[table, what, step, text, by])


async def records(redis: Redis, meeting: str) -> list[TableRecord]:
    """Every table's record, by table number (tables with no card, message or flag yet have none)."""
    flat = await redis.hgetall(keys.channel_keys(keys.meeting_tables(meeting)).state)
    found = [_decoder.decode(raw(v)) for k, v in flat.items() if raw(k).startswith(b"t:")]
    return sorted(found, key=lambda r: r.table)
