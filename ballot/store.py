"""Votes in Redis: definitions, lifecycle, durable casting with group commit, turnout, results.

Durability: a cast is acknowledged only after its script returned, and the Redis the hub uses runs
with ``appendfsync always`` (the embedded one always does; docs/operations.md says so for
``--redis-url``): Redis writes and fsyncs the AOF before it sends the replies of an event-loop
iteration, so an acknowledged ballot is on disk.

Group commit: ``CastBatcher`` sends every cast waiting when a batch slot frees as one ``cast.lua``
call per vote, which takes the ballots in order, each on its own: one round trip and one fsync for
the batch, and one voter's error is that voter's reply only (``docs/performance.md`` measures the
gain, and the gain of one call over a pipeline of one call per ballot). Two batches are in flight
at once, pipelined on one connection (``engine.scripts.ScriptPipe``), so Redis runs them in the
order they were taken and the hub packs the next batch while Redis runs the previous one.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import msgspec
from redis.asyncio import Redis

from ballot import rules, turnout
from ballot.bulletin import build_board, head_hash
from ballot.export import export_json
from ballot.model import BallotRecord, Channel, VoteDefinition, VoteState
from ballot.pairwise import ballots_from_ids
from ballot.receipts import issue_receipt, new_salts
from ballot.results import on_air
from ballot.tally import TallyResult, tally_all
from engine import connection, keys
from engine.background import survive
from engine.batching import GroupCommit
from engine.channels import ChannelLog, Published, encode_data
from engine.connection import raw
from engine.errors import Code, HubError, InternalError, VoteError
from engine.flight import Flights, Unsent
from engine.limits import Take, refusal
from engine.scripts import acknowledged_script

log = logging.getLogger("plenary.votes")
_enc = msgspec.msgpack.Encoder()
_def_dec = msgspec.msgpack.Decoder(VoteDefinition)
_rec_dec = msgspec.msgpack.Decoder(BallotRecord)
_int_dec = msgspec.msgpack.Decoder(int)


@dataclass(frozen=True)
class Receipt:
    vote_id: str
    tracking_code: str
    seq: int
    received_ms: int
    retry: bool


@dataclass(frozen=True)
class Closing:
    """What a host's close did: the close times in force; ``repeated``: a close was already
    announced, these are its times and nothing changed (``offset`` None, no event)."""

    closes_at: int
    hard_close_at: int
    repeated: bool
    offset: int | None


@dataclass(frozen=True)
class Voter:
    id: str
    gender: str = ""
    age_band: str = ""
    district: str = ""


@dataclass(slots=True)
class _Cast:
    defn: VoteDefinition
    voter: Voter
    ranking: tuple[str, ...]
    nonce: str
    channel: Channel
    entered_by: str
    done: Settle
    epoch: str = ""
    take: Take | None = None


Settle = Callable[[Receipt | Exception], None]
"""How a queued cast is settled, once, from the batch's own step when Redis answered: its receipt,
or the error (``HubError``, ``StaleDefinition``). Called in the batch's order, never awaited."""


def _into(fut: asyncio.Future[Receipt]) -> Settle:
    """A ``Settle`` that settles ``fut`` (left alone if its awaiter was cancelled meanwhile)."""

    def settle(outcome: Receipt | Exception) -> None:
        if fut.done():
            return
        if isinstance(outcome, Exception):
            fut.set_exception(outcome)
        else:
            fut.set_result(outcome)

    return settle


def nonce_field(channel: Channel, voter: str, nonce: str) -> str:
    """Where a cast's nonce is kept in the vote's nonces hash: one nonce space per channel.

    Why: a nonce makes a retry idempotent, but it is chosen by whoever enters the ballot: the
    panelist's device online, a clerk for paper, staff for phone. Were they one space, a paper entry
    that happened to reuse the voter's online nonce would come back as a "retry" of the online
    ballot and the paper ballot would be dropped. Online fields keep their original spelling
    (``voter:nonce``) so ballots stored before this rule still retry as before.
    """
    if channel is Channel.ONLINE:
        return f"{voter}:{nonce}"
    return f"{channel.value}:{voter}:{nonce}"


