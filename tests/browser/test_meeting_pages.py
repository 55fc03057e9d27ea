"""Moderated meetings in the browser: the panelist page following chat moderation, the Q&A and the
speakers list, the moderator console and the stream overlay. Real hubs, real Redis, headless
Chromium; any console error, CSP refusal or script error fails a test (``open_url``).

These tests use the "health" meeting (odd panelists, plus staff), so that mutes, slow mode and
questions never touch the plenary chat the other browser tests write in.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Assembly, HubCaller, OpenUrl

pytestmark = pytest.mark.browser

MEETING = "health"
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}


def unique(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:6]}"


def shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("PLENARY_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def call(hub_call: HubCaller, who: str, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Like ``hub_call``, with the fields in a dict (``chat.mute`` has a field named participant)."""
    from tests.support import connect

    async def run() -> dict[str, Any]:
        ws_url = hub_call.assembly.hub.url.replace("http://", "ws://") + "/ws"
        async with connect(ws_url, hub_call.assembly.tokens[who]) as client:
            return await client.call(kind, **fields)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=20)


def ok(hub_call: HubCaller, who: str, kind: str, **fields: Any) -> dict[str, Any]:
    msg = call(hub_call, who, kind, {"meeting": MEETING, **fields})
    assert msg["type"] == "reply", msg
    return msg["result"]


def panelist(open_url: OpenUrl, who: str, **opts: Any) -> Page:
    page, _watch = open_url("/", who, **(opts or PHONE))
    page.get_by_label("회의", exact=True).select_option(MEETING)
    expect(page.locator("#chat-scroller")).to_have_attribute("aria-busy", "false")
    return page


def send(page: Page, text: str) -> None:
    box = page.get_by_label("메시지", exact=True)
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def message(page: Page, text: str) -> Locator:
    return page.locator("#chat-log li.msg", has=page.get_by_text(text, exact=True))


