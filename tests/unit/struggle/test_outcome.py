"""A nudge's outcome: success is the struggle stopping, not the user leaving."""

from __future__ import annotations

from pageguide.protocol import Event, Target
from pageguide.struggle import DEFAULT_SETTINGS, Signal, SignalKind
from pageguide.struggle.outcome import SETTLE_MS, WINDOW_MS, FollowUp, Outcome

T = 1_700_000_000_000
PAGE = "/settings/billing"
ERRORS = ["Card number is required."]


def signal(kind: SignalKind, reason: str, at: int = T, path: str = PAGE) -> Signal:
    return Signal(
        kind=kind, score=0.8, evidence=(0,), target="#save", page_path=path, at_ms=at,
        reason=reason, summary="", anchor=0,
    )  # fmt: skip


def ev(kind: str, t: int, effect: str | None = None, **data: object) -> Event:
    if effect is not None:
        data["effect"] = effect
    target = Target(selector="#save", text="Save", role="button") if kind == "click" else None
    return Event(kind=kind, t=t, target=target, data=data)


def follow(kind: SignalKind, reason: str, form_errors=(), pages=()) -> FollowUp:
    return FollowUp.start(signal(kind, reason), T, form_errors, pages)


def feed(f: FollowUp, *events: Event) -> FollowUp:
    for e in events:
        f.event(e, DEFAULT_SETTINGS)
    return f


# -- error nudges


def test_form_errors_going_away_on_the_page_is_success() -> None:
    f = follow(SignalKind.ERROR_LOOP, "repeated_invalid", ERRORS)
    assert f.page(PAGE, ERRORS, T + 1_000) is Outcome.PENDING  # still there
    assert f.page(PAGE, [], T + 9_000) is Outcome.SUCCEEDED


def test_leaving_with_the_errors_still_on_screen_is_not_success() -> None:
    f = follow(SignalKind.ERROR_LOOP, "repeated_invalid", ERRORS)
    feed(f, ev("click", T + 2_000, "navigation"))  # a link elsewhere: giving up
    assert f.page("/dashboard", [], T + 3_000) is Outcome.FAILED


def test_sending_the_form_again_then_the_page_changing_is_success() -> None:
    f = follow(SignalKind.ERROR_LOOP, "repeated_invalid", ERRORS)
    feed(f, ev("submit", T + 1_000), ev("invalid", T + 1_050, message=ERRORS[0]))
    feed(f, ev("input", T + 4_000), ev("submit", T + 9_000))  # fixed, sent, went through
    assert f.page("/settings/billing/done", [], T + 10_000) is Outcome.SUCCEEDED


def test_an_error_after_the_last_attempt_means_it_did_not_go_through() -> None:
    f = follow(SignalKind.HESITATION, "idle_after_failure")
    feed(f, ev("click", T + 1_000, "request"))
    feed(f, ev("http_error", T + 1_400, method="POST", path="/api/invites", status=500))
    assert f.check(T + 60_000) is Outcome.PENDING
    assert f.page("/dashboard", [], T + 61_000) is Outcome.FAILED


def test_a_retried_request_that_nothing_failed_after_settles_into_success() -> None:
    f = follow(SignalKind.ERROR_LOOP, "repeated_request")
    feed(f, ev("click", T + 1_000, "request"))
    assert f.check(T + 1_000 + SETTLE_MS - 1) is Outcome.PENDING
    assert f.check(T + 1_000 + SETTLE_MS) is Outcome.SUCCEEDED


def test_an_answered_click_does_not_fix_an_error() -> None:
    f = follow(SignalKind.ERROR_LOOP, "repeated_request")
    feed(f, ev("click", T + 1_000, "dom"))  # opened a menu
    assert f.check(T + 30_000) is Outcome.PENDING
    assert f.page("/help", [], T + 31_000) is Outcome.FAILED


