"""The subscription state machine, without sockets: every event reaches the client once and in
order, or a ``gap`` tells it where to resume (docs/protocol.md §7).

The state machine test drives the code that runs: the ``subscribe``/``unsubscribe`` handlers and
``after_reply`` (``realtime.commands.connection``), the hub's fan-out with its coalescing tick, live lists,
pub/sub reset and sweep (``realtime.fanout.hub``), and ``realtime.transport.client.Client``, which drives the table
of ``realtime.protocol.subscription``. Only the edges are models: Redis is a channel log with a
short history (``recover`` answers as ``recover.lua`` does), the pub/sub feed is a queue the test
delivers from, drops from (then resets) or holds back, and each client's socket is an in-memory
transport that decodes every frame it is given and checks it against the protocol's promise.
Handlers are coroutines stepped by hand: the one await that matters, the recovery read, happens
when the test says, so live events can arrive before it, between it and the reply, or after.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Coroutine, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from engine.channels import PubSubMessage, Recovery, StoredEvent
from panel.roster import Participant
from realtime.commands import connection as commands
from realtime.config import Settings
from realtime.fanout.backend import Backend
from realtime.fanout.hub import Hub
from realtime.ops import metrics
from realtime.protocol import messages as m
from realtime.protocol import subscription
from realtime.protocol.codec import CODECS, JSON, OutFrame, frame_at
from realtime.protocol.subscription import (
    MAX_BATCH,
    TABLE,
    Answered,
    Arrived,
    Forward,
    Kind,
    Send,
    SendGap,
    Subscription,
    SubState,
    Written,
    apply,
    arrival_kind,
)
from realtime.transport.client import Client
from tests.examples import examples

CHANNELS = (
    "meeting/m1/chat",
    "meeting/m1/qa",
    "meeting/m1/agenda",
)  # coalesced (two: flushed together), and not
HISTORY, BACKLOG = 6, 2  # the model channel's bounds: short, so that fresh starts happen too
CAP = Settings().write_cap


def ev(offset: int) -> StoredEvent:
    return StoredEvent(offset, 0, "t", {"n": offset})


# -- the table ----------------------------------------------------------------------------------
def test_the_table_is_total() -> None:
    """Every input is legal in every state: one that cannot matter there changes nothing, rather
    than raising in the middle of the fan-out loop."""
    assert {(s, k) for s in SubState for k in Kind} == set(TABLE)


def test_the_machine_does_no_io() -> None:
    """Pure: it imports nothing that could touch a socket, a loop or Redis."""
    tree = ast.parse(Path(subscription.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported <= {"__future__", "collections.abc", "dataclasses", "enum", "engine.channels"}


def test_gone_is_final() -> None:
    assert {TABLE[SubState.GONE, k][0] for k in Kind} == {SubState.GONE}


def evs(*offsets: int) -> list[StoredEvent]:
    return [ev(o) for o in offsets]


@pytest.mark.parametrize(
    ("offsets", "kind", "state", "actions"),
    [
        ((6, 7), Kind.NEXT, SubState.LIVE, (Forward(evs(6, 7), 7),)),
        ((4, 5), Kind.DUPLICATE, SubState.LIVE, ()),
        ((4, 5, 6, 7), Kind.OVERLAP, SubState.LIVE, [Send("e", evs(6, 7), 7)]),
        ((7, 8), Kind.HOLE, SubState.SUSPENDED, (SendGap("e", 5),)),
    ],
)
def test_live_events_are_named_by_how_they_meet_the_last_offset(
    offsets: tuple[int, ...], kind: Kind, state: SubState, actions: object
) -> None:
    sub = Subscription(SubState.LIVE, "e", 5)
    assert arrival_kind(sub, "e", evs(*offsets)) is kind
    assert apply(sub, Arrived("e", evs(*offsets))) == actions
    assert sub.state is state
    assert sub.last == 5  # only a written frame moves it


def test_another_epoch_is_a_hole() -> None:
    sub = Subscription(SubState.LIVE, "e", 5)
    assert apply(sub, Arrived("f", [ev(1)])) == (SendGap("e", 5),)
    assert sub.state is SubState.SUSPENDED


def test_held_events_with_a_hole_give_a_gap_not_the_hole() -> None:
    sub = Subscription()
    apply(sub, Arrived("e", [ev(11), ev(12)]))
    apply(sub, Arrived("e", [ev(15)]))
    assert apply(sub, Answered("e", 10)) == (SendGap("e", 10),)
    assert sub.state is SubState.SUSPENDED


def test_events_held_during_the_reply_go_out_in_batches_after_it() -> None:
    sub = Subscription()
    apply(sub, Arrived("e", [ev(o) for o in range(1, 131)]))
    actions = apply(sub, Answered("e", 10))
    assert sub.state is SubState.LIVE and sub.held == []
    assert [(a.events[0].offset, a.upto) for a in actions if isinstance(a, Send)] == [
        (11, 60),
        (61, 110),
        (111, 130),
    ]
    assert all(len(a.events) <= MAX_BATCH for a in actions if isinstance(a, Send))
    for a in actions:
        apply(sub, Written(a.upto))
    assert sub.last == 130


# -- the model around the hub -------------------------------------------------------------------
class Channel:
    """A channel in Redis: offsets from 1 per epoch, the last ``HISTORY`` events kept."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.epochs = 0
        self.epoch = ""
        self.events: list[StoredEvent] = []
        self.new_epoch()

    def new_epoch(self) -> None:
        """Redis lost the channel (flushed or replaced): offsets start again on a new epoch."""
        self.epochs += 1
        self.epoch = f"{self.name}#{self.epochs}"
        self.events = []

    def publish(self) -> StoredEvent:
        e = StoredEvent(len(self.events) + 1, 0, "t", {"id": f"{self.epoch}:{len(self.events) + 1}"})
        self.events.append(e)
        return e

    def recover(self, epoch: str | None, since: int | None) -> Recovery:
        """As ``recover.lua``: exactly the missed events while the history reaches back, else a
        fresh start with the backlog."""
        top = len(self.events)
        if epoch == self.epoch and since is not None and 0 <= since <= top and top - since <= HISTORY:
            return Recovery(self.name, self.epoch, top, True, self.events[since:], None)
        return Recovery(self.name, self.epoch, top, False, self.events[max(0, top - BACKLOG) :], None)


