"""Lua scripts: each atomic operation in its own ``.lua`` file, registered once per client.

Why Lua and not MULTI: a publish must read the offset it writes (next offset, append, publish)
and a cast must check the vote is open before storing; MULTI cannot branch on what it reads, and
WATCH retries under 3,000 concurrent casts would spin. A script runs atomically on the server.

Files starting with ``_`` are libraries prepended to every script of the same package (so a
domain script can call ``pl_publish`` and update its state in the same atomic step). redis-py's
``Script`` sends EVALSHA and falls back to EVAL after a Redis restart emptied the script cache.
``ScriptPipe`` is the hot path's other way in: one script over a connection of its own, its calls
pipelined in order (the cast batcher's, with two batches in flight).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import deque
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import hiredis
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.connection import AbstractConnection
from redis.commands.core import AsyncScript
from redis.exceptions import ClusterDownError, MovedError, NoScriptError, ReadOnlyError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from engine.errors import Code, HubError


@cache
def source(package: str, name: str) -> str:
    """The full text of ``<package>/lua/<name>.lua``, with the engine's library prepended."""
    lib = resources.files("engine").joinpath("lua/_lib.lua").read_text()
    body = resources.files(package).joinpath(f"lua/{name}.lua").read_text()
    return lib + "\n" + body


