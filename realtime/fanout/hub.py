"""The hub process: the local subscription table and the fan-out loop, on the Redis collaborators that
``realtime.fanout.backend`` builds at start.

Fan-out: an event arrives once per hub from Redis pub/sub. It is encoded once per codec in use and
framed once (``OutFrame``); the same bytes are written to every local subscriber's transport
without awaiting any of them. Subscribers in step with a channel sit in its ``LiveList``: flat
lists of transports the loop writes to with two checks each (walking client, writer, protocol
and transport per frame cost as much as the kernel's send, docs/performance.md). Every other
subscriber (recovering, suspended, behind or ahead) takes ``Client.deliver`` and joins the list
once in step. Channels marked ``coalesce`` collect their events for one tick and go out as one
``batch`` frame: joining ten events into one write costs a fraction of ten writes.

A sweep looks at every client once a second, in ``SWEEP_SLICES`` slices spread over the second: it
sends gap markers to clients whose buffers drained, and aborts clients that stayed past the write
cap for ``stall_timeout``: such a peer recovers from its offsets when it comes back, and nobody
else waited for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import msgspec
from redis.asyncio import Redis

from attendance.store import Desk, HallVotes
from ballot.store import CastBatcher, VoteStore
from engine import keys
from engine.background import survive
from engine.channels import ChannelLog, PubSubMessage, StoredEvent, spec_of
from engine.connection import path_cut, text
from engine.limits import ConnectionSlots, RateLimiter
from engine.pubsub import EventFeed
from engine.reach import reach
from moderation.meetings import Meetings
from moderation.speakers import SpeakersList
from panel.roster import Control, Roster
from realtime.config import Settings
from realtime.fanout.attendance import OnlineTracker
from realtime.fanout.backend import Backend
from realtime.fanout.hold import due_tick, hold_ticks
from realtime.fanout.live import LiveList
from realtime.fanout.quorum import QuorumPush
from realtime.fanout.writes import NEXT, Part, write_groups
from realtime.ops import metrics, opsfeed
from realtime.protocol.closecodes import CloseCode
from realtime.protocol.subscription import (
    DRAINED,
    MAX_BATCH,
    OWES_GAP,
    UNSUBSCRIBE,
    Answered,
    Subscription,
    SubState,
    continues,
    in_step,
)
from realtime.transport.client import Client

log = logging.getLogger("plenary.hub")
WATCH_INTERVAL = 0.5
"""Seconds between two looks at the Redis link (``Hub._redis_watch``)."""
WATCH_TIMEOUT = 1.0
"""Seconds Redis has to answer the watch's PING, and a new connection to it to open: as
``/readyz`` (``realtime.http.routes.READY_TIMEOUT``), well under the command client's 10 s."""
SWEEP_SLICES = 10
"""The sweep over every client is done in this many slices, one every 1/``SWEEP_SLICES`` s, so each
client is still looked at once a second. Why: all 3,000 at once held the event loop for several
milliseconds once a second, and every cast arriving meanwhile waited (docs/performance.md, "Issue
11: the cast path, fourth pass")."""
FANOUT_SLICE = 64
"""Listed transports a fan-out writes to in one go; a longer list gets the rest in slices of this
many, the event loop turning between them (``Hub._owe``): well under a millisecond of ``send``
calls each. 64 rather than 256: a cast that arrives during a turnout event to 3,000 followers waits
for a few slices before its reply is written. On a quiet machine, twelve spread rounds each, A B
A B: p99 median 33 ms [26–87] with 256, 25 ms [16–37, and one 113 ms round that a garbage
collection made] with 64; the hub's CPU per cast unchanged (docs/performance.md, "Issue 11: the
fan-out's slice and the garbage collector")."""
_control = msgspec.msgpack.Decoder(Control)


