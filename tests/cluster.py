"""Run tests on a real Redis Cluster as well as the embedded Redis.

A test module that should hold on both (the chat, recovery and vote paths) overrides the
``redis_url`` fixture with ``both_servers``::

    redis_url = both_servers  # every test here runs on the embedded Redis and on a Redis Cluster

``redis_cluster_servers`` starts three masters with a replica each (``tools/redis_cluster.py``, the
system's Redis 7) once per session, the first time a test asks for it, and stops every server it
started at the end. Without Redis 7 those tests skip, naming the one command that installs it
(``make test`` installs it itself when it may: ``tools/system_packages.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.server import EmbeddedRedis
from tools import redis_cluster
from tools.redis_server import INSTALL_COMMAND, find_redis

SERVERS = ("embedded", "cluster")


@contextlib.contextmanager
def running_cluster(root: Path) -> Iterator[redis_cluster.Cluster]:
    """A started cluster under ``root``, stopped on the way out (the session fixture
    ``redis_cluster_servers`` of ``tests/conftest.py``); skips the test without Redis 7."""
    if find_redis() is None:
        pytest.skip(f"Redis Cluster tests need Redis 7: {INSTALL_COMMAND}")
    cluster = redis_cluster.start(root)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module", params=SERVERS)
def both_servers(request: pytest.FixtureRequest) -> str:
    """The URL of the embedded Redis, then of a Redis Cluster: the module's tests run on each."""
    if request.param == "cluster":
        cluster: redis_cluster.Cluster = request.getfixturevalue("redis_cluster_servers")
        return cluster.url
    embedded: EmbeddedRedis = request.getfixturevalue("embedded")
    return embedded.url
