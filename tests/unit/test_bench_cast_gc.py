"""``loadtest.bench_cast.gc_pauses``: the hub's collections in a round read from two scrapes of
its pause histogram (``realtime.ops.gcpause``), and the longest pause's bucket."""

from __future__ import annotations

from loadtest.bench_cast import GC_SERIES, gc_line, gc_pauses
from loadtest.scrape import Samples, key


def series(generation: int, count: float, total: float, buckets: dict[str, float]) -> Samples:
    g = str(generation)
    out = {key(f"{GC_SERIES}_count", generation=g): count, key(f"{GC_SERIES}_sum", generation=g): total}
    for le, n in buckets.items():
        out[key(f"{GC_SERIES}_bucket", generation=g, le=le)] = n
    return out


def test_the_round_s_collections_and_the_longest_pause_bucket() -> None:
    before = series(0, 10, 0.1, {"0.01": 8, "0.025": 10, "0.05": 10, "0.25": 10, "+Inf": 10})
    before |= series(1, 1, 0.2, {"0.01": 0, "0.025": 0, "0.05": 0, "0.25": 1, "+Inf": 1})
    after = series(0, 13, 0.16, {"0.01": 9, "0.025": 12, "0.05": 13, "0.25": 13, "+Inf": 13})
    after |= series(1, 2, 0.38, {"0.01": 0, "0.025": 0, "0.05": 0, "0.25": 2, "+Inf": 2})
    got = gc_pauses(before, after)
    assert got["young"] == {"collections": 3, "ms": 60.0}
    assert got["middle"] == {"collections": 1, "ms": 180.0}
    assert got["old"] == {"collections": 0, "ms": 0.0}
    assert got["longest_le_ms"] == 250.0  # the middle one: under 250 ms, over 50
    assert gc_line(got) == "young 3 (60.0 ms), middle 1 (180.0 ms), longest ≤ 250 ms"


def test_a_round_without_collections() -> None:
    same = series(0, 5, 0.05, {"0.01": 5, "+Inf": 5})
    got = gc_pauses(same, dict(same))
    assert got["longest_le_ms"] == 0.0
    assert gc_line(got) == "none"
