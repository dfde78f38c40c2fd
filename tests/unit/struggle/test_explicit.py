"""explicit: the assistant opened and closed on the same page without a question."""

from __future__ import annotations

from pageguide.struggle import DEFAULT_SETTINGS, SignalKind, StruggleSettings
from pageguide.struggle.explicit import detect


def fire(tl, settings=DEFAULT_SETTINGS, path="/settings"):
    return detect(tl.input(path=path), settings)


def test_open_and_close_without_asking_fires_softly(tl):
    tl.ev("widget_open").ev("widget_close", 6_000)
    [signal] = fire(tl)
    assert signal.kind is SignalKind.EXPLICIT
    assert signal.score < 0.5
    assert signal.evidence == (0, 1)
    assert signal.target == "/settings"


def test_asking_is_not_a_signal(tl):
    tl.ev("widget_open").ev("ask", 3_000).ev("widget_close", 10_000)
    assert fire(tl) == []


def test_launcher_misclick_does_not_fire_unless_settings_say_so(tl):
    tl.ev("widget_open").ev("widget_close", 300)
    assert fire(tl) == []
    assert len(fire(tl, StruggleSettings(explicit_min_open_ms=200))) == 1


def test_closing_on_another_page_does_not_fire(tl):
    tl.ev("widget_open").nav("/help", "/settings/billing", 3_000).ev("widget_close", 4_000)
    assert fire(tl, path="/settings/billing") == []


def test_still_open_does_not_fire(tl):
    tl.ev("widget_open").ev("scroll", 30_000)
    assert fire(tl) == []


def test_reopening_after_asking_on_the_page_is_rereading(tl):
    tl.ev("widget_open").ev("ask", 2_000).ev("widget_close", 8_000)
    tl.ev("widget_open", 5_000).ev("widget_close", 6_000)
    assert fire(tl) == []
    tl.nav("/settings", "/team", 2_000).ev("widget_open", 2_000).ev("widget_close", 4_000)
    [signal] = fire(tl, path="/team")
    assert signal.page_path == "/team"


def test_the_page_is_where_it_happened(tl):
    tl.ev("widget_open").ev("widget_close", 4_000).nav("/help", "/team", 1_000)
    [signal] = fire(tl, path="/team")
    assert signal.page_path == "/help"


def test_each_open_close_pair_is_reported_once(tl, feed):
    tl.ev("widget_open").ev("widget_close", 4_000).ev("scroll", 1_000).ev("scroll", 1_000)
    assert [s.kind for s in feed(tl.events)] == [SignalKind.EXPLICIT]
