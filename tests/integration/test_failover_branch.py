"""A real Redis Cluster failover that loses an acknowledged chat event, and what recovery makes of
it (docs/architecture.md, "What a failover can lose"; docs/protocol.md §7).

Deterministic, not a race: the packet filter drops what the chat's master sends its replica, so an
event published then is acknowledged by the master and never reaches the replica; the master then
gets SIGKILL and the replica is promoted without it. The next event takes the lost one's offset
under the same epoch: recovery must tell a client that saw the lost event to start afresh, and
still give exactly the missed events to one whose last event survived. Needs root (the packet
filter), as ``hub-cut`` does."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from engine import keys
from engine.channels import ChannelLog
from engine.connection import command_client
from tests.cluster import running_cluster
from tools.system_packages import find_program

CHAT = keys.meeting_chat("failover")
TAG = "plenary-test-failover-branch"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the packet filter needs root")


def in_sync(info: str) -> bool:
    """Whether a master's one replica has acknowledged everything it was sent (``INFO replication``)."""
    top = re.search(r"master_repl_offset:(\d+)", info)
    replica = re.search(r"slave0:[^\r\n]*offset=(\d+)", info)
    return bool(top and replica and top.group(1) == replica.group(1))


@contextlib.contextmanager
def dropped(iptables: str, sport: int, dport: int) -> Iterator[None]:
    """Drop every packet from local port ``sport`` to local port ``dport`` (one direction of one
    connection) until the block ends."""
    rule = ["OUTPUT", "-p", "tcp", "--sport", str(sport), "--dport", str(dport)]
    rule += ["-m", "comment", "--comment", TAG, "-j", "DROP"]
    subprocess.run([iptables, "-I", *rule], check=True, capture_output=True, timeout=10)
    try:
        yield
    finally:
        subprocess.run([iptables, "-D", *rule], capture_output=True, timeout=10)


async def test_an_event_lost_in_a_failover_makes_its_readers_start_afresh(tmp_path: Path) -> None:
    iptables = find_program("iptables")
    if iptables is None:
        pytest.fail("iptables not installed: `make packages`")
    with running_cluster(tmp_path / "cluster") as servers:
        redis: Redis = command_client(servers.url, name="plenary-test")
        try:
            log = ChannelLog(redis)
            kept = [await log.publish(CHAT, "chat.message", {"n": i}) for i in range(3)]
            master = redis.get_node_from_key(keys.channel_keys(CHAT).meta)  # type: ignore[attr-defined]
            async with asyncio.timeout(10):  # the replica has the first three
                while not in_sync(servers.cli(master.port, "info", "replication")):
                    await asyncio.sleep(0.05)
            listed = servers.cli(master.port, "client", "list", "type", "replica")
            replica_conn = int(re.search(r"addr=127\.0\.0\.1:(\d+)", listed).group(1))  # type: ignore[union-attr]
            info = servers.cli(master.port, "info", "replication")
            replica_port = int(re.search(r"slave0:ip=[^,]+,port=(\d+)", info).group(1))  # type: ignore[union-attr]
            victim = next(n for n in servers.nodes if n.port == master.port)
            with dropped(iptables, master.port, replica_conn):
                lost = await log.publish(CHAT, "chat.message", {"lost": True})  # acknowledged
                assert lost.offset == 4
                pid = victim.pid()
                assert pid is not None
                os.kill(pid, signal.SIGKILL)
                async with asyncio.timeout(30):
                    while "role:master" not in servers.cli(replica_port, "info", "replication"):
                        await asyncio.sleep(0.1)
                # A fresh client: the promoted replica serves the chat's slot, without event 4.
                after: Redis = command_client(servers.url, name="plenary-test-after")
                try:
                    alog = ChannelLog(after)
                    async with asyncio.timeout(30):
                        while True:
                            with contextlib.suppress(Exception):
                                rec = await alog.recover(CHAT, kept[0].epoch, 3, kept[2].time)
                                break
                            await asyncio.sleep(0.2)
                    assert rec.recovered and rec.offset == 3 and rec.events == []  # 4 is gone
                    new = await alog.publish(CHAT, "chat.message", {"new": True})
                    assert (new.offset, new.epoch) == (4, lost.epoch) and new.time != lost.time

                    # Who saw the lost event 4 starts afresh, with the channel as it is now ...
                    rec = await alog.recover(CHAT, lost.epoch, 4, lost.time)
                    assert not rec.recovered and rec.offset == 4
                    assert rec.events[-1].data == {"new": True}
                    # ... where the offset alone would have answered "nothing missed".
                    blind = await alog.recover(CHAT, lost.epoch, 4)
                    assert blind.recovered and blind.events == []
                    # Who stopped at 3 gets exactly the new event 4.
                    rec = await alog.recover(CHAT, kept[0].epoch, 3, kept[2].time)
                    assert rec.recovered and [e.data for e in rec.events] == [{"new": True}]
                finally:
                    await after.aclose()
        finally:
            await redis.aclose()
