"""The ops dashboard's charts over time, end to end on a phone: points arrive with the hubs' reports,
ballots cast through the real hub show in the cast rate and cast-to-ack charts, the pause button
stops the charts (and they catch up when resumed), one column at 390 px, axe in both languages."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import HubCaller, OpenUrl
from tests.browser.test_ops_page import open_vote
from tests.browser.test_results_charts import shots

pytestmark = pytest.mark.browser

CHARTS = ["connections", "delivery", "casts", "cast_ack", "drops", "redis"]


def points(fig: Locator) -> int:
    return int(fig.get_attribute("data-points") or "0")


def wait_points_above(page: Page, fig: Locator, n: int, timeout_s: float = 8.0) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = points(fig)
        if now > n:
            return now
        page.wait_for_timeout(250)
    raise AssertionError(f"no new point after {timeout_s} s (still {n})")


def test_ops_charts_fill_pause_and_fit_a_phone(
    open_url: OpenUrl, hub_call: HubCaller, tmp_path: Path
) -> None:
    page, _ = open_url("/ops", "ops-1")
    charts = page.locator("#charts")
    expect(charts).to_be_visible()
    figs = {key: charts.locator(f'figure[data-chart="{key}"]') for key in CHARTS}
    for fig in figs.values():
        expect(fig).to_be_visible()
    conns = figs["connections"]
    first = wait_points_above(page, conns, 0)
    expect(conns.locator("svg[role=img]")).to_have_attribute("aria-label", re.compile(r"^접속 수 그래프"))
    # this page's own connection is counted
    expect(conns).not_to_have_attribute("data-peak", "0", timeout=8_000)
    assert float(conns.get_attribute("data-peak") or "0") >= 1

    # ballots through the real hub: the cast rate and the cast-to-ack time get values
    vote_id = f"opsc-{uuid.uuid4().hex[:6]}"
    open_vote(hub_call, vote_id)
    for voter in ("p-001", "p-002", "p-003"):
        reply = hub_call(voter, "vote.cast", vote=vote_id, ranking=["P1"], nonce=uuid.uuid4().hex)
        assert reply["type"] == "reply", reply
    expect(figs["casts"]).not_to_have_attribute("data-peak", "", timeout=8_000)
    expect(figs["casts"]).not_to_have_attribute("data-peak", "0", timeout=8_000)
    expect(figs["cast_ack"]).not_to_have_attribute("data-peak", "", timeout=8_000)
    assert float(figs["cast_ack"].get_attribute("data-peak") or "0") > 0
    assert points(conns) > first  # points keep coming as reports arrive

    # one column on a phone, no sideways scrolling, a 44 px pause button
    xs = {round(fig.bounding_box()["x"]) for fig in figs.values()}  # type: ignore[index]
    assert len(xs) == 1, xs
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    pause = charts.locator("button.ops-pause")
    box = pause.bounding_box()
    assert box is not None and box["height"] >= 44
    page.screenshot(path=str(shots(tmp_path) / "ops-charts-390x844.png"), full_page=True)

    # pause (by keyboard): the charts stop; resumed, they catch up with what came meanwhile
    pause.focus()
    page.keyboard.press("Enter")
    expect(pause).to_have_attribute("aria-pressed", "true")
    expect(pause).to_have_text("그래프 다시 움직이기")
    expect(charts.locator(".ops-paused")).to_be_visible()
    frozen = points(conns)
    page.wait_for_timeout(4_500)  # two reports
    assert points(conns) == frozen
    assert_accessible(page, "ops charts, paused, Korean")
    page.keyboard.press("Enter")
    expect(pause).to_have_attribute("aria-pressed", "false")
    assert points(conns) >= frozen + 2

    # English
    page.locator("#btn-lang").click()
    expect(charts.locator("#charts-heading")).to_have_text("Over time")
    expect(figs["cast_ack"].locator("figcaption")).to_have_text("Time to confirm a ballot (ms)")
    assert_accessible(page, "ops charts, English")

    # the largest text: still one column, no sideways scrolling, still accessible
    page.locator("#btn-size").click()
    page.locator("#btn-size").click()
    expect(page.locator("html")).to_have_attribute("data-size", "2")
    assert len({round(fig.bounding_box()["x"]) for fig in figs.values()}) == 1  # type: ignore[index]
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.screenshot(path=str(shots(tmp_path) / "ops-charts-390x844-en-largest.png"), full_page=True)
    assert_accessible(page, "ops charts, English, largest text")
