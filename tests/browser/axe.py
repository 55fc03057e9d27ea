"""axe-core in the browser tests: the serious and critical violations of a page as it is now.

axe-core comes inside the ``axe-playwright-python`` wheel (a well-kept packaging of Deque's engine;
nothing is fetched at run time). It is injected through Playwright's ``evaluate``, which the page's
CSP (``script-src 'self'``) does not govern, so the page itself keeps its policy.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

_AXE = Axe()
SERIOUS = ("serious", "critical")


def serious_violations(page: Page, where: str = "") -> list[str]:
    """One line per serious or critical violation on ``page`` as it is now (rule, impact, help, the
    first targets), each led by ``where`` when given: empty when the page passes. The impacts that
    fail a page: a person is blocked or seriously hindered (docs/accessibility.md)."""
    lead = f"{where}: " if where else ""
    response: dict[str, Any] = _AXE.run(page).response
    return [
        f"{lead}{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:4]}"
        for v in response.get("violations", [])
        if v.get("impact") in SERIOUS
    ]


def assert_accessible(page: Page, where: str) -> None:
    """Fail with the list when axe finds any serious or critical violation."""
    found = serious_violations(page)
    assert not found, f"axe on {where}:\n" + "\n".join(found)
