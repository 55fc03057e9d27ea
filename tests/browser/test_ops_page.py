"""The ops dashboard end to end: live hub reports on the `ops` channel, totals, and the turnout of
an open vote; a panelist gets a clear refusal. Any console error or CSP refusal fails a test."""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Assembly, HubCaller, HubProcess, OpenUrl, free_port
from tests.browser.test_vote_pages import DESKTOP, definition

pytestmark = pytest.mark.browser

PAGE = "/ops"


def hub_id(hub: HubProcess) -> str:
    with urllib.request.urlopen(hub.url + "/readyz", timeout=5) as resp:
        return str(json.load(resp)["hub"])


def open_vote(hub_call: HubCaller, vote_id: str) -> None:
    assert hub_call("host-1", "vote.create", definition=definition(vote_id))["type"] == "reply"
    assert hub_call("host-1", "vote.open", vote=vote_id)["type"] == "reply"


def test_ops_sees_hubs_totals_and_turnout(open_url: OpenUrl, hub_call: HubCaller, assembly: Assembly) -> None:
    vote_id = f"ops-{uuid.uuid4().hex[:8]}"
    open_vote(hub_call, vote_id)
    cast: dict[str, Any] = hub_call(
        "p-000", "vote.cast", vote=vote_id, ranking=["P2", "P1"], nonce=uuid.uuid4().hex
    )
    assert cast["type"] == "reply", cast

    page, _ = open_url(PAGE, "ops-1", **DESKTOP)
    expect(page.locator("#me-role")).not_to_be_empty()
    expect(page.locator("#notice")).to_be_hidden()

    # this hub's row within ~6 s (a report every 2 s), with this page's own connection counted
    row = page.locator(f'#hub-rows tr.hub-row[data-hub="{hub_id(assembly.hub)}"]')
    expect(row).to_be_visible(timeout=6_000)
    expect(row).to_have_attribute("data-stale", "false")
    # the first row may be a report from before this page connected (the channel's backlog): wait
    # for one that counts this page's own connection
    expect(row.locator("td.col-connections")).not_to_have_text(re.compile(r"^\s*0\s*$"), timeout=6_000)
    conns = int(re.sub(r"\D", "", row.locator("td.col-connections").inner_text()) or "0")
    assert conns >= 1
    total = page.locator('[data-total="connections"] dd')
    expect(total).not_to_have_text("0")
    expect(page.locator("#spark svg")).to_have_count(2)

    # the open vote's turnout: one ballot of the eligible, and the strata tables
    vote = page.locator(f'article.ops-vote[data-vote="{vote_id}"]')
    big = vote.locator(".ops-turnout")
    expect(big).to_have_attribute("data-voted", "1", timeout=8_000)
    expect(big).to_contain_text("1 / ")
    for feature in ("gender", "age_band", "district"):
        expect(vote.locator(f'table.strata-table[data-feature="{feature}"]')).to_be_visible()
    expect(vote.locator('table[data-feature="gender"] tbody tr').first).to_contain_text("%")

    # English, then back: keyboard-usable language switch
    page.locator("#btn-lang").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#hubs-heading")).to_have_text("Hubs")
    expect(big).to_contain_text("voted")
    page.keyboard.press("Enter")
    expect(page.locator("#hubs-heading")).to_have_text("허브별 현황")


def test_a_panelist_is_refused(open_url: OpenUrl) -> None:
    page, _ = open_url(PAGE, "p-001", **DESKTOP)
    notice = page.locator("#notice")
    expect(notice).to_be_visible()
    expect(page.locator("#notice-title")).to_have_text("운영진과 사회자 전용 화면입니다")
    expect(page.locator("#notice-body")).to_contain_text("시민참여단")
    expect(page.locator("#hubs")).to_be_hidden()
    expect(page.locator("#turnouts")).to_be_hidden()


def test_a_hub_that_stops_reporting_turns_red(open_url: OpenUrl, assembly: Assembly) -> None:
    # a hub of its own (not the package's second hub, which other tests may still use)
    other = HubProcess(
        assembly.data_dir, free_port(), assembly.data_dir / f"hub-ops-{uuid.uuid4().hex[:6]}.log"
    )
    other.start()
    try:
        other_id = hub_id(other)
        page, _ = open_url(PAGE, "ops-1", **DESKTOP)
        row = page.locator(f'#hub-rows tr.hub-row[data-hub="{other_id}"]')
        expect(row).to_have_attribute("data-stale", "false", timeout=6_000)
        hubs = page.locator('[data-total="hubs"] dd')
        expect(hubs).not_to_have_text("1")  # this one and the package's hub (at least)
        reporting = int(hubs.inner_text())
        other.stop()
        stopped_at = time.monotonic()
        expect(row).to_have_attribute("data-stale", "true", timeout=14_000)
        assert time.monotonic() - stopped_at >= 7  # not before ~10 s without a report
        expect(row).to_contain_text("10초 넘게 보고 없음")
        expect(hubs).to_have_text(str(reporting - 1))
    finally:
        other.stop()
