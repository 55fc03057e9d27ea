"""Redis clients for the hub: one for commands, one dedicated to pub/sub.

redis-py 8 defaults that bite a hub (see docs/architecture.md): a 5 s ``socket_timeout`` kills a
blocking pub/sub reader, and the asyncio pool is capped at 100 connections. The command client
gets a bounded but larger pool and the pub/sub connection no read timeout.

One code path for one Redis and Redis Cluster: a URL ``redis-cluster://host:port`` (any node of the
cluster; the client finds the others) gives redis-py's ``RedisCluster``, any other URL a ``Redis``.
Everything above this module takes either as ``Redis``: the cluster client answers the same commands,
routes each by its keys' slot, and runs a ``MULTI`` pipeline or a script on the slot's master (every
key the engine builds for one step shares a hash tag, ``engine.keys``), so no caller tells them apart.
The integration tests run the chat, recovery and vote paths against both.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import hiredis
import redis
from redis._parsers import AsyncCommandsParser
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

DEFAULT_POOL = 64
CLUSTER_SCHEME = "redis-cluster"
CLUSTER_POOL = 1024
"""Connections per cluster node: redis-py's cluster client has no blocking pool (it raises
``MaxConnectionsError`` past its bound), so its bound is set past what a hub's burst can hold at once."""


def is_cluster_url(url: str) -> bool:
    return urlsplit(url).scheme == CLUSTER_SCHEME


def _node_url(url: str) -> str:
    """``redis-cluster://host:port`` as the ``redis://`` URL of that node, which redis-py takes."""
    return urlunsplit(("redis", *urlsplit(url)[1:]))


def _cluster(url: str, *, socket_timeout: float | None, name: str, max_connections: int) -> Redis:
    client = RedisCluster.from_url(
        _node_url(url),
        max_connections=max_connections,
        socket_timeout=socket_timeout,
        socket_connect_timeout=5,
        client_name=name,
    )
    client.commands_parser = CommandTableOnce()
    # The cluster client answers every command the engine sends as ``Redis`` does (see above);
    # typing it as ``Redis`` keeps one signature for every caller instead of a union at each.
    return cast(Redis, client)


class CommandTableOnce(AsyncCommandsParser):
    """redis-py's table of commands (``COMMAND``: where each command's keys are), read once.

    Why: redis-py's cluster client reads it again from its *default node* (the first master
    ``CLUSTER SLOTS`` lists) every time it rebuilds its view of the cluster after a connection
    error. When that master is the one that died, the rebuild fails until a replica is promoted,
    and with it every command of the hub on every slot: a master's failover stopped the whole hub,
    not only that shard's commands (docs/reliability.md, "a Redis Cluster master killed"). The
    table is the servers' (one Redis version in a cluster), not the topology's: the first read is
    kept; later rebuilds only take the new default node (for ``COMMAND GETKEYS``)."""

    async def initialize(self, node: ClusterNode | None = None) -> None:
        if not self.commands:
            await super().initialize(node)
        elif node is not None:
            self.node = node


def is_cluster(redis: Redis) -> bool:
    return isinstance(redis, RedisCluster)


def dedicated(redis: Redis) -> Redis:
    """A client holding one connection of its own, for a task that sends batch after batch (the
    cast batcher, the rate limiter): a pool checkout per batch costs more than the batch's command.
    A cluster client keeps a pool per node and no single connection can serve every slot: it is
    returned itself (``close_dedicated`` then leaves it open)."""
    return redis if is_cluster(redis) else redis.client()


async def close_dedicated(redis: Redis, owner: Redis) -> None:
    """Close what ``dedicated(owner)`` returned (nothing when it is ``owner`` itself)."""
    if redis is not owner:
        await redis.aclose()


def command_client(url: str, *, max_connections: int = DEFAULT_POOL, name: str = "plenary-hub") -> Redis:
    """A bounded pool that makes callers wait for a free connection (redis-py's default pool raises
    ``MaxConnectionsError`` instead: 3,000 clients saying hello at once would get errors). On a
    cluster URL, redis-py's cluster client with ``CLUSTER_POOL`` connections per node."""
    if is_cluster_url(url):
        return _cluster(url, socket_timeout=10, name=name, max_connections=max(max_connections, CLUSTER_POOL))
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


def sync_client(url: str, *, timeout: float = 2) -> redis.Redis:
    """A blocking client for a one-off command before the event loop runs (``cli.links``): the
    cluster's when the URL names one (typed as ``redis.Redis`` for the reason given above)."""
    if is_cluster_url(url):
        cluster = redis.RedisCluster.from_url(
            _node_url(url), socket_timeout=timeout, socket_connect_timeout=timeout
        )
        return cast(redis.Redis, cluster)
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


def no_retry() -> Retry:
    """For a pub/sub connection: fail at once when the link drops. With retries (the default of a
    client built as ``Redis(host=..., port=...)``), redis-py's ``PubSub`` reconnects and resubscribes
    by itself, its only trace a second subscribe confirmation: the events published meanwhile are
    lost and nobody is told. The feed must see the loss to send its clients a ``gap``."""
    return Retry(NoBackoff(), 0)


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
    """The event feed's client, with no read timeout and no silent retry (``no_retry``).
    ``engine.pubsub.EventFeed`` opens one pub/sub connection per node it needs from it: one on a
    single Redis, one per shard's master on a cluster (the cluster client only finds them)."""
    if is_cluster_url(url):
        return _cluster(url, socket_timeout=None, name=name, max_connections=8)
    return Redis.from_url(
        url, socket_timeout=None, socket_connect_timeout=5, client_name=name, retry=no_retry()
    )


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
    from engine import migrate
    from engine.server import EmbeddedRedis, ensure_server

    embedded: EmbeddedRedis | None = None
    if redis_url is None:
        embedded = ensure_server(data_dir)
        redis_url = embedded.url
    client = command_client(redis_url, name=name)
    try:
        await migrate.directory_keys(client)  # a data dir an older hub wrote
        yield client
    finally:
        await client.aclose()
        if embedded is not None and embedded.started:
            embedded.stop()


async def path_cut(url: str | None, timeout: float = 1.0) -> bool:
    """Whether this process' own network path to the Redis of ``url`` is cut, as against Redis
    being down or stuck for everyone: a fresh TCP connection to its address is tried.

    Why a new connection tells them apart: a Redis process that is gone leaves a closed port (the
    connection is refused at once), and one that is stopped or overloaded still has its kernel
    accept connections (it only never answers); both are seen alike by every hub, and a hub that
    dropped its clients then would only send them to hubs in the same state. A connection that
    gets no answer at all (``timeout`` passes, or the host or network is unreachable) is a path
    that is cut: a packet filter, a partition, a dead link of this machine. A host of Redis that
    is itself gone looks the same from every hub; ``docs/reliability.md`` says why that costs one
    reconnect wave, not a loop. A Unix socket (the embedded Redis) has no path to cut: False."""
    if url is None:
        return False
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", CLUSTER_SCHEME):
        return False
    node = urlsplit("//" + parts.netloc.split(",")[0])  # a cluster's first node
    host, port = node.hostname or "localhost", node.port or 6379
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except ConnectionRefusedError:
        return False  # nothing listens: Redis is down, for every hub alike
    except (TimeoutError, OSError):
        return True  # no answer, or no route: this hub's path
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return False
