"""A channel's live list: the subscribers on this hub in step with it, as flat lists the fan-out
loop writes to.

Why a module of its own: this is the hot loop's data (``Hub.fanout`` writes one frame to every
transport here with two checks each, docs/performance.md), and its invariant is the subscription
table's (``realtime.protocol.subscription``, LIVE on ``epoch`` with every event up to ``last``
written) held in bulk: the hub owns when a client joins or leaves, this module how.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from realtime.protocol.codec import Codec
from realtime.transport.client import Client


class LiveList:
    """The subscribers of one channel on this hub known to be in step with it (``in_step``: LIVE,
    on ``epoch``, every event up to ``last`` written to them): the bulk form of the subscription
    table's (LIVE, NEXT) row. Their ``Subscription.last`` is not kept up to date while they are
    listed: ``leave`` sets it (to ``last``) when they go back to ``careful``, which takes the
    table one event at a time (``Client.deliver``)."""

    __slots__ = ("_at", "careful", "epoch", "groups", "last", "owed")

    def __init__(self) -> None:
        self.epoch = ""
        self.last = -1
        # codec name -> (codec, transports, clients): parallel lists, same index
        self.groups: dict[str, tuple[Codec, list[asyncio.WriteTransport], list[Client]]] = {}
        self.careful: set[Client] = set()  # subscribers that take Client.deliver
        # client -> its index in its group's lists. Why: a reconnect storm takes 3,000 clients off
        # lists of 3,000, and a search per leave made that quadratic (4 % of a hub in the storm).
        self._at: dict[Client, int] = {}
        # The rest of the last event's fan-out, not written yet (``Hub.fanout`` writes a long list
        # in slices, the event loop turning between them): ``epoch`` and ``last`` count it as
        # written already. ``settle`` writes it all before anything moves or clears the lists, so
        # the slices always find every transport where it was; ``join`` only appends past them.
        # Called with (everything, skip): ``skip``'s transport is not written to, its client gets
        # the event by the careful path instead (``leave``).
        self.owed: Callable[[bool, asyncio.WriteTransport | None], None] | None = None

    def settle(self, skip: asyncio.WriteTransport | None = None) -> None:
        """Write the rest of an event owed to the listed transports, now (see ``owed``)."""
        owed = self.owed
        if owed is not None:
            self.owed = None
            owed(True, skip)

    def leave(self, client: Client, channel: str) -> None:
        """Off the list, back to the careful path (``Subscription.last`` set to the list's). An
        event still owed to it is not written here but delivered by the careful path: the client
        may be leaving because it subscribes again (its table then holds the event until the
        reply) or goes (the table drops it)."""
        i = self._at.get(client)
        self.settle(None if i is None else self.groups[client.codec.name][1][i])
        if self.remove(client):
            self._caught_up(client, channel)
            return
        self.careful.discard(client)

    def position(self, client: Client) -> int | None:
        """``client``'s index in its group's lists, None when not listed (for the tests' invariant)."""
        return self._at.get(client)

    def remove(self, client: Client) -> bool:
        """Take ``client`` off its group (the last one moves into its place: order means nothing
        here, every transport gets the same bytes); False when it was not listed."""
        self.settle()
        i = self._at.pop(client, None)
        if i is None:
            return False
        _codec, transports, clients = self.groups[client.codec.name]
        last = len(clients) - 1
        if i != last:
            moved = clients[last]
            clients[i], transports[i] = moved, transports[last]
            self._at[moved] = i
        del clients[last], transports[last]
        return True

    def demote_all(self, channel: str) -> None:
        """A hole, a new epoch, a lost pub/sub link: everyone takes the careful path."""
        self.settle()
        for _codec, _transports, clients in self.groups.values():
            for client in clients:
                if self._caught_up(client, channel):
                    self.careful.add(client)
        self.groups.clear()
        self._at.clear()

    def _caught_up(self, client: Client, channel: str) -> bool:
        sub = client.subs.get(channel)
        if sub is None:
            return False
        sub.last = self.last
        return True

    def join(self, client: Client, transport: asyncio.WriteTransport) -> None:
        self.careful.discard(client)
        if client in self._at:
            return
        group = self.groups.get(client.codec.name)
        if group is None:
            group = self.groups[client.codec.name] = (client.codec, [], [])
        self._at[client] = len(group[2])
        group[1].append(transport)
        group[2].append(client)
