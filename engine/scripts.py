"""Lua scripts: each atomic operation in its own ``.lua`` file, registered once per client.

Why Lua and not MULTI: a publish must read the offset it writes (next offset, append, publish)
and a cast must check the vote is open before storing; MULTI cannot branch on what it reads, and
WATCH retries under 3,000 concurrent casts would spin. A script runs atomically on the server.

Files starting with ``_`` are libraries prepended to every script of the same package (so a
domain script can call ``pl_publish`` and update its state in the same atomic step). redis-py's
``Script`` sends EVALSHA and falls back to EVAL after a Redis restart emptied the script cache.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.commands.core import AsyncScript
from redis.exceptions import ClusterDownError, MovedError, ReadOnlyError
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
