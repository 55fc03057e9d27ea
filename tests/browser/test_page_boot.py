"""Every page boots the same way (realtime/web/lib/boot.js and shell.js, the header the hub puts
into each page): the token from the link, the connection pill, who is connected, the notices for
no link and a refused link, the language button. Real hub, real Redis, headless Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Assembly, OpenUrl

# The pages with a hub connection: path -> the page's name in the title ("" for the panelist page,
# whose title names the assembly's chat).
CONNECTED = {
    "/": "시민참여단 채팅",
    "/vote": "우선순위 투표",
    "/host": "우선순위 투표 관리",
    "/moderate": "진행자 콘솔",
    "/ops": "운영 현황판",
    "/caption": "자막 입력",  # issue 13: hosts may caption
}


@pytest.mark.parametrize("path", sorted(CONNECTED))
def test_a_personal_link_connects_shows_who_and_leaves_the_address(
    open_url: OpenUrl, assembly: Assembly, path: str
) -> None:
    page, _watch = open_url(path, "host-1")
    assert "#t=" not in page.url
    expect(page.locator("#me-name")).to_have_text(f"{assembly.names['host-1']} 님")
    expect(page.locator("#me-role")).to_have_text("사회자")
    assert page.title() == f"서울시민회의 · {CONNECTED[path]}"
    expect(page.locator("header.top")).to_have_count(1)
    page.locator("#btn-lang").click()
    expect(page.locator("h1 [data-i18n='app.title']")).to_have_text("Seoul Citizens' Assembly")
    expect(page.locator("#me-role")).to_have_text("Host")
    expect(page.locator("#conn-text")).to_have_text("Live")
    page.reload()  # the token stays for the tab
    page.wait_for_selector("#conn[data-state=live]")
    expect(page.locator("#me-role")).to_have_text("Host")


@pytest.mark.parametrize("path", sorted(CONNECTED))
def test_no_link_asks_for_the_personal_link_on_every_page(open_url: OpenUrl, path: str) -> None:
    page, _watch = open_url(path)
    expect(page.locator("#notice")).to_contain_text("개인 링크로 접속해 주세요")
    expect(page.locator("#conn")).to_have_attribute("data-state", "closed")
    expect(page.locator("#me")).to_be_hidden()


@pytest.mark.parametrize("path", sorted(CONNECTED))
def test_a_refused_link_says_so_stops_and_is_forgotten(open_url: OpenUrl, path: str) -> None:
    page, _watch = open_url(f"{path}#t=not-a-real-token-000000")
    expect(page.locator("#notice")).to_contain_text("이 링크로는 들어올 수 없습니다")
    expect(page.locator("#conn")).to_have_attribute("data-state", "closed")
    assert page.evaluate("() => sessionStorage.getItem('plenary.token')") is None
    page.wait_for_timeout(1_000)
    expect(page.locator("#conn")).to_have_attribute("data-state", "closed")


def test_the_results_page_has_the_header_without_a_connection(open_url: OpenUrl) -> None:
    page, _watch = open_url("/static/results.html")  # no vote named: nothing to fetch
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("h1")).to_have_text("서울시민회의 우선순위 투표 결과")
    expect(page.locator("#btn-size")).to_be_visible()
    assert page.locator("#conn, #me, #conn-retry").count() == 0
    page.locator("#btn-lang").click()
    expect(page.locator("h1 .brand-sub")).to_have_text("Priority vote results")


def test_the_overlay_without_a_link_says_so_and_has_no_header(open_url: OpenUrl) -> None:
    page, _watch = open_url("/overlay/m1")
    expect(page.locator("#overlay-notice")).to_be_visible()
    assert page.locator("header").count() == 0
