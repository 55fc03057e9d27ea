"""The open record page (issue 14), on a 390x844 phone, reached from the panelist page's link: a
panelist sees the agenda, materials, the slide shown, the answered question, the chat with a
removed message shown as removed (its text nowhere on the page) and user text as text, the
published vote with its links, the captions; 16 px text and 44 px targets, no sideways scrolling,
the table of contents and the language button by keyboard, axe clean in Korean and in English; the
download is a file. A clerk (who may not read the chat) is refused in words.

The scene is a meeting of its own ("rec", with one panelist of its own), so no other browser test
sees its chat, votes or captions.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time

import pytest
from playwright.sync_api import expect

from engine.roles import Role
from moderation.meetings import MeetingInfo, Meetings
from panel.roster import Participant, Roster
from tests.browser.axe import assert_accessible
from tests.browser.conftest import Assembly, HubCaller, OpenUrl, show_section
from tests.browser.test_sizes import too_small
from tests.support import redis_client

MEETING = "rec"
PANELIST = "p-rec"
SECRET = "제 전화번호는 010-9876-5432"
PHONE = {"viewport": {"width": 390, "height": 844}}


def add_meeting(assembly: Assembly) -> None:
    """The meeting and its panelist, in the assembly's Redis; the panelist's token in ``tokens``."""

    async def run() -> str:
        r = redis_client(assembly.redis.url)
        try:
            # A year ahead: last in every meeting list and never "the one running now", so the other
            # tests' pages still choose the meetings they expect; with no end it is still running.
            later = int(time.time() * 1000) + 365 * 86_400_000
            await Meetings(r).put(MeetingInfo(id=MEETING, title="기록 보기 회의", starts_at=later))
            roster = Roster(r)
            who = Participant(
                id=PANELIST, name="기록 시민", role=Role.PANELIST, gender="female", age_band="60-69",
                district="마포구", meetings=[MEETING],
            )  # fmt: skip
            await roster.upsert([who])
            return (await roster.issue_tokens([PANELIST]))[PANELIST]
        finally:
            await r.aclose()

    if PANELIST not in assembly.tokens:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            assembly.tokens[PANELIST] = pool.submit(asyncio.run, run()).result(timeout=20)


def set_the_scene(hub_call: HubCaller) -> None:
    def ok(who: str, kind: str, **fields: object) -> dict[str, object]:
        reply = hub_call(who, kind, **fields)
        assert reply["type"] == "reply", (kind, reply)
        return dict(reply["result"])

    ok("host-1", "agenda.set", meeting=MEETING, items=[{"id": "a1", "title": "개회와 안내", "minutes": 10}])
    ok("host-1", "agenda.current", meeting=MEETING, item="a1")
    material = {
        "id": "intro",
        "title": "교통 정책 기초 자료",
        "url": "https://example.org/intro",
        "kind": "document",
    }
    ok("host-1", "materials.set", meeting=MEETING, items=[material])
    ok("host-1", "slide.show", meeting=MEETING, url="https://example.org/slide.png", title="버스 노선 지도")
    q = ok(PANELIST, "qa.ask", meeting=MEETING, text="심야 버스는 언제 늘어나나요?")
    ok("host-1", "qa.approve", meeting=MEETING, question=q["question"])
    ok("host-1", "qa.answer", meeting=MEETING, question=q["question"])
    ok(PANELIST, "chat.send", meeting=MEETING, text="<b>굵게</b> 안녕하세요")
    gone = ok(PANELIST, "chat.send", meeting=MEETING, text=SECRET)
    ok("host-1", "chat.delete", meeting=MEETING, offset=gone["offset"], reason="personal_info")
    vote = {
        "vote_id": "rec-vote",
        "title": "기록 회의 우선순위",
        "proposals": [{"id": "A", "title": "심야 버스"}, {"id": "B", "title": "자전거 길"}],
        "rule": {"kind": "rank_all"},
        "method": "schulze",
        "tie_break": ["A", "B"],
        "eligibility": MEETING,
    }
    ok("host-1", "vote.create", definition=vote)
    ok("host-1", "vote.open", vote="rec-vote")
    ok(PANELIST, "vote.cast", vote="rec-vote", ranking=["A", "B"], nonce="nonce-record-page")
    ok("host-1", "vote.close", vote="rec-vote")
    ok("host-1", "vote.publish", vote="rec-vote")
    ok("host-1", "caption.send", meeting=MEETING, text="지금부터 회의를 시작합니다.")


@pytest.fixture(scope="module")
def scene(assembly: Assembly) -> None:
    add_meeting(assembly)
    set_the_scene(HubCaller(assembly))


@pytest.mark.usefixtures("scene")
def test_the_record_page_on_a_phone(open_url: OpenUrl) -> None:
    # The way in: the panelist page's link under the meeting's materials (the token stays in the tab).
    page, _watch = open_url("/", PANELIST, **PHONE)
    show_section(page, "stream")
    page.locator("#record-entry a").click()
    page.wait_for_url(f"**/record/{MEETING}")
    expect(page.locator("#rec-main")).to_be_visible()
    expect(page.locator("#rec-title")).to_have_text("기록 보기 회의")
    expect(page.locator("#rec-running")).to_be_visible()  # no end time: still running, the record so far
    expect(page.locator("#rec-agenda li[aria-current=step]")).to_contain_text("개회와 안내")
    expect(page.locator("#rec-materials a")).to_have_text("교통 정책 기초 자료")
    expect(page.locator("#rec-slides")).to_contain_text("버스 노선 지도")
    expect(page.locator("#rec-questions")).to_contain_text("심야 버스는 언제 늘어나나요?")
    expect(page.locator("#rec-questions")).to_contain_text("답변 완료")
    chat = page.locator("#rec-chat")
    expect(chat).to_contain_text("<b>굵게</b> 안녕하세요")  # shown as text
    assert chat.locator("b").count() == 0
    expect(chat.locator(".removed")).to_contain_text("진행자가 지운 글입니다.")
    assert "010-9876-5432" not in page.content()
    votes = page.locator("#rec-votes")
    expect(votes).to_contain_text("1위 심야 버스")
    expect(votes.locator("a", has_text="결과 자세히 보기")).to_have_attribute("href", "/results/rec-vote")
    expect(page.locator("#rec-captions")).to_contain_text("지금부터 회의를 시작합니다.")

    assert too_small(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "/record (ko)")

    # keyboard: the table of contents takes the reader to a part, focus on it
    page.locator(".record-toc-link", has_text="채팅").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "rec-chat"
    with page.expect_download() as dl:
        page.locator("#rec-dl-csv").focus()
        page.keyboard.press("Enter")
    assert dl.value.suggested_filename == f"record-{MEETING}.csv"

    page.locator("#btn-lang").focus()
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#rec-chat-h")).to_have_text("Chat")
    expect(page.locator("#rec-chat .removed")).to_contain_text("A moderator removed this message.")
    assert too_small(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "/record (en)")


@pytest.mark.usefixtures("scene")
def test_the_hosts_see_who_opened_the_materials(open_url: OpenUrl) -> None:
    """The panelist opens the material (its link, a new tab); the host console's learning panel
    counts them, in total, for the required set and in the strata tables."""
    site = "https://example.org/**"
    page, _watch = open_url(
        "/", PANELIST, before=lambda ctx: ctx.route(site, lambda r: r.fulfill(body="자료")), **PHONE
    )
    show_section(page, "stream")
    with (
        page.expect_response(lambda r: r.url.endswith("/materials/intro/opened")) as sent,
        page.context.expect_page() as tab,
    ):
        page.locator("#materials a", has_text="교통 정책 기초 자료").click()
    assert sent.value.status == 200
    tab.value.close()

    host, _watch = open_url("/host", "host-1", **PHONE)
    host.locator("#f-meeting").select_option(MEETING)
    panel = host.locator("#learning")
    expect(panel.locator(".learning-required")).to_contain_text("1 / 1명")
    expect(panel.locator("[data-material=intro]")).to_contain_text("교통 정책 기초 자료")
    expect(panel.locator("table").first.locator("tr[data-value=female] td").nth(1)).to_have_text("1")
    assert too_small(host) == []
    assert_accessible(host, "/host learning")


def test_a_clerk_is_told_in_words(open_url: OpenUrl, assembly: Assembly) -> None:
    page, watch = open_url(f"/record/{MEETING}", "clerk-1", **PHONE)
    expect(page.locator("#rec-status")).to_have_text("이 링크로는 회의 기록을 볼 수 없습니다.")
    expect(page.locator("#rec-main")).to_be_hidden()
    # The refusal is a 403, which Chromium logs as a failed load: expected here, nothing else is.
    watch.problems[:] = [
        p for p in watch.problems if "Failed to load resource" not in p or "record.json" not in p
    ]
