"""A deliberately hostile host: a strict CSP (no 'unsafe-inline', Trusted Types), global CSS
that unsets everything, and patched fetch, JSON, Array.prototype and an AMD `define`."""

from __future__ import annotations

import pytest
from pages.harness import Frames, fixture_server, launcher, wait_for, wait_ready

pytestmark = pytest.mark.browser


@pytest.fixture
def hostile(demo_server, page):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    frames = Frames(page)
    page.goto(fixture_server(demo_server.url) + "/fixture/hostile.html")
    wait_ready(page, frames)
    return page, frames, errors


def test_the_widget_works_and_looks_right_on_a_hostile_page(hostile) -> None:
    page, _, errors = hostile
    button = launcher(page)
    box = button.bounding_box()
    viewport = page.viewport_size
    assert box["width"] == 56 and box["height"] == 56
    assert viewport["width"] - box["x"] - box["width"] == pytest.approx(20, abs=1)
    button.click()
    question = page.get_by_role("textbox", name="Your question")
    question.fill("how do I change my plan?")
    question.press("Enter")
    answer = page.locator("[data-answer]").first
    answer.locator(".rate").wait_for()
    assert "plan" in answer.inner_text().lower()
    styles = page.evaluate(
        """() => { const root = document.getElementById('pageguide-root').shadowRoot;
        const panel = getComputedStyle(root.querySelector('.panel'));
        const text = getComputedStyle(root.querySelector('textarea'));
        return {panel: panel.display, font: panel.fontSize, dir: panel.direction,
                spacing: panel.letterSpacing, transform: panel.textTransform,
                text: text.display}; }"""
    )
    assert styles == {
        "panel": "flex",
        "font": "14px",
        "dir": "ltr",
        "spacing": "normal",
        "transform": "none",
        "text": "block",
    }
    # Our CSS did not reach the host's look-alike elements either.
    assert (
        page.evaluate("getComputedStyle(document.querySelector('header.panel')).display") == "none"
    )
    assert page.evaluate("window.hostProblems") == []
    assert errors == []


def test_patched_globals_do_not_corrupt_frames(hostile) -> None:
    page, frames, _ = hostile
    hello = frames.of("hello")[0]
    assert hello["page"]["headings"] == ["Hostile host"]  # a list, despite Array.prototype.toJSON
    assert hello["page"]["form_errors"] == []
    # The host wraps fetch again after us: both wrappers see the request, we report the failure.
    page.evaluate(
        """() => { const ours = window.fetch; window.fetch = function () {
        window.lateHostFetches = (window.lateHostFetches || 0) + 1;
        return ours.apply(this, arguments); };
        return fetch('/api/missing').then(r => r.status); }"""
    )
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    failed = wait_for(page, lambda: frames.events("http_error"), 6)[0]
    assert failed["data"] == {"method": "GET", "path": "/api/missing", "status": 404}
    assert page.evaluate("[window.hostFetches, window.lateHostFetches]") == [1, 1]
    assert "host-broke" not in "".join(frames.raw_sent) and "array-toJSON" not in "".join(
        frames.raw_sent
    )
    assert page.evaluate("window.hostProblems") == []
