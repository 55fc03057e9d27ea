"""Polls in the browser: a host runs a quick poll from the console's stage controls, panelists answer
it in their "투표·설문" tab and follow the live results. Real hubs, real Redis, headless Chromium; any
console error, CSP refusal or script error fails a test (``open_url``).

The "health" meeting (odd panelists, plus staff): no other browser test makes polls there.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import HubCaller, OpenUrl

pytestmark = pytest.mark.browser

MEETING = "health"
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}


def panelist_polls(open_url: OpenUrl, who: str) -> Page:
    page, _watch = open_url("/", who, **PHONE)
    page.get_by_label("회의", exact=True).select_option(MEETING)
    tab = page.get_by_role("tab", name=re.compile("^투표·설문"))
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel")).to_be_visible()
    return page


def shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("PLENARY_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def steady(target: Locator, still: float = 1.0, within: float = 15.0) -> None:
    """Wait until ``target`` has kept its place on the screen for ``still`` seconds."""
    deadline = time.monotonic() + within
    box, since = target.bounding_box(), time.monotonic()
    while time.monotonic() - since < still:
        assert time.monotonic() < deadline, f"still moving after {within} s"
        time.sleep(0.1)
        now = target.bounding_box()
        if now != box:
            box, since = now, time.monotonic()


def card(page: Page, title: str) -> Locator:
    return page.locator("article.poll-card", has=page.get_by_role("heading", name=title, exact=True))


def test_a_host_runs_a_quick_poll_and_panelists_answer_once(open_url: OpenUrl, tmp_path: Path) -> None:
    title = f"다음 회의는 현장에서 할까요? {uuid.uuid4().hex[:6]}"
    host, _watch = open_url(f"/moderate?meeting={MEETING}", "host-1", **DESKTOP)
    expect(host.get_by_label("회의", exact=True)).to_have_value(MEETING)
    first = panelist_polls(open_url, "p-009")
    second = panelist_polls(open_url, "p-011")
    expect(first.locator("#polls")).to_contain_text("지금 열린 설문이 없습니다.")

    # The host writes a single-choice poll and opens it.
    host.get_by_label("설문 질문", exact=True).fill(title)
    host.get_by_label("방식", exact=True).select_option("single")
    host.get_by_label("보기 (한 줄에 하나)").fill("찬성\n반대\n모르겠다")
    host.get_by_role("button", name="즉석 설문 만들기", exact=True).click()
    item = host.locator(".poll-item", has_text=title)
    expect(item).to_contain_text("준비 중")
    expect(first.locator("article.poll-card")).to_have_count(0)  # a draft is not shown
    item.get_by_role("button", name=f"열기: {title}").click()
    expect(item).to_contain_text("답하는 중")

    # Two panelists answer; each sees that it is done, and the results are not shown yet.
    for page, choice in ((first, "찬성"), (second, "찬성")):
        poll = card(page, title)
        expect(page.locator("#tab-polls-count")).to_have_text("1")
        poll.get_by_label(choice, exact=True).check()
        poll.get_by_role("button", name="답 보내기").click()
        expect(poll.locator(".poll-done")).to_have_text("답했습니다. 고맙습니다.")
        expect(poll.locator("form")).to_be_hidden()
        expect(poll.locator(".poll-results-box")).to_be_hidden()
        expect(page.locator("#tab-polls-count")).to_have_text("")
    expect(item).to_contain_text("2명 답함")

    # The host shows the results: both panelists see the counts.
    item.get_by_role("button", name=f"결과 보이기: {title}").click()
    expect(item.get_by_role("button", name=f"결과 숨기기: {title}")).to_have_attribute("aria-pressed", "true")
    for page in (first, second):
        results = card(page, title).locator(".poll-results-box")
        expect(results).to_contain_text("지금까지의 결과")
        expect(results.locator(".poll-result", has_text="찬성").locator(".poll-count")).to_have_text("2명")
        expect(results.locator(".poll-result", has_text="반대").locator(".poll-count")).to_have_text("0명")

    first.screenshot(path=str(shots(tmp_path) / "polls-390.png"), full_page=True)
    host.screenshot(path=str(shots(tmp_path) / "polls-host-1280.png"), full_page=True)

    # The same panelist on another phone: the hub refuses a second answer, in plain words.
    again = panelist_polls(open_url, "p-009")
    poll = card(again, title)
    poll.get_by_label("반대", exact=True).check()
    poll.get_by_role("button", name="답 보내기").click()
    expect(poll.get_by_role("alert")).to_contain_text("이미 답하셨습니다")
    expect(poll.locator("form")).to_be_hidden()
    expect(card(first, title).locator(".poll-result", has_text="찬성").locator(".poll-count")).to_have_text(
        "2명"
    )

    # The CSV export, fetched with the host's token: one row per respondent, no names.
    with host.expect_download() as info:
        item.get_by_role("button", name=f"CSV 내려받기: {title}").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("respondent,gender,age_band,district,answered_at"), lines[0]
    assert len(lines) == 3, text
    assert "패널" not in text and "p-009" not in text

    # Close and publish: the final results for everyone.
    item.get_by_role("button", name=f"마감: {title}").click()
    item.get_by_role("button", name=f"결과 발표: {title}").click()
    expect(item).to_contain_text("결과 발표")
    expect(card(second, title).locator(".poll-results-box")).to_contain_text("최종 결과")


def test_a_survey_with_a_scale_and_free_text(open_url: OpenUrl, hub_call: HubCaller) -> None:
    sid = f"s{uuid.uuid4().hex[:6]}"
    title = f"오늘 토론 설문 {sid}"
    survey: dict[str, Any] = {
        "id": sid,
        "title": title,
        "kind": "survey",
        "questions": [
            {"id": "days", "kind": "multiple", "prompt": "편한 요일", "options": ["월", "수", "금"]},
            {"id": "sat", "kind": "scale", "prompt": "오늘 토론에 만족하셨나요?"},
            {"id": "free", "kind": "text", "prompt": "더 하고 싶은 말", "required": False},
        ],
    }
    for kind, fields in (("poll.create", {"poll": survey}), ("poll.open", {"poll": sid})):
        reply = hub_call("host-1", kind, meeting=MEETING, **fields)
        assert reply["type"] == "reply", reply
    page = panelist_polls(open_url, "p-011")
    poll = card(page, title)
    poll.get_by_role("button", name="답 보내기").click()
    expect(poll.get_by_role("alert")).to_have_text("‘편한 요일’에 답해 주세요.")
    group = poll.get_by_role("group", name="편한 요일")
    group.get_by_label("월", exact=True).check()
    group.get_by_label("금", exact=True).check()
    sat = poll.get_by_role("group", name="오늘 토론에 만족하셨나요?")
    sat.get_by_label("4", exact=True).focus()
    page.keyboard.press("Space")
    expect(sat.get_by_label("4", exact=True)).to_be_checked()
    poll.get_by_label("더 하고 싶은 말").fill("=버스를 늘려 주세요")
    poll.get_by_role("button", name="답 보내기").click()
    expect(poll.locator(".poll-done")).to_have_text("답했습니다. 고맙습니다.")

    csv = hub_call("host-1", "poll.export", meeting=MEETING, poll=sid)["result"]["csv"]
    row = csv.strip().splitlines()[1]
    assert "월; 금" in row and ",4," in row and "버스를 늘려 주세요" in row, row


def test_a_press_on_the_answer_button_survives_a_redraw_of_the_counts(
    open_url: OpenUrl, hub_call: HubCaller
) -> None:
    """Another panelist's answer redraws the card's count while this one presses "답 보내기": the
    press still sends (a card taken out and put back between the button's press and its release
    lost the click, so the page said nothing: the survey flake of test_live_pages)."""
    sid = f"s{uuid.uuid4().hex[:6]}"
    title = f"누르는 중 설문 {sid}"
    question = {"id": "q", "kind": "single", "prompt": title, "options": ["예", "아니요"]}
    survey = {"id": sid, "title": title, "kind": "poll", "questions": [question]}
    for kind, fields in (("poll.create", {"poll": survey}), ("poll.open", {"poll": sid})):
        reply = hub_call("host-1", kind, meeting=MEETING, **fields)
        assert reply["type"] == "reply", reply
    page = panelist_polls(open_url, "p-011")
    poll = card(page, title)
    poll.get_by_label("예", exact=True).check()
    button = poll.get_by_role("button", name="답 보내기")
    # The press is at the button's place on the screen: wait until nothing above it moves it (the
    # page's vote cards come in after the tab opens, one lookup at a time; under the whole suite
    # one came between the pointer's move and its press, which then fell beside the button).
    steady(button)
    button.hover()
    page.mouse.down()
    assert button.evaluate("b => b === document.activeElement"), "the press fell beside the button"
    reply = hub_call("p-009", "poll.answer", meeting=MEETING, poll=sid, answers={"q": 1})
    assert reply["type"] == "reply", reply
    expect(poll.locator(".poll-status")).to_contain_text("1명 답함")  # redrawn while pressed
    page.mouse.up()
    expect(poll.locator(".poll-done")).to_have_text("답했습니다. 고맙습니다.")
    expect(poll.locator(".poll-status")).to_contain_text("2명 답함")
