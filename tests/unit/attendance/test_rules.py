"""The rules of attendance (attendance/rules.py) and the report's rows (attendance/report.py), as
plain functions: whom a desk may check in, the hall's time from the desk log, the quorum, and the
honoraria rows that join online and hall time without counting either twice."""

from __future__ import annotations

import pytest

from attendance import report, rules
from attendance.rules import DeskEntry, Mark
from ballot.model import VoteState
from engine.errors import Code, HubError
from engine.roles import Role
from panel.roster import Participant

MIN = 60_000
T0 = 1_765_000_000_000  # a Seoul afternoon in 2025


def person(
    pid: str, role: Role = Role.PANELIST, meetings: list[str] | None = None, **strata: str
) -> Participant:
    return Participant(id=pid, name=f"이름 {pid}", role=role, meetings=meetings or ["plenary"], **strata)


def test_the_desk_checks_in_panelists_of_the_session_only() -> None:
    p = person("p-1")
    assert rules.check_attendee(p, "p-1", "plenary") is p
    with pytest.raises(HubError) as unknown:
        rules.check_attendee(None, "p-9", "plenary")
    assert unknown.value.code is Code.UNKNOWN_PARTICIPANT and "p-9" in unknown.value.message
    with pytest.raises(HubError) as staff:
        rules.check_attendee(person("host-1", Role.HOST), "host-1", "plenary")
    assert staff.value.code is Code.UNKNOWN_PARTICIPANT  # staff have no attendance to record
    with pytest.raises(HubError) as elsewhere:
        rules.check_attendee(person("p-2", meetings=["health"]), "p-2", "plenary")
    assert elsewhere.value.code is Code.NOT_A_MEMBER


def test_hall_time_runs_from_each_check_in_to_the_next_check_out() -> None:
    log = [
        DeskEntry(Mark.IN, "a", "clerk-1", T0),
        DeskEntry(Mark.IN, "b", "clerk-1", T0 + 5 * MIN),
        DeskEntry(Mark.OUT, "a", "clerk-2", T0 + 30 * MIN),
        DeskEntry(Mark.OUT, "c", "clerk-2", T0 + 31 * MIN),  # never in: no time
        DeskEntry(Mark.IN, "a", "clerk-1", T0 + 60 * MIN),
        DeskEntry(Mark.PAPER, "d", "clerk-1", T0 + 61 * MIN),
    ]
    spans = rules.hall_spans(log, until=T0 + 90 * MIN)
    assert spans == {
        "a": [(T0, T0 + 30 * MIN), (T0 + 60 * MIN, T0 + 90 * MIN)],
        "b": [(T0 + 5 * MIN, T0 + 90 * MIN)],  # still in: up to now
    }


def test_the_quorum_counts_the_panel_once_whether_online_or_in_the_hall() -> None:
    q = rules.quorum(panel={"a", "b", "c", "d"}, online={"a", "b", "host-1"}, hall={"b", "c"})
    assert (q.panel, q.online, q.hall, q.present) == (4, 2, 2, 3)


def test_a_vote_is_limited_to_the_hall_in_its_draft_only() -> None:
    rules.check_hall_vote(VoteState.DRAFT)
    for state in (VoteState.OPEN, VoteState.CLOSED, VoteState.PUBLISHED):
        with pytest.raises(HubError) as err:
            rules.check_hall_vote(state)
        assert err.value.code is Code.BAD_TRANSITION
    rules.check_in_hall(True, "plenary")
    with pytest.raises(HubError) as out:
        rules.check_in_hall(False, "plenary")
    assert out.value.code is Code.NOT_CHECKED_IN and out.value.retryable


def test_the_honoraria_rows_join_online_and_hall_time_once() -> None:
    panel = [
        person("a", gender="female", age_band="18-29", district="종로구"),
        person("b", gender="male", age_band="18-29", district="종로구"),
        person("c", gender="male", age_band="70+", district="강남구"),
        person("d", gender="female", age_band="70+"),
    ]
    record = report.SessionRecord(
        session="plenary",
        # a: a phone and a laptop overlapping (0-40 and 20-50), then online while in the hall
        online={"a": [(T0, T0 + 40 * MIN), (T0 + 20 * MIN, T0 + 50 * MIN)], "b": [(T0, T0 + 10 * MIN)]},
        desk=[
            DeskEntry(Mark.IN, "a", "clerk-1", T0 + 45 * MIN),
            DeskEntry(Mark.OUT, "a", "clerk-1", T0 + 70 * MIN),
            DeskEntry(Mark.PAPER, "c", "clerk-1", T0 + 80 * MIN),
        ],
        now=T0 + 90 * MIN,
    )
    rows = {r.participant_id: r for r in report.panelist_rows(record, panel)}
    a = rows["a"]
    assert (a.online_minutes, a.hall_minutes, a.total_minutes) == (50, 25, 70)  # 0-70, once
    assert a.hall_in == report.seoul_time(T0 + 45 * MIN) and a.hall_out == report.seoul_time(T0 + 70 * MIN)
    assert (rows["b"].total_minutes, rows["b"].attended, rows["b"].hall_in) == (10, True, "")
    assert (rows["c"].paper, rows["c"].total_minutes, rows["c"].attended) == (True, 0, True)
    assert (rows["d"].attended, rows["d"].cells()[-1]) == (False, "no")

    strata = report.stratum_rows("plenary", panel, {pid: r.attended for pid, r in rows.items()})
    table = {(s.feature, s.value): (s.panel, s.attended) for s in strata}
    assert table[("gender", "female")] == (2, 1) and table[("gender", "male")] == (2, 2)
    assert table[("age_band", "70+")] == (2, 1) and table[("district", report.UNKNOWN)] == (1, 0)
    assert (
        report.to_csv(report.STRATUM_COLUMNS, strata).splitlines()[0]
        == "\ufeffsession,feature,value,panel,attended"
    )


def test_desk_times_are_seoul_times() -> None:
    assert report.seoul_time(0) == "1970-01-01 09:00"
