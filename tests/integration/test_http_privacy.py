"""What the hub's HTTP side gives away (issue 9): no token in any log line, whatever the client
puts in its URL; response headers that limit framing, connections and uploads; a receipt lookup
that keeps the tracking code out of every URL. On real hub processes over real sockets."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis
from websockets.exceptions import InvalidStatus

from engine.server import EmbeddedRedis
from tests.integration.test_vote import cast, open_vote_small
from tests.support import HubProcess, connect, seed

SECRET = "SECRETtoken0123456789"


async def test_a_token_in_the_query_string_reaches_no_log_line(redis: Redis, embedded: EmbeddedRedis) -> None:
    tokens = await seed(redis)
    hub = HubProcess(embedded.url, "--log-level", "debug").wait_ready()
    try:
        async with connect(f"{hub.ws_url}?token={SECRET}&t={tokens['p1']}", tokens["p1"]) as c:
            await c.ok("subscribe", channel="meeting/m1/chat")
        with pytest.raises(InvalidStatus):  # refused handshake: logged with its URL too
            async with connect(f"{hub.ws_url}?token={SECRET}'\"x", origin="https://evil.example"):
                pass
        async with httpx.AsyncClient(base_url=hub.url) as http:
            await http.get(f"/healthz?token={SECRET}")
            await http.get(f"/api/me?token={SECRET}", headers={"Authorization": f"Bearer {SECRET}"})
    finally:
        hub.stop()
    lines = hub.output().splitlines()
    leaked = [line for line in lines if SECRET in line or tokens["p1"] in line]
    assert leaked == []
    assert any('"WebSocket /ws?[redacted]' in line for line in lines), lines  # logged, without it


async def test_receipt_lookup_takes_the_code_in_a_post_body_and_refuses_it_in_a_url(
    redis: Redis, hub: HubProcess
) -> None:
    tokens = await seed(redis)
    await open_vote_small(hub, tokens["host"])
    cast_reply = await cast(hub, tokens["p1"], ["P00", "P01", "P02"], "nonce-p1-0001")
    code = cast_reply["result"]["tracking_code"]
    async with connect(hub.ws_url, tokens["host"]) as host:
        await host.ok("vote.close", vote="plenary-1")
        await host.ok("vote.publish", vote="plenary-1")
    async with httpx.AsyncClient(base_url=hub.url) as http:
        found = await http.post("/api/votes/plenary-1/receipt", json={"code": code})
        assert found.status_code == 200 and found.json()["found"] is True
        assert found.json()["entry"]["ranking"] == ["P00", "P01", "P02"]
        assert found.headers["cache-control"] == "no-store"
        # In the URL: refused, and the answer says why and where the code goes instead.
        for method in ("GET", "POST"):
            old = await http.request(method, f"/api/votes/plenary-1/receipt/{code}")
            assert old.status_code == 400, method
            assert old.json()["name"] == "secret_in_url" and "POST" in old.json()["message"]
            assert code not in old.text and "ranking" not in old.text
        for body in (b"", b"{}", b'{"code": 5}', b"not json", b'{"code": "x", "voter": "p1"}'):
            bad = await http.post("/api/votes/plenary-1/receipt", content=body)
            assert (bad.status_code, bad.json()["name"]) == (400, "bad_field"), body
        big = await http.post("/api/votes/plenary-1/receipt", content=b'{"code": "' + b"A" * 5000 + b'"}')
        assert (big.status_code, big.json()["name"]) == (400, "too_large")
        # The hub still answers after bad input.
        assert (await http.post("/api/votes/plenary-1/receipt", json={"code": code})).json()["found"] is True


def csp(response: httpx.Response) -> dict[str, str]:
    """A Content-Security-Policy header as directive -> its sources."""
    out = {}
    for part in response.headers["content-security-policy"].split(";"):
        name, _, value = part.strip().partition(" ")
        out[name] = value.strip()
    return out


async def test_only_the_overlay_may_be_framed_pages_connect_only_home_and_uploads_run_sandboxed(
    redis: Redis, hub: HubProcess
) -> None:
    from realtime.http.routes import PAGES

    tokens = await seed(redis)
    async with httpx.AsyncClient(base_url=hub.url) as http:
        for path, name in [
            *PAGES.items(),
            ("/static/pages/index.js", "pages/index.js"),
            ("/static/lib/client.js", "lib/client.js"),
            ("/static/overlay.html", "overlay.html"),
        ]:
            r = await http.get(path.format(vote="v1", meeting="m1", proposal="1"))
            policy = csp(r)
            assert policy["connect-src"] == "'self'", path
            assert r.headers["x-content-type-options"] == "nosniff", path
            if name == "overlay.html":
                assert policy["frame-ancestors"] == "*", path
                assert "x-frame-options" not in r.headers, path
            else:
                assert policy["frame-ancestors"] == "'none'", path
                assert r.headers["x-frame-options"] == "DENY", path

        auth = {"Authorization": f"Bearer {tokens['host']}"}
        png = b"\x89PNG\r\n\x1a\n" + b"<html><script>alert(1)</script></html>"
        up = await http.post("/api/meetings/m1/uploads?name=s.png", content=png, headers=auth)
        assert up.status_code == 201, up.text
        got = await http.get(f"/api/meetings/m1/uploads/{up.json()['id']}", headers=auth)
        assert got.status_code == 200 and got.content == png
        assert got.headers["content-security-policy"] == "sandbox"
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["content-type"] == "image/png"
