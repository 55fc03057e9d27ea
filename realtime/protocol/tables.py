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


class Said(Result):
    """As ``chat.send``'s reply: where the message stands on the table's channel."""

    channel: str
    epoch: str
    offset: Annotated[int, Meta(description="the message's offset on the table's channel")]
    time: Annotated[int, Meta(description="when the hub stored it, ms since the Unix epoch")]
    retry: Annotated[bool, Meta(description="a retry (same nonce): nothing new was posted")] = False


class TableSay(MeetingCommand[Said], tag="table.say"):
    """Panelist seated at ``table``, or its facilitator: one message in the table's discussion."""

    table: Table
    text: Annotated[str, Meta(max_length=2000, description="at most 500 characters after cleaning")]
    nonce: Nonce = ""


class Step(Struct, kw_only=True):
    """The current step of the table agenda, the same at every table."""

    n: Annotated[int, Meta(description="the step's number, from 1")]
    title: str
    seconds: Annotated[int, Meta(description="how long it lasts")]
    starts_at: Annotated[int, Meta(description="ms since the Unix epoch")]
    ends_at: Annotated[int, Meta(description="where every table's countdown ends, ms since the Unix epoch")]
    tables: Annotated[int, Meta(description="how many tables it was sent to")] = 0


class StepSet(Result):
    step: Step
    tables: Annotated[int, Meta(description="the tables it was sent to")]


class TableStep(MeetingCommand[StepSet], tag="table.step"):
    """Host: start the next step of the table agenda at every table, with one shared timer."""

    title: Annotated[str, Meta(max_length=400, description="at most 80 characters after cleaning")]
    seconds: Annotated[int, Meta(ge=1, le=86400, description="30 to 10,800 (three hours)")]


class NoticeSent(Result):
    text: str
    tables: Annotated[int, Meta(description="the tables it was sent to")]


class TableNotice(MeetingCommand[NoticeSent], tag="table.notice"):
    """Host: a message to every facilitator, shown in their view of their table."""

    text: Annotated[str, Meta(max_length=1200, description="at most 300 characters after cleaning")]


class FlagSet(Result):
    table: int
    flag: Annotated[str, Meta(description='the reason now shown to the hosts, `""`: lowered')]


class TableFlag(MeetingCommand[FlagSet], tag="table.flag"):
    """Facilitator (of that table) or host: raise the table's help flag to the hosts with a
    ``reason``, or lower it (``raised`` false)."""

    table: Table
    reason: Annotated[
        str, Meta(max_length=800, description="at most 200 characters after cleaning; ignored when lowering")
    ] = ""
    raised: bool = True


class Member(Struct, kw_only=True):
    id: str
    name: str
    spoken: Annotated[bool, Meta(description="has written in the table's discussion")]


class TableView(Result):
    table: int
    members: Annotated[list[Member], Meta(description="the table's seated panelists, in seat order")]
    facilitator: Annotated[str, Meta(description='the facilitator\'s id, `""` for none')]
    not_spoken: Annotated[list[str], Meta(description="the members who have not written yet")]
    step: Annotated[Step | None, Meta(description="the current step, null before the first")]
    channel: Annotated[str, Meta(description="the table's channel")]
    seating_at: Annotated[
        int, Meta(description="the version of the seating this answer is from (its `at`, ms); 0: unknown")
    ] = 0


class TableGet(MeetingCommand[TableView], tag="table.get"):
    """The caller's own table (a seated panelist, a facilitator), or for staff ``table``."""

    table: Annotated[int, Meta(ge=0, le=999, description="staff: the table; 0: your own")] = 0
    seating_at: Annotated[
        int,
        Meta(
            ge=0,
            le=2**53,
            description="the `at` of a `table.seating` event: answer from that seating or a newer one; 0: any",
        ),
    ] = 0


TABLE_COMMANDS: tuple[type[Command], ...] = (
    TableCard,
    TableFacilitator,
    TableSay,
    TableStep,
    TableNotice,
    TableFlag,
    TableGet,
)
