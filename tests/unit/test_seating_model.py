"""The seating value (tables/model.py): tables numbered from 1, a person's table, the pairs it
makes, and its MessagePack round trip."""

from __future__ import annotations

import msgspec

from tables.model import Seating

S = Seating(session="plenary", seed=7, tables=(("a", "b", "c"), (), ("d", "e")), groups={"g": ("d", "e")})


def test_tables_are_numbered_from_one() -> None:
    assert S.count == 3 and S.seated == 5
    assert [S.table_of(p) for p in "abcde"] == [1, 1, 1, 3, 3]
    assert S.table_of("z") is None
    assert (
        S.members(1) == ("a", "b", "c") and S.members(2) == () and S.members(0) == () and S.members(4) == ()
    )


def test_pairs_are_the_encounters_a_seating_makes() -> None:
    assert S.pairs() == {("a", "b"), ("a", "c"), ("b", "c"), ("d", "e")}


def test_msgpack_round_trip() -> None:
    again = msgspec.msgpack.decode(msgspec.msgpack.encode(S), type=Seating)
    assert again == S and again.table_of("e") == 3