@functools.lru_cache(maxsize=256)
def _cast_keys(vote_id: str) -> tuple[str, ...]:
    """``cast.lua``'s KEYS for a vote, built once per vote (a tuple: the cache hands out one copy)."""
    k = keys.vote_key
    return (
        keys.channel_keys(keys.vote(vote_id)).state,
        k(vote_id, "ballots"),
        k(vote_id, "nonces"),
        k(vote_id, "voters"),
        k(vote_id, "eligible"),
        k(vote_id, "strata"),
        k(vote_id, "audit"),
        k(vote_id, "counters"),
        k(vote_id, "codes"),
        keys.channel_keys(keys.vote(vote_id)).meta,
    )


@dataclass
class _BallotIndex:
    """One vote's ballots by voter, as read so far (``VoteStore.choice_of``). The ballot list is
    append-only (``cast.lua`` only ``RPUSH``es) and its ``seq`` counts from 1, so entry ``i`` has
    ``seq == i + 1``: the next read asks only for what lies past ``length``."""

    epoch: str = ""
    length: int = 0
    exists: bool = False
    by_voter: dict[str, list[BallotRecord]] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    requested: int = 0  # tickets handed out to callers
    answered: int = 0  # every ticket up to this one was taken before the last completed read began

    def reset(self, epoch: str) -> None:
        self.epoch, self.length, self.by_voter = epoch, 0, {}


class StaleDefinition(InternalError):
    """The vote was removed and created anew since its definition was cached: read it again.
    An ``UNAVAILABLE`` error (the client may send the cast again) that ``cast_current`` catches
    by its class to read the definition again once."""

    def __new__(cls) -> StaleDefinition:
        return cast(StaleDefinition, super().__new__(cls, Code.UNAVAILABLE))

    def __init__(self) -> None:
        super().__init__(Code.UNAVAILABLE, "the vote changed: read it again")


