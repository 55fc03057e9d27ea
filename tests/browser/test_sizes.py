"""16 px text and 44 px targets on every page, measured in the browser at 390x844 (issue 13).

On each page, every visible text's computed font size must be at least 16 px, and every visible
interactive element's box at least 44x44 px, so that neither can regress unnoticed.

The one exception is WCAG 2.2's (2.5.8 Target Size): a link **inline in a sentence** (an `a` whose
parent also holds text of its own) is sized by the line it sits in. A radio button or a checkbox
is measured by its `label`, which is what a finger presses. Text hidden for screen readers only
(`.visually-hidden`, a 1x1 clipped box) and the skip link while it waits above the page are not on
screen, so not measured.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import serious_violations
from tests.browser.conftest import HubCaller, OpenUrl
from tests.browser.test_vote_pages import definition

pytestmark = pytest.mark.browser

PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
MIN_TEXT_PX = 16
MIN_TARGET_PX = 44

# Returns [{kind: "text"|"target", what, size}] for everything too small on the page as it is now.
MEASURE = """
({minText, minTarget}) => {
  const bad = [];
  const shown = (e) => {
    const r = e.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return false;  // visually-hidden, empty
    if (r.bottom + window.scrollY <= 0 || r.right + window.scrollX <= 0) return false;  // waiting off the page
    const s = getComputedStyle(e);
    return s.visibility !== "hidden" && s.display !== "none" && e.checkVisibility({opacityProperty: true});
  };
  const name = (e) => {
    const id = e.id ? "#" + e.id : "";
    const cls = typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\\s+/).join(".") : "";
    const text = (e.innerText || e.value || e.getAttribute("aria-label") || "").trim().slice(0, 30);
    return `${e.tagName.toLowerCase()}${id}${cls} "${text}"`;
  };
  // text: every element with a text node of its own
  for (const e of document.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "OPTION", "NOSCRIPT"].includes(e.tagName)) continue;
    const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const field = ["TEXTAREA", "INPUT", "SELECT"].includes(e.tagName);
    if (!own && !field) continue;
    if (!shown(e)) continue;
    const px = parseFloat(getComputedStyle(e).fontSize);
    if (px < minText - 0.01) bad.push({kind: "text", what: name(e), size: px.toFixed(1) + "px"});
  }
  // targets
  const targets = document.body.querySelectorAll(
    "a[href], button, select, textarea, input:not([type=hidden]), summary, [role=tab], [role=button]");
  for (let e of targets) {
    if (e.tagName === "INPUT" && (e.type === "radio" || e.type === "checkbox")) e = e.closest("label") || e;
    if (!shown(e)) continue;
    if (e.tagName === "A") {
      const parent = e.parentElement;
      const inline = getComputedStyle(e).display === "inline" && parent &&
        [...parent.childNodes].some((n) => n !== e && n.nodeType === 3 && n.textContent.trim());
      if (inline) continue;  // WCAG 2.2 2.5.8: a link inside a sentence
    }
    const r = e.getBoundingClientRect();
    if (r.width < minTarget - 0.5 || r.height < minTarget - 0.5) {
      bad.push({kind: "target", what: name(e), size: `${r.width.toFixed(0)}x${r.height.toFixed(0)}`});
    }
  }
  return bad;
}
"""


def too_small(page: Page) -> list[str]:
    found = page.evaluate(MEASURE, {"minText": MIN_TEXT_PX, "minTarget": MIN_TARGET_PX})
    return [f"{b['kind']} {b['size']}: {b['what']}" for b in found]


def check(page: Page, where: str) -> list[str]:
    return [f"{where}: {line}" for line in too_small(page)]


def test_every_page_has_16px_text_and_44px_targets_on_a_phone(open_url: OpenUrl, hub_call: HubCaller) -> None:
    vote_id = f"sizes-{uuid.uuid4().hex[:6]}"  # no meeting's name: only pages given its id show it
    assert hub_call("host-1", "vote.create", definition=definition(vote_id))["type"] == "reply"
    assert hub_call("host-1", "vote.open", vote=vote_id)["type"] == "reply"
    done = f"{vote_id}-done"  # a published one, for the results page with its export links
    for kind, fields in [
        ("vote.create", {"definition": definition(done)}),
        ("vote.open", {}),
        ("vote.close", {}),
        ("vote.publish", {}),
    ]:
        assert hub_call("host-1", kind, **(fields or {"vote": done}))["type"] == "reply", kind
    problems: list[str] = []
    for lang in ("ko", "en"):
        pages: list[tuple[str, str | None, str]] = [
            ("/", "p-010", "#conn[data-state=live]"),
            (f"/vote?vote={vote_id}", "p-011", f'article.ballot[data-vote="{vote_id}"]'),
            ("/host", "host-1", "#conn[data-state=live]"),
            ("/moderate?meeting=plenary", "mod-1", "#conn[data-state=live]"),
            ("/ops", "ops-1", "#conn[data-state=live]"),
            (f"/results/{done}", None, ".order-item"),
        ]
        for path, who, ready in pages:
            page, _watch = open_url(path, who, **PHONE)
            expect(page.locator(ready).first).to_be_visible()
            if lang == "en":
                page.locator("#btn-lang").click()
                expect(page.locator("html")).to_have_attribute("lang", "en")
            page.wait_for_timeout(300)  # the panels' first render
            problems += check(page, f"{path} ({lang})")
            problems += serious_violations(page, f"{path} ({lang}) axe")
            if path == "/":  # every section of the phone layout, one after the other
                for section in page.locator("#tabs [role=tab]").all():
                    section.click()
                    problems += check(page, f"/ section {section.get_attribute('data-tab')} ({lang})")
            page.context.close()
    # the stream overlay (a broadcast graphic, no controls): a text and a vote's results on it
    overlay = {"meeting": "transport"}
    try:
        for shown in ({"text": "잠시 후 2부가 시작됩니다"}, {"vote": done}):
            assert hub_call("host-1", "overlay.show", **overlay, **shown)["type"] == "reply"
            page, _watch = open_url("/overlay/transport", "obs-1", wait_live=False, **PHONE)
            expect(page.locator(".ov-card")).to_be_visible()
            problems += check(page, f"/overlay/transport ({next(iter(shown))})")
            page.context.close()
    finally:
        hub_call("host-1", "overlay.clear", **overlay)
    assert not problems, "too small (or axe):\n" + "\n".join(sorted(set(problems)))
