"""The hub's direct read path (``realtime.endpoint.Commands``, ``HubWebSocketProtocol.deliver_to``)
through a real hub process: frames reach the commands from the socket's read callback and a cast
is started there, with no task; the protocol's promise still holds, one reply per command in the
order of the commands, whatever mix of casts, task-run commands and refusals is pipelined."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from starlette.testclient import TestClient

from engine import keys
from engine.server import EmbeddedRedis
from realtime.app import create_app
from realtime.config import Settings
from tests.integration.test_vote import DEFINITION
from tests.support import HubProcess, connect, seed

VOTE = DEFINITION["vote_id"]
RANKING = [p["id"] for p in DEFINITION["proposals"][:3]]


async def open_vote(hub: HubProcess, token: str) -> None:
    async with connect(hub.ws_url, token) as host:
        await host.ok("vote.create", definition=DEFINITION)
        await host.ok("vote.open", vote=VOTE)


async def answers(client: Any, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The first ``count`` replies and errors the client received after ``hello``'s, in order
    (events left out)."""
    deadline = time.monotonic() + timeout
    while True:
        got = [f for f in client.frames[1:] if f.get("type") in ("reply", "error")]
        if len(got) >= count:
            return got[:count]
        assert time.monotonic() < deadline, got
        await asyncio.sleep(0.02)


async def test_pipelined_casts_and_other_commands_are_answered_in_order(
    redis: Redis, hub: HubProcess
) -> None:
    tokens = await seed(redis)
    await open_vote(hub, tokens["host"])
    for codec in ("plenary.v1.json", "plenary.v1.msgpack"):
        async with connect(hub.ws_url, tokens["p1" if codec.endswith("json") else "p2"], codec) as c:
            nonce = f"nonce-{codec[-4:]}"
            sent = [
                {"type": "vote.cast", "id": 101, "vote": VOTE, "ranking": RANKING, "nonce": nonce},
                {"type": "ping", "id": 102},  # run by the connection's task
                {"type": "vote.cast", "id": 103, "vote": VOTE, "ranking": ["nope"], "nonce": "nonce-bad"},
                {"type": "subscribe", "id": 104, "channel": f"vote/{VOTE}"},
                {"type": "vote.cast", "id": 105, "vote": VOTE, "ranking": RANKING, "nonce": nonce},
                {"type": "no.such.command", "id": 106},  # refused before any command runs
                {"type": "vote.mine", "id": 107, "vote": VOTE},
            ]
            for frame in sent:  # all written before the first reply can arrive
                await c.send_raw(c.encode(frame))
            got = await answers(c, len(sent))
            assert [f.get("id") for f in got] == [f["id"] for f in sent]
            assert [f["type"] for f in got] == ["reply", "reply", "error", "reply", "reply", "error", "reply"]
            first, again = got[0]["result"], got[4]["result"]
            assert again["retry"] is True and again["tracking_code"] == first["tracking_code"]
            assert got[6]["result"]["voted"] is True
            assert got[6]["result"]["counted"]["tracking_code"] == first["tracking_code"]
    assert await redis.llen(keys.vote_key(VOTE, "ballots")) == 2


async def test_a_flood_of_pipelined_casts_is_answered_in_order_and_limited_per_participant(
    redis: Redis, hub: HubProcess
) -> None:
    """More frames than the read-ahead bound at once: the socket is held and read again as the
    commands are answered; every command gets its one reply, in order. The cast bucket (5 at once,
    ``cast.lua``'s check) and the connection's own bucket refuse what passes them."""
    tokens = await seed(redis)
    await open_vote(hub, tokens["host"])
    async with connect(hub.ws_url, tokens["p1"], "plenary.v1.msgpack") as c:
        n = 30
        frames = [
            c.encode(
                {
                    "type": "vote.cast",
                    "id": 1000 + i,
                    "vote": VOTE,
                    "ranking": RANKING,
                    "nonce": f"nonce-{i:04d}",
                }
            )
            for i in range(n)
        ]
        for frame in frames:
            await c.send_raw(frame)
        got = await answers(c, n)
    assert [f["id"] for f in got] == [1000 + i for i in range(n)]
    ok = [f for f in got if f["type"] == "reply"]
    assert len(ok) == 5 and all(f["type"] == "reply" for f in got[:5])
    assert {f["name"] for f in got[5:]} == {"rate_limited"}
    assert await redis.llen(keys.vote_key(VOTE, "ballots")) == 5


async def test_a_peer_leaving_with_a_cast_in_flight_leaves_the_hub_serving(
    redis: Redis, hub: HubProcess
) -> None:
    """The cast's reply is written after the connection is gone (into a closed writer, dropped);
    the ballot is stored all the same and the participant's next connection works."""
    tokens = await seed(redis)
    await open_vote(hub, tokens["host"])
    async with connect(hub.ws_url, tokens["p2"]) as c:  # the hub reads the vote's definition
        await c.ok("vote.cast", vote=VOTE, ranking=RANKING, nonce="nonce-p2-1")
    cast = {"type": "vote.cast", "id": 1, "vote": VOTE, "ranking": RANKING, "nonce": "nonce-gone"}
    async with connect(hub.ws_url, tokens["p1"]) as c:
        await c.send_raw(c.encode(cast))
    deadline = time.monotonic() + 10
    while await redis.llen(keys.vote_key(VOTE, "ballots")) < 2:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    async with connect(hub.ws_url, tokens["p1"]) as c:
        again = await c.ok("vote.cast", vote=VOTE, ranking=RANKING, nonce="nonce-gone")
        assert again["retry"] is True
        assert (await c.ok("vote.mine", vote=VOTE))["voted"] is True


async def test_on_another_asgi_server_a_task_reads_the_frames_and_the_order_holds(
    redis: Redis, embedded: EmbeddedRedis, tmp_path: Path
) -> None:
    """Without ``wsproto`` (Starlette's TestClient here) there is no direct read path: ``_feed``
    reads each frame from ASGI ``receive`` into the same ``Commands``, with the same order."""
    tokens = await seed(redis)
    app = create_app(Settings(redis_url=embedded.url, data_dir=tmp_path))

    def run() -> list[dict[str, Any]]:
        with TestClient(app) as http, http.websocket_connect("/ws", subprotocols=["plenary.v1.json"]) as ws:
            ws.send_text(json.dumps({"type": "hello", "id": 1, "token": tokens["p1"]}))
            assert ws.receive_json()["type"] == "reply"
            for frame in (
                {"type": "ping", "id": 2},
                {"type": "no.such.command", "id": 3},
                {"type": "vote.list", "id": 4},
            ):
                ws.send_text(json.dumps(frame))
            return [ws.receive_json() for _ in range(3)]

    got = await asyncio.to_thread(run)
    assert [(f["type"], f["id"]) for f in got] == [("reply", 2), ("error", 3), ("reply", 4)]
