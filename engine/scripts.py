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
from redis.asyncio.connection import AbstractConnection
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError, NoScriptError, ResponseError


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
            lost = exc if isinstance(exc, ConnectionError) else ConnectionError(f"script pipe: {exc!r}")
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
