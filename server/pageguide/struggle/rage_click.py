"""rage_click: a quick chain of clicks on one spot that the page does not answer.

Chaining follows the two reference implementations (see docs/struggle.md): clicks at most
`rage_max_gap_ms` apart, on the same target within `rage_same_target_radius_px` (Datadog), or on
any target within `rage_any_target_radius_px` Manhattan (posthog-js). What is ours is the
effect test: a chain fires only when enough of its clicks had no visible effect. Carousels,
steppers, games and checkbox lists answer every click; a stuck button does not.
"""

from __future__ import annotations

from pageguide.protocol import Event

from .events import (
    ANSWERED_EFFECTS,
    effect,
    euclid,
    flag,
    is_opaque,
    is_text_entry,
    manhattan,
    path_at,
    same_target,
    target_key,
)
from .settings import StruggleSettings
from .signals import DetectorInput, Signal, SignalKind

KIND = SignalKind.RAGE_CLICK


def _chainable(ev: Event, settings: StruggleSettings) -> bool:
    # Repeated clicks in text select words and lines; on a canvas we cannot see the answer.
    return not (is_text_entry(ev, settings) or is_opaque(ev, settings))


def _continues(prev: Event, ev: Event, settings: StruggleSettings) -> bool:
    if not 0 <= ev.t - prev.t <= settings.rage_max_gap_ms:
        return False
    if same_target(prev, ev):
        distance = euclid(prev, ev)
        return distance is None or distance <= settings.rage_same_target_radius_px
    distance = manhattan(prev, ev)
    return distance is not None and distance < settings.rage_any_target_radius_px


def _unanswered(ev: Event) -> bool:
    # Selecting text or scrolling is a visible answer too (Datadog drops such chains).
    if flag(ev, "selection_changed") or flag(ev, "scrolled"):
        return False
    return effect(ev) not in ANSWERED_EFFECTS


def _fires_at(chain: list[int], inp: DetectorInput, settings: StruggleSettings) -> int | None:
    """Position within `chain` at which it first qualified, if it did."""
    unanswered = 0
    for n, pos in enumerate(chain, start=1):
        unanswered += _unanswered(inp.events[pos])
        if (
            n >= settings.rage_min_clicks
            and unanswered >= settings.rage_min_unanswered
            and unanswered >= settings.rage_min_unanswered_ratio * n
        ):
            return n - 1
    return None


def _signal(chain: list[int], inp: DetectorInput, settings: StruggleSettings) -> Signal | None:
    at = _fires_at(chain, inp, settings)
    if at is None:
        return None
    clicks = [inp.events[pos] for pos in chain]
    unanswered = sum(_unanswered(ev) for ev in clicks)
    ratio = unanswered / len(clicks)
    extra = len(clicks) - settings.rage_min_clicks
    score = min(1.0, 0.5 + 0.2 * ratio + 0.1 * extra)
    span = clicks[-1].t - clicks[0].t
    target = target_key(clicks[0])
    return Signal(
        kind=KIND,
        score=round(score, 3),
        evidence=tuple(inp.index(pos) for pos in chain),
        target=target,
        page_path=path_at(inp.events, chain[0], inp.page_path),
        at_ms=clicks[at].t,
        reason="unanswered_click_chain",
        summary=f"{len(clicks)} clicks in {span / 1000:.1f} s on {target or 'one spot'}, "
        f"{unanswered} without a visible effect",
        anchor=inp.index(chain[0]),
    )


def detect(inp: DetectorInput, settings: StruggleSettings) -> list[Signal]:
    chains: list[list[int]] = []
    chain: list[int] = []
    for pos, ev in enumerate(inp.events):
        if ev.kind == "navigate":
            chain = []
            continue
        if ev.kind != "click":
            continue
        if not _chainable(ev, settings):
            chain = []
        elif chain and _continues(inp.events[chain[-1]], ev, settings):
            chain.append(pos)
        else:
            chain = [pos]
            chains.append(chain)
    signals = (_signal(c, inp, settings) for c in chains if len(c) >= settings.rage_min_clicks)
    return [s for s in signals if s is not None]
