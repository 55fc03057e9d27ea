"""Protocol v1: live tables (issue 15). tables/ holds the rules (``tables/rules.py``) and the
records (``tables/cards.py``, ``tables/overview.py``); realtime/commands/tables.py runs them. The
wire bounds sizes and shapes only: the rules check the meaning (a text's length after cleaning,
who facilitates which table)."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from realtime.protocol.base import Command, Ident, MeetingCommand, Result

Table = Annotated[int, Meta(ge=1, le=999, description="the table's number, from 1")]
Nonce = Annotated[
    str,
    Meta(max_length=64, description='8–64 of `A-Z a-z 0-9 _ -`, the same on every retry; `""`: none'),
]


class Card(Struct, kw_only=True):
    """A card as every reply and every `table.card` event carries it."""

    id: Annotated[str, Meta(description="unique in the meeting: `t<table>-<n>`")]
    meeting: str
    table: int
    text: str
    by: Annotated[str, Meta(description="the poster's participant id")]
    at: Annotated[int, Meta(description="when the hub stored it, ms since the Unix epoch")]
    step: Annotated[
        int, Meta(description="the step of the table agenda it was posted in, 0 before the first")
    ]


class CardPosted(Result):
    card: Card
    offset: Annotated[int, Meta(description="the card's offset on `meeting/<id>/cards`")]
    retry: Annotated[bool, Meta(description="a retry (same nonce): the first card, nothing new posted")] = (
        False
    )


class TableCard(MeetingCommand[CardPosted], tag="table.card"):
    """Facilitator (of that table) or host: post one card, an idea of the table, for the theme team."""

    table: Table
    text: Annotated[str, Meta(max_length=1000, description="at most 200 characters after cleaning")]
    nonce: Nonce = ""


class FacilitatorSet(Result):
    table: int
    facilitator: Annotated[str, Meta(description="the participant now facilitating the table")]
    replaced: Annotated[str, Meta(description='the table\'s facilitator before, `""` for none')]


class TableFacilitator(MeetingCommand[FacilitatorSet], tag="table.facilitator"):
    """Host: make ``participant`` (role `facilitator`) the facilitator of ``table``; a facilitator
    has one table, a table one facilitator (the earlier one is replaced)."""

    table: Table
    participant: Ident


TABLE_COMMANDS: tuple[type[Command], ...] = (TableCard, TableFacilitator)
