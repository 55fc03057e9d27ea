"""The hosts' per-question counts of a survey (moderation/polls.py ``count_answers``), without Redis:
they add up to the answers, whatever the questions and the answers, and agree with the tally fields
the store counts in Lua (``check_answers``' second result)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from moderation import polls
from tests.examples import examples

KINDS = ("single", "multiple", "scale", "text")


@st.composite
def question(draw: st.DrawFn, n: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(KINDS))
    q: dict[str, Any] = {"id": f"q{n}", "kind": kind, "prompt": f"질문 {n}", "required": draw(st.booleans())}
    if kind in ("single", "multiple"):
        q["options"] = [f"보기 {i}" for i in range(draw(st.integers(2, 6)))]
    return q


@st.composite
def survey_and_answers(draw: st.DrawFn) -> tuple[polls.PollDefinition, list[dict[str, Any]]]:
    n = draw(st.integers(1, 5))
    defn = polls.decode_definition(
        {"id": "s1", "title": "설문", "kind": "survey", "questions": [draw(question(i)) for i in range(n)]}
    )
    rows = []
    for _ in range(draw(st.integers(0, 25))):
        answers: dict[str, Any] = {}
        for q in defn.questions:
            if not q.required and draw(st.booleans()):
                continue  # left out: allowed
            if q.kind == "single":
                answers[q.id] = draw(st.integers(0, len(q.options) - 1))
            elif q.kind == "multiple":
                answers[q.id] = draw(st.sets(st.integers(0, len(q.options) - 1), min_size=1).map(list))
            elif q.kind == "scale":
                answers[q.id] = draw(st.integers(1, 5))
            else:
                answers[q.id] = draw(st.text("가나다 abc", min_size=1, max_size=20).filter(str.strip))
        rows.append(answers)
    return defn, rows


@settings(max_examples=examples(200), deadline=None)
@given(survey_and_answers())
def test_the_counts_add_up_to_the_answers(case: tuple[polls.PollDefinition, list[dict[str, Any]]]) -> None:
    defn, raw_answers = case
    checked = [polls.check_answers(defn, a) for a in raw_answers]
    counted = polls.count_answers(defn, [stored for stored, _tally in checked])
    assert [c.id for c in counted] == [q.id for q in defn.questions]
    tally = Counter(field for _stored, fields in checked for field in fields)
    for q, c in zip(defn.questions, counted, strict=True):
        answered = sum(q.id in stored for stored, _ in checked)
        assert c.answered == answered
        if q.kind == "text":
            assert c.options == ()
            assert tally[f"{q.id}:0"] == answered  # the store counts one per text answer
            continue
        assert len(c.options) == (5 if q.kind == "scale" else len(q.options))
        assert list(c.options) == [tally[f"{q.id}:{i}"] for i in range(len(c.options))]
        if q.kind == "multiple":
            assert sum(c.options) >= c.answered and max(c.options, default=0) <= c.answered
        else:
            assert sum(c.options) == c.answered


def test_a_survey_counted_per_question_and_choice() -> None:
    defn = polls.decode_definition(
        {
            "id": "s1",
            "title": "교통 설문",
            "kind": "survey",
            "questions": [
                {"id": "q1", "kind": "multiple", "prompt": "탈것", "options": ["버스", "지하철", "자전거"]},
                {"id": "q2", "kind": "text", "prompt": "바라는 점", "required": False},
                {"id": "q3", "kind": "scale", "prompt": "만족도"},
            ],
        }
    )
    stored = [
        polls.check_answers(defn, {"q1": [0, 1], "q2": "배차 간격", "q3": 5})[0],
        polls.check_answers(defn, {"q1": [0], "q3": 4})[0],
    ]
    assert polls.count_answers(defn, stored) == [
        polls.QuestionCount(id="q1", kind="multiple", answered=2, options=(2, 1, 0)),
        polls.QuestionCount(id="q2", kind="text", answered=1, options=()),
        polls.QuestionCount(id="q3", kind="scale", answered=2, options=(0, 0, 0, 1, 1)),
    ]
    assert polls.count_answers(defn, []) == [
        polls.QuestionCount(id="q1", kind="multiple", answered=0, options=(0, 0, 0)),
        polls.QuestionCount(id="q2", kind="text", answered=0, options=()),
        polls.QuestionCount(id="q3", kind="scale", answered=0, options=(0, 0, 0, 0, 0)),
    ]
