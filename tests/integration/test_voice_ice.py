"""The pages' STUN/TURN servers (issue 16, ``voice.config``) through a real hub on the embedded
Redis: the panelist who holds the floor, moderators and hosts get them, each with a TURN credential
of their own made with coturn's shared secret; a panelist without the floor and an observer do not;
a hub with no ICE server (the loopback default) gives none."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.support import HubProcess, connect, hub_pair, seed

STUN = "stun:stun.example.org:3478"
TURN = "turn:turn.example.org:3478?transport=udp"
SECRET = "north-seoul-assembly"


@pytest.fixture(scope="module")
def ice_hubs(
    redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[HubProcess, HubProcess]]:
    """A hub with STUN, TURN and coturn's shared secret (from a file), and one with nothing."""
    secret = tmp_path_factory.mktemp("turn") / "secret"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    first = ("--ice-server", STUN, "--ice-server", TURN)
    first += ("--turn-secret-file", str(secret), "--turn-ttl", "600")
    with hub_pair(redis_url, *first) as hubs:
        yield hubs


def _valid_for(server: dict[str, object], who: str) -> bool:
    """The credential is coturn's: ``expiry:who``, HMAC-SHA1 of it under the shared secret."""
    username, credential = str(server["username"]), str(server["credential"])
    expiry, _, named = username.partition(":")
    digest = hmac.new(SECRET.encode(), username.encode(), hashlib.sha1).digest()
    return named == who and base64.b64decode(credential) == digest and 590 <= int(expiry) - time.time() <= 610


async def test_the_pages_that_may_use_voice_get_the_servers(
    redis: Redis, ice_hubs: tuple[HubProcess, HubProcess], tmp_path: Path
) -> None:
    tokens = await seed(redis)
    a, _ = ice_hubs
    async with (
        connect(a.ws_url, tokens["p1"]) as p1,
        connect(a.ws_url, tokens["p2"]) as p2,
        connect(a.ws_url, tokens["host"]) as host,
        connect(a.ws_url, tokens["mod"]) as mod,
        connect(a.ws_url, tokens["obs"]) as obs,
    ):
        # hosts and moderators: always (their consoles listen), each their own credential
        for who, client in (("host", host), ("mod", mod)):
            got = await client.ok("voice.config", meeting="m1")
            stun, turn = got["ice_servers"]
            assert stun == {"urls": [STUN]}
            assert turn["urls"] == [TURN] and _valid_for(turn, who)
            assert got["expires_at"] == int(turn["username"].split(":")[0])
        # a panelist: only while holding the floor
        refused = await p1.call("voice.config", meeting="m1")
        assert refused["name"] == "not_on_the_floor" and refused["code"] == 2201
        await p1.ok("speakers.raise", meeting="m1")
        await mod.ok("speakers.next", meeting="m1", participant="p1")
        got = await p1.ok("voice.config", meeting="m1")
        assert _valid_for(got["ice_servers"][1], "p1")
        assert (await p2.call("voice.config", meeting="m1"))["name"] == "not_on_the_floor"
        # roles first: an observer is not on the row at all; an unknown meeting is refused
        assert (await obs.call("voice.config", meeting="m1"))["name"] == "forbidden"
        assert (await host.call("voice.config", meeting="nope"))["name"] == "unknown_meeting"
        # the floor taken away: the panelist no longer gets them
        await mod.ok("speakers.yield", meeting="m1")
        assert (await p1.call("voice.config", meeting="m1"))["name"] == "not_on_the_floor"
        # the secret itself is never sent
        assert SECRET not in str(got)


async def test_no_server_on_loopback_by_default(
    redis: Redis, ice_hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    _, b = ice_hubs
    async with connect(b.ws_url, tokens["host"]) as host:
        assert await host.ok("voice.config", meeting="m1") == {"ice_servers": [], "expires_at": 0}
