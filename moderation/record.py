"""The open record of a meeting (issue 14): what it showed, in one document, and how each part is
put before its readers. Pure: ``moderation/record_read.py`` reads the parts from Redis.

The whole process is open to the panelists, so the record holds what the meeting showed its
members, and nothing that only staff saw:

- ``agenda`` (items and the one under way) and ``materials``: the agenda channel's state now;
- ``slides``: every slide shown, in order, with when (:func:`slides_shown`, from the agenda
  channel's archive: each ``slide.shown`` event is kept there with its time, so no separate
  history is needed);
- ``questions``: the Q&A as panelists see it (:func:`questions`): approved, queued, on air and
  answered questions with their support, the asker named only when they agreed
  (``qa.public_record`` has already applied that); pending, set-aside and merged ones are not
  public and are not in the record;
- ``chat`` (:func:`chat_entries`): every message in order; a message a moderator removed keeps
  its place as ``{"offset", "time", "removed": true}`` and no text or author (the archive holds
  only a tombstone; the moderators' audit is not the record);
- ``votes``: the meeting's votes with their state, and once published the official order and the
  links to the public results and exports (:func:`vote_entry`);
- ``captions``: the finished lines with their times.

A meeting still running has a record too: it is read when asked, so it holds what is there so far
(``running`` says so). :func:`record_csv` flattens it into one table for a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any, Final

from engine.channels import StoredEvent
from engine.seoul import in_seoul
from moderation import chat, qa
from moderation.polls import csv_cell

SLIDE_SHOWN: Final = "slide.shown"

EXPORT_LINKS: Final = ("export.json", "board.csv")
"""The files of a published vote the record links to (``ballot/export.py``'s public files)."""


def running(ends_at: int, now: int) -> bool:
    """Whether a meeting is still under way (or not yet over): its end is unknown or ahead."""
    return ends_at == 0 or now < ends_at


def slides_shown(events: Iterable[StoredEvent]) -> list[dict[str, Any]]:
    """Every slide shown, oldest first, from the agenda channel's archive: when, what it was (an
    uploaded image or PDF, a web page), its title, page and address (an uploaded file's address
    answers only the meeting's members, with their token)."""
    out = []
    for e in events:
        if e.type != SLIDE_SHOWN:
            continue
        s = e.data.get("slide") or {}
        out.append(
            {
                "time": e.time,
                "kind": s.get("kind", ""),
                "title": s.get("title", ""),
                "url": s.get("url", ""),
                "page": s.get("page", 1),
            }
        )
    return out


def questions(public: Mapping[int, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The Q&A of the record from the panelists' view (question id -> public record), in the order
    they were asked: text, state (approved, queued, on air, answered), support, when, and the asker's
    name only where the view carries it (they agreed to be named)."""
    out = []
    for qid in sorted(public):
        q = qa.public_record(public[qid])
        if q.get("state") not in qa.PUBLIC:
            continue
        author = q.get("author")
        out.append(
            {
                "id": qid,
                "text": q.get("text", ""),
                "state": q.get("state"),
                "votes": int(q.get("votes", 0)),
                "at": int(q.get("at", 0)),
                "author": author.get("name", "") if isinstance(author, Mapping) else None,
            }
        )
    return out


def chat_entries(events: Iterable[StoredEvent]) -> list[dict[str, Any]]:
    """The chat of the record from its archive, in order. A removed message (its tombstone, or, for
    messages removed before tombstones existed, a message with a ``chat.deleted`` after it) is
    ``{"offset", "time", "removed": true}``: its place shows, its text and author never do."""
    events = list(events)
    gone = {e.data["offset"] for e in events if e.type == "chat.deleted"}
    out: list[dict[str, Any]] = []
    for e in events:
        if e.type == chat.REMOVED or (e.type == chat.EVENT and e.offset in gone):
            out.append({"offset": e.offset, "time": e.time, "removed": True})
        elif e.type == chat.EVENT:
            author = e.data.get("author") or {}
            out.append(
                {
                    "offset": e.offset,
                    "time": e.time,
                    "text": e.data.get("text", ""),
                    "author": {"name": author.get("name", ""), "role": author.get("role", "")},
                }
            )
    return out


def vote_entry(vote_id: str, title: str, status: str, on_air: Mapping[str, Any] | None) -> dict[str, Any]:
    """One vote of the meeting: its state, and once published (``on_air``: ``ballot.results.on_air``
    of it) the official order as tiers of titles, how many voted, the board's head hash and the
    links to the public results page and the exports."""
    entry: dict[str, Any] = {"vote": vote_id, "title": title, "status": status, "results": None}
    if on_air is not None:
        entry["results"] = {
            "method": on_air["method"],
            "ranking": on_air["ranking"],
            "tied": on_air["tied"],
            "n_voters": on_air["n_voters"],
            "head_hash": on_air["head_hash"],
            "page": f"/results/{vote_id}",
            "exports": {name: f"/api/votes/{vote_id}/{name}" for name in EXPORT_LINKS},
        }
    return entry


# -- the record as one table -------------------------------------------------------------------
CSV_HEADER: Final = ("section", "time", "id", "who", "text", "detail")


def _when(ms: int) -> str:
    """A time in Seoul, to the second (``2026-12-03 15:04:05``); empty when unknown."""
    if not ms:
        return ""
    return f"{in_seoul(ms):%Y-%m-%d %H:%M:%S}"


def csv_rows(rec: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """The record's rows for :func:`record_csv`, section by section, each in the record's order."""
    rows: list[tuple[str, ...]] = []
    current = (rec["agenda"].get("current") or {}).get("item")
    for item in rec["agenda"]["items"]:
        detail = f"{item.get('minutes', '')} min" if item.get("minutes") else ""
        if item["id"] == current:
            detail = (detail + " · now").strip(" ·")
        rows.append(("agenda", _when(item.get("starts_at", 0)), item["id"], "", item["title"], detail))
    for m in rec["materials"]:
        rows.append(
            ("material", "", m["id"], "", m["title"], f"{m.get('kind', '')} {m.get('url', '')}".strip())
        )
    for s in rec["slides"]:
        rows.append(("slide", _when(s["time"]), "", "", s["title"], f"{s['kind']} {s['url']}".strip()))
    for q in rec["questions"]:
        rows.append(
            (
                "question",
                _when(q["at"]),
                str(q["id"]),
                q["author"] or "",
                q["text"],
                f"{q['state']} · {q['votes']}",
            )
        )
    for c in rec["chat"]:
        if c.get("removed"):
            rows.append(("chat", _when(c["time"]), str(c["offset"]), "", "", "removed"))
        else:
            rows.append(("chat", _when(c["time"]), str(c["offset"]), c["author"]["name"], c["text"], ""))
    for v in rec["votes"]:
        res = v["results"]
        order = " > ".join(" = ".join(tier) for tier in res["ranking"]) if res else ""
        rows.append(("vote", "", v["vote"], "", v["title"], f"{v['status']} {order}".strip()))
    for c in rec["captions"]:
        rows.append(("caption", _when(c["time"]), str(c["offset"]), c["by"].get("name", ""), c["text"], ""))
    return rows


def record_csv(rec: Mapping[str, Any]) -> str:
    """The whole record as one CSV table (``section, time, id, who, text, detail``), times in Seoul;
    every text cell kept as text in a spreadsheet (``polls.csv_cell``)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for row in csv_rows(rec):
        w.writerow(tuple(csv_cell(cell) for cell in row))
    return out.getvalue()
