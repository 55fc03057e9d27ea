"""The live tables' pages (issue 15), in Chromium on a phone over the demo assembly's hub: the
host starts a step on `/tables` (every table's countdown ends at the same time), the facilitator
of table 1 sees who has not spoken yet on `/table` and sends a card, which reaches a panelist's
view of that table and the hosts' overview (one channel for all tables); the panelist's message
takes them off the "not spoken yet" list. Korean first, 16 px text and 44 px targets, axe with
no serious or critical violation."""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from engine.connection import command_client
from tables import seating_store
from tables.model import Seating
from tests.browser.axe import serious_violations
from tests.browser.conftest import Assembly, HubCaller, OpenUrl
from tests.browser.test_sizes import check

pytestmark = pytest.mark.browser

PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TABLES = (("p-008", "p-010"), ("p-009", "p-011"))


def seat(assembly: Assembly) -> None:
    async def run() -> None:
        redis = command_client(assembly.redis.url, name="plenary-test")
        await seating_store.save_seating(redis, Seating(session="plenary", seed=1, tables=TABLES))
        await redis.aclose()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result(timeout=20)


def test_a_facilitators_card_reaches_the_tables_panelists_and_the_hosts_overview(
    open_url: OpenUrl, assembly: Assembly, hub_call: HubCaller
) -> None:
    seat(assembly)
    assign = {"meeting": "plenary", "table": 1, "participant": "fac-1"}
    assert hub_call("host-1", "table.facilitator", **assign)["type"] == "reply"

    host, _host_watch = open_url("/tables?meeting=plenary", "host-1", **PHONE)
    expect(host.locator("html")).to_have_attribute("lang", "ko")
    expect(host.get_by_role("heading", name="테이블 현황", exact=True).first).to_be_visible()
    host.get_by_label("다음 단계 시작 (모든 테이블)").fill("아이디어 모으기")
    host.get_by_label("시간 (분)").fill("10")
    host.get_by_role("button", name="단계 시작").click()
    expect(host.locator("#ts-done")).to_have_text("2개 테이블에 단계를 보냈습니다.")
    expect(host.locator("#ts-step")).to_have_text("1단계: 아이디어 모으기")
    expect(host.locator("#ts-grid li")).to_have_count(2)

    fac, _fac_watch = open_url("/table?meeting=plenary", "fac-1", **PHONE)
    expect(fac.get_by_role("heading", name="1번 테이블")).to_be_visible()
    expect(fac.locator("#tb-step-title")).to_have_text("1단계: 아이디어 모으기")
    expect(fac.locator("#tb-step-left")).to_have_text(re.compile(r"남은 시간 (10:00|9:\d\d)"))
    quiet = fac.locator("#tb-quiet li")
    expect(quiet).to_have_text([assembly.names["p-008"], assembly.names["p-010"]])

    panelist, _p_watch = open_url("/table?meeting=plenary", "p-010", **PHONE)
    expect(panelist.get_by_role("heading", name="1번 테이블")).to_be_visible()
    expect(panelist.locator("#tb-fac")).to_be_hidden()  # the facilitator's tools are theirs

    card = "<b>마을버스</b> 배차를 10분 이내로"  # shown as text, never as markup
    fac.get_by_label("테이블의 생각을 카드로 보내기 (200자까지)").fill(card)
    fac.get_by_role("button", name="카드 보내기").click()
    expect(fac.locator("#tb-card-list li")).to_have_text([card])
    expect(panelist.locator("#tb-card-list li")).to_have_text([card])
    assert panelist.locator("#tb-card-list b").count() == 0
    table1 = host.locator('#ts-grid li[data-table="1"]')
    expect(table1).to_contain_text("카드 1장")

    panelist.get_by_label("메시지").fill("저는 매일 마을버스를 타요")
    panelist.get_by_role("button", name="보내기", exact=True).click()
    expect(fac.locator("#tb-messages li")).to_contain_text(["저는 매일 마을버스를 타요"])
    expect(quiet).to_have_text([assembly.names["p-008"]])
    expect(table1).to_contain_text("메시지 1개")

    fac.get_by_label("사회자에게 도움 요청").fill("한 분이 발언을 독점해요")
    fac.get_by_role("button", name="도움 요청", exact=True).click()
    expect(host.locator("#ts-grid li").first).to_contain_text("도움 요청: 한 분이 발언을 독점해요")

    problems = []
    for page, where in ((fac, "/table facilitator"), (panelist, "/table panelist"), (host, "/tables")):
        problems += check(page, f"{where} (ko)") + serious_violations(page, f"{where} (ko) axe")
    fac.locator("#btn-lang").click()
    expect(fac.locator("html")).to_have_attribute("lang", "en")
    expect(fac.get_by_role("heading", name="Table 1")).to_be_visible()
    problems += check(fac, "/table (en)") + serious_violations(fac, "/table (en) axe")
    assert not problems, "\n".join(problems)
