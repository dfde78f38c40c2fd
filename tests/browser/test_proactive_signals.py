"""Proactive help in real Chromium on the demo app "Lumen": for each struggle signal, doing the
thing makes a nudge appear in the widget, and its look-alike makes none.

The widget, the socket and the server are all real (the `demo_server` fixture, or a server of
this module's own with short thresholds for idle time); frames are read off the page's
WebSocket, and signals off the database, where every signal is stored with the policy's verdict.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from pages.harness import (
    Frames,
    fixture_server,
    launcher,
    read_db,
    wait_for,
    wait_ready,
)
from sqlalchemy import select
from tests.conftest import KNOWLEDGE
from tests.support.server import run_server

from pageguide.db import models as m
from pageguide.demo import CONFIG
from pageguide.settings import Settings
from pageguide.sites import Sites
from pageguide.struggle import StruggleSettings
from pageguide.struggle.policy import NudgeSettings

pytestmark = pytest.mark.browser

BILLING = "/app/settings/billing"
TEAM = "/app/settings/team"
QUIET_S = 4.0  # how long a look-alike is watched for a nudge after its events reached the server
IDLE_MS = 3_000  # hesitation threshold of this module's own server (the default is 20 s)


# ---------------------------------------------------------------- helpers


def open_demo(page: Any, server: Any, path: str) -> Frames:
    frames = Frames(page)
    page.goto(server.url + path)
    wait_ready(page, frames)
    return frames


def session_id(frames: Frames) -> str:
    return frames.received_of("ready")[-1]["session_id"]


def card(page: Any) -> Any:
    return page.locator("#pageguide-root").get_by_role("region", name="Help suggestion")


class NoNudge(AssertionError):
    """No nudge frame came in time (told apart from the widget failing to show one)."""


def wait_nudge(page: Any, frames: Frames, timeout: float = 12.0) -> dict:
    try:
        nudge = wait_for(page, lambda: frames.received_of("nudge"), timeout, "a nudge frame")[0]
    except AssertionError as exc:
        raise NoNudge(str(exc)) from None
    card(page).get_by_text(nudge["text"][:40]).wait_for()  # and the widget shows it
    return nudge


def sent_clicks(frames: Frames, selector: str = "", text: str = "") -> list[dict]:
    """Click events the widget sent, on a target named by selector or by visible text."""
    return [
        e
        for e in frames.events("click")
        if (e.get("target") or {}).get("selector" if selector else "text") == (selector or text)
    ]


def wait_sent(page: Any, what: str, check: Any, timeout: float = 10.0) -> Any:
    return wait_for(page, check, timeout, what)


def assert_no_nudge(page: Any, frames: Frames, seconds: float = QUIET_S) -> None:
    """Watch the socket (and the card) for a while: nothing may come."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert not frames.received_of("nudge"), frames.received_of("nudge")
        page.wait_for_timeout(100)
    assert not card(page).is_visible()


def stored_signals(server: Any, session: str) -> list[tuple[str, str, str]]:
    """(kind, reason, verdict) of every signal stored for the session, oldest first."""

    async def read(s: Any) -> list[tuple[str, str, str]]:
        rows = await s.scalars(
            select(m.SignalRow).where(m.SignalRow.session_id == session).order_by(m.SignalRow.id)
        )
        return [(r.kind, r.reason, r.verdict) for r in rows]

    return read_db(server, read)


def kinds(server: Any, frames: Frames) -> set[str]:
    return {kind for kind, _, _ in stored_signals(server, session_id(frames))}


def open_payment_form(page: Any) -> None:
    page.click("#update-card-button")
    page.locator("#payment-form").wait_for()


# ---------------------------------------------------------------- rage_click


def test_rage_clicking_the_dead_payment_save_button_nudges_about_the_card_number(
    demo_server, page
) -> None:
    frames = open_demo(page, demo_server, BILLING)
    open_payment_form(page)
    for _ in range(5):
        page.click("#save-payment-button", delay=20)
        page.wait_for_timeout(120)
    nudge = wait_nudge(page, frames)
    assert "card number" in nudge["text"].lower()
    assert nudge["actions"] == ["open", "escalate", "dismiss"]
    assert nudge["sources"] and nudge["sources"][0]["title"].startswith("Update your payment")
    clicks = sent_clicks(frames, "#save-payment-button")
    assert len(clicks) == 5 and all(c["data"]["effect"] == "none" for c in clicks)
    signals = stored_signals(demo_server, session_id(frames))
    assert ("rage_click", "unanswered_click_chain") in {(k, r) for k, r, _ in signals}
    # A stuck button is also a dead one; whichever came first got the nudge, the other waited.
    assert {v for k, _, v in signals if k in ("rage_click", "dead_click")} >= {"nudge"}
    assert nudge["signal"] in ("rage_click", "dead_click")


