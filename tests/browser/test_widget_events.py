"""What the widget reports about the page, on a fixture SPA: clicks with their effect,
failed requests, errors, submits and validation errors, navigation, and what it never sends."""

from __future__ import annotations

import pytest
from pages.harness import Frames, fixture_server, wait_for, wait_ready

pytestmark = pytest.mark.browser

SECRETS = ["hunter2-secret", "jane@example.com", "s3cr3t", "4242424242424242", "abc123", "Jane Roe"]


@pytest.fixture
def spa(demo_server, page):
    frames = Frames(page)
    page.goto(
        fixture_server(demo_server.url)
        + "/fixture/spa.html?tab=1&token=t0k3n&email=jane@example.com"
    )
    wait_ready(page, frames)
    return page, frames


def click_and_settle(page, frames, selector: str) -> dict:
    before = len(frames.events("click"))
    page.click(selector)
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")  # flush sooner
    return wait_for(page, lambda: frames.events("click")[before:], 6, f"click on {selector}")[0]


def test_click_effects_selectors_and_roles(spa) -> None:
    page, frames = spa
    dom = click_and_settle(page, frames, "#dom-button")
    assert dom["target"] == {"selector": "#dom-button", "text": "Add row", "role": "button"}
    assert dom["data"]["effect"] == "dom" and dom["data"]["looks_interactive"] is True
    assert isinstance(dom["x"], int | float) and dom["t"] > 1_600_000_000_000

    dead = click_and_settle(page, frames, "#dead-button")
    assert dead["data"]["effect"] == "none"
    assert dead["target"]["text"] == "Save changes"

    request = click_and_settle(page, frames, "#request-button")
    assert request["data"]["effect"] == "request"

    fake = click_and_settle(page, frames, "#fake-link")
    assert fake["data"]["looks_interactive"] is True and fake["target"]["role"] == ""

    nav = click_and_settle(page, frames, "#nav-button")
    assert nav["data"]["effect"] == "navigation"


def test_failed_requests_errors_and_rejections(spa) -> None:
    page, frames = spa
    page.click("#request-button")
    page.click("#xhr-button")
    page.click("#error-button")
    page.click("#reject-button")
    wait_for(
        page, lambda: len(frames.events("http_error")) >= 2 and len(frames.events("error")) >= 2, 8
    )
    failed = {
        (e["data"]["method"], e["data"]["path"], e["data"]["status"])
        for e in frames.events("http_error")
    }
    assert failed == {("POST", "/api/missing", 404), ("GET", "/api/missing-xhr", 404)}
    messages = {e["data"]["message"] for e in frames.events("error")}
    assert any("Boom from the fixture" in m for m in messages)
    assert any("Rejected in the fixture" in m for m in messages)


def test_navigation_sends_page_context_and_navigate_event(spa) -> None:
    page, frames = spa
    hello = frames.of("hello")[0]
    assert hello["page"]["route"] == "/projects/:id"
    assert hello["page"]["headings"] == ["Projects", "Overview"]  # hidden and ignored left out
    assert "token" not in hello["page"]["url"] and "email" not in hello["page"]["url"]
    assert "tab=1" in hello["page"]["url"]
    page.click("#nav-button")
    wait_for(page, lambda: frames.of("page"), 5, "a page frame")
    new = frames.of("page")[-1]
    assert new["path"] == "/fixture/settings" and new["title"] == "Settings — Fixture"
    assert new["headings"][0] == "Settings"
    assert new["url"].endswith("/fixture/settings?tab=billing#top")
    nav = wait_for(page, lambda: frames.events("navigate"), 5)[0]
    assert nav["data"]["to"] == "/fixture/settings?tab=billing#top"
    assert nav["data"]["from"].startswith("/fixture/spa.html")

    page.click("#hash-button")
    wait_for(page, lambda: len(frames.of("page")) >= 2, 5, "a page frame after hashchange")
    page.go_back()
    wait_for(page, lambda: len(frames.of("page")) >= 3, 5, "a page frame after popstate")
    page.evaluate("() => history.replaceState({}, '', location.href)")  # same URL: no frame
    page.wait_for_timeout(300)
    assert len(frames.of("page")) == 3