class VoteStore:
    def __init__(self, log: ChannelLog) -> None:
        self.log = log
        self.redis: Redis = log.redis
        self._definitions: dict[str, tuple[VoteDefinition, str]] = {}
        self._loading: Flights[str, tuple[VoteDefinition, str]] = Flights()
        self._statuses: Unsent[str, VoteState] = Unsent()
        self._by_voter: dict[str, _BallotIndex] = {}

    # -- definitions and lifecycle ---------------------------------------------------------------
    async def create(self, defn: VoteDefinition) -> Published:
        rules.validate_definition(defn)
        keys.check_id(defn.vote_id, "vote id")
        # The set of votes is in the directory's slot, not the vote's (Redis Cluster): listed first,
        # so a vote is never missing from the list; an id listed without a vote (the create below
        # failed) is passed over by every reader of ``ids`` ("removed meanwhile").
        await self.redis.sadd(keys.VOTES, defn.vote_id)
        res = await self.log.write(
            "ballot",
            "create",
            keys.vote(defn.vote_id),
            keys=[keys.vote_key(defn.vote_id, "definition")],
            args=[
                defn.vote_id,
                _enc.encode(defn),
                _enc.encode(VoteState.DRAFT.value),
                encode_data({"title": defn.title}),
            ],
        )
        if int(res[0]) < 0:
            raise HubError(Code.BAD_TRANSITION, f"vote {defn.vote_id!r} exists already")
        return Published(int(res[0]), raw(res[1]).decode(), int(res[2]))

    async def definition(self, vote_id: str) -> VoteDefinition:
        data = await self.redis.get(keys.vote_key(keys.check_id(vote_id, "vote id"), "definition"))
        if data is None:
            raise HubError(Code.UNKNOWN_VOTE, f"no vote {vote_id[:64]!r}")
        return _def_dec.decode(raw(data))

    async def cached_definition(self, vote_id: str) -> tuple[VoteDefinition, str]:
        """The definition and the vote channel's epoch, read once per vote: a definition never
        changes; a vote removed and created anew (a reset Redis) has a new epoch, which the cast
        script checks (``StaleDefinition``; ``forget`` and read again)."""
        hit = self._definitions.get(vote_id)
        if hit is not None:
            return hit
        # One read for every cast that arrives before it returns (3,000 at the opening minute).
        return await self._loading.once(vote_id, lambda: self._read_definition(vote_id))

    def prefetch(self, vote_id: str) -> None:
        """Start reading the definition now unless it is cached or being read (a cast that has
        another read to wait for first: both round trips at once)."""
        if vote_id not in self._definitions:
            self._loading.start(vote_id, lambda: self._read_definition(vote_id))

    async def _read_definition(self, vote_id: str) -> tuple[VoteDefinition, str]:
        keys.check_id(vote_id, "vote id")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.get(keys.vote_key(vote_id, "definition"))
            pipe.hget(keys.channel_keys(keys.vote(vote_id)).meta, "epoch")
            data, epoch = await pipe.execute()
        if data is None:
            raise HubError(Code.UNKNOWN_VOTE, f"no vote {vote_id[:64]!r}")
        entry = (_def_dec.decode(raw(data)), raw(epoch).decode() if epoch else "")
        if entry[1]:
            if len(self._definitions) >= 1024:
                self._definitions.clear()
            self._definitions[vote_id] = entry
        return entry

    def definition_now(self, vote_id: str) -> tuple[VoteDefinition, str] | None:
        """``cached_definition`` if it is cached (nearly always: read once per vote), else None."""
        return self._definitions.get(vote_id)

    def forget(self, vote_id: str) -> None:
        self._definitions.pop(vote_id, None)

    async def status(self, vote_id: str) -> VoteState:
        """The vote's state; ``UNKNOWN_VOTE`` if there is no such vote. Read after this call, but
        shared by the calls made before the read is sent (``engine.flight.Unsent``): the 3,000
        subscribes of a vote's opening each check that the vote exists, with one read."""
        return await self._statuses.once(vote_id, lambda: self._read_status(vote_id))

    async def _read_status(self, vote_id: str) -> VoteState:
        value = await self.redis.hget(keys.channel_keys(keys.vote(vote_id)).state, "status")
        if value is None:
            raise HubError(Code.UNKNOWN_VOTE, f"no vote {vote_id[:64]!r}")
        return VoteState(msgspec.msgpack.decode(raw(value)))

    async def open(self, vote_id: str, eligible: list[str], now_ms: int | None = None) -> Published:
        defn = await self.definition(vote_id)
        rules.transition(await self.status(vote_id), rules.HostCommand.OPEN)
        if not eligible:
            raise HubError(Code.BAD_VOTE_DEFINITION, "nobody is eligible to vote")
        fields: dict[str, Any] = {"proposals": [p.id for p in defn.proposals], "eligible": len(eligible)}
        if defn.scheduled_close:
            fields |= {
                "closes_at": defn.scheduled_close,
                "hard_close_at": rules.hard_close_time(defn, defn.scheduled_close),
            }
        return await self._transition(
            vote_id,
            VoteState.DRAFT,
            VoteState.OPEN,
            "vote.opened",
            {"eligible": len(eligible)},
            fields,
            eligible,
        )

    async def announce_close(self, vote_id: str, now_ms: int | None = None) -> Closing:
        """The host closes: the countdown ends now and ballots still count for the grace period (no
        grace: closed at once). Idempotent: a close while one is announced, or after the vote closed,
        changes nothing and returns the first close (``rules.close_times``, enforced in ``close.lua``)."""
        defn = await self.definition(vote_id)
        now = now_ms if now_ms is not None else int(time.time() * 1000)
        status, closes, hard = await self.redis.hmget(
            keys.channel_keys(keys.vote(vote_id)).state, ["status", "closes_at", "hard_close_at"]
        )
        if status is None:
            raise HubError(Code.UNKNOWN_VOTE, f"no vote {vote_id[:64]!r}")
        times = rules.close_times(
            defn,
            VoteState(msgspec.msgpack.decode(raw(status))),
            now_ms=now,
            closes_at=None if closes is None else _int_dec.decode(raw(closes)),
            hard_close_at=None if hard is None else _int_dec.decode(raw(hard)),
        )
        if times.repeated:
            return Closing(
                closes_at=times.closes_at, hard_close_at=times.hard_close_at, repeated=True, offset=None
            )
        data = {"closes_at": times.closes_at, "hard_close_at": times.hard_close_at}
        # no grace: the hard close is now, so the vote closes at once
        at_once = rules.past_hard_close(now_ms=now, hard_close_at=times.hard_close_at)
        res = await self.log.write(
            "ballot",
            "close",
            keys.vote(vote_id),
            args=[
                now,
                _enc.encode(times.closes_at),
                _enc.encode(times.hard_close_at),
                _enc.encode((VoteState.CLOSED if at_once else VoteState.OPEN).value),
                "vote.closed" if at_once else "vote.closing",
                encode_data({} if at_once else data),
            ],
        )
        if int(res[0]) < 0:
            actual = msgspec.msgpack.decode(raw(res[1])) if res[1] else "absent"
            raise HubError(Code.BAD_TRANSITION, f"the vote is {actual}, not open")
        if int(res[0]) == 0:
            first = _int_dec.decode(raw(res[1])), _int_dec.decode(raw(res[2]))
            return Closing(closes_at=first[0], hard_close_at=first[1], repeated=True, offset=None)
        return Closing(
            closes_at=times.closes_at, hard_close_at=times.hard_close_at, repeated=False, offset=int(res[0])
        )

    async def close(self, vote_id: str) -> Published:
        """The hard close: atomic with casting (a cast after it gets ``vote_closed``)."""
        rules.transition(await self.status(vote_id), rules.HostCommand.CLOSE)
        return await self._transition(vote_id, VoteState.OPEN, VoteState.CLOSED, "vote.closed", {})

    async def publish(self, vote_id: str) -> TallyResult:
        defn = await self.definition(vote_id)
        rules.transition(await self.status(vote_id), rules.HostCommand.PUBLISH)
        selection = rules.select_counted(await self.ballots(vote_id))
        if selection.conflicts:
            raise HubError(
                Code.BALLOT_CONFLICT,
                f"{len(selection.conflicts)} panelist(s) have paper entries that disagree: resolve them first",
            )
        result = tally(defn, [b.ranking for b in selection.counted])
        entries = build_board(defn, [(b.tracking_code, b.ranking) for b in selection.counted])
        head = head_hash(defn, entries)
        export = export_json(defn, entries, result)
        # The export is stored before the state flips: a published vote always has its export.
        await self.redis.set(keys.vote_key(vote_id, "export"), export)
        await self._transition(
            vote_id,
            VoteState.CLOSED,
            VoteState.PUBLISHED,
            "vote.published",
            {"counted": len(selection.counted), "head_hash": head},
            {"results": msgspec.to_builtins(result), "head_hash": head, "counted": len(selection.counted)},
        )
        return result

    async def export(self, vote_id: str) -> bytes:
        """The published export (JSON): definition, bulletin board, head hash, results."""
        data = await self.redis.get(keys.vote_key(keys.check_id(vote_id, "vote id"), "export"))
        if data is None:
            raise HubError(Code.VOTE_NOT_PUBLISHED, "results are not published yet")
        return raw(data)

    async def results_on_air(self, vote_id: str) -> dict[str, Any]:
        """A published vote as the stream overlay shows it (:func:`ballot.results.on_air`), from the
        results and head hash its state holds since publication. ``UNKNOWN_VOTE`` for no such vote,
        ``VOTE_NOT_PUBLISHED`` before it is published."""
        defn = await self.definition(vote_id)
        value, head = await self.redis.hmget(
            keys.channel_keys(keys.vote(vote_id)).state, ["results", "head_hash"]
        )
        if value is None:
            raise HubError(Code.VOTE_NOT_PUBLISHED, "the vote's results are not published")
        head_hash = msgspec.msgpack.decode(raw(head)) if head is not None else ""
        return on_air(defn, msgspec.msgpack.decode(raw(value)), head_hash)

    async def close_due(self, now_ms: int) -> list[str]:
        """Hard-close every open vote whose announced close plus grace has passed (any hub may run
        this every second: the transition's state check makes the close happen once). A vote that
        cannot be read or closed is logged and passed over: it must not keep the others open."""
        closed = []
        for vid in await self.ids():
            with survive(log, "close_due", vote=vid):
                if await self._close_if_due(vid, now_ms):
                    closed.append(vid)
        return closed

    async def _close_if_due(self, vote_id: str, now_ms: int) -> bool:
        status, hard = await self.redis.hmget(
            keys.channel_keys(keys.vote(vote_id)).state, ["status", "hard_close_at"]
        )
        if status is None or hard is None or msgspec.msgpack.decode(raw(status)) != "open":
            return False
        if not rules.past_hard_close(now_ms=now_ms, hard_close_at=int(msgspec.msgpack.decode(raw(hard)))):
            return False
        try:
            await self.close(vote_id)
        except VoteError:  # another hub closed it first (the transition's state check)
            return False
        return True

    async def _transition(
        self,
        vote_id: str,
        expected: VoteState | None,
        new: VoteState,
        event: str,
        data: Any,
        fields: dict[str, Any] | None = None,
        eligible: list[str] | None = None,
    ) -> Published:
        flat: list[Any] = []
        for name, value in (fields or {}).items():
            flat += [name, _enc.encode(value)]
        res = await self.log.write(
            "ballot",
            "transition",
            keys.vote(vote_id),
            keys=[keys.vote_key(vote_id, "eligible")],
            args=[
                _enc.encode(expected.value) if expected else "",
                _enc.encode(new.value),
                event,
                encode_data(data),
                len(fields or {}),
                *flat,
                *(eligible or []),
            ],
        )
        if int(res[0]) < 0:
            actual = msgspec.msgpack.decode(raw(res[1])) if res[1] else "absent"
            raise HubError(
                Code.BAD_TRANSITION, f"the vote is {actual}, not {expected.value if expected else 'new'}"
            )
        return Published(int(res[0]), raw(res[1]).decode(), int(res[2]))

    async def publish_turnout(self, vote_id: str) -> None:
        await self.log.write(
            "ballot", "turnout", keys.vote(vote_id), keys=[keys.vote_key(vote_id, "counters")]
        )

    # -- ballots ---------------------------------------------------------------------------------
    async def ballots(self, vote_id: str) -> list[BallotRecord]:
        return [
            _rec_dec.decode(raw(b)) for b in await self.redis.lrange(keys.vote_key(vote_id, "ballots"), 0, -1)
        ]

    async def choice_of(self, vote_id: str, voter: str) -> tuple[bool, rules.Choice]:
        """(eligible, choice): whether ``voter`` may vote in ``vote_id``, and which of their ballots
        counts by ``rules.choose_counted`` (``Choice(counted=None)`` when they have none).

        What a panelist is told about their own vote (``vote.mine``), on any device: read from the
        store as of this call, so a ballot acknowledged to any device before the call is in it.
        Raises ``HubError(UNKNOWN_VOTE)`` for a vote that does not exist.
        """
        keys.check_id(vote_id, "vote id")
        index = self._by_voter.get(vote_id)
        if index is None:
            if len(self._by_voter) >= 32:  # about 1 MB per vote of 3,000 ballots: a bound, not an LRU
                self._by_voter.clear()
            index = self._by_voter[vote_id] = _BallotIndex()
        # A ticket taken before waiting: only a read that starts after it may answer this call.
        ticket = index.requested = index.requested + 1
        async with index.lock:
            if index.answered < ticket:
                start = index.requested
                await self._read_new_ballots(vote_id, index)
                index.answered = start
            ballots = list(index.by_voter.get(voter, ()))
        if not index.exists:
            raise HubError(Code.UNKNOWN_VOTE, f"no vote {vote_id[:64]!r}")
        eligible = bool(await self.redis.sismember(keys.vote_key(vote_id, "eligible"), voter))
        return eligible, rules.choose_counted(ballots)

    async def _read_new_ballots(self, vote_id: str, index: _BallotIndex) -> None:
        """Bring ``index`` up to date with the vote's ballot list: only the entries appended since
        the last read cross the wire (the whole list is 3,000 ballots, about 600 KB, and every
        page asks on every (re)connect). Starts over when the vote was created anew (its channel's
        epoch changed) or the list is not the one read before (``seq`` must continue it)."""
        meta = keys.channel_keys(keys.vote(vote_id)).meta
        ballots_key = keys.vote_key(vote_id, "ballots")
        start = index.length
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hget(meta, "epoch")
            pipe.lrange(ballots_key, start, -1)
            epoch_raw, fresh = await pipe.execute()
        epoch = raw(epoch_raw).decode() if epoch_raw else ""
        records = [_rec_dec.decode(raw(b)) for b in fresh]
        if epoch != index.epoch or (records and records[0].seq != start + 1):
            index.reset(epoch)
            if start:  # what was just read continues a list this index no longer holds
                records = [_rec_dec.decode(raw(b)) for b in await self.redis.lrange(ballots_key, 0, -1)]
        index.exists = bool(epoch)
        for b in records:
            index.by_voter.setdefault(b.voter, []).append(b)
        index.length += len(records)

    async def ids(self) -> list[str]:
        """Every vote's id, sorted."""
        return sorted(connection.text(v) for v in await self.redis.smembers(keys.VOTES))

    async def eligible(self, vote_id: str) -> set[str]:
        return {connection.text(x) for x in await self.redis.smembers(keys.vote_key(vote_id, "eligible"))}

    async def turnout(self, vote_id: str) -> dict[str, int]:
        voted = await self.redis.hget(keys.vote_key(vote_id, "counters"), "voted")
        strata = await self.redis.hgetall(keys.vote_key(vote_id, "strata"))
        out = {raw(k).decode(): int(v) for k, v in strata.items()}
        out["voted"] = int(voted or 0)
        return out


