"""The open record of a meeting's proposals (issue 14): every proposal with every version and
comment, as JSON and as CSV, for every member of the meeting (``GET /api/meetings/<id>/proposals``
and ``.csv``). Pure functions of what ``ProposalStore.record`` read; who supports what is never in
it (counts only), as on the channel."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from moderation.polls import csv_cell
from proposals.model import SECTIONS, Proposal
from proposals.store import Detail

SEOUL = ZoneInfo("Asia/Seoul")
COLUMNS = (
    "id",
    "section",
    "section_ko",
    "state",
    "title",
    "problem",
    "action",
    "authors",
    "supports",
    "comments",
    "version",
    "merged_into",
    "merged_from",
    "reason",
    "submitted",
    "updated",
    # issue 14: shortlist and ballot (empty until reached)
    "shortlist_vote",
    "shortlist_rank",
    "ballot_vote",
    "ballot_item",
    "ballot_rank",
)


def as_json(meeting: str, details: Sequence[Detail]) -> dict[str, Any]:
    """``{meeting, proposals: [{...record, versions, comments}]}``, by id."""
    out = []
    for d in details:
        item = msgspec.to_builtins(d.proposal)
        item["versions"] = msgspec.to_builtins(d.versions)
        item["comments"] = msgspec.to_builtins(d.comments)
        out.append(item)
    return {"meeting": meeting, "proposals": out}


def _when(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, UTC).astimezone(SEOUL).isoformat(timespec="seconds") if ms else ""
    )


def _provenance(p: Proposal) -> list[str | int]:
    """Issue 14: the shortlist vote and rank that kept it, its plenary ballot item and rank."""
    s, b = p.shortlist, p.ballot
    return [
        s.vote if s else "",
        s.rank if s else "",
        b.vote if b else "",
        b.item if b else "",
        b.rank if b and b.rank else "",
    ]


def as_csv(details: Sequence[Detail]) -> str:
    """One row per proposal, its current version (the versions and comments are in the JSON).
    Text cells are kept as text in spreadsheets (``csv_cell``)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    for d in details:
        p = d.proposal
        w.writerow(
            [
                p.id,
                p.section,
                SECTIONS.get(p.section, ("", ""))[0],
                p.state,
                csv_cell(p.title),
                csv_cell(p.problem),
                csv_cell(p.action),
                csv_cell("; ".join(a.name for a in p.authors)),
                p.supports,
                p.comments,
                p.version,
                p.merged_into or "",
                " ".join(str(i) for i in p.merged_from),
                csv_cell(p.reason),
                _when(p.at),
                _when(p.updated),
                *_provenance(p),
            ]
        )
    return buf.getvalue()
