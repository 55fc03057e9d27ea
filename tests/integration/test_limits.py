"""Issue 9 over real hubs and a real Redis: limits per participant, not per connection.

One panelist opened 60 connections and sent 1,886 Q&A votes in 5 s (718 events to everyone) and
1,100 recasts. Here: connections per participant are capped over every hub, the rate of every
command that writes or fans out is capped per participant over every hub, and the hubs share both.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis

from engine import keys
from engine.server import EmbeddedRedis
from realtime import roles
from tests.integration.test_vote import DEFINITION
from tests.support import Client, HubProcess, connect, seed

PANELIST_LIMIT = 5  # written out, not read from the table under test
QA = "meeting/m1/qa"


@contextlib.asynccontextmanager
async def many(urls: list[str], token: str) -> AsyncIterator[list[Client | dict[str, Any]]]:
    """Open one connection per url at once; each item is a welcomed Client or the hello's error
    frame plus the close code (``{"error": ..., "close": (code, reason)}``)."""
    stack = contextlib.AsyncExitStack()

    async def one(url: str) -> Client | dict[str, Any]:
        c = await stack.enter_async_context(connect(url))
        res = await c.call("hello", token=token)
        if res["type"] == "reply":
            return c
        return {"error": res, "close": await asyncio.wait_for(c.closed, 10)}

    async with stack:
        yield list(await asyncio.gather(*(one(u) for u in urls)))


async def test_sixty_connections_of_one_panelist_over_two_hubs_admit_only_the_limit(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    urls = [hubs[i % 2].ws_url for i in range(60)]
    async with many(urls, tokens["p1"]) as conns:
        admitted = [c for c in conns if isinstance(c, Client)]
        refused = [c for c in conns if not isinstance(c, Client)]
        assert len(admitted) == PANELIST_LIMIT
        for r in refused:
            assert r["error"]["name"] == "too_many_connections" and r["error"]["code"] == 1203
            assert r["error"]["retryable"] is True
            assert r["close"][0] == 4013
        # Another participant is not affected, and an admitted connection works.
        async with connect(hubs[1].ws_url, tokens["p2"]) as other:
            assert (await other.ok("ping"))["server_time"] > 0
        assert (await admitted[0].ok("ping"))["server_time"] > 0
        # Closing one frees its slot, on whichever hub the next one lands.
        await admitted[0].close()
        async with connect(hubs[1].ws_url, tokens["p1"]) as again:
            assert again.welcome["participant"] == "p1"


async def test_staff_roles_get_more_connections_than_panelists(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    async with many([hubs[i % 2].ws_url for i in range(25)], tokens["mod"]) as conns:
        assert sum(isinstance(c, Client) for c in conns) == 20


async def test_a_dead_hubs_slots_free_themselves(
    redis: Redis, hubs: tuple[HubProcess, HubProcess], embedded: EmbeddedRedis
) -> None:
    tokens = await seed(redis)
    doomed = HubProcess(embedded.url).wait_ready()
    try:
        async with many([doomed.ws_url] * PANELIST_LIMIT, tokens["p1"]) as conns:
            assert all(isinstance(c, Client) for c in conns)
            doomed.kill()  # no clean stop: its slots stay in Redis until its heartbeat is stale
            async with many([hubs[0].ws_url], tokens["p1"]) as [refused]:
                assert not isinstance(refused, Client)
            deadline = time.monotonic() + 25
            while True:
                async with many([hubs[0].ws_url], tokens["p1"]) as [late]:
                    if isinstance(late, Client):
                        break
                assert time.monotonic() < deadline, "the dead hub's slots were never freed"
                await asyncio.sleep(1)
    finally:
        doomed.stop()


async def _approved_question(tokens: dict[str, str], hub: HubProcess) -> int:
    async with connect(hub.ws_url, tokens["p2"]) as asker, connect(hub.ws_url, tokens["mod"]) as mod:
        qid = (await asker.ok("qa.ask", meeting="m1", text="배차 간격은요?"))["question"]
        await mod.ok("qa.approve", meeting="m1", question=qid)
        return int(qid)


async def test_two_thousand_qa_votes_in_five_seconds_are_limited_and_fan_out_is_bounded(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    qid = await _approved_question(tokens, hubs[0])
    urls = [hubs[i % 2].ws_url for i in range(PANELIST_LIMIT)]
    async with connect(hubs[1].ws_url, tokens["obs"]) as watcher, many(urls, tokens["p1"]) as conns:
        await watcher.ok("subscribe", channel=QA)
        clients = [c for c in conns if isinstance(c, Client)]
        assert len(clients) == PANELIST_LIMIT
        per_conn = 2000 // len(clients)

        async def hammer(c: Client, k: int) -> None:
            for i in range(per_conn):
                kind = "qa.upvote" if i % 2 == 0 else "qa.unvote"
                frame = {"type": kind, "id": 10_000 + i, "meeting": "m1", "question": qid}
                with contextlib.suppress(Exception):  # a flooding connection gets closed (4008)
                    await c.send_raw(c.encode(frame))
                await asyncio.sleep(5 / per_conn)

        t0 = time.monotonic()
        await asyncio.gather(*(hammer(c, k) for k, c in enumerate(clients)))
        elapsed = time.monotonic() - t0
        await asyncio.sleep(1.5)  # the last replies and the coalesced events
        replies = [f for c in clients for f in c.frames if f.get("type") == "reply"]
        limited = [f for c in clients for f in c.frames if f.get("name") == "rate_limited"]
        voted = [e for e in watcher.events if e["channel"] == QA and e["event"] == "qa.voted"]
    # The bucket: 10 at once, then 1 per second, for the participant over every connection and hub.
    bound = 10 + elapsed + 2
    assert len(replies) <= bound, (len(replies), elapsed)
    assert len(voted) <= len(replies)
    assert limited and any(f["retry_after_ms"] > 0 and f["retryable"] for f in limited)


async def test_the_rate_is_per_participant_even_under_every_connections_own_rate(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    """Each connection stays well under its own limit (20/s): only the participant's bucket binds."""
    tokens = await seed(redis)
    qid = await _approved_question(tokens, hubs[0])
    urls = [hubs[i % 2].ws_url for i in range(PANELIST_LIMIT)]
    async with many(urls, tokens["p1"]) as conns:
        clients = [c for c in conns if isinstance(c, Client)]

        async def steady(c: Client) -> list[dict[str, Any]]:
            out = []
            for i in range(10):
                kind = "qa.upvote" if i % 2 == 0 else "qa.unvote"
                out.append(await c.call(kind, meeting="m1", question=qid))
                await asyncio.sleep(0.1)
            return out

        t0 = time.monotonic()
        results = [r for rs in await asyncio.gather(*(steady(c) for c in clients)) for r in rs]
        elapsed = time.monotonic() - t0
    ok = [r for r in results if r["type"] == "reply"]
    limited = [r for r in results if r.get("name") == "rate_limited"]
    assert len(ok) <= 10 + elapsed + 1, (len(ok), elapsed)
    assert len(ok) + len(limited) == 50
    assert all(0 < r["retry_after_ms"] <= 1000 for r in limited)


