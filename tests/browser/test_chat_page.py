"""The panelist chat page, end to end: real hub processes, real Redis, headless Chromium."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, WebSocketRoute, expect

from engine.channels import ChannelLog
from engine.connection import command_client
from tests.browser.conftest import Assembly, OpenPage

pytestmark = pytest.mark.browser
T = TypeVar("T")


def unique(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:8]}"


def send(page: Page, text: str) -> None:
    """Type a message and press Enter; returns once the hub accepted it (the box empties)."""
    box = page.get_by_label(re.compile("^(메시지|Message)$"))
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def wait_for(page: Page, probe: Callable[[], T | None], timeout: float = 5.0) -> T:
    """Poll a Python-side condition while letting Playwright deliver its events."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value is not None:
            return value
        page.wait_for_timeout(50)
    raise AssertionError("condition not met in time")


def messages(page: Page, text: str) -> Locator:
    return page.locator("#chat-log").get_by_text(text, exact=True)


def test_message_typed_by_one_panelist_appears_for_another(open_page: OpenPage, assembly: Assembly) -> None:
    writer = open_page("p-000")
    reader = open_page("p-001")

    expect(reader.locator("#me-name")).to_have_text(f"{assembly.names['p-001']} 님")
    expect(reader.locator("#me-role")).to_have_text("시민참여단")
    expect(reader.get_by_label("회의")).to_have_value("plenary")
    frame = reader.locator("#video iframe")
    expect(frame).to_have_attribute(
        "src", re.compile(r"^https://www\.youtube-nocookie\.com/embed/dQw4w9WgXcQ")
    )

    text = unique("안녕하세요, 교통 분과 의견입니다")
    send(writer, text)
    expect(messages(reader, text)).to_have_count(1)
    expect(messages(writer, text)).to_have_count(1)
    mine = writer.locator("#chat-log li.msg", has=writer.get_by_text(text, exact=True))
    expect(mine).to_have_class(re.compile(r"\bmine\b"))
    theirs = reader.locator("#chat-log li.msg", has=reader.get_by_text(text, exact=True))
    expect(theirs).not_to_have_class(re.compile(r"\bmine\b"))
    expect(writer.locator("#composer-count")).to_have_text("0 / 500자")

    # Shift+Enter breaks the line, Enter sends; the line break survives the trip.
    box = writer.get_by_label("메시지")
    tag = uuid.uuid4().hex[:8]
    box.type(f"첫째 줄 {tag}")
    box.press("Shift+Enter")
    box.type("둘째 줄")
    expect(box).to_have_value(f"첫째 줄 {tag}\n둘째 줄")
    box.press("Enter")
    expect(box).to_have_value("")
    item = reader.locator("#chat-log .text", has_text=tag)
    expect(item).to_have_count(1)
    assert item.evaluate("el => el.textContent") == f"첫째 줄 {tag}\n둘째 줄"


def test_html_in_a_message_shows_as_text(open_page: OpenPage) -> None:
    writer = open_page("p-002")
    reader = open_page("p-003")
    text = f'<b>굵게</b> <script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> {uuid.uuid4().hex[:8]}'
    send(writer, text)
    shown = messages(reader, text)
    expect(shown).to_have_count(1)
    assert shown.evaluate("el => el.childElementCount") == 0
    assert reader.locator("#chat-log b, #chat-log script, #chat-log img").count() == 0
    assert reader.evaluate("() => window.__pwned") is None
    assert writer.evaluate("() => window.__pwned") is None


