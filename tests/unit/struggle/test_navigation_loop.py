"""navigation_loop: page loops (back and forth) and quick backs."""

from __future__ import annotations

import itertools

from pageguide.struggle import DEFAULT_SETTINGS, SignalKind, StruggleSettings
from pageguide.struggle.navigation_loop import QUICK_BACK_SCORE, detect
from pageguide.struggle.policy import NudgePolicy, NudgeState, Verdict


def reasons(tl, settings=DEFAULT_SETTINGS):
    return sorted(s.reason for s in detect(tl.input(), settings))


def ping_pong(tl, dwell, hops=4, a="/settings/profile", b="/settings/account"):
    here, there = a, b
    for i in range(hops):
        tl.nav(here, there, dt=dwell if i else 0)
        here, there = there, here
    return tl


def test_back_and_forth_is_a_page_loop(tl):
    ping_pong(tl, 3_500)
    [signal] = detect(tl.input(), DEFAULT_SETTINGS)
    assert signal.kind is SignalKind.NAVIGATION_LOOP
    assert signal.reason == "page_loop"
    assert signal.target == "/settings/profile"
    assert signal.evidence == (0, 1, 2, 3)


def test_fast_back_and_forth_also_shows_quick_backs(tl):
    ping_pong(tl, 2_000)
    assert reasons(tl) == ["page_loop", "quick_back", "quick_back", "quick_back"]


def test_page_loop_window_comes_from_settings(tl):
    ping_pong(tl, 4_000)
    assert reasons(tl) == ["page_loop"]
    assert reasons(tl, StruggleSettings(page_loop_window_ms=10_000)) == []
    assert reasons(tl, StruggleSettings(page_loop_min_visits=4)) == []


def test_hub_and_spokes_is_browsing(tl):
    for n in (1, 2, 3):
        tl.nav("/inbox", f"/inbox/{n}", dt=1_000).nav(f"/inbox/{n}", "/inbox", dt=3_500)
    assert reasons(tl) == []


def test_quick_back_fires(tl):
    tl.nav("/dashboard", "/reports").nav("/reports", "/dashboard", dt=1_800, via="pop")
    [signal] = detect(tl.input(), DEFAULT_SETTINGS)
    assert signal.reason == "quick_back"
    assert signal.target == "/reports"
    assert signal.score < 0.5


def test_coming_back_after_reading_is_not_a_quick_back(tl):
    tl.nav("/dashboard", "/reports").nav("/reports", "/dashboard", dt=9_000)
    assert reasons(tl) == []
    assert reasons(tl, StruggleSettings(quick_back_max_ms=10_000)) == ["quick_back"]


def test_redirect_bounces_are_not_quick_backs(tl):
    tl.nav("/dashboard", "/billing").nav("/billing", "/login", dt=120)
    tl.nav("/login", "/billing", dt=200)
    assert reasons(tl) == []


def test_replaced_history_entries_are_not_quick_backs(tl):
    tl.nav("/a", "/b").nav("/b", "/a", dt=1_000, via="replace")
    assert reasons(tl) == []


def test_query_and_fragment_changes_are_not_navigations(tl):
    for page in (2, 1, 2, 1, 2):
        tl.nav("/orders?page=x", f"/orders?page={page}", dt=1_000)
    tl.nav("/docs#a", "/docs#b", dt=500).nav("/docs#b", "/docs#a", dt=500)
    assert reasons(tl) == []


def test_normal_navigation_does_not_fire(tl):
    pages = ["/dashboard", "/reports", "/reports/monthly", "/settings", "/team"]
    for src, dst in itertools.pairwise(pages):
        tl.nav(src, dst, dt=12_000)
    assert reasons(tl) == []


def test_a_long_loop_is_one_page_loop(tl, feed):
    ping_pong(tl, 3_500, hops=9)
    loops = [s for s in feed(tl.events) if s.reason == "page_loop"]
    assert [s.target for s in loops] == ["/settings/profile"]


def test_a_quick_back_alone_never_nudges_with_the_defaults_and_a_page_loop_does(tl):
    for i, (src, dst) in enumerate([("/x", "/y"), ("/y", "/x"), ("/x", "/y"), ("/y", "/x")]):
        tl.nav(src, dst, dt=2_000 if i else 0)
    found = {s.reason: s for s in detect(tl.input(), DEFAULT_SETTINGS)}
    assert found["quick_back"].score == QUICK_BACK_SCORE
    default = NudgePolicy()
    assert default.decide(NudgeState(), found["quick_back"], tl.t) is Verdict.WEAK
    assert default.decide(NudgeState(), found["page_loop"], tl.t) is Verdict.NUDGE
