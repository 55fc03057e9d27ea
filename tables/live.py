"""The live tables in Redis (issue 15): who facilitates which table, the current step, the
table's discussion (who has spoken), the notices to facilitators.

The facilitators of a meeting are one hash in the cards channel's slot (``t:<table>`` ->
participant, ``p:<participant>`` -> table, both ways so either question is one read), written in
one transaction: a facilitator has one table, a table one facilitator. The current step is in the
state of the hosts' overview channel (``step``), and on every table's channel (``table.step``).
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Final

import msgspec
from redis.asyncio import Redis

from engine import keys
from engine.channels import ChannelLog, Published, channel_write, encode_data
from engine.connection import raw
from engine.errors import Code, HubError
from engine.roles import Role
from moderation import chat, filters
from tables import rules, seating_store
from tables.model import Seating
from tables.rules import Step

_step_decoder = msgspec.msgpack.Decoder(Step)
SEATING_EVENT: Final = "table.seating"


def facilitators_key(meeting: str) -> str:
    return keys.channel_key(keys.meeting_cards(meeting), "facilitators")


async def facilitated_table(redis: Redis, meeting: str, participant: str) -> int | None:
    """The table ``participant`` facilitates in ``meeting``, or None."""
    found = await redis.hget(facilitators_key(meeting), "p:" + participant)
    return None if found is None else int(raw(found))


async def facilitator_of(redis: Redis, meeting: str, table: int) -> str | None:
    found = await redis.hget(facilitators_key(meeting), f"t:{table}")
    return None if found is None else raw(found).decode()


async def facilitators(redis: Redis, meeting: str) -> dict[int, str]:
    """Table -> its facilitator's id, for every table that has one."""
    flat = await redis.hgetall(facilitators_key(meeting))
    return {int(raw(k)[2:]): raw(v).decode() for k, v in flat.items() if raw(k).startswith(b"t:")}


async def assign_facilitator(redis: Redis, meeting: str, table: int, participant: str) -> str:
    """Make ``participant`` the facilitator of ``table``; returns the one it replaces ("" for
    none). Their earlier table, if any, is left without one. The caller checked the role."""
    key = facilitators_key(meeting)
    before = await facilitator_of(redis, meeting, table)
    earlier = await facilitated_table(redis, meeting, participant)
    async with redis.pipeline(transaction=True) as pipe:
        if before is not None and before != participant:
            pipe.hdel(key, "p:" + before)
        if earlier is not None and earlier != table:
            pipe.hdel(key, f"t:{earlier}")
        pipe.hset(key, mapping={f"t:{table}": participant, "p:" + participant: table})
        await pipe.execute()
    return before if before is not None and before != participant else ""


async def current_step(redis: Redis, meeting: str) -> Step | None:
    """The meeting's current step of the table agenda, or None before the first."""
    found = await redis.hget(keys.channel_keys(keys.meeting_tables(meeting)).state, "step")
    return None if found is None else _step_decoder.decode(raw(found))


# -- the table's discussion ---------------------------------------------------------------------
MESSAGE_EVENT: Final = "table.message"
STEP_EVENT: Final = "table.step"
NOTICE_EVENT: Final = "table.notice"
_NONCE = re.compile(r"[A-Za-z0-9_-]{8,64}")


def spoken_key(meeting: str, table: int) -> str:
    """Who has written at a table (participant -> messages), in the table channel's slot."""
    return keys.channel_key(keys.meeting_table(meeting, table), "said")


