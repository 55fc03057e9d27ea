"""The hub's pub/sub feed: events published by any hub reach this process here.

Each hub subscribes only to channels some local client follows (reference counted), and a
``subscribe`` returns only once Redis has confirmed it: a client's recovery reads history *after*
that point, so no event can fall between the history it reads and the live events it gets.

How events travel is one rule, stated in ``engine/lua/_lib.lua`` (``PL_PUBLISH``) and asked of the
server once (``publish_command``): sharded pub/sub (``SSUBSCRIBE``/``SPUBLISH``) on Redis 7, classic
pub/sub before (the embedded server may be 6.2). A sharded message reaches only the nodes of its
slot's shard, so on Redis Cluster the feed holds one pub/sub connection (a *link*) per master that
owns a slot it follows, found from the channel's pub/sub name (``keys.pubsub_channel``: it carries
the channel's hash tag). On one Redis there is one link. Same code either way: only ``_node_of``
asks which kind of client it has.

If a link drops (a Redis restart, a cluster failover, a slot moved away: Redis then sends
``sunsubscribe`` unasked), events published meanwhile are lost to this hub. The feed closes every
link, reads the cluster's slots again, subscribes everything anew, and calls ``on_reset`` so the hub
tells every subscriber to recover from its last offset (which the channel log makes exact).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from engine import keys
from engine.background import survive
from engine.channels import PubSubMessage, decode_pubsub
from engine.connection import no_retry, text
from engine.flight import Flights
from engine.scripts import Scripts

log = logging.getLogger("plenary.engine.pubsub")

OnEvent = Callable[[str, PubSubMessage], None]
OnReset = Callable[[], None]
OnControl = Callable[[bytes], None]

SHARDED = "SPUBLISH"
CONFIRM_TIMEOUT = 10.0
"""Seconds a ``subscribe`` waits for Redis to confirm the hub's pub/sub subscription."""
_modes: weakref.WeakKeyDictionary[Redis, str] = weakref.WeakKeyDictionary()


async def publish_command(redis: Redis) -> str:
    """``SPUBLISH`` or ``PUBLISH``: how the scripts publish on this server (``PL_PUBLISH``), asked
    once per client. A caller publishing outside a script (a control message in a roster
    transaction) sends this command, and the feed subscribes with the matching one."""
    mode = _modes.get(redis)
    if mode is None:
        mode = text(await Scripts(redis).call("engine", "pubsub_mode", [], []))
        _modes[redis] = mode
    return mode


@dataclass
class _Link:
    """One pub/sub connection, to one server (one Redis) or one shard's master (a cluster)."""

    node: str
    client: Redis
    owned: bool  # a client made for this link (a cluster node), closed with it
    pubsub: PubSub
    names: set[str] = field(default_factory=set)  # pub/sub names subscribed here
    leaving: dict[str, int] = field(default_factory=dict)  # our unsubscribes not yet confirmed
    task: asyncio.Task[None] | None = None