def test_chat_follows_moderation(open_url: OpenUrl, hub_call: HubCaller, tmp_path: Path) -> None:
    writer = panelist(open_url, "p-009")
    reader = panelist(open_url, "p-011")

    gone, kept = unique("광고 글입니다"), unique("보통 의견입니다")
    send(writer, gone)
    send(writer, kept)
    expect(message(reader, kept)).to_have_count(1)
    offset = int(message(reader, gone).get_attribute("data-offset") or 0)

    # A moderator deletes: gone for everyone at once, the writer included.
    assert ok(hub_call, "mod-1", "chat.delete", offset=offset, reason="광고")["deleted"] is True
    for page in (reader, writer):
        expect(page.get_by_text(gone)).to_have_count(0)
        expect(page.locator(f'#chat-log li.deleted[data-offset="{offset}"]')).to_contain_text("삭제한 메시지")
    # ... and after a reload, where the history holds both the message and its deletion.
    reader.reload()
    reader.wait_for_selector("#conn[data-state=live]")
    expect(message(reader, kept)).to_have_count(1)
    expect(reader.get_by_text(gone)).to_have_count(0)
    expect(reader.locator(f'#chat-log li.deleted[data-offset="{offset}"]')).to_have_count(1)

    # Reporting someone else's message (never one's own).
    expect(message(writer, kept).get_by_role("button", name=re.compile("신고"))).to_have_count(0)
    item = message(reader, kept)
    item.get_by_role("button", name=re.compile("님의 글 신고하기")).click()
    item.get_by_label("신고 이유").select_option("spam")
    item.get_by_role("button", name="신고하기", exact=True).click()
    expect(item.get_by_role("status")).to_contain_text("신고가 접수")
    expect(item.get_by_role("button", name=re.compile("신고했습니다"))).to_be_disabled()
    kept_offset = int(item.get_attribute("data-offset") or 0)
    staff = hub_call("mod-1", "subscribe", channel=f"meeting/{MEETING}/staff")["result"]["snapshot"]
    assert f"report:{kept_offset}" in staff

    # A mute for the writer: a plain notice with the time; a refused send keeps the text.
    ok(hub_call, "mod-1", "chat.mute", participant="p-009", minutes=5)
    standing = writer.locator("#chat-standing")
    expect(standing).to_contain_text(re.compile(r"\d{1,2}:\d{2}까지 제한"))
    expect(reader.locator("#chat-standing")).to_be_hidden()
    box = writer.get_by_label("메시지", exact=True)
    box.fill("지금 보내 봅니다")
    box.press("Enter")
    expect(writer.locator("#composer-error")).to_contain_text(
        re.compile(r"\d{1,2}:\d{2}까지는 보낼 수 없습니다")
    )
    expect(box).to_have_value("지금 보내 봅니다")
    writer.screenshot(path=str(shots(tmp_path) / "meeting-chat-muted-390.png"))
    ok(hub_call, "mod-1", "chat.ban", participant="p-009")
    expect(standing).to_contain_text("글쓰기를 막았습니다")
    ok(hub_call, "mod-1", "chat.unmute", participant="p-009")
    expect(standing).to_be_hidden()

    # Slow mode is announced, and its refusal explained; links are refused in plain words.
    ok(hub_call, "mod-1", "chat.settings", slow_mode=30)
    try:
        expect(reader.locator("#chat-rules")).to_contain_text("30초에 한 번")
        send(reader, unique("천천히 하나"))
        reader.get_by_label("메시지", exact=True).fill("천천히 둘")
        reader.get_by_label("메시지", exact=True).press("Enter")
        expect(reader.locator("#composer-error")).to_contain_text(re.compile(r"\d+초 뒤에 다시"))
    finally:
        ok(hub_call, "mod-1", "chat.settings", slow_mode=0)
    expect(reader.locator("#chat-rules")).to_be_hidden()
    box = writer.get_by_label("메시지", exact=True)
    box.fill("여기 보세요 https://spam.example.com/x")
    box.press("Enter")
    expect(writer.locator("#composer-error")).to_contain_text("링크")
    expect(box).to_have_value("여기 보세요 https://spam.example.com/x")


def staff_question(hub_call: HubCaller, text: str) -> dict[str, Any]:
    snap = hub_call("mod-1", "subscribe", channel=f"meeting/{MEETING}/staff")["result"]["snapshot"]
    found = [q for k, q in snap.items() if k.startswith("q:") and q["text"] == text]
    assert found, f"no question {text!r} on the moderators' desk"
    return found[0]


