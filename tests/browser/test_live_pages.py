"""Issue 13 in the browser: what the hosts do reaches the panelist page at once, and the hosts' new
tools. Real hubs, real Redis, headless Chromium; any console error, CSP refusal or script error
fails a test (``open_url``), and axe-core finds no serious or critical violation in either language.

- a new vote, poll and agenda item reach an open panelist page within a second, without a reload
  (the vote through ``meeting/<id>/votes``: no page looks for votes by their names any more);
- the host console writes a survey of several questions, opens it, counts the answers per question;
- it uploads a slide (an image) that panelists see and enlarge, and adds and removes materials.

The "transport" meeting (even panelists, plus staff): no other browser test uses its agenda,
slide, materials or polls.
"""

from __future__ import annotations

import re
import struct
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import HubCaller, OpenUrl, show_section

pytestmark = pytest.mark.browser

MEETING = "transport"
PANELIST = "p-002"  # even: plenary and transport
OTHER = "p-004"
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
# ms: these changes are pushed (no page fetches a vote, poll or agenda on a timer), so any bound
# proves the push; "within a second" is the product's figure, measured by the benches, and a busy
# CI machine with two test workers and their browsers has missed 1 s (stop 20, the ballot badge).
AT_ONCE = 5_000


def ok(hub_call: HubCaller, who: str, kind: str, **fields: Any) -> dict[str, Any]:
    reply = hub_call(who, kind, **fields)
    assert reply["type"] == "reply", reply
    result: dict[str, Any] = reply["result"]
    return result


def smallest_text_and_target(page: Page, selector: str) -> tuple[float, float]:
    """The smallest text (px) and the smallest button, link or field height (px) under ``selector``."""
    sizes: list[float] = page.evaluate(
        """sel => {
          const els = [...document.querySelectorAll(sel)].flatMap(r => [r, ...r.querySelectorAll('*')]);
          const shown = els.filter(e => e.getClientRects().length && e.closest('[hidden]') === null);
          const text = shown.filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()));
          const targets = shown.filter(e => e.matches('button, a, input, select, textarea'));
          return [Math.min(...text.map(e => parseFloat(getComputedStyle(e).fontSize))),
                  Math.min(...targets.map(e => e.getBoundingClientRect().height))];
        }""",
        selector,
    )
    return sizes[0], sizes[1]


def panelist_page(open_url: OpenUrl, who: str) -> Page:
    page, _watch = open_url("/", who, **PHONE)
    page.get_by_label("회의", exact=True).select_option(MEETING)
    expect(page.locator("#meeting-title")).to_have_text(re.compile("교통"))
    return page


