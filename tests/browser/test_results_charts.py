"""The public results page's charts, end to end: the demo's vote (its proposals, roster and methods)
run through the real hub (ballots cast by panelists, closed, published), then opened on a phone.
Checked against the tally and the roster: every method's column, the pairwise numbers, the turnout
bars and table; picking a proposal highlights it in every column; axe finds nothing serious in
Korean and English at the largest text. Any console error or CSP refusal fails a test."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
import pytest
from playwright.sync_api import Page, expect

from ballot.tally import ballots_from_ids, tally_all
from cli.demo import demo_vote
from engine.roles import Role
from panel.roster import Participant, Roster
from tests.browser.axe import assert_accessible
from tests.browser.conftest import Assembly, HubCaller, OpenUrl
from tests.support import redis_client

pytestmark = pytest.mark.browser

METHODS = ["schulze", "borda", "ranked_pairs", "copeland", "instant_runoff"]


def shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("PLENARY_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def get_json(assembly: Assembly, path: str) -> Any:
    with urllib.request.urlopen(assembly.hub.url + path, timeout=10) as resp:
        return json.load(resp)


def published_demo_vote(hub_call: HubCaller) -> tuple[str, list[list[str]], list[str]]:
    """The demo's vote under a fresh id, opened, ballots from seven panelists, closed and published.
    Returns (vote id, the rankings cast, the panelists who voted)."""
    vote_id = f"charts-{uuid.uuid4().hex[:6]}"
    defn = msgspec.to_builtins(demo_vote())
    defn["vote_id"] = vote_id
    defn["grace_seconds"] = 0
    assert hub_call("host-1", "vote.create", definition=defn)["type"] == "reply"
    assert hub_call("host-1", "vote.open", vote=vote_id)["type"] == "reply"
    ids = [p["id"] for p in defn["proposals"]]
    # seven top-5 ballots under which the methods disagree: four different winners among five
    # methods (found by a search over random ballots with ballot.tally), so the columns differ
    picks = [[2, 4, 1, 3], [5, 2], [5, 0, 3, 4, 1], [3, 4], [0, 2, 4, 5, 1], [3, 2, 0, 5, 1], [4, 1, 5, 3, 0]]
    rankings = [[ids[i] for i in pick] for pick in picks]
    voters = [f"p-{i:03d}" for i in range(len(rankings))]
    for voter, ranking in zip(voters, rankings, strict=True):
        reply = hub_call(voter, "vote.cast", vote=vote_id, ranking=ranking, nonce=uuid.uuid4().hex)
        assert reply["type"] == "reply", reply
    assert hub_call("host-1", "vote.close", vote=vote_id)["type"] == "reply"
    deadline = time.monotonic() + 10
    while True:  # the hard close follows the announced one (grace 0) within the sweeper's second
        reply = hub_call("host-1", "vote.publish", vote=vote_id)
        if reply["type"] == "reply":
            break
        assert reply.get("name") == "bad_transition" and time.monotonic() < deadline, reply
        time.sleep(0.3)
    return vote_id, rankings, voters


def column(page: Page, method: str) -> list[str]:
    cells = page.locator(f'#methods td[data-method="{method}"][data-id]')
    return [str(cells.nth(i).get_attribute("data-id")) for i in range(cells.count())]


def roster_now(assembly: Assembly) -> list[Participant]:
    """The assembly's roster in its Redis, read in a thread of its own (Playwright's loop runs here)."""

    async def read() -> list[Participant]:
        r = redis_client(assembly.redis.url)
        try:
            return await Roster(r).all()
        finally:
            await r.aclose()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, read()).result(timeout=20)


def test_the_results_charts_against_the_tally_and_the_roster(
    open_url: OpenUrl, hub_call: HubCaller, assembly: Assembly, tmp_path: Path
) -> None:
    vote_id, rankings, voters = published_demo_vote(hub_call)
    api = get_json(assembly, f"/api/votes/{vote_id}/results")
    results = api["results"]
    # the hub's tally is the tally of the ballots cast (the real counting code, on our own copy)
    ours = msgspec.to_builtins(
        tally_all(ballots_from_ids(rankings, results["proposals"]), results["proposals"])
    )
    assert ours["pairwise"] == results["pairwise"]
    assert api["shown_methods"] == ["borda", "ranked_pairs", "copeland", "instant_runoff"]
    assert len({results[m]["resolved"][0] for m in METHODS}) >= 3  # the methods do disagree

    page, _ = open_url(f"/results/{vote_id}")
    expect(page.locator("#methods")).to_be_visible()
    expect(page.locator("#methods-heading")).to_have_text("이 순위는 이렇게 정했습니다")

    # every method's column: its order, official (Schulze) first
    heads = page.locator("#methods thead th[data-method]")
    assert [heads.nth(i).get_attribute("data-method") for i in range(heads.count())] == [
        "schulze",
        "borda",
        "ranked_pairs",
        "copeland",
        "instant_runoff",
    ]
    expect(heads.first).to_contain_text("공식")
    for method in METHODS:
        expected = [results["proposals"][i] for tier in results[method]["order"] for i in tier]
        assert column(page, method) == expected, method
    # a tie shows as a tie in its column
    for method in METHODS:
        for tier in results[method]["order"]:
            if len(tier) > 1:
                pid = results["proposals"][tier[0]]
                cell = page.locator(f'#methods td[data-method="{method}"][data-id="{pid}"]')
                expect(cell).to_contain_text("공동")

    # picking a proposal highlights it in every column and says its places in words
    winner = results["proposals"][results["schulze"]["order"][0][0]]
    page.locator(f'#methods td[data-method="borda"][data-id="{winner}"] button').click()
    picked = page.locator(f'#methods button.prop-chip[data-id="{winner}"][aria-pressed="true"]')
    expect(picked).to_have_count(len(METHODS))
    expect(page.locator(f'#methods td[data-method="borda"][data-id="{winner}"] button')).to_be_focused()
    titles = {p["id"]: p["title"] for p in api["proposals"]}
    expect(page.locator("#methods .picked-line")).to_contain_text(f"‘{titles[winner]}’의 자리")
    page.keyboard.press("Enter")  # and off again, by keyboard
    expect(page.locator('#methods button.prop-chip[aria-pressed="true"]')).to_have_count(0)

    # the heat map: every number is the tally's, and a win or a loss is said in more than colour
    index = {pid: i for i, pid in enumerate(results["proposals"])}
    cells = page.locator("#pairwise td.heat-cell[data-count]")
    n = len(results["proposals"])
    expect(cells).to_have_count(n * (n - 1))
    pairwise = results["pairwise"]
    for i in range(cells.count()):
        cell = cells.nth(i)
        a, b = str(cell.get_attribute("data-row")), str(cell.get_attribute("data-col"))
        win, loss = pairwise[index[a]][index[b]], pairwise[index[b]][index[a]]
        text = cell.inner_text()
        assert str(win) in text, (a, b, text)
        assert ("▲" in text) == (win > loss) and ("▼" in text) == (win < loss), (a, b, text)
    expect(page.locator("#pairwise-how")).to_contain_text("읽는 법")

    # turnout against the panel: the roster's composition as the hub reads it now (other test files
    # of this package add panelists to the shared assembly), the voters' strata
    panel = [p for p in roster_now(assembly) if p.role == Role.PANELIST]
    who_voted = [p for p in panel if p.id in voters]
    for feature in ("gender", "age_band", "district"):
        on_panel = Counter(getattr(p, feature) for p in panel)
        voted = Counter(getattr(p, feature) for p in who_voted)
        fig = page.locator(f'#turnout figure[data-feature="{feature}"]')
        expect(fig).to_be_visible()
        rows = fig.locator("g.chart-row")
        expect(rows).to_have_count(len(on_panel))
        for value, count in on_panel.items():
            bars = fig.locator(f'g.chart-row[data-key="{value}"] rect')
            panel_share = float(str(bars.nth(0).get_attribute("data-share")))
            voted_share = float(str(bars.nth(1).get_attribute("data-share")))
            assert abs(panel_share - count / len(panel)) < 1e-3, (feature, value)
            assert abs(voted_share - voted[value] / len(who_voted)) < 1e-3, (feature, value)
            row = fig.locator(f'table.turnout-table tr[data-value="{value}"]')
            expect(row.locator("td.col-panel")).to_have_attribute("data-count", str(count))
            expect(row.locator("td.col-panel")).to_have_text(
                f"{count}명 ({round(100 * count / len(panel), 1):g}%)"
            )
            expect(row.locator("td.col-voted")).to_have_attribute("data-count", str(voted[value]))
    gender = page.locator('#turnout figure[data-feature="gender"]')
    gender.locator("summary").click()  # the numbers as a table, opened from the chart
    expect(gender.locator("table.turnout-table")).to_be_visible()
    page.locator("#receipt-code").fill("not a code")  # the page renders again: the table stays open
    page.locator("#receipt-submit").click()
    expect(page.locator("#receipt-answer")).to_have_attribute("data-kind", "bad")
    expect(gender.locator("table.turnout-table")).to_be_visible()

    # readable on a phone: the page never scrolls sideways, the wide tables scroll inside their box
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    small = page.evaluate(
        """() => [...document.querySelectorAll('#methods *, #pairwise *, #turnout *')]
            .filter((e) => e.getClientRects().length && (e.childNodes.length && [...e.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim())))
            .map((e) => [e.tagName, parseFloat(getComputedStyle(e).fontSize), e.textContent.slice(0, 20)])
            .filter(([, size]) => size < 16)"""
    )
    assert not small, f"text under 16 px: {small[:5]}"
    out = shots(tmp_path)
    page.screenshot(path=str(out / "results-charts-390x844.png"), full_page=True)
    assert_accessible(page, "results charts, Korean")

    # English and the largest text: the same charts, in English words, still accessible
    page.locator("#btn-lang").click()
    expect(page.locator("#methods-heading")).to_have_text("How this order was decided")
    expect(gender.locator("figcaption")).to_have_text("Gender")
    page.locator("#btn-size").click()
    page.locator("#btn-size").click()
    expect(page.locator("html")).to_have_attribute("data-size", "2")
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.screenshot(path=str(out / "results-charts-390x844-en-largest.png"), full_page=True)
    assert_accessible(page, "results charts, English, largest text")

    # a desktop: the same page, the tables without sideways scrolling of their own where they fit
    wide, _ = open_url(f"/results/{vote_id}", viewport={"width": 1280, "height": 900})
    expect(wide.locator("#turnout figure")).to_have_count(3)
    wide.screenshot(path=str(out / "results-charts-1280x900.png"), full_page=True)
    assert_accessible(wide, "results charts, desktop")


def test_turnout_is_not_public_before_publication(hub_call: HubCaller, assembly: Assembly) -> None:
    vote_id = f"charts-{uuid.uuid4().hex[:6]}"
    defn = msgspec.to_builtins(demo_vote())
    defn["vote_id"] = vote_id
    assert hub_call("host-1", "vote.create", definition=defn)["type"] == "reply"
    assert hub_call("host-1", "vote.open", vote=vote_id)["type"] == "reply"
    for path, name in (
        (f"/api/votes/{vote_id}/turnout", "vote_not_published"),
        ("/api/votes/nope/turnout", "unknown_vote"),
    ):
        try:
            urllib.request.urlopen(assembly.hub.url + path, timeout=10)
        except urllib.error.HTTPError as err:
            assert json.load(err)["name"] == name
        else:
            raise AssertionError(f"{path} answered before publication")
