"""The hall desk's page `/checkin` (issue 14), in Chromium on a phone, over the demo assembly's hub:
a clerk types a panelist's number, then pastes their personal link (its token goes to the hub in a
command, never in a URL), gets "already checked in" for the second, a plain error for an unknown
number, records a departure by keyboard; the host console's quorum counts the hall meanwhile, pushed
(the departure reaches the open console without its asking), and its vote form's hall-only box
makes a vote that only those checked in may cast in.
Korean first, 16 px text and 44 px targets, and axe with no serious or critical violation in both
languages: one load of the desk for all of it, one of the host console."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.axe import serious_violations
from tests.browser.conftest import Assembly, HubCaller, OpenUrl
from tests.browser.test_sizes import check

pytestmark = pytest.mark.browser

PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
PANELIST = "p-005"  # in the plenary (demo roster); no other test checks them in


def test_a_clerk_checks_a_panelist_in_by_number_and_by_link_on_a_phone(
    open_url: OpenUrl, assembly: Assembly, hub_call: HubCaller
) -> None:
    urls: list[str] = []
    page, _watch = open_url(
        "/checkin?session=plenary",
        "clerk-1",
        before=lambda ctx: ctx.on("request", lambda r: urls.append(r.url)),
        **PHONE,
    )
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", name="출석 확인", exact=True)).to_be_visible()
    expect(page.get_by_label("출석을 확인할 회의")).to_have_value("plenary")
    field = page.get_by_label("참여단 번호 또는 개인 링크")
    result = page.locator("#ck-result")

    field.fill(PANELIST)
    field.press("Enter")
    name = assembly.names[PANELIST]
    expect(result).to_have_text(f"{name} 님 ({PANELIST}) 입장을 기록했습니다.")
    expect(field).to_have_value("")
    expect(field).to_be_focused()

    field.fill(assembly.link(PANELIST))  # what the camera reads from the QR code
    page.get_by_role("button", name="확인", exact=True).click()
    expect(result).to_contain_text("이미 입장해 있습니다")
    expect(page.locator("#ck-list li")).to_have_count(2)

    # the host console's live quorum counts them in the hall (panels/quorum.js)
    host, _host_watch = open_url("/host", "host-1", **PHONE)
    expect(host.locator("#quorum-heading")).to_have_text("지금 출석 (이 회의)")
    expect(host.locator("#quorum .quorum-main")).to_contain_text("명 출석")
    expect(host.locator("#quorum .hint-text")).to_contain_text("현장 입장 1명")

    # the vote form's hall-only box (panels/hall-vote.js): only those checked in at the hall vote
    vote_id = f"hall-{uuid.uuid4().hex[:6]}"
    host.get_by_label("투표 ID").fill(vote_id)
    host.get_by_label("제목", exact=True).fill("현장 투표")
    host.get_by_label("제안 (한 줄에 하나)").fill("가\n나\n다")
    hall_only = host.get_by_label("현장에서 출석 확인한 시민참여단만 투표")
    expect(hall_only).to_have_accessible_description(re.compile("출석 데스크에서 입장을 확인받은 사람만"))
    hall_only.check()
    host.get_by_role("button", name="우선순위 투표 만들기").click()
    expect(host.locator("#create-msg")).to_contain_text("만들었습니다")
    expect(host.locator("#create-error")).to_be_hidden()
    expect(hall_only).not_to_be_checked()  # for the next vote, unticked again
    opened = hub_call("host-1", "vote.open", vote=vote_id)
    assert opened["type"] == "reply", opened
    cast = {"vote": vote_id, "ranking": ["P1"]}
    assert hub_call("p-007", "vote.cast", nonce="hall-out-1", **cast).get("name") == "not_checked_in"
    # on the ballot page, the refusal says what to do (not "sending again soon"), the ballot kept
    ballot_page, _ballot_watch = open_url(f"/vote?vote={vote_id}", "p-007", **PHONE)
    ballot = ballot_page.locator(f'article.ballot[data-vote="{vote_id}"]')
    ballot.locator("button.pick", has_text="가").click()
    ballot.get_by_role("button", name="이 순위로 투표하기").click()
    expect(ballot).to_contain_text("출석 데스크에서 확인을 받은 뒤 다시 해 주세요")
    expect(ballot.locator(".receipt")).to_be_hidden()
    assert hub_call(PANELIST, "vote.cast", nonce="hall-in-1", **cast)["type"] == "reply"  # checked in
    assert hub_call("host-1", "vote.close", vote=vote_id)["type"] == "reply"

    field.fill("p-999")
    field.press("Enter")
    expect(page.locator("#ck-error")).to_have_text(
        "이 번호나 링크의 참여단원을 찾을 수 없습니다. 다시 확인해 주세요."
    )
    expect(field).to_have_value("p-999")  # kept to correct it
    expect(field).to_have_attribute("aria-invalid", "true")

    problems = check(page, "/checkin (ko)") + serious_violations(page, "/checkin (ko) axe")

    # a departure, by keyboard: the mark's radio, then the number
    page.get_by_label("퇴장").focus()
    page.keyboard.press("Space")
    expect(page.get_by_label("퇴장")).to_be_checked()
    field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(PANELIST)
    page.keyboard.press("Enter")
    expect(result).to_have_text(f"{name} 님 ({PANELIST}) 퇴장을 기록했습니다.")
    quorum = hub_call("host-1", "attendance.quorum", session="plenary")["result"]
    assert quorum["panel"] >= 12 and quorum["hall"] == 0
    # the host console, open meanwhile, is told without asking (pushed on meeting/plenary/quorum)
    expect(host.locator("#quorum .hint-text")).to_contain_text("현장 입장 0명")
    host.context.close()

    page.locator("#btn-lang").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Panelist number or personal link")).to_be_visible()
    problems += check(page, "/checkin (en)") + serious_violations(page, "/checkin (en) axe")
    assert not problems, "\n".join(problems)

    token = assembly.tokens[PANELIST]
    assert urls and not [u for u in urls if token in u]  # the token went in a command, never in a URL
