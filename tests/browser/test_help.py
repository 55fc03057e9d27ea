"""Help in the same place on every page (KWCAG 2.2, 3.2.2 찾기 쉬운 도움 정보; issue 13): the header's
"도움말·문의" opens a dialog in plain words (reconnecting, larger text, voting on paper, whom to ask)
with the organisers' contact (``plenary help-contact``; the demo's placeholder here), by keyboard, at
16 px and 44 px, in both languages, on the results page too (which has no link)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import Assembly
from tests.browser.scenes import PHONE
from tests.browser.test_sizes import too_small

pytestmark = pytest.mark.browser

PAGES = [
    ("/", "p-001"),
    ("/vote", "p-011"),
    ("/host", "host-1"),
    ("/moderate?meeting=plenary", "mod-1"),
    ("/ops", "ops-1"),
    ("/caption?meeting=plenary", "cap-1"),
    ("/results/plenary-1", None),  # no link, no connection: the contact comes all the same
]


def header_place(page: Page) -> dict[str, object]:
    """Where the help button sits: in the header's tools, first, and its box."""
    return dict(
        page.evaluate(
            """() => { const b = document.getElementById("btn-help");
                return {first: b.parentElement.firstElementChild === b,
                        inHeader: !!b.closest("header.top .tools"), text: b.textContent}; }"""
        )
    )


def test_help_is_in_the_same_place_on_every_page(browser: Browser, assembly: Assembly) -> None:
    ctx = browser.new_context(**PHONE)
    try:
        page = ctx.new_page()
        for path, who in PAGES:
            page.goto(assembly.hub.url + path + (f"#t={assembly.tokens[who]}" if who else ""))
            expect(page.locator("#btn-help")).to_be_visible()
            assert header_place(page) == {"first": True, "inHeader": True, "text": "도움말·문의"}, path
        # the results page: opened by a click, the organisers' contact from the public route
        page.locator("#btn-help").click()
        expect(page.get_by_role("dialog", name="도움말·문의")).to_be_visible()
        expect(page.locator("#help-contact")).to_contain_text("02-000-0000")
    finally:
        ctx.close()


def test_the_help_dialog_by_keyboard_with_the_contact_in_both_languages(
    browser: Browser, assembly: Assembly
) -> None:
    ctx = browser.new_context(**PHONE)
    try:
        page = ctx.new_page()
        page.goto(assembly.link("p-001"))
        page.wait_for_selector("#conn[data-state=live]")
        for _ in range(6):  # from the top of the page: the skip link, then the header's tools
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.id") == "btn-help":
                break
        expect(page.locator("#btn-help")).to_be_focused()
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog", name="도움말·문의")
        expect(dialog).to_be_visible()
        expect(page.locator("#help-title")).to_be_focused()  # read from the top
        assert page.evaluate("() => document.getElementById('help-dialog').scrollTop") == 0
        for heading in ("연결이 끊겼을 때", "글자를 크게 보려면", "종이로 투표하려면", "누구에게 물어보나요"):
            expect(dialog.get_by_role("heading", name=heading)).to_be_visible()
        phone = dialog.get_by_role("link", name="02-000-0000에 전화하기")
        expect(phone).to_have_attribute("href", "tel:020000000")
        expect(dialog).to_contain_text("회의가 열리는 날 오전 9시 ~ 오후 6시")
        expect(dialog).to_contain_text("사무국이 실제 전화번호와 시간으로 바꿔 넣어야 합니다")
        assert not too_small(page), too_small(page)
        assert_accessible(page, "the help dialog (ko)")
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(page.locator("#btn-help")).to_be_focused()  # back where the person was

        # English, the largest text: the same dialog, its words in English, closed with its button
        page.locator("#btn-lang").click()
        for _ in range(2):
            page.locator("#btn-size").click()
        expect(page.locator("html")).to_have_attribute("data-size", "2")
        page.locator("#btn-help").click()
        dialog = page.get_by_role("dialog", name="Help & contact")
        expect(dialog.get_by_role("heading", name="To vote on paper")).to_be_visible()
        expect(dialog.get_by_role("link", name="Call 02-000-0000")).to_be_visible()
        expect(dialog.locator("dt").first).to_have_text("Secretariat's phone")
        assert not too_small(page), too_small(page)
        assert_accessible(page, "the help dialog (en, largest text)")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        dialog.get_by_role("button", name="Close").click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#btn-help")).to_have_text(re.compile("^Help"))
    finally:
        ctx.close()
