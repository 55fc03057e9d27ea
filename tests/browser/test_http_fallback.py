"""When WebSockets are blocked the panelist page speaks the same protocol over HTTP (``POST /sse``,
``POST /sse/cmd``) by itself: a panelist chats and casts a ballot. Real hub, real Redis, Chromium."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import BrowserContext, Page, Request, WebSocket, WebSocketRoute, expect

from tests.browser.conftest import Assembly, HubCaller, OpenPage, OpenUrl, show_section
from tests.browser.test_vote_pages import P1, P3, card, cast, open_vote, pick

pytestmark = pytest.mark.browser

NO_WEBSOCKET = """
window.WebSocket = class {
  constructor() { throw new DOMException("WebSockets are blocked here", "SecurityError"); }
};
"""


class Traffic:
    """The page's requests and WebSockets, to see which transport it used and what its URLs held."""

    def __init__(self, ctx: BrowserContext) -> None:
        self.urls: list[str] = []
        self.sockets: list[str] = []
        ctx.on("request", self._request)
        ctx.on("page", lambda page: page.on("websocket", self._socket))

    def _request(self, request: Request) -> None:
        self.urls.append(f"{request.method} {request.url}")

    def _socket(self, ws: WebSocket) -> None:
        self.sockets.append(ws.url)

    def posts(self, path: str) -> int:
        return sum(1 for u in self.urls if re.fullmatch(rf"POST http://[^/]+{re.escape(path)}", u))


def chat_and_cast(page: Page, assembly: Assembly, vote_id: str, other: Page) -> None:
    """The panelist chats (another panelist, on a WebSocket, sees it) and casts a ballot."""
    text = f"HTTP로 보냅니다 {uuid.uuid4().hex[:6]}"
    box = page.get_by_label("메시지")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")
    expect(page.locator("#chat-log").get_by_text(text, exact=True)).to_have_count(1)
    expect(other.locator("#chat-log").get_by_text(text, exact=True)).to_have_count(1)
    reply = f"웹소켓으로 답합니다 {uuid.uuid4().hex[:6]}"
    other_box = other.get_by_label("메시지")
    other_box.fill(reply)
    other_box.press("Enter")
    expect(page.locator("#chat-log").get_by_text(reply, exact=True)).to_have_count(1)
    show_section(page, "polls")  # on a phone: the ballot's section
    ballot = card(page, vote_id)
    expect(ballot.locator(".phase-badge")).to_have_text("투표 중")
    pick(ballot, P3)
    pick(ballot, P1)
    cast(ballot)


def test_a_page_without_websockets_chats_and_votes_over_http(
    open_url: OpenUrl, hub_call: HubCaller, assembly: Assembly
) -> None:
    vote_id = f"sse-{uuid.uuid4().hex[:6]}"
    open_vote(hub_call, vote_id)
    other, _ = open_url(f"/?vote={vote_id}", "p-011")

    traffic: list[Traffic] = []

    def block(ctx: BrowserContext) -> None:
        ctx.add_init_script(NO_WEBSOCKET)
        traffic.append(Traffic(ctx))

    page, _ = open_url(f"/?vote={vote_id}", "p-010", wait_live=False, before=block)
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=15_000)
    chat_and_cast(page, assembly, vote_id, other)
    assert traffic[0].sockets == []
    assert traffic[0].posts("/sse") == 1
    assert traffic[0].posts("/sse/cmd") >= 3  # subscribes, the chat message, the cast ...
    token = assembly.tokens["p-010"]
    assert not [u for u in traffic[0].urls if token in u]  # the token never in a URL


def test_a_proxy_that_refuses_ws_sends_the_page_over_http(
    open_url: OpenUrl, hub_call: HubCaller, assembly: Assembly
) -> None:
    vote_id = f"sse-{uuid.uuid4().hex[:6]}"
    open_vote(hub_call, vote_id)
    other, _ = open_url(f"/?vote={vote_id}", "p-007")
    refused: list[str] = []

    def refuse(ws: WebSocketRoute) -> None:  # the proxy: every upgrade to /ws closed at once
        refused.append(ws.url)
        ws.close(code=1008, reason="blocked by proxy")

    traffic: list[Traffic] = []

    def block(ctx: BrowserContext) -> None:
        ctx.route_web_socket(re.compile(r"/ws$"), refuse)
        traffic.append(Traffic(ctx))

    page, _ = open_url(f"/?vote={vote_id}", "p-008", wait_live=False, before=block)
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=15_000)
    assert len(refused) >= 2  # it tried the WebSocket first, as many times as the client's rule says
    chat_and_cast(page, assembly, vote_id, other)
    assert traffic[0].posts("/sse") == 1 and traffic[0].posts("/sse/cmd") >= 3


def test_the_page_goes_back_to_a_websocket_once_the_proxy_lets_it_through(
    open_url: OpenUrl, assembly: Assembly
) -> None:
    """On HTTP for five minutes, then a probe: once a WebSocket opens, the page moves to it."""
    allow: list[bool] = []
    passed: list[str] = []

    def proxy(ws: WebSocketRoute) -> None:
        if not allow:
            ws.close(code=1008, reason="blocked by proxy")
            return
        passed.append(ws.url)
        ws.connect_to_server()

    traffic: list[Traffic] = []

    def block(ctx: BrowserContext) -> None:
        ctx.clock.install()  # the page's own clock, to jump five minutes ahead
        ctx.route_web_socket(re.compile(r"/ws$"), proxy)
        traffic.append(Traffic(ctx))

    page, _ = open_url("/", "p-009", wait_live=False, before=block, viewport={"width": 1280, "height": 900})
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=15_000)
    assert traffic[0].posts("/sse") == 1 and passed == []
    allow.append(True)
    page.clock.fast_forward("06:00")  # past the five minutes on HTTP and the probe's jitter
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=15_000)
    deadline = page.evaluate("() => Date.now()") + 15_000
    while len(passed) < 2:  # the probe, then the connection itself
        assert page.evaluate("() => Date.now()") < deadline, passed
        page.wait_for_timeout(100)
    text = f"다시 웹소켓 {uuid.uuid4().hex[:6]}"
    box = page.get_by_label("메시지")
    box.fill(text)
    box.press("Enter")
    expect(page.locator("#chat-log").get_by_text(text, exact=True)).to_have_count(1)
    assert traffic[0].posts("/sse") == 1  # no new stream: the page is on the WebSocket


def test_a_hub_that_is_down_sends_nobody_to_http(open_page: OpenPage, assembly: Assembly) -> None:
    """WebSockets that fail because the hub is down (it does not answer /readyz either) are not a
    blocked network: the page comes back on a WebSocket when the hub does."""
    hub = assembly.second_hub()
    traffic: list[Traffic] = []
    page = open_page("p-005", hub=hub, before=lambda ctx: traffic.append(Traffic(ctx)))
    hub.stop()
    expect(page.locator("#conn")).to_have_attribute("data-state", "reconnecting")
    page.wait_for_timeout(4_000)  # attempts after 0.5, 1 and 2 s of backoff fail meanwhile
    hub.start()
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=20_000)
    assert traffic[0].posts("/sse") == 0 and len(traffic[0].sockets) >= 3
