"""What the hub writes to disk is for its own user only (issue 9): the embedded Redis' data dir
(every ballot with its voter) is 0700 and every file in it 0600, AOF included; vote exports and
link lists are 0600 in 0700 folders. Checked with ``os.stat`` on real files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from redis.asyncio import Redis

from engine import private
from engine.server import EmbeddedRedis, ensure_server
from tests.integration.test_cli import plenary
from tests.integration.test_vote import cast, open_vote_small
from tests.support import HubProcess, connect, redis_client, seed


def modes(folder: Path) -> dict[str, int]:
    """Every entry under ``folder`` (itself as ``.``): relative path -> permission bits."""
    out = {".": stat.S_IMODE(folder.stat().st_mode)}
    for path in folder.rglob("*"):
        out[str(path.relative_to(folder))] = stat.S_IMODE(path.lstat().st_mode)
    return out


async def test_embedded_redis_data_dir_and_every_file_in_it_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    (data / "redis.log").write_text("from an older version\n")
    os.chmod(data / "redis.log", 0o644)  # left readable by an older version: tightened at start
    (data / "notes.sh").write_text("echo not ours\n")
    os.chmod(data / "notes.sh", 0o755)  # not the hub's: left as it is
    server = ensure_server(data)
    try:
        r = redis_client(server.url)
        try:
            await r.set("pl:ballot", "p1 ranked P03 first")
            await r.bgrewriteaof()  # a rewrite creates new files: they are private too
            for _ in range(200):
                if (await r.info("persistence"))["aof_rewrite_in_progress"] == 0:
                    break
                await r.execute_command("PING")
            await r.set("pl:after", "1")
        finally:
            await r.aclose()
        found = modes(data)
        assert found["."] == 0o700
        assert "appendonly.aof" in found and found["appendonly.aof"] == 0o600
        assert found.pop("notes.sh") == 0o755
        for name, mode in found.items():
            if name == ".":
                continue
            path = data / name
            if path.is_socket():
                assert mode & 0o077 == 0, name
            elif path.is_dir():
                assert mode == 0o700, name
            else:
                assert mode == 0o600, (name, oct(mode))
    finally:
        server.stop()


async def test_vote_exports_and_link_lists_are_private(
    redis: Redis, hub: HubProcess, embedded: EmbeddedRedis, tmp_path: Path
) -> None:
    tokens = await seed(redis)
    await open_vote_small(hub, tokens["host"])
    await cast(hub, tokens["p1"], ["P00", "P01", "P02"], "nonce-p1-0001")
    async with connect(hub.ws_url, tokens["host"]) as host:
        await host.ok("vote.close", vote="plenary-1")
        await host.ok("vote.publish", vote="plenary-1")
    out = tmp_path / "exports"
    plenary("vote", "export", "plenary-1", "--out", str(out), "--redis-url", embedded.url)
    found = modes(out)
    assert found.pop(".") == 0o700
    assert sorted(found) == sorted(
        f"plenary-1-{n}" for n in ("export.json", "board.csv", "ballots.soi", "ballots.toi")
    )
    assert set(found.values()) == {0o600}

    links = tmp_path / "links.csv"
    plenary(
        "links", "--out", str(links), "--base-url", "http://127.0.0.1:9", "--redis-url", embedded.url, "--yes"
    )
    assert stat.S_IMODE(links.stat().st_mode) == 0o600


def test_write_private_replaces_a_readable_file_with_a_private_one(tmp_path: Path) -> None:
    target = tmp_path / "old.csv"
    target.write_text("old")
    os.chmod(target, 0o644)
    private.write_private(target, "새 내용")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and target.read_text() == "새 내용"
    assert [p.name for p in tmp_path.iterdir()] == ["old.csv"]  # no temporary file left behind