class Gate:
    """Where a handler waits for Redis: the test decides when (and whether) the read happens."""

    def __init__(self, channel: str, epoch: str | None, offset: int | None) -> None:
        self.channel, self.epoch, self.offset = channel, epoch, offset
        self.result: Recovery | None = None

    def __await__(self) -> Generator[Gate, None, Recovery]:
        yield self
        assert self.result is not None
        return self.result


class ModelLog:
    def recover(
        self, channel: str, epoch: str | None, offset: int | None, seen_time: int | None = None
    ) -> Gate:
        return Gate(channel, epoch, offset)


class ModelMeetings:
    async def get(self, meeting: str) -> None:
        return None

    async def check_exists(self, meeting: str) -> None:
        return None

    def forget(self) -> None:
        return None


class ModelPresence:
    """Online attendance (issue 14): the hub records a panelist's first and last channel of a
    meeting; nothing here depends on it."""

    instance = "model"

    async def write(self, opened: Any, closed: Any, spans: Any) -> None:
        return None


class ModelFeed:
    """The hub's pub/sub subscriptions: confirmed at once (the events themselves come from the test)."""

    async def subscribe(self, channel: str) -> None:
        return None

    async def unsubscribe(self, channel: str) -> None:
        return None


def finish(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a handler that must not wait for anything."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the handler waited")


@dataclass
class View:
    """What a client knows of one channel, and the checks of the hub's promise (protocol.md §7)."""

    channel: str
    epoch: str | None = None
    last: int | None = None
    subscribed: bool = False  # the hub holds a subscription (a reply or a failed resubscribe since)
    awaiting: bool = False  # a subscribe sent, not answered yet
    gapped: bool = False  # a gap since the last reply
    sent: tuple[str | None, int | None] = (None, None)

    def on_event(self, e: dict[str, Any], published: dict[tuple[str, int], Any]) -> None:
        assert self.subscribed, f"an event of {self.channel} without a subscription"
        assert not self.awaiting, "a live event before the subscribe reply"
        assert self.last is not None
        assert (e["epoch"], e["offset"]) == (self.epoch, self.last + 1), (
            f"event {e['epoch']}/{e['offset']} after {self.epoch}/{self.last}: a hole, a duplicate or stale"
        )
        assert e["data"] == published[e["epoch"], e["offset"]]
        self.last = e["offset"]

    def on_gap(self, g: dict[str, Any]) -> None:
        assert self.subscribed and not self.awaiting
        assert (g["epoch"], g["offset"]) == (self.epoch, self.last), "the gap must name the client's position"
        self.gapped = True

    def on_reply(self, r: m.Subscribed, published: dict[tuple[str, int], Any]) -> None:
        assert self.awaiting
        if r.recovered:
            assert r.epoch == self.sent[0] and self.sent[1] is not None
            assert [e.offset for e in r.events] == list(range(self.sent[1] + 1, r.offset + 1))
        assert all(e.data == published[r.epoch, e.offset] for e in r.events)
        self.epoch, self.last = r.epoch, r.offset
        self.awaiting, self.gapped, self.subscribed = False, False, True


