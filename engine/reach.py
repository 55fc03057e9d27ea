"""Whether this hub reaches its Redis: the one answer ``/readyz`` and the hub's Redis watch give.

**One Redis:** it answers a PING within the timeout.

**Redis Cluster: not a PING through the cluster client.** redis-py sends a keyless command (PING)
to its *default node*, the first master ``CLUSTER SLOTS`` lists. When that master dies it stays
the default node until a replica is promoted (two or three ``cluster-node-timeout``s), so every
hub would answer 503 at once and the balancer would take every hub out exactly when the clients
of the failing shard need one (docs/reliability.md, "a Redis Cluster master killed"). A hub is
ready when it reaches *the cluster*:

- every master it knows answers a PING (each asked at once on a fresh connection of its own,
  within the timeout: see ``_ping``), or
- those that do not are down for every hub, not cut from this one: the cluster itself flags them
  failing (``fail`` or ``fail?`` in ``CLUSTER NODES`` of a master that answered), or a fresh
  connection to them is refused (the process is gone) or accepted (it is stuck), which
  ``engine.connection.path_cut`` tells from no answer at all (this hub's path is cut);
- and at least one master answers.

A master that gets no answer from this hub while the cluster sees nothing wrong with it is this
hub's problem: not ready. The masters down for everyone are returned (``Reach.down``): while they
are, the hub's pub/sub feed cannot hold their shards' subscriptions either, on every hub alike,
and ``/readyz`` does not count that against this hub.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster

from engine.connection import is_cluster, path_cut

FAILING_FLAGS = frozenset({"fail", "fail?"})
"""``CLUSTER NODES`` flags of a node the cluster sees failing (``fail?``: this node's own view,
``fail``: the majority's)."""


@dataclass(frozen=True)
class Reach:
    """``ok``: this hub reaches its Redis. ``reason``: why not, or (ok) what is down for every hub.
    ``down``: the cluster masters down for every hub (``host:port``), empty on one Redis."""

    ok: bool
    reason: str = ""
    down: tuple[str, ...] = ()


async def reach(redis: Redis, timeout: float) -> Reach:
    """This hub's reach of ``redis`` (the command client), within about ``timeout`` seconds (twice
    that at most on a cluster with a silent master: the PINGs, then the look at why)."""
    if not is_cluster(redis):
        try:
            await asyncio.wait_for(redis.ping(), timeout)
        except TimeoutError:
            return Reach(False, f"redis did not answer within {timeout:g} s")
        except Exception as exc:
            return Reach(False, str(exc) or type(exc).__name__)
        return Reach(True)
    return await _reach_cluster(cast(RedisCluster, redis), timeout)


PING = b"*1\r\n$4\r\nPING\r\n"


async def _ping(node: ClusterNode, timeout: float) -> str:
    """ "" when ``node`` answers a PING on a fresh connection within ``timeout``, else what went
    wrong. Any reply counts (``+PONG``, or an error such as ``-NOAUTH``): the server is there.

    Why a connection of its own, not the command client's pool of that node: redis-py closes a
    node's pooled connections, even one in use, whenever it rebuilds its view of the cluster after
    another command's error, which during a failover is often (seen: living masters' PINGs failing
    "Connection closed by server" and "unable to perform operation on <TCPTransport closed=True>",
    a hub unready for a quarter of a second with every master up)."""

    async def ask() -> bytes:
        reader, writer = await asyncio.open_connection(node.host, node.port)
        try:
            writer.write(PING)
            await writer.drain()
            return await reader.readline()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    try:
        line = await asyncio.wait_for(ask(), timeout)
    except TimeoutError:
        return f"{node.name}: no answer within {timeout:g} s"
    except OSError as exc:
        return f"{node.name}: {type(exc).__name__}: {exc}"[:200]
    return "" if line[:1] in (b"+", b"-") else f"{node.name}: the connection closed without an answer"


async def _reach_cluster(cluster: RedisCluster, timeout: float) -> Reach:
    masters = cluster.get_primaries()
    if not masters:
        return Reach(False, "no Redis Cluster master known yet")
    answers = await asyncio.gather(*(_ping(n, timeout) for n in masters))
    answered = [n for n, why in zip(masters, answers, strict=True) if not why]
    silent = [n for n, why in zip(masters, answers, strict=True) if why]
    if not answered:
        return Reach(False, "no Redis Cluster master answered: " + "; ".join(answers))
    if not silent:
        return Reach(True)
    # Why each is silent, both looks at once (the whole answer within twice ``timeout``).
    looks = asyncio.gather(*(path_cut(f"redis://{n.host}:{n.port}", timeout) for n in silent))
    failing, cut = await asyncio.gather(_failing(answered[0], timeout), looks)
    mine = [n.name for n, c in zip(silent, cut, strict=True) if c and n.name not in failing]
    if mine:
        return Reach(
            False,
            f"cluster master {', '.join(mine)} does not answer this hub and the cluster does not see it failing",
        )
    down = tuple(n.name for n in silent)
    return Reach(True, f"cluster master {', '.join(down)} down for every hub (a failover)", down)


async def _failing(node: ClusterNode, timeout: float) -> set[str]:
    """The ``host:port`` of the nodes ``node`` sees failing (empty if it does not say in time)."""
    try:
        reply = await asyncio.wait_for(node.execute_command("CLUSTER NODES"), timeout)
    except Exception:
        return set()
    return {addr for addr, flags in _node_flags(reply) if flags & FAILING_FLAGS}


def _node_flags(reply: Any) -> list[tuple[str, set[str]]]:
    """(``host:port``, flags) of each node of a ``CLUSTER NODES`` reply, raw or as redis-py parses
    it (a dict by address)."""
    if isinstance(reply, dict):
        return [
            (str(addr).split("@")[0], set(str(info.get("flags", "")).split(",")))
            for addr, info in reply.items()
        ]
    text = reply.decode() if isinstance(reply, bytes) else str(reply)
    out = []
    for line in text.splitlines():
        cols = line.split()
        if len(cols) >= 3:
            out.append((cols[1].split("@")[0], set(cols[2].split(","))))
    return out
