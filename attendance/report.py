"""What ``plenary attendance`` writes: a row per panelist per session (for the honoraria) and a row
per stratum value per session (attended of the panel), as pure functions of what the store read.

"Attended" is any record of presence: online time, a hall check-in, or a paper sign-in (a paper
sheet has no times, so it adds no minutes; the ``paper`` column says it is there). The total is
the union of online and hall time (``intervals.merge``): a panelist online on their phone while
sitting in the hall is counted once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

import msgspec

from attendance.intervals import Interval, covered_ms, minutes
from attendance.rules import DeskEntry, Mark, hall_spans
from engine.seoul import in_seoul
from panel.roster import Participant

FEATURES = ("gender", "age_band", "district")
UNKNOWN = "unknown"  # a panelist the roster gives no value for a feature

PANELIST_COLUMNS = (
    "session",
    "participant_id",
    "name",
    "online_minutes",
    "hall_in",
    "hall_out",
    "hall_minutes",
    "paper",
    "total_minutes",
    "attended",
)
STRATUM_COLUMNS = ("session", "feature", "value", "panel", "attended")


class SessionRecord(msgspec.Struct, kw_only=True):
    """Everything the store holds about one session's attendance, read at ``now``."""

    session: str
    online: dict[str, list[Interval]]  # participant -> online spans (open ones end at ``now``)
    desk: list[DeskEntry]  # the desk log, in order
    now: int


class PanelistRow(msgspec.Struct, kw_only=True):
    session: str
    participant_id: str
    name: str
    online_minutes: int
    hall_in: str  # first check-in, Seoul time, or ""
    hall_out: str  # last check-out, or ""
    hall_minutes: int
    paper: bool
    total_minutes: int
    attended: bool

    def cells(self) -> list[str]:
        yes = {True: "yes", False: "no"}
        return [
            self.session,
            self.participant_id,
            self.name,
            str(self.online_minutes),
            self.hall_in,
            self.hall_out,
            str(self.hall_minutes),
            yes[self.paper],
            str(self.total_minutes),
            yes[self.attended],
        ]


class StratumRow(msgspec.Struct, kw_only=True):
    session: str
    feature: str
    value: str
    panel: int
    attended: int

    def cells(self) -> list[str]:
        return [self.session, self.feature, self.value, str(self.panel), str(self.attended)]


def seoul_time(ms: int) -> str:
    """A desk time as people read it on the sheet: Seoul, to the minute (``2026-12-05 14:03``)."""
    return in_seoul(ms).strftime("%Y-%m-%d %H:%M")


def panelist_rows(record: SessionRecord, panel: Sequence[Participant]) -> list[PanelistRow]:
    """One row per panelist of the session (``panel``: its counted members, in roster order)."""
    hall = hall_spans(record.desk, record.now)
    first_in: dict[str, int] = {}
    last_out: dict[str, int] = {}
    paper: set[str] = set()
    for e in record.desk:
        if e.mark is Mark.IN:
            first_in.setdefault(e.participant, e.at)
        elif e.mark is Mark.OUT:
            last_out[e.participant] = e.at
        else:
            paper.add(e.participant)
    rows = []
    for p in panel:
        online = record.online.get(p.id, [])
        inside = hall.get(p.id, [])
        total = covered_ms([*online, *inside])
        rows.append(
            PanelistRow(
                session=record.session,
                participant_id=p.id,
                name=p.name,
                online_minutes=minutes(covered_ms(online)),
                hall_in=seoul_time(first_in[p.id]) if p.id in first_in else "",
                hall_out=seoul_time(last_out[p.id]) if p.id in last_out else "",
                hall_minutes=minutes(covered_ms(inside)),
                paper=p.id in paper,
                total_minutes=minutes(total),
                attended=total > 0 or p.id in first_in or p.id in paper,
            )
        )
    return rows


def stratum_rows(
    session: str, panel: Iterable[Participant], attended: Mapping[str, bool]
) -> list[StratumRow]:
    """Per feature and value, in roster order of first appearance: the session's panel and how
    many of them attended (``attended``: participant -> attended, from ``panelist_rows``)."""
    counts: dict[tuple[str, str], list[int]] = {}
    people = list(panel)
    for feature in FEATURES:
        for p in people:
            value = getattr(p, feature) or UNKNOWN
            row = counts.setdefault((feature, value), [0, 0])
            row[0] += 1
            row[1] += bool(attended.get(p.id))
    return [
        StratumRow(session=session, feature=f, value=v, panel=n, attended=a)
        for (f, v), (n, a) in counts.items()
    ]


def to_csv(columns: Sequence[str], rows: Iterable[PanelistRow | StratumRow]) -> str:
    """A CSV text: the header, then each row's cells (a spreadsheet opens it as UTF-8 with the BOM)."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(columns)
    w.writerows(r.cells() for r in rows)
    return "\ufeff" + buf.getvalue()