class PeerTransport:
    """The client's end of the socket: every frame written is decoded and checked at once."""

    def __init__(self, peer: Peer) -> None:
        self.peer = peer
        self.backed_up = False  # the client stopped reading: the kernel's and the hub's buffers are full
        self.writes = 0  # writes to this socket (one may hold several frames)

    def get_write_buffer_size(self) -> int:
        return CAP + 1 if self.backed_up else 0

    def is_closing(self) -> bool:
        return False

    def write(self, data: bytes) -> None:
        self.writes += 1
        i = 0
        while i < len(data):  # whole unmasked server frames, one or more
            at = frame_at(data, i)
            assert at is not None, "a write ended inside a frame"
            start, i = at
            self.peer.receive(json.loads(data[start:i]))


class PeerWriter:
    """``realtime.writers.Writer`` over that transport, with its contract: broadcast frames are
    refused past the write cap, replies never (the test hands replies to the views directly)."""

    def __init__(self, transport: PeerTransport) -> None:
        self.transport = transport

    def write(self, frame: OutFrame, droppable: bool = True) -> bool:
        if droppable and self.transport.get_write_buffer_size() > CAP:
            return False
        self.transport.write(frame.wire)
        return True

    def buffered(self) -> int:
        return self.transport.get_write_buffer_size()

    def close(self, code: int, reason: str = "") -> None:
        raise AssertionError("nothing here closes a connection")

    def abort(self) -> None:
        raise AssertionError("nothing here aborts a connection")

    def direct(self) -> PeerTransport:
        return self.transport


@dataclass
class Peer:
    """One connected client: its views, its socket and the command it is waiting for."""

    n: int
    published: dict[tuple[str, int], Any]
    views: dict[str, View] = field(init=False)
    transport: PeerTransport = field(init=False)
    client: Client = field(init=False)
    command: tuple[str, Coroutine[Any, Any, Any], Gate | m.Subscribed, bool] | None = None

    def __post_init__(self) -> None:
        self.views = {c: View(c) for c in CHANNELS}
        self.transport = PeerTransport(self)
        who = Participant(id=f"p{self.n}", name=f"p{self.n}", role="panelist")
        self.client = Client(who, CODECS[JSON], PeerWriter(self.transport))  # type: ignore[arg-type]

    def receive(self, msg: dict[str, Any]) -> None:
        if msg["type"] == "event":
            self.views[msg["channel"]].on_event(msg, self.published)
        elif msg["type"] == "batch":
            for e in msg["events"]:
                self.views[e["channel"]].on_event(e, self.published)
        elif msg["type"] == "gap":
            self.views[msg["channel"]].on_gap(msg)
        else:
            raise AssertionError(f"unexpected frame {msg['type']}")


class SubscriptionModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # the hub's Redis side is the models: what it does not use here is left out
        backend = Backend(
            hub_id="model",
            embedded=None,
            redis=None,  # type: ignore[arg-type]
            pubsub=None,  # type: ignore[arg-type]
            log=ModelLog(),  # type: ignore[arg-type]
            roster=None,  # type: ignore[arg-type]
            meetings=ModelMeetings(),  # type: ignore[arg-type]
            votes=None,  # type: ignore[arg-type]
            casts=None,  # type: ignore[arg-type]
            rates=None,  # type: ignore[arg-type]
            slots=None,  # type: ignore[arg-type]
            speakers=None,  # type: ignore[arg-type]
            presence=ModelPresence(),  # type: ignore[arg-type]
        )
        # a coalesced channel's hold grows by a tick per listener here (``realtime.fanout.hold``),
        # so that held events meet every other rule, as the plenary's 3,000 hold theirs four ticks
        self.hub = Hub(Settings(hub_id="model", hold_listeners=1), backend)
        self.hub.feed = ModelFeed()  # type: ignore[assignment]
        self.channels = {c: Channel(c) for c in CHANNELS}
        self.published: dict[tuple[str, int], Any] = {}
        self.feed: list[tuple[str, str, StoredEvent]] = []  # published, not yet at the hub
        self.peers = [Peer(i, self.published) for i in range(2)]
        for p in self.peers:
            self.hub.clients.add(p.client)
        self.ids = 0

    # -- Redis and the feed -----------------------------------------------------------------------
    @rule(channel=st.sampled_from(CHANNELS), n=st.integers(1, 4))
    def publish(self, channel: str, n: int) -> None:
        ch = self.channels[channel]
        for _ in range(n):
            e = ch.publish()
            self.published[ch.epoch, e.offset] = e.data
            self.feed.append((channel, ch.epoch, e))

    @rule(channel=st.sampled_from(CHANNELS))
    def redis_loses_the_channel(self, channel: str) -> None:
        self.channels[channel].new_epoch()

    @precondition(lambda self: self.feed)
    @rule(n=st.integers(1, 8))
    def hub_receives(self, n: int) -> None:
        for channel, epoch, e in self.feed[:n]:
            self.hub.on_event(channel, PubSubMessage(epoch, e))
        del self.feed[:n]

    @rule()
    def tick(self) -> None:
        self.hub.tick()

    @rule(n=st.integers(0, 4))
    def pubsub_reconnects(self, n: int) -> None:
        """The hub's pub/sub link dropped: what was published meanwhile never reaches it."""
        del self.feed[:n]
        self.hub.on_reset()

    # -- clients ----------------------------------------------------------------------------------
    def idle(self) -> list[Peer]:
        return [
            p for p in self.peers if p.command is None
        ]  # one command at a time, as the endpoint runs them

    def reading(self) -> list[Peer]:
        return [p for p in self.peers if p.command is not None and isinstance(p.command[2], Gate)]

    def answered(self) -> list[Peer]:
        return [p for p in self.peers if p.command is not None and isinstance(p.command[2], m.Subscribed)]

    @precondition(lambda self: self.idle())
    @rule(data=st.data(), channel=st.sampled_from(CHANNELS))
    def subscribe(self, data: st.DataObject, channel: str) -> None:
        self.subscribe_for(data.draw(st.sampled_from(self.idle())), channel)

    def subscribe_for(self, peer: Peer, channel: str) -> None:
        view = peer.views[channel]
        self.ids += 1
        view.sent, view.awaiting = (view.epoch, view.last), True
        had = channel in peer.client.subs
        cmd = m.Subscribe(id=self.ids, channel=channel, epoch=view.epoch, offset=view.last)
        coro = commands.subscribe(self.hub, peer.client, cmd)
        gate = coro.send(None)  # runs up to the recovery read
        assert isinstance(gate, Gate)
        peer.command = (channel, coro, gate, had)

    @precondition(lambda self: self.reading())
    @rule(data=st.data())
    def redis_answers(self, data: st.DataObject) -> None:
        self.redis_answers_for(data.draw(st.sampled_from(self.reading())))

    def redis_answers_for(self, peer: Peer) -> None:
        assert peer.command is not None and isinstance(peer.command[2], Gate)
        channel, coro, gate, had = peer.command
        gate.result = self.channels[channel].recover(gate.epoch, gate.offset)
        try:
            coro.send(None)
        except StopIteration as done:
            peer.command = (channel, coro, done.value, had)
        else:
            raise AssertionError("subscribe waited after the read")

    @precondition(lambda self: self.answered())
    @rule(data=st.data())
    def reply_written(self, data: st.DataObject) -> None:
        self.reply_written_for(data.draw(st.sampled_from(self.answered())))

    def reply_written_for(self, peer: Peer) -> None:
        assert peer.command is not None and isinstance(peer.command[2], m.Subscribed)
        channel, _coro, reply, _had = peer.command
        peer.command = None
        peer.views[channel].on_reply(reply, self.published)
        commands.after_reply(self.hub, peer.client, reply)

    @precondition(lambda self: self.reading())
    @rule(data=st.data())
    def redis_fails(self, data: st.DataObject) -> None:
        self.redis_fails_for(data.draw(st.sampled_from(self.reading())))

    def redis_fails_for(self, peer: Peer) -> None:
        assert peer.command is not None
        channel, coro, _gate, had = peer.command
        peer.command = None
        view = peer.views[channel]
        # The error reply: "nothing changed" (a subscription the client had goes on). The hub
        # writes the events it held meanwhile before the error frame; the client takes both as
        # "nothing changed", so the view takes the error first.
        view.awaiting = False
        view.subscribed = had
        with pytest.raises(ConnectionError):
            coro.throw(ConnectionError("redis went away"))
        assert (channel in peer.client.subs) is had

    def followers(self) -> list[tuple[Peer, str]]:
        return [(p, c) for p in self.idle() for c in CHANNELS if c in p.client.subs]

    @precondition(lambda self: self.followers())
    @rule(data=st.data())
    def unsubscribe(self, data: st.DataObject) -> None:
        peer, channel = data.draw(st.sampled_from(self.followers()))
        finish(commands.unsubscribe(self.hub, peer.client, m.Unsubscribe(id=0, channel=channel)))
        peer.views[channel].subscribed = False

    @rule(p=st.integers(0, 1), stop=st.booleans())
    def client_reading(self, p: int, stop: bool) -> None:
        """The client stops reading (its buffers fill up) or reads again."""
        self.peers[p].transport.backed_up = stop

    @rule()
    def sweep(self) -> None:
        self.hub.sweep(0.0)

    # -- the promise ------------------------------------------------------------------------------
    def teardown(self) -> None:
        """Answer what is still asked (a handler left waiting would be closed mid-read), then settle."""
        while self.reading() or self.answered():
            for peer in self.reading():
                self.redis_answers_for(peer)
            for peer in self.answered():
                self.reply_written_for(peer)
        self.settle()

    @rule()
    def settle(self) -> None:
        """Everyone reads, every event reaches the hub, the tick and the sweep run: each client
        then has every event of each channel it follows, or has been sent a gap."""
        for peer in self.peers:
            peer.transport.backed_up = False
        self.hub_receives(len(self.feed))
        self.hub.flush()
        self.loop_idles()
        self.hub.sweep(0.0)
        self.loop_idles()
        for peer in self.peers:
            for channel, view in peer.views.items():
                busy = peer.command is not None and peer.command[0] == channel
                if busy or not view.subscribed or view.gapped:
                    continue
                ch = self.channels[channel]
                if ch.events:
                    assert (view.epoch, view.last) == (ch.epoch, len(ch.events)), (
                        f"{channel}: client at {view.epoch}/{view.last}, channel at "
                        f"{ch.epoch}/{len(ch.events)}, and no gap"
                    )

    def loop_idles(self) -> None:
        """The event loop runs what it was asked to (nothing here: the fan-out writes in one go)."""

    @invariant()
    def the_live_lists_hold_only_clients_in_step(self) -> None:
        """The live list's invariant, which lets the fan-out skip the table: everyone on it is
        LIVE at the list's position (their own ``last`` is written back when they leave)."""
        for channel, live in self.hub.live.items():
            for _codec, transports, clients in live.groups.values():
                assert len(transports) == len(clients)
                for i, client in enumerate(clients):
                    assert live.position(client) == i  # the index ``leave`` takes them off by
                    sub = client.subs[channel]
                    assert sub.state is SubState.LIVE and sub.epoch == live.epoch, (channel, sub, live.epoch)
                    assert client not in live.careful
            assert all(live.position(c) is None for c in live.careful), "listed and careful at once"

    @invariant()
    def subscriptions_match(self) -> None:
        for peer in self.peers:
            for channel, view in peer.views.items():
                busy = peer.command is not None and peer.command[0] == channel
                assert (channel in peer.client.subs) is (view.subscribed or busy)