class Hub:
    """One hub process: its local subscribers and the fan-out to them, on the collaborators of
    ``backend`` (built before the hub, ``realtime.fanout.backend``)."""

    def __init__(self, settings: Settings, backend: Backend) -> None:
        self.settings = settings
        self.hub_id = backend.hub_id
        self.redis: Redis = backend.redis
        self.log: ChannelLog = backend.log
        self.roster: Roster = backend.roster
        self.meetings: Meetings = backend.meetings
        self.feed = EventFeed(backend.pubsub, self.on_event, self.on_reset, self.on_control)
        self.local: dict[str, set[Client]] = {}
        self.live: dict[str, LiveList] = {}
        self.clients: set[Client] = set()
        # a coalesced channel -> (epoch, its held events, the tick they go out in: ``hold``)
        self._pending: dict[str, tuple[str, list[StoredEvent], int]] = {}
        self._ticks = 0  # ticks so far (``tick``)
        self._tasks: list[asyncio.Task[Any]] = []
        self.votes: VoteStore = backend.votes
        self.casts: CastBatcher = backend.casts
        self.rates: RateLimiter = backend.rates
        self.slots: ConnectionSlots = backend.slots
        self.speakers: SpeakersList = backend.speakers
        self.turnout_dirty: set[str] = set()
        self._present: dict[str, int] = {}  # participant id -> local connections
        # issue 14: attendance (online intervals from subscriptions, the hall desk, hall-only votes)
        self.desk = Desk(self.redis)
        self.quorum = QuorumPush(self.redis, self.log, self.roster, backend.presence, self.desk)
        self.online = OnlineTracker(backend.presence, self.quorum.touched)
        self.hall_votes = HallVotes(self.redis)
        self._ops = opsfeed.LoadReporter(self.hub_id)
        self._embedded = backend.embedded is not None
        self.ready = False
        self.cut_off = False  # this hub's path to Redis is cut: it closed its clients, takes none
        self.fanout_slice = FANOUT_SLICE
        # Where ``_owe`` schedules a fan-out's next slice: the running loop's ``call_soon`` unless
        # set (the subscription state machine sets it, to turn the loop when it chooses).
        self.call_soon: Callable[..., object] | None = None

    # -- life ------------------------------------------------------------------------------------
    async def start(self) -> None:
        self.casts.start()
        self.rates.start()
        await self.feed.start()
        await self.redis.delete(keys.presence(self.hub_id))
        await self._heartbeat()
        self._tasks = [
            asyncio.create_task(self._ticker(), name="plenary-tick"),
            asyncio.create_task(self._sweeper(), name="plenary-sweep"),
            asyncio.create_task(self._client_sweeper(), name="plenary-client-sweep"),
            asyncio.create_task(self._redis_watch(), name="plenary-redis-watch"),
        ]
        self.ready = True
        log.info("hub started", extra={"hub": self.hub_id, "redis": "embedded" if self._embedded else "url"})

    async def stop(self) -> None:
        """Stop serving and leave Redis tidy; the caller then closes the backend (its clients)."""
        self.ready = False
        await self.casts.stop()
        await self.rates.stop()
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError), survive(log, "stop " + t.get_name()):
                await t
        await self.feed.stop()
        await self.online.close_all()  # issue 14: before the heartbeat goes (reap.lua would use it)
        with survive(log, "stop cleanup"):  # what is left expires: hubs are judged by heartbeat
            await self.redis.delete(keys.presence(self.hub_id))
            await self.redis.hdel(keys.HUBS, self.hub_id)
            await self.slots.stop()

    # -- subscriptions ---------------------------------------------------------------------------
    async def attach(self, client: Client, channel: str) -> None:
        """Make ``client`` a local subscriber; returns once this hub receives the channel's events."""
        live = self.live.get(channel)
        if live is None:
            live = self.live[channel] = LiveList()
        live.leave(client, channel)  # a subscribe again (to recover) starts on the careful path
        live.careful.add(client)
        members = self.local.get(channel)
        if members is None:
            members = self.local[channel] = set()
        if client not in members:
            members.add(client)
            metrics.SUBSCRIPTIONS.inc()
            await self.feed.subscribe(channel)
            self.online.followed(client, channel)  # issue 14: the start of online attendance

    def answered(self, client: Client, channel: str, epoch: str, offset: int) -> None:
        """The subscribe reply is written (every part): the subscription takes the reply's position
        and releases what was held meanwhile, and, if that leaves it in step with the channel's live
        list, joins the list now rather than after its first live event.

        Why now: a vote's first turnout event otherwise met all its followers on the careful path
        (``Client.deliver``, a call and a table look-up each: 15 % of the hub during a cast round,
        docs/performance.md "Issue 11: the cast path, second pass"). Why it is safe: the list writes
        only events that continue its own position (``fanout`` demotes everyone otherwise), and a
        client joins only at exactly that position, LIVE, so it gets each event once and in order,
        or goes back to the careful path, where the table decides (a duplicate, the rest, a gap).
        A list with nobody on it has no position to keep: the first to join gives it theirs. Only a
        client still attached (in ``careful``: ``quiet`` takes a closing one off) may join."""
        client.apply(channel, Answered(epoch, offset))
        live = self.live.get(channel)
        sub = client.subs.get(channel)
        if live is None or sub is None or sub.state is not SubState.LIVE or client not in live.careful:
            return
        if not live.groups:
            live.epoch, live.last = sub.epoch, sub.last
        if in_step(sub, live.epoch, live.last):
            transport = client.writer.direct()
            if transport is not None:
                live.join(client, transport)

    async def detach(self, client: Client, channel: str) -> None:
        live = self.live.get(channel)
        if live is not None:
            live.leave(client, channel)
        client.apply(channel, UNSUBSCRIBE)
        client.subs.pop(channel, None)
        members = self.local.get(channel)
        if members and client in members:
            members.discard(client)
            metrics.SUBSCRIPTIONS.dec()
            if not members:
                del self.local[channel]
                self.live.pop(channel, None)
            await self.feed.unsubscribe(channel)
            self.online.unfollowed(client, channel)  # issue 14: its end, after the last channel

    def quiet(self, client: Client) -> None:
        """Off every live list at once (before any await): a closing client gets no more frames."""
        for channel in client.subs:
            live = self.live.get(channel)
            if live is not None:
                live.leave(client, channel)

    # -- presence (who is connected, over every hub: quorum and turnout dashboards) --------------
    def join(self, client: Client) -> None:
        """Count an admitted client (``ConnectionSlots.admit`` put its participant in this hub's
        presence set in Redis already)."""
        self.clients.add(client)
        pid = client.participant.id
        self._present[pid] = self._present.get(pid, 0) + 1

    async def present(self) -> set[str]:
        """Participants connected to any live hub (heartbeat within 15 s)."""
        now = int(time.time() * 1000)
        beats = await self.redis.hgetall(keys.HUBS)
        live = {text(h) for h, t in beats.items() if now - int(t) < 15_000} | {self.hub_id}
        return {text(p) for p in await self.redis.sunion([keys.presence(h) for h in live])}

    async def _heartbeat(self) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(keys.HUBS, self.hub_id, int(time.time() * 1000))
            pipe.expire(keys.presence(self.hub_id), 30)
            self.slots.heartbeat(pipe)
            await pipe.execute()

    async def drop_client(self, client: Client) -> bool:
        """Forget a client that is gone. True when it was its participant's last connection on this
        hub: the caller then takes them off the presence set as it frees the slot
        (``ConnectionSlots.release``, one round trip for both)."""
        self.quiet(client)
        absent = False
        if client in self.clients:
            pid = client.participant.id
            self._present[pid] -= 1
            if self._present[pid] <= 0:
                del self._present[pid]
                absent = True
        self.clients.discard(client)
        for channel in list(client.subs):
            await self.detach(client, channel)
        return absent

    # -- fan-out ---------------------------------------------------------------------------------
    def on_event(self, channel: str, msg: PubSubMessage) -> None:
        ev = msg.event
        metrics.DELIVERY.observe(max(0.0, time.time() - ev.time / 1000))
        if channel not in self.local:
            return
        if spec_of(channel).coalesce:
            held = self._pending.get(channel)
            if held is not None and held[0] == msg.epoch:
                held[1].append(ev)
                return
            if held is not None:
                self.fanout(channel, held[0], held[1])
            hold = hold_ticks(len(self.local[channel]), self.settings.hold_listeners)
            self._pending[channel] = (msg.epoch, [ev], due_tick(self._ticks, hold))
            return
        self.fanout(channel, msg.epoch, [ev])

    def fanout(self, channel: str, epoch: str, events: list[StoredEvent]) -> None:
        """Encode once per codec, write the same frame to every local subscriber."""
        self._fan_out_together([(channel, epoch, events)])

    def _fan_out_together(self, held: list[tuple[str, str, list[StoredEvent]]]) -> None:
        """The channels of one tick, each client's frames of all of them in one write
        (``realtime.fanout.writes``). A batch holds at most ``MAX_BATCH`` events, so that a burst
        never makes a frame too big for a client: a longer one goes out alone, in pieces."""
        parts: list[Part] = []
        for channel, epoch, events in held:
            if len(events) > MAX_BATCH:
                for i in range(0, len(events), MAX_BATCH):
                    self._fan_out_together([(channel, epoch, events[i : i + MAX_BATCH])])
                continue
            part = self._prepare(channel, epoch, events)
            if part is not None:
                parts.append(part)
        if parts:
            self._fan(tuple(parts))

    def _prepare(self, channel: str, epoch: str, events: list[StoredEvent]) -> Part | None:
        """A channel's share of a fan-out, its list settled (the rest of its previous event written)
        and everyone demoted if these events do not continue it; None when nobody here follows it."""
        members = self.local.get(channel)
        if not members:
            return None
        live = self.live.get(channel)
        if live is None:
            live = self.live[channel] = LiveList()
            live.careful.update(members)
        live.settle()  # the rest of the list's previous event first, then this one
        if live.groups and not continues(live.epoch, live.last, epoch, events[0].offset):
            live.demote_all(channel)
        return Part(channel, epoch, events, live)

    def _fan(self, parts: tuple[Part, ...]) -> None:
        """Write the parts' frames to their listed transports, one write per transport (several
        parts: ``realtime.fanout.writes``), the rest in slices (``_owe``); then the careful path.

        The hot loop (``_write_listed``): per transport, the write cap and whether it is closing (a
        connection the hub closes leaves the list first, see ``quiet``). A transport that fails
        either goes back to the careful path, which drops the frame for it and suspends the
        channel. Past ``FANOUT_SLICE`` transports the rest is written in later turns of the loop."""
        todo = write_groups(parts)
        failed = self._write_listed(todo, self.fanout_slice)
        for part in parts:
            part.live.epoch, part.live.last = part.epoch, part.events[-1].offset
        if todo:
            self._owe(parts, todo, failed)
        for part in parts:
            self._deliver_careful(part)
        if not todo:
            self._failed(failed)

    @classmethod
    def _deliver_careful(cls, part: Part) -> None:
        """The part's events to the subscribers off its list, each through its table."""
        for client in tuple(part.live.careful):
            sub = client.subs.get(part.channel)
            if sub is None:
                part.live.careful.discard(client)
                continue
            cls._deliver(part, client, sub)

    @staticmethod
    def _deliver(part: Part, client: Client, sub: Subscription) -> None:
        """``client`` takes the part's events through its table (``Client.deliver``: written, held
        or dropped), and joins the part's list if that left it in step with it."""
        client.deliver(part.channel, part.epoch, part.events, part.frame_of(client.codec))
        if in_step(sub, part.epoch, part.live.last):
            transport = client.writer.direct()
            if transport is not None:
                part.live.join(client, transport)

    @classmethod
    def _failed(cls, failed: list[tuple[tuple[Part, ...], Client]]) -> None:
        """The listed clients nothing was written to (past the write cap, closing, or leaving):
        off each part's list, back to the careful path from where the list stood before, which
        takes the part's events (or drops them and suspends the channel)."""
        for parts, client in failed:
            for part in parts:
                part.live.remove(client)
                sub = client.subs.get(part.channel)
                if sub is None:
                    continue
                sub.last = part.prev
                part.live.careful.add(client)
                cls._deliver(part, client, sub)

    def _write_listed(
        self, todo: list[list[Any]], budget: int, skip: asyncio.WriteTransport | None = None
    ) -> list[tuple[tuple[Part, ...], Client]]:
        """Write each group's bytes to its transports from its next index on, at most ``budget`` of
        them (0: all); the groups done leave ``todo``. Returns the clients whose transport was past
        the write cap or closing, with the group's parts (nothing written to them; the caller takes
        them off the parts' lists). A group's fields: ``realtime.fanout.writes`` (``DATA`` to ``EVENTS``)."""
        failed: list[tuple[tuple[Part, ...], Client]] = []
        cap = self.settings.write_cap
        written = writes = frames = events = 0
        while todo:
            group = todo[0]
            data, transports, clients, i, end, parts, n = group
            stop = end if not budget or end - i <= budget - written else i + budget - written
            missed = len(failed)
            for t in transports[i:stop] if i or stop < end else transports:
                if t.get_write_buffer_size() <= cap and not t.is_closing() and t is not skip:
                    t.write(data)
                else:
                    failed.append((parts, clients[transports.index(t, i, stop)]))
            done = stop - i - (len(failed) - missed)
            writes += done
            frames += done * len(parts)
            events += done * n
            written += stop - i
            if stop < end:
                group[NEXT] = stop
                break
            todo.pop(0)
        if writes:
            metrics.WRITES_OUT.inc(writes)
            metrics.FRAMES_OUT.inc(frames)
            metrics.EVENTS_OUT.inc(events)
        return failed

    def _owe(
        self, parts: tuple[Part, ...], todo: list[list[Any]], failed: list[tuple[tuple[Part, ...], Client]]
    ) -> None:
        """The rest of a long list's fan-out: a slice of ``FANOUT_SLICE`` transports each turn of
        the event loop, or all of it at once when one of the parts' lists is about to change
        (``LiveList.settle``).

        Why: one turnout event to 3,000 followers is 3,000 ``send`` calls, tens of milliseconds in
        one go, and every cast that arrived meanwhile waited that long for its reply: the spread
        casts' p99 (docs/performance.md, "Issue 11: the cast path, fourth pass"). In slices, the
        loop reads and answers between them. Why it is safe: each list counts its part as written
        (``last``), and nothing moves its transports before the rest is written (every removal
        settles first, and the rest is owed to every part's list; a join appends past the slices'
        ends, and the joint groups are copies), so each listed transport gets the part once, in
        order before the channel's next one (``_prepare`` settles first too). The clients that
        failed the write cap are taken off the lists once everything is written, as a failed write
        in one go is: back to the careful path from ``prev``, the part delivered there; so is a
        client leaving while the rest is owed to it (``skip``: it may subscribe again, and must then
        get no event between its command and the reply but by its table, which holds them)."""
        call_soon = self.call_soon or asyncio.get_running_loop().call_soon

        def rest(everything: bool, skip: asyncio.WriteTransport | None = None) -> None:
            failed.extend(self._write_listed(todo, 0 if everything else self.fanout_slice, skip))
            if todo:
                for part in parts:
                    part.live.owed = rest
                call_soon(self._owed_slice, parts[0].live, rest)
                return
            for part in parts:
                if part.live.owed is rest:
                    part.live.owed = None
            self._failed(failed)

        for part in parts:
            part.live.owed = rest
        call_soon(self._owed_slice, parts[0].live, rest)

    @staticmethod
    def _owed_slice(live: LiveList, rest: Callable[[bool, asyncio.WriteTransport | None], None]) -> None:
        if live.owed is rest:  # not settled (written all at once) meanwhile
            live.owed = None
            rest(False, None)

    def tick(self) -> None:
        """One tick of the coalescing clock: the held channels whose hold is over go out together
        (``realtime.fanout.hold``: one tick for a small audience, more for thousands)."""
        self._ticks += 1
        due = [channel for channel, (_e, _evs, at) in self._pending.items() if at <= self._ticks]
        if due:
            self._fan_out_together([(channel, *self._pending.pop(channel)[:2]) for channel in due])

    def flush(self) -> None:
        """Every held channel out now, whatever its hold."""
        pending, self._pending = self._pending, {}
        self._fan_out_together(
            [(channel, epoch, events) for channel, (epoch, events, _at) in pending.items()]
        )

    def on_control(self, payload: bytes) -> None:
        """A link was revoked (or reissued): close that participant's connections on this hub."""
        msg = _control.decode(payload)
        if msg.kind == "revoked":
            for client in tuple(self.clients):
                if client.participant.id == msg.participant:
                    metrics.CLOSES.labels(str(int(CloseCode.REVOKED))).inc()
                    self.quiet(client)
                    client.writer.close(int(CloseCode.REVOKED), "link revoked")

    def on_reset(self) -> None:
        """Pub/sub reconnected: events may have been lost meanwhile; every client recovers. Redis
        itself may have been replaced: the meetings known to exist are asked about again."""
        self._pending.clear()
        self.meetings.forget()
        self.hall_votes.forget()  # issue 14
        for channel, live in self.live.items():
            live.demote_all(channel)
        for client in self.clients:
            client.suspend_all()

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(self.settings.tick)
            self.tick()

    async def _client_sweeper(self) -> None:
        """``sweep`` every client once a second, a slice of them every 1/``SWEEP_SLICES`` s: the
        clients as they were at the start of the second, those gone since left out."""
        step = 1.0 / SWEEP_SLICES
        while True:
            snapshot = tuple(self.clients)
            n = len(snapshot)
            for i in range(SWEEP_SLICES):
                await asyncio.sleep(step)
                self.sweep(time.monotonic(), snapshot[i * n // SWEEP_SLICES : (i + 1) * n // SWEEP_SLICES])

    async def _sweeper(self) -> None:
        """Once a second: heartbeat, hard closes, turnout, Redis round trip, ops report. Each step
        fails alone (``engine.background.survive``: a warning, then the next step), so one broken vote or a
        Redis blip never stops the others nor the loop. (The sweep over the clients is
        ``_client_sweeper``'s, in slices.)"""
        while True:
            await asyncio.sleep(1.0)
            await self.online.flush()  # issue 14: the second's attendance intervals, one round trip
            await self.quorum.push()  # issue 14: the changed sessions' quorum, one a second at most
            with survive(log, "heartbeat"):
                await self._heartbeat()
            with survive(log, "close_due"):
                await self.votes.close_due(int(time.time() * 1000))
            dirty, self.turnout_dirty = self.turnout_dirty, set()
            for vote_id in dirty:  # one coalesced turnout event per vote per second, at most
                with survive(log, "publish_turnout", vote=vote_id):
                    await self.votes.publish_turnout(vote_id)
            with survive(log, "redis_ping"):
                t0 = time.perf_counter()
                await self.redis.ping()
                metrics.REDIS_RTT.observe(time.perf_counter() - t0)
            if time.monotonic() - self._ops.last_at >= opsfeed.INTERVAL:
                report = self._ops.report(len(self.clients), sum(len(m) for m in self.local.values()))
                with survive(log, "ops_report"):
                    await self.log.publish(keys.OPS, opsfeed.EVENT, report)

    async def redis_answers(self) -> bool:
        """Redis answers within ``WATCH_TIMEOUT`` and the pub/sub link is up, as ``/readyz`` judges
        it (``engine.reach``: on a cluster, a master down for every hub is a failover, not this
        hub's loss)."""
        reached = await reach(self.redis, WATCH_TIMEOUT)
        if reached.ok and not reached.down and not self.feed.connected.is_set():
            self.feed.retry_now()  # within WATCH_INTERVAL of Redis answering, not the feed's 2 s backoff
        return reached.ok and (self.feed.connected.is_set() or bool(reached.down))

    async def _redis_watch(self) -> None:
        """Close every client with 1012 once this hub's path to Redis has been cut for
        ``Settings.redis_cut_close`` seconds, and take none until Redis answers again.

        Why: a hub without Redis says 503 on ``/readyz`` and the balancer sends it no one new, but
        the clients it holds would each wait up to the command client's 10 s socket timeout for
        every command, and get no live event at all. Closed with 1012 they reconnect through the
        balancer to a hub that has Redis and recover from their offsets (docs/protocol.md). Only
        when the cut is this hub's (``engine.connection.path_cut``): when Redis is down or stuck
        for every hub, the clients would find only hubs in the same state, so they stay and
        recover from the pub/sub reset when Redis is back (docs/reliability.md "Issue 12")."""
        limit = self.settings.redis_cut_close
        down_since: float | None = None
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            if await self.redis_answers():
                if self.cut_off:
                    log.warning("redis link back: taking clients again", extra={"hub": self.hub_id})
                down_since, self.cut_off = None, False
                continue
            now = time.monotonic()
            if down_since is None:
                down_since = now
            if self.cut_off or limit <= 0 or now - down_since < limit:
                continue
            if await path_cut(self.settings.redis_url, WATCH_TIMEOUT):
                self.cut_off = True
                log.warning(
                    "cut from redis: closing every client with 1012",
                    extra={"hub": self.hub_id, "clients": len(self.clients)},
                )
                self.close_all(CloseCode.SERVICE_RESTART, "this hub lost Redis: reconnect")

    def close_all(self, code: CloseCode, reason: str) -> None:
        """Close every client's WebSocket with ``code``; each leaves its live lists at once."""
        for client in tuple(self.clients):
            metrics.CLOSES.labels(str(int(code))).inc()
            self.quiet(client)
            client.writer.close(int(code), reason)

    def sweep(self, now: float, clients: tuple[Client, ...] | None = None) -> None:
        """Abort the clients stalled past the write cap for ``stall_timeout``; give those whose
        buffer drained the gap markers they are owed. ``clients``: a slice (``_client_sweeper``),
        of which those no longer connected are skipped; all of them by default."""
        cap = self.settings.write_cap
        connected = self.clients
        for client in tuple(connected) if clients is None else clients:
            if client not in connected:
                continue
            buffered = client.writer.buffered()
            if buffered > cap:
                if client.stalled_since is None:
                    client.stalled_since = now
                elif now - client.stalled_since > self.settings.stall_timeout:
                    metrics.SLOW_ABORTS.inc()
                    log.info("slow consumer aborted", extra={"conn_id": client.conn_id})
                    client.writer.abort()
                continue
            client.stalled_since = None
            if buffered < cap // 4:
                for channel, sub in client.subs.items():
                    if sub.state in OWES_GAP:
                        client.apply(channel, DRAINED)
