"""The word filter masks, the link policy refuses: named cases in Korean and English."""

from __future__ import annotations

import pytest

from engine.errors import ChatError, Code
from moderation import filters
from moderation.filters import LinkPolicy

WF = filters.default()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("이 씨발 정책", "이 ** 정책"),
        ("씨.발 뭐야", "*** 뭐야"),  # punctuation put between letters to dodge the filter
        ("씨1발", "***"),
        ("개새끼들", "***들"),  # inside a word: Korean is written fused
        ("시발점에서 출발합니다", "시발점에서 출발합니다"),  # an ordinary word (the starting point)
        ("병신년 새해", "병신년 새해"),  # a year's name
        ("어머니 미소", "어머니 미소"),  # never across words
        ("what the fuck", "what the ****"),
        ("Fucking buses", "******* buses"),
        ("class assembly", "class assembly"),  # whole words only
        ("this is shit.", "this is ****."),
        ("버스 노선을 늘려 주세요", "버스 노선을 늘려 주세요"),
    ],
)
def test_mask(text: str, shown: str) -> None:
    assert WF.mask(text) == shown


@pytest.mark.parametrize(
    ("text", "policy", "staff", "allowed"),
    [
        ("see https://example.com/x", LinkPolicy.STAFF, False, False),
        ("see www.example.com", LinkPolicy.STAFF, False, False),
        ("see example.kr/page", LinkPolicy.STAFF, False, False),
        ("see https://example.com/x", LinkPolicy.STAFF, True, True),
        ("시청 https://news.seoul.go.kr/traffic", LinkPolicy.STAFF, False, True),  # allowed domain
        ("https://seoul.go.kr.evil.com/", LinkPolicy.STAFF, False, False),
        ("https://example.com", LinkPolicy.ALLOW, False, True),
        ("https://seoul.go.kr", LinkPolicy.BLOCK, True, False),
        ("3.5% of budget, e.g. buses", LinkPolicy.BLOCK, False, True),  # not links
    ],
)
def test_link_policy(text: str, policy: LinkPolicy, staff: bool, allowed: bool) -> None:
    if allowed:
        WF.links_allowed(text, policy, staff)
    else:
        with pytest.raises(ChatError) as exc:
            WF.links_allowed(text, policy, staff)
        assert exc.value.code == Code.LINK_NOT_ALLOWED


def test_lists_come_from_the_data_file() -> None:
    wf = filters.parse('[ko]\nwords = ["나쁜말"]\nallow = ["안나쁜말"]\n[en]\nwords = ["darn*"]\n')
    assert wf.mask("나쁜말 안나쁜말 darned") == "*** 안나쁜말 ******"
    assert {"씨발", "병신"} <= set(WF.ko) and "fuck*" in WF.en
