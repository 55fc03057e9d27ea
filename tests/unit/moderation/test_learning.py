"""Learning (issue 14): who of a meeting's panel opened its materials, counted per stratum
(moderation/learning.py), as pure functions: the strata add up, only the panel counts, the
required set is everyone who opened every material, the CSV says counts only."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from ballot.turnout import STRATA, UNKNOWN
from engine.roles import Role
from moderation import learning
from panel.roster import Participant

MATERIALS = [{"id": "m1", "title": "기초 자료"}, {"id": "m2", "title": "=SUM(A1)"}]


def person(
    i: int, gender: str = "female", age: str = "30-39", district: str = "종로구", **kw: object
) -> Participant:
    return Participant(
        id=f"p{i}", name=f"패널 {i}", role=Role.PANELIST, gender=gender, age_band=age, district=district, **kw
    )


def test_the_panel_is_the_meetings_panelists_only() -> None:
    roster = [
        person(1, meetings=["health"]),
        person(2, meetings=["transport"]),
        person(3, meetings=["*"]),
        Participant(id="host", name="사회자", role=Role.HOST),
        Participant(id="obs", name="참관인", role=Role.OBSERVER),
    ]
    assert [p.id for p in learning.panel_of(roster, "health")] == ["p1", "p3"]


def test_a_figure_counts_the_panel_by_stratum_and_leaves_out_who_is_not_on_it() -> None:
    panel = [person(1), person(2, gender="male", district="강남구"), person(3, gender="", age="")]
    f = learning.figure("m1", "기초 자료", panel, {"p1", "p3", "host", "p-gone"})
    assert (f.panel, f.opened) == (3, 2)
    assert f.strata["gender"] == {
        "female": learning.Row(panel=1, opened=1),
        "male": learning.Row(panel=1, opened=0),
        UNKNOWN: learning.Row(panel=1, opened=1),
    }
    assert f.strata["district"]["종로구"] == learning.Row(panel=2, opened=2)


def test_the_required_set_is_those_who_opened_every_material() -> None:
    panel = [person(1), person(2), person(3)]
    c = learning.completion("health", panel, MATERIALS, {"m1": {"p1", "p2"}, "m2": {"p2", "p3"}})
    assert [(f.material, f.opened) for f in c.materials] == [("m1", 2), ("m2", 2)]
    assert (c.required.material, c.required.opened, c.required.panel) == (learning.REQUIRED, 1, 3)
    # no materials: nothing to complete, nobody has completed it
    empty = learning.completion("health", panel, [], {})
    assert (empty.materials, empty.required.opened) == ([], 0)


def test_the_csv_holds_counts_per_stratum_and_keeps_titles_as_text() -> None:
    panel = [person(1), person(2, gender="male")]
    c = learning.completion("health", panel, MATERIALS, {"m1": {"p1"}})
    rows = list(csv.reader(io.StringIO(learning.completion_csv(c))))
    assert rows[0] == list(learning.CSV_HEADER)
    assert rows[1] == ["m1", "기초 자료", "total", "", "2", "1", "50.0"]
    assert ["m1", "기초 자료", "gender", "male", "1", "0", "0.0"] in rows
    assert {r[1] for r in rows if r[0] == "m2"} == {"'=SUM(A1)"}  # never a formula in a spreadsheet
    assert ["required", "", "total", "", "2", "0", "0.0"] in rows
    assert "p1" not in learning.completion_csv(c)  # counts, never who
    assert learning.percent(0, 0) == ""


VALUES = {
    "gender": ["female", "male", ""],
    "age_band": ["18-29", "70+", ""],
    "district": ["종로구", "강남구", ""],
}
people = st.lists(
    st.tuples(
        st.sampled_from(VALUES["gender"]),
        st.sampled_from(VALUES["age_band"]),
        st.sampled_from(VALUES["district"]),
        st.booleans(),
    ),
    max_size=40,
)


@given(people, st.lists(st.text(min_size=1, max_size=5), max_size=5))
def test_every_features_rows_add_up_to_the_totals(
    rows: list[tuple[str, str, str, bool]], strangers: list[str]
) -> None:
    """Whatever the roster holds (empty values too) and whoever else opened the material, each
    feature's rows add up to the panel and to those of it who opened."""
    panel = [person(i, g, a, d) for i, (g, a, d, _) in enumerate(rows)]
    done = {f"p{i}" for i, (*_, yes) in enumerate(rows) if yes} | {f"x-{s}" for s in strangers}
    f = learning.figure("m1", "자료", panel, done)
    assert f.opened == sum(1 for *_, yes in rows if yes) and f.panel == len(rows)
    for feature in STRATA:
        assert sum(r.panel for r in f.strata[feature].values()) == f.panel
        assert sum(r.opened for r in f.strata[feature].values()) == f.opened
        assert all(0 <= r.opened <= r.panel for r in f.strata[feature].values())
