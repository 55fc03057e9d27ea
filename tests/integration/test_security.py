"""Security defaults seen from outside: roles enforced by the server, tokens never in logs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from redis.asyncio import Redis

from engine import keys
from engine.server import EmbeddedRedis
from tests.support import PEOPLE, HubProcess, connect, seed

WEB = Path(__file__).parents[2] / "realtime" / "web"

CAN_CHAT = {"panelist", "moderator", "host"}


@pytest.mark.parametrize("who", [p.id for p in PEOPLE if p.meetings == ["*"] or "m1" in p.meetings])
async def test_server_enforces_chat_role(redis: Redis, hub: HubProcess, who: str) -> None:
    tokens = await seed(redis)
    role = next(p.role for p in PEOPLE if p.id == who)
    async with connect(hub.ws_url, tokens[who]) as c:
        res = await c.call("chat.send", meeting="m1", text="hi")
        if role in CAN_CHAT:
            assert res["type"] == "reply"
        else:
            assert res["name"] == "forbidden"


@pytest.mark.parametrize(("who", "allowed"), [("p1", False), ("obs", False), ("ops", True), ("host", True)])
async def test_ops_channel_is_for_ops_and_hosts(
    redis: Redis, hub: HubProcess, who: str, allowed: bool
) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens[who]) as c:
        res = await c.call("subscribe", channel="ops")
        assert (res["type"] == "reply") is allowed


async def test_tokens_never_reach_the_logs(redis: Redis, embedded: EmbeddedRedis) -> None:
    tokens = await seed(redis)
    hub = HubProcess(embedded.url, "--log-level", "debug").wait_ready()
    try:
        async with connect(hub.ws_url, tokens["p1"]) as c:
            await c.ok("chat.send", meeting="m1", text="logged?")
        async with connect(hub.ws_url) as c:
            await c.call("hello", token="wrong-token-XYZ")
            await asyncio.wait_for(c.closed, 5)
    finally:
        hub.stop()
    assert hub.proc.stdout is not None
    out = hub.output()
    assert '"hello"' in out or "hello" in out  # the canonical line was written
    assert tokens["p1"] not in out and "wrong-token-XYZ" not in out


async def test_revoking_a_link_closes_its_live_connections_on_every_hub(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    from panel.roster import Roster

    tokens = await seed(redis)
    async with (
        connect(hubs[0].ws_url, tokens["p1"]) as a,
        connect(hubs[1].ws_url, tokens["p1"]) as b,
        connect(hubs[0].ws_url, tokens["p2"]) as bystander,
    ):
        await Roster(redis).revoke("p1")
        assert (await asyncio.wait_for(a.closed, 5))[0] == 4012
        assert (await asyncio.wait_for(b.closed, 5))[0] == 4012
        assert (await bystander.call("ping"))["type"] == "reply"
    async with connect(hubs[0].ws_url) as again:
        assert (await again.call("hello", token=tokens["p1"]))["name"] == "bad_token"


async def test_subscribing_to_made_up_channels_creates_nothing(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    before = set(await redis.keys("*"))
    async with connect(hub.ws_url, tokens["p1"]) as c:
        assert (await c.call("subscribe", channel="vote/nope"))["name"] == "unknown_vote"
        # An overlay is a meeting's channel: membership first (issue 9), then the meeting must exist.
        assert (await c.call("subscribe", channel="overlay/nope"))["name"] == "not_a_member"
    async with connect(hub.ws_url, tokens["host"]) as c:
        assert (await c.call("subscribe", channel="overlay/nope"))["name"] == "unknown_meeting"
        assert (await c.call("subscribe", channel="meeting/nope/chat"))["name"] in (
            "unknown_meeting",
            "not_a_member",
        )
    # The hubs' own liveness, written once a second, who is connected to each hub, and the load
    # reports each hub publishes on the ops channel on its own clock (any moment during this test).
    ops = (keys.channel_keys(keys.OPS).meta, keys.channel_keys(keys.OPS).hist)
    heartbeats = {k.encode() for k in (keys.HUBS, keys.CONNECTION_HUBS, *ops)}
    presence = keys.presence("").encode()

    def hubs_own(k: bytes) -> bool:
        return k in heartbeats or k.startswith(presence)

    for _ in range(50):  # a closed connection's slot is released by the hub just after the close
        if not [k for k in await redis.keys("pl:{conn}:*") if not hubs_own(k)]:
            break
        await asyncio.sleep(0.1)
    after = {k for k in await redis.keys("*") if not hubs_own(k)}
    assert after - before == set()


async def test_every_page_is_served_with_its_content_security_policy(hub: HubProcess) -> None:
    import httpx

    from realtime.http.routes import HEAD_FILE, HEADER_FILE, PAGES, render_page

    header = (WEB / HEADER_FILE).read_text(encoding="utf-8")
    head = (WEB / HEAD_FILE).read_text(encoding="utf-8")
    async with httpx.AsyncClient(base_url=hub.url) as http:
        for path, name in PAGES.items():
            r = await http.get(path.format(vote="v1", meeting="m1", proposal="1"))
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
            assert "script-src 'self'" in r.headers["content-security-policy"], path
            assert r.text == render_page((WEB / name).read_text(encoding="utf-8"), header, head), path
            assert "<!--#" not in r.text, path
            assert (await http.get(f"/static/{name}")).text == r.text, path
        for module in sorted(WEB.glob("*/*.js")):
            r = await http.get(f"/static/{module.parent.name}/{module.name}")
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript"), module
            assert r.text == module.read_text(encoding="utf-8")
        for outside in (
            "/static/../pyproject.toml",
            "/static/lib/header.html",  # the header's template: part of each page, not a page
            "/static/lib/../../http.py",
            "/static/protocol/codec.js",
            "/static/.hidden/x.js",
            "/static/lib",
        ):
            assert (await http.get(outside)).status_code == 404, outside
