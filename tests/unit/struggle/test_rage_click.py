"""rage_click: chains of quick clicks on one spot that the page does not answer."""

from __future__ import annotations

from pageguide.struggle import DEFAULT_SETTINGS, SignalKind, StruggleSettings
from pageguide.struggle.rage_click import detect


def fire(tl, settings=DEFAULT_SETTINGS):
    return detect(tl.input(), settings)


def test_three_quick_unanswered_clicks_fire(tl):
    tl.click(effect="request").click(dt=250, x=103).click(dt=260, x=98, y=104)
    [signal] = fire(tl)
    assert signal.kind is SignalKind.RAGE_CLICK
    assert signal.evidence == (0, 1, 2)
    assert signal.target == "#save"
    assert signal.at_ms == tl.events[2].t
    assert signal.anchor == 0
    assert 0.5 <= signal.score <= 1.0


def double_clicks_down_a_list(tl, effect):
    """Opening files with a double-click each, rows 24 px apart, then one more click: five
    clicks, each under a second and under 30 px from the last, so they chain."""
    for i in range(2):
        row, name, y = f"tr.file:nth-child({i + 1})", f"report-{i}.pdf", 100 + 24 * i
        tl.click(row, dt=600 if i else 0, text=name, role="row", y=y, effect=effect)
        tl.click(row, dt=110, text=name, role="row", y=y + 1, effect=effect)
    tl.click("tr.file:nth-child(2)", dt=700, text="report-1.pdf", role="row", y=126, effect=effect)
    return tl


def test_fast_double_clicks_are_not_rage(tl):
    assert fire(double_clicks_down_a_list(tl, "dom")) == []


def test_the_same_clicks_unanswered_would_be_rage(tl):
    [signal] = fire(double_clicks_down_a_list(tl, "none"))  # the shape chains: only the
    assert signal.evidence == (0, 1, 2, 3, 4)  # page's answers keep it from firing


def test_checkboxes_down_a_list_are_not_rage(tl):
    for i in range(6):
        tl.click(
            f"tr:nth-child({i}) input",
            dt=300,
            text=f"row {i}",
            role="checkbox",
            x=50,
            y=200 + 24 * i,
            effect="dom",
        )
    assert fire(tl) == []


def test_game_clicks_answered_every_time_are_not_rage(tl):
    for i in range(15):
        tl.click("div.board", dt=180, x=300 + (i % 3) * 20, y=300, effect="dom", role="")
    assert fire(tl) == []


def test_canvas_clicks_are_not_judged(tl):
    for _ in range(10):
        tl.click("main canvas#game", dt=200, role="", text="", effect="none")
    assert fire(tl) == []


def test_carousel_next_answered_each_time_is_not_rage(tl):
    for _ in range(6):
        tl.click("button.carousel-next", dt=400, text="Next", effect="dom")
    assert fire(tl) == []


def test_triple_click_text_selection_is_not_rage(tl):
    tl.click("p", role="", text="").click("p", dt=150, role="", text="", selection_changed=True)
    tl.click("p", dt=150, role="", text="", selection_changed=True)
    assert fire(tl) == []


def test_clicks_in_a_text_field_are_not_rage(tl):
    for _ in range(4):
        tl.click("input#email", dt=200, role="textbox", text="")
    assert fire(tl) == []


def test_a_few_misses_in_a_long_answered_run_do_not_fire(tl):
    for i in range(12):
        tl.click("#pad", dt=200, effect="none" if i in (4, 5) else "dom")
    assert fire(tl) == []


def test_different_targets_on_one_spot_chain(tl):
    tl.click("button#sync svg", role="", text="", x=100, y=100)
    tl.click("button#sync span", dt=200, role="", text="Sync", x=110, y=104)
    tl.click("button#sync", dt=200, text="Sync", x=104, y=98)
    [signal] = fire(tl)
    assert len(signal.evidence) == 3


def test_different_targets_far_apart_do_not_chain(tl):
    tl.click("#a", text="A", x=100).click("#b", dt=200, text="B", x=160)
    tl.click("#c", dt=200, text="C", x=220)
    assert fire(tl) == []


def test_same_target_beyond_radius_breaks_the_chain(tl):
    tl.click(x=100).click(dt=200, x=300).click(dt=200, x=500)
    assert fire(tl) == []


def test_rerendered_button_with_same_text_is_the_same_target(tl):
    tl.click("div.css-1 > button", text="Retry").click("div.css-2 > button", dt=200, text="Retry")
    tl.click("div.css-3 > button", dt=200, text="Retry")
    assert len(fire(tl)) == 1


def test_keyboard_clicks_without_coordinates(tl):
    for i in range(4):
        tl.click(dt=200 if i else 0, x=None, y=None)
    assert len(fire(tl)) == 1


def test_a_navigation_ends_the_chain(tl):
    tl.click().click(dt=200).nav("/a", "/b", dt=100).click(dt=100)
    assert fire(tl) == []


def test_gap_and_count_come_from_settings(tl):
    tl.click().click(dt=1_200).click(dt=1_200)
    assert fire(tl) == []
    assert len(fire(tl, StruggleSettings(rage_max_gap_ms=1_500))) == 1
    assert fire(tl, StruggleSettings(rage_max_gap_ms=1_500, rage_min_clicks=4)) == []


def test_radius_comes_from_settings(tl):
    tl.click(x=100).click(dt=200, x=160).click(dt=200, x=220)
    assert len(fire(tl)) == 1
    assert fire(tl, StruggleSettings(rage_same_target_radius_px=50)) == []


def test_unanswered_minimum_comes_from_settings(tl):
    tl.click(effect="dom").click(dt=200, effect="dom").click(dt=200).click(dt=200)
    assert len(fire(tl)) == 1
    assert fire(tl, StruggleSettings(rage_min_unanswered=3)) == []


def test_growing_chain_is_reported_once(tl, feed):
    for i in range(8):
        tl.click(dt=200 if i else 0)
    signals = [s for s in feed(tl.events) if s.kind is SignalKind.RAGE_CLICK]
    assert len(signals) == 1
    assert signals[0].evidence == (0, 1, 2)  # as first seen


def test_two_separate_bursts_are_two_signals(tl, feed):
    tl.click().click(dt=200).click(dt=200)
    tl.click(dt=5_000).click(dt=200).click(dt=200)
    assert len(detect(tl.input(), DEFAULT_SETTINGS)) == 2
    assert len([s for s in feed(tl.events) if s.kind is SignalKind.RAGE_CLICK]) == 2
