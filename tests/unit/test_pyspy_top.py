"""``loadtest.pyspy_top`` sums py-spy's collapsed stacks into self and inclusive shares."""

from __future__ import annotations

from pathlib import Path

from loadtest.pyspy_top import main, read_stacks, top


def test_self_and_inclusive_shares_of_collapsed_stacks(tmp_path: Path) -> None:
    f = tmp_path / "p.txt"
    f.write_text(
        "run (a/loop.py:1);cast (b/vote.py:9);encode (c/codec.py:3) 3\n"
        "run (a/loop.py:1);cast (b/vote.py:12) 1\n"
        "run (a/loop.py:1);fanout (d/hub.py:5) 4\n"
    )
    total, own, under = top(read_stacks([f]), 10)
    assert total == 8
    assert dict(own) == {"encode (codec.py)": 3, "cast (vote.py)": 1, "fanout (hub.py)": 4}
    assert dict(under)["run (loop.py)"] == 8 and dict(under)["cast (vote.py)"] == 4
    assert main([str(f), "--under", "cast"]) == 0
