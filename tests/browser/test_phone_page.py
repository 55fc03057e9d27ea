"""The panelist page on a 390x844 phone (issue 13): one section at a time from a dock a thumb
reaches, the live strip ("지금") in view whatever section is open, the connection state always in
view, one clear state per action while offline, and a chat that can be paused.

Real hub, real Redis, headless Chromium. The link drops through Playwright's WebSocket routing
(`Link`), which also refuses new connections until it is restored, as a phone out of coverage."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, WebSocketRoute, expect

from tests.browser.axe import serious_violations
from tests.browser.conftest import HubCaller, OpenUrl
from tests.browser.test_vote_pages import CODE, P2, card, definition, pick, shots

pytestmark = pytest.mark.browser

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
MEETING = "transport"  # even panelists; the moderator console's tests use it too, never its Q&A air


def ok(hub_call: HubCaller, who: str, kind: str, **fields: Any) -> dict[str, Any]:
    msg = hub_call(who, kind, **fields)
    assert msg["type"] == "reply", msg
    result: dict[str, Any] = msg["result"]
    return result


def section(page: Page, name: str) -> None:
    page.get_by_role("tab", name=re.compile(f"^{name}")).click()


def in_view(page: Page, selector: str) -> bool:
    """The whole element is on the screen (not under the dock, not scrolled away)."""
    return bool(
        page.evaluate(
            """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
                return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight + 0.5; }""",
            selector,
        )
    )


def open_vote(hub_call: HubCaller, vote_id: str, **extra: Any) -> None:
    ok(hub_call, "host-1", "vote.create", definition=definition(vote_id) | extra)
    ok(hub_call, "host-1", "vote.open", vote=vote_id)


class Link:
    """The phone's link to the hub: ``cut()`` drops the page's WebSocket and refuses new ones (as a
    phone out of coverage) until ``restore()``."""

    def __init__(self) -> None:
        self.up = True
        self.open: list[tuple[WebSocketRoute, WebSocketRoute]] = []

    def install(self, ctx: BrowserContext) -> None:
        ctx.route_web_socket(re.compile(r"/ws$"), self._handle)

    def _handle(self, ws: WebSocketRoute) -> None:
        if not self.up:
            ws.close(code=1011, reason="test: no network")
            return
        server = ws.connect_to_server()
        self.open.append((ws, server))

    def cut(self) -> None:
        self.up = False
        for ws, server in self.open:
            ws.close(code=1011, reason="test: no network")
            server.close()
        self.open = []

    def restore(self) -> None:
        self.up = True


def test_one_section_at_a_time_from_a_dock_at_the_bottom(
    open_url: OpenUrl, hub_call: HubCaller, tmp_path: Path
) -> None:
    page, _ = open_url("/", "p-002", **PHONE)
    expect(page.locator("#chat-scroller")).to_have_attribute("aria-busy", "false")
    tabs = page.get_by_role("tab")
    expect(tabs).to_have_count(6)  # issue 14 added 제안 (the meeting's proposals)
    # the dock is at the bottom of the screen, its buttons 44 px or more, a thumb's reach
    for i in range(6):
        box = tabs.nth(i).bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44, box
        assert box["y"] + box["height"] > 844 - 80, f"tab {i} is not at the bottom: {box}"
    # the chat fills the screen: the message box is in view, the stream and the ballot are not shown
    expect(page.locator("#chat")).to_be_visible()
    assert in_view(page, "#composer-text")
    expect(page.locator("#stage")).to_be_hidden()
    expect(page.locator("#vote")).to_be_hidden()
    page.screenshot(path=str(shots(tmp_path) / "phone-chat-390.png"))

    section(page, "영상")
    expect(page.locator("#video iframe")).to_be_visible()
    expect(page.locator("#chat")).to_be_hidden()
    expect(page.get_by_role("tab", name="영상")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#meeting-title")).to_be_focused()  # the focus goes to the section's heading

    section(page, "질문")
    expect(page.locator("#qa-heading")).to_be_focused()
    expect(page.get_by_label("사회자에게 질문하기")).to_be_visible()
    expect(page.locator("#stage")).to_be_hidden()

    # a message that comes while the chat is not on screen is counted on its button
    text = f"휴대폰 구역 시험 {uuid.uuid4().hex[:6]}"
    ok(hub_call, "p-000", "chat.send", meeting="plenary", text=text)
    expect(page.locator("#tab-chat-count")).to_have_text("1")
    expect(page.get_by_role("tab", name=re.compile("^채팅"))).to_have_accessible_name(re.compile("채팅 1"))
    section(page, "채팅")
    expect(page.locator("#chat-log")).to_contain_text(text)
    expect(page.locator("#tab-chat-count")).to_have_text("")

    # keyboard: arrows move between the sections (the stream's too), Home is the stream
    page.get_by_role("tab", name=re.compile("^채팅")).focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name=re.compile("^질문"))).to_be_focused()
    page.keyboard.press("Home")
    expect(page.get_by_role("tab", name="영상")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#video iframe")).to_be_visible()
    page.keyboard.press("End")
    expect(page.get_by_role("tab", name=re.compile("^투표·설문"))).to_have_attribute("aria-selected", "true")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"

    # a desktop keeps its columns: no stream button, the stream beside the chat
    wide, _ = open_url("/", "p-002", **DESKTOP)
    expect(wide.get_by_role("tab")).to_have_count(5)
    expect(wide.locator("#video iframe")).to_be_visible()
    expect(wide.locator("#chat")).to_be_visible()


def test_the_live_strip_shows_the_question_on_air_and_the_open_vote_with_its_countdown(
    open_url: OpenUrl, hub_call: HubCaller, tmp_path: Path
) -> None:
    vote_id = f"now-{uuid.uuid4().hex[:6]}"
    close_at = int(time.time() * 1000) + 5 * 60_000
    open_vote(hub_call, vote_id, scheduled_close=close_at, title="주차장 개방 투표")
    page, _ = open_url(f"/?vote={vote_id}", "p-004", **PHONE)
    page.get_by_label("회의", exact=True).select_option(MEETING)
    strip = page.get_by_role("region", name="지금 진행 중인 것")
    expect(strip).to_be_visible()
    expect(strip).to_contain_text("투표 중")
    expect(strip).to_contain_text("주차장 개방 투표")
    expect(strip).to_contain_text(re.compile(r"마감까지 [45]분"))
    assert in_view(page, "#now")

    # the question on air, in view from every section
    question = f"지하철 막차 시간을 늦출 수 있나요? {uuid.uuid4().hex[:4]}"
    q = ok(hub_call, "p-006", "qa.ask", meeting=MEETING, text=question)
    ok(hub_call, "mod-1", "qa.approve", meeting=MEETING, question=q["question"])
    ok(hub_call, "host-1", "qa.air", meeting=MEETING, question=q["question"])
    try:
        for name in ("영상", "발언 신청", "채팅"):
            section(page, name)
            expect(strip).to_contain_text(question)
            assert in_view(page, "#now"), f"the live strip is not in view on {name}"
        page.screenshot(path=str(shots(tmp_path) / "phone-now-390.png"))

        # "go to the ballot": the votes section, the card's title focused
        strip.get_by_role("button", name="투표하러 가기: 주차장 개방 투표").click()
        expect(page.get_by_role("tab", name=re.compile("^투표·설문"))).to_have_attribute(
            "aria-selected", "true"
        )
        expect(card(page, vote_id).locator(".ballot-title")).to_be_focused()
    finally:
        ok(hub_call, "host-1", "qa.answer", meeting=MEETING, question=q["question"])
    expect(strip.locator(".now-question")).to_be_hidden()  # answered: off the strip


def test_offline_each_action_shows_one_state_and_a_queued_ballot_goes_on_reconnect(
    open_url: OpenUrl, hub_call: HubCaller, tmp_path: Path
) -> None:
    vote_id = f"offline-{uuid.uuid4().hex[:6]}"
    open_vote(hub_call, vote_id)
    poll_id = f"q{uuid.uuid4().hex[:6]}"
    question = {"id": "q", "kind": "single", "prompt": "연결 시험 설문", "options": ["예", "아니요"]}
    poll = {"id": poll_id, "title": f"연결 시험 {poll_id}", "kind": "poll", "questions": [question]}
    ok(hub_call, "host-1", "poll.create", meeting="plenary", poll=poll)
    ok(hub_call, "host-1", "poll.open", meeting="plenary", poll=poll_id)
    link = Link()
    page, _ = open_url(f"/?vote={vote_id}", "p-008", before=link.install, **PHONE)
    section(page, "투표·설문")
    ballot = card(page, vote_id)
    pick(ballot, P2)
    validity = ballot.locator(".validity")
    cast = ballot.locator("button.cast")
    expect(validity).to_have_text(re.compile("^준비되었습니다"))

    link.cut()
    expect(page.locator("#conn")).to_have_attribute("data-state", "reconnecting")
    # the connection state stays in view at the bottom of a long ballot
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_timeout(200)
    assert in_view(page, "#conn"), "the connection state scrolled away"
    # offline before sending: one line says what pressing does; nothing says "ready" or "sending"
    expect(validity).to_have_text(re.compile("^연결이 끊겨 있습니다"))
    expect(cast).to_have_text("이 순위로 투표하기")
    cast.click()
    expect(validity).to_have_text(re.compile("^아직 보내지 못했습니다"))
    expect(cast).to_have_text("연결되면 보냅니다")
    expect(cast).to_have_attribute("aria-disabled", "true")
    expect(ballot).not_to_contain_text("준비되었습니다")
    expect(ballot).not_to_contain_text("보내는 중")
    expect(ballot.locator(".ballot-error")).to_be_hidden()
    expect(ballot.locator("button.resend")).to_be_hidden()
    # an open poll in the same section says it at once, before anything is pressed
    poll_card = page.locator(f'article.poll-card[data-poll="{poll_id}"]')
    expect(poll_card.locator("button.cast")).to_have_attribute("aria-disabled", "true")
    expect(poll_card).to_contain_text("연결이 끊겼습니다. 연결되면 보낼 수 있어요")
    page.screenshot(path=str(shots(tmp_path) / "phone-offline-ballot-390.png"))

    # the chat and the question box say the same in one line, and keep the text
    section(page, "채팅")
    box = page.get_by_label("메시지", exact=True)
    box.fill("연결이 끊긴 동안 쓴 글")
    box.press("Enter")
    expect(page.locator("#composer-offline")).to_have_text(
        re.compile("^연결이 끊겼습니다. 연결되면 보낼 수 있어요")
    )
    expect(page.locator("#send")).to_have_attribute("aria-disabled", "true")
    expect(page.locator("#send")).to_have_text("보내기")
    expect(page.locator("#composer-error")).to_be_hidden()
    expect(box).to_have_value("연결이 끊긴 동안 쓴 글")
    section(page, "질문")
    expect(page.locator("#qa .offline-note")).to_be_visible()
    section(page, "발언 신청")  # the hand says it too, before it is pressed, and after
    expect(page.locator("#speakers")).to_contain_text("연결이 끊겼습니다. 연결되면 보낼 수 있어요")
    page.locator("#speakers").get_by_role("button", name=re.compile("손 들기")).click()
    expect(page.locator("#speakers")).to_contain_text("연결이 끊겼습니다. 연결되면 보낼 수 있어요")

    # back online: the queued ballot goes by itself, once; the chat sends again
    link.restore()
    page.locator("#conn-retry").click()
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    expect(page.locator("#qa .offline-note")).to_be_hidden()
    expect(page.locator("#speakers")).not_to_contain_text("연결이 끊겼습니다")
    section(page, "투표·설문")
    expect(ballot.locator(".receipt .code")).to_have_text(CODE)
    expect(poll_card).not_to_contain_text("연결이 끊겼습니다")
    expect(poll_card.locator("button.cast")).to_have_attribute("aria-disabled", "false")
    turnout = ok(hub_call, "host-1", "vote.turnout", vote=vote_id)
    assert turnout["voted"] == 1, turnout
    section(page, "채팅")
    expect(page.locator("#composer-offline")).to_be_hidden()
    page.get_by_label("메시지", exact=True).press("Enter")
    expect(page.locator("#chat-log")).to_contain_text("연결이 끊긴 동안 쓴 글")


def test_the_chat_can_be_paused_and_counts_what_comes_meanwhile(
    open_url: OpenUrl, hub_call: HubCaller
) -> None:
    page, _ = open_url("/", "p-010", **PHONE)
    expect(page.locator("#chat-scroller")).to_have_attribute("aria-busy", "false")
    pause = page.locator("#chat-pause")
    box = pause.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44, box
    expect(pause).to_have_text("채팅 멈추기")
    pause.click()
    expect(pause).to_have_text("채팅 다시 보기 (새 글 0개)")
    expect(page.locator("#chat-paused")).to_be_visible()
    tag = uuid.uuid4().hex[:6]
    for i in (1, 2):
        ok(hub_call, "p-011", "chat.send", meeting="plenary", text=f"멈춘 동안 {i} {tag}")
    expect(pause).to_have_text("채팅 다시 보기 (새 글 2개)")
    expect(page.locator("#tab-chat-count")).to_have_text("2")
    expect(page.locator("#chat-log")).not_to_contain_text(tag)  # counted, not scrolled in
    pause.click()
    expect(page.locator("#chat-log li.msg", has_text=tag)).to_have_count(2)
    expect(pause).to_have_text("채팅 멈추기")
    expect(page.locator("#tab-chat-count")).to_have_text("")
    # English, by keyboard
    page.get_by_role("button", name="Switch to English").click()
    pause.focus()
    page.keyboard.press("Enter")
    expect(pause).to_have_text("Resume chat (0 new)")
    page.keyboard.press("Enter")
    expect(pause).to_have_text("Pause chat")


def test_axe_finds_nothing_serious_in_any_section_in_both_languages_at_the_largest_text(
    open_url: OpenUrl, hub_call: HubCaller
) -> None:
    vote_id = f"axe-{uuid.uuid4().hex[:6]}"
    open_vote(hub_call, vote_id, scheduled_close=int(time.time() * 1000) + 10 * 60_000)
    page, _ = open_url(f"/?vote={vote_id}", "p-006", **PHONE)
    expect(page.locator("#chat-scroller")).to_have_attribute("aria-busy", "false")
    expect(page.locator("#now")).to_be_visible()
    problems: list[str] = []
    for lang in ("ko", "en"):
        if lang == "en":
            page.locator("#btn-lang").click()
            page.locator("#btn-size").click()
            page.locator("#btn-size").click()
            expect(page.locator("html")).to_have_attribute("data-size", "2")
        for tab in page.locator("#tabs [role=tab]").all():
            tab.click()
            problems += serious_violations(page, f"{tab.get_attribute('data-tab')} ({lang})")
    page.get_by_role("tab", name=re.compile("^Chat")).click()
    page.locator("#chat-pause").click()  # the paused state, with its line and the pressed button
    problems += serious_violations(page, "chat paused (en)")
    assert not problems, "\n".join(problems)
