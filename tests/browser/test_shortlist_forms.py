"""The moderators' shortlist form and the hosts' plenary ballot form (issue 14), one load of each
console on a 390x844 phone: a moderator of the demo's health meeting makes the shortlist vote of a
section that still takes proposals (refused in words, closed from the form, then made: its items
listed, the way to the hosts' console given); the host runs it to its result (``hub_call``, as
other tests do), then assembles the plenary ballot through the form: a meeting vote whose
proposals are on the demo's plenary vote already is refused in words, the new one made and listed
in the console's votes with its items. 16 px text, 44 px targets, keyboard order, axe clean in
Korean (and the English words checked). Real hub, Redis, Chromium.

The welfare section of the health meeting is this test's alone (other tests write proposals in the
transport meeting); its proposals are by p-007, p-009 and p-011, who write none elsewhere."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import HubCaller, OpenUrl
from tests.browser.test_sizes import too_small

pytestmark = pytest.mark.browser

MEETING = "health"  # the demo's odd panelists are in it; the demo's own section is "health"
SECTION = "welfare"
AUTHORS = ("p-007", "p-009", "p-011")


def ok(hub_call: HubCaller, who: str, kind: str, **fields: Any) -> dict[str, Any]:
    reply = hub_call(who, kind, **fields)
    assert reply["type"] == "reply", reply
    return dict(reply["result"])


def tab_through(page: Page, start: str, end: str, inside: str, most: int = 12) -> None:
    """From ``start``, Tab reaches ``end`` without leaving ``inside``: the form works by keyboard."""
    page.locator(start).focus()
    for _ in range(most):
        page.keyboard.press("Tab")
        assert page.evaluate("(sel) => !!document.activeElement.closest(sel)", inside)
        if page.evaluate("(sel) => document.activeElement.matches(sel)", end):
            return
    raise AssertionError(f"{end} not reached by Tab from {start}")


def test_a_moderator_narrows_the_proposals_and_a_host_makes_the_plenary_ballot(
    open_url: OpenUrl, hub_call: HubCaller
) -> None:
    tag = uuid.uuid4().hex[:4]
    ok(hub_call, "mod-1", "proposal.sections", meeting=MEETING, open=[MEETING, SECTION])
    titles = [f"어르신 돌봄 {n} {tag}" for n in (1, 2, 3)]
    for who, title in zip(AUTHORS, titles, strict=True):
        ok(
            hub_call,
            who,
            "proposal.submit",
            meeting=MEETING,
            section=SECTION,
            title=title,
            problem="문제 " + title,
            action="할 일 " + title,
        )

    # -- the moderator: the shortlist vote of the welfare section ----------------------------------
    mod, _ = open_url(f"/moderate?meeting={MEETING}", "mod-1")
    form = mod.locator("#shortmod")
    expect(form).to_contain_text("회의 투표로 후보 추리기")
    form.locator("#short-section").select_option(SECTION)
    expect(form.locator("#short-top")).to_have_value("3")
    expect(form.locator("#short-title")).to_have_value("주제별회의: 시민참여형 방역체계 제안 추리기")
    expect(form.locator("#short-id")).to_have_value("health-short-2")  # the demo's is health-short
    expect(form.locator(".short-open")).to_have_text(
        "복지 분야는 아직 새 제안을 받고 있습니다. 투표를 만들려면 먼저 닫아야 합니다."
    )
    form.locator("#short-top").fill("2")
    vote = f"welfare-{tag}"
    form.locator("#short-id").fill(vote)
    form.get_by_role("button", name="후보 추리기 투표 만들기").click()
    msg = form.locator(".proposal-msg")
    expect(msg).to_contain_text("이 분야는 아직 새 제안을 받고 있습니다.")  # section_still_open, in words
    expect(msg).to_have_attribute("role", "alert")
    close = form.get_by_role("button", name="복지 분야 제안 받기 닫기")
    expect(close).to_be_focused()  # the way on, one key away
    mod.keyboard.press("Enter")
    expect(msg).to_have_text("복지 분야의 새 제안 받기를 닫았습니다. 이제 투표를 만들 수 있습니다.")
    expect(form.locator(".short-open-box")).to_be_hidden()
    expect(mod.locator('#propmod input[value="welfare"]')).not_to_be_checked()  # the column follows
    tab_through(mod, "#short-section", "#shortmod button.send", "#shortmod")
    form.get_by_role("button", name="후보 추리기 투표 만들기").click()
    expect(msg).to_have_text(
        "‘주제별회의: 시민참여형 방역체계 제안 추리기’ 투표를 만들었습니다. 제안 3개 가운데 2개를 뽑습니다."
    )
    items = form.locator(".short-items li")
    expect(items).to_have_count(3)
    for title in titles:
        expect(items.filter(has_text=title)).to_have_count(1)
    expect(form.get_by_role("link", name="우선순위 투표 관리 화면 열기 (사회자용)")).to_have_attribute(
        "href", f"/host?vote={vote}"
    )
    form.scroll_into_view_if_needed()
    assert too_small(mod) == []
    assert mod.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(mod, "/moderate shortlist form (ko)")

    # -- the host's console is open before the vote's result: its list follows (issue 15) -------
    host, _ = open_url("/host", "host-1")
    ballot = host.locator("#ballot")
    expect(ballot.locator(".ballot-choices input").first).to_be_attached()  # the list was read
    mine_label = "주제별회의: 시민참여형 방역체계 제안 추리기 · 주제별회의: 시민참여형 방역체계 · 후보 2개"
    expect(ballot.get_by_label(mine_label)).to_have_count(0)  # not published yet

    # -- the host runs it to its result -----------------------------------------------------------
    made = ok(hub_call, "host-1", "vote.get", vote=vote)
    ids = [p["id"] for p in made["definition"]["proposals"]]
    ok(hub_call, "host-1", "vote.open", vote=vote)
    for who in AUTHORS:
        ok(hub_call, who, "vote.cast", vote=vote, ranking=ids[2:0:-1], nonce=f"short-{who}-{tag}")
    ok(hub_call, "host-1", "vote.close", vote=vote)
    ok(hub_call, "host-1", "vote.publish", vote=vote)
    kept = {ids[2], ids[1]}

    # -- the host: the plenary ballot from it, listed without "목록 새로 고침" ----------------------
    expect(ballot).to_contain_text("총회 투표 만들기 (회의에서 추린 제안으로)")
    mine = ballot.get_by_label(mine_label)
    expect(mine).to_have_count(1)
    # the demo's transport shortlist, on the demo's plenary ballot already (its counts depend on what
    # other files of this package did to the transport meeting's proposals: matched by its words)
    taken = ballot.get_by_label(
        re.compile(
            r"^교통 분과 제안 추리기 · 주제별회의: 교통 · 후보 \d+개 · 그 가운데 \d+개는 이미 총회 투표에 오름$"
        )
    )
    expect(ballot.locator("#ballot-top")).to_have_value("10")
    expect(ballot.locator("#ballot-id")).to_have_value("plenary-top")
    expect(ballot).to_contain_text("이 투표는 ‘시민총회’ 화면에 보입니다.")  # the console's meeting
    ballot.get_by_role("button", name="총회 투표 만들어 두기").click()
    bmsg = ballot.locator(".proposal-msg")
    expect(bmsg).to_have_text("회의에서 추린 투표를 하나 이상 골라 주세요.")  # nothing sent
    taken.check()
    mine.check()
    plenary = f"plenary-{tag}"
    ballot.locator("#ballot-id").fill(plenary)
    ballot.get_by_role("button", name="총회 투표 만들어 두기").click()
    expect(bmsg).to_contain_text("이미 다른 총회 투표에 올라 있습니다")  # already_on_ballot, in words
    expect(host.locator(f'#vote-list button[data-vote="{plenary}"]')).to_have_count(0)  # nothing made
    taken.uncheck()
    mine.check()
    ballot.get_by_role("button", name="총회 투표 만들어 두기").click()
    expect(bmsg).to_have_text(
        "‘시민총회 정책 우선순위’ 총회 투표를 만들었습니다 (후보 2개). 아래 목록에서 골라 시작해 주세요."
    )
    listed = ballot.locator(".ballot-result .short-items li")
    expect(listed).to_have_count(2)
    expect(listed.first).to_contain_text("주제별회의: 시민참여형 방역체계 · 회의 투표 1위")
    entry = host.locator(f'#vote-list button[data-vote="{plenary}"]')
    expect(entry).to_have_attribute("aria-pressed", "true")  # in the console's list, chosen
    detail = host.locator(f'#vote-detail article[data-vote="{plenary}"]')
    expect(detail.locator(".detail-proposals li")).to_have_count(2)
    expect(detail.get_by_role("button", name="투표 시작")).to_be_visible()
    got = ok(hub_call, "host-1", "vote.get", vote=plenary)
    assert {p["id"] for p in got["definition"]["proposals"]} == kept

    tab_through(host, "#ballot-id", "#ballot button.send", "#ballot")
    ballot.scroll_into_view_if_needed()
    assert too_small(host) == []
    assert host.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(host, "/host ballot form (ko)")
    host.locator("#btn-lang").click()
    expect(host.locator("html")).to_have_attribute("lang", "en")
    expect(ballot).to_contain_text("Make the plenary vote (from the meetings' narrowed proposals)")
    expect(listed.first).to_contain_text("place 1 in the meeting's vote")
