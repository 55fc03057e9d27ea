"""Anonymous by default (issue 13), in the browser: a panelist who asks without ticking "내 이름을
화면에 보여도 좋아요" is "익명" to the other panelists and on the stream overlay, while the moderators'
desk names them; one who ticks it is named on air, and the console says they agreed. The box is
unticked on arrival and again after every question. Real hubs, real Redis, headless Chromium."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Assembly, HubCaller, OpenUrl

pytestmark = pytest.mark.browser

MEETING = "plenary"
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
CONSENT = "내 이름을 화면에 보여도 좋아요"


def ok(hub_call: HubCaller, who: str, kind: str, **fields: Any) -> dict[str, Any]:
    reply = hub_call(who, kind, meeting=MEETING, **fields)
    assert reply["type"] == "reply", reply
    return dict(reply["result"])


def questions_tab(open_url: OpenUrl, who: str) -> Page:
    page, _watch = open_url("/", who)
    page.get_by_label("회의", exact=True).select_option(MEETING)
    page.locator("#tab-qa").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#tab-qa")).to_have_attribute("aria-selected", "true")
    return page


def ask(page: Page, text: str, named: bool) -> None:
    box = page.get_by_label(CONSENT)
    expect(box).not_to_be_checked()  # anonymous unless the asker says otherwise
    page.get_by_label("사회자에게 질문하기").fill(text)
    if named:
        box.check()
    page.get_by_role("button", name="질문 보내기").click()
    expect(page.locator(".qa-ask-msg")).to_contain_text("진행자가 확인한 뒤")
    expect(box).not_to_be_checked()  # the next question starts anonymous again


def desk_question(hub_call: HubCaller, text: str) -> dict[str, Any]:
    snap = ok(hub_call, "mod-1", "subscribe", channel=f"meeting/{MEETING}/staff")["snapshot"]
    return next(q for k, q in snap.items() if k.startswith("q:") and q["text"] == text)


def test_the_asker_is_anonymous_on_air_unless_they_agreed(
    open_url: OpenUrl, hub_call: HubCaller, assembly: Assembly
) -> None:
    asker, named_asker = questions_tab(open_url, "p-009"), questions_tab(open_url, "p-011")
    reader = questions_tab(open_url, "p-007")
    overlay, _watch = open_url(f"/overlay/{MEETING}", "obs-1", wait_live=False, **DESKTOP)
    expect(overlay.locator("body")).to_have_attribute("data-conn", "live")
    console, _watch2 = open_url(f"/moderate?meeting={MEETING}", "mod-1", **DESKTOP)
    tag = uuid.uuid4().hex[:6]

    # Not ticked: the desk knows who asked; panelists and the stream do not.
    quiet = f"심야 버스는 언제 늘어나나요? {tag}"
    ask(asker, quiet, named=False)
    q = desk_question(hub_call, quiet)
    assert q["author"]["id"] == "p-009" and q["anonymous"] is True
    pending = console.locator(".mod-item", has_text=quiet)
    expect(pending.locator(".qa-author")).to_have_text(assembly.names["p-009"])
    expect(pending).not_to_contain_text("이름 공개 동의")
    ok(hub_call, "mod-1", "qa.approve", question=q["id"])
    seen = reader.locator(f'.qa-item[data-id="{q["id"]}"]')
    expect(seen.locator(".qa-author")).to_have_text("익명")
    ok(hub_call, "mod-1", "qa.air", question=q["id"])
    card = overlay.locator(".ov-kind-question")
    expect(card).to_contain_text(quiet)
    expect(card).to_contain_text("익명")
    expect(card).not_to_contain_text(assembly.names["p-009"])

    # Ticked: named to panelists and on air; the console says the asker agreed.
    open_text = f"돌봄 센터는 몇 곳 더 생기나요? {tag}"
    ask(named_asker, open_text, named=True)
    q2 = desk_question(hub_call, open_text)
    assert q2["anonymous"] is False
    expect(console.locator(".mod-item", has_text=open_text)).to_contain_text("이름 공개 동의")
    ok(hub_call, "mod-1", "qa.approve", question=q2["id"])
    seen2 = reader.locator(f'.qa-item[data-id="{q2["id"]}"]')
    expect(seen2.locator(".qa-author")).to_have_text(assembly.names["p-011"])
    ok(hub_call, "mod-1", "qa.air", question=q2["id"])
    expect(card).to_contain_text(open_text)
    expect(card).to_contain_text(re.compile(re.escape(assembly.names["p-011"])))

    # Leave the meeting's stage as it was: both answered, the overlay empty.
    ok(
        hub_call, "mod-1", "qa.answer", question=q2["id"]
    )  # the first was answered when the second went on air
    expect(overlay.locator(".ov-card")).to_have_count(0)
