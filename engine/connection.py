"""Redis clients for the hub: one for commands, one dedicated to pub/sub.

redis-py 8 defaults that bite a hub (see docs/architecture.md): a 5 s ``socket_timeout`` kills a
blocking pub/sub reader, and the asyncio pool is capped at 100 connections. The command client
gets a bounded but larger pool and the pub/sub connection no read timeout.
"""

from __future__ import annotations

from redis.asyncio import Redis

DEFAULT_POOL = 64


def command_client(url: str, *, max_connections: int = DEFAULT_POOL, name: str = "plenary-hub") -> Redis:
    return Redis.from_url(
        url,
        max_connections=max_connections,
        socket_timeout=10,
        socket_connect_timeout=5,
        health_check_interval=30,
        client_name=name,
    )


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
