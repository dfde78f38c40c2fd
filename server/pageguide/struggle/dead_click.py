"""dead_click: the user clicks, again, something that promises a response and gives none.

A dead click is a click on an interactive-looking target (an interactive ARIA role, or the
widget's `looks_interactive`) whose effect is "none" and which neither selected text nor
scrolled. One alone does not fire: downloads, clipboard copies, `target=_blank` links and slow
handlers all look dead once. The user trying the same target again within `dead_window_ms` is
the evidence we need (docs/struggle.md explains the choice of two).
"""

from __future__ import annotations

from pageguide.protocol import Event

from .events import (
    effect,
    flag,
    is_opaque,
    is_text_entry,
    looks_interactive,
    path_at,
    same_target,
    target_key,
)
from .settings import StruggleSettings
from .signals import DetectorInput, Signal, SignalKind

KIND = SignalKind.DEAD_CLICK


def is_dead(ev: Event, settings: StruggleSettings) -> bool:
    if ev.kind != "click" or effect(ev) != "none":
        return False
    if flag(ev, "selection_changed") or flag(ev, "scrolled"):
        return False
    # The browser answers these outside the page: a new tab, a download.
    if flag(ev, "opens_new_tab") or flag(ev, "download"):
        return False
    if is_text_entry(ev, settings) or is_opaque(ev, settings):
        return False
    return looks_interactive(ev, settings)


def detect(inp: DetectorInput, settings: StruggleSettings) -> list[Signal]:
    # Greedy clusters per target, opened by a dead click and holding the later dead clicks on
    # that target within `dead_window_ms` of it; the opening click anchors the episode.
    clusters: list[list[int]] = []
    for pos, ev in enumerate(inp.events):
        if not is_dead(ev, settings):
            continue
        for cluster in clusters:
            first = inp.events[cluster[0]]
            if same_target(first, ev) and ev.t - first.t <= settings.dead_window_ms:
                cluster.append(pos)
                break
        else:
            clusters.append([pos])
    return [_signal(c, inp, settings) for c in clusters if len(c) >= settings.dead_min_clicks]


def _signal(cluster: list[int], inp: DetectorInput, settings: StruggleSettings) -> Signal:
    clicks = [inp.events[pos] for pos in cluster]
    first = clicks[0]
    both = (
        flag(first, "looks_interactive")
        and first.target is not None
        and (first.target.role in settings.interactive_roles)
    )
    score = min(0.9, 0.5 + 0.15 * (len(clicks) - settings.dead_min_clicks) + 0.1 * both)
    target = target_key(first)
    return Signal(
        kind=KIND,
        score=round(score, 3),
        evidence=tuple(inp.index(pos) for pos in cluster),
        target=target,
        page_path=path_at(inp.events, cluster[0], inp.page_path),
        at_ms=clicks[settings.dead_min_clicks - 1].t,
        reason="repeated_dead_click",
        summary=f"{len(clicks)} clicks on {target or 'an element'} that looks clickable "
        "but did nothing",
        anchor=inp.index(cluster[0]),
    )