async def test_two_hubs_share_one_cast_bucket_and_the_refused_cast_stores_nothing(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    async with connect(hubs[0].ws_url, tokens["host"]) as host:
        await host.ok("vote.create", definition=DEFINITION)
        await host.ok("vote.open", vote=DEFINITION["vote_id"])
    ranking = [p["id"] for p in DEFINITION["proposals"][:3]]
    async with connect(hubs[0].ws_url, tokens["p1"]) as a, connect(hubs[1].ws_url, tokens["p1"]) as b:
        results = []
        t0 = time.monotonic()
        for i in range(12):  # alternating hubs: a per-hub limit would let 2 x 5 through
            c = a if i % 2 == 0 else b
            results.append(
                await c.call("vote.cast", vote=DEFINITION["vote_id"], ranking=ranking, nonce=f"nonce-{i:04d}")
            )
        elapsed = time.monotonic() - t0
    ok = [r for r in results if r["type"] == "reply"]
    limited = [r for r in results if r.get("name") == "rate_limited"]
    # The cast bucket: 5 at once, then one per 5 s, shared by both hubs.
    assert 5 <= len(ok) <= 5 + int(elapsed / 5) + 1 < 10, (len(ok), elapsed)
    assert len(ok) + len(limited) == 12
    assert all(r["retryable"] and r["retry_after_ms"] > 0 for r in limited)
    ballots = await redis.llen(keys.vote_key(DEFINITION["vote_id"], "ballots"))
    assert ballots == len(ok)


async def test_reads_are_not_rate_limited_per_participant(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["p1"]) as c:
        for _ in range(30):
            assert (await c.call("vote.list"))["type"] == "reply"
    assert roles.rate_class("vote.list") is None
