"""The moderator console after a reload (issue 9): the chat backlog now holds tombstones for deleted
messages and no moderation events, so the console asks the hub (``chat.moderation``) for the
deleted messages' text and the restrictions in force, and keeps both live from the chat's events.
Real hub, real Redis, headless Chromium; any console error, CSP refusal or script error fails.

The "transport" meeting (even panelists) keeps these mutes and bans away from the chats the other
browser tests write in; every restriction is lifted at the end.
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

MEETING = "transport"
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
MOD = "mod-1"


def ok(hub_call: HubCaller, who: str, kind: str, **fields: Any) -> dict[str, Any]:
    """One command on ``who``'s own connection (``hub_call`` itself takes a ``participant``, which
    ``chat.mute`` needs as a field)."""
    from tests.support import connect

    async def run() -> dict[str, Any]:
        ws_url = hub_call.assembly.hub.url.replace("http://", "ws://") + "/ws"
        async with connect(ws_url, hub_call.assembly.tokens[who]) as client:
            return await client.call(kind, meeting=MEETING, **fields)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        msg = pool.submit(asyncio.run, run()).result(timeout=20)
    assert msg["type"] == "reply", msg
    result: dict[str, Any] = msg["result"]
    return result


def console(open_url: OpenUrl) -> Page:
    page, _watch = open_url(f"/moderate?meeting={MEETING}", MOD, **DESKTOP)
    expect(page.get_by_label("회의", exact=True)).to_have_value(MEETING)
    return page


def logged(page: Page, text: str) -> Locator:
    return page.locator("#mod-log li", has=page.locator(".text", has_text=text))


def restricted(page: Page, name: str) -> Locator:
    return page.locator("#restricted li", has=page.locator(".qa-author", has_text=name))


def test_a_reloaded_console_shows_deleted_messages_and_restrictions(
    open_url: OpenUrl, hub_call: HubCaller, assembly: Assembly, tmp_path: Path
) -> None:
    author, other = "p-004", "p-006"
    author_name, other_name = assembly.names[author], assembly.names[other]
    mod_name = assembly.names[MOD]
    for who in (author, other):  # a clean start: no restriction left from an earlier run
        ok(hub_call, "host-1", "chat.unmute", participant=who)
    bad, fine = f"제 전화번호는 010-{uuid.uuid4().int % 10**4:04d}-0000", f"좋은 의견 {uuid.uuid4().hex[:6]}"
    page = console(open_url)
    ok(hub_call, author, "chat.send", text=bad)
    ok(hub_call, author, "chat.send", text=fine)
    ok(hub_call, other, "chat.send", text=f"다른 사람 {uuid.uuid4().hex[:6]}")

    # The moderator deletes one message, mutes its author for 10 minutes and bans another panelist.
    expect(logged(page, fine)).to_have_count(1)
    logged(page, bad).get_by_role("button", name=re.compile("^삭제")).click()
    expect(logged(page, bad).locator(".state-tag")).to_have_text("삭제됨")
    logged(page, fine).get_by_role("button", name=f"10분 제한: {author_name}").click()
    expect(restricted(page, author_name)).to_contain_text("까지 제한")
    page.get_by_role("button", name=f"차단: {other_name}").first.click()
    expect(restricted(page, other_name)).to_contain_text("차단됨")

    # A reload: the deleted message is in its place with its text, who deleted it and when; both
    # restrictions are listed, with who set them.
    page.reload()
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    expect(page.get_by_label("회의", exact=True)).to_have_value(MEETING)
    gone = logged(page, bad)
    expect(gone).to_have_count(1)
    expect(gone).to_have_class(re.compile(r"\bdeleted\b"))
    expect(gone.locator(".qa-author")).to_have_text(author_name)
    expect(gone.locator(".state-tag")).to_have_text("삭제됨")
    expect(gone.locator(".mod-by")).to_contain_text(f"{mod_name} 님이")
    expect(gone.get_by_role("button")).to_have_count(0)  # nothing left to do with it
    expect(logged(page, fine).get_by_role("button", name=re.compile("^삭제"))).to_have_count(1)
    muted, banned = restricted(page, author_name), restricted(page, other_name)
    expect(muted).to_contain_text("까지 제한")
    expect(muted).to_contain_text(f"{mod_name} 님이")
    expect(banned).to_contain_text("차단됨 (풀 때까지)")
    expect(banned).to_contain_text(f"{mod_name} 님이")
    page.screenshot(path=str(_shots(tmp_path) / "moderate-reloaded-1280.png"), full_page=True)

    # Live from there: a lift from another moderator's screen goes away; a new mute by the host
    # comes with the host's name.
    ok(hub_call, "host-1", "chat.unmute", participant=other)
    expect(restricted(page, other_name)).to_have_count(0)
    ok(hub_call, "host-1", "chat.ban", participant=other)
    expect(restricted(page, other_name)).to_contain_text(f"{assembly.names['host-1']} 님이")

    # The same in English.
    page.get_by_role("button", name="Switch to English").click()
    expect(gone.locator(".state-tag")).to_have_text("Deleted")
    expect(gone.locator(".mod-by")).to_contain_text(f"Deleted by {mod_name}")
    expect(restricted(page, other_name)).to_contain_text(f"By {assembly.names['host-1']}")

    # Lifted by keyboard from the console: the list empties.
    for name in (author_name, other_name):
        restricted(page, name).get_by_role("button", name=f"Lift: {name}").focus()
        page.keyboard.press("Enter")
        expect(restricted(page, name)).to_have_count(0)


def _shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("PLENARY_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out