def test_clicks_that_work_are_not_rage_however_fast(demo_server, page) -> None:
    frames = open_demo(page, demo_server, BILLING)
    # A fast double-click on a plan button: each click redraws the confirmation.
    page.dblclick("[data-select-plan=scale]")
    # Carousel-like: the same toggle clicked six times in three seconds, each click opening or
    # closing the payment form.
    for _ in range(6):
        page.click("#update-card-button", delay=20)
        page.wait_for_timeout(150)
    wait_sent(
        page,
        "the clicks",
        lambda: (
            len(sent_clicks(frames, "#update-card-button")) == 6
            and len(sent_clicks(frames, text="Select Scale")) == 2
        ),
    )
    assert {c["data"]["effect"] for c in sent_clicks(frames, "#update-card-button")} == {"dom"}
    assert_no_nudge(page, frames)
    assert not kinds(demo_server, frames) & {"rage_click", "dead_click"}


# ---------------------------------------------------------------- dead_click


def test_send_invite_without_a_role_twice_nudges(demo_server, page) -> None:
    frames = open_demo(page, demo_server, TEAM)
    page.fill("#invite-email", "new.person@acme.io")
    page.click("#send-invite-button")
    page.wait_for_timeout(1500)  # not a rage: two deliberate tries
    page.click("#send-invite-button")
    nudge = wait_nudge(page, frames)
    assert nudge["signal"] == "dead_click"
    assert "Send invite" in nudge["text"] and "role" in nudge["text"].lower()
    assert nudge["sources"] and nudge["sources"][0]["url"].startswith(demo_server.url + "/help/")
    clicks = sent_clicks(frames, "#send-invite-button")
    assert [c["data"]["effect"] for c in clicks] == ["none", "none"]
    assert ("dead_click", "repeated_dead_click", "nudge") in stored_signals(
        demo_server, session_id(frames)
    )


def test_clicking_plain_text_is_not_a_dead_click(demo_server, page) -> None:
    frames = open_demo(page, demo_server, TEAM)
    page.get_by_text("Invite people to Acme Inc.").click()  # once, as people do while reading
    page.wait_for_timeout(1200)
    page.get_by_role("heading", name="Members").click()
    page.wait_for_timeout(1200)
    page.get_by_role("heading", name="Members").click()
    wait_sent(page, "the clicks", lambda: len(frames.events("click")) == 3)
    assert {c["data"]["effect"] for c in frames.events("click")} == {"none"}
    assert not any(c["data"]["looks_interactive"] for c in frames.events("click"))
    assert_no_nudge(page, frames)
    assert not kinds(demo_server, frames)


# ---------------------------------------------------------------- error_loop


def fill_payment(page: Any, vat: str) -> None:
    page.fill("#cardholder-name", "Sam Rivera")
    page.fill("#card-number", "4242 4242 4242 4242")
    page.fill("#card-expiry-input", "08/27")
    page.fill("#card-cvc", "123")
    page.fill("#vat-id", vat)


def test_the_same_vat_error_twice_nudges(demo_server, page) -> None:
    frames = open_demo(page, demo_server, BILLING)
    open_payment_form(page)
    fill_payment(page, "12345678")  # no country prefix: "Invalid value"
    page.click("#save-payment-button")
    page.locator("#vat-id-error").get_by_text("Invalid value").wait_for()
    page.wait_for_timeout(1500)
    page.click("#save-payment-button")
    nudge = wait_nudge(page, frames)
    assert nudge["signal"] == "error_loop"
    assert "Invalid value" in nudge["text"]
    invalid = [e for e in frames.events("invalid") if "Invalid value" in e["data"]["message"]]
    assert len(invalid) >= 2 and invalid[0]["data"]["field"].startswith("VAT ID")
    # the widget tells the server which errors the page shows once things settle
    wait_sent(
        page,
        "the page with its errors",
        lambda: any(any("VAT ID" in e for e in f["form_errors"]) for f in frames.of("page")),
    )
    assert ("error_loop", "repeated_invalid", "nudge") in stored_signals(
        demo_server, session_id(frames)
    )


def test_one_validation_error_then_a_fix_does_not_nudge(demo_server, page) -> None:
    frames = open_demo(page, demo_server, BILLING)
    open_payment_form(page)
    fill_payment(page, "12345678")
    page.click("#save-payment-button")
    page.locator("#vat-id-error").get_by_text("Invalid value").wait_for()
    page.wait_for_timeout(1500)
    page.fill("#vat-id", "DE123456789")
    page.click("#save-payment-button")
    page.get_by_text("Payment method updated.").wait_for()
    wait_sent(page, "both submits", lambda: len(frames.events("submit")) == 2)
    assert_no_nudge(page, frames)
    assert not kinds(demo_server, frames)