class EventFeed:
    def __init__(
        self, redis: Redis, on_event: OnEvent, on_reset: OnReset, on_control: OnControl | None = None
    ) -> None:
        self._redis = redis
        self._on_event = on_event
        self._on_reset = on_reset
        self._on_control = on_control
        self._refs: dict[str, int] = {}
        self._confirm: dict[str, asyncio.Future[None]] = {}
        self._confirming: Flights[asyncio.Future[None], None] = Flights()  # one timed wait each
        self._links: dict[str, _Link] = {}
        self._sharded = False
        self._lock = asyncio.Lock()
        self._resetting: asyncio.Task[None] | None = None
        self._stopping = False
        self._wake = asyncio.Event()  # ``retry_now``: the reset's wait is cut short
        self.connected = asyncio.Event()

    async def start(self) -> None:
        self._sharded = await publish_command(self._redis) == SHARDED
        async with self._lock:
            # The control channel also keeps a connection in pub/sub mode before any client subscribed.
            await self._subscribe_names([keys.CONTROL])
        self.connected.set()

    async def stop(self) -> None:
        self._stopping = True
        if self._resetting is not None:
            self._resetting.cancel()
            with contextlib.suppress(asyncio.CancelledError), survive(log, "pubsub stop"):
                await self._resetting
        await self._close_links()
        with survive(log, "pubsub redis close"):
            await self._redis.aclose()

    async def subscribe(self, channel: str) -> None:
        """Follow a channel; returns once Redis confirmed the subscription (``TimeoutError`` after
        ``CONFIRM_TIMEOUT`` s without it).

        A channel this hub follows already, while its links are up, takes neither the lock nor a
        timer of its own: at a vote's opening 3,000 subscribes of one channel arrive within a
        second, and each waited its turn for the lock and kept a ``wait_for`` (a timer, two
        futures) until the one confirmation (docs/performance.md, "Issue 11: the subscribe burst
        at a vote's opening"). They share one timed wait for it instead. During a reset the lock
        is taken as before: the subscription returns once the links are back."""
        n = self._refs.get(channel, 0)
        fut = self._confirm.get(channel)
        if n > 0 and fut is not None and self.connected.is_set():
            self._refs[channel] = n + 1  # no await since the look: an unsubscribe sees this one
        else:
            async with self._lock:
                n = self._refs.get(channel, 0)
                self._refs[channel] = n + 1
                if n > 0:
                    fut = self._confirm.get(channel)
                else:
                    fut = asyncio.get_running_loop().create_future()
                    self._confirm[channel] = fut
                    await self._subscribe_names([keys.pubsub_channel(channel)])
        if fut is not None and not fut.done():
            confirmed = fut
            await self._confirming.once(
                confirmed, lambda: asyncio.wait_for(asyncio.shield(confirmed), CONFIRM_TIMEOUT)
            )

    async def unsubscribe(self, channel: str) -> None:
        async with self._lock:
            n = self._refs.get(channel, 0) - 1
            if n > 0:
                self._refs[channel] = n
                return
            self._refs.pop(channel, None)
            self._confirm.pop(channel, None)
            name = keys.pubsub_channel(channel)
            link = next((lk for lk in self._links.values() if name in lk.names), None)
            if link is not None:  # if this fails, the next reset leaves the channel out
                link.names.discard(name)
                with survive(log, "pubsub unsubscribe", channel=channel[:160]):
                    if self._sharded:
                        link.leaving[name] = link.leaving.get(name, 0) + 1
                        await link.pubsub.sunsubscribe(name)
                    else:
                        await link.pubsub.unsubscribe(name)

    @property
    def channels(self) -> list[str]:
        return list(self._refs)

    # -- links ------------------------------------------------------------------------------------
    def _node_of(self, name: str) -> str:
        """The node a pub/sub name's link goes to: on a cluster, the master owning the name's slot;
        on one Redis, the one server (``""``)."""
        if isinstance(self._redis, RedisCluster):
            node = self._redis.get_node_from_key(name)
            if node is None:
                raise RedisConnectionError(f"no cluster node serves the slot of {name}")
            return node.name
        return ""

    def _link_to(self, node_name: str) -> _Link:
        """A new link to a node: on a cluster, a client of that node alone (closed with the link)."""
        if isinstance(self._redis, RedisCluster):
            node = self._redis.get_node(node_name=node_name)
            if node is None:
                raise RedisConnectionError(f"cluster node {node_name} is gone")
            kwargs = node.connection_kwargs
            client = Redis(
                host=node.host,
                port=node.port,
                socket_timeout=None,
                socket_connect_timeout=kwargs.get("socket_connect_timeout", 5),
                client_name=kwargs.get("client_name"),
                retry=no_retry(),  # a dropped link must reach the feed (engine.connection)
            )
            return _Link(node_name, client, True, client.pubsub())
        return _Link(node_name, self._redis, False, self._redis.pubsub())

    async def _subscribe_names(self, names: list[str]) -> None:
        """Subscribe ``names`` each on its node's link (made on first use). Under ``_lock``."""
        for name in names:
            node = self._node_of(name)
            link = self._links.get(node)
            if link is None:
                link = self._links[node] = self._link_to(node)
            # One name per command: a sharded subscribe of several names must be single-slot.
            if self._sharded:
                await link.pubsub.ssubscribe(name)
            else:
                await link.pubsub.subscribe(name)
            link.names.add(name)
            if link.task is None:
                link.task = asyncio.create_task(self._run(link), name=f"plenary-pubsub:{node or 'redis'}")

    async def _close_links(self) -> None:
        links, self._links = list(self._links.values()), {}
        me = asyncio.current_task()
        for link in links:
            if link.task is not None and link.task is not me:
                link.task.cancel()
                with contextlib.suppress(asyncio.CancelledError), survive(log, "pubsub link stop"):
                    await link.task
            with survive(log, "pubsub close", level=logging.DEBUG):
                await link.pubsub.aclose()
            if link.owned:
                with survive(log, "pubsub node close", level=logging.DEBUG):
                    await link.client.aclose()

    async def _run(self, link: _Link) -> None:
        try:
            await self._read(link)
        except asyncio.CancelledError:
            raise
        except (RedisConnectionError, RedisTimeoutError, OSError, _SlotMoved) as exc:
            self._lost(exc)

    def _lost(self, exc: BaseException) -> None:
        """A link failed: one reset for all of them, whichever failed first."""
        if self._stopping or (self._resetting is not None and not self._resetting.done()):
            return
        self.connected.clear()
        log.warning("pubsub connection lost: %s; reconnecting", exc)
        self._resetting = asyncio.create_task(self._reset(), name="plenary-pubsub-reset")

    def retry_now(self) -> None:
        """Try the reconnect at once instead of after the rest of its backoff (up to 2 s): the
        caller saw Redis answer again (``/readyz``, the hub's Redis watch; ``engine.reach``), so
        the next try should work, and until it does the hub is not ready."""
        self._wake.set()

    async def _reset(self) -> None:
        backoff = 0.1
        while True:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), backoff)
            backoff = min(backoff * 2, 2.0)
            with survive(log, "pubsub reconnect"):  # the loop tries again after the backoff
                await self._reconnect()
                return

    async def _reconnect(self) -> None:
        async with self._lock:
            await self._close_links()  # the old links are usually broken already
            if isinstance(self._redis, RedisCluster):  # a failover or a moved slot: read the slots again
                await self._redis.nodes_manager.initialize()
            await self._subscribe_names([keys.CONTROL] + [keys.pubsub_channel(c) for c in self._refs])
            for fut in self._confirm.values():
                if not fut.done():
                    fut.set_result(None)
        self.connected.set()
        self._on_reset()

    async def _read(self, link: _Link) -> None:
        while True:
            msg = await link.pubsub.get_message(ignore_subscribe_messages=False, timeout=None)
            if msg is None:
                continue
            kind = msg["type"]
            name = text(msg["channel"])
            if kind in ("message", "smessage") and name == keys.CONTROL:
                if self._on_control is not None:
                    try:
                        self._on_control(msg["data"])
                    except Exception:
                        log.exception("bad control message")
            elif kind in ("message", "smessage"):
                try:
                    decoded = decode_pubsub(msg["data"])
                except Exception:  # a foreign publisher on our prefix must not stop the feed
                    log.exception("undecodable event on %s", name)
                    continue
                self._on_event(keys.channel_from_pubsub(name), decoded)
            elif kind in ("subscribe", "ssubscribe"):
                fut = self._confirm.get(keys.channel_from_pubsub(name))
                if fut is not None and not fut.done():
                    fut.set_result(None)
            elif kind == "sunsubscribe":
                left = link.leaving.get(name, 0)
                if left > 1:
                    link.leaving[name] = left - 1
                elif left == 1:
                    del link.leaving[name]
                elif name in link.names:
                    # Unasked: the slot moved to another shard (a resharding); its messages go there now.
                    raise _SlotMoved(f"{name} moved off {link.node}")


class _SlotMoved(Exception):
    """A sharded subscription the server dropped: the feed resubscribes everything."""
