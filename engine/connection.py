"""Redis clients for the hub: one for commands, one dedicated to pub/sub.

redis-py 8 defaults that bite a hub (see docs/architecture.md): a 5 s ``socket_timeout`` kills a
blocking pub/sub reader, and the asyncio pool is capped at 100 connections. The command client
gets a bounded but larger pool and the pub/sub connection no read timeout.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import hiredis
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection

DEFAULT_POOL = 64


def command_client(url: str, *, max_connections: int = DEFAULT_POOL, name: str = "plenary-hub") -> Redis:
    """A bounded pool that makes callers wait for a free connection (redis-py's default pool raises
    ``MaxConnectionsError`` instead: 3,000 clients saying hello at once would get errors)."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=10,
        socket_timeout=10,
        socket_connect_timeout=5,
        health_check_interval=30,
        client_name=name,
    )
    pool.connection_class = packed_by_hiredis(pool.connection_class)
    return Redis.from_pool(pool)


_PACKED: dict[type[AbstractConnection], type[AbstractConnection]] = {}


def packed_by_hiredis(cls: type[AbstractConnection]) -> type[AbstractConnection]:
    """``cls`` (the pool's class for the URL's scheme: TCP, unix socket, TLS) with its commands
    packed by ``hiredis.pack_command``, in C.

    Why: redis-py packs an asyncio connection's commands in Python, argument by argument (it uses
    hiredis only to parse replies, and to pack only on its synchronous connections). A batch of
    casts is one ``EVALSHA`` of 14 arguments a ballot: packing it was the largest single entry of
    the hub's profile (docs/performance.md, "Issue 11: the cast path, second pass"; 75 µs against
    7 µs for three ballots). The bytes are the same (``tests/unit/test_redis_packing.py``). An
    argument hiredis does not take (``None``, a bool, a memoryview) goes the Python way, so redis-py
    refuses it as before."""

    def pack_command(self: AbstractConnection, *args: Any) -> list[bytes]:
        first = args[0]
        # redis-py's own rule: a command name with a space ("SCRIPT LOAD") is several arguments.
        if isinstance(first, str):
            if " " in first:
                args = (*first.split(), *args[1:])
        elif isinstance(first, bytes) and b" " in first:
            args = (*first.split(), *args[1:])
        try:
            return [hiredis.pack_command(args)]
        except TypeError:
            return cls.pack_command(self, *args)

    packed = _PACKED.get(cls)
    if packed is None:  # one class per pool class, so that pools of one scheme share it
        doc = packed_by_hiredis.__doc__
        packed = _PACKED[cls] = type(cls.__name__, (cls,), {"pack_command": pack_command, "__doc__": doc})
    return packed


def pubsub_client(url: str, *, name: str = "plenary-hub-sub") -> Redis:
    return Redis.from_url(url, socket_timeout=None, socket_connect_timeout=5, client_name=name)


def raw(value: object) -> bytes:
    """A reply of the command client as bytes (it never decodes; redis-py's types say bytes | str)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    raise TypeError(f"expected a bulk string reply, got {type(value).__name__}")


def text(value: object) -> str:
    return raw(value).decode()


@contextlib.asynccontextmanager
async def redis_at(
    redis_url: str | None, data_dir: str | Path, name: str = "plenary-cli"
) -> AsyncIterator[Redis]:
    """For a one-shot command: a client of ``redis_url``, or of the embedded Redis of ``data_dir``
    (joined if a hub runs it; otherwise started for the command and stopped after it)."""
    from engine.server import EmbeddedRedis, ensure_server

    embedded: EmbeddedRedis | None = None
    if redis_url is None:
        embedded = ensure_server(data_dir)
        redis_url = embedded.url
    client = command_client(redis_url, name=name)
    try:
        yield client
    finally:
        await client.aclose()
        if embedded is not None and embedded.started:
            embedded.stop()