def test_questions_and_speakers_for_panelists(
    open_url: OpenUrl, hub_call: HubCaller, assembly: Assembly, tmp_path: Path
) -> None:
    asker = panelist(open_url, "p-009")
    other = panelist(open_url, "p-011")
    for page in (asker, other):
        page.get_by_role("tab", name=re.compile("^질문")).click()

    # Ask (anonymous by default: the consent box is unticked): pending, only mine to see.
    text = unique("버스 배차 간격은 언제 줄어드나요?")
    asker.get_by_label("사회자에게 질문하기").fill(text)
    expect(asker.get_by_label("내 이름을 화면에 보여도 좋아요")).not_to_be_checked()
    asker.get_by_role("button", name="질문 보내기").click()
    expect(asker.locator(".qa-ask-msg")).to_contain_text("진행자가 확인한 뒤")
    expect(asker.locator(".qa-mine")).to_contain_text(text)
    expect(other.get_by_text(text)).to_have_count(0)
    q = staff_question(hub_call, text)
    assert q["author"]["id"] == "p-009" and q["anonymous"] is True  # the desk knows; panelists do not

    # A moderator approves: the other panelist sees it without a name and supports it.
    ok(hub_call, "mod-1", "qa.approve", question=q["id"])
    item = other.locator(f'.qa-item[data-id="{q["id"]}"]')
    expect(item).to_contain_text(text)
    expect(item.locator(".qa-author")).to_have_text("익명")
    support = item.get_by_role("button", name=re.compile(r"^공감하기 \(0\)"))
    support.click()
    withdraw = item.get_by_role("button", name=re.compile(r"^공감 취소 \(1\)"))
    expect(withdraw).to_have_attribute("aria-pressed", "true")
    mine = asker.locator(f'.qa-item[data-id="{q["id"]}"]')
    expect(mine.get_by_role("button", name=re.compile(r"^공감하기 \(1\)"))).to_be_visible()
    expect(mine.locator(".badge.self")).to_have_text("나")
    expect(asker.locator(".qa-mine")).to_be_hidden()
    expect(asker.locator("#tab-qa-count")).to_have_text("1")

    # A second question, queued first in the moderators' order: the toggle follows either order.
    text2 = unique("어린이집 대기는 어떻게 줄이나요?")
    ok(hub_call, "p-011", "qa.ask", text=text2)
    q2 = staff_question(hub_call, text2)
    ok(hub_call, "mod-1", "qa.approve", question=q2["id"])
    ok(hub_call, "mod-1", "qa.queue", question=q2["id"])
    titles = other.locator(".qa-item .qa-text-shown")
    expect(titles).to_have_text([text, text2])  # most supported first
    other.get_by_role("button", name="진행 순서").click()
    expect(titles).to_have_text([text2, text])  # the queued one first
    expect(other.get_by_role("button", name="진행 순서")).to_have_attribute("aria-pressed", "true")

    # On air: first, highlighted, for everyone.
    ok(hub_call, "mod-1", "qa.air", question=q["id"])
    for page in (asker, other):
        first = page.locator(".qa-item").first
        expect(first).to_have_class(re.compile(r"state-on_air"))
        expect(first.locator(".on-air-tag")).to_have_text("지금 답변 중인 질문")
    other.screenshot(path=str(shots(tmp_path) / "meeting-qa-390.png"))
    item.get_by_role("button", name=re.compile(r"^공감 취소")).click()
    expect(item.get_by_role("button", name=re.compile(r"^공감하기 \(0\)"))).to_have_attribute(
        "aria-pressed", "false"
    )
    ok(hub_call, "mod-1", "qa.answer", question=q["id"])
    expect(other.locator(".qa-item").last).to_contain_text("답변 완료")

    # Speakers: raise a hand, get the floor with the shared countdown, finish.
    other.get_by_role("tab", name=re.compile("^발언 신청")).click()
    asker.get_by_role("tab", name=re.compile("^발언 신청")).click()
    other.get_by_role("button", name="손 들기").click()
    expect(other.locator(".speak-mine")).to_contain_text("1번째 순서")
    expect(asker.locator(".hand-list")).to_contain_text(other_name := assembly.names["p-011"])
    ok(hub_call, "mod-1", "speakers.next", seconds=90)
    expect(asker.locator("#floor-banner")).to_contain_text(f"발언 중: {other_name}")
    expect(asker.locator("#floor-banner .floor-clock")).to_have_text(re.compile(r"^1:(2\d|30) 남음$"))
    expect(other.locator("#floor-banner")).to_contain_text("회원님이 발언할 차례")
    other.screenshot(path=str(shots(tmp_path) / "meeting-speakers-390.png"))
    asker.get_by_role("tab", name="채팅").click()
    expect(asker.locator("#floor-banner")).to_be_visible()  # whatever tab is open
    other.get_by_role("button", name="발언 마치기").click()
    expect(asker.locator("#floor-banner")).to_be_hidden()
    expect(other.get_by_role("button", name="손 들기")).to_be_visible()

    # A question of mine that a moderator sets aside after approving it says so.
    asker.get_by_role("tab", name=re.compile("^질문")).click()
    text3 = unique("이 질문은 보류됩니다")
    asker.get_by_label("사회자에게 질문하기").fill(text3)
    asker.get_by_role("button", name="질문 보내기").click()
    expect(asker.locator(".qa-mine li", has_text=text3)).to_contain_text("확인 중")
    q3 = staff_question(hub_call, text3)
    ok(hub_call, "mod-1", "qa.approve", question=q3["id"])
    expect(asker.locator(f'.qa-item[data-id="{q3["id"]}"]')).to_be_visible()
    ok(hub_call, "mod-1", "qa.dismiss", question=q3["id"])
    expect(asker.locator(".qa-mine li", has_text=text3)).to_contain_text("보류됨")
    expect(other.locator(f'.qa-item[data-id="{q3["id"]}"]')).to_have_count(0)


