"""``plenary tables`` on the embedded Redis, as a clerk runs it: seat who is checked in, refuse
with a stable code when nobody is, keep groups together, reseat a late arrival without moving
anyone else, and write the seat list owner-only."""

from __future__ import annotations

import csv
import stat
from pathlib import Path

import msgspec
from redis.asyncio import Redis

from attendance.rules import Mark
from attendance.store import Desk
from engine import keys
from engine.channels import ChannelLog
from engine.roles import Role
from moderation.meetings import MeetingInfo, Meetings
from panel.roster import Participant, Roster
from panel.strata import AGE_BANDS, DISTRICT_NAMES
from tables.cards_store import meeting_cards
from tables.model import Seating
from tables.seating_store import load_seating, save_seating
from tests.integration.test_cli import plenary

N = 40


def _panel() -> list[Participant]:
    return [
        Participant(
            id=f"P{i:03d}",
            name=f"패널{i}",
            role=Role.PANELIST,
            gender=("female", "male")[i % 2],
            age_band=AGE_BANDS[(i // 2) % len(AGE_BANDS)],
            district=DISTRICT_NAMES[(i // 3) % 6],
        )
        for i in range(N)
    ]


async def _assembly(redis: Redis) -> None:
    await Roster(redis).upsert([*_panel(), Participant(id="H1", name="Host", role=Role.HOST)])
    await Meetings(redis).put(MeetingInfo(id="plenary", title="종합토론"))


async def test_assign_seats_who_is_checked_in_and_reseat_moves_nobody(
    redis: Redis, redis_url: str, tmp_path: Path
) -> None:
    await _assembly(redis)
    url = ("--redis-url", redis_url)
    nobody = plenary("tables", "assign", "plenary", *url, check=False)
    assert nobody.returncode == 2 and "nobody_to_seat" in nobody.stderr and "--all" in nobody.stderr
    unknown = plenary("tables", "show", "plenary", *url, check=False)
    assert unknown.returncode == 2 and "no_seating" in unknown.stderr
    no_meeting = plenary("tables", "assign", "nope", "--all", *url, check=False)
    assert no_meeting.returncode == 2 and "unknown_meeting" in no_meeting.stderr

    desk = Desk(redis)
    for i in range(N - 2):  # two are late
        await desk.mark("plenary", Mark.IN, f"P{i:03d}", "clerk")
    await desk.mark("plenary", Mark.IN, "H1", "clerk")  # staff are not seated
    groups = tmp_path / "groups.csv"
    groups.write_text("group,members\nsign,P001,P039\n", encoding="utf-8")
    done = plenary(
        "tables", "assign", "plenary", "--size", "8..10", "--seed", "3", "--groups", str(groups), *url
    )
    assert "38 people at 4 tables" in done.stdout, done.stdout
    seating = await load_seating(redis, "plenary")
    assert seating is not None and seating.seed == 3 and seating.count == 4
    assert sorted(p for t in seating.tables for p in t) == [f"P{i:03d}" for i in range(N - 2)]
    assert all(8 <= len(t) <= 10 for t in seating.tables)
    assert seating.groups == {"sign": ("P001", "P039")}

    # the same command, the same seating (a second assign replaces it, kept for encounters)
    again = plenary("tables", "assign", "plenary", "--seed", "3", "--groups", str(groups), *url)
    assert "replaced the earlier seating" in again.stdout
    same = await load_seating(redis, "plenary")
    assert same is not None and same.tables == seating.tables

    # the two late arrive; one has left
    await desk.mark("plenary", Mark.IN, "P038", "clerk")
    await desk.mark("plenary", Mark.IN, "P039", "clerk")
    await desk.mark("plenary", Mark.OUT, "P010", "clerk")
    plenary("tables", "reseat", "plenary", *url)
    after = await load_seating(redis, "plenary")
    assert after is not None
    assert after.table_of("P039") == seating.table_of("P001")  # joined their group
    assert after.table_of("P010") is None and after.table_of("P038") is not None
    for i in range(N - 2):
        if i != 10:
            assert after.table_of(f"P{i:03d}") == seating.table_of(f"P{i:03d}")
    # the reseat is announced to the open pages: its version and counts, no one named (issue 15)
    state = await redis.hget(keys.channel_keys(keys.meeting_seating("plenary")).state, "seating")
    assert state is not None
    news = msgspec.msgpack.decode(state)
    assert news == {"meeting": "plenary", "at": after.created_ms, "tables": 4, "seated": 39}

    out = tmp_path / "seats" / "plenary.csv"
    shown = plenary("tables", "show", "plenary", "--csv", str(out), *url)
    assert "39 people at 4 tables" in shown.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 39 and {r["participant"] for r in rows} == {f"P{i:03d}" for i in range(N) if i != 10}
    assert rows[0]["name"].startswith("패널")


async def test_a_group_naming_someone_off_the_panel_is_refused_and_nothing_stored(
    redis: Redis, redis_url: str, tmp_path: Path
) -> None:
    await _assembly(redis)
    groups = tmp_path / "groups.csv"
    groups.write_text("sign,P001,TYPO\n", encoding="utf-8")
    bad = plenary(
        "tables", "assign", "plenary", "--all", "--groups", str(groups), "--redis-url", redis_url, check=False
    )
    assert bad.returncode == 2 and "bad_groups" in bad.stderr and "TYPO" in bad.stderr
    assert await load_seating(redis, "plenary") is None
    size = plenary(
        "tables", "assign", "plenary", "--all", "--size", "10..8", "--redis-url", redis_url, check=False
    )
    assert size.returncode == 2 and "MIN" in size.stderr


async def test_all_seats_the_whole_panel(redis: Redis, redis_url: str) -> None:
    await _assembly(redis)
    done = plenary("tables", "assign", "plenary", "--all", "--redis-url", redis_url)
    assert f"{N} people at 4 tables" in done.stdout and "diversity mean" in done.stdout


async def test_the_demo_seats_its_plenary_once(redis: Redis) -> None:
    from cli import demo

    log = ChannelLog(redis)
    await demo.seed_tables(log, demo.demo_roster())
    seating = await load_seating(redis, "plenary")
    assert seating is not None and [len(t) for t in seating.tables] == [6, 6]
    cards = await meeting_cards(redis, "plenary")  # something for the theme console to group
    assert [(c.table, c.text) for c in cards] == list(demo.DEMO_CARDS)
    assert {c.by for c in cards if c.table == 1} == {"fac-1"}  # table 1's facilitator posts its own
    await save_seating(redis, Seating(session="plenary", seed=9, tables=(("p-000",),)))
    await demo.seed_tables(log, demo.demo_roster())  # a restart keeps the seating as it is
    kept = await load_seating(redis, "plenary")
    assert kept is not None and kept.seed == 9
    assert len(await meeting_cards(redis, "plenary")) == len(demo.DEMO_CARDS)  # and the cards
