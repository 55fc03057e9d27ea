"""The word filter masks, the link policy refuses: named cases in Korean and English."""

from __future__ import annotations

import pytest

from engine.errors import Code, ModerationError
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
        ("https://evil.example\\.youtube.com/x", LinkPolicy.STAFF, False, False),  # issue 9
        ("https://youtube.com@evil.example/", LinkPolicy.STAFF, False, False),
        ("https://example.com", LinkPolicy.ALLOW, False, True),
        ("https://seoul.go.kr", LinkPolicy.BLOCK, True, False),
        ("3.5% of budget, e.g. buses", LinkPolicy.BLOCK, False, True),  # not links
        ("https: 로 시작하는 주소", LinkPolicy.BLOCK, False, True),  # a scheme alone names no address
        ("영상은 youtube.com/watch?v=x 에서", LinkPolicy.STAFF, False, True),
        ("여기https://youtu.be/x 보세요", LinkPolicy.STAFF, False, True),  # glued to a word before it
        ("(see youtube.com/x).", LinkPolicy.STAFF, False, True),  # punctuation of the sentence
        ("「https://seoul.go.kr」", LinkPolicy.STAFF, False, True),
    ],
)
def test_link_policy(text: str, policy: LinkPolicy, staff: bool, allowed: bool) -> None:
    if allowed:
        WF.links_allowed(text, policy, staff)
    else:
        with pytest.raises(ModerationError) as exc:
            WF.links_allowed(text, policy, staff)
        assert exc.value.code == Code.LINK_NOT_ALLOWED


def test_lists_come_from_the_data_file() -> None:
    wf = filters.parse('[ko]\nwords = ["나쁜말"]\nallow = ["안나쁜말"]\n[en]\nwords = ["darn*"]\n')
    assert wf.mask("나쁜말 안나쁜말 darned") == "*** 안나쁜말 ******"
    assert {"씨발", "병신"} <= set(WF.ko) and "fuck*" in WF.en


# Each address with the host a browser opens for it (WHATWG URL), and whether a panelist may post
# it under the default policy (allowed: seoul.go.kr, youtube.com, youtu.be and their subdomains).
TRICKY = [
    # backslash: a path separator in http(s), so it ends the host
    ("https://evil.example\\.youtube.com/x", "evil.example", False),
    ("evil.example\\.youtube.com/x", "evil.example", False),
    ("https:/\\evil.example/youtube.com", "evil.example", False),
    ("https:\\\\youtube.com\\x", "youtube.com", True),
    # user info: the host is after the last @
    ("https://youtube.com@evil.example/", "evil.example", False),
    ("youtube.com@evil.example", "evil.example", False),
    ("https://a@youtube.com:b@evil.example", "evil.example", False),
    ("https://evil.example@youtube.com/x", "youtube.com", True),
    # percent-encoded and look-alike dots
    ("https://youtube.com%2Eevil.example/", "youtube.com.evil.example", False),
    ("https://evil%2Eexample.com/", "evil.example.com", False),
    ("https://youtube%2ecom/x", "youtube.com", True),
    ("https://evil.example%2Fyoutube.com", None, False),  # a browser refuses it: "/" in a host
    ("https://youtube.com\u3002evil.example", "youtube.com.evil.example", False),
    ("www\u3002evil\u3002com", "www.evil.com", False),
    # IDN: punycode, Unicode, look-alike letters, full-width letters
    ("https://xn--80ak6aa92e.com/", "xn--80ak6aa92e.com", False),
    ("https://youtub\u0435.com/", "xn--youtub-8of.com", False),  # Cyrillic e
    ("https://\uff59\uff4f\uff55\uff54\uff55\uff42\uff45.com/x", "youtube.com", True),  # full-width
    ("https://서울.kr/", "xn--2i4bq6h.kr", False),
    ("https://youtube.com.한국/", "youtube.com.xn--3e0b707e", False),
    # trailing dots, upper case, ports
    ("https://YOUTUBE.COM./x", "youtube.com", True),
    ("HTTPS://WWW.YouTube.com", "www.youtube.com", True),
    ("https://youtube.com../x", "youtube.com.", False),
    ("https://youtube.com:443/x", "youtube.com", True),
    ("https://youtube.com:8443/x", "youtube.com", True),
    ("https://youtube.com:evil.example/", None, False),  # not a port: a browser refuses it
    ("https://seoul.go.kr.evil.com/", "seoul.go.kr.evil.com", False),
    ("https://notyoutube.com/", "notyoutube.com", False),
    # scheme-relative, no slashes, many slashes, other special schemes
    ("//evil.example/x", "evil.example", False),
    ("\\\\evil.example/x", "evil.example", False),
    ("https:evil.example", "evil.example", False),
    ("https:////evil.example", "evil.example", False),
    ("ftp://evil.example/", "evil.example", False),
    ("wss://evil.example/", "evil.example", False),
    ("http://0x7f.1/", "127.0.0.1", False),
]


@pytest.mark.parametrize(("link", "host", "allowed"), TRICKY)
def test_links_are_read_as_a_browser_reads_them(link: str, host: str | None, allowed: bool) -> None:
    found = filters.find_links(f"보세요 {link} 여기")
    assert len(found) == 1, found
    assert filters.link_host(found[0]) == host
    if allowed:
        WF.links_allowed(f"보세요 {link}", LinkPolicy.STAFF, staff=False)
    else:
        with pytest.raises(ModerationError) as exc:
            WF.links_allowed(f"보세요 {link}", LinkPolicy.STAFF, staff=False)
        assert exc.value.code == Code.LINK_NOT_ALLOWED
        WF.links_allowed(f"보세요 {link}", LinkPolicy.STAFF, staff=True)  # staff may post any link


def test_allowed_domains_are_read_like_hosts() -> None:
    wf = filters.parse('[links]\nallow_domains = ["Example.KR.", "서울.kr"]\n')
    assert wf.allow_domains == ("example.kr", "xn--2i4bq6h.kr")
    wf.links_allowed("https://www.서울.kr/x and https://EXAMPLE.kr", LinkPolicy.STAFF, staff=False)
    with pytest.raises(ValueError):
        filters.parse('[links]\nallow_domains = ["a/b"]\n')
