"""The TURN credentials against a real coturn (issue 16): a coturn with ``use-auth-secret`` on
loopback accepts the credential ``voice.config`` hands a page (an allocation made with aioice, the
TURN client aiortc uses) and refuses one minted with another secret or expired; a hub started with
the same secret and that TURN server gets a relay candidate of its own (its ``hub-<id>`` credential
works) into its answer.

Needs coturn's ``turnserver``: ``make packages`` installs it (``tools/system_packages.py``, as
nginx for tests/integration/test_nginx.py); without it the test fails naming the one command.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aioice.turn import create_turn_endpoint
from redis.asyncio import Redis

from loadtest.voice_peers import Tone, speak
from moderation.voice_ice import turn_credential
from tests.support import HubProcess, connect, free_port, seed
from tools.system_packages import find_program, install_command

SECRET = "north-seoul-assembly"


def turnserver() -> str:
    """coturn's binary, or an error naming the one command that installs it."""
    path = find_program("turnserver")
    if path is None:
        raise FileNotFoundError(
            f"coturn is not installed: `make packages`, or {' '.join(install_command(['turnserver']))}"
        )
    return path


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """coturn on 127.0.0.1 with the shared secret; its UDP port."""
    folder = tmp_path_factory.mktemp("coturn")
    port = free_port()
    proc = subprocess.Popen(
        [turnserver(), "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
         f"--listening-port={port}", "--use-auth-secret", f"--static-auth-secret={SECRET}",
         "--realm=plenary.test", "--no-tls", "--no-dtls", "--no-cli", "--allow-loopback-peers",
         f"--log-file={folder / 'turn.log'}", f"--pidfile={folder / 'turn.pid'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)
    try:
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def _allocate(port: int, username: str, password: str) -> bool:
    try:
        transport, _ = await asyncio.wait_for(
            create_turn_endpoint(asyncio.DatagramProtocol, ("127.0.0.1", port), username, password), 5
        )
    except Exception:
        return False
    transport.close()
    return True


async def test_coturn_takes_the_credential_a_page_gets(coturn: int) -> None:
    now = int(time.time())
    assert await _allocate(coturn, *turn_credential(SECRET, "p1", now, 600))
    assert not await _allocate(coturn, *turn_credential("another", "p1", now, 600))
    assert not await _allocate(coturn, *turn_credential(SECRET, "p1", now - 7200, 600))  # expired


async def test_the_hub_relays_through_coturn(
    redis_url: str, redis: Redis, coturn: int, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_text(SECRET)
    turn = f"turn:127.0.0.1:{coturn}?transport=udp"
    hub = HubProcess(redis_url, "--ice-server", turn, "--turn-secret-file", str(secret)).wait_ready()
    try:
        tokens = await seed(redis)
        async with connect(hub.ws_url, tokens["p1"]) as p1, connect(hub.ws_url, tokens["mod"]) as mod:
            await p1.ok("speakers.raise", meeting="m1")
            await mod.ok("speakers.next", meeting="m1", participant="p1")
            config = await p1.ok("voice.config", meeting="m1")
            (server,) = config["ice_servers"]
            assert server["urls"] == [turn]
            assert await _allocate(coturn, server["username"], server["credential"])  # the page's works
            pc, answer = await speak(p1.ok, "m1", Tone(440))
            assert " typ relay " in answer["sdp"]  # the hub's own credential works too
            await mod.ok("speakers.yield", meeting="m1")
            await pc.close()
    finally:
        hub.stop()
