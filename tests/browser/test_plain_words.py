"""Plain Korean on the citizens' pages (issue 13): no jargon and no English in Korean mode, and one
name for each of the four things that were all called "투표".

The words are checked twice: in the Korean strings of ``lib/i18n.js`` (every key a citizen's page
shows; the staff consoles' keys may keep technical terms) and in what the citizens' pages render in
Korean, every main state (``tests/browser/scenes.py``), with what people wrote (chat, questions) left
out: that is theirs, not the page's. The lists are here, under their names."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import ROOT, Assembly
from tests.browser.scenes import Prepared, opened, prepared, scenes

__all__ = ["prepared"]  # the fixture, from scenes.py

I18N = ROOT / "realtime" / "web" / "lib" / "i18n.js"

BANNED = (
    "Plenary", "Schulze", "Borda", "Copeland", "Ranked pairs", "Instant runoff", "head hash", "hash",
    "해시", "PrefLib", ".soi", ".toi", "p99", "Redis", "export.json", "board.csv", "JSON", "CSV",
    "token", "토큰", "WebSocket", "웹소켓", "ID",
)  # fmt: skip
"""Words a citizen's page never says in Korean mode: method names in English, the board's hash, file
formats, the machinery. The page says what they mean instead (docs/pages.md, "Plain words")."""

ENGLISH_IN_BRACKETS = re.compile(r"\([A-Za-z][A-Za-z .'-]*\)")
"""An English gloss after a Korean word, "(Plenary)", "(Schulze)": Korean mode says it in Korean."""

STAFF_KEYS = ("ops.", "host.", "mod.", "st.", "pc.", "page.host", "page.ops", "page.moderate")
"""Keys only the staff consoles show (host, moderator, ops): technical terms are allowed there."""

LANGUAGE_SWITCH = ("lang.switch", "lang.switch.label")
"""The button that switches to English names English in English, on purpose."""

NAMES = {
    "우선순위 투표": ("page.vote", "vote.heading", "page.results"),  # the ranked ballot
    "설문": ("poll.heading",),  # polls and surveys
    "즉석 설문": ("pc.heading",),  # the host's one-question poll
}
"""The one name of each thing, where it is named."""

CITIZEN_SCENES = ("panelist-", "vote-", "results", "overlay", "notice-")


def korean_strings() -> dict[str, str]:
    text = I18N.read_text(encoding="utf-8")
    ko = text[: text.index("\n  en: {")]
    return {m[1]: json.loads(m[2]) for m in re.finditer(r'^    "([^"]+)": ("(?:[^"\\]|\\.)*"),$', ko, re.M)}


def jargon(text: str) -> list[str]:
    text = re.sub(r"\{[a-z_]+\}", "", text)  # a string's {placeholders} are not shown
    found = [w for w in BANNED if re.search(rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])", text)]
    return found + ENGLISH_IN_BRACKETS.findall(text)


def test_the_korean_strings_of_citizens_pages_have_no_jargon() -> None:
    strings = korean_strings()
    assert len(strings) > 300  # the parser read the dictionary
    bad = {
        key: jargon(value)
        for key, value in strings.items()
        if not key.startswith(STAFF_KEYS) and key not in LANGUAGE_SWITCH and jargon(value)
    }
    assert not bad, bad


def test_each_of_the_four_things_has_its_own_name() -> None:
    strings = korean_strings()
    for name, keys in NAMES.items():
        for key in keys:
            assert strings[key].startswith(name), (key, strings[key], name)
    # the surveys are never called a vote, and the ranked ballot is never called a survey
    # (the tab ``tab.polls``, "투표·설문", is the section that holds both: on a phone the ranked ballot
    # sits above the polls in it, docs/pages.md "On a phone")
    assert not [k for k, v in strings.items() if k.startswith(("poll.", "pc.")) and "투표" in v]
    assert not [k for k, v in strings.items() if k.startswith(("vote.", "results.")) and "설문" in v]


def test_the_jargon_check_would_catch_the_old_words() -> None:
    for old in (
        "슐체 방식 (Schulze)",
        "게시판 봉인 해시 (head hash)",
        "순위 자료, PrefLib 형식 (ballots.soi)",
        "시민총회 (Plenary)",
    ):
        assert jargon(old), old
    assert not jargon("공개 게시판의 표 목록 (엑셀 등 표 계산 프로그램용)")


CITIZEN = [s.name for s in scenes(Prepared("v", "p", "s")) if s.name.startswith(CITIZEN_SCENES)]
PAGE_WORDS = """() => {
  const body = document.body.cloneNode(true);
  for (const own of body.querySelectorAll("#chat-log, .qa-text-shown, .ov-question, .ov-text")) own.remove();
  const labels = [...body.querySelectorAll("[aria-label], [title], [placeholder]")].map((e) =>
    [e.getAttribute("aria-label"), e.getAttribute("title"), e.getAttribute("placeholder")].join(" "));
  return [document.title, body.innerText, ...labels].join("\\n");
}"""


@pytest.mark.browser
@pytest.mark.parametrize("name", CITIZEN)
def test_what_a_citizens_page_shows_in_korean_has_no_jargon(
    browser: Browser, assembly: Assembly, prepared: Prepared, name: str
) -> None:
    scene = next(s for s in scenes(prepared) if s.name == name)
    with opened(browser, assembly, scene, scene.sizes[0], "ko") as (page, _watch):
        shown: str = page.evaluate(PAGE_WORDS)
    allowed = (
        "English",
        "Switch to English",
        "YouTube player",
    )  # the language switch; the test's stand-in video
    for word in allowed:
        shown = shown.replace(word, "")
    assert not jargon(shown), (name, jargon(shown), Path(scene.path))
