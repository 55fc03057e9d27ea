"""The theme team in the browser (issue 15): a facilitator posts a card; it arrives live in the
theme console; the team makes it a theme with the keyboard alone and publishes; the theme reaches a
panelist's page and the stream overlay. Over the real hub and Redis of the demo assembly, with a
facilitator, a themer and a seating added to it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from engine.connection import command_client
from engine.roles import Role
from panel.roster import Participant, Roster
from tables import seating_store
from tables.model import Seating
from tests.browser.axe import assert_accessible
from tests.browser.conftest import Assembly, HubCaller, OpenUrl, show_section

MEETING = "plenary"  # p-001 and p-002 are in it (demo roster)
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
ADDED = [
    Participant(id="fac-9", name="진행 아홉", role=Role.FACILITATOR, meetings=[MEETING]),
    Participant(id="theme-9", name="주제팀 아홉", role=Role.THEMER, meetings=[MEETING]),
]


def add_people(assembly: Assembly) -> None:
    """The facilitator, the themer and a seating (p-001 at table 1), once per assembly."""
    if "theme-9" in assembly.tokens:
        return

    async def run() -> dict[str, str]:
        redis = command_client(assembly.redis.url, name="test-themes")
        try:
            roster = Roster(redis)
            await roster.upsert(ADDED)
            seating = Seating(session=MEETING, seed=1, tables=(("p-001",), ("p-002",)))
            await seating_store.save_seating(redis, seating)
            return await roster.issue_tokens([p.id for p in ADDED])
        finally:
            await redis.aclose()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Playwright's sync API holds a loop here
        assembly.tokens.update(pool.submit(asyncio.run, run()).result())


def make_facilitator(assembly: Assembly) -> dict[str, Any]:
    """host-1 makes fac-9 the facilitator of table 1 (``hub_call`` cannot: the command's field
    ``participant`` is the name of its own first argument)."""
    from tests.support import connect

    async def run() -> dict[str, Any]:
        ws_url = assembly.hub.url.replace("http://", "ws://") + "/ws"
        async with connect(ws_url, assembly.tokens["host-1"]) as host:
            return await host.call("table.facilitator", meeting=MEETING, table=1, participant="fac-9")

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=20)


def test_a_facilitators_card_becomes_a_published_theme_on_a_panelists_page(
    open_url: OpenUrl, hub_call: HubCaller, assembly: Assembly, tmp_path: Path
) -> None:
    add_people(assembly)
    assert make_facilitator(assembly)["type"] == "reply"
    console, _watch = open_url(f"/themes?meeting={MEETING}", "theme-9", **DESKTOP)
    expect(console.locator("html")).to_have_attribute("lang", "ko")
    expect(console.get_by_label("회의", exact=True)).to_have_value(MEETING)
    phone, _watch2 = open_url("/", "p-001")
    phone.get_by_label("회의", exact=True).select_option(MEETING)
    show_section(phone, "stream")  # the themes sit under the stream, with the captions
    overlay, _watch3 = open_url(f"/overlay/{MEETING}", "obs-1", wait_live=False, **DESKTOP)
    expect(overlay.locator("body")).to_have_attribute("data-conn", "live")

    # the facilitator's card arrives live in the console
    text = f"마을버스 배차 간격을 줄여 주세요 {uuid.uuid4().hex[:4]}"
    posted = hub_call("fac-9", "table.card", meeting=MEETING, table=1, text=text)
    assert posted["type"] == "reply", posted
    card = console.locator(".th-card", has_text=text)
    expect(card).to_be_visible()
    expect(card).to_contain_text("1번 테이블")

    # keyboard only: tick the card (Space), name a new theme, Enter
    box = card.get_by_role("checkbox")
    box.focus()
    console.keyboard.press("Space")
    expect(box).to_be_checked()
    expect(console.locator("#th-picked")).to_have_text("고른 카드 1장")
    title = f"대중교통 배차 {uuid.uuid4().hex[:4]}"
    field = console.get_by_label("새 주제 (고른 카드와 함께)")
    field.focus()
    console.keyboard.type(title)
    console.keyboard.press("Enter")
    theme = console.locator(".th-theme", has_text=title)
    expect(theme).to_be_visible()
    expect(theme).to_contain_text(text)
    expect(console.locator(".th-card", has_text=text)).to_have_count(0)  # off the unassigned list

    publish = console.get_by_role("button", name="주제 발표하기")
    publish.focus()
    console.keyboard.press("Enter")
    expect(console.locator("#th-status")).to_contain_text("모든 테이블과 방송 화면에 보냈습니다")

    # the panelist's page and the stream overlay
    section = phone.locator("#themes")
    expect(section).to_be_visible()
    expect(section.get_by_role("heading", name="모인 주제")).to_be_visible()
    expect(section.locator(".theme-title", has_text=title)).to_be_visible()
    expect(section).to_contain_text("카드 1장 · 테이블 1곳")
    expect(overlay.locator(".ov-theme-title", has_text=title)).to_be_visible()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    assert_accessible(console, "/themes (a theme, published)")
    assert_accessible(phone, "/ (the published themes)")
    for target in console.locator("button:visible").all():
        rect = target.bounding_box()
        assert rect and rect["height"] >= 44, rect
    out = Path(os.environ.get("PLENARY_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=str(out / "themes-console-1280.png"))
    phone.screenshot(path=str(out / "themes-panelist-390.png"))


def test_a_panelist_may_not_use_the_console(open_url: OpenUrl, assembly: Assembly) -> None:
    page, _watch = open_url(f"/themes?meeting={MEETING}", "p-002", **DESKTOP)
    expect(page.locator("#th-refused")).to_have_text("주제 정리는 주제 정리 담당과 진행자만 할 수 있습니다.")
    expect(page.locator("#th-work")).to_be_hidden()


def test_renaming_and_deleting_a_theme_ask_in_an_accessible_dialog_by_keyboard(
    open_url: OpenUrl, hub_call: HubCaller, assembly: Assembly
) -> None:
    """No window.prompt/confirm (lib/ask.js): 이름 바꾸기 and 지우기 open a modal <dialog>, labelled,
    Korean first, the focus in it; Esc or 취소 closes it and the focus returns to the button; with
    the keyboard alone a theme is renamed and deleted; axe finds nothing serious in the dialog."""
    add_people(assembly)
    title = f"보육 {uuid.uuid4().hex[:4]}"
    made = hub_call("theme-9", "theme.create", meeting=MEETING, title=title)
    assert made["type"] == "reply", made
    console_theme = (
        f'.th-theme[data-theme="{made["result"]["theme"]}"]'  # (other themes list it to merge into)
    )
    console, _watch = open_url(f"/themes?meeting={MEETING}", "theme-9", **DESKTOP)
    native: list[str] = []
    console.on("dialog", lambda d: (native.append(d.message), d.dismiss()))
    theme = console.locator(console_theme)
    expect(theme).to_be_visible()

    rename = theme.get_by_role("button", name=f"'{title}' 이름 바꾸기")
    rename.focus()
    console.keyboard.press("Enter")
    dialog = console.get_by_role("dialog", name=f"'{title}' 이름 바꾸기")
    expect(dialog).to_be_visible()
    field = dialog.get_by_label("주제의 새 이름")
    expect(field).to_be_focused()
    expect(field).to_have_value(title)
    assert_accessible(console, "/themes (the rename dialog)")
    for target in dialog.get_by_role("button").all():
        rect = target.bounding_box()
        assert rect and rect["height"] >= 44, rect
    console.keyboard.press("Escape")  # closes, nothing sent, focus back on the button
    expect(dialog).to_have_count(0)
    expect(rename).to_be_focused()
    expect(theme.locator(".th-theme-title")).to_contain_text(title)

    console.keyboard.press("Enter")
    field = console.get_by_role("dialog").get_by_label("주제의 새 이름")
    field.fill("")
    console.keyboard.press("Enter")  # empty: said in words, the dialog stays
    expect(console.get_by_role("dialog").get_by_role("alert")).to_have_text("내용을 적어 주세요.")
    expect(field).to_have_attribute("aria-invalid", "true")
    renamed = f"아이 돌봄 {uuid.uuid4().hex[:4]}"
    console.keyboard.type(renamed)
    console.keyboard.press("Enter")
    expect(theme.locator(".th-theme-title")).to_contain_text(renamed)
    expect(console.locator("#th-status")).to_have_text("이름을 바꿨습니다.")

    delete = theme.get_by_role("button", name=f"'{renamed}' 지우기")
    delete.focus()
    console.keyboard.press("Enter")
    ask = console.get_by_role("dialog", name=f"'{renamed}' 지우기")
    expect(ask).to_contain_text("카드는 주제 없는 카드로 돌아갑니다")
    expect(ask.get_by_role("button", name="취소")).to_be_focused()  # the safe answer first
    console.keyboard.press("Enter")  # 취소
    expect(ask).to_have_count(0)
    expect(delete).to_be_focused()
    console.keyboard.press("Enter")
    ask = console.get_by_role("dialog", name=f"'{renamed}' 지우기")
    console.keyboard.press("Shift+Tab")
    expect(ask.get_by_role("button", name="예, 지웁니다")).to_be_focused()
    console.keyboard.press("Enter")
    expect(console.locator(console_theme)).to_have_count(0)
    expect(console.locator("#th-status")).to_have_text("주제를 지웠습니다.")
    assert native == [], native  # never the browser's own prompt or confirm
