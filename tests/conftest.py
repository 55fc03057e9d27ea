"""Shared fixtures: one real embedded Redis per test session (flushed before each test that uses it)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from engine.server import EmbeddedRedis, ensure_server
from tests.support import redis_client


@pytest.fixture(scope="session")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = ensure_server(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
async def redis(embedded: EmbeddedRedis) -> AsyncIterator[Redis]:
    client = redis_client(embedded.url)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path