def png(width: int = 64, height: int = 40) -> bytes:
    """A small real PNG (a blue box), written here so that the test needs no file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes((11, 61, 120)) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_a_new_vote_poll_and_agenda_item_reach_the_panelist_page_at_once(
    open_url: OpenUrl, hub_call: HubCaller
) -> None:
    page = panelist_page(open_url, PANELIST)
    time.sleep(0.3)  # the page follows its channels (the subscribe replies are in)

    # A vote named anything at all, created in this meeting: its card appears without a reload.
    vote_id = f"bus-{uuid.uuid4().hex[:6]}"
    definition = {
        "vote_id": vote_id,
        "title": "버스 노선 우선순위",
        "proposals": [{"id": "A", "title": "마을버스 늘리기"}, {"id": "B", "title": "심야버스"}],
        "rule": {"kind": "rank_all"},
        "method": "schulze",
        "tie_break": ["A", "B"],
    }
    show_section(page, "polls")  # on a phone: the section of the ballot and the polls
    ok(hub_call, "host-1", "vote.create", definition=definition, meeting=MEETING)
    ballot = page.locator(f'article.ballot[data-vote="{vote_id}"]')
    expect(ballot).to_be_visible(timeout=AT_ONCE)
    ok(hub_call, "host-1", "vote.open", vote=vote_id)
    expect(ballot.locator(".phase-badge")).to_have_text("투표 중", timeout=AT_ONCE)

    # A vote for all panelists created without a meeting is on no meeting's page (its link reaches it).
    stray = f"stray-{uuid.uuid4().hex[:6]}"
    ok(hub_call, "host-1", "vote.create", definition=definition | {"vote_id": stray})

    # A poll: its card in the "투표·설문" tab as soon as it opens.
    poll_id = f"q{uuid.uuid4().hex[:6]}"
    poll = {
        "id": poll_id,
        "title": "환승 할인 찬성?",
        "kind": "poll",
        "questions": [
            {"id": "q", "kind": "single", "prompt": "환승 할인 찬성?", "options": ["예", "아니요"]}
        ],
    }
    ok(hub_call, "host-1", "poll.create", meeting=MEETING, poll=poll)
    ok(hub_call, "host-1", "poll.open", meeting=MEETING, poll=poll_id)
    # the section's count: the open poll, and the open vote not yet voted in (the dock's rule)
    expect(page.locator("#tab-polls-count")).to_have_text("2", timeout=AT_ONCE)
    page.get_by_role("tab", name=re.compile("^투표·설문")).click()
    expect(page.locator(f'article.poll-card[data-poll="{poll_id}"]')).to_be_visible(timeout=AT_ONCE)

    # The agenda, then the item under way: listed, and marked in words.
    items = [
        {"id": "open", "title": "여는 말", "minutes": 10},
        {"id": "bus", "title": "버스 노선 토론", "minutes": 40},
        {"id": "close", "title": "정리", "minutes": 10},
    ]
    show_section(page, "stream")  # the agenda sits with the stream
    ok(hub_call, "host-1", "agenda.set", meeting=MEETING, items=items)
    agenda = page.locator("#agenda")
    expect(agenda.locator("li")).to_have_count(3, timeout=AT_ONCE)
    expect(agenda.get_by_role("heading", name="오늘의 안건")).to_be_visible()
    ok(hub_call, "host-1", "agenda.current", meeting=MEETING, item="bus")
    current = agenda.locator('li[aria-current="step"]')
    expect(current).to_contain_text("버스 노선 토론", timeout=AT_ONCE)
    expect(current).to_contain_text("진행 중")
    expect(agenda.locator(".agenda-now")).to_have_text("지금 진행 중: 버스 노선 토론")

    expect(page.locator(f'article.ballot[data-vote="{stray}"]')).to_have_count(0)
    # A late joiner gets all of it from the channels' snapshots.
    late = panelist_page(open_url, OTHER)
    show_section(late, "polls")
    expect(late.locator(f'article.ballot[data-vote="{vote_id}"]')).to_be_visible()
    show_section(late, "stream")
    expect(late.locator('#agenda li[aria-current="step"]')).to_contain_text("버스 노선 토론")
    expect(late.locator(f'article.ballot[data-vote="{stray}"]')).to_have_count(0)
    assert_accessible(page, "the panelist page with a vote, a poll and the agenda")


def test_the_host_writes_a_survey_and_counts_the_answers_per_question(open_url: OpenUrl) -> None:
    host, _ = open_url("/host", "host-1", **DESKTOP)
    host.locator("#f-meeting").select_option(MEETING)
    survey = host.locator("#survey")
    title = f"교통 설문 {uuid.uuid4().hex[:4]}"

    # The form refuses what the hub would refuse, in words, and puts the focus where to fix it.
    survey.get_by_role("button", name="설문 만들기").click()
    expect(survey.get_by_role("alert")).to_have_text("설문 제목을 적어 주세요.")
    survey.get_by_label("설문 제목").fill(title)
    first = survey.get_by_role("group", name="질문 1")
    first.get_by_label("질문", exact=True).fill("주로 타는 교통수단")
    first.get_by_label("답하는 방식").select_option("multiple")
    first.get_by_label("보기 (한 줄에 하나)").fill("버스")
    survey.get_by_role("button", name="설문 만들기").click()
    expect(survey.get_by_role("alert")).to_contain_text("질문 1의 보기")
    expect(first.get_by_label("보기 (한 줄에 하나)")).to_be_focused()
    first.get_by_label("보기 (한 줄에 하나)").fill("버스\n지하철\n자전거")
    survey.get_by_role("button", name="질문 더하기").click()
    second = survey.get_by_role("group", name="질문 2")
    expect(second.get_by_label("질문", exact=True)).to_be_focused()
    second.get_by_label("질문", exact=True).fill("바라는 점")
    second.get_by_label("답하는 방식").select_option("text")
    expect(second.get_by_label("보기 (한 줄에 하나)")).to_be_hidden()
    survey.get_by_role("button", name="질문 더하기").click()
    survey.get_by_role("button", name="질문 3 빼기").click()
    expect(survey.get_by_role("group", name="질문 3")).to_have_count(0)
    survey.get_by_role("button", name="설문 만들기").click()
    expect(survey.locator(".ok-text")).to_contain_text(f"설문 ‘{title}’을 만들었습니다")
    item = survey.locator(".survey-item", has_text=title)
    expect(item).to_contain_text("준비 중")
    assert_accessible(host, "the host console")
    item.get_by_role("button", name=f"열기: {title}").click()
    expect(item).to_contain_text("답하는 중")

    # Two panelists answer in their tab.
    for who, picks, text in (
        (PANELIST, ["버스", "지하철"], "배차 간격을 줄여 주세요"),
        (OTHER, ["버스"], ""),
    ):
        page = panelist_page(open_url, who)
        page.get_by_role("tab", name=re.compile("^투표·설문")).click()
        card = page.locator("article.poll-card", has=page.get_by_role("heading", name=title, exact=True))
        group = card.get_by_role("group", name="주로 타는 교통수단")
        for p in picks:
            group.get_by_label(p, exact=True).check()
        if text:
            card.get_by_label("바라는 점").fill(text)
        card.get_by_role("button", name="답 보내기").click()
        expect(card.locator(".poll-done")).to_have_text("답했습니다. 고맙습니다.")
    expect(item).to_contain_text("2명 답함")

    # The host counts per question (results not shown to panelists meanwhile).
    item.get_by_role("button", name=f"질문별로 세기: {title}").click()
    counts = item.locator(".survey-counts li")
    expect(counts).to_have_count(2)
    expect(counts.nth(0)).to_have_text("‘주로 타는 교통수단’ 답 2개 · 버스 2명 · 지하철 1명 · 자전거 0명")
    expect(counts.nth(1)).to_have_text("‘바라는 점’ 답 1개")
    item.get_by_role("button", name=f"마감: {title}").click()
    expect(item).to_contain_text("마감")


def test_the_host_uploads_a_slide_and_manages_materials(open_url: OpenUrl, tmp_path: Path) -> None:
    page = panelist_page(open_url, PANELIST)
    expect(page.locator("#slide")).to_be_hidden()
    host, watch = open_url("/host", "host-1", **DESKTOP)
    watch.expected.append(r"/uploads\?name=slide\.png$")  # the refused upload below (Chromium logs a 400)
    host.locator("#f-meeting").select_option(MEETING)
    media = host.locator("#media")

    # Not an image: refused by the hub (the bytes decide), said in words; nothing shown.
    fake = tmp_path / "slide.png"
    fake.write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>")
    media.get_by_label("그림 파일 고르기").set_input_files(str(fake))
    media.get_by_role("button", name="올리고 보여 주기").click()
    expect(media.get_by_role("alert")).to_contain_text("이 파일은 올릴 수 없습니다")
    expect(page.locator("#slide")).to_be_hidden()

    picture = tmp_path / "bus-map.png"
    picture.write_bytes(png())
    media.get_by_label("그림 파일 고르기").set_input_files(str(picture))
    media.get_by_label("화면 자료 제목 (선택)").fill("버스 노선도")
    media.get_by_role("button", name="올리고 보여 주기").click()
    expect(media.locator(".ok-text")).to_have_text("화면 자료를 보여 주었습니다.")
    expect(media.locator(".stage-now")).to_have_text("지금 보이는 화면 자료: 버스 노선도")

    # The panelist sees it at once, and enlarges it (a dialog, closed with Esc).
    show_section(page, "stream")  # the slide sits with the stream
    slide = page.locator("#slide")
    img = slide.get_by_role("img", name="버스 노선도")
    expect(img).to_be_visible(timeout=AT_ONCE)
    assert img.evaluate("i => i.naturalWidth") == 64
    slide.get_by_role("button", name="크게 보기").click()
    dialog = page.get_by_role("dialog", name="버스 노선도")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("img", name="버스 노선도")).to_be_visible()
    assert_accessible(page, "the enlarged slide")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Materials: a link added from the console, shown to panelists with its kind; then removed.
    media.get_by_label("자료 제목", exact=True).fill("시민참여단 오리엔테이션")
    media.get_by_label("자료 주소", exact=True).fill("ftp://example.org/x")
    media.get_by_role("button", name="자료 더하기").click()
    expect(media.get_by_role("alert")).to_have_text("자료 주소는 https:// 로 시작해야 합니다.")
    media.get_by_label("자료 주소", exact=True).fill("https://example.org/orientation")
    media.get_by_label("자료 종류").select_option("course")
    media.get_by_label("짧은 설명 (선택)").fill("처음 오신 분을 위한 30분 강의")
    media.get_by_role("button", name="자료 더하기").click()
    materials = page.locator("#materials")
    link = materials.get_by_role("link", name="시민참여단 오리엔테이션")
    expect(link).to_have_attribute("href", "https://example.org/orientation", timeout=AT_ONCE)
    expect(materials).to_contain_text("온라인 강의")
    expect(materials).to_contain_text("처음 오신 분을 위한 30분 강의")
    page.screenshot(path=str(tmp_path / "live-390.png"), full_page=True)
    text, target = smallest_text_and_target(page, "#slide, #agenda, #materials")
    assert text >= 16 and target >= 44, (text, target)
    text, target = smallest_text_and_target(host, "#survey, #media")
    assert text >= 16 and target >= 44, (text, target)
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert_accessible(page, "the panelist page with a slide and materials")
    page.get_by_role("button", name="English").click()
    expect(slide.get_by_role("heading", name="On screen now")).to_be_visible()
    assert_accessible(page, "the panelist page in English")

    # A file instead of a link: uploaded, then saved by a panelist with their token (members only).
    pdf = tmp_path / "guide.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Page >>\n%%EOF")
    media.get_by_label("자료 제목", exact=True).fill("회의 안내서")
    media.get_by_label("또는 파일 올리기").set_input_files(str(pdf))
    media.get_by_role("button", name="자료 더하기").click()
    guide = materials.get_by_role("button", name="회의 안내서")
    expect(guide).to_be_visible(timeout=AT_ONCE)
    with page.expect_download() as info:
        guide.click()
    assert info.value.suggested_filename == "회의 안내서.pdf"
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF-1.4")
    media.get_by_role("button", name="‘회의 안내서’ 빼기").click()

    media.get_by_role("button", name="‘시민참여단 오리엔테이션’ 빼기").click()
    expect(materials).to_be_hidden(timeout=AT_ONCE)
    media.get_by_role("button", name="화면 자료 내리기").click()
    expect(slide).to_be_hidden(timeout=AT_ONCE)


def test_a_vote_made_in_the_console_reaches_its_meetings_page_whatever_its_name(open_url: OpenUrl) -> None:
    page = panelist_page(open_url, PANELIST)
    host, _ = open_url("/host", "host-1", **DESKTOP)
    host.locator("#f-meeting").select_option(MEETING)
    expect(host.locator("#f-id-hint")).to_have_text(
        "투표 이름은 자유롭게 정해도 됩니다. 만든 투표는 위에서 고른 회의의 시민참여단 화면에 바로 나타납니다."
    )
    vote_id = f"night-bus-{uuid.uuid4().hex[:4]}"  # not "<meeting>-<n>"
    host.get_by_label("투표 ID").fill(vote_id)
    host.get_by_label("제목", exact=True).fill("심야버스 노선")
    host.get_by_label("제안 (한 줄에 하나)").fill("강남 순환\n신촌 순환\n종로 순환")
    host.get_by_role("button", name="투표 만들기").click()
    expect(host.locator("#create-msg")).to_contain_text("만들었습니다")
    show_section(page, "polls")
    ballot = page.locator(f'article.ballot[data-vote="{vote_id}"]')
    # The point here is the vote's name, not its speed: under the whole suite the card once came
    # just past 5 s (its lookups wait behind the page's own: a meeting's page still asks three
    # commands a vote when it opens, paced to the hub's bucket); alone it takes 0.1-0.3 s.
    expect(ballot.locator(".phase-badge")).to_have_text("곧 시작", timeout=2 * AT_ONCE)
    host.get_by_role("button", name="투표 시작").click()
    expect(ballot.locator(".phase-badge")).to_have_text("투표 중", timeout=AT_ONCE + 1_000)
    # Another meeting's page does not show it.
    other, _ = open_url("/", "p-001", **PHONE)  # odd: plenary and health, not transport
    expect(
        other.locator("#meeting-title")
    ).not_to_be_empty()  # its meeting is shown (a heading kept for screen readers)
    expect(other.locator(f'article.ballot[data-vote="{vote_id}"]')).to_have_count(0)
