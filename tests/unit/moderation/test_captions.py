"""The caption rule and the record's formats (moderation/captions.py), without Redis."""

from __future__ import annotations

import pytest

from engine.channels import SPECS
from engine.errors import Code, HubError
from moderation import captions
from moderation.captions import Caption

BY = {"id": "cap", "name": "자막"}
T0 = 1_796_000_000_000


def test_a_caption_is_one_clean_line() -> None:
    assert captions.clean("  회의를\n시작\t\t하겠습니다 ") == "회의를 시작 하겠습니다"
    assert captions.clean("a\u202eb\u200bc") == "abc"  # nothing that hides or reorders text


@pytest.mark.parametrize(("text", "code"), [("", Code.EMPTY_MESSAGE), (" \n\u200b ", Code.EMPTY_MESSAGE)])
def test_an_empty_caption_is_refused(text: str, code: Code) -> None:
    with pytest.raises(HubError) as caught:
        captions.clean(text)
    assert caught.value.code == code


def test_a_caption_has_a_length_limit() -> None:
    assert captions.clean("가" * captions.MAX_CHARS) == "가" * captions.MAX_CHARS
    with pytest.raises(HubError) as caught:
        captions.clean("가" * (captions.MAX_CHARS + 1))
    assert caught.value.code == Code.MESSAGE_TOO_LONG


def test_the_channel_backlog_is_finished_lines() -> None:
    spec = SPECS["captions"]
    assert captions.LINE == "caption.line" == spec.backlog_event
    assert spec.archive and spec.coalesce and not spec.stateful


def test_srt_counts_from_the_start_and_ends_a_cue_at_the_next_line() -> None:
    lines = [
        Caption(1, T0 + 1_500, "첫 줄", BY),
        Caption(3, T0 + 2_750, "둘째 줄", BY),
        Caption(4, T0 + 3_661_000, "한 시간 뒤", BY),
    ]
    assert captions.srt(lines, start_ms=T0) == (
        "1\n00:00:01,500 --> 00:00:02,750\n첫 줄\n\n"
        "2\n00:00:02,750 --> 00:00:06,750\n둘째 줄\n\n"  # at most CUE_MS over the silence after it
        "3\n01:01:01,000 --> 01:01:05,000\n한 시간 뒤\n"
    )
    # by default the first caption is time zero
    assert captions.srt(lines[:1]).startswith("1\n00:00:00,000 --> 00:00:04,000\n")
    assert captions.srt([]) == ""


def test_the_transcript_is_in_seoul_time() -> None:
    at = 1_796_278_800_000  # 2026-12-03 06:20:00 UTC = 15:20:00 in Seoul
    lines = [Caption(1, at, "시작합니다", BY), Caption(2, at + 61_000, "다음", BY)]
    assert captions.transcript(lines) == "[15:20:00] 시작합니다\n[15:21:01] 다음\n"
