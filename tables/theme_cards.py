"""The theme team's view of the tables' cards (issue 15): a meeting's cards by id, as a theme keeps
them (``themes.CardRef``: id, table, text). Read from the cards channel's state, which holds every
card of the meeting (``tables/cards_store.py``)."""

from __future__ import annotations

from collections.abc import Mapping

from engine.channels import ChannelLog
from tables import cards_store
from tables.theme_store import CardReader
from tables.themes import CardRef


def card_reader(log: ChannelLog) -> CardReader:
    """A ``CardReader`` over the meeting's cards channel."""

    async def read(meeting: str) -> Mapping[str, CardRef]:
        cards = await cards_store.meeting_cards(log.redis, meeting)
        return {c.id: CardRef(c.id, str(c.table), c.text) for c in cards}

    return read