# 200 sequences of 50 steps in `make test` (600 cost the suite a minute on a busy two-core machine);
# `make properties` runs 2,000 (tests/examples.py).
SubscriptionModel.TestCase.settings = settings(
    max_examples=examples(200),
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_every_event_once_in_order_or_a_gap = SubscriptionModel.TestCase


# -- what the state machine found (kept as named cases) -------------------------------------------
AGENDA = "meeting/m1/agenda"


def following(model: SubscriptionModel, channel: str) -> Peer:
    peer = model.peers[0]
    model.subscribe_for(peer, channel)
    model.redis_answers_for(peer)
    model.reply_written_for(peer)
    return peer


def test_events_the_feed_lost_during_a_recovery_get_a_gap_after_the_reply() -> None:
    """The hub's pub/sub link drops after the recovery read: the events published meanwhile are in
    neither the reply nor the feed, so the reply is followed by a gap, not by silence."""
    model = SubscriptionModel()
    peer = model.peers[0]
    model.subscribe_for(peer, AGENDA)
    model.redis_answers_for(peer)
    model.publish(AGENDA, 1)
    model.pubsub_reconnects(1)
    model.reply_written_for(peer)
    assert peer.client.subs[AGENDA].state is SubState.GAP
    assert peer.views[AGENDA].gapped
    model.settle()


def test_a_failed_resubscribe_keeps_the_gap_the_hub_owes() -> None:
    """Frames were dropped for a slow client; it subscribes again before reading the gap, and that
    subscribe fails: the gap is still owed (it goes out once the client reads), since the client
    was told nothing changed."""
    model = SubscriptionModel()
    peer = following(model, AGENDA)
    peer.transport.backed_up = True
    model.publish(AGENDA, 1)
    model.hub_receives(1)
    assert peer.client.subs[AGENDA].state is SubState.SUSPENDED
    model.subscribe_for(peer, AGENDA)
    model.redis_fails_for(peer)
    assert peer.client.subs[AGENDA].state is SubState.SUSPENDED
    model.settle()
    assert peer.views[AGENDA].gapped


def test_a_failed_resubscribe_of_a_live_client_goes_on_where_it_was() -> None:
    model = SubscriptionModel()
    peer = following(model, AGENDA)
    model.subscribe_for(peer, AGENDA)
    model.publish(AGENDA, 2)
    model.hub_receives(2)  # held while the subscribe is answered
    model.redis_fails_for(peer)
    assert peer.views[AGENDA].last == 2 and not peer.views[AGENDA].gapped
    model.publish(AGENDA, 1)
    model.settle()
    assert peer.views[AGENDA].last == 3


CHAT = "meeting/m1/chat"


def test_a_larger_audience_holds_a_coalesced_channel_longer_on_one_grid() -> None:
    """With a tick more per listener (``hold_listeners`` 1), one listener's chat goes out at the
    next even tick and two listeners' at the next multiple of three; the agenda, not coalesced,
    at once."""
    model = SubscriptionModel()
    one, two = model.peers
    following(model, CHAT)
    model.publish(CHAT, 1)
    model.hub_receives(1)
    model.hub.tick()  # tick 1: held for tick 2
    assert one.views[CHAT].last == 0
    model.hub.tick()
    assert one.views[CHAT].last == 1
    model.subscribe_for(two, CHAT)
    model.redis_answers_for(two)
    model.reply_written_for(two)
    model.publish(CHAT, 2)
    model.hub_receives(2)  # at tick 2, two listeners: out at tick 3
    model.hub.tick()
    assert one.views[CHAT].last == two.views[CHAT].last == 3
    model.publish(CHAT, 1)
    model.hub_receives(1)  # at tick 3: out at tick 6
    model.hub.tick()
    model.hub.tick()
    assert one.views[CHAT].last == 3
    model.hub.tick()
    assert one.views[CHAT].last == two.views[CHAT].last == 4
    model.subscribe_for(one, AGENDA)
    model.redis_answers_for(one)
    model.reply_written_for(one)
    model.publish(AGENDA, 1)
    model.hub_receives(1)
    assert one.views[AGENDA].last == 1


QA = "meeting/m1/qa"


def test_the_channels_flushed_in_one_tick_reach_each_client_in_one_write() -> None:
    """Chat and Q&A flushed together (``realtime.fanout.writes``): a client following both gets both
    frames in one write, a client following one gets its frame alone, and the hub's counters say
    two writes carried three frames."""
    model = SubscriptionModel()
    both, chat_only = model.peers
    for peer, channels in ((both, (CHAT, QA)), (chat_only, (CHAT,))):
        for channel in channels:
            model.subscribe_for(peer, channel)
            model.redis_answers_for(peer)
            model.reply_written_for(peer)
    before = [p.transport.writes for p in model.peers]
    counted = metrics.WRITES_OUT._value.get(), metrics.FRAMES_OUT._value.get()
    model.publish(CHAT, 1)
    model.publish(QA, 2)
    model.hub_receives(3)
    model.hub.flush()
    assert [p.transport.writes - b for p, b in zip(model.peers, before, strict=True)] == [1, 1]
    assert (both.views[CHAT].last, both.views[QA].last, chat_only.views[CHAT].last) == (1, 2, 1)
    assert (metrics.WRITES_OUT._value.get() - counted[0], metrics.FRAMES_OUT._value.get() - counted[1]) == (
        2,
        3,
    )


def listed(model: SubscriptionModel, peer: Peer, channel: str) -> bool:
    live = model.hub.live.get(channel)
    return live is not None and any(peer.client in clients for _c, _t, clients in live.groups.values())


def test_the_first_event_after_a_subscribe_goes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """A subscription joins the channel's live list once its reply is written (``Hub.answered``),
    so the first live event after it is written from the list, not through ``Client.deliver``
    (a vote's first turnout event reached 3,000 followers that way, docs/performance.md)."""
    model = SubscriptionModel()
    careful: list[Client] = []
    monkeypatch.setattr(Client, "deliver", lambda self, *a: careful.append(self))
    for channel in CHANNELS:  # coalesced or not
        for peer in model.peers:
            model.subscribe_for(peer, channel)
            model.redis_answers_for(peer)
            model.reply_written_for(peer)
        assert all(listed(model, p, channel) for p in model.peers)
        model.publish(channel, 1)
        model.settle()
        assert careful == []
        assert all(p.views[channel].last == 1 for p in model.peers)


def test_a_reply_ahead_of_the_feed_joins_and_the_late_event_is_not_repeated() -> None:
    """The reply already carries an event the hub's feed has not delivered yet: the client joins
    the empty list at the reply's position; when the event arrives the list does not continue, so
    everyone goes back to the careful path, which drops it as a duplicate, and rejoins."""
    model = SubscriptionModel()
    peer = model.peers[0]
    model.subscribe_for(peer, AGENDA)
    model.publish(AGENDA, 2)  # stored, still on its way to the hub
    model.redis_answers_for(peer)
    model.reply_written_for(peer)
    assert listed(model, peer, AGENDA) and peer.views[AGENDA].last == 2
    model.settle()  # the two events reach the hub: the view fails on a repeat
    assert listed(model, peer, AGENDA)
    model.publish(AGENDA, 1)
    model.settle()
    assert peer.views[AGENDA].last == 3 and not peer.views[AGENDA].gapped


class SlicedSubscriptionModel(SubscriptionModel):
    """The same promise with the fan-out writing a live list one transport per turn of the event
    loop (``Hub.fanout_slice`` 1, the hub's ``_owe``): the rest of an event is owed while the test
    publishes, subscribes, unsubscribes, backs clients up, resets pub/sub and sweeps in between,
    and the loop turns (runs the next slice) only when the test says so."""

    def __init__(self) -> None:
        super().__init__()
        self.turns: list[tuple[Any, tuple[Any, ...]]] = []
        self.hub.fanout_slice = 1
        self.hub.call_soon = lambda fn, *args: self.turns.append((fn, args))
        self.peers.append(Peer(len(self.peers), self.published))  # lists of up to three
        self.hub.clients.add(self.peers[-1].client)

    @initialize()
    def everyone_follows(self) -> None:
        """Everyone subscribed and answered first, so the lists start full and the slices matter."""
        for channel in CHANNELS:
            for peer in self.peers:
                self.subscribe_for(peer, channel)
                self.redis_answers_for(peer)
                self.reply_written_for(peer)

    @precondition(lambda self: self.turns)
    @rule(n=st.integers(1, 3))
    def loop_turns(self, n: int) -> None:
        for _ in range(n):
            if not self.turns:
                return
            fn, args = self.turns.pop(0)
            fn(*args)

    def loop_idles(self) -> None:
        while self.turns:
            self.loop_turns(len(self.turns))


SlicedSubscriptionModel.TestCase.settings = SubscriptionModel.TestCase.settings
test_every_event_once_in_order_or_a_gap_with_sliced_fanout = SlicedSubscriptionModel.TestCase
