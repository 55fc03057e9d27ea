"""Learning (issue 14): who of a meeting's panel opened its materials, counted per stratum.

Orientation papers and online courses are the meeting's materials (``moderation/agenda.py``,
``materials`` on ``meeting/<id>/agenda``). When a panelist opens one, the page tells the hub once
(``learning_store.LearningStore.opened``: once per panelist and material, a repeat changes
nothing). The hosts then see, per material and for the meeting's required set, how many of the
panel opened it, by gender, age band and district, so that staff can help the panelists who fall
behind.

This module is the rule, pure: who is the panel (:func:`panel_of`), what counts (:func:`figure`:
only members of the panel; one row per stratum value, the roster's empty value in
``ballot.turnout.UNKNOWN``'s row, as turnout does, so that a feature's rows add up to the totals),
the required set (:data:`REQUIRED`), and the hosts' CSV (:func:`completion_csv`). The store reads
and writes Redis; the HTTP routes only pass the two together.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Final, Protocol

import msgspec

from ballot.turnout import STRATA, Stratified, stratum_value
from engine.roles import PANELISTS, Role
from moderation.polls import csv_cell

REQUIRED: Final = "required"
"""The figure of the meeting's required set: a panelist counts once they opened *every* material
of the meeting. Every material the hosts list is one the panel is asked to read or watch (there is
no "optional" mark yet), so the required set is the whole list."""


class Member(Stratified, Protocol):
    """What the rule reads of a roster entry (``panel.roster.Participant``; moderation/ does not
    import panel/): the strata, as turnout reads them (``ballot.turnout.Stratified``), and whether
    it is a panelist of the meeting."""

    @property
    def role(self) -> Role: ...

    def in_meeting(self, meeting_id: str) -> bool: ...


class Row(msgspec.Struct, frozen=True):
    """One stratum value: panelists of the meeting with it, and how many of them opened."""

    panel: int
    opened: int


class Figure(msgspec.Struct, frozen=True, kw_only=True):
    """The completion of one material (``material`` its id) or of the required set
    (``material`` is :data:`REQUIRED`): totals, then ``strata``: feature -> value -> row."""

    material: str
    title: str
    panel: int
    opened: int
    strata: dict[str, dict[str, Row]]


class Completion(msgspec.Struct, frozen=True, kw_only=True):
    """What the hosts see of a meeting: one figure per material, in the materials' order, and the
    required set's figure."""

    meeting: str
    panel: int
    materials: list[Figure]
    required: Figure


def panel_of(roster: Iterable[Member], meeting_id: str) -> list[Member]:
    """The meeting's panel: the panelists who are members of it, in roster order. Staff who open a
    material are not counted: the figure is about the citizens."""
    return [p for p in roster if p.role in PANELISTS and p.in_meeting(meeting_id)]


def figure(material: str, title: str, panel: Sequence[Member], done: Collection[str]) -> Figure:
    """How many of ``panel`` are in ``done`` (the ids that opened), in total and by stratum. Ids in
    ``done`` that are not on the panel (a panelist moved to another meeting, a staff member) are
    left out, so each feature's rows add up to the totals."""
    strata: dict[str, dict[str, Row]] = {}
    for feature in STRATA:
        tally: dict[str, list[int]] = {}
        for p in panel:
            row = tally.setdefault(stratum_value(getattr(p, feature)), [0, 0])
            row[0] += 1
            row[1] += p.id in done
        strata[feature] = {value: Row(panel=n, opened=k) for value, (n, k) in tally.items()}
    return Figure(
        material=material,
        title=title,
        panel=len(panel),
        opened=sum(1 for p in panel if p.id in done),
        strata=strata,
    )


def completion(
    meeting_id: str,
    panel: Sequence[Member],
    materials: Sequence[Mapping[str, Any]],
    opened: Mapping[str, Collection[str]],
) -> Completion:
    """The meeting's figures from its panel, its materials (``[{id, title, ...}]``, in order) and
    who opened each (material id -> participant ids). A material nobody opened has no entry in
    ``opened``. The required set's ``done`` is the panelists who opened every material (with no
    materials, nobody: there is nothing to complete)."""
    figures = [figure(m["id"], m["title"], panel, opened.get(m["id"], ())) for m in materials]
    everyone = {p.id for p in panel}
    done = set(everyone) if materials else set()
    for m in materials:
        done &= set(opened.get(m["id"], ()))
    return Completion(
        meeting=meeting_id,
        panel=len(panel),
        materials=figures,
        required=figure(REQUIRED, "", panel, done),
    )


CSV_HEADER: Final = ("material", "title", "feature", "value", "panel", "opened", "percent")


def percent(opened: int, panel: int) -> str:
    """A share as the CSV writes it: one decimal, empty for an empty panel (0 of 0 is no share)."""
    return f"{100 * opened / panel:.1f}" if panel else ""


def completion_csv(c: Completion) -> str:
    """The hosts' CSV: per figure (each material, then :data:`REQUIRED`), a ``total`` row and one
    row per stratum value. Counts only, never who: a spreadsheet of who opened what would be a
    list of people to chase, which is the staff's call to make from the console, not a file's."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for f in [*c.materials, c.required]:
        w.writerow(
            (f.material, csv_cell(f.title), "total", "", f.panel, f.opened, percent(f.opened, f.panel))
        )
        for feature in STRATA:
            for value, row in f.strata[feature].items():
                share = percent(row.opened, row.panel)
                w.writerow((f.material, csv_cell(f.title), feature, value, row.panel, row.opened, share))
    return out.getvalue()