def test_observer_sees_why_they_cannot_write(open_page: OpenPage) -> None:
    page = open_page("obs-1")
    expect(page.locator("#me-role")).to_have_text("참관인")
    text = unique("참관인의 글")
    box = page.get_by_label("메시지")
    box.fill(text)
    page.get_by_role("button", name="보내기").click()
    error = page.locator("#composer-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("참관인")
    expect(error).to_contain_text("읽기만")
    expect(box).to_have_value(text)  # the typed text is kept
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(messages(page, text)).to_have_count(0)


def test_sending_too_fast_is_explained_and_keeps_the_text(open_page: OpenPage) -> None:
    page = open_page("p-004")
    for i in range(5):  # the chat rule: 5 messages per 10 s
        send(page, unique(f"연속 {i}"))
    text = unique("여섯 번째")
    box = page.get_by_label("메시지")
    box.fill(text)
    box.press("Enter")
    expect(page.locator("#composer-error")).to_contain_text("너무 빠르게")
    expect(box).to_have_value(text)


def test_counter_and_too_long_message(open_page: OpenPage) -> None:
    page = open_page("p-009")
    box = page.get_by_label("메시지")
    box.fill("가" * 501)
    count = page.locator("#composer-count")
    expect(count).to_have_text("501 / 500자")
    expect(count).to_have_class(re.compile(r"\bover\b"))
    expect(page.locator("#composer-error")).to_contain_text("너무 깁니다")
    box.press("Enter")
    expect(box).to_have_value("가" * 501)  # nothing was sent, nothing was cut
    box.press("Backspace")
    expect(count).to_have_text("500 / 500자")
    expect(page.locator("#composer-error")).to_be_hidden()


def test_reload_keeps_the_seat_and_the_history(open_page: OpenPage) -> None:
    page = open_page("p-005")
    assert "#t=" not in page.url  # the token left the address bar
    text = unique("새로 고침 전에 쓴 글")
    send(page, text)
    page.reload()
    page.wait_for_selector("#conn[data-state=live]")
    expect(messages(page, text)).to_have_count(1)
    assert "#t=" not in page.url


def test_reconnects_after_the_hub_restarts_without_loss_or_double(
    open_page: OpenPage, assembly: Assembly
) -> None:
    other = assembly.second_hub()
    reader = open_page("p-006")  # on hub A, which restarts
    writer = open_page("p-007", hub=other)  # on hub B, which stays
    before = unique("재시작 전")
    send(writer, before)
    expect(messages(reader, before)).to_have_count(1)

    assembly.hub.stop()
    expect(reader.locator("#conn")).to_have_attribute("data-state", "reconnecting")
    expect(reader.locator("#conn-text")).to_contain_text("다시 연결")
    during = unique("끊긴 사이에 쓴 글")
    send(writer, during)
    expect(messages(reader, during)).to_have_count(0)

    assembly.hub.start()
    expect(reader.locator("#conn")).to_have_attribute("data-state", "live", timeout=20_000)
    expect(messages(reader, during)).to_have_count(1)
    expect(messages(reader, before)).to_have_count(1)
    after = unique("다시 연결된 뒤")
    send(writer, after)
    expect(messages(reader, after)).to_have_count(1)
    offsets = reader.eval_on_selector_all("#chat-log li.msg", "els => els.map((e) => e.dataset.offset)")
    assert len(offsets) == len(set(offsets)), "a message is shown twice"
    assert [int(o) for o in offsets] == sorted(int(o) for o in offsets)


def test_english_toggle(open_page: OpenPage) -> None:
    page = open_page("p-008")
    page.get_by_role("button", name="Switch to English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Seoul Citizens' Assembly")
    expect(page.locator("#me-role")).to_have_text("Panelist")
    expect(page.locator("#conn-text")).to_have_text("Live")
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    expect(page.get_by_label("Message")).to_be_visible()
    expect(page.locator("#composer-count")).to_have_text("0 / 500")
    page.reload()  # the choice is remembered on this device
    page.wait_for_selector("#conn[data-state=live]")
    expect(page.locator("h1")).to_have_text("Seoul Citizens' Assembly")
    page.get_by_role("button", name="한국어").click()
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator("h1")).to_have_text("서울시민회의")
    expect(page.get_by_role("button", name="보내기")).to_be_visible()


def test_keyboard_skip_link_reaches_the_message_box(open_page: OpenPage) -> None:
    page = open_page("p-008")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="메시지 입력으로 건너뛰기")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("메시지")).to_be_focused()


