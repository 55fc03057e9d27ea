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

from engine.channels import ChannelLog
from engine.connection import command_client
from tables import live, seating_store
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
    # the demo's table 1 has its cards already (cli/demo.py DEMO_CARDS): this one comes last
    expect(fac.locator("#tb-card-list li").last).to_have_text(card)
    expect(panelist.locator("#tb-card-list li").last).to_have_text(card)
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


def test_a_seated_panelists_page_leads_to_their_table_and_no_one_elses(
    open_url: OpenUrl, assembly: Assembly
) -> None:
    """The panelist page says where one sits (``panels/table-link.js``): the link opens that table
    in the same tab, signed in; someone the seating left out gets no link."""
    seat(assembly)
    page, _watch = open_url("/", "p-009", **PHONE)
    page.locator("#meeting").select_option("plenary")
    link = page.get_by_role("link", name="내 토론 테이블(2번)로 가기")
    expect(link).to_be_visible()
    box = link.bounding_box()
    assert box is not None and box["height"] >= 44
    link.click()
    expect(page).to_have_url(re.compile(r"/table\?meeting=plenary$"))
    expect(page.get_by_role("heading", name="2번 테이블")).to_be_visible()

    other, _other_watch = open_url("/", "p-001", **PHONE)  # in the plenary, not seated here
    other.locator("#meeting").select_option("plenary")
    expect(other.locator("#meeting-title")).not_to_be_empty()
    expect(other.locator("#table-entry")).to_be_hidden()


def reseat(assembly: Assembly, tables: tuple[tuple[str, ...], ...]) -> None:
    """What ``plenary tables reseat`` does once it has chosen: store and announce (``live.seat``)."""

    async def run() -> None:
        redis = command_client(assembly.redis.url, name="plenary-test")
        await live.seat(ChannelLog(redis), Seating(session="plenary", seed=1, tables=tables))
        await redis.aclose()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result(timeout=20)


def test_a_reseat_moves_an_open_table_page_and_the_panelists_link(
    open_url: OpenUrl, assembly: Assembly, hub_call: HubCaller
) -> None:
    """A panelist's open `/table` page follows a reseat at once: it leaves table 1, shows table 2
    and says so in plain Korean; their panelist page's link follows; the facilitator of table 1
    sees who sits there now and the hosts' view says the seating changed."""
    seat(assembly)
    assert (
        hub_call("host-1", "table.facilitator", meeting="plenary", table=1, participant="fac-1")["type"]
        == "reply"
    )
    page, _watch = open_url("/table?meeting=plenary", "p-010", **PHONE)
    expect(page.get_by_role("heading", name="1번 테이블")).to_be_visible()
    home, _home_watch = open_url("/", "p-010", **PHONE)
    home.locator("#meeting").select_option("plenary")
    expect(home.get_by_role("link", name="내 토론 테이블(1번)로 가기")).to_be_visible()
    fac, _fac_watch = open_url("/table?meeting=plenary", "fac-1", **PHONE)
    expect(fac.locator("#tb-quiet li")).not_to_contain_text([assembly.names["p-011"]])
    expect(fac.get_by_role("heading", name="1번 테이블")).to_be_visible()
    host, _host_watch = open_url("/tables?meeting=plenary", "host-1", **PHONE)
    expect(host.locator("#ts-summary")).to_be_visible()

    reseat(assembly, (("p-008", "p-011"), ("p-009", "p-010")))  # p-010 and p-011 change places

    expect(page.get_by_role("heading", name="2번 테이블")).to_be_visible()
    expect(page.locator("#tb-moved")).to_have_text("자리가 바뀌었습니다: 2번 테이블로 옮겼습니다.")
    expect(page.locator("#tb-moved")).to_have_attribute("role", "status")
    page.get_by_label("메시지").fill("2번 테이블에 왔어요")
    page.get_by_role("button", name="보내기", exact=True).click()
    expect(page.locator("#tb-messages li")).to_contain_text(["2번 테이블에 왔어요"])
    expect(page.locator("#tb-say-error")).to_be_hidden()
    expect(home.get_by_role("link", name="내 토론 테이블(2번)로 가기")).to_be_visible()
    expect(fac.locator("#tb-quiet li")).to_contain_text([assembly.names["p-011"]])
    expect(fac.get_by_role("heading", name="1번 테이블")).to_be_visible()  # the facilitator stays
    expect(host.locator("#ts-done")).to_have_text("자리 배치가 바뀌었습니다: 테이블 2개, 4명.")
    problems = check(page, "/table after a reseat") + serious_violations(page, "/table after a reseat axe")
    assert not problems, "\n".join(problems)
