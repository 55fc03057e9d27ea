"""Shared fixtures: one real embedded Redis per test session (flushed before each test that uses it).

``redis_url`` is the server a module's tests use: the embedded Redis, unless the module overrides it
(``tests.cluster.both_servers``: the embedded Redis and a real Redis Cluster)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from engine.server import EmbeddedRedis, ensure_server
from tests.cluster import running_cluster
from tests.examples import register_profiles
from tests.support import redis_client
from tools.redis_cluster import Cluster

register_profiles()  # before pytest reads --hypothesis-profile (tests/examples.py)


@pytest.fixture(scope="session")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = ensure_server(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Three masters with a replica each, started on first use (``tests.cluster``)."""
    with running_cluster(tmp_path_factory.mktemp("cluster")) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def redis_url(embedded: EmbeddedRedis) -> str:
    return embedded.url


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = redis_client(redis_url)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path


# -- where the suite's time goes (``make test`` has a 10-minute budget) ---------------------------
_FILE_SECONDS: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Each test's setup, call and teardown, summed per file (on the xdist controller too: the
    workers' reports carry their durations)."""
    path = report.nodeid.split("::", 1)[0]
    _FILE_SECONDS[path] = _FILE_SECONDS.get(path, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The files that cost most, and the sum: the figure to cut when the run is over budget (a
    file runs on one worker under ``--dist loadfile``, so the largest file bounds the wall time)."""
    if len(_FILE_SECONDS) < 20:  # a few files run by hand: the per-test durations say enough
        return
    total = sum(_FILE_SECONDS.values())
    terminalreporter.section("slowest files (seconds summed over their tests)")
    for path, seconds in sorted(_FILE_SECONDS.items(), key=lambda kv: -kv[1])[:20]:
        terminalreporter.write_line(f"{seconds:8.1f}  {path}")
    terminalreporter.write_line(f"{total:8.1f}  in all, over {len(_FILE_SECONDS)} files")
