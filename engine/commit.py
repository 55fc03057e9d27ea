"""The guarded commit: a change that a pure rule decided from a read of a channel's state, written
and published in one atomic step only if what the rule read has not moved since (``lua/commit.lua``).

The domains keep their rules in Python, testable without Redis: a step reads a channel's state, a
pure function decides one event and the writes that go with it, and :func:`commit` makes them one
step. It returns None when a guard moved: the caller reads and decides again, and bounds its
retries (``moderation/state.py`` for a meeting's agenda, speakers and overlay, ``proposals/store.py``
for the proposals).

Two guards, either or both: ``offset``, the channel's offset when it was read (nothing at all
published since), for state few people change; ``guards``, the state fields that must still hold
the bytes read (``stored``; an absent field ``b""``), for state many change at once in different
places (one proposal's record, one speaker's hand).

Why Lua and not WATCH/MULTI: the check, the writes and the publish must be one step, and a script
is (``engine/scripts.py``). Why one script for every domain: it holds no rule, only the guard check
and the write kinds, so a copy per domain would only be a second place for the same bug.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from engine import keys
from engine.channels import ChannelLog, Published, encode_data
from engine.connection import text

KINDS: Final = frozenset({"hset", "hdel", "hincr", "sadd", "srem", "merge_set", "rpush"})
"""The writes ``lua/commit.lua`` makes: ``hset``/``hdel`` (a field of a hash), ``hincr`` (a
counter), ``sadd``/``srem`` (a member), ``merge_set`` (the set ``field`` names moves into ``key``,
then is deleted), ``rpush`` (``value`` appended to a list)."""


@dataclass(frozen=True)
class Write:
    """One write of :func:`commit`: ``kind`` one of :data:`KINDS`; ``key`` a private key of the
    channel (``engine.keys.channel_key(channel, key)``), ``""`` (the default) for the channel's
    state hash; ``field`` a hash field, or for ``merge_set`` the private key moved in."""

    kind: str
    key: str = ""
    field: str = ""
    value: bytes | str | int = ""


async def commit(
    log: ChannelLog,
    channel: str,
    event: str,
    data: Any,
    *,
    offset: int | None = None,
    guards: Iterable[str] = (),
    stored: Mapping[str, bytes] | None = None,
    writes: Iterable[Write] = (),
) -> Published | None:
    """Publish ``event`` with ``data`` on ``channel`` and make ``writes``, all or nothing, if the
    channel is still at ``offset`` (when given) and every field of ``guards`` still holds its bytes of
    ``stored``. Returns where the event stands, or None when something moved: read again, decide again."""
    parts: list[str] = []

    def index(part: str) -> int:
        if not part:
            return 0
        if part not in parts:
            parts.append(part)
        return parts.index(part) + 1

    read = stored or {}
    names = list(guards)
    args: list[Any] = [event, encode_data(data), "" if offset is None else str(offset), len(names)]
    for name in names:
        args += [name, read.get(name, b"")]
    ops = list(writes)
    args.append(len(ops))
    for op in ops:
        where = index(op.key)
        fld = str(index(op.field)) if op.kind == "merge_set" else op.field
        args += [op.kind, where, fld, op.value]
    res = await log.write(
        "engine", "commit", channel, keys=[keys.channel_key(channel, p) for p in parts], args=args
    )
    if int(res[0]) < 0:
        return None
    return Published(int(res[0]), text(res[1]), int(res[2]))
