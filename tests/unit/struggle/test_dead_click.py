"""dead_click: an interactive-looking target clicked again without any effect."""

from __future__ import annotations

from pageguide.struggle import DEFAULT_SETTINGS, SignalKind, StruggleSettings
from pageguide.struggle.dead_click import detect


def fire(tl, settings=DEFAULT_SETTINGS):
    return detect(tl.input(), settings)


def test_two_dead_clicks_on_a_button_fire(tl):
    tl.click("#export", text="Export").typing(dt=1_000, keys=2).click(
        "#export", dt=2_000, text="Export"
    )
    [signal] = fire(tl)
    assert signal.kind is SignalKind.DEAD_CLICK
    assert signal.evidence == (0, 3)
    assert signal.at_ms == tl.events[3].t
    assert signal.target == "#export"


def test_one_dead_click_on_a_button_does_not_fire(tl):
    tl.click().typing(dt=1_000, keys=3).click("#other", dt=500, text="Other", effect="dom")
    assert fire(tl) == []


def test_a_dead_click_on_plain_text_does_not_fire(tl):
    tl.click("article p", role="", text="")
    assert fire(tl) == []


def test_repeated_clicks_on_plain_text_do_not_fire(tl):
    tl.click("article p", role="", text="").click("article p", dt=3_000, role="", text="")
    assert fire(tl) == []


def test_looks_interactive_counts_without_a_role(tl):
    tl.click("div.tile", role="", text="Slack", looks_interactive=True)
    tl.click("div.tile", dt=2_000, role="", text="Slack", looks_interactive=True)
    assert len(fire(tl)) == 1


def test_clicks_with_an_effect_are_not_dead(tl):
    tl.click(effect="request").click(dt=1_000, effect="dom").click(dt=1_000, effect="navigation")
    tl.click(dt=1_000, effect=None)
    assert fire(tl) == []


def test_selection_scroll_download_and_new_tab_are_answers(tl):
    for flag in ("selection_changed", "scrolled", "download", "opens_new_tab"):
        tl.click(dt=1_000, **{flag: True})
    assert fire(tl) == []


def test_text_fields_and_canvas_are_excluded(tl):
    tl.click("input#q", role="textbox", text="").click("input#q", dt=900, role="textbox", text="")
    tl.click("canvas", dt=900, role="", text="", looks_interactive=True)
    tl.click("canvas", dt=900, role="", text="", looks_interactive=True)
    assert fire(tl) == []


def test_different_targets_do_not_add_up(tl):
    tl.click("#bold", text="Bold").click("#italic", dt=800, text="Italic")
    assert fire(tl) == []


def test_window_and_count_come_from_settings(tl):
    tl.click().click(dt=12_000)
    assert fire(tl) == []
    assert len(fire(tl, StruggleSettings(dead_window_ms=15_000))) == 1
    tl.click(dt=1_000)
    assert fire(tl, StruggleSettings(dead_min_clicks=3)) == []
    assert len(fire(tl, StruggleSettings(dead_min_clicks=3, dead_window_ms=15_000))) == 1


def test_repeated_dead_clicks_are_reported_once(tl, feed):
    for i in range(5):
        tl.click(dt=1_500 if i else 0)
    assert [s.kind for s in feed(tl.events)].count(SignalKind.DEAD_CLICK) == 1
