"""The host console's form for the city's response (issue 14), in ONE page load on a 390x844 phone:
hidden for a meeting without a decided proposal, then for the demo's transport meeting the decided
proposal with its answer now; a missing answer refused in words before anything is sent; an answer
recorded, the confirmation and the answer now updated; 16 px text, 44 px targets, axe clean (in
Korean; the English words checked). The decided proposal comes from ``test_proposal_path.set_the_scene`` (the
TEST FIXTURE of ``tests/decided.py`` makes it ``decided``)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from proposals.model import Person
from tests.browser.axe import assert_accessible
from tests.browser.conftest import Assembly, OpenUrl
from tests.browser.test_proposal_path import MEETING, set_the_scene
from tests.browser.test_sizes import too_small

pytestmark = pytest.mark.browser


def test_a_host_records_the_citys_response(open_url: OpenUrl, assembly: Assembly) -> None:
    pid = set_the_scene(assembly, *(Person(p, assembly.names[p]) for p in ("p-000", "p-002")))
    page, _watch = open_url("/host", "host-1")
    form = page.locator("#response")
    page.locator("#f-meeting").select_option("plenary")
    expect(form).to_be_hidden()  # no decided proposal in the plenary meeting itself
    page.locator("#f-meeting").select_option(MEETING)
    expect(form).to_be_visible()
    page.locator("#response-proposal").select_option(str(pid))
    expect(form).to_contain_text("지금 답변: 받아들이지 않았습니다 · 도시교통실 버스정책과")

    page.get_by_role("button", name="답변 기록하기").click()
    expect(form.locator(".proposal-msg")).to_have_text("답변을 골라 주세요.")  # nothing sent
    form.get_by_label("시가 받아들였습니다").check()
    page.get_by_label("맡은 부서 (100자까지)").fill("도시교통실 버스정책과")
    page.locator("#response-text").fill("내년부터 심야 버스 두 노선을 늘립니다.")
    page.get_by_role("button", name="답변 기록하기").click()
    expect(form.locator(".proposal-msg")).to_have_text("기록했습니다: 시가 받아들였습니다 (3번째 답변)")
    expect(form).to_contain_text("지금 답변: 시가 받아들였습니다 · 도시교통실 버스정책과")

    form.scroll_into_view_if_needed()
    assert too_small(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "/host response (ko)")
    page.locator("#btn-lang").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(form).to_contain_text("Response now: The city accepted it")  # (axe once: a staff page)
