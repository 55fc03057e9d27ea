"""Pure rules of speakers, agenda, slides and polls, on states built by hand (no Redis)."""

from __future__ import annotations

from typing import Any

import pytest

from ballot.rules import HostCommand
from engine.errors import Code, HubError
from moderation import agenda, polls, speakers, uploads
from moderation.state import State


def state(**values: Any) -> State:
    return State(values, {}, 0)


def code_of(fn: Any, *args: Any) -> Code | None:
    try:
        fn(*args)
    except HubError as err:
        return err.code
    return None


def test_hands_in_order_and_the_moderators_order() -> None:
    s = state(
        **{
            "hand:a": {"id": "a", "name": "A", "at": 5, "rank": 2},
            "hand:b": {"id": "b", "name": "B", "at": 9, "rank": 1},
        }
    )
    assert [h["id"] for h in speakers.hands(s)] == ["b", "a"]
    raised = speakers.raise_hand("c", "C", 10)(s)
    assert raised.sets["hand:c"]["rank"] == 3 and raised.guards == ("hand:c",)
    assert speakers.raise_hand("a", "A", 10)(s).event == ""  # again: nothing to change
    assert code_of(speakers.order(["a"]), s) == Code.BAD_ORDER
    assert code_of(speakers.order(["a", "a"]), s) == Code.BAD_ORDER
    assert speakers.order(["a", "b"])(s).sets["hand:a"]["rank"] == 1
    assert code_of(speakers.lower_hand, "a", "b", "panelist") == Code.FORBIDDEN


def test_call_on_and_yield() -> None:
    s = state(**{"hand:a": {"id": "a", "name": "A", "at": 5, "rank": 1}}, seconds=60)
    called = speakers.call_next(None, None, 1000)(s)
    assert called.sets["current"] == {
        "id": "a",
        "name": "A",
        "started_at": 1000,
        "ends_at": 61_000,
        "seconds": 60,
    }
    assert called.deletes == ("hand:a",)
    assert code_of(speakers.call_next("zz", None, 0), s) == Code.NOBODY_WAITING
    assert code_of(speakers.call_next(None, None, 0), state()) == Code.NOBODY_WAITING
    speaking = state(current={"id": "a", "name": "A", "started_at": 1000, "ends_at": 2000, "seconds": 1})
    assert code_of(speakers.yield_floor("b", "panelist", 1500), speaking) == Code.NOT_THE_SPEAKER
    assert speakers.yield_floor("b", "moderator", 1500)(speaking).data["spoke_ms"] == 500


def test_agenda_rules() -> None:
    items = [
        {"id": "a", "title": "개회", "starts_at": 0, "minutes": 5},
        {"id": "b", "title": "토론", "starts_at": 0, "minutes": 0},
    ]
    s = state(items=items, current={"item": "b", "since": 1})
    changed = agenda.set_items(items[:1])(s)
    assert changed.deletes == ("current",) and changed.data["current"] is None  # its item is gone
    assert code_of(agenda.set_items, [items[0], items[0]]) == Code.BAD_AGENDA
    assert code_of(agenda.set_current("zz"), s) == Code.UNKNOWN_ITEM
    assert code_of(agenda.slide_from_url, "javascript:alert(1)", "") == Code.BAD_SLIDE
    up = {"id": "u1", "type": "application/pdf", "pages": 3, "name": "deck.pdf"}
    assert agenda.slide_from_upload("m1", up, 3, "")["title"] == "deck.pdf"
    assert code_of(agenda.slide_from_upload, "m1", up, 4, "") == Code.BAD_SLIDE


@pytest.mark.parametrize(
    ("upload", "url", "code"),
    [
        ("u1", None, None),
        (None, "https://example.org/a", None),
        ("u1", "https://x", Code.BAD_SLIDE),
        (None, None, Code.BAD_SLIDE),
    ],
)
def test_a_slide_is_an_upload_or_a_url(upload: str | None, url: str | None, code: Code | None) -> None:
    assert code_of(agenda.check_slide_source, upload, url) == code


def test_uploads_are_checked_by_their_bytes() -> None:
    assert uploads.check(b"\x89PNG\r\n\x1a\nxxxx")[0] == "image/png"
    assert uploads.check(b"%PDF-1.7 /Type /Pages /Type /Page /Type/Page")[:2] == ("application/pdf", 2)
    assert code_of(uploads.check, b"<svg onload=alert(1)>") == Code.BAD_UPLOAD
    assert code_of(uploads.check, b"") == Code.BAD_UPLOAD


POLL = {
    "id": "p",
    "title": "만족도",
    "questions": [{"id": "q", "kind": "single", "prompt": "?", "options": ["예", "아니오"]}],
}


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"id": "bad id"}, "id"),
        ({"title": " "}, "title"),
        ({"questions": []}, "questions"),
        ({"questions": [POLL["questions"][0]] * 2}, "questions"),  # a quick poll asks one question
        (
            {"questions": [{"id": "q", "kind": "single", "prompt": "?", "options": ["only"]}]},
            "questions[0].options",
        ),
        ({"questions": [{"id": "q", "kind": "text", "prompt": "?"}]}, "questions[0].kind"),
        (
            {"questions": [{"id": "q", "kind": "scale", "prompt": "?", "options": ["a", "b"]}]},
            "questions[0].options",
        ),
        ({"extra": 1}, "not a poll definition"),
    ],
)
def test_bad_poll_definitions_name_the_field(change: dict[str, Any], where: str) -> None:
    with pytest.raises(HubError) as exc:
        polls.decode_definition({**POLL, **change})
    assert exc.value.code == Code.BAD_POLL and exc.value.message.startswith(where)


def test_answers_and_the_lifecycle_reused_from_the_vote() -> None:
    survey = polls.decode_definition(
        {
            "id": "s",
            "kind": "survey",
            "title": "설문",
            "questions": [
                {"id": "m", "kind": "multiple", "prompt": "?", "options": ["a", "b", "c"]},
                {"id": "s", "kind": "scale", "prompt": "?"},
                {"id": "t", "kind": "text", "prompt": "?", "required": False},
            ],
        }
    )
    stored, tally = polls.check_answers(survey, {"m": [2, 0], "s": 5, "t": " 좋아요\u200b "})
    assert stored == {"m": [0, 2], "s": 5, "t": "좋아요"} and tally == ["m:0", "m:2", "s:4", "t:0"]
    for bad in (
        {"m": [], "s": 1},
        {"m": [True], "s": 1},
        {"m": [0], "s": 0},
        {"m": [0]},
        {"m": [0], "s": 1, "x": 1},
    ):
        assert code_of(polls.check_answers, survey, bad) == Code.BAD_ANSWER
    assert polls.next_status("draft", HostCommand.OPEN) == "open"
    assert code_of(polls.next_status, "draft", HostCommand.PUBLISH) == Code.BAD_TRANSITION
    csv_text = polls.to_csv(survey, [{"answers": stored, "strata": {"gender": "female"}, "at": 0}])
    assert csv_text.splitlines()[1] == "1,female,,,1970-01-01T00:00:00+00:00,a; c,5,좋아요"
    assert polls.csv_cell("=1+1") == "'=1+1"