async def say(
    log: ChannelLog, meeting: str, table: int, author: chat.Author, text: str, nonce: str = ""
) -> tuple[Published, bool]:
    """Publish one message at ``table`` (the chat's text rule and word filter, its rate per
    participant: ``chat.RATE_COUNT`` per ``chat.RATE_WINDOW_MS``), and mark its author as having
    spoken. Returns (its position, whether it was a retry of one already posted with ``nonce``).
    Raises, storing nothing: ``EMPTY_MESSAGE``, ``MESSAGE_TOO_LONG``, ``BAD_NONCE``,
    ``RATE_LIMITED``. The caller checked that the author sits at the table."""
    if nonce and not _NONCE.fullmatch(nonce):
        raise HubError(Code.BAD_NONCE, "a nonce is 8-64 characters of A-Z a-z 0-9 _ -")
    text = chat.clean_text(text)
    shown = filters.default().mask(text)
    data: dict[str, object] = {
        "text": shown,
        "author": {"id": author.id, "name": author.name, "role": author.role},
    }
    if shown != text:
        data["masked"] = True
    channel = keys.meeting_table(meeting, table)
    result = await log.write(
        "tables",
        "table_say",
        channel,
        keys=[
            keys.rate_key(channel, author.id),
            keys.channel_key(channel, f"nonce:{author.id}:{nonce}"),
            spoken_key(meeting, table),
        ],
        args=[MESSAGE_EVENT, encode_data(data), chat.RATE_COUNT, chat.RATE_WINDOW_MS, nonce, author.id],
    )
    if int(result[0]) == -3:
        offset, epoch, now = msgspec.msgpack.decode(raw(result[1]))
        return Published(int(offset), str(epoch), int(now)), True
    if int(result[0]) < 0:
        wait_ms = int(result[1])
        raise HubError(
            Code.RATE_LIMITED,
            f"at most {chat.RATE_COUNT} messages per {chat.RATE_WINDOW_MS // 1000} s; wait {wait_ms / 1000:.1f} s",
            retry_after_ms=wait_ms,
        )
    offset, epoch, now = result
    return Published(
        int(offset), raw(epoch).decode() if isinstance(epoch, bytes) else str(epoch), int(now)
    ), False


async def spoken(redis: Redis, meeting: str, table: int) -> set[str]:
    """Who has written at ``table`` so far."""
    return {raw(k).decode() for k in await redis.hkeys(spoken_key(meeting, table))}


# -- the table agenda's step and the notices: one event on every table ---------------------------
async def _on_every_table(
    log: ChannelLog, meeting: str, count: int, etype: str, data: bytes, field: str
) -> None:
    """The same event on each of the ``count`` tables' channels, kept in each state under
    ``field``: one script per table (each table is its own slot on Redis Cluster), queued on one
    pipeline (not a transaction) so that 300 tables cost one round trip, not 300 connections."""
    script = log.scripts.get("tables", "table_put")
    async with log.redis.pipeline(transaction=False) as pipe:
        for n in range(1, count + 1):
            call = channel_write(keys.meeting_table(meeting, n), args=[etype, data, field])
            await script(keys=call.keys, args=call.args, client=pipe)
        await pipe.execute()


async def push_step(log: ChannelLog, meeting: str, count: int, title: str, seconds: int, now_ms: int) -> Step:
    """Start the next step of the table agenda at every one of ``count`` tables: one shared timer,
    its end in the event. Kept in the hosts' overview (``step``) first, then sent to each table."""
    step = rules.next_step(await current_step(log.redis, meeting), title, seconds, now_ms, count)
    data = msgspec.msgpack.encode(step)
    await log.write("tables", "table_put", keys.meeting_tables(meeting), args=[STEP_EVENT, data, "step"])
    await _on_every_table(log, meeting, count, STEP_EVENT, data, "step")
    return step


async def send_notice(
    log: ChannelLog, meeting: str, count: int, text: str, by: str, now_ms: int
) -> dict[str, object]:
    """A hosts' message to every facilitator, on every table's channel (the facilitator's view
    shows it; its state keeps the last one)."""
    notice: dict[str, object] = {"text": rules.clean_notice(text), "by": by, "at": now_ms}
    await _on_every_table(log, meeting, count, NOTICE_EVENT, encode_data(notice), "notice")
    return notice


# -- who sits where: the seating, read at most every SEATING_TTL_S per hub ------------------------
SEATING_TTL_S: Final = 2.0
"""How long a hub reuses a session's seating (30 KB for 3,000 people) before reading it again: a
reconnect storm of 3,000 phones reads it a few times, not 3,000; a reseat holds within 2 s."""
REREAD_S: Final = 0.2
"""The least time between two reads of a seating forced by a newer version (``seating_of``)."""


_seatings: dict[tuple[int, str], tuple[float, asyncio.Task[Seating | None]]] = {}
_forced: dict[tuple[int, str], float] = {}  # when a newer version last made this hub read again


