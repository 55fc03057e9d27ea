"""axe-core in a page (the ``axe-playwright-python`` package ships it): the violations that matter
for this project's rule, serious or critical, in words a failing test can print."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

BLOCKING = frozenset({"serious", "critical"})
"""The impacts that fail a page: a person is blocked or seriously hindered (docs/accessibility.md)."""

_AXE = Axe()


def blocking_violations(page: Page) -> list[str]:
    """Every serious or critical axe violation on the page as it is now, one line each (rule, impact,
    the first elements' selectors): empty when the page passes."""
    results: dict[str, Any] = _AXE.run(page).response
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in results.get("violations", [])
        if v.get("impact") in BLOCKING
    ]
