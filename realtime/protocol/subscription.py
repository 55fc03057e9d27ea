"""Where one client stands on one channel: the subscription state machine, as a table. No I/O.

Theory of operation: the I/O side (``realtime.transport.client.Client``) tells a ``Subscription`` what
happened (an ``Input``: the client subscribed, its reply went out, live events arrived from the
hub's feed, the writer took or refused a frame, the feed lost events, ...). ``apply`` names the
input's ``Kind`` (for live events: do they follow the client's last offset, repeat it, overlap
it, or leave a hole?), looks (state, kind) up in ``TABLE``, moves to the next state and returns
the writes the I/O side must make (``Action``: forward the hub's frame, send these events, send a
``gap``). ``run`` does both: it performs each write through a callable and feeds the outcome back
(``Written`` or ``Refused``), stopping at the first refusal, so that ``last`` is always what the
client was actually given. Every caller goes through ``run``; the table is the rule.

The guarantee (docs/protocol.md §7): the ``subscribe`` reply comes before any live event of the
channel; after it, events reach the client in offset order, each once, continuing from the
reply's offset, until the client unsubscribes or a ``gap`` tells it where to resume, and the gap
names the client's own last position. ``tests/unit/realtime/test_subscription.py`` holds this on
generated interleavings of live events, recovery replies, refused writes and lost feeds.

The hub's per-channel live lists (``realtime.fanout.live.LiveList``) are the bulk form of the
(``LIVE``, ``NEXT``) row for subscribers known to be in step (``in_step``): they write the same
frame to many transports without a call per client, keep ``last`` for all of them, and write it
back when one leaves; anything else takes ``run``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from engine.channels import StoredEvent

MAX_BATCH = 50  # events per batch frame, so that a burst never makes a frame too big for a client


class SubState(Enum):
    """- ``RECOVERING``: subscribe received, reply not yet written: live events are held.
    - ``RECOVERING_OWED``: the same, for a client the hub owed a gap (a failed subscribe keeps it).
    - ``RECOVERING_LOST``: the same, but the feed lost events meanwhile: a gap follows the reply.
    - ``LIVE``: in step: events are written as they come, each once, in order.
    - ``SUSPENDED``: frames were dropped or lost: nothing is written, a gap is owed.
    - ``GAP``: the gap went out: nothing is written until the client subscribes again.
    - ``GONE``: unsubscribed: nothing, ever."""

    RECOVERING = "recovering"
    RECOVERING_OWED = "recovering_owed"
    RECOVERING_LOST = "recovering_lost"
    LIVE = "live"
    SUSPENDED = "suspended"
    GAP = "gap"
    GONE = "gone"


class Kind(Enum):
    """What happened, as the table sees it. Live events are named by how they meet ``last``."""

    SUBSCRIBE = "subscribe"  # the client sent subscribe (again); its reply is being prepared
    ANSWERED = "answered"  # the reply (every part) is written; it reflects the channel up to its offset
    FAILED = "failed"  # the subscribe failed after it started: the client keeps its position
    NEXT = "next"  # live events that start right after ``last``
    DUPLICATE = "duplicate"  # live events the client already has (a recovery reply carried them)
    OVERLAP = "overlap"  # live events, some already sent, the rest following ``last``
    HOLE = "hole"  # live events past a hole in the offsets, or of another epoch
    WRITTEN = "written"  # the writer took a frame (events up to an offset, or the gap)
    REFUSED = "refused"  # the writer refused a frame: the client reads too slowly, or is closing
    DRAINED = "drained"  # the client's backlog is low again: a gap owed may go out
    LOST = "lost"  # the hub's feed lost events (its pub/sub link reconnected)
    UNSUBSCRIBE = "unsubscribe"


class Do(Enum):
    """What a transition does besides changing the state."""

    NOTHING = "nothing"
    HOLD = "hold"  # keep the live events until the reply is written
    FORGET = "forget"  # drop the events held for an earlier reply
    DROP = "drop"  # these live events are not for this client now (a duplicate, or suspended)
    FORWARD = "forward"  # write the hub's frame of these events as it is
    RELEASE = "release"  # write the events past ``last`` (re-encoded, in batches)
    GAP = "gap"  # tell the client to subscribe again from ``(epoch, last)``
    ADVANCE = "advance"  # the client now has every event up to the written offset
    GO_LIVE = "go_live"  # take the reply's position, then release what was held meanwhile
    RESUME = "resume"  # keep the position the client had, then release what was held meanwhile
    GAP_AFTER_REPLY = "gap_after_reply"  # take the reply's position, then tell the client to resubscribe


S, K, D = SubState, Kind, Do
_ARRIVALS = (K.NEXT, K.DUPLICATE, K.OVERLAP, K.HOLE)

# (state, what happened) -> (next state, what to do). Total: every pair is here, so an input that
# cannot matter in a state (a late write outcome, a reply for a subscription gone) is a no-op
# instead of an exception in the middle of the fan-out loop.
TABLE: dict[tuple[SubState, Kind], tuple[SubState, Do]] = {
    # A subscribe starts from every state but GONE. One arrives only after the previous one's reply
    # (the endpoint runs a connection's commands one at a time), so a RECOVERING_* row is moot.
    **{(s, K.SUBSCRIBE): (S.RECOVERING, D.FORGET) for s in (S.RECOVERING, S.LIVE, S.GAP)},
    (S.SUSPENDED, K.SUBSCRIBE): (S.RECOVERING_OWED, D.FORGET),
    (S.RECOVERING_OWED, K.SUBSCRIBE): (S.RECOVERING_OWED, D.FORGET),
    (S.RECOVERING_LOST, K.SUBSCRIBE): (S.RECOVERING_LOST, D.FORGET),
    # The reply reflects the channel after every event published before the subscribe: what was
    # dropped or told before is in it; what the feed lost meanwhile may not be.
    (S.RECOVERING, K.ANSWERED): (S.LIVE, D.GO_LIVE),
    (S.RECOVERING_OWED, K.ANSWERED): (S.LIVE, D.GO_LIVE),
    (S.RECOVERING_LOST, K.ANSWERED): (S.SUSPENDED, D.GAP_AFTER_REPLY),
    # A failed subscribe changes nothing the client was told (docs/protocol.md: "a subscription
    # you had goes on"), and forgets no gap the hub owes it.
    (S.RECOVERING, K.FAILED): (S.LIVE, D.RESUME),
    (S.RECOVERING_OWED, K.FAILED): (S.SUSPENDED, D.FORGET),
    (S.RECOVERING_LOST, K.FAILED): (S.SUSPENDED, D.GAP),
    **{(s, k): (s, D.HOLD) for s in (S.RECOVERING, S.RECOVERING_OWED) for k in _ARRIVALS},
    **{
        (s, K.LOST): (S.RECOVERING_LOST, D.FORGET)
        for s in (S.RECOVERING, S.RECOVERING_OWED, S.RECOVERING_LOST)
    },
    (S.LIVE, K.NEXT): (S.LIVE, D.FORWARD),
    (S.LIVE, K.DUPLICATE): (S.LIVE, D.DROP),
    (S.LIVE, K.OVERLAP): (S.LIVE, D.RELEASE),
    (S.LIVE, K.HOLE): (S.SUSPENDED, D.GAP),
    (S.LIVE, K.WRITTEN): (S.LIVE, D.ADVANCE),
    (S.LIVE, K.REFUSED): (S.SUSPENDED, D.NOTHING),  # the gap goes out once the client drains
    (S.LIVE, K.LOST): (S.SUSPENDED, D.GAP),
    **{(S.SUSPENDED, k): (S.SUSPENDED, D.DROP) for k in _ARRIVALS},
    (S.SUSPENDED, K.DRAINED): (S.SUSPENDED, D.GAP),
    (S.SUSPENDED, K.WRITTEN): (S.GAP, D.NOTHING),  # the gap went out
    (S.SUSPENDED, K.REFUSED): (S.SUSPENDED, D.NOTHING),  # still owed
    **{(S.GAP, k): (S.GAP, D.DROP) for k in _ARRIVALS},
    **{(s, K.UNSUBSCRIBE): (S.GONE, D.FORGET) for s in SubState},
}
for _s in SubState:  # every other pair changes nothing
    for _k in Kind:
        TABLE.setdefault((_s, _k), (_s, D.DROP if _k in _ARRIVALS else D.NOTHING))

# States in which ``Drained`` does something: the sweep asks only these (3,000 clients a second).
OWES_GAP = frozenset(s for s in SubState if TABLE[s, K.DRAINED][1] is not D.NOTHING)


@dataclass(slots=True)
class Subscription:
    """One client's place on one channel: its state, the position of the last event written to it
    (``epoch``, ``last``), and the live events held while its reply is being written."""

    state: SubState = SubState.RECOVERING
    epoch: str = ""
    last: int = 0
    held: list[tuple[str, StoredEvent]] = field(default_factory=list)


# -- inputs ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Subscribe:
    """The client sent ``subscribe``: hold its live events until the reply is written."""


@dataclass(frozen=True, slots=True)
class Answered:
    """The reply is written; it brought the client to ``(epoch, offset)``."""

    epoch: str
    offset: int


@dataclass(frozen=True, slots=True)
class Failed:
    """The subscribe failed after it started (its error reply follows)."""


@dataclass(frozen=True, slots=True)
class Arrived:
    """Live events from the hub's feed: one epoch, consecutive offsets, in order."""

    epoch: str
    events: Sequence[StoredEvent]


