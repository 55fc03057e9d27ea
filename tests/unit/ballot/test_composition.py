"""Turnout by stratum against the panel (``ballot.composition``): the shares the public results page
draws, from the turnout table of a roster, an eligible set and the counters ``cast.lua`` leaves."""

from __future__ import annotations

import math

import msgspec
from hypothesis import given

from ballot.composition import Composition, composition, share
from ballot.turnout import STRATA, turnout_table
from tests.unit.ballot.test_turnout import ROSTER, Person, assemblies, counters


def test_a_small_assembly_in_shares() -> None:
    voters = [ROSTER[0], ROSTER[2], ROSTER[3]]  # two women, one man
    table = turnout_table("v1", {"s0", "s1", "s2", "s3"}, ROSTER, {"s0"}, counters(voters))
    c = composition(table)
    assert (c.vote, c.eligible, c.voted) == ("v1", 4, 3)
    assert [s.feature for s in c.strata] == list(STRATA)
    gender = c.strata[0]
    assert (gender.panel_total, gender.voted_total) == (4, 3)
    by_value = {v.value: v for v in gender.values}
    assert (by_value["female"].panel, by_value["female"].voted) == (2, 2)
    assert (by_value["female"].panel_share, by_value["female"].voted_share) == (0.5, 0.6667)
    assert (by_value["male"].panel_share, by_value["male"].voted_share) == (0.5, 0.3333)
    age = {v.value: v for v in c.strata[1].values}
    assert age["unknown"].panel == 1 and age["unknown"].voted == 1  # s3 has no age band
    # the wire shape: no one's id, no "present"
    wire = msgspec.json.encode(c).decode()
    assert "present" not in wire and not any(p.id in wire for p in ROSTER)


def test_nobody_voted_gives_zero_shares_not_an_error() -> None:
    table = turnout_table("v1", {"s0", "s1"}, ROSTER, set(), counters([]))
    c = composition(table)
    assert all(v.voted_share == 0.0 and v.voted == 0 for s in c.strata for v in s.values)
    assert all(math.isclose(sum(v.panel_share for v in s.values), 1.0, abs_tol=1e-3) for s in c.strata)
    assert share(3, 0) == 0.0


@given(assemblies())
def test_the_shares_add_up_to_the_table(case: tuple[list[Person], set[str], set[str], list[Person]]) -> None:
    roster, eligible, present, voters = case
    table = turnout_table("v", eligible, roster, present, counters(voters))
    c = composition(table)
    assert isinstance(c, Composition) and c.voted == len(voters) and c.eligible == len(eligible)
    for stratum in c.strata:
        rows = table.strata[stratum.feature]
        # the same values in the same (roster) order, the same counts
        assert [v.value for v in stratum.values] == list(rows)
        assert [(v.panel, v.voted) for v in stratum.values] == [(r.eligible, r.voted) for r in rows.values()]
        assert stratum.panel_total == sum(r.eligible for r in rows.values())
        assert stratum.voted_total == len(voters)  # every voter is in one row of each feature
        for v in stratum.values:
            assert 0.0 <= v.panel_share <= 1.0 and 0.0 <= v.voted_share <= 1.0
            assert math.isclose(v.panel_share, v.panel / stratum.panel_total, abs_tol=5e-5)
            if stratum.voted_total:
                assert math.isclose(v.voted_share, v.voted / stratum.voted_total, abs_tol=5e-5)
        # each set of shares adds up to 1 (rounding: at most half a unit of the 4th place per value)
        slack = 5e-5 * len(stratum.values) + 1e-9
        if stratum.panel_total:
            assert abs(sum(v.panel_share for v in stratum.values) - 1.0) <= slack
        if stratum.voted_total:
            assert abs(sum(v.voted_share for v in stratum.values) - 1.0) <= slack
        else:
            assert all(v.voted_share == 0.0 for v in stratum.values)
