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
from tests.support import redis_client
from tools.redis_cluster import Cluster


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
