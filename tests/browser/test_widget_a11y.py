"""Accessibility: keyboard-only use (open, ask, Tab stays in the panel, Esc closes and gives
focus back), ARIA roles and a live log, reduced motion, and axe-core finds nothing serious in
light or dark mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from pages.harness import Frames, launcher, wait_ready

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "widget" / "node_modules" / "axe-core" / "axe.min.js"
ACTIVE = """() => { const root = document.getElementById('pageguide-root').shadowRoot;
  const a = root.activeElement;
  return a ? (a.getAttribute('aria-label') || a.localName) : null; }"""


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => (await axe.run({include: [['#pageguide-root']]},
            {resultTypes: ['violations']})).violations
            .map(v => ({id: v.id, impact: v.impact,
                        nodes: v.nodes.map(n => n.target.join(' '))}))"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


@pytest.fixture
def billing(demo_server, page):
    frames = Frames(page)
    page.goto(demo_server.url + "/app/settings/billing")
    wait_ready(page, frames)
    return page


def test_keyboard_only(billing) -> None:
    page = billing
    launcher(page).focus()
    page.keyboard.press("Enter")
    # The panel's module may still be on its way (fetched on the launcher's focus): focus moves
    # into the question box as soon as the panel opens.
    page.wait_for_function(f"() => ({ACTIVE})() === 'Your question'", timeout=5_000)
    panel = page.locator("#pageguide-root").get_by_role("dialog", name="How can we help?")
    assert panel.is_visible()
    page.keyboard.type("how do I change my plan?")
    page.keyboard.press("Enter")
    page.locator("[data-answer] .rate").wait_for()
    inside = page.evaluate(
        "() => [...document.getElementById('pageguide-root').shadowRoot"
        ".querySelectorAll('.panel button, .panel a[href], .panel textarea')].length"
    )
    for _ in range(inside + 2):  # all the way round, and then some
        page.keyboard.press("Tab")
        assert page.evaluate(
            "() => !!document.getElementById('pageguide-root').shadowRoot"
            ".activeElement?.closest('.panel')"
        )
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Escape")
    assert not panel.is_visible()
    assert page.evaluate(ACTIVE) == "Open help"
    assert launcher(page).get_attribute("aria-expanded") == "false"


def test_roles_live_region_and_reduced_motion(billing) -> None:
    page = billing
    page.emulate_media(reduced_motion="reduce")
    launcher(page).click()
    root = page.locator("#pageguide-root")
    assert root.get_by_role("log").get_attribute("aria-live") == "polite"
    assert root.get_by_role("dialog").get_attribute("aria-modal") == "true"
    assert launcher(page).get_attribute("aria-expanded") == "true"
    animation = page.evaluate(
        "() => getComputedStyle(document.getElementById('pageguide-root').shadowRoot"
        ".querySelector('.panel')).animationName"
    )
    assert animation == "none"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violations(billing, scheme) -> None:
    page = billing
    page.emulate_media(color_scheme=scheme)
    assert axe_violations(page) == []  # the launcher alone
    launcher(page).click()
    box = page.get_by_role("textbox", name="Your question")
    box.fill("how do I change my plan?")
    box.press("Enter")
    page.locator("[data-answer] .rate").wait_for()
    assert axe_violations(page) == []
