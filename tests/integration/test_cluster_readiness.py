"""A hub on a real Redis Cluster while a master fails over: it stays ready (``engine.reach``) and
keeps serving the channels of the living shards (``engine.connection.CommandTableOnce``).

The master killed is the one owning slot 0: redis-py's *default node*, where its cluster client
sent ``/readyz``'s PING and its ``COMMAND`` re-read, so that before these changes every hub said 503
and failed every command until a replica was promoted (docs/reliability.md)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx

from engine import keys
from engine.connection import command_client
from moderation.meetings import MeetingInfo, Meetings
from panel.roster import Participant
from tests.cluster import running_cluster
from tests.support import HubProcess, connect, seed


def slot_owner(cli_nodes: str, slot: int) -> int | None:
    """The port of the master serving ``slot`` in a ``CLUSTER NODES`` reply (not flagged failing)."""
    for line in cli_nodes.splitlines():
        cols = line.split()
        if len(cols) < 9 or "master" not in cols[2].split(",") or "fail" in cols[2]:
            continue
        for part in cols[8:]:
            lo, _, hi = part.partition("-")
            if not part.startswith("[") and int(lo) <= slot <= int(hi or lo):
                return int(cols[1].split(":")[1].split("@")[0])
    return None


async def test_a_hub_stays_ready_and_serves_the_living_shards_while_a_master_fails_over(
    tmp_path: Path,
) -> None:
    with running_cluster(tmp_path / "cluster") as servers:
        redis = command_client(servers.url, name="plenary-test")
        try:
            await redis.initialize()  # type: ignore[attr-defined]
            default = redis.nodes_manager.get_node_from_slot(0)  # type: ignore[attr-defined]
            victim = next(n for n in servers.nodes if n.port == default.port)

            def on_victim(meeting: str) -> bool:
                node = redis.get_node_from_key(keys.channel_keys(keys.meeting_chat(meeting)).meta)  # type: ignore[attr-defined]
                return bool(node.port == victim.port)

            # Two meetings: one's chat on the master that dies, the other's on a living one; the
            # hub follows both, as hubs follow channels on every shard.
            candidates = [f"r{i}" for i in range(50)]
            dead_meeting = next(m for m in candidates if on_victim(m))
            live_meeting = next(m for m in candidates if not on_victim(m))
            dead, live = keys.meeting_chat(dead_meeting), keys.meeting_chat(live_meeting)
            reader = Participant(
                id="reader", name="읽는 사람", role="panelist", meetings=[dead_meeting, live_meeting]
            )
            tokens = await seed(redis, [reader])
            for m in (dead_meeting, live_meeting):
                await Meetings(redis).put(MeetingInfo(id=m, title="준비 상태"))
        finally:
            await redis.aclose()
        hub = HubProcess(servers.url).wait_ready()
        try:
            async with (
                connect(hub.ws_url, tokens["reader"]) as client,
                connect(hub.ws_url, tokens["reader"]) as other,
            ):
                await client.ok("subscribe", channel=dead)
                await client.ok("subscribe", channel=live)
                dead_try: asyncio.Task[Any] | None = None
                statuses: list[tuple[float, int, str]] = []
                served = 0
                pid = victim.pid()
                assert pid is not None
                os.kill(pid, signal.SIGKILL)
                killed = time.monotonic()
                witness = next(n for n in servers.nodes if n.port != victim.port)
                promoted_at: float | None = None
                async with httpx.AsyncClient(timeout=3) as http:
                    while time.monotonic() - killed < 30:
                        r = await http.get(hub.url + "/readyz")
                        statuses.append((round(time.monotonic() - killed, 2), r.status_code, r.text))
                        if promoted_at is None:
                            nodes = await asyncio.to_thread(servers.cli, witness.port, "cluster", "nodes")
                            owner = slot_owner(nodes, 0)
                            if owner is not None and owner != victim.port:
                                promoted_at = time.monotonic()
                            else:  # during the failover: a channel on a living shard still answers,
                                # while one on the dead shard is tried (redis-py then rebuilds its
                                # view) on another connection: a connection's commands run in turn,
                                # and the dead shard's may wait for the promotion
                                if dead_try is None:
                                    dead_try = asyncio.create_task(
                                        other.call("subscribe", channel=dead, timeout=60)
                                    )
                                reply = await client.call("subscribe", channel=live)
                                served += reply["type"] == "reply"
                        elif time.monotonic() - promoted_at > 1.5:
                            break
                        await asyncio.sleep(0.1)
                if dead_try is not None:
                    dead_try.cancel()
                    with contextlib.suppress(BaseException):
                        await dead_try
                assert promoted_at is not None, "no replica was promoted within 30 s"
                bad = [s for s in statuses if s[1] != 200]
                assert not bad, f"not ready during the failover: {bad[:5]} of {len(statuses)}"
                assert any("degraded" in text for _, _, text in statuses), statuses[:3]
                assert served > 0, "no subscribe answered during the failover"
        finally:
            hub.stop()
