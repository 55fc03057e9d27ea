"""A channel's live list: the subscribers on this hub in step with it, as flat lists the fan-out
loop writes to.

Why a module of its own: this is the hot loop's data (``Hub.fanout`` writes one frame to every
transport here with two checks each, docs/performance.md), and its invariant is the subscription
table's (``realtime.protocol.subscription``, LIVE on ``epoch`` with every event up to ``last``
written) held in bulk: the hub owns when a client joins or leaves, this module how.
"""

from __future__ import annotations

import asyncio

from realtime.protocol.codec import Codec
from realtime.transport.client import Client


class LiveList:
    """The subscribers of one channel on this hub known to be in step with it (``in_step``: LIVE,
    on ``epoch``, every event up to ``last`` written to them): the bulk form of the subscription
    table's (LIVE, NEXT) row. Their ``Subscription.last`` is not kept up to date while they are
    listed: ``leave`` sets it (to ``last``) when they go back to ``careful``, which takes the
    table one event at a time (``Client.deliver``)."""

    __slots__ = ("careful", "epoch", "groups", "last")

    def __init__(self) -> None:
        self.epoch = ""
        self.last = -1
        # codec name -> (codec, transports, clients): parallel lists, same index
        self.groups: dict[str, tuple[Codec, list[asyncio.WriteTransport], list[Client]]] = {}
        self.careful: set[Client] = set()  # subscribers that take Client.deliver

    def leave(self, client: Client, channel: str) -> None:
        for _codec, transports, clients in self.groups.values():
            if client in clients:
                i = clients.index(client)
                del clients[i], transports[i]
                self._caught_up(client, channel)
                return
        self.careful.discard(client)

    def demote_all(self, channel: str) -> None:
        """A hole, a new epoch, a lost pub/sub link: everyone takes the careful path."""
        for _codec, _transports, clients in self.groups.values():
            for client in clients:
                if self._caught_up(client, channel):
                    self.careful.add(client)
        self.groups.clear()

    def _caught_up(self, client: Client, channel: str) -> bool:
        sub = client.subs.get(channel)
        if sub is None:
            return False
        sub.last = self.last
        return True

    def join(self, client: Client, transport: asyncio.WriteTransport) -> None:
        self.careful.discard(client)
        group = self.groups.get(client.codec.name)
        if group is None:
            group = self.groups[client.codec.name] = (client.codec, [], [])
        group[1].append(transport)
        group[2].append(client)
