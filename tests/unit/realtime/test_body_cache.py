"""A public answer's short-lived copy (``realtime.http.body_cache.BodyCache``): served while fresh,
asked again once stale, and never more keys than its bound."""

from __future__ import annotations

from realtime.http.body_cache import BodyCache


def test_fresh_then_stale_and_bounded() -> None:
    now = [0.0]
    cache = BodyCache(10.0, bound=2, clock=lambda: now[0])
    assert cache.get("v1") is None
    assert cache.put("v1", b"one") == b"one"
    now[0] = 9.9
    assert cache.get("v1") == b"one"
    now[0] = 10.0
    assert cache.get("v1") is None  # stale: the caller reads again
    cache.put("v2", b"two")
    cache.put("v3", b"three")  # the bound reached: emptied first
    assert cache.get("v1") is None and cache.get("v2") is None and cache.get("v3") == b"three"
