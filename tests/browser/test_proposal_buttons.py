"""The proposal buttons (issue 14), on two phones at once, one load each: the moderator console's
column (open a section; merge a duplicate into the proposal picked from the meeting's submitted
ones, after saying that supports carry over; propose an edit with the fields prefilled and a note;
return one with a reason; a refusal in plain Korean from its code) and the panelist's 제안 tab (join
as co-author, comment with the text shown as text, the edit waiting shown side by side and
accepted by its author, the merged and returned ones explained). 16 px text and 44 px targets,
axe-core with nothing serious or critical, in Korean and in English. Real hub, Redis, Chromium."""

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

MEETING = "transport"  # the demo's even panelists are in it
AUTHOR, VIEWER = "p-010", "p-004"  # no other test writes proposals as them (nor as p-006)


def ok(hub_call: HubCaller, who: str, kind: str, **fields: Any) -> dict[str, Any]:
    reply = hub_call(who, kind, meeting=MEETING, **fields)
    assert reply["type"] == "reply", reply
    return dict(reply["result"])


def submit(hub_call: HubCaller, who: str, title: str) -> int:
    p = ok(
        hub_call,
        who,
        "proposal.submit",
        section="transport",
        title=title,
        problem="문제 " + title,
        action="할 일 " + title,
    )
    return int(p["proposal"]["id"])