# ---------------------------------------------------------------- navigation_loop


def follow(page: Any, frames: Frames, path: str) -> None:
    """A real link click to another page of the demo (a full page load), then its session."""
    loads = len(frames.received_of("ready"))
    page.locator(f".sidebar a[href='{path}'], nav a[href='{path}']").first.click()
    page.wait_for_url("**" + path)
    wait_ready(page, frames, loads + 1)


def navigations(frames: Frames) -> list[tuple[str, str]]:
    return [(e["data"]["from"], e["data"]["to"]) for e in frames.events("navigate")]


def bounce_in_spa(page: Any, frames: Frames, dwell_ms: int) -> None:
    """To the settings view and back, three times, staying `dwell_ms` on each view."""
    for _ in range(3):
        page.click("#nav-button")
        page.wait_for_url("**/fixture/settings**")
        page.wait_for_timeout(dwell_ms)
        page.go_back()
        page.wait_for_url("**/fixture/spa.html")
        page.wait_for_timeout(dwell_ms)


@pytest.fixture
def spa(demo_server: Any, page: Any) -> Frames:
    frames = Frames(page)
    page.goto(fixture_server(demo_server.url) + "/fixture/spa.html")
    wait_ready(page, frames)
    return frames


def test_bouncing_between_two_views_of_a_single_page_app_nudges(demo_server, page, spa) -> None:
    # Six navigations, 3.2 s apart: each view is visited three times within 15 s, and no
    # return is quick enough to be a "quick back" (the next test bounces faster).
    bounce_in_spa(page, spa, dwell_ms=3_200)
    nudge = wait_nudge(page, spa)
    assert nudge["signal"] == "navigation_loop"
    assert len(navigations(spa)) >= 5
    assert ("navigation_loop", "page_loop", "nudge") in stored_signals(demo_server, session_id(spa))


def test_bouncing_fast_between_two_views_nudges(demo_server, page, spa) -> None:
    bounce_in_spa(page, spa, dwell_ms=700)
    assert len(navigations(spa)) == 6
    page.wait_for_timeout(3_000)
    if not spa.received_of("nudge"):  # the detector saw only the quick backs
        verdicts = {(k, r, v) for k, r, v in stored_signals(demo_server, session_id(spa))}
        assert verdicts == {("navigation_loop", "quick_back", "weak_signal")}
    wait_nudge(page, spa, timeout=1)


def test_bouncing_between_two_demo_pages_nudges(demo_server, page) -> None:
    frames = open_demo(page, demo_server, BILLING)
    for path in [TEAM, BILLING, TEAM, BILLING]:  # Billing visited three times in about 13 s
        started = time.monotonic()
        follow(page, frames, path)
        page.wait_for_timeout(max(0, 3_300 - (time.monotonic() - started) * 1000))
    # the widget reports every load as a navigation from the page before, on one session
    assert navigations(frames) == [(BILLING, TEAM), (TEAM, BILLING)] * 2
    assert len({f["session_id"] for f in frames.received_of("ready")}) == 1
    page.wait_for_timeout(3_000)
    if not frames.received_of("nudge"):
        assert not kinds(demo_server, frames)  # the detector never saw the loop
    wait_nudge(page, frames, timeout=1)


def test_browsing_through_different_pages_does_not_nudge(demo_server, page) -> None:
    frames = open_demo(page, demo_server, "/app/dashboard")
    route = [TEAM, BILLING, "/app/settings/api-keys", "/app/integrations/slack"]
    for path in route:
        follow(page, frames, path)
        page.wait_for_timeout(500)
    loads = len(frames.received_of("ready"))
    page.go_back()  # a full load or the back/forward cache: a navigation either way
    wait_ready(page, frames, loads + 1)
    wait_sent(page, "the way back", lambda: len(navigations(frames)) == len(route) + 1)
    assert navigations(frames) == [
        *zip(["/app/dashboard", *route[:-1]], route, strict=True),
        (route[-1], route[-2]),
    ]
    ready = frames.received_of("ready")
    assert len({f["session_id"] for f in ready}) == 1 and all(f["resumed"] for f in ready[1:])
    assert_no_nudge(page, frames)  # going Back quickly may be stored as a weak quick_back


# ---------------------------------------------------------------- explicit


def close_panel(page: Any) -> None:
    page.locator("#pageguide-root").get_by_role("button", name="Close help").click()


