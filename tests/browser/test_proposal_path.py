"""A proposal's page (issue 14), in ONE page load on a 390x844 phone: the path of a proposal from
its submission through an edit both authors accepted, its meeting's shortlist and the plenary to
the city's responses (the current one in words, an earlier one marked as earlier), the comments as
text (markup in a comment stays text), 16 px text and 44 px targets, no sideways scrolling, axe
clean in Korean and in English, the CSV download by keyboard.

The scene is a proposal of two demo panelists in the demo's transport meeting (no one added to the
roster: the results page's turnout chart is checked against the demo roster), written through the
proposals' store on the assembly's Redis; the proposal reaches ``decided`` through the TEST FIXTURE
of ``tests/decided.py`` (the plenary's steps are another part of issue 14).
"""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest
from playwright.sync_api import expect

from engine.channels import ChannelLog
from proposals.model import Person
from proposals.store import ProposalStore
from tests.browser.axe import assert_accessible
from tests.browser.conftest import Assembly, OpenUrl
from tests.browser.test_sizes import too_small
from tests.decided import decide
from tests.support import redis_client

pytestmark = pytest.mark.browser

MEETING = "transport"  # the demo's p-000 and p-002 are in it
MOD = Person("mod-1", "진행자")
HOST = Person("host-1", "사무국")
PHONE = {"viewport": {"width": 390, "height": 844}}


def set_the_scene(assembly: Assembly, ann: Person, bob: Person) -> int:

    async def run() -> int:
        r = redis_client(assembly.redis.url)
        try:
            store = ProposalStore(ChannelLog(r))
            await store.set_sections(MEETING, "moderator", ["transport"])
            done = await store.submit(
                MEETING,
                ann,
                "panelist",
                "transport",
                "심야 버스를 늘려 주세요",
                "밤 12시 뒤에 버스가 없어요.",
                "심야 버스 노선을 늘려 주세요.",
            )
            pid = int(done.result.id)
            await store.join(MEETING, pid, bob, "panelist")
            await store.edit(
                MEETING,
                pid,
                MOD,
                "moderator",
                title="심야 버스 노선을 늘려 주세요",
                note="제목을 더 분명하게",
            )
            await store.consent(MEETING, pid, ann, "panelist", True)
            await store.consent(MEETING, pid, bob, "panelist", True)
            await store.comment(MEETING, pid, bob, "panelist", "<b>꼭</b> 필요해요")
            await decide(store, MEETING, pid, "plenary-path", "path-1", 2)
            await store.respond(
                MEETING, pid, HOST, "host", "under_review", "도시교통실 버스정책과", "검토하겠습니다."
            )
            await store.respond(
                MEETING, pid, HOST, "host", "rejected", "도시교통실 버스정책과", "올해 예산으로는 어렵습니다."
            )
            return pid
        finally:
            await r.aclose()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=20)


def test_a_proposals_path_on_a_phone(open_url: OpenUrl, assembly: Assembly) -> None:
    ann, bob = (Person(p, assembly.names[p]) for p in ("p-000", "p-002"))
    pid = set_the_scene(assembly, ann, bob)
    page, _watch = open_url(f"/record/{MEETING}/proposals/{pid}", ann.id, **PHONE)
    expect(page.locator("#path-main")).to_be_visible()
    assert "#t=" not in page.url  # the token left the address bar (lib/boot.js)
    expect(page.locator("#path-title")).to_have_text(f"{pid}. 심야 버스 노선을 늘려 주세요")
    expect(page.locator("#path-authors")).to_have_text(f"제안한 사람: {ann.name}, {bob.name}")
    answer = page.locator("#path-response")
    expect(answer.locator(".path-answer")).to_have_text("받아들이지 않았습니다")
    expect(answer).to_contain_text("맡은 부서: 도시교통실 버스정책과")
    expect(answer).to_contain_text("올해 예산으로는 어렵습니다.")
    steps = page.locator("#path-timeline .path-step")
    expect(steps).to_have_count(7)
    expect(steps.nth(0)).to_contain_text(f"{ann.name} 님이 제안을 냈습니다.")
    expect(steps.nth(1)).to_contain_text("2번째 글로 고쳤습니다. 진행자 님이 고치자고 했고")
    expect(steps.nth(1)).to_contain_text(f"{ann.name}, {bob.name}")
    expect(steps.nth(1)).to_contain_text("고친 까닭: 제목을 더 분명하게")
    expect(steps.nth(2)).to_contain_text("회의 투표에서 2위로 총회 후보에 뽑혔습니다.")
    expect(steps.nth(4)).to_contain_text("총회 투표에서 2위로 정해졌습니다.")
    expect(steps.nth(4).get_by_role("link", name="결과 자세히 보기")).to_have_attribute(
        "href", "/results/plenary-path"
    )
    assert "null" not in (page.locator("#path-timeline").text_content() or "")  # no time: nothing
    expect(steps.nth(5)).to_contain_text("검토 중입니다")
    expect(steps.nth(5)).to_contain_text("이전 답변")
    expect(steps.nth(6)).to_contain_text("받아들이지 않았습니다")
    expect(steps.nth(6)).to_contain_text("기록한 사람: 사무국")
    comments = page.locator("#path-comments")
    expect(comments).to_contain_text("<b>꼭</b> 필요해요")  # text, not markup
    assert comments.locator("b").count() == 0
    expect(page.locator("#path-back")).to_have_attribute("href", f"/record/{MEETING}")

    assert too_small(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "/record/.../proposals (ko)")

    with page.expect_download() as dl:
        page.locator("#path-dl-csv").focus()
        page.keyboard.press("Enter")
    assert dl.value.suggested_filename == f"proposal-{MEETING}-{pid}.csv"

    page.locator("#btn-lang").focus()
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(answer.locator(".path-answer")).to_have_text("The city did not accept it")
    expect(steps.nth(5)).to_contain_text("earlier response")
    assert too_small(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "/record/.../proposals (en)")
