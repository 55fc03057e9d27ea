"""Every page and its main states, as named scenes: what ``make screenshots`` photographs
(``tests/browser/screenshots.py``) and what the axe matrix checks (``tests/browser/test_axe_matrix.py``),
so the two never drift apart.

A scene is a page opened with one participant's link (or none, or a refused one), at a size, in a
language and a text size, and then brought to a state by a few clicks. :func:`prepare` first puts the
meeting in the states the scenes show (chat messages, an anonymous question on air, a raised hand,
an open survey, an open priority vote, a published one), through the hub's own protocol commands.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, WebSocketRoute, expect

from tests.browser.conftest import FAKE_PLAYER, Assembly, HubCaller

MEETING = "plenary"  # the scenes' meeting; the tests that mute or count keep to the topic meetings
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
SIZES = {"390": PHONE, "1280": DESKTOP}
LARGEST_TEXT = "2"  # lib/shell.js SIZES: the third step


@dataclass(frozen=True)
class Prepared:
    """What :func:`prepare` made: the ids the scenes open."""

    open_vote: str
    published_vote: str
    survey: str


@dataclass(frozen=True)
class Scene:
    name: str  # the screenshot's file stem
    path: str  # the address without the fragment
    who: str | None  # whose link; None: no link at all
    act: Callable[[Page], None] = lambda page: None  # bring the page to the state
    token: str | None = None  # a token of its own (a refused link)
    live: bool = True  # wait for the connection before acting
    offline: bool = False  # the network goes away after it connected
    sizes: tuple[str, ...] = ("390", "1280")
    what: str = ""  # one line for the docs


def _ok(call: HubCaller, who: str, kind: str, **fields: Any) -> dict[str, Any]:
    reply = call(who, kind, **fields)
    assert reply["type"] == "reply", (kind, reply)
    return dict(reply.get("result") or {})


def _vote(vote_id: str, title: str) -> dict[str, Any]:
    titles = [
        "심야 버스 노선 확대",
        "자전거 전용도로 연결",
        "어린이 보호구역 속도 관리",
        "지하철역 승강기 설치",
    ]
    proposals = [{"id": f"P{i + 1}", "title": t} for i, t in enumerate(titles)]
    return {
        "vote_id": vote_id,
        "title": title,
        "proposals": proposals,
        "rule": {"kind": "top_k", "k": 3, "minimum": 1},
        "method": "schulze",
        "tie_break": [p["id"] for p in proposals],
        "grace_seconds": 0,
    }


def prepare(call: HubCaller, chat: bool = True) -> Prepared:
    """Put :data:`MEETING` in the states the scenes show; ids are fresh, so it may run again on the
    same hub. ``chat``: also write a few chat messages (the screenshots want them)."""
    tag = uuid.uuid4().hex[:6]
    if chat:
        _ok(
            call,
            "host-1",
            "chat.send",
            meeting=MEETING,
            text="안녕하세요. 오늘은 교통과 돌봄 의제를 다룹니다.",
        )
        _ok(call, "p-001", "chat.send", meeting=MEETING, text="버스 이야기를 먼저 하면 좋겠습니다.")
        _ok(
            call,
            "p-003",
            "chat.send",
            meeting=MEETING,
            text="저도 찬성합니다. 밤늦게 다니는 버스가 부족해요.",
        )
    # Q&A: one anonymous question (the default) on air, one whose asker agreed to be named.
    asked = _ok(call, "p-003", "qa.ask", meeting=MEETING, text="심야 버스는 언제 늘어나나요?")
    named = _ok(
        call, "p-005", "qa.ask", meeting=MEETING, text="돌봄 센터는 몇 곳 더 생기나요?", anonymous=False
    )
    for q in (asked, named):
        _ok(call, "mod-1", "qa.approve", meeting=MEETING, question=q["question"])
    _ok(call, "mod-1", "qa.air", meeting=MEETING, question=asked["question"])
    call("p-007", "speakers.raise", meeting=MEETING)  # already raised on a second run: fine
    survey = f"s{tag}"
    poll = {
        "id": survey,
        "title": "오늘 토론 시간은 충분했나요?",
        "kind": "poll",
        "questions": [
            {
                "id": "q",
                "kind": "single",
                "prompt": "오늘 토론 시간은 충분했나요?",
                "options": ["충분했다", "부족했다", "모르겠다"],
            }
        ],
    }
    _ok(call, "host-1", "poll.create", meeting=MEETING, poll=poll)
    _ok(call, "host-1", "poll.open", meeting=MEETING, poll=survey)
    open_vote, published = f"{MEETING}-w{tag}", f"pub-{tag}"
    _ok(call, "host-1", "vote.create", definition=_vote(open_vote, "교통 정책 우선순위"))
    _ok(call, "host-1", "vote.open", vote=open_vote)
    _ok(call, "host-1", "vote.create", definition=_vote(published, "시민총회 정책 우선순위"))
    _ok(call, "host-1", "vote.open", vote=published)
    for who, ranking in (("p-001", "P1 P2 P3"), ("p-003", "P2 P1"), ("p-005", "P1 P3")):
        _ok(call, who, "vote.cast", vote=published, ranking=ranking.split(), nonce=f"n-{who}-{tag}")
    _ok(call, "host-1", "vote.close", vote=published)
    _ok(call, "host-1", "vote.publish", vote=published)
    return Prepared(open_vote, published, survey)


def prepare_tables(call: HubCaller) -> None:
    """Issue 15's pages worth seeing (the demo seated the plenary, gave fac-1 table 1 and posted a
    few cards): a step of the table agenda running, a few words at two tables, and a theme the team
    made from a suggested group. ``make screenshots`` only: the tests' scenes take the pages as the
    other tests left them (a table page that refuses is a state too)."""
    _ok(call, "host-1", "table.step", meeting=MEETING, title="아이디어 모으기", seconds=900)
    words = {
        "p-001": "밤늦게 퇴근할 때 버스가 너무 늦게 와요.",
        "p-000": "어린이집 대기가 길어서 일을 쉬었어요.",
        "p-002": "정류장에 앉을 곳이 있으면 좋겠습니다.",
    }
    for who, text in words.items():
        view = _ok(call, who, "table.get", meeting=MEETING)
        _ok(call, who, "table.say", meeting=MEETING, table=view["table"], text=text)
    groups = _ok(call, "theme-1", "theme.suggest", meeting=MEETING)["groups"]
    if groups:
        _ok(call, "theme-1", "theme.create", meeting=MEETING, title="대중교통 배차", cards=groups[0]["cards"])


@pytest.fixture(scope="module")
def prepared(assembly: Assembly) -> Prepared:
    """The scenes' states on the tests' hub (once per test module that imports this fixture)."""
    return prepare(HubCaller(assembly), chat=False)  # the chat tests count the plenary's messages


def _tab(name: str) -> Callable[[Page], None]:
    def act(page: Page) -> None:
        # By keyboard: a click could land elsewhere while the ballot above still grows.
        page.locator(f"#tab-{name}").focus()
        page.keyboard.press("Enter")
        expect(page.locator(f"#tab-{name}")).to_have_attribute("aria-selected", "true")
        page.locator(f"#tab-{name}").scroll_into_view_if_needed()
        page.evaluate("() => window.scrollBy(0, -8)")

    return act


def _help(page: Page) -> None:
    page.locator("#btn-help").click()
    expect(page.locator("#help-dialog")).to_be_visible()


def _wait_for(selector: str) -> Callable[[Page], None]:
    def act(page: Page) -> None:
        page.wait_for_selector(selector)

    return act


def scenes(prep: Prepared) -> list[Scene]:
    """Every page and its main states."""
    vote = prep.open_vote
    return [
        Scene(
            "panelist-chat",
            "/",
            "p-001",
            _wait_for('#chat-scroller[aria-busy="false"]'),
            what="the panelist page, chat",
        ),
        Scene(
            "panelist-qa", "/", "p-001", _tab("qa"), what="questions: the one on air (anonymous), ask form"
        ),
        Scene("panelist-speakers", "/", "p-001", _tab("speakers"), what="speakers: a raised hand"),
        Scene("panelist-polls", "/", "p-001", _tab("polls"), what="surveys: one open"),
        Scene("panelist-proposals", "/", "p-001", _tab("proposals"), what="citizens' proposals (issue 14)"),
        Scene("help", "/", "p-001", _help, what="help and the organisers' contact (KWCAG 3.2.2)"),
        Scene(
            "record",
            f"/record/{MEETING}",
            "p-001",
            _wait_for("#rec-main:not([hidden])"),
            live=False,
            what="a meeting's open record (issue 14)",
        ),
        Scene(
            "checkin",
            "/checkin",
            "clerk-1",
            _wait_for("#ck-desk:not([hidden])"),
            live=False,
            what="the hall desk: check-in (issue 14)",
        ),
        Scene(
            "vote-open",
            f"/vote?vote={vote}",
            "p-011",
            _wait_for(f'article.ballot[data-vote="{vote}"] .ballot-editor'),
            what="the priority vote, open",
        ),
        Scene(
            "results",
            f"/results/{prep.published_vote}",
            None,
            _wait_for("#result-meta:not(:empty)"),
            live=False,
            what="public results",
        ),
        Scene("host-console", "/host", "host-1", what="the host's priority vote console"),
        Scene(
            "moderator-console",
            f"/moderate?meeting={MEETING}",
            "host-1",
            _wait_for(".mod-item"),
            what="moderator console (a host: with the stage controls)",
        ),
        Scene("ops", "/ops", "ops-1", _wait_for("#hub-rows tr.hub-row"), what="ops dashboard"),
        Scene(
            "overlay",
            f"/overlay/{MEETING}",
            "obs-1",
            _wait_for(".ov-card"),
            live=False,
            sizes=("1280",),
            what="stream overlay: a question on air, no name",
        ),
        # issue 15: the live tables and the theme team
        Scene(
            "table-panelist",
            f"/table?meeting={MEETING}",
            "p-001",
            _wait_for("#tb-talk:not([hidden]), #tb-refused:not([hidden])"),
            what="a seated panelist's table: the step's countdown, its cards, its talk (issue 15)",
        ),
        Scene(
            "table-facilitator",
            f"/table?meeting={MEETING}",
            "fac-1",
            _wait_for("#tb-fac:not([hidden]), #tb-refused:not([hidden])"),
            what="a facilitator's table: who has not spoken, a card, the help flag (issue 15)",
        ),
        Scene(
            "tables-host",
            f"/tables?meeting={MEETING}",
            "host-1",
            _wait_for("#ts-grid li"),
            what="the hosts' view of every table: the step, a notice, each table (issue 15)",
        ),
        Scene(
            "themes-console",
            f"/themes?meeting={MEETING}",
            "theme-1",
            _wait_for("#th-work:not([hidden])"),
            what="the theme team's console: the tables' cards, themes (issue 15)",
        ),
        Scene("notice-no-link", "/", None, _wait_for("#notice:not([hidden])"), live=False, what="no link"),
        Scene(
            "notice-refused",
            "/",
            None,
            _wait_for("#notice:not([hidden])"),
            token="not-a-valid-token",
            live=False,
            what="a refused link",
        ),
        Scene(
            "notice-offline",
            "/",
            "p-001",
            _wait_for("#conn:not([data-state=live])"),
            offline=True,
            what="offline: reconnecting",
        ),
    ]


@dataclass
class Watch:
    """Script errors and CSP refusals of one page (a refused or offline link's failed socket is not one)."""

    problems: list[str] = field(default_factory=list)

    def on_console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error" and ("Content Security Policy" in msg.text or "Uncaught" in msg.text):
            self.problems.append(f"console: {msg.text}")

    def on_error(self, err: Any) -> None:
        self.problems.append(f"page error: {err}")


@dataclass
class Cable:
    """The page's WebSocket, through the test: pulled out on :meth:`unplug` (the open socket closes
    and every new one is refused), as when a phone loses its network."""

    unplugged: bool = False
    sockets: list[WebSocketRoute] = field(default_factory=list)

    def install(self, ctx: BrowserContext) -> None:
        ctx.route_web_socket(re.compile(r"/ws$"), self._handle)

    def _handle(self, ws: WebSocketRoute) -> None:
        if self.unplugged:
            ws.close(code=1011, reason="offline")
            return
        ws.connect_to_server()
        self.sockets.append(ws)

    def unplug(self, ctx: BrowserContext) -> None:
        self.unplugged = True
        ctx.set_offline(True)
        for ws in self.sockets:
            ws.close(code=1011, reason="offline")


def settle(page: Page) -> None:
    """After a scene's steps: its fonts loaded and a last render done (lists render at most every
    300 ms)."""
    page.evaluate("() => document.fonts.ready")
    time.sleep(0.2)


@contextmanager
def opened(
    browser: Browser, assembly: Assembly, scene: Scene, size: str = "390", lang: str = "ko", text: str = "0"
) -> Iterator[tuple[Page, Watch]]:
    """The scene's page in a fresh context (its own storage, like another device), in ``lang`` at the
    text size ``text``, brought to its state; closed on exit."""
    ctx: BrowserContext = browser.new_context(**SIZES[size])
    try:
        ctx.route(
            "https://www.youtube-nocookie.com/**",
            lambda route: route.fulfill(body=FAKE_PLAYER, content_type="text/html"),
        )
        ctx.add_init_script(
            f"try {{ localStorage.setItem('plenary.lang', '{lang}');"
            f" localStorage.setItem('plenary.textsize', '{text}'); }} catch (e) {{}}"
        )
        cable = Cable()
        if scene.offline:
            cable.install(ctx)
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        watch = Watch()
        page.on("console", watch.on_console)
        page.on("pageerror", watch.on_error)
        token = scene.token or (assembly.tokens[scene.who] if scene.who else None)
        page.goto(assembly.hub.url + scene.path + (f"#t={token}" if token else ""))
        if scene.live:
            page.wait_for_selector("#conn[data-state=live]")
        if scene.offline:
            cable.unplug(ctx)
        scene.act(page)
        settle(page)
        yield page, watch
    finally:
        ctx.close()
