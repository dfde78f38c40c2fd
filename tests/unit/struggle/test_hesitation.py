"""hesitation: idle on a page with form errors or after a failed action."""

from __future__ import annotations

from pageguide.struggle import DEFAULT_SETTINGS, SignalKind, StruggleSettings
from pageguide.struggle.hesitation import detect, pending

ERRORS = ("Card number is incomplete.",)


def fire(inp, settings=DEFAULT_SETTINGS):
    return detect(inp, settings)


def test_idle_with_form_errors_fires(tl):
    tl.click("#pay", effect="dom").ev("invalid", 20, message=ERRORS[0], field="card")
    [signal] = fire(tl.input(form_errors=ERRORS, now=tl.events[0].t + 25_000))
    assert signal.kind is SignalKind.HESITATION
    assert signal.reason == "idle_with_form_errors"
    assert signal.at_ms == tl.events[0].t + 20_000
    assert signal.anchor == tl.events[0].t


def test_short_pause_does_not_fire_unless_settings_say_so(tl):
    tl.click("#pay", effect="dom")
    inp = tl.input(form_errors=ERRORS, now=tl.t + 15_000)
    assert fire(inp) == []
    assert len(fire(inp, StruggleSettings(hesitation_idle_ms=10_000))) == 1


def test_reading_a_page_without_errors_does_not_fire(tl):
    for _ in range(6):
        tl.ev("scroll", 10_000)
    assert fire(tl.input(now=tl.t + 60_000, since=tl.events[0].t - 5_000)) == []


def test_idle_after_a_failed_save_fires(tl):
    tl.click("#save", effect="dom").ev("http_error", 600, method="POST", path="/api/s", status=500)
    [signal] = fire(tl.input(now=tl.t + 21_000))
    assert signal.reason == "idle_after_failure"
    assert signal.target == "POST /api/s 5xx"
    assert signal.at_ms == tl.t + 20_000


def test_idle_after_an_error_thrown_by_a_click_fires(tl):
    tl.click().ev("error", 200, message="TypeError: nope")
    assert len(fire(tl.input(now=tl.t + 30_000))) == 1


def test_scrolling_around_is_still_hesitating(tl):
    tl.click("#save", effect="dom").ev("http_error", 600, method="POST", path="/api/s", status=500)
    failed_at = tl.t
    tl.ev("scroll", 6_000).ev("scroll", 6_000).ev("scroll", 6_000)
    assert len(fire(tl.input(now=failed_at + 21_000))) == 1


def test_background_failure_while_reading_does_not_fire(tl):
    tl.ev("scroll").ev("http_error", 5_000, method="GET", path="/api/poll", status=503)
    assert fire(tl.input(now=tl.t + 60_000)) == []


def test_acting_after_the_failure_ends_it(tl):
    tl.click("#save", effect="dom").ev("http_error", 600, method="POST", path="/api/s", status=500)
    tl.click("#save", dt=3_000, effect="dom")
    assert fire(tl.input(now=tl.t + 60_000)) == []


def test_hidden_tab_does_not_fire_and_return_restarts_the_clock(tl):
    tl.click("#pay", effect="dom").ev("visibility", 2_000, state="hidden")
    assert fire(tl.input(form_errors=ERRORS, now=tl.t + 90_000)) == []
    tl.ev("visibility", 60_000, state="visible")
    assert fire(tl.input(form_errors=ERRORS, now=tl.t + 10_000)) == []
    [signal] = fire(tl.input(form_errors=ERRORS, now=tl.t + 20_000))
    assert signal.anchor == tl.t


def test_open_assistant_does_not_fire(tl):
    tl.click("#pay", effect="dom").ev("widget_open", 2_000)
    assert fire(tl.input(form_errors=ERRORS, now=tl.t + 60_000)) == []
    tl.ev("widget_close", 30_000)
    assert fire(tl.input(form_errors=ERRORS, now=tl.t + 5_000)) == []  # idle since the close
    assert len(fire(tl.input(form_errors=ERRORS, now=tl.t + 25_000))) == 1


def test_page_arrival_counts_when_there_are_no_events(tl):
    inp = tl.input(form_errors=ERRORS, now=tl.t + 30_000, since=tl.t)
    assert len(fire(inp)) == 1
    assert fire(tl.input(form_errors=ERRORS, now=tl.t + 30_000)) == []  # since unknown


def test_a_failure_on_the_previous_page_does_not_count(tl):
    tl.click("#save", effect="dom").ev("http_error", 600, method="POST", path="/api/s", status=500)
    tl.nav("/settings", "/dashboard", dt=1_000)
    assert fire(tl.input(path="/dashboard", now=tl.t + 60_000)) == []


def test_each_stretch_of_idleness_fires_once(tl, feed):
    tl.click("#pay", effect="dom").ev("invalid", 20, message=ERRORS[0], field="card")
    window_signals = feed(tl.events, now=tl.t + 25_000, form_errors=ERRORS)
    assert [s.kind for s in window_signals] == [SignalKind.HESITATION]


def test_only_errors_or_a_failure_on_screen_need_the_clock(tl):
    tl.click("#menu", effect="dom").ev("scroll", 1_000)
    assert not pending(tl.input(now=tl.t), DEFAULT_SETTINGS)  # nothing to hesitate over
    assert pending(tl.input(form_errors=ERRORS, now=tl.t), DEFAULT_SETTINGS)
    tl.click("#save", dt=1_000, effect="request")
    tl.ev("http_error", 300, method="POST", path="/api/s", status=500)
    assert pending(tl.input(now=tl.t), DEFAULT_SETTINGS)
    tl.click("#save", dt=2_000, effect="dom")  # acted again: the failure is behind them
    assert not pending(tl.input(now=tl.t), DEFAULT_SETTINGS)


def test_a_hidden_tab_or_an_open_assistant_needs_no_clock(tl):
    tl.click("#pay", effect="dom").ev("widget_open", 1_000)
    assert not pending(tl.input(form_errors=ERRORS, now=tl.t), DEFAULT_SETTINGS)
    tl.ev("widget_close", 5_000).ev("visibility", 1_000, state="hidden")
    assert not pending(tl.input(form_errors=ERRORS, now=tl.t), DEFAULT_SETTINGS)
    tl.ev("visibility", 9_000, state="visible")
    assert pending(tl.input(form_errors=ERRORS, now=tl.t), DEFAULT_SETTINGS)