def desk(page: Page, group: str, text: str) -> Locator:
    """A question on the desk (the merge menus name other questions, so match its own text)."""
    return page.locator(f".group-{group} li").filter(has=page.locator(".qa-text-shown", has_text=text))


def console(open_url: OpenUrl, who: str = "mod-1") -> Page:
    page, _watch = open_url(f"/moderate?meeting={MEETING}", who, **DESKTOP)
    expect(page.get_by_label("회의", exact=True)).to_have_value(MEETING)
    return page


def test_a_moderator_runs_questions_chat_and_speakers(
    open_url: OpenUrl, hub_call: HubCaller, assembly: Assembly, tmp_path: Path
) -> None:
    # A clean running order: questions left by earlier tests are answered first.
    snap = hub_call("mod-1", "subscribe", channel=f"meeting/{MEETING}/staff")["result"]["snapshot"]
    for key, q in snap.items():
        if key.startswith("q:") and q["state"] in ("approved", "queued", "on_air"):
            ok(hub_call, "mod-1", "qa.answer", question=q["id"])
    mod = console(open_url)
    viewer = panelist(open_url, "p-011")

    # The desk shows a pending question with its author, even an anonymous one.
    t1, t2 = unique("공공의료원은 어디에 짓나요?"), unique("보건소 운영 시간을 늘릴 수 있나요?")
    ok(hub_call, "p-009", "qa.ask", text=t1, anonymous=True)
    ok(hub_call, "p-011", "qa.ask", text=t2)
    pending = desk(mod, "pending", t1)
    expect(pending.locator(".qa-author")).to_have_text(assembly.names["p-009"])
    expect(pending).not_to_contain_text("이름 공개 동의")  # anonymous: the desk still names the asker
    # By keyboard: the question moves to another group and the focus goes with it.
    pending.get_by_role("button", name=re.compile("^승인")).focus()
    mod.keyboard.press("Enter")
    expect(desk(mod, "approved", t1).locator("button:focus")).to_have_count(1)
    desk(mod, "pending", t2).get_by_role("button", name=re.compile("^승인")).click()
    viewer.get_by_role("tab", name=re.compile("^질문")).click()
    expect(viewer.locator(".qa-item", has_text=t1).locator(".qa-author")).to_have_text("익명")

    # Queue both, move the second up, put it on air, answer it.
    for text in (t1, t2):
        desk(mod, "approved", text).get_by_role("button", name=re.compile("^순서에 넣기")).click()
        expect(desk(mod, "queued", text)).to_have_count(1)
    queued = mod.locator(".group-queued li .qa-text-shown")
    expect(queued).to_have_text([t1, t2])
    desk(mod, "queued", t2).get_by_role("button", name=re.compile("^▲ 위로")).click()
    expect(queued).to_have_text([t2, t1])
    viewer.get_by_role("button", name="진행 순서").click()
    expect(viewer.locator(".qa-item .qa-text-shown").nth(0)).to_have_text(t2)
    expect(viewer.locator(".qa-item .qa-text-shown").nth(1)).to_have_text(t1)
    desk(mod, "queued", t2).get_by_role("button", name=re.compile("^방송하기")).click()
    expect(desk(mod, "on_air", t2)).to_have_count(1)
    expect(viewer.locator(".qa-item.state-on_air", has_text=t2)).to_have_count(1)
    mod.screenshot(path=str(shots(tmp_path) / "moderate-1280.png"))
    desk(mod, "on_air", t2).get_by_role("button", name=re.compile("^답변 완료")).click()
    expect(desk(mod, "answered", t2)).to_have_count(1)
    expect(viewer.locator(".qa-item.state-answered", has_text=t2)).to_have_count(1)

    # Chat: a report arrives and is dismissed; a message is deleted; a mute is lifted.
    bad, fine = unique("도배 글"), unique("괜찮은 글")
    ok(hub_call, "p-009", "chat.send", text=bad)
    ok(hub_call, "p-009", "chat.send", text=fine)
    expect(viewer.get_by_text(fine, exact=True)).to_have_count(1)
    offset = int(mod.locator("#mod-log li", has_text=fine).get_attribute("data-offset") or 0)
    ok(hub_call, "p-011", "chat.report", offset=offset, reason="off_topic")
    report = mod.locator("#reports li", has_text=fine)
    expect(report).to_contain_text("신고 1건: 회의와 관계없는 글")
    report.get_by_role("button", name=re.compile("^신고 기각")).click()
    expect(mod.locator("#reports li", has_text=fine)).to_have_count(0)
    row = mod.locator("#mod-log li", has_text=bad)
    row.get_by_role("button", name=re.compile("^삭제")).click()
    expect(row.locator(".state-tag")).to_have_text("삭제됨")
    viewer.get_by_role("tab", name="채팅").click()
    expect(viewer.get_by_text(bad, exact=True)).to_have_count(0)
    mod.get_by_label("쓰기 제한 시간 (분)").fill("3")
    mod.get_by_label("쓰기 제한 시간 (분)").press("Tab")
    mod.locator("#mod-log li", has_text=fine).get_by_role("button", name=re.compile("^3분 제한")).click()
    restricted = mod.locator("#restricted li", has_text=assembly.names["p-009"])
    expect(restricted).to_contain_text("까지 제한")
    restricted.get_by_role("button", name=re.compile("^제한 풀기")).click()
    expect(mod.locator("#restricted li", has_text=assembly.names["p-009"])).to_have_count(0)
    mod.get_by_label("천천히 모드").select_option("10")
    mod.get_by_role("button", name="채팅 설정 적용").click()
    expect(viewer.locator("#chat-rules")).to_contain_text("10초에 한 번")
    mod.get_by_label("천천히 모드").select_option("0")
    mod.get_by_role("button", name="채팅 설정 적용").click()
    expect(viewer.locator("#chat-rules")).to_be_hidden()

    # Speakers: two hands, reorder, call, the countdown, end the turn.
    ok(hub_call, "p-009", "speakers.raise")
    ok(hub_call, "p-011", "speakers.raise")
    hands = mod.locator("#sp-body .hand-name")
    expect(hands).to_have_text([assembly.names["p-009"], assembly.names["p-011"]])
    mod.get_by_role("button", name=f"▲ 위로: {assembly.names['p-011']}").click()
    expect(hands).to_have_text([assembly.names["p-011"], assembly.names["p-009"]])
    # The list redraws on every event of its channel: what a moderator types survives it (a hand
    # raised and lowered meanwhile redrew it twice; the form drawn anew used to put the old time back,
    # or take the typing into a field already replaced: "60" into "120" sent 60120, bad_field).
    seconds = mod.get_by_label("1인 발언 시간 (초)")
    seconds.fill("60")
    ok(hub_call, "p-007", "speakers.raise")
    expect(hands).to_have_text([assembly.names[p] for p in ("p-011", "p-009", "p-007")])
    ok(hub_call, "mod-1", "speakers.lower", participant="p-007")
    expect(hands).to_have_text([assembly.names["p-011"], assembly.names["p-009"]])
    expect(seconds).to_have_value("60")
    mod.get_by_role("button", name="시간 설정").click()
    expect(mod.locator("#mod-status")).to_have_text("발언 시간을 바꿨습니다.")
    speakers = hub_call("mod-1", "subscribe", channel=f"meeting/{MEETING}/speakers")["result"]["snapshot"]
    assert speakers["seconds"] == 60, speakers
    mod.get_by_role("button", name="다음 사람에게 발언권").click()
    expect(mod.locator("#sp-body .floor-name")).to_have_text(assembly.names["p-011"])
    expect(mod.locator("#mod-clock")).to_have_text(re.compile(r"^(1:00|0:5\d) 남음$"))
    expect(viewer.locator("#floor-banner")).to_contain_text("회원님이 발언할 차례")
    mod.get_by_role("button", name="발언 끝내기").click()
    expect(viewer.locator("#floor-banner")).to_be_hidden()
    mod.get_by_role("button", name=f"손 내리기: {assembly.names['p-009']}").click()
    expect(mod.locator("#sp-body .hand.empty")).to_have_count(1)


