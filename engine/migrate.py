"""Bring a Redis written by an older hub to today's key names, once, when a hub or a command starts.

Why: the directory keys moved under the hash tag ``{dir}`` and the hubs' heartbeats under
``{conn}`` (``engine.keys``: one Redis Cluster slot per family). A data dir from before still holds
``pl:p:<id>``, ``pl:tok:<hash>``, ``pl:m:<id>``, ``pl:roster``, ``pl:meetings``, ``pl:votes`` and
``pl:public_url``: without this step its links would stop working after the upgrade. Each old key is
renamed to its new name (``RENAMENX``: a key a newer hub wrote already is kept, the old one left);
the old heartbeats and presence sets, which a live hub rewrites every second, are deleted. A Redis
without the old fixed names is left alone after three ``EXISTS`` checks, so this costs nothing on a
current deployment (a new Redis Cluster never held old names).
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from engine import keys

log = logging.getLogger("plenary.engine.migrate")

_OLD_FIXED = {
    keys.PREFIX + "roster": keys.ROSTER,
    keys.PREFIX + "meetings": keys.MEETINGS,
    keys.PREFIX + "votes": keys.VOTES,
    keys.PREFIX + "public_url": keys.PUBLIC_URL,
}
_OLD_FAMILIES = {  # old prefix -> the function naming the new key of the same id
    keys.PREFIX + "p:": keys.participant,
    keys.PREFIX + "tok:": keys.token,
    keys.PREFIX + "m:": keys.meeting,
}
_OLD_EPHEMERAL = (keys.PREFIX + "hubs", keys.PREFIX + "presence:*")


async def directory_keys(redis: Redis) -> int:
    """Rename an older hub's directory keys (see above); returns how many were renamed."""
    if isinstance(redis, RedisCluster) or not await redis.exists(*_OLD_FIXED, keys.PREFIX + "hubs"):
        return 0
    moved = 0
    for old, new in _OLD_FIXED.items():
        moved += bool(await redis.exists(old)) and bool(await redis.renamenx(old, new))
    for prefix, name in _OLD_FAMILIES.items():
        async for raw_key in redis.scan_iter(match=prefix + "*", count=1000):
            old = raw_key.decode() if isinstance(raw_key, bytes) else str(raw_key)
            moved += bool(await redis.renamenx(old, name(old[len(prefix) :])))
    for pattern in _OLD_EPHEMERAL:
        async for raw_key in redis.scan_iter(match=pattern, count=1000):
            await redis.delete(raw_key)
    if moved:
        log.warning("renamed %d directory keys to their Redis Cluster names (engine.keys)", moved)
    return moved
