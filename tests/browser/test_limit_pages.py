"""The pages under the per-participant limits (issue 9), in headless Chromium on a real hub:

- a link open in more windows than its role may hold: the extra window says so in plain words (in
  Korean and in English), retries slowly instead of hammering the hub, and connects by itself once
  another window closes;
- a `rate_limited` refusal where a person acted (Q&A support): the page says how long to wait, keeps
  the buttons off until then, and lets the person act again afterwards.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
import redis
from playwright.sync_api import BrowserContext, Page, WebSocket, expect

from engine import keys
from tests.browser.conftest import Assembly, HubCaller, OpenUrl
from tests.browser.test_meeting_pages import ok, panelist, staff_question, unique

pytestmark = pytest.mark.browser

PANELIST_LIMIT = 5  # written out, not read from realtime.roles (the table under test)


def test_a_sixth_window_of_one_link_asks_to_close_one_and_connects_once_one_closes(open_url: OpenUrl) -> None:
    who = "p-004"
    windows = [open_url("/", who)[0] for _ in range(PANELIST_LIMIT)]
    sockets: list[float] = []

    def count_sockets(ctx: BrowserContext) -> None:
        ctx.on("page", lambda p: p.on("websocket", lambda _ws: sockets.append(time.monotonic())))

    extra, _watch = open_url("/", who, wait_live=False, before=count_sockets)
    expect(extra.locator("#conn")).to_have_attribute("data-state", "crowded")
    notice = extra.locator("#conn-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("이 링크가 너무 많은 창에서 열려 있습니다")
    expect(notice).to_contain_text("하나 닫아 주세요")
    expect(extra.locator("#conn-text")).to_have_text("창이 너무 많이 열려 있음")
    size = extra.evaluate("getComputedStyle(document.querySelector('#conn-notice p')).fontSize")
    assert float(size.removesuffix("px")) >= 16
    extra.locator("#btn-lang").click()
    expect(notice).to_contain_text("This link is open in too many windows")
    expect(extra.locator("#conn-text")).to_have_text("Open in too many windows")
    extra.locator("#btn-lang").click()
    expect(notice).to_contain_text("이 링크가 너무 많은 창에서 열려 있습니다")

    # Slowly: no second try within the first 4 s (a refused window must not knock every second).
    first = sockets[0]
    extra.wait_for_timeout(4_000)
    assert [round(t - first, 1) for t in sockets] == [0.0], sockets
    expect(extra.locator("#conn")).to_have_attribute("data-state", "crowded")

    # One window closes: the extra one connects by itself, and the notice goes.
    windows[0].context.close()
    expect(extra.locator("#conn")).to_have_attribute("data-state", "live", timeout=30_000)
    expect(notice).to_be_hidden()
    assert len(sockets) <= 4, sockets  # 5-10 s, then 10-20 s apart: a handful of tries at most


def test_support_clicked_too_fast_says_how_long_to_wait_and_works_again_after(
    open_url: OpenUrl, hub_call: HubCaller, assembly: Assembly
) -> None:
    text = unique("공원 화장실을 늘려 주세요")
    ok(hub_call, "p-001", "qa.ask", text=text)
    q = staff_question(hub_call, text)
    ok(hub_call, "mod-1", "qa.approve", question=q["id"])

    page: Page = panelist(open_url, "p-005")
    page.get_by_role("tab", name=re.compile("^질문")).click()
    item = page.locator(f'.qa-item[data-id="{q["id"]}"]')
    support = item.get_by_role("button", name=re.compile(r"^공감하기"))
    expect(support).to_be_enabled()

    # p-005 has spent its Q&A votes (on other windows or a script): its bucket is 3 tokens in debt,
    # so the next one waits 4 s at 1 per second.
    r = redis.Redis.from_url(assembly.redis.url)
    seconds, micros = r.time()
    r.hset(
        keys.rate_bucket("p-005", "qa_vote"), mapping={"t": "-3", "at": str(seconds * 1000 + micros // 1000)}
    )
    r.close()
    support.click()
    wait = page.locator(".qa-wait")
    expect(wait).to_be_visible()
    expect(wait).to_contain_text(re.compile(r"[1-4]초 뒤에 다시 할 수 있습니다"))
    expect(support).to_be_disabled()
    # The wait ends: the note goes, the button is back, and supporting works.
    expect(wait).to_be_hidden(timeout=8_000)
    expect(support).to_be_enabled()
    support.click()
    expect(item.get_by_role("button", name=re.compile(r"^공감 취소 \(1\)"))).to_be_visible()
    # The assembly is shared by the browser tests: leave no question panelists see behind.
    ok(hub_call, "mod-1", "qa.dismiss", question=q["id"])


def test_a_ballot_refused_rate_limited_says_so_and_is_sent_again_once_the_wait_is_over(
    open_url: OpenUrl, hub_call: HubCaller, assembly: Assembly
) -> None:
    from tests.browser.test_vote_pages import P2, PHONE, card, open_vote, pick

    vote_id = f"rl-{uuid.uuid4().hex[:8]}"
    open_vote(hub_call, vote_id)
    sent: list[str] = []

    def count_casts(ctx: BrowserContext) -> None:
        def on_ws(ws: WebSocket) -> None:
            ws.on("framesent", lambda f: sent.append(str(f)) if '"vote.cast"' in str(f) else None)

        ctx.on("page", lambda p: p.on("websocket", on_ws))

    page, _ = open_url(f"/vote?vote={vote_id}", "p-006", before=count_casts, **PHONE)
    ballot = card(page, vote_id)
    pick(ballot, P2)
    # p-006 has cast a lot just now (other windows): its next token for this vote comes in 3 s.
    r = redis.Redis.from_url(assembly.redis.url)
    seconds, micros = r.time()
    r.hset(
        keys.vote_rate_bucket(vote_id, "p-006", "cast"),
        mapping={"t": "0.4", "at": str(seconds * 1000 + micros // 1000)},
    )
    r.close()
    t0 = time.monotonic()
    ballot.get_by_role("button", name="이 순위로 투표하기").click()
    expect(ballot.locator(".ballot-error")).to_have_text(
        re.compile(r"^표를 너무 자주 보내고 있습니다\. [1-3]초 뒤에 같은 표를 자동으로 다시 보냅니다")
    )
    expect(ballot.locator(".receipt .code")).to_be_visible(timeout=15_000)
    assert time.monotonic() - t0 >= 2.5  # it waited for the hub's word, not its own 3 s guess only
    assert len(sent) == 2, sent  # the refused one, then the one after the wait: no hammering
    assert hub_call("host-1", "vote.turnout", vote=vote_id)["result"]["voted"] == 1
