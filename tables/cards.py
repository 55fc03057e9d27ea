"""A card: one idea of a table, posted by its facilitator for the theme team (issue 15).

Pure: what a card is (``Card``, the record every ``table.card`` event carries, field for field) and
what its text may be (``clean_card``: the chat's text rule, at most ``MAX_CHARS``). How many cards
one table may post in one step is ``MAX_PER_STEP``: every record that grows with input is bounded,
and a facilitator pasting in a loop must not flood the theme team's console. The store is
``tables/cards_store.py``.
"""

from __future__ import annotations

from typing import Final

import msgspec

from moderation.chat import clean_text

MAX_CHARS: Final = 200
"""A card is a short idea, not a minute of the discussion: the theme team reads 900 in a step."""

MAX_PER_STEP: Final = 20
"""Cards one table may post in one step of the table agenda (the format asks for about three)."""

EVENT: Final = "table.card"
"""The event of a new card, on its table's channel and on the meeting's cards channel alike."""


class Card(msgspec.Struct, frozen=True, kw_only=True):
    """One card as stored and sent. ``id``: unique in the meeting (``t<table>-<n>``, n counting
    the meeting's cards from 1). ``by``: the poster's participant id (the table's facilitator, or a
    host standing in). ``at``: when Redis stored it (ms since the Unix epoch). ``step``: the step
    of the table agenda it was posted in (0 before the first step)."""

    id: str
    meeting: str
    table: int
    text: str
    by: str
    at: int
    step: int = 0


def clean_card(text: str) -> str:
    """A card's text, cleaned as a chat message is (NFC, nothing that hides or reorders text,
    trimmed), or ``EMPTY_MESSAGE`` / ``MESSAGE_TOO_LONG`` past :data:`MAX_CHARS`."""
    return clean_text(text, MAX_CHARS)


def card_id(table: int, n: int) -> str:
    """The id of the meeting's ``n``-th card, posted at ``table`` (``card_post.lua`` builds the same)."""
    return f"t{table}-{n}"


_decoder = msgspec.msgpack.Decoder(Card)


def decode_card(data: bytes) -> Card:
    return _decoder.decode(data)
