"""A proposal's path from submission to the city's response (issue 14, "the open record"): what
its page (``/record/<meeting>/proposals/<id>``) and its exports hold, as pure functions of what
``ProposalStore.path`` read.

The page is a timeline, one step per line, in the order a proposal travels: submitted, each
accepted edit (with the authors who consented), merges (from and into, with the other proposal's
title), returned, kept by its meeting's shortlist vote, an item of the plenary ballot, decided, and
each of the city's responses. Comments and the 공감 count stand beside it, not in it (hundreds of
comments would bury the path). Steps the record holds no time for (the shortlist and the ballot
carry their vote and rank, not a time) have ``at`` 0: the order of the list is the path's, not the
clock's.

Who reads it: every member of the proposal's meeting (the roles that follow its proposals channel),
as ``proposal.get``; names of authors and commenters are in it, as on the panel's page. The public
results page reads :func:`public_response` only: no one's name (panelists' names are personal
data; the staff member who keyed the response in is not the one who answers for it, the department
is).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

import msgspec

from moderation.polls import csv_cell
from proposals.model import SECTIONS, Person, Proposal, PState
from proposals.record import seoul_time
from proposals.response import WORDS
from proposals.store import Path


def _name(people: Mapping[str, str], pid: str) -> str:
    return people.get(pid, pid)


def _person(p: Person) -> dict[str, str]:
    return {"id": p.id, "name": p.name}


def _ref(pid: int, related: Mapping[int, Proposal]) -> dict[str, Any]:
    other = related.get(pid)
    return {"id": pid, "title": other.title if other else ""}


def timeline(path: Path) -> list[dict[str, Any]]:
    """The proposal's steps in path order: ``{step, at, by, ...}`` (``by`` null when no one person
    took the step: a vote did)."""
    d = path.detail
    p = d.proposal
    people = {a.id: a.name for a in p.authors}
    steps: list[dict[str, Any]] = []
    for v in d.versions:
        if v.version == 1:
            steps.append(
                {"step": "submitted", "at": v.at, "by": _person(v.by), "version": 1, "title": v.title}
            )
        else:
            steps.append(
                {
                    "step": "edited",
                    "at": v.at,
                    "by": _person(v.by),
                    "version": v.version,
                    "title": v.title,
                    "note": v.note,
                    "consents": [_name(people, c) for c in v.consents],
                }
            )
    for other in p.merged_from:
        ref = _ref(other, path.related)
        when = path.related[other].updated if other in path.related else 0
        steps.append({"step": "merged_from", "at": when, "by": None, "proposal": ref})
    if p.state is PState.MERGED:
        steps.append(
            {
                "step": "merged_into",
                "at": p.updated,
                "by": None,
                "proposal": _ref(p.merged_into, path.related),
            }
        )
    if p.state is PState.RETURNED:
        steps.append({"step": "returned", "at": p.updated, "by": None, "reason": p.reason})
    if p.shortlist is not None:
        steps.append(
            {"step": "shortlisted", "at": 0, "by": None, "vote": p.shortlist.vote, "rank": p.shortlist.rank}
        )
    if p.ballot is not None:
        steps.append({"step": "on_ballot", "at": 0, "by": None, "vote": p.ballot.vote, "item": p.ballot.item})
        if p.state is PState.DECIDED:
            steps.append(
                {"step": "decided", "at": 0, "by": None, "vote": p.ballot.vote, "rank": p.ballot.rank}
            )
    for n, r in enumerate(path.responses, 1):
        steps.append(
            {
                "step": "responded",
                "at": r.at,
                "by": _person(r.by),
                "n": n,
                "status": r.status.value,
                "department": r.department,
                "text": r.text,
                "current": n == len(path.responses),
            }
        )
    return steps


def as_json(path: Path) -> dict[str, Any]:
    """The page's data: ``{meeting, proposal, versions, comments, responses, merged_from,
    merged_into, timeline}``. Who supports it is not in it (the count is)."""
    d = path.detail
    p = d.proposal
    return {
        "meeting": p.meeting,
        "proposal": msgspec.to_builtins(p),
        "versions": msgspec.to_builtins(d.versions),
        "comments": msgspec.to_builtins(d.comments),
        "responses": msgspec.to_builtins(path.responses),
        "merged_from": [_ref(i, path.related) for i in p.merged_from],
        "merged_into": _ref(p.merged_into, path.related) if p.merged_into else None,
        "timeline": timeline(path),
    }


CSV_COLUMNS = ("step", "when", "by", "detail")


def _detail(s: dict[str, Any]) -> str:
    step = s["step"]
    if step in ("submitted", "edited"):
        extra = f" ({'; '.join(s['consents'])})" if s.get("consents") else ""
        return f"v{s['version']}: {s['title']}{extra}"
    if step in ("merged_from", "merged_into"):
        return f"{s['proposal']['id']}: {s['proposal']['title']}"
    if step == "returned":
        return str(s["reason"])
    if step in ("shortlisted", "decided"):
        return f"{s['vote']} #{s['rank']}"
    if step == "on_ballot":
        return f"{s['vote']} {s['item']}"
    if step == "responded":
        return f"{WORDS[s['status']]} · {s['department']} · {s['text']}"
    return ""


def as_csv(path: Path) -> str:
    """One row per step of the timeline, times in Seoul; text cells kept as text in spreadsheets."""
    buf = io.StringIO()
    w = csv.writer(buf)
    p = path.detail.proposal
    w.writerow(("proposal", p.id, csv_cell(p.title), SECTIONS.get(p.section, ("", ""))[0], p.state))
    w.writerow(CSV_COLUMNS)
    for s in timeline(path):
        by = s["by"]["name"] if s["by"] else ""
        w.writerow((s["step"], seoul_time(s["at"]), csv_cell(by), csv_cell(_detail(s))))
    return buf.getvalue()


def public_response(p: Proposal) -> dict[str, Any]:
    """A decided proposal's response as the public results page shows it: the ballot item and its
    rank, the title and section, the answer, the department, the text and when. No names."""
    assert p.response is not None and p.ballot is not None
    r = p.response
    return {
        "item": p.ballot.item,
        "rank": p.ballot.rank,
        "title": p.title,
        "section": p.section,
        "status": r.status.value,
        "department": r.department,
        "text": r.text,
        "at": r.at,
    }