def test_the_console_tells_a_panelist_it_is_for_moderators(open_url: OpenUrl) -> None:
    page, _watch = open_url("/moderate", "p-009", **DESKTOP)
    expect(page.locator("#notice")).to_contain_text("진행자 전용 화면입니다")
    expect(page.locator("#mod-cols")).to_be_hidden()


def test_the_stream_overlay_shows_what_the_hosts_put_on_air(
    open_url: OpenUrl, hub_call: HubCaller, tmp_path: Path
) -> None:
    overlay, _watch = open_url(f"/overlay/{MEETING}", "obs-1", wait_live=False, **DESKTOP)
    expect(overlay.locator("body")).to_have_attribute("data-conn", "live")
    assert "#t=" not in overlay.url
    assert overlay.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgba(0, 0, 0, 0)"
    assert overlay.locator("button, input, select, textarea").count() == 0

    text = unique("지역 보건소는 주말에도 여나요?")
    ok(hub_call, "p-009", "qa.ask", text=text, anonymous=True)
    q = staff_question(hub_call, text)
    ok(hub_call, "mod-1", "qa.approve", question=q["id"])
    ok(hub_call, "host-1", "qa.air", question=q["id"])
    card = overlay.locator(".ov-kind-question")
    expect(card.locator(".ov-text")).to_have_text(text)
    expect(card).to_contain_text("익명")
    assert card.evaluate("el => parseFloat(getComputedStyle(el.querySelector('.ov-text')).fontSize)") >= 32
    overlay.screenshot(path=str(shots(tmp_path) / "overlay-question-1280.png"))

    # A late joiner gets the item from the snapshot.
    late, _watch2 = open_url(f"/overlay/{MEETING}", "host-1", wait_live=False, **DESKTOP)
    expect(late.locator(".ov-kind-question .ov-text")).to_have_text(text)

    ok(hub_call, "host-1", "qa.answer", question=q["id"])
    expect(overlay.locator(".ov-card")).to_have_count(0)
    ok(hub_call, "host-1", "overlay.show", text="잠시 후 2부가 시작됩니다")
    expect(overlay.locator(".ov-text")).to_have_text("잠시 후 2부가 시작됩니다")
    ok(hub_call, "host-1", "overlay.clear")
    expect(overlay.locator(".ov-card")).to_have_count(0)
    expect(late.locator(".ov-card")).to_have_count(0)


