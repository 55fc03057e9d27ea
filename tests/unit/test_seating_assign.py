"""Seating by the optimiser (tables/assign.py, tables/improve.py), on small rooms: everyone seated
once, sizes within bounds whenever the count allows, groups together, the same seed the same
seating, earlier encounters spread apart, and the mix better than chance."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import Code, TableError
from tables.assign import assign, even_sizes, parse_size, table_count
from tables.mix import Person, counts, deviation, shares
from tables.report import build
from tests.examples import examples
from tests.seating import draw_groups

GENDERS = ("female", "male")
AGES = ("18-29", "30-39", "50-59", "70+")
DISTRICTS = ("강남구", "노원구", "마포구", "종로구", "")

FAST = settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def rooms(
    draw: st.DrawFn, most: int = 40
) -> tuple[list[Person], dict[str, tuple[str, ...]], tuple[int, int]]:
    n = draw(st.integers(1, most))
    people = [
        Person(
            f"p{i:03d}",
            draw(st.sampled_from(GENDERS)),
            draw(st.sampled_from(AGES)),
            draw(st.sampled_from(DISTRICTS)),
        )
        for i in range(n)
    ]
    lo = draw(st.integers(2, 6))
    hi = draw(st.integers(lo, lo + 4))
    ids = [p.id for p in people]
    groups = draw_groups(draw, ids, hi)
    return people, groups, (lo, hi)


def _count_allows(n: int, lo: int, hi: int) -> bool:
    return any(t * lo <= n <= t * hi for t in range(1, n + 1))


@FAST
@given(rooms(), st.integers(0, 3))
def test_everyone_once_sizes_in_bounds_groups_together(
    room: tuple[list[Person], dict[str, tuple[str, ...]], tuple[int, int]], seed: int
) -> None:
    people, groups, (lo, hi) = room
    got = assign("s", people, size=(lo, hi), seed=seed, groups=groups, passes=2)
    seating = got.seating
    seated = [p for t in seating.tables for p in t]
    assert sorted(seated) == sorted(p.id for p in people)
    assert all(t for t in seating.tables) and all(list(t) == sorted(t) for t in seating.tables)
    assert seating.count == table_count(len(people), (lo, hi))
    if _count_allows(len(people), lo, hi):
        assert all(lo <= len(t) <= hi for t in seating.tables)
    assert all(len(t) <= hi for t in seating.tables)
    for members in groups.values():
        assert len({seating.table_of(m) for m in members}) == 1
    assert seating.groups == {g: tuple(sorted(ms)) for g, ms in groups.items()}


@FAST
@given(rooms(most=30), st.integers(0, 5))
def test_the_same_seed_gives_the_same_seating(
    room: tuple[list[Person], dict[str, tuple[str, ...]], tuple[int, int]], seed: int
) -> None:
    people, groups, size = room
    one = assign("s", people, size=size, seed=seed, groups=groups, passes=2)
    two = assign("s", list(reversed(people)), size=size, seed=seed, groups=groups, passes=2)
    assert one.seating.tables == two.seating.tables and not one.stats.wall_stop


def _room(n: int) -> list[Person]:
    return [
        Person(f"p{i:03d}", GENDERS[i % 2], AGES[(i // 2) % 4], DISTRICTS[(i // 8) % 4]) for i in range(n)
    ]


def test_a_skewed_order_still_gives_mixed_tables() -> None:
    """Sorted input (all women first, ages in blocks) seated: every table near the room's mix,
    far better than seating in input order."""
    people = sorted(_room(60), key=lambda p: (p.gender, p.age_band))
    got = assign("s", people, size=(8, 10), seed=1)
    room = shares(people)
    naive = [people[i : i + 10] for i in range(0, 60, 10)]
    naive_dev = sum(deviation(counts(t), len(t), room) for t in naive)
    by_id = {p.id: p for p in people}
    dev = sum(deviation(counts(by_id[m] for m in t), len(t), room) for t in got.seating.tables)
    assert dev < naive_dev / 3
    assert got.stats.after <= got.stats.before
    report = build(got.seating, by_id)
    assert report.min_diversity > 0.6 and report.sizes == {10: 6}
    for line in report.tables:
        assert line.counts["gender"] == {"female": 5, "male": 5}


def test_people_who_met_are_spread_apart() -> None:
    people = _room(40)
    first = assign("a", people, size=(8, 10), seed=1)
    met = {pair: 1 for pair in first.seating.pairs()}
    second = assign("b", people, size=(8, 10), seed=2, met=met)
    before = build(first.seating, {p.id: p for p in people}, met).repeats
    after = build(second.seating, {p.id: p for p in people}, met).repeats
    # 10 people from 4 earlier tables of 10 share at best 3+3+2+2: 3+3+1+1 = 8 pairs per table
    assert before == 4 * 45 and after == 4 * 8


def test_sizes_and_errors() -> None:
    assert parse_size("8..10") == (8, 10) and parse_size("8-10") == (8, 10) and parse_size(" 9 ") == (9, 9)
    for bad in ("x", "10..8", "1..3", "8..", ""):
        with pytest.raises(TableError) as e:
            parse_size(bad)
        assert e.value.code is Code.BAD_TABLE_SIZE
    assert even_sizes(25, 3) == [9, 8, 8] and table_count(3000, (8, 10)) == 300
    with pytest.raises(TableError) as e:
        assign("s", [])
    assert e.value.code is Code.NOBODY_TO_SEAT
    people = _room(20)
    with pytest.raises(TableError) as e:
        assign("s", people, groups={"a": ("p001", "p002"), "b": ("p002", "p003")})
    assert e.value.code is Code.BAD_GROUPS
    with pytest.raises(TableError) as e:
        assign("s", people, size=(2, 3), groups={"a": ("p001", "p002", "p003", "p004")})
    assert e.value.code is Code.BAD_GROUPS


def test_absent_group_members_are_ignored() -> None:
    people = _room(20)
    got = assign("s", people, groups={"sign": ("p001", "p002", "nobody")})
    assert got.seating.table_of("p001") == got.seating.table_of("p002")
    assert got.seating.groups == {"sign": ("nobody", "p001", "p002")}
