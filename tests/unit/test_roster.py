"""Roster parsing: whole-file validation naming rows; tokens stored only as hashes."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from engine import keys
from engine.errors import Code, PanelError
from panel.roster import Roster, hash_token, parse_roster

GOOD = """participant_id,name,role,gender,age_band,district,meetings
p1,김민준,panelist,남성,34,강남구,plenary;health
h1,Host,host,,,,
"""


def test_a_good_roster_parses_and_normalises_strata() -> None:
    p1, h1 = parse_roster(GOOD)
    assert (p1.gender, p1.age_band, p1.district, p1.meetings) == (
        "male",
        "30-39",
        "강남구",
        ["plenary", "health"],
    )
    assert h1.meetings == ["*"] and h1.in_meeting("anything")


def test_every_bad_row_is_named_and_nothing_is_returned() -> None:
    bad = GOOD + "p1,Dup,panelist,,,,\nx2,,judge,,,Gotham,\nx 3,Name,panelist,,,,\n"
    with pytest.raises(PanelError) as exc:
        parse_roster(bad)
    msg = exc.value.message
    assert exc.value.code == Code.BAD_ROSTER
    assert "row 4: participant_id 'p1' repeats row 2" in msg
    assert "row 5:" in msg and "name is empty" in msg and "role 'judge'" in msg and "Gotham" in msg
    assert "row 6:" in msg


def test_missing_columns_are_named() -> None:
    with pytest.raises(PanelError) as exc:
        parse_roster("participant_id,name\np1,x\n")
    assert "missing column(s): role" in exc.value.message


async def test_tokens_are_stored_hashed_and_rotation_revokes(redis: Redis) -> None:
    roster = Roster(redis)
    await roster.upsert(parse_roster(GOOD))
    first = (await roster.issue_tokens(["p1"]))["p1"]
    dump = b"".join([await redis.dump(k) or b"" for k in await redis.keys("*")])
    assert first.encode() not in dump  # only the hash is stored
    assert await redis.exists(keys.token(hash_token(first)))
    assert (await roster.authenticate(first)).id == "p1"  # type: ignore[union-attr]
    second = (await roster.issue_tokens(["p1"]))["p1"]
    assert await roster.authenticate(first) is None
    assert (await roster.authenticate(second)).id == "p1"  # type: ignore[union-attr]
    await roster.revoke("p1")
    assert await roster.authenticate(second) is None
    with pytest.raises(PanelError):
        await roster.issue_tokens(["nobody"])


async def test_reimport_keeps_existing_links(redis: Redis) -> None:
    roster = Roster(redis)
    await roster.upsert(parse_roster(GOOD))
    tok = (await roster.issue_tokens(["p1"]))["p1"]
    new = await roster.upsert(parse_roster(GOOD + "p9,New,panelist,,,,\n"))
    assert new == ["p9"]
    assert (await roster.authenticate(tok)).id == "p1"  # type: ignore[union-attr]