def test_a_host_runs_the_agenda_slide_and_overlay_from_the_console(
    open_url: OpenUrl, hub_call: HubCaller, tmp_path: Path
) -> None:
    host = console(open_url, "host-1")
    overlay, _watch = open_url(f"/overlay/{MEETING}", "obs-1", wait_live=False, **DESKTOP)
    expect(overlay.locator("body")).to_have_attribute("data-conn", "live")

    host.get_by_label("안건 목록 (한 줄에 하나: 제목 | 분)").fill("개회 | 10\n방역 체계 토론 | 50")
    host.get_by_role("button", name="안건 저장").click()
    expect(host.locator(".agenda-item")).to_have_count(2)
    host.get_by_role("button", name="지금 진행: 방역 체계 토론").click()
    expect(host.get_by_role("button", name="진행 중: 방역 체계 토론")).to_have_attribute(
        "aria-pressed", "true"
    )
    agenda = hub_call("obs-1", "subscribe", channel=f"meeting/{MEETING}/agenda")["result"]["snapshot"]
    assert agenda["current"]["item"] == "a2"

    host.get_by_label("슬라이드 주소 (https)").fill("https://slides.example.org/health-1.png")
    host.get_by_label("슬라이드 제목 (선택)").fill("보건소 현황")
    host.get_by_role("button", name="슬라이드 보이기").click()
    expect(host.locator("#stage")).to_contain_text("지금 슬라이드: 보건소 현황")
    host.get_by_role("button", name="슬라이드 내리기").click()
    expect(host.locator("#stage")).to_contain_text("보이는 슬라이드가 없습니다.")

    host.get_by_label("방송 화면에 띄울 글 (300자까지)").fill("잠시 후 토론을 시작합니다")
    host.get_by_role("button", name="글 띄우기").click()
    expect(overlay.locator(".ov-kind-text .ov-text")).to_have_text("잠시 후 토론을 시작합니다")
    expect(host.locator("#overlay-now")).to_have_text("지금 방송 화면: 글 ‘잠시 후 토론을 시작합니다’")
    host.screenshot(path=str(shots(tmp_path) / "moderate-host-1280.png"), full_page=True)
    host.get_by_role("button", name="방송 화면 비우기").click()
    expect(overlay.locator(".ov-card")).to_have_count(0)
    expect(host.locator("#overlay-now")).to_have_text("지금 방송 화면: 비어 있음")