def test_a_bad_link_says_so_and_does_not_retry(open_page: OpenPage, assembly: Assembly) -> None:
    page = open_page(None, wait_live=False)
    page.goto(assembly.hub.url + "/#t=not-a-real-token-000000")
    expect(page.locator("#notice")).to_contain_text("이 링크로는 들어올 수 없습니다")
    expect(page.locator("#conn")).to_have_attribute("data-state", "closed")
    page.wait_for_timeout(1_500)
    expect(page.locator("#conn")).to_have_attribute("data-state", "closed")
    expect(page.locator("#composer")).to_be_hidden()


def test_no_link_asks_for_the_personal_link(open_page: OpenPage) -> None:
    page = open_page(None, wait_live=False)
    expect(page.locator("#notice")).to_contain_text("개인 링크로 접속해 주세요")


def test_clerk_is_told_the_chat_is_not_for_them(open_page: OpenPage) -> None:
    page = open_page("clerk-1")
    expect(page.locator("#chat-note")).to_contain_text("볼 수 없습니다")


def test_phone_screenshot(open_page: OpenPage, tmp_path: Path) -> None:
    out = Path(os.environ.get("PLENARY_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    host = open_page("host-1")
    send(host, "안녕하세요. 오늘 시민총회는 교통과 돌봄 의제를 다룹니다.")
    other = open_page("p-011")
    send(other, "버스 배차 간격이 너무 길어요. 특히 저녁 시간에요.")
    page = open_page(
        "p-010", viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    send(page, "어르신들도 보기 편하게 글자가 커서 좋네요.")
    page.get_by_label("메시지").fill("마을버스 노선도 함께 논의했으면 합니다")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"
    page.screenshot(path=str(out / "panelist-390x844.png"))
    size = page.get_by_role("button", name=re.compile("^글자 크기"))
    size.click()
    size.click()
    expect(page.locator("html")).to_have_attribute("data-size", "2")
    page.screenshot(path=str(out / "panelist-390x844-largest-text.png"))
    size.click()
    page.get_by_role("button", name="Switch to English").click()
    expect(page.locator("#chat-log time").last).to_have_text(re.compile(r"\b[AP]M$"))  # relabelled
    expect(page.locator("#chat-log .badge.self").last).to_have_text("me")
    page.get_by_label("Message").fill("x" * 501)
    page.screenshot(path=str(out / "panelist-390x844-en-error.png"))
    small = open_page("p-010", viewport={"width": 320, "height": 640}, is_mobile=True)
    overflow = small.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 320px"
    small.screenshot(path=str(out / "panelist-320x640.png"))


class Tap:
    """Sits between a page and the hub (Playwright's WebSocket routing): records what the page sends,
    forwards everything both ways, and lets a test push extra frames to the page."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.received: list[str] = []
        self.route: WebSocketRoute | None = None
        self.forget_position = False  # forward subscribes without epoch/offset: the hub sends its backlog

    def install(self, ctx: BrowserContext) -> None:
        ctx.route_web_socket(re.compile(r"/ws$"), self._handle)

    def _handle(self, ws: WebSocketRoute) -> None:
        self.route = ws
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            if isinstance(message, str):
                frame = json.loads(message)
                self.sent.append(frame)
                if self.forget_position and frame["type"] == "subscribe":
                    message = json.dumps({k: v for k, v in frame.items() if k not in ("epoch", "offset")})
            server.send(message)

        def from_hub(message: str | bytes) -> None:
            if isinstance(message, str):
                self.received.append(message)
            ws.send(message)

        ws.on_message(from_page)
        server.on_message(from_hub)

    def frame_with(self, text: str) -> dict[str, Any]:
        for raw in self.received:
            msg = json.loads(raw)
            if msg.get("type") == "event" and msg["data"].get("text") == text:
                return dict(msg)
        raise AssertionError(f"no event frame carried {text!r}")

    def reply_to(self, command_id: int) -> dict[str, Any] | None:
        for raw in self.received:
            msg = json.loads(raw)
            if msg.get("type") in ("reply", "error") and msg.get("id") == command_id:
                return dict(msg)
        return None

    def push(self, frame: dict[str, Any]) -> None:
        assert self.route is not None
        self.route.send(json.dumps(frame))


def test_duplicate_frames_show_once_and_a_gap_resubscribes_from_the_last_offset(open_page: OpenPage) -> None:
    tap = Tap()
    reader = open_page("p-010", before=tap.install)
    writer = open_page("p-011")
    hello = tap.sent[0]
    assert hello["type"] == "hello" and hello["id"] == 1

    first = unique("중복 확인")
    send(writer, first)
    expect(messages(reader, first)).to_have_count(1)
    frame = tap.frame_with(first)

    tap.push(frame)  # the same event again, alone ...
    tap.push({"type": "batch", "events": [frame]})  # ... and inside a batch
    second = unique("다음 글")
    send(writer, second)
    expect(messages(reader, second)).to_have_count(1)
    expect(messages(reader, first)).to_have_count(1)

    # On a gap the page re-subscribes from its last offset. The tap drops that position on the way,
    # so the hub answers with its whole backlog, which the page already shows: nothing may double.
    last = tap.frame_with(second)
    tap.forget_position = True
    tap.push({"type": "gap", "channel": last["channel"], "epoch": last["epoch"], "offset": last["offset"]})
    resub = wait_for(
        reader,
        lambda: next(
            (f for f in tap.sent if f["type"] == "subscribe" and f.get("offset") == last["offset"]), None
        ),
    )
    assert resub["epoch"] == last["epoch"] and resub["channel"] == last["channel"]
    backlog = wait_for(reader, lambda: tap.reply_to(resub["id"]))
    assert backlog["result"]["recovered"] is False and len(backlog["result"]["events"]) >= 2
    tap.forget_position = False

    # A frame from beyond the last offset (a hole) is not shown: the page asks for what it missed.
    ghost = {**last, "offset": last["offset"] + 5, "data": {**last["data"], "text": "유령 메시지"}}
    tap.push(ghost)
    third = unique("구멍 뒤")
    send(writer, third)
    expect(messages(reader, third)).to_have_count(1)
    expect(messages(reader, "유령 메시지")).to_have_count(0)
    for text in (first, second, third):
        expect(messages(reader, text)).to_have_count(1)
    ids = [f["id"] for f in tap.sent]
    assert ids == sorted(set(ids)), f"command ids must keep increasing: {ids}"


def test_a_page_far_behind_recovers_every_message_from_a_reply_in_parts(
    open_page: OpenPage, assembly: Assembly
) -> None:
    """A page that comes back 120 long messages late gets a subscribe reply in several frames
    (``more: true`` on all but the last): client.js joins them, so every missed message shows,
    once, in order, and none is skipped."""
    reader = open_page("p-008")  # on hub A, which restarts
    before = unique("멀어지기 전")
    send(open_page("p-009", hub=assembly.second_hub()), before)  # hub B keeps the Redis up
    expect(messages(reader, before)).to_have_count(1)
    assembly.hub.stop()
    expect(reader.locator("#conn")).to_have_attribute("data-state", "reconnecting")
    tag = uuid.uuid4().hex[:8]
    texts = [f"놓친 글 {tag} {i:03d} " + "시민총회 의견 " * 60 for i in range(120)]  # ~180 KB

    async def publish() -> None:
        redis = command_client(assembly.redis.url, name="plenary-test")
        log = ChannelLog(redis)
        author = {"id": "p-009", "name": assembly.names["p-009"], "role": "panelist"}
        for text in texts:
            await log.publish(
                "meeting/plenary/chat", "chat.message", {"text": text.strip(), "author": author}
            )
        await redis.aclose()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Playwright's loop runs in this thread
        pool.submit(asyncio.run, publish()).result()
    assembly.hub.start()
    expect(reader.locator("#conn")).to_have_attribute("data-state", "live", timeout=20_000)
    for text in (texts[0], texts[59], texts[-1], before):
        expect(messages(reader, text.strip())).to_have_count(1)
    shown = reader.eval_on_selector_all("#chat-log li.msg", "els => els.map((e) => e.dataset.offset)")
    offsets = [int(o) for o in shown]
    assert len(offsets) == len(set(offsets)), "a message is shown twice"
    assert offsets[-120:] == list(range(offsets[-120], offsets[-120] + 120)), "a message is missing"
