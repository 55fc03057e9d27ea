"""axe on every page and its main states (``tests/browser/scenes.py``, the same walk as
``make screenshots``), in Korean and in English, at the largest text size on a 390x844 phone (the
overlay at 1280x800, its only size): no serious or critical violation, and no script error."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser.axe import serious_violations
from tests.browser.conftest import Assembly
from tests.browser.scenes import LARGEST_TEXT, Prepared, opened, prepared, scenes

pytestmark = pytest.mark.browser

NAMES = [s.name for s in scenes(Prepared("v", "p", "s"))]
__all__ = ["prepared"]  # the fixture, from scenes.py


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("name", NAMES)
def test_no_serious_or_critical_axe_violation_at_the_largest_text(
    browser: Browser, assembly: Assembly, prepared: Prepared, name: str, lang: str
) -> None:
    scene = next(s for s in scenes(prepared) if s.name == name)
    size = scene.sizes[0]
    with opened(browser, assembly, scene, size, lang, LARGEST_TEXT) as (page, watch):
        assert page.evaluate("() => document.documentElement.lang") == lang
        if page.locator("#btn-size").count():  # every page with the header (the overlay has none)
            assert page.evaluate("() => document.documentElement.dataset.size") == LARGEST_TEXT
        found = serious_violations(page)
        assert not found, f"{name} ({lang}, {size}):\n" + "\n".join(found)
        assert not watch.problems, watch.problems
