"""One connected client: who it is, how it is written to, and where it stands on each channel.

Where it stands is a ``Subscription`` per channel, moved only by the table of
``realtime.protocol.subscription`` (recovering, live, suspended, gap). This module is that
machine's I/O side: it feeds it what happened (``apply``) and turns its actions into frames on
the client's writer.
"""

from __future__ import annotations

import itertools
from functools import partial

from engine.channels import StoredEvent
from panel.roster import Participant
from realtime.ops import metrics
from realtime.protocol.codec import Codec, OutFrame
from realtime.protocol.messages import Batch, Event, Gap
from realtime.protocol.subscription import (
    LOST,
    Action,
    Arrived,
    Forward,
    Input,
    Send,
    Subscription,
    run,
)
from realtime.transport.writers import Writer

_ids = itertools.count(1)


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

    def apply(self, channel: str, event: Input, frame: OutFrame | None = None) -> None:
        """Tell ``channel``'s subscription what happened and write what it asks for. ``frame`` is
        the hub's frame of an ``Arrived`` event's events (the same bytes for every subscriber)."""
        sub = self.subs.get(channel)
        if sub is not None:
            run(sub, event, partial(self._write, channel, frame))

    def deliver(self, channel: str, epoch: str, events: list[StoredEvent], frame: OutFrame) -> None:
        """Live events of ``channel`` from the hub's feed, with their frame."""
        sub = self.subs.get(channel)
        if sub is not None:
            run(sub, Arrived(epoch, events), partial(self._write, channel, frame))

    def suspend_all(self) -> None:
        """The hub lost events (pub/sub reconnect): every subscription must recover."""
        for channel, sub in self.subs.items():
            run(sub, LOST, partial(self._write, channel, None))

    def _write(self, channel: str, frame: OutFrame | None, action: Action) -> bool:
        """One action of the machine as a frame on the writer; False if the writer refused it."""
        if isinstance(action, Forward):
            assert frame is not None
            if self.writer.write(frame):
                metrics.FRAMES_OUT.inc()
                metrics.EVENTS_OUT.inc(len(action.events))
                return True
            metrics.DROPPED.inc()
            return False
        if isinstance(action, Send):
            batch = Batch(events=[to_wire(channel, action.epoch, e) for e in action.events])
            return self.writer.write(self.codec.frame(batch))
        return self.writer.write(
            self.codec.frame(Gap(channel=channel, epoch=action.epoch, offset=action.offset))
        )
