"""The open record of a meeting's proposals (issue 14): every proposal with every version and
comment, as JSON and as CSV, for every member of the meeting (``GET /api/meetings/<id>/proposals``
and ``.csv``). Pure functions of what ``ProposalStore.record`` read; who supports what is never in
it (counts only), as on the channel."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import msgspec

from engine.seoul import in_seoul
from moderation.polls import csv_cell
from proposals.model import SECTIONS, FromTheme, Proposal
from proposals.provenance import Origin
from proposals.store import Detail

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


def seoul_time(ms: int) -> str:
    """A time of the proposals' exports, in Seoul, to the second (ISO 8601); "" for none. One
    format for the meeting's proposals CSV and a proposal's path CSV (``proposals/path.py``)."""
    return in_seoul(ms).isoformat(timespec="seconds") if ms else ""


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
                seoul_time(p.at),
                seoul_time(p.updated),
                *_provenance(p),
            ]
        )
    return buf.getvalue()


# -- issue 14: shortlist and ballot -------------------------------------------------------------------
PROVENANCE_COLUMNS = (
    "item",
    "rank",
    "meeting",
    "proposal",
    "section",
    "section_ko",
    "title",
    "authors",
    "shortlist_vote",
    "shortlist_rank",
    # issue 15: an item made from a theme of the theme team: the theme, its cards and their tables
    "theme",
    "theme_title",
    "theme_cards",
    "theme_tables",
)


def provenance_json(origin: Origin, order: Sequence[str]) -> dict[str, Any]:
    """A vote made from proposals, item by item: where each came from (``Provenance``) and, once
    the vote is published (``order``: its strict published order, else empty), its ``rank``. The
    companion of the vote's export: the export's bytes stay what ``ballot/`` signs and hashes."""
    rank = {item: n for n, item in enumerate(order, start=1)}
    items = []
    for p in origin.items:
        row = msgspec.to_builtins(p)
        row["rank"] = rank.get(p.item, 0)
        items.append(row)
    out = msgspec.to_builtins(origin)
    out["items"] = items
    out["published"] = bool(order)
    return out


def _theme_cells(theme: FromTheme | None) -> list[str]:
    """The four theme columns of a ballot item: empty unless it was made from a theme (issue 15)."""
    if theme is None:
        return ["", "", "", ""]
    return [
        theme.theme,
        csv_cell(theme.title),
        csv_cell("; ".join(f"{c.id}: {c.text}" for c in theme.cards)),
        csv_cell("; ".join(theme.tables())),
    ]


def provenance_csv(origin: Origin, order: Sequence[str]) -> str:
    """:func:`provenance_json` as one row per ballot item (rank empty until published)."""
    rank = {item: n for n, item in enumerate(order, start=1)}
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(PROVENANCE_COLUMNS)
    for p in origin.items:
        s = p.shortlist
        w.writerow(
            [
                p.item,
                rank.get(p.item, ""),
                p.meeting,
                p.proposal,
                p.section,
                SECTIONS.get(p.section, ("", ""))[0],
                csv_cell(p.title),
                csv_cell("; ".join(a.name for a in p.authors)),
                s.vote if s else "",
                s.rank if s else "",
                *_theme_cells(p.theme),
            ]
        )
    return buf.getvalue()