@dataclass(frozen=True, slots=True)
class Written:
    """The writer took the frame of an action (``Action.upto``)."""

    offset: int


@dataclass(frozen=True, slots=True)
class Refused:
    """The writer refused a frame."""


@dataclass(frozen=True, slots=True)
class Drained:
    """The client's backlog is low again."""


@dataclass(frozen=True, slots=True)
class Lost:
    """The hub's feed may have lost events (its pub/sub link reconnected)."""


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    """The client unsubscribed (or left)."""


Input = Subscribe | Answered | Failed | Arrived | Written | Refused | Drained | Lost | Unsubscribe
SUBSCRIBE, FAILED, REFUSED, DRAINED, LOST, UNSUBSCRIBE = (
    Subscribe(),
    Failed(),
    Refused(),
    Drained(),
    Lost(),
    Unsubscribe(),
)


# -- actions --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Forward:
    """Write the hub's frame of ``events`` as it is (the same bytes every subscriber gets)."""

    events: Sequence[StoredEvent]
    upto: int


@dataclass(frozen=True, slots=True)
class Send:
    """Write ``events`` (at most ``MAX_BATCH``, of ``epoch``) as one batch frame."""

    epoch: str
    events: list[StoredEvent]
    upto: int


@dataclass(frozen=True, slots=True)
class SendGap:
    """Write a ``gap`` frame: the client resumes from ``(epoch, offset)``, its own last position."""

    epoch: str
    offset: int

    @property
    def upto(self) -> int:
        return self.offset