def test_nothing_counts_after_the_window() -> None:
    f = follow(SignalKind.ERROR_LOOP, "repeated_invalid", ERRORS)
    assert f.page(PAGE, [], T + WINDOW_MS + 1) is Outcome.FAILED


def test_browser_noise_is_not_a_failure() -> None:
    f = follow(SignalKind.ERROR_LOOP, "repeated_request")
    feed(f, ev("click", T + 1_000, "request"), ev("error", T + 2_000, message="Script error."))
    assert f.check(T + 1_000 + SETTLE_MS) is Outcome.SUCCEEDED


# -- click nudges


def test_a_click_the_page_answers_after_a_dead_click_nudge_is_success() -> None:
    f = follow(SignalKind.DEAD_CLICK, "repeated_dead_click")
    feed(f, ev("input", T + 2_000), ev("click", T + 6_000, "dom"))
    assert f.check(T + 6_000 + SETTLE_MS) is Outcome.SUCCEEDED


def test_a_click_that_navigates_away_after_a_click_nudge_is_success() -> None:
    f = follow(SignalKind.RAGE_CLICK, "unanswered_click_chain")
    feed(f, ev("click", T + 3_000, "navigation"))
    assert f.page("/dashboard", [], T + 4_000) is Outcome.SUCCEEDED


def test_leaving_right_after_a_click_nudge_without_an_answered_action_is_not_success() -> None:
    f = follow(SignalKind.RAGE_CLICK, "unanswered_click_chain")
    feed(f, ev("click", T + 200, "none"))  # the same dead button, once more
    feed(f, ev("navigate", T + 500, **{"from": PAGE, "to": "/dashboard"}))  # typed or back
    assert f.page("/dashboard", [], T + 500) is Outcome.FAILED


def test_reloading_the_page_after_a_dead_click_nudge_is_not_success() -> None:
    f = follow(SignalKind.DEAD_CLICK, "repeated_dead_click", ERRORS)
    feed(f, ev("navigate", T + 2_000, **{"from": PAGE, "to": PAGE}))  # a reload
    assert f.page(PAGE, [], T + 2_100) is Outcome.PENDING  # the form is cleared, not fixed
    assert f.page("/dashboard", [], T + 9_000) is Outcome.FAILED


def test_the_same_family_of_signal_coming_back_on_the_page_is_not_success() -> None:
    f = follow(SignalKind.DEAD_CLICK, "repeated_dead_click")
    same_burst = signal(SignalKind.RAGE_CLICK, "unanswered_click_chain", at=T - 200)
    assert not f.recurred(same_burst)  # found in the frame that brought the nudge
    assert f.recurred(signal(SignalKind.RAGE_CLICK, "unanswered_click_chain", at=T + 8_000))
    assert not f.recurred(signal(SignalKind.ERROR_LOOP, "repeated_request", at=T + 8_000))
    elsewhere = signal(SignalKind.DEAD_CLICK, "repeated_dead_click", T + 8_000, "/team")
    assert not f.recurred(elsewhere)


def test_another_pages_errors_before_its_page_frame_do_not_count() -> None:
    f = follow(SignalKind.DEAD_CLICK, "repeated_dead_click")
    feed(f, ev("click", T + 900, "navigation"))
    feed(f, ev("navigate", T + 1_000, **{"from": PAGE, "to": "/dashboard"}))
    feed(f, ev("http_error", T + 1_200, method="GET", path="/api/poll", status=503))
    assert f.page("/dashboard", [], T + 1_500) is Outcome.SUCCEEDED


# -- navigation loops


def test_a_page_outside_the_loop_is_success_and_the_loop_pages_are_not() -> None:
    f = follow(SignalKind.NAVIGATION_LOOP, "page_loop", pages=["/a", PAGE])
    assert f.page("/a", [], T + 2_000) is Outcome.PENDING
    assert f.page(PAGE, [], T + 4_000) is Outcome.PENDING
    assert f.page("/reports", [], T + 6_000) is Outcome.SUCCEEDED