def test_opening_the_assistant_and_closing_it_without_asking_offers_help(demo_server, page) -> None:
    frames = open_demo(page, demo_server, BILLING)
    launcher(page).click()
    wait_for(page, lambda: frames.received_of("welcome"), 10, "the welcome")
    page.wait_for_timeout(1500)  # looked at it, did not ask
    close_panel(page)
    # A soft signal (score 0.3) that the default policy lets through (min_score explicit 0.3),
    # with the generic words: no article is looked up for it.
    nudge = wait_nudge(page, frames)
    assert nudge["signal"] == "explicit"
    assert nudge["text"] == "Anything I can help with on this page?" and nudge["sources"] == []
    assert [e["kind"] for e in frames.events() if e["kind"].startswith("widget_")] == [
        "widget_open",
        "widget_close",
    ]
    assert ("explicit", "opened_without_asking", "nudge") in stored_signals(
        demo_server, session_id(frames)
    )


def test_a_launcher_misclick_or_a_question_asked_is_not_explicit(demo_server, page) -> None:
    frames = open_demo(page, demo_server, BILLING)
    launcher(page).click()
    page.get_by_role("textbox", name="Your question").wait_for()
    close_panel(page)  # at once: a misclick on the launcher
    wait_sent(page, "the close", lambda: frames.events("widget_close"))
    opened, closed = frames.events("widget_open")[0], frames.events("widget_close")[0]
    assert closed["t"] - opened["t"] < 800

    launcher(page).click()
    box = page.get_by_role("textbox", name="Your question")
    box.fill("How do I update my card?")
    box.press("Enter")
    wait_for(page, lambda: frames.received_of("answer_end"), 20, "the answer")
    page.wait_for_timeout(1000)
    close_panel(page)
    wait_sent(page, "the second close", lambda: len(frames.events("widget_close")) == 2)
    assert_no_nudge(page, frames)
    assert not kinds(demo_server, frames)


# ---------------------------------------------------------------- hesitation


@pytest.fixture(scope="module")
def quick_server(tmp_path_factory, embedder) -> Any:
    """The demo with a hesitation threshold of 3 s instead of 20 s. The policy pins the
    hesitation min_score at 0.4 (today's default), the score of one idle threshold, so that
    these tests keep testing the detector if the default is ever raised."""
    settings = Settings(
        data=tmp_path_factory.mktemp("hesitation"),
        knowledge=KNOWLEDGE,
        secret="test-secret",
        config=CONFIG,
        struggle=StruggleSettings(hesitation_idle_ms=IDLE_MS),
        nudges=NudgeSettings(min_score=NudgeSettings().min_score | {"hesitation": 0.4}),
    )
    with run_server(settings, embedder, Sites.load(CONFIG), demo=True) as live:
        yield live


def test_staying_idle_with_a_form_error_on_screen_nudges(quick_server, page) -> None:
    frames = open_demo(page, quick_server, BILLING)
    open_payment_form(page)
    page.fill("#card-number", "4242 4242 4242 4242")
    page.click("#save-payment-button")
    page.locator("#card-expiry-input-error").wait_for()
    started = time.monotonic()
    nudge = wait_nudge(page, frames, timeout=IDLE_MS / 1000 + 8)
    assert time.monotonic() - started >= IDLE_MS / 1000 - 0.5
    assert nudge["signal"] == "hesitation"
    assert nudge["text"].startswith("Stuck on this form?")
    # the widget sent the page again once the errors showed, so the server knew of them
    errors = frames.of("page")[-1]["form_errors"]
    assert any(e.startswith("Cardholder name") for e in errors), errors
    assert ("hesitation", "idle_with_form_errors", "nudge") in stored_signals(
        quick_server, session_id(frames)
    )


def test_hesitation_nudges_with_the_default_policy(demo_server, page) -> None:
    idle_ms = demo_server.settings.struggle.hesitation_idle_ms
    frames = open_demo(page, demo_server, BILLING)
    open_payment_form(page)
    page.fill("#card-number", "4242 4242 4242 4242")
    page.click("#save-payment-button")
    page.locator("#card-expiry-input-error").wait_for()
    page.wait_for_timeout(idle_ms + 2_500)
    wait_nudge(page, frames, timeout=5)


def test_reading_a_page_without_errors_does_not_nudge(quick_server, page) -> None:
    frames = open_demo(page, quick_server, BILLING)
    page.click("#change-plan-button")  # scrolls to the plans: it works
    page.mouse.wheel(0, 600)
    wait_sent(page, "the click", lambda: frames.events("click"))
    assert_no_nudge(page, frames, seconds=2.5 * IDLE_MS / 1000)
    assert not kinds(quick_server, frames)
