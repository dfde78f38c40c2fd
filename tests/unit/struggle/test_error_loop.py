"""error_loop: the same validation error or failed request on separate attempts, and errors
thrown right after a click."""

from __future__ import annotations

from pageguide.struggle import DEFAULT_SETTINGS, SignalKind, StruggleSettings
from pageguide.struggle.error_loop import detect

EMAIL = "Please enter a valid email address."


def fire(tl, settings=DEFAULT_SETTINGS):
    return detect(tl.input(), settings)


def attempt(tl, message=EMAIL, field="email", dt=3_000, effect="dom"):
    tl.typing("input#" + field, dt=dt, keys=3)
    tl.click("#submit", dt=800, text="Submit", effect=effect)
    return tl.ev("invalid", 20, message=message, field=field)


def test_same_validation_error_on_two_attempts_fires(tl):
    attempt(tl)
    attempt(tl)
    [signal] = fire(tl)
    assert signal.kind is SignalKind.ERROR_LOOP
    assert signal.reason == "repeated_invalid"
    assert signal.target == "email"
    assert signal.at_ms == tl.events[-1].t
    assert len(signal.evidence) == 2


def test_submit_events_count_as_attempts(tl):
    for _ in range(2):
        tl.typing(dt=2_000).ev("submit", 500).ev("invalid", 10, message=EMAIL, field="email")
    assert len(fire(tl)) == 1


def test_one_error_then_a_fix_does_not_fire(tl):
    attempt(tl)
    tl.typing("input#email", dt=2_000, keys=4).click(
        "#submit", dt=900, text="Submit", effect="navigation"
    )
    assert fire(tl) == []


def test_live_validation_repeating_within_one_attempt_does_not_fire(tl):
    tl.click("input#email", role="textbox", text="")
    for _ in range(8):
        tl.typing("input#email", dt=150).ev("invalid", 5, message=EMAIL, field="email")
    assert fire(tl) == []


def test_same_message_on_different_fields_does_not_fire(tl):
    attempt(tl, "This field is required.", "name")
    attempt(tl, "This field is required.", "email")
    assert fire(tl) == []


def test_messages_differing_only_in_numbers_are_the_same_error(tl):
    attempt(tl, "Invalid code. You have 3 attempts left.", "otp")
    attempt(tl, "Invalid code. You have 2 attempts left.", "otp")
    assert len(fire(tl)) == 1


def test_repeat_window_comes_from_settings(tl):
    attempt(tl)
    attempt(tl, dt=40_000)
    assert len(fire(tl)) == 1
    assert fire(tl, StruggleSettings(error_repeat_window_ms=30_000)) == []
    assert fire(tl, StruggleSettings(error_repeat_min=3)) == []


def failed_save(tl, method="POST", status=500, effect="dom", dt=4_000, **data):
    tl.click("#save", dt=dt, effect=effect)
    return tl.ev("http_error", 400, method=method, path="/api/settings?x=1", status=status, **data)


def test_same_failed_request_on_two_attempts_fires(tl):
    failed_save(tl)
    failed_save(tl, status=502)  # another gateway, the same broken backend
    [signal] = fire(tl)
    assert signal.reason == "repeated_request"
    assert signal.target == "POST /api/settings 5xx"


def test_different_client_errors_are_progress(tl):
    failed_save(tl, status=409)
    failed_save(tl, status=422)
    assert fire(tl) == []


def test_polling_failures_without_user_action_do_not_fire(tl):
    for _ in range(4):
        tl.ev("scroll", 3_000).ev("http_error", 2_000, method="GET", path="/api/poll", status=503)
    assert fire(tl) == []


def test_get_failures_after_unrelated_clicks_do_not_fire(tl):
    for _ in range(3):
        tl.click("nav .tab", dt=2_000, text="Tab", role="tab", effect="dom")
        tl.ev("http_error", 1_000, method="GET", path="/api/poll", status=503)
    assert fire(tl) == []


def test_get_failures_after_a_click_that_sent_a_request_fire(tl):
    failed_save(tl, method="GET", effect="request")
    failed_save(tl, method="GET", effect="request")
    assert len(fire(tl)) == 1


def test_the_widget_can_say_who_sent_a_request(tl):
    failed_save(tl, user_initiated=False)
    failed_save(tl, user_initiated=False)
    assert fire(tl) == []


def test_automatic_retries_are_one_attempt(tl):
    failed_save(tl)
    for _ in range(3):
        tl.ev("http_error", 1_000, method="POST", path="/api/settings", status=503)
    assert fire(tl) == []


def test_error_right_after_a_click_fires(tl):
    tl.click().ev("error", 300, message="TypeError: x is undefined", source="/app.js")
    [signal] = fire(tl)
    assert signal.reason == "error_after_action"
    assert signal.evidence == (0, 1)
    assert signal.target == "#save"


def test_error_after_a_submit_fires(tl):
    tl.ev("submit").ev("error", 100, message="ReferenceError: stripe is not defined")
    assert len(fire(tl)) == 1


def test_late_error_does_not_fire_unless_settings_say_so(tl):
    tl.click().ev("error", 1_500, message="TypeError: x is undefined")
    assert fire(tl) == []
    assert len(fire(tl, StruggleSettings(error_after_action_ms=2_000))) == 1


def test_browser_noise_and_extensions_are_ignored(tl):
    tl.click().ev("error", 100, message="ResizeObserver loop limit exceeded")
    tl.click(dt=2_000).ev("error", 100, message="Script error.")
    tl.click(dt=2_000).ev(
        "error", 100, message="TypeError: boom", source="chrome-extension://abc/content.js"
    )
    assert fire(tl) == []


def test_loops_are_reported_once_as_they_grow(tl, feed):
    for _ in range(4):
        attempt(tl)
    signals = [s for s in feed(tl.events) if s.kind is SignalKind.ERROR_LOOP]
    assert len(signals) == 1