Action = Forward | Send | SendGap
_NONE: tuple[Action, ...] = ()


# -- the rule -------------------------------------------------------------------------------------
def continues(epoch: str, last: int, ev_epoch: str, first: int) -> bool:
    """Events of ``ev_epoch`` starting at offset ``first`` follow the position ``(epoch, last)``."""
    return ev_epoch == epoch and first == last + 1


def in_step(sub: Subscription, epoch: str, last: int) -> bool:
    """``sub`` is live and has every event of the channel up to ``(epoch, last)``: the hub may put
    it on the channel's live list."""
    return sub.state is SubState.LIVE and sub.epoch == epoch and sub.last == last


def arrival_kind(sub: Subscription, epoch: str, events: Sequence[StoredEvent]) -> Kind:
    """How live events (one epoch, consecutive offsets, as the feed delivers them) meet ``last``."""
    if continues(sub.epoch, sub.last, epoch, events[0].offset):
        return K.NEXT
    if epoch != sub.epoch:
        return K.HOLE
    if events[-1].offset <= sub.last:
        return K.DUPLICATE
    if events[0].offset <= sub.last:
        return K.OVERLAP
    return K.HOLE


def kind_of(sub: Subscription, event: Input) -> Kind:
    if isinstance(event, Arrived):
        return arrival_kind(sub, event.epoch, event.events)
    return _KINDS[type(event)]