class Scripts:
    """The scripts one Redis client uses, registered lazily and kept for the client's life."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._scripts: dict[tuple[str, str], AsyncScript] = {}

    def get(self, package: str, name: str) -> AsyncScript:
        key = (package, name)
        script = self._scripts.get(key)
        if script is None:
            script = self._redis.register_script(source(package, name))
            self._scripts[key] = script
        return script

    async def call(self, package: str, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        return await self.get(package, name)(keys=keys, args=args)

    async def aclose(self) -> None:
        """Close the connections these scripts opened themselves (none: the client is the caller's)."""


_MASTER_GONE = (RedisConnectionError, RedisTimeoutError, MovedError, ReadOnlyError, ClusterDownError)
"""What a master that died, or is a master no more (a failover moved its slots), answers."""


class Replicated(Scripts):
    """Scripts whose reply a client is told is safe: each call returns only once ``replicas``
    replicas have its writes too (``WAIT``), so a failover that promotes one keeps them.

    Why: Redis Cluster replicates asynchronously; a master that dies right after answering takes
    the writes its replica had not received yet with it (docs/architecture.md, "The path to Redis
    Cluster": the cast is acknowledged only once a replica has it; the cost is measured there).
    ``WAIT`` counts the writes of the connection it is sent on, so the script and the ``WAIT`` go
    over one connection: on a cluster, a connection of this object's own to the master of the
    script's first key (every key of a step shares its slot). When ``WAIT`` comes back short, or
    that master fails, the call raises ``HubError(UNAVAILABLE)``: the writes may or may not be
    kept, and the caller's retry must be idempotent (a cast is, by its nonce).
    """

    def __init__(self, redis: Redis, replicas: int, timeout_ms: int = 2000) -> None:
        super().__init__(redis)
        self.replicas = replicas
        self.timeout_ms = timeout_ms
        self._nodes: dict[str, Scripts] = {}  # a cluster master's name -> scripts of our connection to it

    def _on(self, key: str) -> Scripts:
        """The scripts of the connection to the master owning ``key`` (this client on one Redis)."""
        if not isinstance(self._redis, RedisCluster):
            return self
        node = self._redis.get_node_from_key(key)
        if node is None:
            raise HubError(Code.UNAVAILABLE, "no master serves this slot now, retry")
        scripts = self._nodes.get(node.name)
        if scripts is None:
            client = Redis(host=node.host, port=node.port, socket_timeout=10, socket_connect_timeout=5)
            scripts = self._nodes[node.name] = Scripts(client.client())  # one connection held
        return scripts

    async def call(self, package: str, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        target = self._on(keys[0])
        try:
            result = await target.get(package, name)(keys=keys, args=args)
            acked = await target._redis.execute_command("WAIT", self.replicas, self.timeout_ms)
        except _MASTER_GONE as exc:
            await self._forget(target)
            raise HubError(
                Code.UNAVAILABLE, f"the master failed before a replica had this, retry: {exc}"
            ) from exc
        if int(acked) < self.replicas:
            raise HubError(Code.UNAVAILABLE, f"{int(acked)} of {self.replicas} replicas have this, retry")
        return result

    async def _forget(self, target: Scripts) -> None:
        """After a failure on a master's connection: drop it and read the cluster's slots again (a
        failover may have moved the slot), so the retry goes to the new master."""
        if target is self or not isinstance(self._redis, RedisCluster):
            return
        for name, scripts in list(self._nodes.items()):
            if scripts is target:
                del self._nodes[name]
                with contextlib.suppress(Exception):
                    await scripts._redis.aclose()
        with contextlib.suppress(Exception):
            await self._redis.nodes_manager.initialize()

    async def aclose(self) -> None:
        for scripts in self._nodes.values():
            with contextlib.suppress(Exception):
                await scripts._redis.aclose()
        self._nodes.clear()


def acknowledged(redis: Redis) -> Scripts:
    """The scripts for writes whose acknowledgement a client relies on (a cast): on Redis Cluster,
    ``Replicated`` with one replica (each master has one); on one Redis, the plain scripts (its
    AOF with ``appendfsync always`` is the durability; it has no replica to wait for)."""
    return Replicated(redis, replicas=1) if isinstance(redis, RedisCluster) else Scripts(redis)


class ScriptPipe:
    """One script called over a connection of its own, the calls pipelined: each call's command is
    written as the call is made, in call order, and the replies are read back in that order.

    Why: Redis runs a connection's commands in the order they arrive, so several calls may be in
    flight at once and still run in call order (the cast batcher keeps two batches in flight, and a
    voter's ballots in the order they came: ``ballot.store.CastBatcher``). And the command is packed
    by hiredis in C: redis-py's asyncio client packs every argument in Python, a third of the
    batcher's CPU at 256 ballots a call (docs/performance.md, "Issue 11: the store level").

    The contract: ``call`` writes its command before it first suspends (unless it must connect
    first: then calls made meanwhile queue behind it, in order). A reply that is an error fails that
    call only (``redis.ResponseError``, ``NoScriptError`` included: the script did not run, and it
    is loaded again before the next call). A lost connection or a reply that does not come within
    the client's ``socket_timeout`` fails every call in flight (``redis.ConnectionError``; each may
    or may not have run) and the next call connects again. ``close`` when done.
    """

    def __init__(self, redis: Redis, package: str, name: str) -> None:
        pool = redis.connection_pool
        self._connection_class = pool.connection_class
        # Its own name in CLIENT LIST (``plenary-hub:<hub>:cast``): ops can tell it from the pool's.
        self._connection_kwargs = dict(pool.connection_kwargs)
        self._connection_kwargs["client_name"] = (
            f"{pool.connection_kwargs.get('client_name') or 'plenary'}:{name}"
        )
        self._body = source(package, name)
        self._sha = hashlib.sha1(self._body.encode()).hexdigest()
        self._conn: AbstractConnection | None = None
        self._pending: deque[asyncio.Future[Any]] = deque()
        self._has_pending = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._loaded = False
        self._lock = asyncio.Lock()

    async def call(self, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """Run the script with ``keys`` and ``args``; its reply (bytes not decoded)."""
        async with self._lock:  # uncontended, this never suspends: the write is in call order
            if self._conn is None:
                await self._connect()
            if not self._loaded:  # pipelined before the call: Redis loads it first
                self._send((b"SCRIPT", b"LOAD", self._body)).add_done_callback(_ignore)
                self._loaded = True
            fut = self._send((b"EVALSHA", self._sha, len(keys), *keys, *args))
        try:
            return await fut
        except NoScriptError:
            self._loaded = False  # flushed from Redis meanwhile: not run, load it again
            raise

    def _send(self, command: tuple[Any, ...]) -> asyncio.Future[Any]:
        assert self._conn is not None and self._conn._writer is not None
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._conn._writer.write(hiredis.pack_command(command))
        self._pending.append(fut)
        self._has_pending.set()
        return fut

    async def _connect(self) -> None:
        conn = self._connection_class(**self._connection_kwargs)
        await conn.connect()
        self._conn, self._pending, self._loaded = conn, deque(), False
        self._has_pending = asyncio.Event()
        self._reader = asyncio.create_task(self._read(conn, self._pending, self._has_pending))

    async def _read(
        self, conn: AbstractConnection, pending: deque[asyncio.Future[Any]], has_pending: asyncio.Event
    ) -> None:
        """Read one connection's replies, in order, into its calls' futures; on a lost connection
        (or a reply later than the socket timeout) fail them all and drop the connection."""
        try:
            while True:
                if not pending:
                    has_pending.clear()
                    await has_pending.wait()
                try:
                    reply = await conn.read_response(disable_decoding=True)
                except ResponseError as err:
                    reply = err
                fut = pending.popleft()
                if fut.done():
                    continue
                if isinstance(reply, ResponseError):
                    fut.set_exception(reply)
                else:
                    fut.set_result(reply)
        except BaseException as exc:
            lost = (
                exc
                if isinstance(exc, RedisConnectionError)
                else RedisConnectionError(f"script pipe: {exc!r}")
            )
            while pending:
                fut = pending.popleft()
                if not fut.done():
                    fut.set_exception(lost)
            if self._conn is conn:
                self._conn = None
            with contextlib.suppress(Exception):
                await conn.disconnect(nowait=True)
            if isinstance(exc, asyncio.CancelledError):
                raise

    async def close(self) -> None:
        """Fail the calls in flight (``ConnectionError``) and close the connection."""
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.disconnect()


def _ignore(fut: asyncio.Future[Any]) -> None:
    """A pipelined ``SCRIPT LOAD``'s reply: a failure shows in the call behind it (``NOSCRIPT``)."""
    if not fut.cancelled():
        fut.exception()


class _OneOf:
    """One script of a ``Scripts`` object, with ``ScriptPipe``'s two methods (the cluster's
    ``Replicated`` scripts, for the cast batcher)."""

    def __init__(self, scripts: Scripts, package: str, name: str) -> None:
        self._scripts, self._package, self._name = scripts, package, name

    async def call(self, keys: Sequence[str], args: Sequence[Any]) -> Any:
        return await self._scripts.call(self._package, self._name, keys, args)

    async def close(self) -> None:
        await self._scripts.aclose()


def acknowledged_script(redis: Redis, package: str, name: str) -> ScriptPipe | _OneOf:
    """The script for writes whose acknowledgement a client relies on (a cast), called as the
    cast batcher calls it (``call(keys, args)``, ``close()``). On one Redis: a ``ScriptPipe`` (its
    AOF with ``appendfsync always`` is the durability; pipelined, so that two batches are in Redis
    at once). On Redis Cluster: ``acknowledged``'s ``Replicated`` scripts (each reply only once a
    replica has the writes), over the connection to the vote's master; a cluster client has no
    single connection pool for a pipe of its own."""
    if isinstance(redis, RedisCluster):
        return _OneOf(acknowledged(redis), package, name)
    return ScriptPipe(redis, package, name)
