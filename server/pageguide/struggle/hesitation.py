"""hesitation: the user stops, stuck, where something went wrong.

Fires once `hesitation_idle_ms` pass without activity (click, input, submit, navigation, or
opening the assistant; scrolling around does not count) while the page shows form errors, or
after a failed action on this page: a failed request the user sent, or an uncaught error right
after a click. A server timer calls the detectors with `now_ms` past the threshold.

It stays quiet while the tab is hidden (the user is elsewhere) and while the assistant is open
(help is already in front of them). The idle start anchors the episode, so each stretch of
idleness fires once.
"""

from __future__ import annotations

from dataclasses import dataclass

from .events import (
    ACTIVITY_KINDS,
    current_page_start,
    error_after_action,
    failed_request_action,
    request_key,
)
from .settings import StruggleSettings
from .signals import DetectorInput, Signal, SignalKind

KIND = SignalKind.HESITATION


@dataclass(frozen=True, slots=True)
class _Idle:
    since: int | None  # when the current idle stretch began, if it has
    last_activity: int | None  # position of the latest activity on this page
    failure: int | None  # position of a failed action with no activity after it
    quiet: bool  # the tab is hidden or the assistant is open: nothing to say now


def _idle(inp: DetectorInput, settings: StruggleSettings) -> _Idle:
    events = inp.events
    idle_from = inp.page_since_ms
    last_activity: int | None = None
    failure: int | None = None
    widget_open = False
    hidden = False
    for pos in range(current_page_start(events), len(events)):
        ev = events[pos]
        if ev.kind in ACTIVITY_KINDS:
            last_activity, failure = pos, None
            idle_from = ev.t if idle_from is None else max(idle_from, ev.t)
        if ev.kind in ("widget_open", "widget_close"):
            widget_open = ev.kind == "widget_open"
        elif ev.kind == "visibility":
            hidden = ev.data.get("state") == "hidden"
            if not hidden:
                idle_from = ev.t  # the idle clock restarts when the user comes back
        elif ev.kind == "http_error" and failed_request_action(events, pos, settings) is not None:
            failure = pos
        elif ev.kind == "error" and error_after_action(events, pos, settings) is not None:
            failure = pos
    if failure is not None and idle_from is not None:
        idle_from = max(idle_from, events[failure].t)
    return _Idle(idle_from, last_activity, failure, widget_open or hidden)


def pending(inp: DetectorInput, settings: StruggleSettings) -> bool:
    """Whether idle time alone could still fire here: form errors or a failed action on screen,
    the tab visible and the assistant closed. A server needs a timer only while this holds."""
    return due(inp, settings) is not None


def due(inp: DetectorInput, settings: StruggleSettings) -> int | None:
    """When (client clock) the current idle stretch reaches the threshold, if `pending` holds:
    a server schedules its check for that moment instead of polling."""
    state = _idle(inp, settings)
    if state.quiet or state.since is None:
        return None
    if state.failure is None and not inp.form_errors:
        return None
    return state.since + settings.hesitation_idle_ms


def detect(inp: DetectorInput, settings: StruggleSettings) -> list[Signal]:
    events = inp.events
    state = _idle(inp, settings)
    failure, last_activity, idle_from = state.failure, state.last_activity, state.since
    if state.quiet or idle_from is None:
        return []
    if failure is None and not inp.form_errors:
        return []
    if inp.now_ms - idle_from < settings.hesitation_idle_ms:
        return []

    evidence = tuple(inp.index(p) for p in (last_activity, failure) if p is not None)
    if failure is not None:
        ev = events[failure]
        what = request_key(ev) if ev.kind == "http_error" else str(ev.data.get("message", ""))
        reason, target = "idle_after_failure", what
        summary = f"idle {(inp.now_ms - idle_from) / 1000:.0f} s after a failure: {what[:120]}"
    else:
        reason, target = "idle_with_form_errors", inp.page_path
        summary = (
            f"idle {(inp.now_ms - idle_from) / 1000:.0f} s with form errors showing: "
            f"{'; '.join(inp.form_errors)[:160]}"
        )
    idle = inp.now_ms - idle_from
    return [
        Signal(
            kind=KIND,
            score=round(min(0.8, 0.4 + 0.1 * (idle // settings.hesitation_idle_ms - 1)), 3),
            evidence=tuple(sorted(set(evidence))),
            target=target,
            page_path=inp.page_path,
            at_ms=idle_from + settings.hesitation_idle_ms,
            reason=reason,
            summary=summary,
            anchor=idle_from,
        )
    ]
