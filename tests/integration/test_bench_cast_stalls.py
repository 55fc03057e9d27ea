"""``loadtest.bench_cast``'s reading of Redis' latency monitor: a round's stalls, the report's
longest one, and which rounds over the p99 target an fsync accounts for."""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine.server import ensure_server
from loadtest.bench_cast import (
    LATENCY_THRESHOLD_MS,
    fsync_stall,
    latency_line,
    longest_stall,
    redis_latency,
)


def test_the_longest_stall_and_the_log_line() -> None:
    stalls = {"aof-fsync-always": 164, "command": 18}
    assert longest_stall(stalls) == "164 ms (aof-fsync-always)"
    assert longest_stall({}) == f"< {LATENCY_THRESHOLD_MS} ms"
    assert longest_stall(None) == "?"  # a run without the monitor
    assert latency_line(stalls) == "aof-fsync-always 164 ms, command 18 ms"
    assert latency_line({}) == f"none ≥ {LATENCY_THRESHOLD_MS} ms"
    assert fsync_stall({"redis_stalls": stalls}) == 164
    assert fsync_stall({"redis_stalls": {"command": 40}}) == 0
    assert fsync_stall({"redis_stalls": None}) == 0


def test_a_slow_command_is_read_from_the_real_redis_and_the_reset_clears_it_and_rearms(
    tmp_path: Path,
) -> None:
    server = ensure_server(tmp_path)
    try:

        async def go() -> tuple[dict[str, int], dict[str, int]]:
            from redis.asyncio import Redis

            r = Redis.from_url(server.url)
            try:
                await redis_latency(server.url, reset=True)  # arms the monitor (threshold 5 ms)
                await r.execute_command("DEBUG", "SLEEP", "0.03")  # a 30 ms command
                first = await redis_latency(server.url, reset=True)
                return first, await redis_latency(server.url, reset=False)
            finally:
                await r.aclose()

        first, after_reset = asyncio.run(go())
    finally:
        server.stop()
    assert first.get("command", 0) >= 25, first
    assert after_reset == {}
