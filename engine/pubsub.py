"""The hub's one pub/sub connection: events published by any hub reach this process here.

Each hub subscribes only to channels some local client follows (reference counted), and a
``subscribe`` returns only once Redis has confirmed it: a client's recovery reads history *after*
that point, so no event can fall between the history it reads and the live events it gets.

If the connection drops, events published meanwhile are lost to this hub. The feed reconnects,
subscribes again, and calls ``on_reset`` so the hub tells every subscriber to recover from its
last offset (which the channel log makes exact).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from engine import keys
from engine.background import survive
from engine.channels import PubSubMessage, decode_pubsub

log = logging.getLogger("plenary.engine.pubsub")

OnEvent = Callable[[str, PubSubMessage], None]
OnReset = Callable[[], None]
OnControl = Callable[[bytes], None]


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
        self._pubsub: PubSub | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.connected = asyncio.Event()

    async def start(self) -> None:
        self._pubsub = self._redis.pubsub()
        # The control channel also keeps the connection in pub/sub mode before any client subscribed.
        await self._pubsub.subscribe(keys.CONTROL)
        self._task = asyncio.create_task(self._run(), name="plenary-pubsub")
        self.connected.set()

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError), survive(log, "pubsub stop"):
                await self._task
        if self._pubsub is not None:
            with survive(log, "pubsub close"):
                await self._pubsub.aclose()
        with survive(log, "pubsub redis close"):
            await self._redis.aclose()

    async def subscribe(self, channel: str) -> None:
        """Follow a channel; returns once Redis confirmed the subscription."""
        async with self._lock:
            n = self._refs.get(channel, 0)
            self._refs[channel] = n + 1
            if n > 0:
                fut = self._confirm.get(channel)
            else:
                fut = asyncio.get_running_loop().create_future()
                self._confirm[channel] = fut
                assert self._pubsub is not None
                await self._pubsub.subscribe(keys.pubsub_channel(channel))
        if fut is not None:
            await asyncio.wait_for(asyncio.shield(fut), timeout=10)

    async def unsubscribe(self, channel: str) -> None:
        async with self._lock:
            n = self._refs.get(channel, 0) - 1
            if n > 0:
                self._refs[channel] = n
                return
            self._refs.pop(channel, None)
            self._confirm.pop(channel, None)
            if self._pubsub is not None:  # if this fails, the next reconnect leaves the channel out
                with survive(log, "pubsub unsubscribe", channel=channel[:160]):
                    await self._pubsub.unsubscribe(keys.pubsub_channel(channel))

    @property
    def channels(self) -> list[str]:
        return list(self._refs)

    async def _run(self) -> None:
        while True:
            try:
                assert self._pubsub is not None
                await self._read(self._pubsub)
            except asyncio.CancelledError:
                raise
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                self.connected.clear()
                log.warning("pubsub connection lost: %s; reconnecting", exc)
                await self._reconnect_until_done()

    async def _reconnect_until_done(self) -> None:
        """Reconnect, with a backoff (0.1 s doubling to 2 s), until it works: Redis may be down for
        a while (restarting, loading its AOF). Reading again before a reconnect succeeded would
        read from a pub/sub object with no connection, which raises ``RuntimeError``: that ended
        this task, and the hub stayed without events (and not ready) for good."""
        backoff = 0.1
        while True:
            await asyncio.sleep(backoff)
            try:
                await self._reconnect()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # whatever it is, the feed must come back: try again
                log.warning("pubsub reconnect failed: %s; again in %.1f s", exc, backoff)
                backoff = min(backoff * 2, 2.0)

    async def _reconnect(self) -> None:
        async with self._lock:
            if self._pubsub is not None:  # the old link is usually broken already
                with survive(log, "pubsub close", level=logging.DEBUG):
                    await self._pubsub.aclose()
            self._pubsub = self._redis.pubsub()
            names = [keys.CONTROL] + [keys.pubsub_channel(c) for c in self._refs]
            await self._pubsub.subscribe(*names)
            for fut in self._confirm.values():
                if not fut.done():
                    fut.set_result(None)
        self.connected.set()
        self._on_reset()

    async def _read(self, pubsub: PubSub) -> None:
        while True:
            msg = await pubsub.get_message(ignore_subscribe_messages=False, timeout=None)
            if msg is None:
                continue
            kind = msg["type"]
            name = msg["channel"].decode() if isinstance(msg["channel"], bytes) else msg["channel"]
            if kind == "message" and name == keys.CONTROL:
                if self._on_control is not None:
                    try:
                        self._on_control(msg["data"])
                    except Exception:
                        log.exception("bad control message")
            elif kind == "message":
                try:
                    decoded = decode_pubsub(msg["data"])
                except Exception:  # a foreign publisher on our prefix must not stop the feed
                    log.exception("undecodable event on %s", name)
                    continue
                self._on_event(keys.channel_from_pubsub(name), decoded)
            elif kind == "subscribe":
                fut = self._confirm.get(keys.channel_from_pubsub(name))
                if fut is not None and not fut.done():
                    fut.set_result(None)
