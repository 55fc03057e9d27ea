"""The turnout table (``ballot.turnout.turnout_table``): totals and strata from the roster, the
eligible set, who is present and the store's counters. No Redis: the counters are built here the way
``cast.lua`` builds them (a voter's first ballot, one counter per stratum, the unknown row's for a
stratum the voter has no value for)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from ballot.turnout import STRATA, UNKNOWN, Row, counter_key, stratum_value, turnout_table


@dataclass(frozen=True)
class Person:
    id: str
    gender: str = ""
    age_band: str = ""
    district: str = ""


def counters(voters: list[Person]) -> dict[str, int]:
    """What ``cast.lua`` leaves in the vote's counters after each of ``voters`` cast a first ballot."""
    out: Counter[str] = Counter()
    for p in voters:
        for feature in STRATA:
            out[counter_key(feature, stratum_value(getattr(p, feature)))] += 1
    return {**out, "voted": len(voters)}


ROSTER = [
    Person("s0", "female", "18-29", "마포구"),
    Person("s1", "male", "30-39", "마포구"),
    Person("s2", "female", "70+", "강남구"),
    Person("s3", "male", "", "강남구"),
    Person("host"),  # staff: not eligible, never in the table
]


def test_a_small_assembly() -> None:
    eligible = {"s0", "s1", "s2", "s3"}
    t = turnout_table("plenary-1", eligible, ROSTER, {"s2", "host"}, counters([ROSTER[0], ROSTER[3]]))
    assert (t.vote, t.eligible, t.voted, t.present) == ("plenary-1", 4, 2, 1)
    assert t.strata["district"] == {"마포구": Row(2, 1, 0), "강남구": Row(2, 1, 1)}
    assert t.strata["gender"] == {"female": Row(2, 1, 1), "male": Row(2, 1, 0)}
    # s3 has no age band: counted under "unknown", eligible and (s3 voted) voted
    assert t.strata["age_band"] == {
        "18-29": Row(1, 1, 0),
        "30-39": Row(1, 0, 0),
        "70+": Row(1, 0, 1),
        UNKNOWN: Row(1, 1, 0),
    }
    assert list(t.strata) == list(STRATA)


def test_the_reply_keeps_its_shape() -> None:
    """What the host's page reads: the same keys in the same order as before the rule moved here."""
    t = turnout_table("v", {"s0"}, ROSTER, set(), counters([ROSTER[0]]))
    assert msgspec.json.decode(msgspec.json.encode(t)) == {
        "vote": "v",
        "eligible": 1,
        "voted": 1,
        "present": 0,
        "strata": {
            "gender": {"female": {"eligible": 1, "voted": 1, "present": 0}},
            "age_band": {"18-29": {"eligible": 1, "voted": 1, "present": 0}},
            "district": {"마포구": {"eligible": 1, "voted": 1, "present": 0}},
        },
    }


def test_no_eligible_panelist_on_the_roster_gives_empty_strata() -> None:
    t = turnout_table("v", {"gone"}, ROSTER, {"gone"}, {"voted": 0})
    assert (t.eligible, t.voted, t.present) == (1, 0, 0)
    assert t.strata == {feature: {} for feature in STRATA}


def before_the_move(
    eligible: set[str], roster: list[Person], present: set[str], counts: dict[str, int]
) -> Any:
    """The table as ``realtime/cmd_vote.vote_turnout`` built it inline before issue 10: the oracle
    that the rule did not change when it moved."""
    people = [p for p in roster if p.id in eligible]
    strata: dict[str, dict[str, dict[str, int]]] = {}
    for feature in ("gender", "age_band", "district"):
        table: dict[str, dict[str, int]] = {}
        for p in people:
            value = getattr(p, feature) or "unknown"
            row = table.setdefault(value, {"eligible": 0, "voted": 0, "present": 0})
            row["eligible"] += 1
            row["present"] += p.id in present
        for value, row in table.items():
            row["voted"] = counts.get(f"{feature}:{value}", 0)
        strata[feature] = table
    return {
        "vote": "v",
        "eligible": len(eligible),
        "voted": counts["voted"],
        "present": sum(1 for p in people if p.id in present),
        "strata": strata,
    }


VALUES = {
    "gender": ["female", "male", ""],
    "age_band": ["18-29", "70+", ""],
    "district": ["마포구", "강남구", "중구", ""],
}


@st.composite
def assemblies(draw: st.DrawFn) -> tuple[list[Person], set[str], set[str], list[Person]]:
    """A roster, its eligible ids (some no longer on the roster), who is present (anyone), and the
    eligible panelists on the roster who voted."""
    n = draw(st.integers(0, 30))
    roster = [
        Person(f"p{i}", *(draw(st.sampled_from(VALUES[f])) for f in STRATA))  # type: ignore[arg-type]
        for i in range(n)
    ]
    ids = [p.id for p in roster]
    eligible = draw(st.sets(st.sampled_from(ids))) if ids else set()
    eligible |= {f"gone{i}" for i in range(draw(st.integers(0, 3)))}
    present = draw(st.sets(st.sampled_from([*ids, "staff", "gone0"])))
    voters = [p for p in roster if p.id in eligible and draw(st.booleans())]
    return roster, eligible, present, voters


@given(assemblies())
def test_the_table_adds_up(case: tuple[list[Person], set[str], set[str], list[Person]]) -> None:
    roster, eligible, present, voters = case
    t = turnout_table("v", eligible, roster, present, counters(voters))
    on_roster = [p for p in roster if p.id in eligible]
    assert t.eligible == len(eligible) >= len(on_roster)
    assert t.voted == len(voters) <= t.eligible
    assert t.present == sum(p.id in present for p in on_roster) <= t.eligible
    for feature in STRATA:
        rows = t.strata[feature].values()
        # every eligible panelist on the roster is in exactly one row of each feature
        assert sum(r.eligible for r in rows) == len(on_roster)
        assert sum(r.present for r in rows) == t.present
        # and every voter in the row of their value (unknown when they have none)
        assert sum(r.voted for r in rows) == len(voters) <= t.voted
        for r in rows:
            assert 0 <= r.voted <= r.eligible and 0 <= r.present <= r.eligible


@given(assemblies())
def test_the_rule_is_the_one_the_handler_ran(
    case: tuple[list[Person], set[str], set[str], list[Person]],
) -> None:
    roster, eligible, present, voters = case
    counts = counters(voters)
    t = turnout_table("v", eligible, roster, present, counts)
    assert msgspec.json.encode(t) == msgspec.json.encode(before_the_move(eligible, roster, present, counts))
