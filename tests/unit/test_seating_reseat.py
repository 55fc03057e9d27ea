"""Reseating (tables/reseat.py): the absent leave, late arrivals sit where they fit, and nobody
present and seated moves, except the people of a table that fell below the minimum and was merged."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tables.assign import assign
from tables.mix import Person
from tables.model import Seating
from tables.reseat import reseat
from tests.examples import examples
from tests.seating import draw_groups

GENDERS = ("female", "male")
AGES = ("18-29", "40-49", "70+")
FAST = settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _people(n: int) -> dict[str, Person]:
    return {
        f"p{i:03d}": Person(f"p{i:03d}", GENDERS[i % 2], AGES[(i // 2) % 3], "마포구" if i % 5 else "")
        for i in range(n)
    }


@st.composite
def cases(draw: st.DrawFn) -> tuple[Seating, dict[str, Person], set[str], tuple[int, int]]:
    """A seating of some of a pool (with up to two groups), then who is present now."""
    pool = _people(draw(st.integers(2, 50)))
    ids = sorted(pool)
    lo = draw(st.integers(2, 5))
    hi = draw(st.integers(lo, lo + 4))
    first = draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
    groups = draw_groups(draw, ids, hi)
    seating = assign("s", [pool[p] for p in first], size=(lo, hi), seed=1, groups=groups, passes=1).seating
    present = set(draw(st.lists(st.sampled_from(ids), unique=True)))
    return seating, pool, present, (lo, hi)


@FAST
@given(cases())
def test_reseat_seats_everyone_present_once_and_moves_only_small_tables(
    case: tuple[Seating, dict[str, Person], set[str], tuple[int, int]],
) -> None:
    seating, pool, present, (lo, hi) = case
    got = reseat(seating, present, pool, size=(lo, hi))
    new = got.seating
    seated = [p for t in new.tables for p in t]
    assert sorted(seated) == sorted(present)
    assert set(got.left) == {p for t in seating.tables for p in t} - present
    # nobody present and seated changes table, but for the people of a dissolved table
    after_absences = {i + 1: [p for p in t if p in present] for i, t in enumerate(seating.tables)}
    for p in present:
        before = seating.table_of(p)
        if before is None:
            assert got.arrived[p] == new.table_of(p)
        elif p in got.moved:
            frm, to = got.moved[p]
            assert frm == before and to == new.table_of(p) and to != before
            assert len(after_absences[before]) < lo  # only a table below the minimum is merged
        else:
            assert new.table_of(p) == before
    # groups stay together
    for members in new.groups.values():
        assert len({new.table_of(m) for m in members if m in present}) <= 1
    if not new.groups:
        assert all(len(t) <= hi for t in new.tables)
        # a table left below the minimum is one the others had no room to take in
        for t in new.tables:
            if 0 < len(t) < lo:
                room = sum(hi - len(o) for o in new.tables if o and o is not t)
                assert room < len(t)
    # determinism
    assert reseat(seating, sorted(present, reverse=True), pool, size=(lo, hi)) == got


def test_a_reseat_with_everyone_there_changes_nothing() -> None:
    pool = _people(30)
    seating = assign("s", list(pool.values()), seed=4).seating
    got = reseat(seating, set(pool), pool)
    assert got.seating.tables == seating.tables and not got.moved and not got.arrived and not got.left


def test_late_arrivals_fill_a_table_that_fell_below_the_minimum() -> None:
    pool = _people(32)
    first = sorted(pool)[:30]
    seating = Seating(
        session="s", seed=0, tables=(tuple(first[:10]), tuple(first[10:20]), tuple(first[20:30]))
    )
    present = (set(first) - set(first[:3])) | {"p030", "p031"}  # table 1 down to 7; two late
    got = reseat(seating, present, pool, size=(8, 10))
    assert got.arrived == {"p030": 1, "p031": 1} and not got.moved
    assert [len(t) for t in got.seating.tables] == [9, 10, 10]


def test_a_table_below_the_minimum_is_merged_and_the_numbers_stay() -> None:
    pool = _people(28)
    ids = sorted(pool)
    seating = Seating(session="s", seed=0, tables=(tuple(ids[:8]), tuple(ids[8:18]), tuple(ids[18:28])))
    present = set(ids) - set(ids[:5]) - {ids[8], ids[9], ids[18], ids[19]}  # 3, 8, 8 left
    got = reseat(seating, present, pool, size=(8, 10))
    assert got.seating.tables[0] == ()  # emptied, so tables 2 and 3 keep their numbers
    assert {p: ft[0] for p, ft in got.moved.items()} == {p: 1 for p in ids[5:8]}
    assert sorted(len(t) for t in got.seating.tables) == [0, 9, 10]


def test_when_no_table_has_room_new_tables_open_evenly() -> None:
    pool = _people(46)
    ids = sorted(pool)
    seating = Seating(session="s", seed=0, tables=(tuple(ids[:10]), tuple(ids[10:20])))
    got = reseat(seating, ids[:36], pool, size=(8, 10))
    assert [len(t) for t in got.seating.tables] == [10, 10, 8, 8]


def test_a_late_group_member_joins_their_group() -> None:
    pool = _people(20)
    ids = sorted(pool)
    seating = assign(
        "s", [pool[p] for p in ids[:18]], size=(8, 10), seed=2, groups={"sign": (ids[0], ids[19])}
    ).seating
    got = reseat(seating, ids, pool, size=(8, 10))
    assert got.seating.table_of(ids[19]) == seating.table_of(ids[0])


def test_a_late_arrival_sits_away_from_the_people_they_met() -> None:
    pool = _people(19)
    ids = sorted(pool)
    seating = Seating(session="s", seed=0, tables=(tuple(ids[:9]), tuple(ids[9:18])))
    late = ids[18]
    met = {tuple(sorted((late, p))): 1 for p in ids[9:18]}  # met everyone of table 2
    alone = reseat(seating, ids, pool, size=(8, 10))
    spread = reseat(seating, ids, pool, size=(8, 10), met=met)  # type: ignore[arg-type]
    assert spread.arrived == {late: 1}
    assert alone.arrived == {late: 2}  # where the mix alone puts them
