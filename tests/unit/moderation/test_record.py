"""The open record's parts as pure functions (moderation/record.py): a removed chat message keeps
its place without its text, only public questions are in it with the asker named only by consent,
the slides shown come from the agenda's archive, and the CSV flattens it all as text."""

from __future__ import annotations

import csv
import io
from typing import Any

from engine.channels import StoredEvent
from moderation import record

AUTHOR = {"id": "p1", "name": "김민준", "role": "panelist"}


def test_a_removed_message_keeps_its_place_and_loses_its_text() -> None:
    events = [
        StoredEvent(1, 1000, "chat.message", {"text": "안녕하세요", "author": AUTHOR}),
        StoredEvent(2, 2000, "chat.removed", {}),  # the tombstone of a deleted message
        StoredEvent(3, 3000, "chat.message", {"text": "010-1234-5678", "author": AUTHOR}),
        StoredEvent(4, 3500, "chat.deleted", {"offset": 3, "by": {}, "reason": ""}),  # an old deletion
        StoredEvent(5, 4000, "chat.muted", {"participant": "p2", "until": 1}),
    ]
    out = record.chat_entries(events)
    assert out == [
        {"offset": 1, "time": 1000, "text": "안녕하세요", "author": {"name": "김민준", "role": "panelist"}},
        {"offset": 2, "time": 2000, "removed": True},
        {"offset": 3, "time": 3000, "removed": True},
    ]
    assert "010" not in repr(out) and "p1" not in repr(out)


def test_only_public_questions_are_in_the_record_and_anonymous_askers_stay_anonymous() -> None:
    def q(i: int, state: str, anonymous: bool) -> dict[str, Any]:
        return {"id": i, "text": f"질문 {i}", "state": state, "votes": i, "at": i, "anonymous": anonymous,
                "author": {"id": "p1", "name": "김민준"}}  # fmt: skip

    out = record.questions(
        {
            1: q(1, "answered", False),
            2: q(2, "approved", True),
            3: q(3, "pending", False),
            4: q(4, "dismissed", False),
        }
    )
    assert [(x["id"], x["state"], x["author"]) for x in out] == [
        (1, "answered", "김민준"),
        (2, "approved", None),
    ]


def test_the_slides_shown_are_the_agenda_archives_slide_events() -> None:
    slide = {"kind": "image", "url": "/api/meetings/m1/uploads/u1", "title": "그림 1", "page": 1}
    events = [
        StoredEvent(1, 10, "agenda.items", {"items": []}),
        StoredEvent(2, 20, "slide.shown", {"slide": slide}),
        StoredEvent(3, 30, "slide.cleared", {"slide": None}),
        StoredEvent(
            4, 40, "slide.shown", {"slide": {**slide, "kind": "url", "url": "https://x.kr", "title": "웹"}}
        ),
    ]
    assert [(s["time"], s["kind"], s["title"]) for s in record.slides_shown(events)] == [
        (20, "image", "그림 1"),
        (40, "url", "웹"),
    ]


def test_a_vote_shows_results_and_links_only_once_published() -> None:
    assert record.vote_entry("v1", "투표", "open", None)["results"] is None
    shown = {
        "method": "schulze",
        "ranking": [["가"], ["나", "다"]],
        "tied": True,
        "n_voters": 3,
        "head_hash": "ab",
    }
    res = record.vote_entry("v1", "투표", "published", shown)["results"]
    assert res["page"] == "/results/v1" and res["exports"]["board.csv"] == "/api/votes/v1/board.csv"


def test_the_csv_has_every_section_and_keeps_text_as_text() -> None:
    rec = {
        "agenda": {"items": [{"id": "a1", "title": "개회", "minutes": 10}], "current": {"item": "a1"}},
        "materials": [{"id": "m1", "title": "자료", "kind": "document", "url": "https://x.kr"}],
        "slides": [
            {"time": 1_700_000_000_000, "kind": "url", "title": "화면", "url": "https://x.kr", "page": 1}
        ],
        "questions": [{"id": 1, "text": "=1+1", "state": "answered", "votes": 2, "at": 0, "author": None}],
        "chat": [
            {"offset": 1, "time": 0, "text": "안녕", "author": {"name": "김민준", "role": "panelist"}},
            {"offset": 2, "time": 0, "removed": True},
        ],
        "votes": [
            {
                "vote": "v1",
                "title": "투표",
                "status": "published",
                "results": {"ranking": [["가"], ["나", "다"]]},
            }
        ],
        "captions": [{"offset": 1, "time": 0, "text": "시작합니다", "by": {"id": "cap", "name": "자막"}}],
    }
    rows = list(csv.reader(io.StringIO(record.record_csv(rec))))
    assert rows[0] == list(record.CSV_HEADER)
    assert [r[0] for r in rows[1:]] == [
        "agenda",
        "material",
        "slide",
        "question",
        "chat",
        "chat",
        "vote",
        "caption",
    ]
    assert rows[1][5] == "10 min · now"
    assert rows[3][1] == "2023-11-15 07:13:20"  # Seoul time
    assert rows[4][4] == "'=1+1"  # never a formula in a spreadsheet
    assert rows[6][3:] == ["", "", "removed"]
    assert rows[7][5] == "published 가 > 나 = 다"
