"""The panelist page's proposals section (issue 14), on a phone, in one page load: closed until a
moderator opens a section, then a proposal written in the form and shown in the list, another
panelist's proposal arriving live and supported with one press (공감, counted, pressed state for a
screen reader), in Korean and in English with axe-core finding nothing serious. Real hubs, real
Redis, headless Chromium."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from proposals.model import Person
from tests.browser.axe import serious_violations
from tests.browser.conftest import Assembly, HubCaller, OpenUrl
from tests.browser.test_proposal_path import set_the_scene

pytestmark = pytest.mark.browser

MEETING = "transport"  # the demo's p-000 and p-002 are in it


def ok(hub_call: HubCaller, who: str, kind: str, **fields: Any) -> dict[str, Any]:
    reply = hub_call(who, kind, meeting=MEETING, **fields)
    assert reply["type"] == "reply", reply
    return dict(reply["result"])


def test_a_panelist_writes_a_proposal_and_supports_another(
    open_url: OpenUrl, hub_call: HubCaller, assembly: Assembly
) -> None:
    ok(hub_call, "mod-1", "proposal.sections", open=[])
    page, _watch = open_url("/", "p-000")
    page.get_by_label("회의", exact=True).select_option(MEETING)
    page.get_by_role("tab", name=re.compile("^제안")).click()
    expect(page.locator("#proposals-heading")).to_be_focused()
    expect(page.locator("#proposals")).to_contain_text("지금은 이 회의에서 새 제안을 받지 않습니다")
    expect(page.get_by_label(re.compile("^제목"))).to_be_hidden()

    ok(hub_call, "mod-1", "proposal.sections", open=["transport", "safety"])
    title = f"마을버스를 늘려 주세요 {uuid.uuid4().hex[:4]}"
    page.get_by_label(re.compile("^제목")).fill(title)
    page.get_by_label(re.compile("^어떤 문제인가요")).fill("출퇴근 시간에 마을버스가 30분마다 와요.")
    page.get_by_role("button", name="제안 내기").click()
    expect(page.locator(".proposal-form .proposal-msg")).to_contain_text(
        "서울시가 할 일"
    )  # the empty field named
    page.get_by_label(re.compile("^서울시가 할 일")).fill("출퇴근 시간에는 10분마다 다니게 해 주세요.")
    page.get_by_role("button", name="제안 내기").click()
    expect(page.locator(".proposal-form .proposal-msg")).to_contain_text(f"제안을 냈습니다: {title}")
    mine = page.locator(".proposal-item", has_text=title)
    expect(mine).to_contain_text("제안한 사람:")

    # another panelist's proposal comes live; one press supports it, a second takes it back
    other = f"버스 정류장에 그늘막을 {uuid.uuid4().hex[:4]}"
    ok(
        hub_call,
        "p-002",
        "proposal.submit",
        section="safety",
        title=other,
        problem="여름에 정류장이 너무 더워요.",
        action="정류장마다 그늘막을 세워 주세요.",
    )
    item = page.locator(".proposal-item", has_text=other)
    support = item.get_by_role("button", name=re.compile("^공감하기"))
    expect(support).to_have_attribute("aria-pressed", "false")
    support.click()
    pressed = item.get_by_role("button", name="공감함 (1)")
    expect(pressed).to_have_attribute("aria-pressed", "true")
    expect(pressed).to_be_focused()
    pid = int(item.get_attribute("data-id") or 0)
    again = hub_call("p-000", "proposal.support", meeting=MEETING, proposal=pid)
    assert again.get("name") == "already_supported", again  # one support per panelist, whatever sends it
    # issue 14: a proposal decided and answered by the city while the page is open says the answer
    # in words, with the department and the text, and links to its path
    decided = set_the_scene(assembly, *(Person(p, assembly.names[p]) for p in ("p-000", "p-002")))
    answered = page.locator(f'.proposal-item[data-id="{decided}"]')
    expect(answered.locator(".proposal-response")).to_contain_text("서울시의 답변: 받아들이지 않았습니다")
    expect(answered.locator(".proposal-response")).to_contain_text("맡은 부서: 도시교통실 버스정책과")
    path = answered.get_by_role("link", name="이 제안이 걸어온 길 보기")
    expect(path).to_have_attribute("href", f"/record/{MEETING}/proposals/{decided}")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"

    problems = serious_violations(page, "proposals (ko)")
    page.locator("#btn-lang").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Citizens' proposals")).to_be_visible()
    expect(item.get_by_role("button", name="Supported (1)")).to_be_visible()
    expect(answered.locator(".proposal-response")).to_contain_text("The city did not accept it")
    problems += serious_violations(page, "proposals (en)")
    assert not problems, "\n".join(problems)
