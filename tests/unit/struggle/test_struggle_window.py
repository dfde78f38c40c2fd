"""The per-session window: bounded, compacted, and reporting each episode once; the registry."""

from __future__ import annotations

import ast
from pathlib import Path

import pageguide.struggle as struggle
from pageguide.protocol import Event
from pageguide.struggle import (
    DETECTORS,
    Signal,
    SignalDeduper,
    SignalKind,
    StruggleSettings,
    StruggleWindow,
    detect_all,
)

PACKAGE = Path(struggle.__file__).parent


def signal(anchor: int, evidence: tuple[int, ...], target: str = "#save") -> Signal:
    return Signal(
        kind=SignalKind.RAGE_CLICK,
        score=0.7,
        evidence=evidence,
        target=target,
        page_path="/p",
        at_ms=0,
        reason="r",
        summary="s",
        anchor=anchor,
    )


def test_deduper_lets_each_episode_through_once():
    dedupe = SignalDeduper()
    assert dedupe.fresh([signal(0, (0, 1, 2))]) == [signal(0, (0, 1, 2))]
    assert dedupe.fresh([signal(0, (0, 1, 2, 3))]) == []  # same anchor, grown
    assert dedupe.fresh([signal(1, (1, 2, 3))]) == []  # re-anchored, overlapping
    assert len(dedupe.fresh([signal(9, (9, 10, 11))])) == 1  # a new burst
    assert len(dedupe.fresh([signal(0, (0, 1, 2), target="#other")])) == 1


def test_one_registered_detector_per_kind():
    assert sorted(d.kind.value for d in DETECTORS) == sorted(k.value for k in SignalKind)


def test_detect_all_orders_by_time_and_filters_kinds(tl):
    tl.ev("widget_open").ev("widget_close", 2_000)
    tl.click(dt=1_000).click(dt=200).click(dt=200)
    signals = detect_all(tl.input())
    assert [s.kind for s in signals] == [
        SignalKind.EXPLICIT,
        SignalKind.DEAD_CLICK,
        SignalKind.RAGE_CLICK,
    ]
    assert [s.kind for s in detect_all(tl.input(), kinds=[SignalKind.EXPLICIT])] == [
        SignalKind.EXPLICIT
    ]


def test_window_is_bounded_and_indexes_stay_stable(tl):
    settings = StruggleSettings(window_max_events=10)
    window = StruggleWindow(settings)
    for i in range(25):
        tl.click(f"#b{i}", dt=3_000, text=f"b{i}", effect="dom")
    window.add(tl.events)
    assert len(window) == 10
    view = window.view(tl.t)
    assert view.first_index == 15
    assert view.events[0] is tl.events[15]


def test_window_drops_events_older_than_retention(tl):
    window = StruggleWindow(StruggleSettings(window_retention_ms=10_000))
    tl.click(effect="dom").click(dt=5_000, effect="dom").click(dt=8_000, effect="dom")
    window.add(tl.events)
    assert len(window) == 2
    assert window.view(tl.t).first_index == 1


def test_window_compacts_scrolls_typing_and_repeated_live_validation(tl):
    tl.ev("scroll").typing(keys=40)
    for _ in range(5):
        tl.ev("invalid", 10, message="Bad email", field="email").typing(keys=1)
    window = StruggleWindow()
    window.add(tl.events)
    assert [e.kind for e in window.view(tl.t).events] == ["input", "invalid", "input"]
    assert window.view(tl.t).events[-1] is tl.events[-1]


def test_error_loop_survives_long_typing_between_attempts(tl, feed):
    for _ in range(2):
        tl.typing("textarea#bio", dt=2_000, keys=300)
        tl.click("#submit", dt=500, text="Submit", effect="dom")
        tl.ev("invalid", 20, message="Bio is too long.", field="bio")
    assert [s.kind for s in feed(tl.events)] == [SignalKind.ERROR_LOOP]


def test_idle_episode_fires_once_across_timer_ticks(tl):
    window = StruggleWindow()
    window.set_page("/pay", ["Card number is incomplete."], tl.t)
    tl.click("#pay", effect="dom")
    window.add(tl.events)
    ticks = [window.evaluate(tl.t + ms) for ms in range(5_000, 60_000, 5_000)]
    assert [len(t) for t in ticks].count(1) == 1 and sum(len(t) for t in ticks) == 1
    tl.typing(dt=61_000)
    window.add(tl.events[-1:])
    assert len(window.evaluate(tl.t + 25_000)) == 1  # a new stretch of idleness


def test_evidence_resolves_to_events(tl):
    tl.click().click(dt=200).click(dt=200)
    window = StruggleWindow()
    window.add(tl.events)
    rage = next(s for s in window.evaluate(tl.t) if s.kind is SignalKind.RAGE_CLICK)
    assert window.evidence(rage) == tl.events


def test_new_page_records_when_it_arrived():
    window = StruggleWindow()
    window.set_page("/a", [], 1_000)
    window.set_page("/a", ["error"], 5_000)  # same page, new errors: still there since 1000
    assert window.page_since_ms == 1_000
    window.set_page("/b", [], 9_000)
    assert window.page_since_ms == 9_000


def test_the_package_does_no_io():
    forbidden = {"asyncio", "socket", "sqlalchemy", "starlette", "httpx", "os", "pathlib", "io"}
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module.split(".")[0]]
            assert not forbidden.intersection(names), f"{path.name} imports {names}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"open", "print", "input"}, path.name


def test_events_are_pydantic_protocol_events():
    assert Event.model_fields.keys() >= {"kind", "t", "target", "x", "y", "data"}