def tally(defn: VoteDefinition, rankings: list[tuple[str, ...]]) -> TallyResult:
    ids = [p.id for p in defn.proposals]
    index = {pid: i for i, pid in enumerate(ids)}
    return tally_all(
        ballots_from_ids([list(r) for r in rankings], ids),
        proposals=ids,
        tie_break=[index[p] for p in defn.tie_break],
    )


class CastBatcher:
    """Group commit for casts: whatever waits when a batch slot frees goes in the next batch.

    Exactly once and in order: each cast is in one batch; the batches go out in the order their
    casts were queued, on one connection, so Redis runs them in that order even with two in flight
    (a voter's recast sent before the first ballot's receipt came back is stored after it); a
    batch's reply settles its own casts only. A batch whose reply is lost (Redis unreachable, the
    connection dropped, an error reply) fails its casts with ``UNAVAILABLE``: the client sends them
    again with the same nonce, and a ballot stored after all gets its first receipt back
    (``retry``), never a second ballot."""

    def __init__(
        self,
        store: VoteStore,
        max_batch: int = 256,
        redis: Redis | None = None,
        in_flight: int = 2,
        pace: float = 0.0,
    ) -> None:
        """``redis``: the client whose connection settings the batcher's own connection takes (by
                default the store's); the batcher holds one connection of its own, opened at the first
                batch and closed by ``stop``. Why its own: a pool checkout per batch cost more client CPU
                than the batch's command when batches are small (casts spread over a second come one or two
                per batch), and pipelining needs one connection. ``in_flight``: batches in Redis at once (2:
                the hub packs the next batch while Redis runs one; 1: each batch waits for the previous
                reply), docs/performance.md, "Issue 11: the store level". ``pace``: batches that are not full leave
        at most one per ``pace`` seconds (``engine.batching.GroupCommit``)."""
        self.store = store
        # A pipe of its own on one Redis (two batches in flight); on a cluster, casts acknowledged
        # once a replica has them (engine.scripts.acknowledged_script).
        self._pipe = acknowledged_script(redis if redis is not None else store.redis, "ballot", "cast")
        self._commit = GroupCommit(self._flush, "plenary-casts", max_batch, in_flight, pace)

    @property
    def batches(self) -> int:
        """Pipelines sent to Redis so far (one round trip and one fsync each)."""
        return self._commit.batches

    def start(self) -> None:
        self._commit.start()

    async def stop(self) -> None:
        for c in await self._commit.stop():  # never sent: nothing stored, the client retries
            _settle(c, HubError(Code.UNAVAILABLE, "the hub is stopping"))
        await self._pipe.close()

    async def cast(
        self,
        defn: VoteDefinition,
        voter: Voter,
        ranking: list[str],
        nonce: str,
        channel: Channel = Channel.ONLINE,
        entered_by: str = "",
        epoch: str = "",
        take: Take | None = None,
    ) -> Receipt:
        """Validate, then queue for the next batch; returns once the ballot is durable in Redis.
        ``epoch``: the vote channel's epoch ``defn`` was read with (``VoteStore.cached_definition``);
        the cast then fails with ``StaleDefinition`` if the vote was created anew since.
        ``take``: the sender's rate check, made by ``cast.lua`` in the ballot's own step (its bucket
        is ``keys.vote_rate_bucket``); ``RATE_LIMITED`` then, with nothing stored."""
        fut: asyncio.Future[Receipt] = asyncio.get_running_loop().create_future()
        self.queue(defn, voter, ranking, nonce, _into(fut), channel, entered_by, epoch, take)
        return await fut

    def queue(
        self,
        defn: VoteDefinition,
        voter: Voter,
        ranking: list[str],
        nonce: str,
        done: Settle,
        channel: Channel = Channel.ONLINE,
        entered_by: str = "",
        epoch: str = "",
        take: Take | None = None,
    ) -> None:
        """``cast`` without awaiting: validate (a ``HubError`` raised now) and queue; ``done`` is
        called from the batch's step once Redis answered (the hub's direct read path: no future,
        callback and loop turn per cast, docs/performance.md "Issue 11: the cast path, fifth
        pass")."""
        rules.validate_nonce(nonce)
        rules.check_ranking(defn, ranking)
        self._commit.put(_Cast(defn, voter, tuple(ranking), nonce, channel, entered_by, done, epoch, take))

    def submit_current(
        self,
        vote_id: str,
        voter: Voter,
        ranking: list[str],
        nonce: str,
        done: Settle,
        take: Take | None = None,
    ) -> bool:
        """``cast_current`` of an online ballot without awaiting, when the vote's definition is
        cached (False when it is not: then ``cast_current``, which reads it); ``done`` gets the
        outcome (``queue``). A ``StaleDefinition``: the vote was created anew; ``forget`` it and
        ``cast_current``."""
        hit = self.store.definition_now(vote_id)
        if hit is None:
            return False
        self.queue(hit[0], voter, ranking, nonce, done, epoch=hit[1], take=take)
        return True

    async def cast_current(
        self,
        vote_id: str,
        voter: Voter,
        ranking: list[str],
        nonce: str,
        channel: Channel = Channel.ONLINE,
        entered_by: str = "",
        take: Take | None = None,
    ) -> Receipt:
        """``cast`` against the vote's definition as cached by the store (read once per vote, not
        once per ballot); a vote created anew since (a reset Redis) is read again, once."""
        defn, epoch = await self.store.cached_definition(vote_id)
        try:
            return await self.cast(defn, voter, ranking, nonce, channel, entered_by, epoch=epoch, take=take)
        except StaleDefinition:
            self.store.forget(vote_id)
            defn, epoch = await self.store.cached_definition(vote_id)
            return await self.cast(defn, voter, ranking, nonce, channel, entered_by, epoch=epoch, take=take)

    async def _flush(self, batch: list[_Cast]) -> None:
        """One ``cast.lua`` call per vote in the batch (nearly always one): the ballots of a vote go
        as one command, so the hub packs one command and parses one reply per batch, not per ballot.
        The calls of several votes run side by side (each its own round trip and fsync)."""
        by_vote: dict[str, list[_Cast]] = {}
        for c in batch:
            by_vote.setdefault(c.defn.vote_id, []).append(c)
        if len(by_vote) == 1:
            await self._flush_vote(batch)
        else:
            await asyncio.gather(*(self._flush_vote(casts) for casts in by_vote.values()))

    async def _flush_vote(self, batch: list[_Cast]) -> None:
        vote_id = batch[0].defn.vote_id
        args: list[Any] = [rules.MAX_ONLINE_BALLOTS, rules.ACCEPTS_ARG]
        buckets: list[str] = []  # KEYS past the vote's own: each ballot's rate bucket, by index
        for c, fresh in zip(batch, new_salts(len(batch)), strict=True):
            salt, code = issue_receipt(vote_id, c.ranking, fresh)
            record = BallotRecord(
                vote_id=vote_id,
                voter=c.voter.id,
                ranking=c.ranking,
                channel=c.channel,
                seq=0,
                nonce=c.nonce,
                salt=salt,
                tracking_code=code,
                received_ms=0,
                entered_by=c.entered_by,
            )
            args += (
                c.voter.id,
                nonce_field(c.channel, c.voter.id, c.nonce),
                c.channel.value,
                _enc.encode(record),
                code,
                turnout.stratum_value(c.voter.gender),
                turnout.stratum_value(c.voter.age_band),
                turnout.stratum_value(c.voter.district),
                c.entered_by,
                c.epoch,
            )
            take = c.take
            if take is None:
                args += (0, 0, 0, 0)
            else:
                buckets.append(keys.vote_rate_bucket(vote_id, take.participant, take.rate_class))
                index = len(_cast_keys(vote_id)) + len(buckets)
                args += (index, take.bucket.rate, take.bucket.burst, take.cost)
        try:
            results = await self._pipe.call((*_cast_keys(vote_id), *buckets), args)
        except (Exception, asyncio.CancelledError) as exc:
            # No reply (Redis unreachable, an error reply, the batcher stopping): the batch may or
            # may not be stored, and its casts may be sent again (same nonce: the first receipt).
            for c in batch:  # an error each: an awaiting caller raises it, with its own traceback
                _settle(c, HubError(Code.UNAVAILABLE, f"not stored, retry: {exc}"))
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        # Every cast of the batch settled here, in order, in this one step: the direct path writes
        # each reply from its ``done`` (no future, callback and turn of the loop per cast).
        for c, res in zip(batch, results, strict=True):
            ok = int(res[0])
            if ok:
                _settle(
                    c, Receipt(vote_id, raw(res[1]).decode(), int(res[2]), int(res[3]), bool(int(res[4])))
                )
                continue
            why = raw(res[1])
            if why == b"code_taken":
                self._commit.put(c)  # a tracking-code collision (2^-80): again with a new salt
            elif why == b"definition_changed":
                _settle(c, StaleDefinition())
            elif why == b"rate_limited":
                _settle(c, refusal(c.take.rate_class if c.take else "cast", int(res[2])))
            else:
                name = why.decode()
                _settle(c, HubError(Code[name.upper()], _MESSAGES.get(name, name)))


def _settle(c: _Cast, outcome: Receipt | Exception) -> None:
    """``c.done(outcome)``; a failure in it is logged, and the batch's other casts are settled all
    the same (a future's callback raising was the loop's to log; this is the batch's)."""
    try:
        c.done(outcome)
    except Exception:
        log.exception("a cast's settle failed")


_MESSAGES = {
    "vote_not_open": "this vote has not opened yet",
    "vote_closed": "voting has closed: your ballot was not recorded",
    "not_eligible": "you are not eligible to vote in this vote",
    "unknown_vote": "no such vote",
    "nonce_reused": "this nonce was used for another ranking: send a new ballot with a new nonce",
    "too_many_ballots": f"you have cast {rules.MAX_ONLINE_BALLOTS} ballots in this vote already: the latest counts",
}
