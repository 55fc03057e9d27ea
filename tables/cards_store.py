"""Cards in Redis (issue 15): posting one, reading a meeting's cards.

A card is stored once, durably, in the state of the meeting's cards channel
(``meeting/<id>/cards``: every card of the session, the theme team's snapshot) with its event, by
one script (``lua/card_post.lua``: the table's cap per step, the id, the state and the event, or
nothing). Then the same card goes to its table's channel (``meeting/<id>/table/<n>``, where the
table's phones show it) and the hosts' overview counts it (``tables/overview.py``). Those two are
other slots on Redis Cluster, so other steps: a hub that dies between them leaves a card the theme
team has and the table's phones lack until the facilitator's page posts again; the card itself,
the record, is never half stored.
"""

from __future__ import annotations

import re

import msgspec
from redis.asyncio import Redis

from engine import keys
from engine.channels import ChannelLog, encode_data
from engine.connection import raw
from engine.errors import Code, HubError
from tables import cards, overview
from tables.cards import Card

_NONCE = re.compile(r"[A-Za-z0-9_-]{8,64}")


def counts_key(meeting: str) -> str:
    """Cards per table and step (``<table>:<step>`` -> count), in the cards channel's slot."""
    return keys.channel_key(keys.meeting_cards(meeting), "counts")


def _seq_key(meeting: str) -> str:
    return keys.channel_key(keys.meeting_cards(meeting), "seq")


def _nonce_key(meeting: str, by: str, nonce: str) -> str:
    return keys.channel_key(keys.meeting_cards(meeting), f"nonce:{by}:{nonce}")


async def post_card(
    log: ChannelLog, meeting: str, table: int, text: str, by: str, step: int, nonce: str = ""
) -> tuple[Card, int, bool]:
    """Store and publish one card of ``table``; returns (the card, its offset on the cards
    channel, whether this was a retry of a card already posted with the same ``nonce``). Raises,
    storing nothing: ``EMPTY_MESSAGE``, ``MESSAGE_TOO_LONG`` (the text), ``BAD_NONCE``,
    ``TOO_MANY_CARDS`` (the table's cap for the step). The caller checked who may post it."""
    if nonce and not _NONCE.fullmatch(nonce):
        raise HubError(Code.BAD_NONCE, "a nonce is 8-64 characters of A-Z a-z 0-9 _ -")
    clean = cards.clean_card(text)
    draft = {"meeting": meeting, "table": table, "text": clean, "by": by, "step": step}
    channel = keys.meeting_cards(meeting)
    result = await log.write(
        "tables",
        "card_post",
        channel,
        keys=[counts_key(meeting), _seq_key(meeting), _nonce_key(meeting, by, nonce)],
        args=[cards.EVENT, encode_data(draft), table, step, cards.MAX_PER_STEP, nonce],
    )
    status = int(result[0])
    if status == -3:
        return cards.decode_card(raw(result[1])), int(result[2]), True
    if status == -1:
        raise HubError(Code.TOO_MANY_CARDS, f"a table posts at most {cards.MAX_PER_STEP} cards in one step")
    card = cards.decode_card(raw(result[1]))
    await share_card(log, card)
    return card, int(result[2]), False


async def share_card(log: ChannelLog, card: Card) -> None:
    """The stored card on its table's channel (kept in its state) and in the hosts' overview."""
    data = msgspec.msgpack.encode(card)
    await log.write(
        "tables",
        "table_put",
        keys.meeting_table(card.meeting, card.table),
        args=[cards.EVENT, data, "card:" + card.id],
    )
    await overview.record(log, card.meeting, card.table, overview.CARD, card.step)


async def meeting_cards(redis: Redis, meeting: str) -> list[Card]:
    """Every card of a meeting, in the order they were posted (the cards channel's state)."""
    flat = await redis.hgetall(keys.channel_keys(keys.meeting_cards(meeting)).state)
    found = [cards.decode_card(raw(v)) for v in flat.values()]
    return sorted(found, key=lambda c: (c.at, c.id))
