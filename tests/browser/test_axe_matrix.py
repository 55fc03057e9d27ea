"""axe on every page and its main states (``tests/browser/scenes.py``, the same walk as
``make screenshots``), in Korean and in English, at the largest text size on a 390x844 phone (the
overlay at 1280x800, its only size): no serious or critical violation, and no script error; then
every dialog and state beyond those first ones (below), on as few page loads as the states allow.

Scenes of the same page (the same address, link, size and connection: the panelist page's tabs and
its help dialog) are checked one after the other on one page load, each brought to its state by its
own steps, as a person moves from tab to tab: the same states as a load each, for a sixth of the
loads (``make screenshots`` still opens each scene afresh)."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import serious_violations
from tests.browser.conftest import FAKE_PLAYER, Assembly, HubCaller, show_section
from tests.browser.scenes import (
    LARGEST_TEXT,
    PHONE,
    Cable,
    Prepared,
    Scene,
    Watch,
    _vote,
    opened,
    prepared,
    scenes,
    settle,
)
from tests.browser.test_live_pages import png
from tests.browser.test_vote_pages import CODE, card

pytestmark = pytest.mark.browser

__all__ = ["prepared"]  # the fixture, from scenes.py


def _same_page(scene: Scene) -> tuple[object, ...]:
    """What makes two scenes one page load: the address, the link, the first size, the connection."""
    return (scene.path, scene.who, scene.token, scene.live, scene.offline, scene.sizes[0])


def page_groups(all_scenes: list[Scene]) -> list[list[str]]:
    """The scenes' names, those of one page together, in the walk's order."""
    groups: dict[tuple[object, ...], list[str]] = {}
    for scene in all_scenes:
        groups.setdefault(_same_page(scene), []).append(scene.name)
    return list(groups.values())


GROUPS = page_groups(scenes(Prepared("v", "p", "s")))


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("names", GROUPS, ids=["+".join(g) for g in GROUPS])
def test_no_serious_or_critical_axe_violation_at_the_largest_text(
    browser: Browser, assembly: Assembly, prepared: Prepared, names: list[str], lang: str
) -> None:
    walk = [next(s for s in scenes(prepared) if s.name == name) for name in names]
    first, size = walk[0], walk[0].sizes[0]
    with opened(browser, assembly, first, size, lang, LARGEST_TEXT) as (page, watch):
        assert page.evaluate("() => document.documentElement.lang") == lang
        if page.locator("#btn-size").count():  # every page with the header (the overlay has none)
            assert page.evaluate("() => document.documentElement.dataset.size") == LARGEST_TEXT
        for scene in walk:
            if scene is not first:
                scene.act(page)
                settle(page)
            found = serious_violations(page)
            assert not found, f"{scene.name} ({lang}, {size}):\n" + "\n".join(found)
        assert not watch.problems, watch.problems


# -- every dialog and every state a person can bring a page to (i13-last) ------------------------------
# One page load per page and language, several states each: the header's help dialog, the captions
# enlarged, the slide enlarged (the two <dialog>s), a refusal (aria-invalid), the ballot's receipt
# after a cast, a ballot queued offline; the host's "cannot be undone" confirmation and a survey's
# counts; the public results page checking that ballot (found, mistyped, not on the board). On the
# "health" meeting (odd panelists and the staff), put back as it was afterwards.
STATES_MEETING = "health"


def _upload_slide(assembly: Assembly) -> str:
    request = urllib.request.Request(
        f"{assembly.hub.url}/api/meetings/{STATES_MEETING}/uploads?name=axe.png",
        data=png(),
        method="POST",
        headers={"Authorization": f"Bearer {assembly.tokens['host-1']}"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return str(json.load(resp)["id"])


def _ok(call: HubCaller, who: str, kind: str, **fields: Any) -> dict[str, Any]:
    reply = call(who, kind, **fields)
    assert reply["type"] == "reply", (kind, reply)
    return dict(reply.get("result") or {})


@contextmanager
def _phone(
    browser: Browser, assembly: Assembly, path: str, who: str | None, lang: str
) -> Iterator[tuple[Page, Cable]]:
    """``path`` on a 390x844 phone in ``lang`` at the largest text, live (with ``who``'s link; without
    one, as the results page is opened), its link through a ``Cable`` the test can pull; no script
    error or CSP refusal allowed."""
    ctx = browser.new_context(**PHONE)
    watch = Watch()
    try:
        ctx.route(
            "https://www.youtube-nocookie.com/**",
            lambda route: route.fulfill(body=FAKE_PLAYER, content_type="text/html"),
        )
        ctx.add_init_script(
            f"try {{ localStorage.setItem('plenary.lang', '{lang}');"
            f" localStorage.setItem('plenary.textsize', '{LARGEST_TEXT}'); }} catch (e) {{}}"
        )
        cable = Cable()
        cable.install(ctx)
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        page.on("console", watch.on_console)
        page.on("pageerror", watch.on_error)
        page.goto(f"{assembly.hub.url}{path}" + (f"#t={assembly.tokens[who]}" if who else ""))
        if who:
            page.wait_for_selector("#conn[data-state=live]")
        yield page, cable
    finally:
        ctx.close()
    assert not watch.problems, watch.problems


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_no_serious_or_critical_axe_violation_in_any_dialog_or_state(
    browser: Browser, assembly: Assembly, lang: str
) -> None:
    call = HubCaller(assembly)
    tag = uuid.uuid4().hex[:6]
    vote_id, survey = f"axe-states-{tag}", f"axe{tag}"
    definition = _vote(vote_id, "상태 점검 투표") | {"grace_seconds": 0}
    _ok(call, "host-1", "vote.create", definition=definition, meeting=STATES_MEETING)
    _ok(call, "host-1", "vote.open", vote=vote_id)
    question = {"id": "q", "kind": "multiple", "prompt": "탈것", "options": ["버스", "지하철"]}
    poll = {"id": survey, "title": f"점검 설문 {tag}", "kind": "survey", "questions": [question]}
    _ok(call, "host-1", "poll.create", meeting=STATES_MEETING, poll=poll)
    _ok(call, "host-1", "poll.open", meeting=STATES_MEETING, poll=survey)
    _ok(call, "p-011", "poll.answer", meeting=STATES_MEETING, poll=survey, answers={"q": [0, 1]})
    _ok(call, "cap-1", "caption.send", meeting=STATES_MEETING, text="오늘 회의를 시작하겠습니다.")
    _ok(call, "host-1", "slide.show", meeting=STATES_MEETING, upload=_upload_slide(assembly), title="노선도")
    problems: list[str] = []
    try:
        with _phone(browser, assembly, f"/?vote={vote_id}", "p-009", lang) as (page, cable):

            def check(where: str) -> None:
                problems.extend(serious_violations(page, f"/ {where} ({lang}, largest text, 390)"))

            assert page.evaluate("() => document.documentElement.dataset.size") == LARGEST_TEXT
            page.locator("#meeting").select_option(STATES_MEETING)
            page.locator("#btn-help").click()
            expect(page.locator("#help-dialog")).to_be_visible()
            expect(page.locator("#help-contact a.help-phone")).to_be_visible()
            check("the help dialog")
            page.keyboard.press("Escape")
            expect(page.locator("#help-dialog")).to_be_hidden()

            show_section(page, "stream")
            page.locator("#captions-big").click()
            expect(page.locator("#captions-big")).to_have_attribute("aria-pressed", "true")
            page.locator("#slide .slide-enlarge").click()
            expect(page.locator("dialog.slide-dialog")).to_be_visible()
            check("the slide enlarged")
            page.keyboard.press("Escape")
            check("the captions enlarged")

            show_section(page, "chat")
            box = page.locator("#composer-text")
            box.fill("가" * 501)  # over the limit: refused on the page, the text kept
            box.press("Enter")
            expect(box).to_have_attribute("aria-invalid", "true")
            check("a refused message")
            box.fill("")

            show_section(page, "polls")
            ballot = card(page, vote_id)
            ballot.locator("button.pick").first.click()
            ballot.locator("button.cast").click()
            expect(ballot.locator(".receipt .code")).to_have_text(CODE)
            check("the ballot's receipt")
            code = ballot.locator(".receipt .code").inner_text().strip()
            ballot.locator("button.revote").click()
            cable.unplug(page.context)
            expect(page.locator("#conn")).not_to_have_attribute("data-state", "live")
            ballot.locator("button.cast").click()
            expect(ballot.locator("button.cast")).to_have_attribute("aria-disabled", "true")
            check("a ballot queued offline")

        with _phone(browser, assembly, "/host", "host-1", lang) as (page, _cable):

            def check_host(where: str) -> None:
                problems.extend(serious_violations(page, f"/host {where} ({lang}, largest text, 390)"))

            page.locator("#f-meeting").select_option(STATES_MEETING)
            page.locator(f'button.vote-item[data-vote="{vote_id}"]').click()
            detail = page.locator(f'.detail[data-vote="{vote_id}"]')
            detail.locator("button.cast.warn").first.click()
            expect(detail.locator(".confirm")).to_be_visible()
            check_host("the close's confirmation")
            detail.locator(".confirm button.secondary").click()
            page.locator(f"#sv-{survey}-sv-count").click()
            expect(page.locator(f'.survey-item[data-poll="{survey}"] .survey-counts li')).to_have_count(1)
            check_host("a survey's counts")

        # The public results page, checking a ballot: found, a mistyped code, a code not on the board.
        _ok(call, "host-1", "vote.close", vote=vote_id)
        _ok(call, "host-1", "vote.publish", vote=vote_id)
        with _phone(browser, assembly, f"/results/{vote_id}#code={code}", None, lang) as (page, _cable):
            answer = page.locator("#receipt-answer")
            for kind, typed in (("found", None), ("bad", "ABCD"), ("notfound", "0000-0000-0000-0000")):
                if typed is not None:
                    page.locator("#receipt-code").fill(typed)
                    page.locator("#receipt-submit").click()
                expect(answer).to_have_attribute("data-kind", kind)
                problems.extend(serious_violations(page, f"/results a ballot checked: {kind} ({lang})"))
    finally:
        call("host-1", "slide.clear", meeting=STATES_MEETING)
        call("host-1", "poll.close", meeting=STATES_MEETING, poll=survey)
        call("host-1", "vote.close", vote=vote_id)  # refused once published: fine
    assert not problems, "\n".join(problems)
