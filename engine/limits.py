"""Per-participant limits shared by every hub: command rates (token buckets) and open connections.

A participant may hold many connections on many hubs, so a limit kept in a hub's memory or per
connection is no limit at all (issue 9: one panelist, 60 connections, 1,886 Q&A votes in 5 s).
Both limits therefore live in Redis, each one Lua step (``lua/rate.lua``, ``lua/admit.lua``).
What the limits are (which commands cost what, how many connections a role may hold) is policy
and lives in ``realtime/roles.py``; this module only enforces numbers it is given.

Rates: ``RateLimiter.take`` does not cost a round trip per command. Like the cast batcher's
group commit, every check waiting when the previous batch returns goes to Redis as one script
call (one slot: the buckets share the hash tag ``{rl}``), so a 3,000-cast burst costs a few
round trips, not 3,000.

Connections: a slot is a field ``<hub instance>|<conn>`` of the participant's hash. A hub frees its
slots when a connection ends; a hub that dies frees nothing, so admission also frees the slots of
any hub instance whose heartbeat (``CONNECTION_HUBS``, written once a second) is older than
``STALE_MS``. An instance id is new on every start, so a restarted hub's old slots go stale too.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from engine import keys
from engine.batching import GroupCommit
from engine.errors import Code, HubError
from engine.scripts import Scripts

STALE_MS = 15_000
"""A hub instance silent this long is dead: its connection slots are freed at the next admission."""


@dataclass(frozen=True)
class Bucket:
    """A token bucket: ``burst`` commands at once, then ``rate`` per second."""

    rate: float
    burst: float

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("a bucket needs rate > 0 and burst >= 1")


@dataclass(frozen=True)
class Take:
    """A rate check for a script that writes to make in its own step (``ballot/lua/cast.lua``):
    whose bucket, which class (for the refusal's words), its numbers and the command's cost.
    Why: checking it there saves a round trip per command that ``RateLimiter.take`` costs."""

    participant: str
    rate_class: str
    bucket: Bucket
    cost: float = 1


def refusal(rate_class: str, wait_ms: int) -> HubError:
    """The error of a command its participant's bucket refused: ``RATE_LIMITED`` with
    ``retry_after_ms``; nothing was done, so the same command may be sent again then."""
    return HubError(
        Code.RATE_LIMITED,
        f"too many {rate_class} commands: try again in {wait_ms / 1000:.1f} s",
        retry_after_ms=wait_ms,
    )


@dataclass
class _Check:
    key: str
    bucket: Bucket
    cost: float  # negative: tokens given back
    future: asyncio.Future[int] | None  # None: a refund nobody waits for


class RateLimiter:
    """Per-participant token buckets in Redis, checked in batches.

    ``start`` before use, ``stop`` at shutdown. ``take`` raises ``HubError(RATE_LIMITED)`` with
    ``retry_after_ms`` when the bucket is empty; nothing was done, so the caller may retry then.
    """

    def __init__(self, redis: Redis, scripts: Scripts, max_batch: int = 512) -> None:
        self.redis = redis
        self.scripts = scripts
        self._commit = GroupCommit(self._check, "plenary-rates", max_batch)

    @property
    def batches(self) -> int:
        return self._commit.batches

    def start(self) -> None:
        self._commit.start()

    async def stop(self) -> None:
        for c in await self._commit.stop():
            if c.future is not None and not c.future.done():
                c.future.set_exception(HubError(Code.UNAVAILABLE, "the hub is stopping"))

    async def take(self, participant_id: str, rate_class: str, bucket: Bucket, cost: float = 1) -> None:
        """Take ``cost`` tokens from the participant's bucket of ``rate_class``, or raise."""
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._commit.put(_Check(keys.rate_bucket(participant_id, rate_class), bucket, cost, fut))
        wait_ms = await fut
        if wait_ms > 0:
            raise refusal(rate_class, wait_ms)

    def give_back(self, participant_id: str, rate_class: str, bucket: Bucket, cost: float = 1) -> None:
        """Return the tokens of a command that was refused and did nothing (bad input, a state
        that does not allow it), so that a typo costs nothing. Not awaited: it is queued ahead of
        any later check, so the participant's next command already sees it."""
        self._commit.put(_Check(keys.rate_bucket(participant_id, rate_class), bucket, -cost, None))

    async def _check(self, batch: list[_Check]) -> None:
        args: list[str | float] = []
        for c in batch:
            args += [c.bucket.rate, c.bucket.burst, c.cost]
        try:
            waits = await self.scripts.call("engine", "rate", [c.key for c in batch], args)
        except Exception as exc:  # Redis unreachable: nothing was done, each command may be retried
            for c in batch:
                if c.future is not None and not c.future.done():
                    c.future.set_exception(HubError(Code.UNAVAILABLE, f"rate check failed, retry: {exc}"))
            return
        for c, wait in zip(batch, waits, strict=True):
            if c.future is not None and not c.future.done():
                c.future.set_result(int(wait))


class ConnectionSlots:
    """Open connections per participant over every hub. One instance per hub process."""

    def __init__(self, redis: Redis, scripts: Scripts, hub_id: str) -> None:
        self.redis = redis
        self.scripts = scripts
        # New on every start: slots a previous process with the same hub id left behind go stale.
        self.instance = f"{hub_id}#{secrets.token_hex(4)}"
        self.presence = keys.presence(hub_id)  # who is connected to this hub (``Hub.present``)

    def field(self, conn_id: int) -> str:
        return f"{self.instance}|{conn_id}"

    async def admit(self, participant_id: str, conn_id: int, limit: int) -> None:
        """Hold a slot for this connection and count the participant present on this hub, or raise
        ``HubError(TOO_MANY_CONNECTIONS)``. One round trip for both (the hello path's cost is its
        round trips, docs/performance.md). The caller must ``release`` it when the connection ends
        (and only if admitted)."""
        ok, held = await self.scripts.call(
            "engine",
            "admit",
            [keys.connection_slots(participant_id), keys.CONNECTION_HUBS, self.presence],
            [self.field(conn_id), self.instance, limit, STALE_MS, participant_id],
        )
        if not int(ok):
            raise HubError(
                Code.TOO_MANY_CONNECTIONS,
                f"already {int(held)} connections open with this link (at most {limit}): close one",
            )

    async def release(self, participant_id: str, conn_id: int, absent: bool = False) -> None:
        """Free the connection's slot; with ``absent`` (it was the participant's last connection
        on this hub) take them off the hub's presence set too, in the same round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:  # one slot ({conn}): one node
            pipe.hdel(keys.connection_slots(participant_id), self.field(conn_id))
            if absent:
                pipe.srem(self.presence, participant_id)
            await pipe.execute()

    def heartbeat(self, pipe: Pipeline) -> None:
        """Add this instance's heartbeat to the hub's once-a-second heartbeat pipeline."""
        pipe.hset(keys.CONNECTION_HUBS, self.instance, int(time.time() * 1000))

    async def stop(self) -> None:
        """A clean stop: this instance's slots count no more (connections are gone with it)."""
        await self.redis.hdel(keys.CONNECTION_HUBS, self.instance)
