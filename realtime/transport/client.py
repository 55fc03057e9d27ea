"""One connected client: who it is, how it is written to, and where it stands on each channel.

A subscription is in one of three states:

- ``RECOVERING``: between the client's ``subscribe`` and its reply. Live events are held in
  ``pending`` and released after the reply, skipping those the reply already carried.
- ``LIVE``: broadcast frames are written as they come, each checked against ``last`` so that no
  event is delivered twice or skipped; a hole in the offsets suspends the subscription.
- ``SUSPENDED``: frames were dropped (slow reader) or lost (hub lost its pub/sub link). Nothing is
  delivered; a ``gap`` marker tells the client to subscribe again from its last offset.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from enum import Enum

from engine.channels import StoredEvent
from panel.roster import Participant
from realtime.ops import metrics
from realtime.protocol.codec import Codec, OutFrame
from realtime.protocol.messages import Batch, Event, Gap
from realtime.transport.writers import Writer

_ids = itertools.count(1)
MAX_BATCH = 50  # events per batch frame, so that a burst never makes a frame too big for a client


class SubState(Enum):
    RECOVERING = "recovering"
    LIVE = "live"
    SUSPENDED = "suspended"


@dataclass
class Subscription:
    state: SubState = SubState.RECOVERING
    epoch: str = ""
    last: int = 0
    pending: list[tuple[str, StoredEvent]] = field(default_factory=list)
    gap_sent: bool = False


def to_wire(channel: str, epoch: str, ev: StoredEvent) -> Event:
    return Event(channel=channel, epoch=epoch, offset=ev.offset, time=ev.time, event=ev.type, data=ev.data)


class Client:
    def __init__(self, participant: Participant, codec: Codec, writer: Writer) -> None:
        self.conn_id = next(_ids)
        self.participant = participant
        self.codec = codec
        self.writer = writer
        self.subs: dict[str, Subscription] = {}
        self.stalled_since: float | None = None

    # -- broadcast path (hot: no allocation when all is well) -----------------------------------
    def deliver(self, channel: str, epoch: str, events: list[StoredEvent], frame: OutFrame) -> None:
        sub = self.subs.get(channel)
        if sub is None:
            return
        state = sub.state
        if state is SubState.LIVE:
            first = events[0].offset
            if epoch == sub.epoch and first == sub.last + 1:
                if self.writer.write(frame):
                    sub.last = events[-1].offset
                    metrics.FRAMES_OUT.inc()
                    metrics.EVENTS_OUT.inc(len(events))
                else:
                    metrics.DROPPED.inc()
                    self._suspend(sub)
                return
            if epoch == sub.epoch and events[-1].offset <= sub.last:
                return  # already delivered (carried by a recovery reply)
            if epoch == sub.epoch and first <= sub.last:
                self._release(channel, sub, [(epoch, e) for e in events])
                return
            self._suspend(sub)  # a hole in the offsets or a new epoch: the client must recover
            self.send_gap(channel, sub)
        elif state is SubState.RECOVERING:
            sub.pending.extend((epoch, e) for e in events)

    def _suspend(self, sub: Subscription) -> None:
        sub.state = SubState.SUSPENDED
        sub.gap_sent = False

    def send_gap(self, channel: str, sub: Subscription) -> bool:
        """Tell the client where to resume; False if its buffer is still too full to take it."""
        if sub.gap_sent:
            return True
        if self.writer.write(self.codec.frame(Gap(channel=channel, epoch=sub.epoch, offset=sub.last))):
            sub.gap_sent = True
            return True
        return False

    def go_live(self, channel: str, sub: Subscription, epoch: str, offset: int) -> None:
        """After the subscribe reply (which reflects ``offset``): release what arrived meanwhile."""
        sub.epoch, sub.last = epoch, offset
        pending, sub.pending = sub.pending, []
        sub.state = SubState.LIVE
        self._release(channel, sub, pending)

    def _release(self, channel: str, sub: Subscription, items: list[tuple[str, StoredEvent]]) -> None:
        fresh = [e for ep, e in items if ep == sub.epoch and e.offset > sub.last]
        if any(ep != sub.epoch for ep, _ in items):
            self._suspend(sub)
            self.send_gap(channel, sub)
            return
        if not fresh:
            return
        fresh.sort(key=lambda e: e.offset)
        if fresh[0].offset != sub.last + 1:
            self._suspend(sub)
            self.send_gap(channel, sub)
            return
        for i in range(0, len(fresh), MAX_BATCH):
            chunk = fresh[i : i + MAX_BATCH]
            frame = self.codec.frame(Batch(events=[to_wire(channel, sub.epoch, e) for e in chunk]))
            if not self.writer.write(frame):
                self._suspend(sub)
                return
            sub.last = chunk[-1].offset

    def suspend_all(self) -> None:
        """The hub lost events (pub/sub reconnect): every live subscription must recover."""
        for ch, sub in self.subs.items():
            if sub.state is SubState.LIVE:
                self._suspend(sub)
                self.send_gap(ch, sub)
