from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import HubProcess


@pytest.fixture(scope="module")
def hubs(redis_url: str) -> Iterator[tuple[HubProcess, HubProcess]]:
    """Two hub processes joined through the same Redis (short limits so abuse tests run quickly)."""
    extra = ("--hello-timeout", "1.5", "--stall-timeout", "2", "--write-cap", "1048576")
    a = HubProcess(redis_url, *extra)
    b = HubProcess(redis_url, *extra)
    try:
        yield a.wait_ready(), b.wait_ready()
    finally:
        a.stop()
        b.stop()


@pytest.fixture
def hub(hubs: tuple[HubProcess, HubProcess]) -> HubProcess:
    return hubs[0]
