"""The channel log: every stream of events goes through here.

Publishing is one atomic Redis step (``lua/publish.lua``: next offset, bounded history, publish to
every hub). Stateful channels (Q&A, agenda, vote) update their state hash in the same script, so a
snapshot always names the offset it reflects. ``recover`` tells a (re)subscribing client exactly
what it missed, or gives it a snapshot when the history no longer reaches back; a changed epoch
means Redis itself was reset and the client's offsets are void.

A domain script that publishes (a cast's state change, a chat message with its rate check) runs
through ``ChannelLog.write``, the one place that lays out its channels' keys and publish arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgspec
from redis.asyncio import Redis

from engine import keys
from engine.connection import raw
from engine.errors import Code, HubError
from engine.flight import Unsent
from engine.keys import channel_keys, pubsub_channel  # by name: `keys` is a parameter of channel_write
from engine.scripts import Scripts


class StoredEvent(msgspec.Struct, array_like=True, frozen=True):
    """One event as stored in history and carried on pub/sub: [offset, time_ms, type, data]."""

    offset: int
    time: int
    type: str
    data: Any


class PubSubMessage(msgspec.Struct, array_like=True, frozen=True):
    """What a hub receives on ``pl:ev:<channel>``: [epoch, event]."""

    epoch: str
    event: StoredEvent


@dataclass(frozen=True)
class ChannelSpec:
    """How a kind of channel behaves. ``backlog``: events a fresh subscriber gets; ``history``:
    how far back a reconnecting client can recover event by event; ``archive``: keep the events for
    the record (chat for moderation and the minutes), at most the last ``archive_max``: every
    archive grows with what participants send, so every one has a bound (issue 9).
    ``backlog_event``: when set, the backlog is the last ``backlog`` events of that type still in
    the history, not the last events of any kind: a chat's late joiner gets its last visible
    messages even after a burst of moderation events. ``backlog_marker``: events of this type
    inside that span come along without counting (a chat's tombstones, ``chat.removed``: pages
    show "a moderator removed this message" in its place, and no text travels)."""

    history: int
    backlog: int
    stateful: bool
    archive: bool
    coalesce: bool  # high-rate: deliver in one frame per short tick
    backlog_event: str = ""
    backlog_marker: str = ""
    archive_max: int = 0

    def __post_init__(self) -> None:
        if self.archive and self.archive_max < self.history:
            raise ValueError("an archive keeps at least the history")


SPECS: dict[str, ChannelSpec] = {
    "chat": ChannelSpec(
        history=1000,
        backlog=100,
        stateful=False,
        archive=True,
        coalesce=True,
        archive_max=200_000,
        backlog_event="chat.message",
        backlog_marker="chat.removed",
    ),
    "qa": ChannelSpec(
        history=1000, backlog=0, stateful=True, archive=True, coalesce=True, archive_max=100_000
    ),
    "staff": ChannelSpec(
        history=1000, backlog=0, stateful=True, archive=True, coalesce=True, archive_max=100_000
    ),
    "agenda": ChannelSpec(
        history=200, backlog=0, stateful=True, archive=True, coalesce=False, archive_max=10_000
    ),
    "speakers": ChannelSpec(
        history=200, backlog=0, stateful=True, archive=True, coalesce=False, archive_max=20_000
    ),
    "polls": ChannelSpec(
        history=500, backlog=0, stateful=True, archive=True, coalesce=True, archive_max=50_000
    ),
    "votes": ChannelSpec(history=200, backlog=0, stateful=True, archive=False, coalesce=False),
    "vote": ChannelSpec(
        history=500, backlog=0, stateful=True, archive=True, coalesce=True, archive_max=50_000
    ),
    "ops": ChannelSpec(history=200, backlog=20, stateful=False, archive=False, coalesce=True),
    "overlay": ChannelSpec(history=50, backlog=1, stateful=True, archive=False, coalesce=False),
    # Live captions (issue 13, moderation/captions.py): high-rate like chat, so coalesced; a late
    # joiner gets the last finished lines (not the partial ones typed meanwhile); the archive is the
    # meeting's record of every caption with its time.
    "captions": ChannelSpec(
        history=500,
        backlog=3,
        stateful=False,
        archive=True,
        coalesce=True,
        archive_max=200_000,
        backlog_event="caption.line",
    ),
    # issue 14: a meeting's citizens' proposals (proposals/): stateful, so a page that comes back
    # after the history is gone gets every proposal as it is now; the archive is the open record
    # of every step (submissions, supports, merges, edits), with a bound like every archive.
    "proposals": ChannelSpec(
        history=1000, backlog=0, stateful=True, archive=True, coalesce=True, archive_max=100_000
    ),
    # issue 14: a session's live quorum for hosts (attendance/): the figure as it changes, at most
    # one a second (the hubs' sweep); a fresh subscriber gets the last one. Numbers, no record.
    "quorum": ChannelSpec(history=50, backlog=1, stateful=False, archive=False, coalesce=False),
    # issue 15: a table of 8-10 (tables/live.py): its discussion (a late joiner gets its last 50
    # messages), the step of the table agenda and its cards (the state: a phone that comes back
    # gets the step and the cards at once); the archive is the table's record.
    "table": ChannelSpec(
        history=500,
        backlog=50,
        stateful=True,
        archive=True,
        coalesce=True,
        archive_max=20_000,
        backlog_event="table.message",
    ),
    # issue 15: every card of a meeting (tables/cards.py), for the theme team: 300 tables x 3 cards
    # a step arrive within a minute, so coalesced; the history recovers a few steps event by event,
    # the state holds every card (a fresh console gets the whole session's cards as a snapshot).
    "cards": ChannelSpec(
        history=5000, backlog=0, stateful=True, archive=True, coalesce=True, archive_max=100_000
    ),
    # issue 15: the hosts' overview of the tables (tables/overview.py): one record per table in
    # the state, every change an event; numbers and flags, no record to keep.
    "tables": ChannelSpec(history=2000, backlog=0, stateful=True, archive=False, coalesce=True),
    # issue 15: a reseat or a new seating (tables/live.py ``announce_seating``): when and how many
    # tables, never who sits where; the state keeps the last one, so a page that comes back
    # knows whether the seating changed while it was away. A few events per session.
    "seating": ChannelSpec(history=20, backlog=0, stateful=True, archive=False, coalesce=False),
    # issue 16: who is live in a meeting's voice (moderation/voice.py); a fresh subscriber gets the
    # snapshot (the live speaker, if any). A few events per turn; the speakers' list keeps the record.
    "voice": ChannelSpec(history=50, backlog=0, stateful=True, archive=False, coalesce=False),
    # issue 15: the theme team's drafts (a few people dragging cards: many small events, so
    # coalesced) and the published themes every table and the stream follow (rare, whole lists).
    # Both stateful: a console or a page that comes back gets the board or the themes as they are.
    "theme_drafts": ChannelSpec(
        history=1000, backlog=0, stateful=True, archive=True, coalesce=True, archive_max=50_000
    ),
    "themes": ChannelSpec(
        history=100, backlog=0, stateful=True, archive=True, coalesce=False, archive_max=5_000
    ),
}


def spec_of(channel: str) -> ChannelSpec:
    return SPECS[keys.channel_kind(channel)]


# -- the channel-write API ----------------------------------------------------------------------
# A script that publishes takes, for each channel it writes and in the order given, the channel's
# keys (``keys.ChannelKeys``) at the start of KEYS and its publish arguments (``PublishArgs``) at the
# start of ARGV; the script's own keys and arguments follow. In Lua, ``pl_script(n)`` (engine/lua/
# _lib.lua) hands them back by name and ``pl_publish(channel, type, data)`` publishes. Callers outside
# the engine never build either part themselves: a later Redis Cluster move (sharded pub/sub, other
# hash tags) then changes this module, keys.py and the Lua library, and no caller.


class PublishArgs(NamedTuple):
    """How a channel publishes, as every publishing script takes it in ARGV (field order = ARGV order)."""

    pubsub: str  # the pub/sub channel every hub listens on (keys.pubsub_channel)
    hist_max: int  # the history's bound (ChannelSpec.history)
    archive_max: int  # the archive's bound, 0 for a channel that keeps none


def publish_args(channel: str) -> PublishArgs:
    """A channel's publish arguments from its spec. The archive bound is 0 for none; ``pl_publish``
    refuses 1, the flag callers passed before archives had bounds (an archive of one event)."""
    spec = spec_of(channel)
    return PublishArgs(pubsub_channel(channel), spec.history, spec.archive_max if spec.archive else 0)


class ScriptCall(NamedTuple):
    """The KEYS and ARGV of one call of a script."""

    keys: list[str]
    args: list[Any]


def channel_write(*channels: str, keys: Sequence[str] = (), args: Sequence[Any] = ()) -> ScriptCall:
    """KEYS and ARGV for a script that publishes on ``channels`` (in this order, as its Lua's
    ``pl_script`` reads them), followed by the script's own ``keys`` and ``args``."""
    script_keys: list[str] = []
    script_args: list[Any] = []
    for channel in channels:
        script_keys += channel_keys(channel)
        script_args += publish_args(channel)
    script_keys += keys
    script_args += args
    return ScriptCall(script_keys, script_args)


