"""Meeting chat through real hub processes, real sockets and the real embedded Redis."""

from __future__ import annotations

import asyncio

import httpx
from redis.asyncio import Redis

from panel.roster import Participant
from realtime.config import Settings
from tests.cluster import both_servers
from tests.support import HubProcess, connect, seed

redis_url = both_servers  # every test here runs on the embedded Redis and on a Redis Cluster

CHAT = "meeting/m1/chat"


async def test_message_sent_on_one_hub_reaches_clients_of_the_other(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = hubs
    async with (
        connect(a.ws_url, tokens["p1"]) as alice,
        connect(b.ws_url, tokens["p2"], "plenary.v1.msgpack") as bob,
    ):
        await alice.ok("subscribe", channel=CHAT)
        await bob.ok("subscribe", channel=CHAT)
        sent = await alice.ok("chat.send", meeting="m1", text="안녕하세요, from hub A")
        [got] = await bob.wait_events(CHAT, 1)
        assert got["offset"] == sent["offset"]
        assert got["data"]["text"] == "안녕하세요, from hub A"
        assert got["data"]["author"] == {"id": "p1", "name": "패널 하나", "role": "panelist"}
        [echo] = await alice.wait_events(CHAT, 1)
        assert echo["offset"] == got["offset"] and echo["epoch"] == got["epoch"]


async def test_history_on_join_and_text_is_kept_verbatim(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["p1"]) as alice:
        for text in ["first", "<script>alert(1)</script>", "third"]:
            await alice.ok("chat.send", meeting="m1", text=text)
    async with connect(hub.ws_url, tokens["p2"]) as bob:
        sub = await bob.ok("subscribe", channel=CHAT)
        assert [e["data"]["text"] for e in sub["events"]] == ["first", "<script>alert(1)</script>", "third"]
        assert [e["offset"] for e in sub["events"]] == [1, 2, 3]
        assert sub["recovered"] is False and sub["offset"] == 3


async def test_chat_rules_have_stable_codes_and_store_nothing(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["p1"]) as alice:
        cases = {
            "empty_message": {"meeting": "m1", "text": "   \u200b "},
            "message_too_long": {"meeting": "m1", "text": "가" * 501},
            "not_a_member": {"meeting": "m2", "text": "hi"},
            "bad_field": {"meeting": "no such meeting!", "text": "hi"},
        }
        for code, fields in cases.items():
            err = await alice.call("chat.send", **fields)
            assert (err["type"], err["name"]) == ("error", code), err
    async with connect(hub.ws_url, tokens["host"]) as host:
        err = await host.call("chat.send", meeting="nope", text="hi")
        assert err["name"] == "unknown_meeting"
        sub = await host.ok("subscribe", channel=CHAT)
        assert sub["events"] == [] and sub["offset"] == 0  # nothing stored half-way


async def test_per_participant_rate_limit_holds_across_hubs(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = hubs
    async with connect(a.ws_url, tokens["p1"]) as one, connect(b.ws_url, tokens["p1"]) as two:
        results = []
        for i in range(8):
            conn = one if i % 2 else two
            results.append(await conn.call("chat.send", meeting="m1", text=f"msg {i}"))
        names = [r["type"] if r["type"] == "reply" else r["name"] for r in results]
        assert names == ["reply"] * 5 + ["rate_limited"] * 3
        assert all(r["retryable"] and 0 < r["retry_after_ms"] <= 10_000 for r in results[5:])


async def test_the_welcome_tells_the_connection_s_command_bucket(redis: Redis, hub: HubProcess) -> None:
    """What a page paces its commands by (``realtime/web/lib/client.js`` ``Pacer``): the hub's own
    rate and burst, not a rule of its own."""
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["p1"]) as one:
        limits = one.welcome["limits"]
        assert (limits["rate"], limits["burst"]) == (int(Settings.rate), int(Settings.burst))


async def test_observer_reads_but_cannot_chat(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["obs"]) as obs:
        assert "chat.send" not in obs.welcome["may"] and "subscribe" in obs.welcome["may"]
        await obs.ok("subscribe", channel=CHAT)
        err = await obs.call("chat.send", meeting="m1", text="hello")
        assert err["name"] == "forbidden"


async def test_chat_archive_over_http_needs_a_token(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["p1"]) as alice:
        await alice.ok("chat.send", meeting="m1", text="for the record")
    async with httpx.AsyncClient(base_url=hub.url) as http:
        assert (await http.get("/api/meetings/m1/chat")).status_code == 401
        r = await http.get("/api/meetings/m1/chat", headers={"Authorization": f"Bearer {tokens['p3']}"})
        assert r.status_code == 403 and r.json()["name"] == "not_a_member"
        r = await http.get("/api/meetings/m1/chat", headers={"Authorization": f"Bearer {tokens['mod']}"})
        assert [m["text"] for m in r.json()["messages"]] == ["for the record"]
        me = await http.get("/api/me", headers={"Authorization": f"Bearer {tokens['p1']}"})
        assert me.json()["role"] == "panelist"


async def test_many_clients_all_receive_every_message_in_order(redis: Redis, hub: HubProcess) -> None:
    # Twenty listeners are twenty people: one panelist may hold only a few connections (issue 9).
    people = [
        Participant(id=f"l{i:02d}", name=f"듣는 사람 {i}", role="panelist", meetings=["m1"])
        for i in range(20)
    ]
    tokens = await seed(redis, people)
    async with connect(hub.ws_url, tokens["p1"]) as sender:
        listeners = [connect(hub.ws_url, tokens[p.id]) for p in people]
        clients = [await cm.__aenter__() for cm in listeners]
        try:
            for c in clients:
                await c.ok("subscribe", channel=CHAT)
            for i in range(5):
                await sender.ok("chat.send", meeting="m1", text=f"line {i}")
            for c in clients:
                got = await c.wait_events(CHAT, 5)
                assert [e["offset"] for e in got] == [1, 2, 3, 4, 5]
        finally:
            await asyncio.gather(*(cm.__aexit__(None, None, None) for cm in listeners))


async def test_a_retry_with_the_same_nonce_posts_nothing_new(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = hubs
    async with connect(a.ws_url, tokens["p1"]) as one, connect(b.ws_url, tokens["p1"]) as other:
        first = await one.ok("chat.send", meeting="m1", text="한 번만", nonce="msg-000001")
        again = await other.ok(
            "chat.send", meeting="m1", text="한 번만", nonce="msg-000001"
        )  # lost reply, other hub
        assert first["retry"] is False and again["retry"] is True
        assert (again["offset"], again["epoch"]) == (first["offset"], first["epoch"])
        assert (await one.call("chat.send", meeting="m1", text="x", nonce="bad nonce"))["name"] == "bad_nonce"
        sub = await one.ok("subscribe", channel=CHAT)
        assert [e["data"]["text"] for e in sub["events"]] == ["한 번만"]


async def test_ops_staff_see_every_hub_s_load_on_the_ops_channel(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    async with connect(hubs[0].ws_url, tokens["ops"]) as ops, connect(hubs[1].ws_url, tokens["p1"]):
        await ops.ok("subscribe", channel="ops")
        seen: set[str] = set()
        for _ in range(40):
            reports = [e["data"] for e in ops.events if e["channel"] == "ops" and e["event"] == "ops.hub"]
            seen = {r["hub"] for r in reports}
            if len(seen) >= 2:
                break
            await asyncio.sleep(0.25)
        assert len(seen) >= 2, reports
        assert all(r["connections"] >= 1 for r in reports if r["connections"] is not None)
        assert {"frames_out_per_s", "delivery_p99_ms", "redis_rtt_ms", "dropped_total"} <= set(reports[-1])
