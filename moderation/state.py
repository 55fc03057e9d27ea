"""The state of a stateful channel, read and changed through pure rules: read, decide, commit.

Most moderated-meeting state changes are rare and made by a few people (a host moves the agenda, a
moderator calls the next speaker). For those, a rule is a pure function of the channel's state
(``dict`` of field -> decoded value) that returns a :class:`Change`; :meth:`StateChannel.update`
reads the state and its offset in one transaction, applies the rule, and commits the change with
the engine's guarded commit (``engine/commit.py``), which writes the fields and publishes the event
in one atomic step *only if* the state has not moved since the read (the channel's offset, or just
the fields the rule names in ``guards`` for changes many people make at once, such as raising a
hand). Otherwise it reads again and retries; after a few lost races the caller gets ``CONFLICT``
(retryable).

Why not Lua for every rule: the rules stay plain Python, testable without Redis, and the script
that enforces atomicity is one short file, the engine's, shared with the proposals. Why not
WATCH/MULTI: the check and the write must be one step with the publish, and a script is. Hot paths
where thousands act at once (question upvotes, poll answers) have their own scripts instead, so
they never retry.

Values in a state hash are MessagePack (the subscribe snapshot decodes them), so every value set
here must be something ``msgspec`` encodes to a plain map, list, string or number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from engine import keys
from engine.channels import ChannelLog, Published
from engine.commit import Write, commit
from engine.connection import raw, text
from engine.errors import Code, HubError

MAX_TRIES = 8
_enc = msgspec.msgpack.Encoder()


@dataclass(frozen=True)
class State:
    """A channel's state as read: decoded values, the stored bytes (for guards) and the offset."""

    values: dict[str, Any]
    stored: dict[str, bytes]
    offset: int

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def prefixed(self, prefix: str) -> dict[str, Any]:
        """Fields named ``<prefix><key>`` as ``{key: value}``."""
        return {k[len(prefix) :]: v for k, v in self.values.items() if k.startswith(prefix)}


@dataclass(frozen=True)
class Change:
    """What a rule decided: one event, and the state fields to set and delete with it.

    ``guards``: when given, only these fields must be unchanged since the read (``None``: absent);
    when None, the whole channel must be unchanged (no event published since the read).
    ``result``: what the command replies, besides the event's position. An empty ``event`` means
    there is nothing to change (an idempotent repeat): nothing is written or published.
    """

    event: str
    data: Any
    sets: Mapping[str, Any] = field(default_factory=dict)
    deletes: tuple[str, ...] = ()
    guards: tuple[str, ...] | None = None
    result: Any = None


@dataclass(frozen=True)
class Committed:
    published: Published | None  # None: the rule had nothing to change
    result: Any

    @property
    def offset(self) -> int | None:
        return self.published.offset if self.published else None


Rule = Callable[[State], Change]


class StateChannel:
    """Read and change one stateful channel."""

    def __init__(self, log: ChannelLog, channel: str) -> None:
        self.log = log
        self.channel = keys.check_channel(channel)

    async def read(self) -> State:
        async with self.log.redis.pipeline(transaction=True) as pipe:
            pipe.hget(keys.channel_keys(self.channel).meta, "seq")
            pipe.hgetall(keys.channel_keys(self.channel).state)
            seq, flat = await pipe.execute()
        stored = {text(k): raw(v) for k, v in flat.items()}
        values = {k: msgspec.msgpack.decode(v) for k, v in stored.items()}
        return State(values, stored, int(seq or 0))

    async def update(self, rule: Rule) -> Committed:
        """Apply ``rule`` to the current state and commit its change atomically, retrying when
        another command changed the state in between. The rule raises to refuse (nothing stored)."""
        for _ in range(MAX_TRIES):
            state = await self.read()
            change = rule(state)
            if not change.event:
                return Committed(None, change.result)
            published = await self._commit(state, change)
            if published is not None:
                return Committed(published, change.result)
        raise HubError(Code.CONFLICT, "too many concurrent changes; try again")

    async def _commit(self, state: State, change: Change) -> Published | None:
        writes = [Write("hset", "", name, _enc.encode(value)) for name, value in change.sets.items()]
        writes += [Write("hdel", "", name) for name in change.deletes]
        whole = change.guards is None  # no fields named: nothing at all may have moved
        return await commit(
            self.log,
            self.channel,
            change.event,
            change.data,
            offset=state.offset if whole else None,
            guards=change.guards or (),
            stored=state.stored,
            writes=writes,
        )