async def seating_of(redis: Redis, meeting: str, at_least: int = 0) -> Seating | None:
    """The meeting's current seating (``tables.seating_store``), through this hub's short cache.

    One read at a time per hub and meeting: every caller that finds the cache empty or expired
    while a read is under way waits for that read. Without it a storm's subscribes, arriving
    together on a cold cache, each read and decoded the 30 KB seating (3,000 at once: 3,000 reads,
    1.6 s of CPU; docs/performance.md "Issue 15: tables at scale"). The read runs as its own task,
    so a caller that goes away (its connection dropped) does not cancel it for the others; a read
    that failed is not kept, nor one of another event loop (tests run one loop each).

    ``at_least``: the version (``created_ms``) a ``table.seating`` event named; a cached seating
    older than that is read again at once, but at most once every :data:`REREAD_S` (a page cannot
    make the hub read 30 KB per request by naming a version that does not exist), so the pages a
    reseat moves get the new seating at once, with one read per hub."""
    now, loop = time.monotonic(), asyncio.get_running_loop()
    key = (id(redis), meeting)
    hit = _seatings.get(key)
    fresh = (
        hit is not None and now - hit[0] < SEATING_TTL_S and not _failed(hit[1]) and hit[1].get_loop() is loop
    )
    if fresh and at_least > 0 and hit is not None and hit[1].done():
        cached = hit[1].result()
        if (cached is None or cached.created_ms < at_least) and now - _forced.get(
            key, float("-inf")
        ) >= REREAD_S:
            _forced[key] = now
            fresh = False
    if not fresh or hit is None:
        hit = _seatings[key] = (now, loop.create_task(seating_store.load_seating(redis, meeting)))
    return await asyncio.shield(hit[1])


def _failed(task: asyncio.Task[Seating | None]) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)


async def announce_seating(log: ChannelLog, seating: Seating) -> dict[str, object]:
    """Tell the open pages that ``seating`` (as stored: ``save_seating``'s return) replaced the
    session's seating: the event ``table.seating`` on ``meeting/<session>/seating`` (panelists,
    facilitators, staff) and on the hosts' overview. Its data names no one, only when (``at``, the
    seating's ``created_ms``) and how many tables and people: each page asks ``table.get`` with
    ``seating_at`` for its own table, so a person learns only their own new table. Kept in both
    states (``seating``), so a page that comes back sees the version it missed. Called after the
    save (another slot on Redis Cluster): a failure here leaves the pages to the next reconnect."""
    data: dict[str, object] = {
        "meeting": seating.session,
        "at": seating.created_ms,
        "tables": seating.count,
        "seated": seating.seated,
    }
    body = encode_data(data)
    for channel in (keys.meeting_seating(seating.session), keys.meeting_tables(seating.session)):
        await log.write("tables", "table_put", channel, args=[SEATING_EVENT, body, "seating"])
    return data


async def check_table(redis: Redis, meeting: str, table: int) -> Seating:
    """The seating, when ``table`` is one of its tables; else ``NO_SUCH_TABLE``."""
    seating = await seating_of(redis, meeting)
    if seating is None or not 1 <= table <= seating.count:
        raise HubError(Code.NO_SUCH_TABLE, f"meeting {meeting} has no table {table}")
    return seating


async def standing(redis: Redis, meeting: str, participant: str, role: Role) -> tuple[int | None, int | None]:
    """(the table ``participant`` is seated at, the table they facilitate), each None for none:
    what ``rules.may_follow`` decides from."""
    seated = facilitated = None
    if role is Role.PANELIST:
        seating = await seating_of(redis, meeting)
        seated = None if seating is None else seating.table_of(participant)
    elif role is Role.FACILITATOR:
        facilitated = await facilitated_table(redis, meeting, participant)
    return seated, facilitated


async def seat(log: ChannelLog, seating: Seating) -> Seating:
    """Store ``seating`` (``seating_store.save_seating``) and announce it to the open pages
    (``announce_seating``): what ``plenary tables assign`` and ``reseat`` do. Returns it as stored."""
    stored = await seating_store.save_seating(log.redis, seating)
    await announce_seating(log, stored)
    return stored