def test_a_router_wrapping_history_after_us_still_reports_each_navigation_once(spa) -> None:
    page, frames = spa
    page.evaluate(
        """() => {
        const push = history.pushState;
        history.pushState = function (...args) { window.routerCalls = (window.routerCalls || 0) + 1;
          return push.apply(this, args); };
        history.pushState({}, '', '/fixture/a');
    }"""
    )
    wait_for(page, lambda: [f for f in frames.of("page") if f["path"] == "/fixture/a"], 5)
    # A router that kept the native method bypasses every wrapper.
    page.evaluate("() => History.prototype.pushState.call(history, {}, '', '/fixture/b')")
    page.click("#dead-button")  # after a click the widget notices the unreported change
    wait_for(page, lambda: [f for f in frames.of("page") if f["path"] == "/fixture/b"], 5)
    assert [f["path"] for f in frames.of("page")] == ["/fixture/a", "/fixture/b"]
    assert page.evaluate("window.routerCalls") == 1


def test_submits_and_validation_errors(spa) -> None:
    page, frames = spa
    page.click("#sign-in")  # browser validation blocks the submit: invalid events
    page.click("#save-profile")  # the app's own validation: aria-invalid
    page.wait_for_timeout(500)
    page.click("#save-profile")  # a second attempt on the same error counts again
    wait_for(page, lambda: len(frames.events("invalid")) >= 3, 6, "invalid events")
    invalid = frames.events("invalid")
    fields = [e["data"]["field"] for e in invalid]
    assert "Email" in fields
    vat = [e for e in invalid if e["data"]["field"] == "VAT ID"]
    assert len(vat) == 2 and vat[0]["data"]["message"] == "Invalid value"
    assert frames.events("submit")
    # The page context sent before a question lists the visible errors.
    page.evaluate("() => Pageguide.setContext({plan: 'pro'})")
    page_frame = wait_for(page, lambda: frames.of("page"), 5)[-1]
    assert "VAT ID: Invalid value" in page_frame["form_errors"]
    assert page_frame["meta"] == {"plan": "pro"}


def test_typed_secrets_and_masked_text_never_leave_the_page(spa) -> None:
    page, frames = spa
    page.fill("#email", "jane@example.com")
    page.fill("#password", "hunter2-secret")
    page.fill("#notes", "s3cr3t notes")
    page.click("#editor")
    page.keyboard.type("abc123 typed in the editor")
    page.click("#masked-button")
    page.click("#ignored-button")
    page.click("#sign-in")
    page.evaluate("() => Pageguide.track('checkout', {step: 2})")
    wait_for(page, lambda: frames.events("track"), 6, "the track event")
    everything = "\n".join(frames.raw_sent)
    for secret in [
        *SECRETS,
        "editable draft",
        "default text",
        "Private heading",
        "Ignored button",
        "Acme",
    ]:
        assert secret not in everything, secret
    masked = [e for e in frames.events("click") if e["target"]["selector"] == "#masked-button"]
    assert masked and masked[0]["target"]["text"] == "•••"
    assert not [e for e in frames.events("click") if "ignored" in e["target"]["selector"]]
    inputs = {e["target"]["text"] for e in frames.events("input")}
    assert {"Email", "Password"} <= inputs
    assert frames.events("track")[0]["data"] == {"step": 2, "name": "checkout"}


def test_events_are_batched(spa) -> None:
    page, frames = spa
    for _ in range(12):
        page.click("#dom-button", delay=0)
    wait_for(page, lambda: len(frames.events("click")) >= 12, 8)
    assert len(frames.of("events")) <= 3
    assert all(len(f["events"]) <= 200 for f in frames.of("events"))
