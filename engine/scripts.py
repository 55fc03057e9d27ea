"""Lua scripts: each atomic operation in its own ``.lua`` file, registered once per client.

Why Lua and not MULTI: a publish must read the offset it writes (next offset, append, publish)
and a cast must check the vote is open before storing; MULTI cannot branch on what it reads, and
WATCH retries under 3,000 concurrent casts would spin. A script runs atomically on the server.

Files starting with ``_`` are libraries prepended to every script of the same package (so a
domain script can call ``pl_publish`` and update its state in the same atomic step). redis-py's
``Script`` sends EVALSHA and falls back to EVAL after a Redis restart emptied the script cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript


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
