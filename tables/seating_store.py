"""The seatings in Redis: one MessagePack value per session (``keys.seating``), the earlier
seatings of each session in a list (``keys.seating_history``), and the set of seated sessions.

Saving is one MULTI: the new seating replaces the old, the old goes to the session's history, the
session joins the set. So a reader sees the old seating or the new one, never a mix, and every
seating ever made stays to count who has met whom (``encounter_pairs``). All keys share the
``{tables}`` hash tag: one slot on Redis Cluster.
"""

from __future__ import annotations

import time
from collections import Counter

import msgspec
from redis.asyncio import Redis
from redis.exceptions import WatchError

from engine import connection, keys
from engine.errors import Code, HubError
from tables.model import Seating

_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(Seating).decode


def check_seating(seating: Seating) -> None:
    """A seating worth storing: a valid session id, no empty id, nobody at two seats. A table may
    be empty: a reseat empties a table whose people all left, so that the others keep their numbers."""
    try:
        keys.check_id(seating.session, "session")
    except HubError as e:
        raise HubError(Code.BAD_SEATING, e.message) from None
    seen: set[str] = set()
    for i, table in enumerate(seating.tables, start=1):
        for p in table:
            if not p:
                raise HubError(Code.BAD_SEATING, f"table {i} has an empty id")
            if p in seen:
                raise HubError(Code.BAD_SEATING, f"{p} has two seats")
            seen.add(p)


async def save_seating(redis: Redis, seating: Seating) -> Seating:
    """Store ``seating`` as its session's seating, in one step: the one it replaces joins the
    session's history (it is never lost: its pairs have met). Returns it as stored (with its
    ``created_ms``, the version ``tables.live.announce_seating`` tells the open pages)."""
    check_seating(seating)
    if not seating.created_ms:
        seating = msgspec.structs.replace(seating, created_ms=int(time.time() * 1000))
    key = keys.seating(seating.session)
    while True:  # WATCH: the old value moves to the history exactly once, even with two writers
        async with redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(key)
                old = await pipe.get(key)
                pipe.multi()
                if old is not None:
                    pipe.rpush(keys.seating_history(seating.session), old)
                pipe.set(key, _encode(seating))
                pipe.sadd(keys.SEATED_SESSIONS, seating.session)
                await pipe.execute()
                return seating
            except WatchError:  # another writer saved in between: read again
                continue


async def load_seating(redis: Redis, session: str) -> Seating | None:
    """The session's current seating, or None."""
    raw = await redis.get(keys.seating(session))
    return None if raw is None else _decode(connection.raw(raw))


async def require_seating(redis: Redis, session: str) -> Seating:
    """The session's current seating, or ``NO_SEATING``."""
    seating = await load_seating(redis, session)
    if seating is None:
        raise HubError(
            Code.NO_SEATING, f"session {session!r} has no seating: plenary tables assign {session}"
        )
    return seating


async def table_of(redis: Redis, session: str, panelist: str) -> int | None:
    """The 1-based table of ``panelist`` in ``session``'s current seating, or None."""
    seating = await load_seating(redis, session)
    return None if seating is None else seating.table_of(panelist)


async def seated_sessions(redis: Redis) -> list[str]:
    """Every session that has a seating, sorted."""
    return sorted(
        s.decode() if isinstance(s, bytes) else s for s in await redis.smembers(keys.SEATED_SESSIONS)
    )


async def all_seatings(redis: Redis, *, exclude: str | None = None) -> list[Seating]:
    """Every seating ever stored (current and earlier) of every session but ``exclude``."""
    out: list[Seating] = []
    for session in await seated_sessions(redis):
        if session == exclude:
            continue
        async with redis.pipeline(transaction=True) as pipe:
            pipe.lrange(keys.seating_history(session), 0, -1)
            pipe.get(keys.seating(session))
            history, current = await pipe.execute()
        out.extend(_decode(connection.raw(raw)) for raw in history)
        if current is not None:
            out.append(_decode(connection.raw(current)))
    return out


def encounter_pairs(seatings: list[Seating]) -> Counter[tuple[str, str]]:
    """In how many sessions each pair (a < b) sat at one table, over ``seatings``: a session's
    reseats repeat most of its pairs, and a pair that sat together through them met once."""
    per_session: dict[str, set[tuple[str, str]]] = {}
    for s in seatings:
        per_session.setdefault(s.session, set()).update(s.pairs())
    count: Counter[tuple[str, str]] = Counter()
    for pairs in per_session.values():
        count.update(pairs)
    return count


async def earlier_encounters(redis: Redis, session: str) -> Counter[tuple[str, str]]:
    """Who met whom at the tables of other sessions: what a new seating of ``session`` spreads apart."""
    return encounter_pairs(await all_seatings(redis, exclude=session))