def publish_call(channel: str, etype: str, data: Any) -> ScriptCall:
    """KEYS and ARGV of ``engine/lua/publish.lua`` for one event: for a caller that queues many
    publishes on one pipeline (``ChannelLog.publish`` sends one at a time)."""
    return channel_write(channel, args=[etype, encode_data(data)])


@dataclass(frozen=True)
class Published:
    offset: int
    epoch: str
    time: int


@dataclass(frozen=True)
class Recovery:
    """Where a subscriber stands. ``recovered``: ``events`` are exactly those after the client's
    position. Otherwise ``events`` is the backlog and ``state`` the snapshot as of ``offset``."""

    channel: str
    epoch: str
    offset: int
    recovered: bool
    events: list[StoredEvent]
    state: dict[str, Any] | None


_event_decoder = msgspec.msgpack.Decoder(StoredEvent)
_pubsub_decoder = msgspec.msgpack.Decoder(PubSubMessage)
_encoder = msgspec.msgpack.Encoder()


def decode_pubsub(payload: bytes) -> PubSubMessage:
    return _pubsub_decoder.decode(payload)


def encode_data(data: Any) -> bytes:
    return _encoder.encode(data)


class ChannelLog:
    """Publish to and recover from channels. One instance per Redis command client."""

    def __init__(self, redis: Redis, scripts: Scripts | None = None) -> None:
        self.redis = redis
        self.scripts = scripts or Scripts(redis)
        self._recoveries: Unsent[tuple[str, str | None, int | None, int | None], Recovery] = Unsent()

    async def publish(self, channel: str, etype: str, data: Any) -> Published:
        """Append one event to a channel (atomically: offset, history, fan-out to every hub)."""
        call = publish_call(keys.check_channel(channel), etype, data)
        offset, epoch, now = await self.scripts.call("engine", "publish", call.keys, call.args)
        return Published(int(offset), _s(epoch), int(now))

    async def write(
        self, package: str, script: str, *channels: str, keys: Sequence[str] = (), args: Sequence[Any] = ()
    ) -> Any:
        """Run ``<package>/lua/<script>.lua``, a script that publishes on ``channels``, with its own
        ``keys`` and ``args`` after the channels' (``channel_write``). Returns what the script returns."""
        call = channel_write(*channels, keys=keys, args=args)
        return await self.scripts.call(package, script, call.keys, call.args)

    async def recover(
        self, channel: str, epoch: str | None, offset: int | None, seen_time: int | None = None
    ) -> Recovery:
        """Where a (re)subscribing client stands: every event after ``offset`` when ``epoch`` is
        the channel's and its history (``ChannelSpec.history`` events) still reaches back there;
        otherwise the backlog and, for a stateful channel, the snapshot. ``seen_time``: the time of
        the client's event at ``offset``; given, that event must also be the one the history holds
        there, or the client gets a fresh start (a failover can lose events and reuse their
        offsets: ``recover.lua``, docs/architecture.md).

        The state returned is read after this call: calls for the same position made before the
        read is sent share it (``engine.flight.Unsent``: 3,000 subscribes at a vote's opening, one
        read), and one made after it is sent starts another. So a caller that made sure of
        something before calling (a subscribe: the hub receives the channel's events) may rely on
        it for what it gets. The ``Recovery`` may be shared: callers only read it."""
        keys.check_channel(channel)
        return await self._recoveries.once(
            (channel, epoch, offset, seen_time), lambda: self._recover(channel, epoch, offset, seen_time)
        )

    async def _recover(
        self, channel: str, epoch: str | None, offset: int | None, seen_time: int | None
    ) -> Recovery:
        spec = spec_of(channel)
        ck = keys.channel_keys(channel)
        ep, top, recovered, entries, flat = await self.scripts.call(
            "engine",
            "recover",
            [ck.meta, ck.hist, ck.state],
            [
                epoch or "",
                -1 if offset is None else offset,
                spec.backlog,
                "1" if spec.stateful else "0",
                # The whole documented history is recoverable: a client is given a fresh start
                # only when the history no longer reaches back (the hub splits a long recovery
                # into several reply frames, ``realtime.protocol.session.subscribed_parts``).
                spec.history,
                spec.backlog_event,
                spec.backlog_marker,
                "" if seen_time is None else seen_time,
            ],
        )
        snapshot: dict[str, Any] | None = None
        if spec.stateful and not recovered:
            snapshot = {_s(flat[i]): msgspec.msgpack.decode(flat[i + 1]) for i in range(0, len(flat), 2)}
        return Recovery(
            channel=channel,
            epoch=_s(ep),
            offset=int(top),
            recovered=bool(recovered),
            events=[_event_decoder.decode(e) for e in entries],
            state=snapshot,
        )

    async def archive(self, channel: str, start: int = 0, stop: int = -1) -> list[StoredEvent]:
        """Every archived event of a channel (for the record, moderation and exports)."""
        spec = spec_of(keys.check_channel(channel))
        if not spec.archive:
            raise HubError(Code.UNKNOWN_CHANNEL, f"{channel} keeps no archive")
        entries = await self.redis.lrange(keys.channel_keys(channel).log, start, stop)
        return [_event_decoder.decode(raw(e)) for e in entries]


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