def test_meeting_tabs_by_keyboard_in_english_at_the_largest_text(open_url: OpenUrl, tmp_path: Path) -> None:
    page = panelist(open_url, "p-007", viewport={"width": 320, "height": 640})
    page.get_by_role("button", name="Switch to English").click()
    page.get_by_role("button", name=re.compile("^Text size")).click()
    page.get_by_role("button", name=re.compile("^Text size")).click()
    expect(page.locator("html")).to_have_attribute("data-size", "2")
    chat_tab = page.get_by_role("tab", name="Chat")
    chat_tab.focus()
    page.keyboard.press("ArrowRight")
    qa_tab = page.get_by_role("tab", name=re.compile("^Q&A"))
    expect(qa_tab).to_be_focused()
    expect(qa_tab).to_have_attribute("aria-selected", "true")
    expect(page.get_by_label("Ask the hosts a question")).to_be_visible()
    expect(page.locator("#chat")).to_be_hidden()
    for i, name in enumerate(("Q&A", "Speak")):
        if i:
            page.keyboard.press("ArrowRight")
        expect(page.get_by_role("tab", name=re.compile(f"^{name}"))).to_be_focused()
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px on the {name} tab"
        page.screenshot(path=str(shots(tmp_path) / f"meeting-{i}-320-en-largest.png"), full_page=True)
    expect(page.get_by_role("button", name="Raise hand")).to_be_visible()
    page.keyboard.press("Home")  # on a phone the stream is the first section (issue 13), the chat next
    page.keyboard.press("ArrowRight")
    expect(chat_tab).to_have_attribute("aria-selected", "true")
    # The skip link always reaches the message box, whatever tab was open.
    page.get_by_role("tab", name=re.compile("^Q&A")).click()
    page.keyboard.press("Tab")  # the focus leaves the tab (the skip link is reached from the top)
    page.locator(".skip-link").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Message", exact=True)).to_be_focused()


