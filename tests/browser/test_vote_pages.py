"""The vote pages end to end: the host console, the panelists' ballot on phones, the public results
page; real hub processes, real Redis, headless Chromium. Any console error fails a test."""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, WebSocketRoute, expect

from tests.browser.conftest import Assembly, HubCaller, OpenUrl

pytestmark = pytest.mark.browser

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
CODE = re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$")
PROPOSALS = [
    "심야 버스 노선 확대",
    "자전거 전용도로 연결",
    "어린이 보호구역 속도 관리",
    "지하철역 승강기 설치",
]
P1, P2, P3, P4 = PROPOSALS


def shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("PLENARY_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def card(page: Page, vote_id: str) -> Locator:
    return page.locator(f'article.ballot[data-vote="{vote_id}"]')


def pick(ballot: Locator, title: str) -> None:
    ballot.locator("button.pick", has_text=title).click()


def ranking(ballot: Locator) -> list[str]:
    return ballot.locator(".ranking .rank-title").all_text_contents()


def cast(ballot: Locator) -> str:
    """Press send; returns the tracking code the receipt shows."""
    ballot.get_by_role("button", name="이 순위로 투표하기").click()
    code = ballot.locator(".receipt .code")
    expect(code).to_be_visible()
    expect(code).to_have_text(CODE)
    return code.inner_text()


def definition(vote_id: str, grace: int = 0) -> dict[str, Any]:
    proposals = [{"id": f"P{i + 1}", "title": t} for i, t in enumerate(PROPOSALS)]
    return {
        "vote_id": vote_id,
        "title": "테스트 투표",
        "proposals": proposals,
        "rule": {"kind": "top_k", "k": 3, "minimum": 1},
        "method": "schulze",
        "tie_break": [p["id"] for p in proposals],
        "grace_seconds": grace,
    }


def open_vote(hub_call: HubCaller, vote_id: str) -> None:
    assert hub_call("host-1", "vote.create", definition=definition(vote_id))["type"] == "reply"
    assert hub_call("host-1", "vote.open", vote=vote_id)["type"] == "reply"


def test_a_vote_from_the_console_to_the_public_board(
    open_url: OpenUrl, assembly: Assembly, tmp_path: Path
) -> None:
    out = shots(tmp_path)

    # -- the host creates and opens the vote ---------------------------------------------------------
    host, _ = open_url("/host", "host-1", **DESKTOP)
    vote_field = host.get_by_label("투표 ID")
    expect(vote_field).to_have_value(re.compile(r"^plenary-\d+$"))  # the next free name, proposed
    vote_id = vote_field.input_value()
    host.get_by_label("제목", exact=True).fill("교통 정책 우선순위 (Transport priorities)")
    host.get_by_label("제안 (한 줄에 하나)").fill("\n".join(PROPOSALS) + "\n\n")
    host.get_by_label("유예 시간 (초)").fill("1")
    host.get_by_role("button", name="투표 만들기").click()
    expect(host.locator("#create-msg")).to_contain_text("만들었습니다")
    detail = host.locator(f'.detail[data-vote="{vote_id}"]')
    expect(detail.locator(".phase-badge")).to_have_text("곧 시작")
    expect(host.get_by_label("투표 ID")).not_to_have_value(vote_id)  # moved on to the next name
    host.get_by_role("button", name="투표 시작").click()
    expect(detail.locator(".phase-badge")).to_have_text("투표 중")
    expect(detail.locator(".turnout-big")).to_contain_text("0 / 12명 투표")
    expect(detail.locator(".quorum-status")).to_contain_text("정족수 미달: 6명 더 필요")

    # -- two panelists on phones: the rule is shown, sending waits for a valid ranking -----------------
    a, _ = open_url("/vote", "p-000", **PHONE)
    b, _ = open_url("/vote", "p-001", **PHONE)
    ca, cb = card(a, vote_id), card(b, vote_id)
    expect(ca.locator(".phase-badge")).to_have_text("투표 중")
    expect(ca.locator(".ballot-rule")).to_have_text(
        "가장 원하는 제안부터 차례로 최대 3개를 고르세요. 적어도 1개는 골라야 보낼 수 있습니다."
    )
    send_a = ca.get_by_role("button", name="이 순위로 투표하기")
    expect(send_a).to_have_attribute("aria-disabled", "true")
    send_a.click(force=True)  # a tap on the greyed button: refused on the page, nothing is sent
    expect(ca.locator(".validity")).to_have_text("1개 더 골라야 보낼 수 있습니다.")
    expect(ca.locator(".receipt")).to_be_hidden()

    pick(ca, P3)
    pick(ca, P1)
    assert ranking(ca) == [P3, P1]
    expect(ca.locator(".validity")).to_have_text("준비되었습니다. 아래 버튼을 눌러 보내세요.")
    expect(send_a).to_have_attribute("aria-disabled", "false")
    first_code = cast(ca)
    expect(ca.locator(".receipt")).to_contain_text("이 코드를 적어 두거나")
    assert ca.locator(".receipt-sent li").all_text_contents() == [P3, P1]
    a.screenshot(path=str(out / "ballot-390x844-receipt.png"), full_page=True)

    # B ranks with the buttons only: three picks fill the ballot, then up, up, remove.
    pick(cb, P2)
    pick(cb, P1)
    pick(cb, P3)
    assert ranking(cb) == [P2, P1, P3]
    expect(cb.locator("button.pick", has_text=P4)).to_be_disabled()
    expect(cb.locator(".pool-note")).to_have_text("3개를 모두 골랐습니다. 바꾸려면 위 순위에서 빼세요.")
    b.screenshot(path=str(out / "ballot-390x844-full.png"), full_page=True)
    no_sideways_scroll(b)
    size = b.get_by_role("button", name=re.compile("^글자 크기"))
    size.click()
    size.click()
    expect(b.locator("html")).to_have_attribute("data-size", "2")
    no_sideways_scroll(b)
    b.screenshot(path=str(out / "ballot-390x844-largest-text.png"), full_page=True)
    size.click()
    cb.get_by_role("button", name=f"{P3}: 한 칸 위로").click()
    expect(cb.get_by_role("button", name=f"{P3}: 한 칸 위로")).to_be_focused()  # focus follows the item
    cb.get_by_role("button", name=f"{P3}: 한 칸 위로").click()
    assert ranking(cb) == [P3, P2, P1]
    expect(cb.get_by_role("button", name=f"{P3}: 한 칸 위로")).to_be_disabled()
    cb.get_by_role("button", name=f"{P3}: 순위에서 빼기").click()
    assert ranking(cb) == [P2, P1]
    b_code = cast(cb)
    assert b_code != first_code

    # A votes again: the earlier ballot stands until the new one is sent; the last one counts.
    ca.get_by_role("button", name="순위를 바꿔 다시 투표하기").click()
    expect(ca.locator(".revoting")).to_contain_text(f"앞서 보낸 표(코드 {first_code})가 셉니다")
    assert ranking(ca) == [P3, P1]
    ca.get_by_role("button", name=f"{P3}: 순위에서 빼기").click()
    pick(ca, P2)
    assert ranking(ca) == [P1, P2]
    a_code = cast(ca)
    assert a_code != first_code
    expect(ca.locator(".receipt-revote-note")).to_have_text(
        "투표가 열려 있는 동안에는 다시 보낼 수 있습니다. 마지막으로 보낸 표 하나만 셉니다."
    )

    # -- the host sees the turnout (two panelists, not three ballots), overall and by stratum ----------
    expect(detail.locator(".turnout-big")).to_contain_text("2 / 12명 투표", timeout=8_000)
    expect(detail.locator(".turnout-present")).to_contain_text("접속 중인 대상자")
    gender = detail.locator("table.strata-table", has=host.locator("caption", has_text="성별"))
    expect(gender.locator('tr[data-value="male"] td').nth(1)).to_have_text("1")
    expect(gender.locator('tr[data-value="female"] td').nth(1)).to_have_text("1")
    expect(ca.locator(".ballot-turnout")).to_have_text("2명 투표 · 대상 12명")
    host.screenshot(path=str(out / "host-1280x900-open.png"), full_page=True)

    # -- a third panelist is still choosing when the host closes ---------------------------------------
    c, _ = open_url("/vote", "p-002", **PHONE)
    cc = card(c, vote_id)
    pick(cc, P4)
    detail.get_by_role("button", name="마감 알리기").click()
    expect(detail.locator(".confirm")).to_contain_text("되돌릴 수 없습니다")
    detail.get_by_role("button", name="예, 마감합니다").click()
    closed = cc.locator(".ballot-closed")
    expect(closed).to_be_visible(timeout=3_000)
    expect(closed).to_have_attribute("role", "alert")
    expect(closed).to_contain_text("투표가 마감되었습니다")
    expect(closed).to_contain_text("보내지 않은 순위는 기록되지 않았습니다.")
    expect(closed).to_contain_text("Voting has closed. Your unsent ranking was not recorded.")
    expect(cc.get_by_role("button", name="이 순위로 투표하기")).to_be_hidden()
    c.screenshot(path=str(out / "ballot-390x844-closed-while-editing.png"), full_page=True)
    expect(ca.locator(".ballot-closed")).to_contain_text(f"보내신 표(코드 {a_code})가 기록되어 있습니다.")
    expect(ca.get_by_role("button", name="순위를 바꿔 다시 투표하기")).to_be_hidden()

    # -- after the grace period, the host publishes ------------------------------------------------------
    publish = detail.get_by_role("button", name="결과 발표")
    expect(publish).to_be_visible(timeout=5_000)
    publish.click()
    detail.get_by_role("button", name="예, 발표합니다").click()
    expect(detail.locator(".phase-badge")).to_have_text("결과 발표")
    # A [P1, P2] and B [P2, P1]: P1 and P2 tie at the top, P3 and P4 (never ranked) below
    expect(detail.locator(".detail-results .place").first).to_have_text("공동 1위")
    places = detail.locator(".detail-results .place").all_text_contents()
    assert places == ["공동 1위", "공동 1위", "공동 3위", "공동 3위"], places
    host.screenshot(path=str(out / "host-1280x900-published.png"), full_page=True)
    host.set_viewport_size({"width": 390, "height": 844})
    no_sideways_scroll(host)
    host.screenshot(path=str(out / "host-390x844-published.png"), full_page=True)
    expect(ca.locator(".phase-badge")).to_have_text("결과 발표")
    expect(ca.locator(".ballot-results .order-title").first).to_have_text(P1)

    # -- the public page: the order with its ties, the seal, the exports, and A's receipt -------------
    with a.expect_navigation():
        ca.get_by_role("link", name="공개 게시판에서 확인하기").click()
    assert "#t=" not in a.url and "code=" in a.url
    answer = a.locator("#receipt-answer")
    expect(answer).to_contain_text("게시판에 있습니다")
    expect(answer.locator(".code")).to_have_text(a_code)
    assert answer.locator(".receipt-sent li").all_text_contents() == [P1, P2]
    results = a.request.get(f"{assembly.hub.url}/api/votes/{vote_id}/results").json()
    expect(a.locator("#head-hash")).to_have_text(results["head_hash"])
    assert re.fullmatch(r"[0-9a-f]{64}", results["head_hash"])
    order = a.locator("#result-order .order-item")
    expect(order).to_have_count(4)
    assert order.locator(".place").all_text_contents() == ["공동 1위", "공동 1위", "공동 3위", "공동 3위"]
    assert order.locator(".order-title").all_text_contents() == [P1, P2, P3, P4]
    expect(a.locator("#result-tiebreak")).to_contain_text(f"1. {P1}, 2. {P2}, 3. {P3}, 4. {P4}")
    expect(a.locator("#result-meta")).to_have_text("슐체 방식 · 집계된 표 2표")
    hrefs = a.locator("#exports a").evaluate_all("els => els.map((e) => e.getAttribute('href'))")
    assert hrefs == [
        f"/api/votes/{vote_id}/{f}" for f in ("export.json", "board.csv", "ballots.soi", "ballots.toi")
    ]
    for href in hrefs:
        assert a.request.get(assembly.hub.url + href).status == 200, href
    export = json.loads(a.request.get(assembly.hub.url + hrefs[0]).text())
    assert export["head_hash"] == results["head_hash"]

    # Anyone, without a link: the replaced first ballot is not on the board, B's is.
    public, watch = open_url(f"/results/{vote_id}", **PHONE)
    watch.expected.append(rf"/api/votes/{vote_id}/receipt/")  # "not on the board" is a 404
    expect(public.locator("#result-title")).to_have_text("교통 정책 우선순위 (Transport priorities)")
    box = public.get_by_label("내 표 확인 코드")
    box.fill(first_code.lower().replace("-", " "))
    public.get_by_role("button", name="확인").click()
    expect(public.locator("#receipt-answer")).to_contain_text("이 코드의 표는 게시판에 없습니다")
    box.fill(b_code)
    box.press("Enter")
    expect(public.locator("#receipt-answer .code")).to_have_text(b_code)
    assert public.locator("#receipt-answer .receipt-sent li").all_text_contents() == [P2, P1]
    no_sideways_scroll(public)
    public.screenshot(path=str(out / "results-390x844.png"), full_page=True)
    public.get_by_role("button", name="Switch to English").click()
    expect(public.locator("#result-meta")).to_have_text("Schulze · 2 ballots counted")
    expect(public.locator("#result-order .place").first).to_have_text("Tied #1")
    expect(public.locator("#receipt-answer .answer-title")).to_have_text(
        re.compile(r"^✓ On the board: ballot no\. [12]$")
    )
    public.screenshot(path=str(out / "results-390x844-en.png"), full_page=True)


def test_the_console_tells_a_non_host_it_is_for_hosts(open_url: OpenUrl) -> None:
    page, _ = open_url("/host", "p-003", **PHONE)
    expect(page.locator("#notice")).to_contain_text("사회자 전용 화면입니다")
    expect(page.locator("#notice")).to_contain_text("‘시민참여단’")
    expect(page.locator("#create")).to_be_hidden()
    expect(page.locator("#votes")).to_be_hidden()


class Tap:
    """Sits between a page and the hub: records what the page sends and can hold back frames."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.replies: list[dict[str, Any]] = []
        self.drop_events: set[str] = set()
        self.lose_next_cast_reply = False
        self.connections = 0

    def install(self, ctx: BrowserContext) -> None:
        ctx.route_web_socket(re.compile(r"/ws$"), self._handle)

    def _handle(self, ws: WebSocketRoute) -> None:
        self.connections += 1
        server = ws.connect_to_server()
        cast_ids: set[int] = set()

        def from_page(message: str | bytes) -> None:
            if isinstance(message, str):
                frame = json.loads(message)
                self.sent.append(frame)
                if frame.get("type") == "vote.cast":
                    cast_ids.add(frame["id"])
            server.send(message)

        def from_hub(message: str | bytes) -> None:
            if isinstance(message, str):
                frame = json.loads(message)
                if frame.get("type") == "reply" and frame.get("id") in cast_ids:
                    self.replies.append(frame)
                    if self.lose_next_cast_reply:
                        # stored by the hub, but the phone never hears of it: the link drops
                        self.lose_next_cast_reply = False
                        ws.close(code=1011, reason="test: lost link")
                        server.close()
                        return
                events = [frame] if frame.get("type") == "event" else frame.get("events", [])
                if any(e.get("event") in self.drop_events for e in events):
                    return
            ws.send(message)

        ws.on_message(from_page)
        server.on_message(from_hub)


def test_a_lost_reply_is_sent_again_with_the_same_nonce(open_url: OpenUrl, hub_call: HubCaller) -> None:
    vote_id = f"retry-{uuid.uuid4().hex[:8]}"
    open_vote(hub_call, vote_id)
    tap = Tap()
    page, _ = open_url(f"/vote?vote={vote_id}", "p-004", before=tap.install, **PHONE)
    ballot = card(page, vote_id)
    pick(ballot, P2)
    tap.lose_next_cast_reply = True
    code = cast(ballot)  # after the reconnect, the page sends the same ballot again
    casts = [f for f in tap.sent if f["type"] == "vote.cast"]
    assert len(casts) == 2 and tap.connections == 2, casts
    assert casts[0]["nonce"] == casts[1]["nonce"] and casts[0]["ranking"] == casts[1]["ranking"] == ["P2"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{8,64}", casts[0]["nonce"])
    assert casts[0]["id"] < casts[1]["id"]
    first, second = (r["result"] for r in tap.replies)
    assert (first["retry"], second["retry"]) == (False, True)
    assert first["tracking_code"] == second["tracking_code"] == code
    # stored once: the hub counts one voter
    turnout = hub_call("host-1", "vote.turnout", vote=vote_id)["result"]
    assert turnout["voted"] == 1

    # A new ballot (a revote) gets a new nonce.
    ballot.get_by_role("button", name="순위를 바꿔 다시 투표하기").click()
    pick(ballot, P1)
    assert cast(ballot) != code
    casts = [f for f in tap.sent if f["type"] == "vote.cast"]
    assert len(casts) == 3 and casts[2]["nonce"] != casts[0]["nonce"]


def test_a_cast_refused_as_closed_says_the_ranking_was_not_recorded(
    open_url: OpenUrl, hub_call: HubCaller, tmp_path: Path
) -> None:
    vote_id = f"late-{uuid.uuid4().hex[:8]}"
    open_vote(hub_call, vote_id)
    tap = Tap()
    tap.drop_events = {"vote.closing", "vote.closed"}  # this phone misses the close
    page, _ = open_url(f"/vote?vote={vote_id}", "p-005", before=tap.install, **PHONE)
    ballot = card(page, vote_id)
    pick(ballot, P1)
    assert hub_call("host-1", "vote.close", vote=vote_id)["type"] == "reply"
    page.get_by_role("button", name="English").click()
    ballot.get_by_role("button", name="Cast this ranking").click()
    closed = ballot.locator(".ballot-closed")
    expect(closed).to_contain_text("Voting has closed")
    expect(closed).to_contain_text("Your unsent ranking was not recorded.")
    expect(closed.locator(".ballot-closed-other")).to_have_text(
        "투표가 마감되었습니다. 보내지 않은 순위는 기록되지 않았습니다."
    )
    expect(closed.locator(".ballot-closed-other")).to_have_attribute("lang", "ko")
    expect(ballot.locator(".phase-badge")).to_have_text("Closed")
    expect(ballot.locator(".receipt")).to_be_hidden()
    page.screenshot(path=str(shots(tmp_path) / "ballot-390x844-en-refused.png"), full_page=True)


def test_an_observer_follows_the_vote_but_cannot_cast(open_url: OpenUrl, hub_call: HubCaller) -> None:
    vote_id = f"obs-{uuid.uuid4().hex[:8]}"
    open_vote(hub_call, vote_id)
    page, _ = open_url(f"/vote?vote={vote_id}", "obs-1", **PHONE)
    ballot = card(page, vote_id)
    expect(ballot.locator(".phase-badge")).to_have_text("투표 중")
    expect(ballot.locator(".ballot-note")).to_have_text(
        "지금 역할(참관인)로는 투표할 수 없습니다. 진행 상황만 볼 수 있습니다."
    )
    expect(ballot.locator(".ballot-editor")).to_be_hidden()


def next_plenary_id(hub_call: HubCaller) -> str:
    n = 1
    while hub_call("host-1", "vote.get", vote=f"plenary-{n}")["type"] == "reply":
        n += 1
    return f"plenary-{n}"


def test_a_vote_created_while_the_page_is_open_appears_and_opens_live(
    open_url: OpenUrl, hub_call: HubCaller, tmp_path: Path
) -> None:
    page, _ = open_url("/vote", "p-008", **PHONE)
    vote_id = next_plenary_id(hub_call)
    ballot = card(page, vote_id)
    expect(ballot).to_have_count(0)
    close_at = int(time.time() * 1000) + 95_000
    d = definition(vote_id) | {"title": "예약 마감 투표", "scheduled_close": close_at, "grace_seconds": 5}
    assert hub_call("host-1", "vote.create", definition=d, meeting="plenary")["type"] == "reply"
    # Announced on meeting/plenary/votes: the page shows it at once, without looking again.
    expect(ballot.locator(".phase-badge")).to_have_text("곧 시작", timeout=2_000)
    expect(ballot.locator(".ballot-note")).to_contain_text("사회자가 투표를 시작하면")
    expect(ballot.locator(".ballot-editor")).to_be_hidden()
    assert hub_call("host-1", "vote.open", vote=vote_id)["type"] == "reply"
    expect(ballot.locator(".phase-badge")).to_have_text("투표 중")  # live, from the channel
    expect(ballot.locator(".ballot-clock")).to_have_text(
        re.compile(r"^마감까지 1분 \d{1,2}초 남음 \(.+ 마감\)$")
    )
    expect(ballot.locator(".ballot-turnout")).to_have_text("0명 투표 · 대상 12명")
    # keyboard only: Enter on a proposal ranks it and keeps focus in the list
    ballot.locator("button.pick", has_text=P2).focus()
    page.keyboard.press("Enter")
    assert ranking(ballot) == [P2]
    expect(ballot.locator("button.pick", has_text=P3)).to_be_focused()
    page.keyboard.press("Space")
    assert ranking(ballot) == [P2, P3]
    page.screenshot(path=str(shots(tmp_path) / "ballot-390x844-countdown.png"), full_page=True)
    assert hub_call("host-1", "vote.close", vote=vote_id)["type"] == "reply"
    expect(ballot.locator(".ballot-closed")).to_contain_text("보내지 않은 순위는 기록되지 않았습니다.")
    expect(ballot.locator(".ballot-clock")).to_have_text(
        re.compile(r"^보내는 중이던 표만 \d초 더 받습니다\.$")
    )


def test_ballot_inside_the_panelist_page(open_url: Any, hub_call: Any) -> None:
    """The ballot sits in the panelist page: on a phone in its own section (issue 13: one section at
    a time, chosen in the dock), on a wide screen beside the chat."""
    vote_id = f"integ-{uuid.uuid4().hex[:6]}"
    open_vote(hub_call, vote_id)
    page, _ = open_url(f"/?vote={vote_id}", "p-006", **PHONE)
    expect(page.locator("#chat")).to_be_visible()
    page.get_by_role("tab", name=re.compile("^투표·설문")).click()
    c = card(page, vote_id)
    expect(c.locator(".phase-badge")).to_have_text("투표 중")
    pick(c, P3)
    pick(c, P1)
    cast(c)
    no_sideways_scroll(page)
    page.get_by_role("tab", name=re.compile("^채팅")).click()
    box = page.get_by_label("메시지")
    box.fill("투표 끝났어요")
    box.press("Enter")
    expect(box).to_have_value("")
    wide, _ = open_url(f"/?vote={vote_id}", "p-007", viewport={"width": 1280, "height": 800})
    expect(card(wide, vote_id).locator(".phase-badge")).to_have_text("투표 중")


def test_a_ballot_cast_on_one_phone_shows_on_every_device_and_the_close_says_it_counts(
    open_url: OpenUrl, hub_call: HubCaller, tmp_path: Path
) -> None:
    """Issue 9: a panelist votes, then opens the same personal link on another phone (another browser
    context: its own storage). The server says what they voted, on every device; after the close no
    device says they did not vote."""
    vote_id = f"mine-{uuid.uuid4().hex[:8]}"
    open_vote(hub_call, vote_id)
    first, _ = open_url(f"/vote?vote={vote_id}", "p-009", **PHONE)
    early, _ = open_url(f"/vote?vote={vote_id}", "p-009", **PHONE)  # open before the vote, left aside
    c1, ce = card(first, vote_id), card(early, vote_id)
    expect(ce.locator(".ballot-editor")).to_be_visible()  # the server says: not voted yet
    pick(c1, P2)
    pick(c1, P4)
    code = cast(c1)

    # Another phone opens the link after the vote: the voted state, the code and the ranking.
    second, _ = open_url(f"/vote?vote={vote_id}", "p-009", **PHONE)
    c2 = card(second, vote_id)
    expect(c2.locator(".receipt .code")).to_have_text(code)
    assert c2.locator(".receipt-sent li").all_text_contents() == [P2, P4]
    expect(c2.locator(".receipt-channel")).to_have_text("온라인으로 보낸 표입니다.")
    expect(c2.locator(".ballot-editor")).to_be_hidden()
    expect(c2.get_by_role("button", name="순위를 바꿔 다시 투표하기")).to_be_visible()
    second.screenshot(path=str(shots(tmp_path) / "ballot-390x844-second-phone.png"), full_page=True)

    # The same on the panelist page (the same component), on a wide screen.
    wide, _ = open_url(f"/?vote={vote_id}", "p-009", **DESKTOP)
    expect(card(wide, vote_id).locator(".receipt .code")).to_have_text(code)

    # The phone left aside learns it when it is shown again.
    early.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    expect(ce.locator(".receipt .code")).to_have_text(code)
    expect(ce.locator(".ballot-editor")).to_be_hidden()

    # A revote on the second phone: the first shows the new code once it asks again.
    c2.get_by_role("button", name="순위를 바꿔 다시 투표하기").click()
    c2.get_by_role("button", name=f"{P4}: 순위에서 빼기").click()
    new_code = cast(c2)
    expect(c2.locator(".receipt-superseded")).to_have_text(f"앞서 보낸 표(코드 {code})는 세지 않습니다.")
    first.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    expect(c1.locator(".receipt .code")).to_have_text(new_code)
    assert c1.locator(".receipt-sent li").all_text_contents() == [P2]

    # The close: every device says the ballot that counts is recorded, and none says "did not vote".
    assert hub_call("host-1", "vote.close", vote=vote_id)["type"] == "reply"
    for ballot in (c1, ce, c2, card(wide, vote_id)):
        closed = ballot.locator(".ballot-closed")
        expect(closed).to_contain_text(f"보내신 표(코드 {new_code})가 기록되어 있습니다.")
        expect(closed).not_to_contain_text("표를 보내지 않으셨습니다")
        expect(closed).to_have_attribute("data-tone", "ok")
        expect(ballot.get_by_role("button", name="순위를 바꿔 다시 투표하기")).to_be_hidden()
    second.screenshot(path=str(shots(tmp_path) / "ballot-390x844-closed-voted.png"), full_page=True)

    # A phone opened after the close says the same, from the server.
    late, _ = open_url(f"/vote?vote={vote_id}", "p-009", **PHONE)
    closed = card(late, vote_id).locator(".ballot-closed")
    expect(closed).to_contain_text(f"보내신 표(코드 {new_code})가 기록되어 있습니다.")
    expect(card(late, vote_id).locator(".receipt .code")).to_have_text(new_code)


def test_a_paper_ballot_counts_over_online_and_the_page_says_so(
    open_url: OpenUrl, hub_call: HubCaller
) -> None:
    vote_id = f"paper-{uuid.uuid4().hex[:8]}"
    open_vote(hub_call, vote_id)
    page, _ = open_url(f"/vote?vote={vote_id}", "p-010", **PHONE)
    ballot = card(page, vote_id)
    pick(ballot, P1)
    online = cast(ballot)
    paper = hub_call(
        "clerk-1", "vote.paper", vote=vote_id, voter="p-010", ranking=["P3", "P2"], nonce="paper-p010"
    )
    paper_code = paper["result"]["tracking_code"]
    other, _ = open_url(f"/vote?vote={vote_id}", "p-010", **PHONE)
    c = card(other, vote_id)
    expect(c.locator(".receipt .code")).to_have_text(paper_code)
    assert c.locator(".receipt-sent li").all_text_contents() == [P3, P2]
    expect(c.locator(".receipt-channel")).to_contain_text("종이 투표지")
    expect(c.locator(".receipt-superseded")).to_have_text(
        f"온라인으로 보낸 표(코드 {online})는 종이 투표지로 바뀌어 세지 않습니다."
    )
    # an online revote would change nothing: it is not offered
    expect(c.get_by_role("button", name="순위를 바꿔 다시 투표하기")).to_be_hidden()
    expect(c.locator(".ballot-editor")).to_be_hidden()


def test_did_not_vote_is_said_only_when_the_server_says_so(open_url: OpenUrl, hub_call: HubCaller) -> None:
    vote_id = f"none-{uuid.uuid4().hex[:8]}"
    open_vote(hub_call, vote_id)
    tap = Tap()
    page, _ = open_url(f"/vote?vote={vote_id}", "p-011", before=tap.install, **PHONE)
    ballot = card(page, vote_id)
    expect(ballot.locator(".ballot-editor")).to_be_visible()
    assert hub_call("host-1", "vote.close", vote=vote_id)["type"] == "reply"
    closed = ballot.locator(".ballot-closed")
    expect(closed).to_contain_text("이번 투표에는 표를 보내지 않으셨습니다.")
    expect(closed).to_have_attribute("data-tone", "bad")
    # it was asked after the close (the page did not decide it from its own memory)
    mine = [f for f in tap.sent if f["type"] == "vote.mine" and f["vote"] == vote_id]
    assert len(mine) >= 2, mine
