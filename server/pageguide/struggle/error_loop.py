"""error_loop: the user tries again and hits the same wall, or a click breaks the page.

Three shapes, told apart by `reason`:
- repeated_invalid: the same validation message on the same field after two separate attempts
  (a click or submit between them). Live validation that repeats the message on every keystroke
  is one attempt, not a loop.
- repeated_request: the same failed request (method, path, status) after two separate attempts,
  each request the user's own (see `events.failed_request_action`); polling is not a loop.
- error_after_action: an uncaught error within `error_after_action_ms` of a click or submit,
  minus browser noise (ResizeObserver, opaque "Script error.", extensions).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .events import (
    USER_ACTIONS,
    error_after_action,
    failed_request_action,
    norm_message,
    path_at,
    request_key,
    target_key,
)
from .settings import StruggleSettings
from .signals import DetectorInput, Signal, SignalKind

KIND = SignalKind.ERROR_LOOP


@dataclass(slots=True)
class _Run:
    """Occurrences of one error key, each from a distinct attempt."""

    reason: str
    key: str
    positions: list[int] = field(default_factory=list)
    attempts: list[int] = field(default_factory=list)


def _users(inp: DetectorInput, pos: int, settings: StruggleSettings) -> bool:
    return failed_request_action(inp.events, pos, settings) is not None


def _runs(inp: DetectorInput, settings: StruggleSettings) -> list[_Run]:
    runs: list[_Run] = []
    open_runs: dict[str, _Run] = {}
    attempt = 0
    for pos, ev in enumerate(inp.events):
        if ev.kind in USER_ACTIONS:
            attempt += 1
            continue
        if ev.kind == "invalid":
            field_name = str(ev.data.get("field") or "")
            key = f"{field_name}|{norm_message(ev.data.get('message'))}"
            reason = "repeated_invalid"
        elif ev.kind == "http_error" and _users(inp, pos, settings):
            key = request_key(ev)
            reason = "repeated_request"
        else:
            continue
        run = open_runs.get(f"{reason}|{key}")
        if run and ev.t - inp.events[run.positions[0]].t > settings.error_repeat_window_ms:
            run = None
        if run is None:
            run = _Run(reason, key)
            open_runs[f"{reason}|{key}"] = run
            runs.append(run)
        elif run.attempts[-1] == attempt:
            continue  # the same attempt reporting the same error again
        run.positions.append(pos)
        run.attempts.append(attempt)
    return runs


def _repeat_signal(run: _Run, inp: DetectorInput, settings: StruggleSettings) -> Signal:
    n = len(run.positions)
    first = inp.events[run.positions[0]]
    if run.reason == "repeated_invalid":
        message = str(first.data.get("message", ""))
        where = str(first.data.get("field") or "")
        target = where or message
        summary = f"the same validation error {n} times: {message!r}"
    else:
        target = run.key
        summary = f"the same request failed {n} times: {run.key}"
    return Signal(
        kind=KIND,
        score=round(min(1.0, 0.6 + 0.15 * (n - settings.error_repeat_min)), 3),
        evidence=tuple(inp.index(pos) for pos in run.positions),
        target=target,
        page_path=path_at(inp.events, run.positions[0], inp.page_path),
        at_ms=inp.events[run.positions[settings.error_repeat_min - 1]].t,
        reason=run.reason,
        summary=summary,
        anchor=inp.index(run.positions[0]),
    )


def detect(inp: DetectorInput, settings: StruggleSettings) -> list[Signal]:
    signals = [
        _repeat_signal(run, inp, settings)
        for run in _runs(inp, settings)
        if len(run.positions) >= settings.error_repeat_min
    ]
    for pos, ev in enumerate(inp.events):
        action = error_after_action(inp.events, pos, settings)
        if action is None:
            continue
        clicked = inp.events[action]
        message = str(ev.data.get("message", ""))
        signals.append(
            Signal(
                kind=KIND,
                score=0.6,
                evidence=(inp.index(action), inp.index(pos)),
                target=target_key(clicked) or clicked.kind,
                page_path=path_at(inp.events, pos, inp.page_path),
                at_ms=ev.t,
                reason="error_after_action",
                summary=f"an error right after a {clicked.kind}: {message[:120]!r}",
                anchor=inp.index(pos),
            )
        )
    return signals
