"""No page asks with the browser's own boxes (issue 15): ``window.prompt``, ``confirm`` and
``alert`` are English in places, ignore the page's text size, block its live updates and read
poorly to a screen reader. A console that asks uses ``lib/ask.js`` (a modal ``<dialog>``)."""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "realtime" / "web"
NATIVE = re.compile(r"(?<![\w.])(?:window\.)?(?:prompt|confirm|alert)\s*\(")


def test_no_page_script_calls_prompt_confirm_or_alert() -> None:
    found = []
    for path in sorted(WEB.rglob("*.js")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("//", 1)[0]
            if NATIVE.search(code):
                found.append(f"{path.relative_to(WEB)}:{n}: {line.strip()}")
    assert not found, "use lib/ask.js (askText, askConfirm) instead:\n" + "\n".join(found)


def test_the_check_catches_a_prompt() -> None:
    assert NATIVE.search('const next = window.prompt(t("x"), title);')
    assert NATIVE.search("if (confirm(text)) go();")
    assert not NATIVE.search("askConfirm({ title })")
    assert not NATIVE.search("this.confirm(x)")