def test_wide_screen_keeps_the_tabs_and_the_message_box_in_view(open_url: OpenUrl, tmp_path: Path) -> None:
    page, _watch = open_url("/", "p-003", **DESKTOP)  # the plenary, with the ballot open on the left
    expect(page.locator("#vote")).to_be_visible()
    box = page.get_by_label("메시지", exact=True)
    expect(box).to_be_in_viewport()
    # the tabs too, without scrolling (the votes the other files of this package leave in the
    # plenary may make the vote column longer than the screen: that column may scroll, not these)
    expect(page.get_by_role("tab", name=re.compile("^질문"))).to_be_in_viewport()
    assert page.evaluate("() => window.scrollY") == 0
    page.get_by_role("tab", name=re.compile("^질문")).click()
    expect(page.get_by_label("사회자에게 질문하기")).to_be_in_viewport()
    page.screenshot(path=str(shots(tmp_path) / "panelist-qa-1280.png"))


def test_the_stream_overlay_shows_a_published_vote_with_ties_and_its_head_hash(
    open_url: OpenUrl, hub_call: HubCaller, tmp_path: Path
) -> None:
    vote_id = f"ov-vote-{uuid.uuid4().hex[:6]}"
    proposals = [
        {"id": f"P{i}", "title": t} for i, t in enumerate(["버스 증차", "공공 돌봄", "자전거 길"], 1)
    ]
    definition = {
        "vote_id": vote_id,
        "title": "보건 분과 우선순위",
        "proposals": proposals,
        "rule": {"kind": "rank_all"},
        "method": "ranked_pairs",
        "tie_break": ["P1", "P2", "P3"],
    }
    assert hub_call("host-1", "vote.create", definition=definition)["type"] == "reply"
    assert hub_call("host-1", "vote.open", vote=vote_id)["type"] == "reply"
    # A Condorcet cycle of equal margins: the margins decide nothing, all three share first place.
    for who, ranking in [("p-001", "P1 P2 P3"), ("p-002", "P2 P3 P1"), ("p-003", "P3 P1 P2")]:
        r = hub_call(who, "vote.cast", vote=vote_id, ranking=ranking.split(), nonce=f"nonce-{who}")
        assert r["type"] == "reply", r
    assert hub_call("host-1", "vote.close", vote=vote_id)["type"] == "reply"
    assert hub_call("host-1", "vote.publish", vote=vote_id)["type"] == "reply"
    head = hub_call("host-1", "vote.get", vote=vote_id)["result"]["head_hash"]

    overlay, _watch = open_url(f"/overlay/{MEETING}", "obs-1", wait_live=False, **DESKTOP)
    expect(overlay.locator("body")).to_have_attribute("data-conn", "live")
    ok(hub_call, "host-1", "overlay.show", vote=vote_id)
    card = overlay.locator(".ov-kind-vote")
    expect(card.locator(".ov-title")).to_have_text("보건 분과 우선순위")
    tiers = card.locator(".ov-tier")
    expect(tiers).to_have_count(1)
    expect(tiers.first.locator(".ov-place")).to_have_text("공동 1위")
    expect(tiers.first).to_contain_text("버스 증차 · 공공 돌봄 · 자전거 길")
    expect(card).to_contain_text("동점은 미리 정한 순서로 가림: 버스 증차, 공공 돌봄, 자전거 길")
    expect(card.locator(".ov-hash")).to_have_text(f"게시판 확인값 {head}")
    assert card.evaluate("el => parseFloat(getComputedStyle(el.querySelector('.ov-hash')).fontSize)") >= 16
    overlay.screenshot(path=str(shots(tmp_path) / "overlay-vote-1280.png"))
    ok(hub_call, "host-1", "overlay.clear")
