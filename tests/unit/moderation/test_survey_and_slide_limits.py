"""Issue 13's console tools against the rules they rely on (moderation/polls.py, moderation/uploads.py):
a survey as the host console writes it (several questions, single / multiple choice / short text)
is valid, and each way it can be wrong is ``bad_poll`` naming the field; a slide file is at most
``MAX_BYTES`` (the console says the same number before sending) and an image by its bytes."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import Code, HubError
from moderation import polls, uploads

PNG = b"\x89PNG\r\n\x1a\n"


def survey(*questions: dict[str, Any]) -> dict[str, Any]:
    """What panels/survey-editor.js sends: ids q1, q2, ...; text questions not required."""
    return {"id": "s1", "title": "교통 설문", "kind": "survey", "questions": list(questions)}


MULTIPLE = {"id": "q1", "kind": "multiple", "prompt": "주로 타는 것", "options": ["버스", "지하철"]}
TEXT = {"id": "q2", "kind": "text", "prompt": "바라는 점", "required": False}


def test_a_survey_as_the_console_writes_it_is_valid_and_counted_per_question() -> None:
    defn = polls.decode_definition(survey(MULTIPLE, TEXT))
    assert [q.kind for q in defn.questions] == ["multiple", "text"]
    stored, tally = polls.check_answers(defn, {"q1": [1, 0]})  # the text left empty: not required
    assert stored == {"q1": [0, 1]} and tally == ["q1:0", "q1:1"]
    _stored, tally = polls.check_answers(defn, {"q1": [1], "q2": "배차 간격"})
    assert tally == ["q1:1", "q2:0"]  # one more answer to the text question


@pytest.mark.parametrize(
    ("questions", "where"),
    [
        ([], "questions"),
        ([MULTIPLE] * (polls.MAX_QUESTIONS + 1), "questions"),
        ([MULTIPLE, MULTIPLE], "questions[1].id"),  # the same id twice
        ([{**MULTIPLE, "prompt": " "}], "questions[0].prompt"),
        ([{**MULTIPLE, "options": ["버스"]}], "questions[0].options"),
        ([{**MULTIPLE, "options": [f"o{i}" for i in range(polls.MAX_OPTIONS + 1)]}], "questions[0].options"),
        ([{**TEXT, "options": ["a", "b"]}], "questions[0].kind"),
    ],
)
def test_a_bad_survey_is_refused_naming_the_field(questions: list[dict[str, Any]], where: str) -> None:
    with pytest.raises(HubError) as err:
        polls.decode_definition(survey(*questions))
    assert err.value.code is Code.BAD_POLL and err.value.message.startswith(where), err.value.message


def test_a_slide_file_is_at_most_max_bytes() -> None:
    assert uploads.check(PNG + b"\x00" * (uploads.MAX_BYTES - len(PNG)))[0] == "image/png"
    with pytest.raises(HubError) as err:
        uploads.check(PNG + b"\x00" * (uploads.MAX_BYTES - len(PNG) + 1))
    assert err.value.code is Code.BAD_UPLOAD


def test_a_file_named_like_an_image_is_still_read_by_its_bytes() -> None:
    with pytest.raises(HubError) as err:
        uploads.check(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "slide.png")
    assert err.value.code is Code.BAD_UPLOAD
    assert uploads.check(PNG, 'a/b\\"c.png')[2] == "abc.png"  # no path, no quote in the kept name


def test_the_console_says_the_hubs_size_limit() -> None:
    from pathlib import Path

    js = (Path(__file__).parents[3] / "realtime/web/panels/host-media.js").read_text(encoding="utf-8")
    assert f"MAX_SLIDE_BYTES = {uploads.MAX_BYTES // 2**20} * 2 ** 20" in js