def test_moderators_merge_edit_and_return_and_a_panelist_joins_comments_and_consents(
    open_url: OpenUrl, hub_call: HubCaller, assembly: Assembly
) -> None:
    tag = uuid.uuid4().hex[:4]
    ok(hub_call, "mod-1", "proposal.sections", open=["transport"])
    target = submit(hub_call, AUTHOR, f"심야버스 노선 늘리기 {tag}")
    duplicate = submit(hub_call, AUTHOR, f"밤 버스를 더 많이 {tag}")
    returned = submit(hub_call, AUTHOR, f"버스 요금 없애기 {tag}")
    mine = submit(hub_call, VIEWER, f"정류장 안내판 {tag}")
    other = submit(hub_call, "p-006", f"택시 승차장 {tag}")
    taken = submit(hub_call, "p-006", f"자전거 도로 {tag}")
    ok(hub_call, "p-008", "proposal.support", proposal=duplicate)

    mod, _ = open_url(f"/moderate?meeting={MEETING}", "mod-1")
    panel, _ = open_url("/", VIEWER)
    col = mod.locator("#propmod")
    expect(col.get_by_role("heading", name="시민 제안 관리")).to_be_visible()

    # sections: the boxes show what is open; one more opened
    expect(col.get_by_label("교통")).to_be_checked()
    col.get_by_label("안전").check()
    col.get_by_role("button", name="분야 열기·닫기 적용").click()
    expect(mod.locator("#mod-status")).to_contain_text("교통, 안전")

    # merge: the target from the submitted ones, what carries over said before confirming
    item = col.locator(f"li[data-id='{duplicate}']")
    item.get_by_role("button", name=re.compile("^합치기: 밤 버스")).click()
    form = item.locator(".prop-mod-form")
    expect(form.get_by_label("어느 제안으로 합칠까요")).to_be_focused()
    expect(form).to_contain_text("공감 1개와 제안한 사람들이 고른 제안으로 옮겨 갑니다")
    form.get_by_label("어느 제안으로 합칠까요").select_option(str(target))
    form.get_by_role("button", name="예, 합칩니다").click()
    expect(col.locator(f"li[data-id='{duplicate}']")).to_have_count(0)
    expect(col.locator(f"li[data-id='{target}']")).to_contain_text("공감 1")  # the support carried over
    expect(mod.locator("#mod-status")).to_contain_text(f"{target}번 제안과 합쳤습니다")

    # return, first without a reason (said in the form), then with one
    item = col.locator(f"li[data-id='{returned}']")
    item.get_by_role("button", name=re.compile("^돌려보내기: 버스 요금")).click()
    form = item.locator(".prop-mod-form")
    form.get_by_role("button", name="돌려보내기", exact=True).click()
    expect(form.get_by_role("alert")).to_have_text("돌려보내는 까닭을 써 주세요.")
    form.get_by_label(re.compile("^돌려보내는 까닭")).fill("요금은 이 회의에서 다룰 수 없습니다.")
    form.get_by_role("button", name="돌려보내기", exact=True).click()
    expect(col.locator(f"li[data-id='{returned}']")).to_have_count(0)

    # edit: the fields prefilled, a new title and a note; it waits for the author
    item = col.locator(f"li[data-id='{mine}']")
    item.get_by_role("button", name=re.compile("^고치기: 정류장")).click()
    form = item.locator(".prop-mod-form")
    title = form.get_by_label(re.compile("^제목"))
    expect(title).to_have_value(f"정류장 안내판 {tag}")
    expect(form.get_by_label(re.compile("^서울시가 할 일"))).to_have_value(f"할 일 정류장 안내판 {tag}")
    form.get_by_role("button", name="고친 안 보내기").click()
    expect(form.get_by_role("alert")).to_have_text("바뀐 곳이 없습니다. 고칠 내용을 바꿔 주세요.")
    title.fill(f"정류장 도착 안내판 늘리기 {tag}")
    form.get_by_label(re.compile("^고친 까닭")).fill("무엇을 늘리는지 제목에 담았습니다.")
    form.get_by_role("button", name="고친 안 보내기").click()
    expect(col.locator(f"li[data-id='{mine}']")).to_contain_text("1명 가운데 0명 동의")

    # a refusal from the hub in plain words: the target chosen was returned meanwhile
    item = col.locator(f"li[data-id='{target}']")
    item.get_by_role("button", name=re.compile("^합치기: 심야버스")).click()
    form = item.locator(".prop-mod-form")
    form.get_by_label("어느 제안으로 합칠까요").select_option(str(other))
    ok(hub_call, "mod-1", "proposal.return", proposal=other, reason="다른 회의의 일입니다.")
    expect(form.get_by_label("어느 제안으로 합칠까요")).to_contain_text("돌려보냄")  # still the one chosen
    form.get_by_role("button", name="예, 합칩니다").click()
    expect(form.get_by_role("alert")).to_have_text(
        "그 제안으로는 합칠 수 없습니다. 공감 받는 중인 다른 제안을 골라 주세요."
    )
    form.get_by_role("button", name="취소").click()
    expect(item.locator(".prop-mod-form")).to_have_count(0)
    # another moderator returns the one whose form is open: the form goes, and the console says why
    item = col.locator(f"li[data-id='{taken}']")
    item.get_by_role("button", name=re.compile("^고치기: 자전거")).click()
    expect(item.locator(".prop-mod-form")).to_have_count(1)
    ok(hub_call, "mod-1", "proposal.return", proposal=taken, reason="다른 회의에서 다룹니다.")
    expect(mod.locator("#mod-status")).to_contain_text("다른 진행자가 ‘자전거 도로")
    expect(col.locator(f"li[data-id='{taken}']")).to_have_count(0)
    problems = check(mod, "/moderate proposals (ko)") + serious_violations(
        mod, "/moderate proposals (ko) axe"
    )

    # the panelist's tab: the merged and returned ones explained, the edit side by side
    panel.get_by_label("회의", exact=True).select_option(MEETING)
    panel.get_by_role("tab", name=re.compile("^제안")).click()
    prop = panel.locator("#proposals")
    expect(prop.locator(f"li[data-id='{duplicate}']")).to_contain_text(
        f"비슷한 {target}번 제안과 합쳐졌습니다"
    )
    expect(prop.locator(f"li[data-id='{returned}']")).to_contain_text("요금은 이 회의에서 다룰 수 없습니다.")
    edited = prop.locator(f"li[data-id='{mine}']")
    box = edited.locator(".prop-edit")
    expect(box).to_contain_text("고친 까닭: 무엇을 늘리는지 제목에 담았습니다.")
    expect(box.locator(".prop-before")).to_contain_text(f"정류장 안내판 {tag}")
    expect(box.locator(".prop-after")).to_contain_text(f"정류장 도착 안내판 늘리기 {tag}")

    # join the target as co-author; comment on it (HTML stays text)
    joined = prop.locator(f"li[data-id='{target}']")
    joined.get_by_role("button", name="함께 쓰기 (공동 제안자로 참여)").click()
    expect(joined).to_contain_text("이 제안을 함께 쓰는 사람이 되었습니다.")
    said = prop.locator(".visually-hidden[role=status]")  # the tab's one status line reads it out
    expect(said).to_have_text("이 제안을 함께 쓰는 사람이 되었습니다.")
    expect(joined.get_by_role("button", name=re.compile("^함께 쓰기"))).to_have_count(0)
    more = joined.get_by_role("button", name="의견 보기 (0)")
    more.click()
    expect(joined.get_by_role("button", name="의견 닫기 (0)")).to_have_attribute("aria-expanded", "true")
    expect(joined).to_contain_text("아직 의견이 없습니다.")
    joined.get_by_label(re.compile("^의견 쓰기")).fill("<b>좋아요</b> 밤 11시 이후가 필요해요")
    joined.get_by_role("button", name="의견 남기기").click()
    expect(joined.locator(".prop-comment .proposal-text")).to_have_text(
        "<b>좋아요</b> 밤 11시 이후가 필요해요"
    )
    expect(joined.locator(".prop-comment b")).to_have_count(0)
    expect(said).to_have_text("의견을 남겼습니다.")
    expect(joined.get_by_label(re.compile("^의견 쓰기"))).to_have_value("")
    problems += check(panel, "/ proposals (ko)") + serious_violations(panel, "/ proposals (ko) axe")

    # the author accepts the edit: the new title for everyone, the moderators' line gone
    edited.get_by_role("button", name="고친 안에 동의").click()
    expect(edited.locator(".proposal-title")).to_have_text(f"정류장 도착 안내판 늘리기 {tag}")
    expect(edited.locator(".prop-edit")).to_have_count(0)
    expect(col.locator(f"li[data-id='{mine}']")).not_to_contain_text("동의를 기다리는")
    # the co-author and the comment show on the moderators' console, live
    expect(col.locator(f"li[data-id='{target}']")).to_contain_text(assembly.names[VIEWER])
    expect(col.locator(f"li[data-id='{target}']")).to_contain_text("의견 1")

    for page, where in ((mod, "/moderate proposals (en)"), (panel, "/ proposals (en)")):
        page.locator("#btn-lang").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        problems += check(page, where) + serious_violations(page, f"{where} axe")
    expect(col.get_by_role("heading", name="Citizens' proposals")).to_be_visible()
    expect(joined.get_by_role("button", name="Hide comments (1)")).to_be_visible()
    assert not problems, "\n".join(problems)