_KINDS: dict[type, Kind] = {
    Subscribe: K.SUBSCRIBE,
    Answered: K.ANSWERED,
    Failed: K.FAILED,
    Written: K.WRITTEN,
    Refused: K.REFUSED,
    Drained: K.DRAINED,
    Lost: K.LOST,
    Unsubscribe: K.UNSUBSCRIBE,
}


def apply(sub: Subscription, event: Input) -> Sequence[Action]:
    """Move ``sub`` by one input (in place: its held events would otherwise be copied at every
    event) and return the writes to make, in order. Use ``run`` to make them: each write's outcome
    must come back as ``Written`` or ``Refused`` before the next."""
    state, do = TABLE[sub.state, kind_of(sub, event)]
    sub.state = state
    if do is D.NOTHING or do is D.DROP:
        return _NONE
    if do is D.FORWARD:
        assert isinstance(event, Arrived)
        return (Forward(event.events, event.events[-1].offset),)
    if do is D.ADVANCE:
        assert isinstance(event, Written)
        sub.last = event.offset
        return _NONE
    if do is D.HOLD:
        assert isinstance(event, Arrived)
        sub.held.extend((event.epoch, e) for e in event.events)
        return _NONE
    if do is D.GAP:
        return (SendGap(sub.epoch, sub.last),)
    if do is D.RELEASE:
        assert isinstance(event, Arrived)
        return _batches(sub, [e for e in event.events if e.offset > sub.last])
    if do is D.FORGET:
        sub.held = []
        return _NONE
    if do is D.GO_LIVE or do is D.GAP_AFTER_REPLY:
        assert isinstance(event, Answered)
        sub.epoch, sub.last = event.epoch, event.offset
        if do is D.GAP_AFTER_REPLY:
            return (SendGap(sub.epoch, sub.last),)
    return _release_held(sub)  # GO_LIVE, RESUME


def _release_held(sub: Subscription) -> Sequence[Action]:
    """The events held while the reply was written, against the position the client now has: the
    ones it has not got go out if they follow ``last`` without a hole, else a gap."""
    held, sub.held = sub.held, []
    fresh: list[StoredEvent] = []
    if any(ep != sub.epoch for ep, _ in held):
        kind = K.HOLE
    else:
        fresh = sorted((e for _, e in held if e.offset > sub.last), key=lambda e: e.offset)
        if not fresh:
            kind = K.DUPLICATE
        elif [e.offset for e in fresh] == list(range(sub.last + 1, sub.last + 1 + len(fresh))):
            kind = K.OVERLAP  # they follow ``last`` without a hole
        else:
            kind = K.HOLE
    sub.state, do = TABLE[sub.state, kind]
    if do is D.RELEASE:
        return _batches(sub, fresh)
    if do is D.GAP:
        return (SendGap(sub.epoch, sub.last),)
    return _NONE


def _batches(sub: Subscription, fresh: list[StoredEvent]) -> Sequence[Action]:
    return [
        Send(sub.epoch, fresh[i : i + MAX_BATCH], fresh[min(i + MAX_BATCH, len(fresh)) - 1].offset)
        for i in range(0, len(fresh), MAX_BATCH)
    ]


def run(sub: Subscription, event: Input, write: Callable[[Action], bool]) -> None:
    """Apply ``event`` and make its writes through ``write`` (True: the frame was taken), feeding
    each outcome back; the first refusal ends it (the client is then suspended, or still owed a
    gap), so nothing after a dropped frame reaches the client."""
    for action in apply(sub, event):
        if not write(action):
            apply(sub, REFUSED)
            return
        apply(sub, Written(action.upto))
