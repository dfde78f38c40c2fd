"""navigation_loop: going round in circles between pages.

Two shapes, told apart by `reason`:
- page_loop: the same path visited `page_loop_min_visits` times within `page_loop_window_ms`
  (Conviva's page loop), going back and forth: some other page is also visited twice in
  between. A hub visited between different spokes (list, item 1, list, item 2, list) is
  browsing, not a loop.
- quick_back: leaving a page for another and coming straight back, between
  `quick_back_min_ms` (faster is a redirect) and `quick_back_max_ms` after landing.
Changes of query or fragment only (filters, tabs, pagination, anchors) are not navigations here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .events import norm_path
from .settings import StruggleSettings
from .signals import DetectorInput, Signal, SignalKind

KIND = SignalKind.NAVIGATION_LOOP
# A quick back alone is weak: often a wrong turn, and glancing at a page then going back
# satisfied looks the same. It scores below the policy's default least score (0.5) on
# purpose: it is stored (the friction report reads it) and counts as struggle for the
# handoff rules, but never nudges by itself. A page loop (0.7 and up) does.
QUICK_BACK_SCORE = 0.4


@dataclass(frozen=True, slots=True)
class _Visit:
    path: str
    t: int
    pos: int  # the navigate event that started (or, for the first page, ended) this visit
    via: str


def _visits(inp: DetectorInput) -> list[_Visit]:
    visits: list[_Visit] = []
    for pos, ev in enumerate(inp.events):
        if ev.kind != "navigate":
            continue
        src, dst = norm_path(ev.data.get("from")), norm_path(ev.data.get("to"))
        if not dst or src == dst:
            continue
        if src and (not visits or visits[-1].path != src):
            # We did not see the user arrive on `src`; it was visited at the latest now.
            visits.append(_Visit(src, ev.t, pos, "unseen"))
        visits.append(_Visit(dst, ev.t, pos, str(ev.data.get("via") or "")))
    return visits


def _page_loops(visits: list[_Visit], inp: DetectorInput, s: StruggleSettings) -> list[Signal]:
    signals: list[Signal] = []
    claimed: set[int] = set()  # visits inside a reported loop: going on is the same loop
    for j, visit in enumerate(visits):
        same = [
            i
            for i in range(j + 1)
            if visits[i].path == visit.path and visit.t - visits[i].t <= s.page_loop_window_ms
        ]
        if claimed.intersection(same):
            claimed.add(j)
            continue
        if len(same) < s.page_loop_min_visits:
            continue
        between = Counter(v.path for v in visits[same[0] + 1 : j] if v.path != visit.path)
        if not between or between.most_common(1)[0][1] < 2:
            continue  # hub and spokes: each other page seen once
        claimed.update(range(same[0], j + 1))
        loop = visits[same[0] : j + 1]
        signals.append(
            Signal(
                kind=KIND,
                score=round(min(1.0, 0.7 + 0.1 * (len(same) - s.page_loop_min_visits)), 3),
                evidence=tuple(sorted({inp.index(v.pos) for v in loop})),
                target=visit.path,
                page_path=inp.page_path,
                at_ms=visit.t,
                reason="page_loop",
                summary=f"{visit.path} visited {len(same)} times in "
                f"{(visit.t - visits[same[0]].t) / 1000:.0f} s, back and forth",
                anchor=inp.index(visits[same[0]].pos),
            )
        )
    return signals


def _quick_backs(visits: list[_Visit], inp: DetectorInput, s: StruggleSettings) -> list[Signal]:
    signals: list[Signal] = []
    for j in range(2, len(visits)):
        back, away, origin = visits[j], visits[j - 1], visits[j - 2]
        if back.path != origin.path or away.via == "unseen":
            continue
        if "replace" in (away.via, back.via):
            continue  # a redirect replaced the entry; the user did not choose it
        dwell = back.t - away.t
        if not s.quick_back_min_ms <= dwell <= s.quick_back_max_ms:
            continue
        signals.append(
            Signal(
                kind=KIND,
                score=QUICK_BACK_SCORE,
                evidence=(inp.index(away.pos), inp.index(back.pos)),
                target=away.path,
                page_path=inp.page_path,
                at_ms=back.t,
                reason="quick_back",
                summary=f"left {away.path} {dwell / 1000:.1f} s after landing, back to {back.path}",
                anchor=inp.index(away.pos),
            )
        )
    return signals


def detect(inp: DetectorInput, settings: StruggleSettings) -> list[Signal]:
    visits = _visits(inp)
    return _page_loops(visits, inp, settings) + _quick_backs(visits, inp, settings)
