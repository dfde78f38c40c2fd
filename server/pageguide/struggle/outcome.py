"""Did a nudge help? Reads what the user does after one as the struggle stopping, or not.

Pure and on the client's clock, like the detectors: the server feeds a `FollowUp` the events
and page frames that arrive after a nudge and stores `succeeded` when it says so. The rule, in
docs/struggle.md ("Outcomes"):

- After an error nudge (error_loop, hesitation), the errors must be gone and the failed action
  must have gone through: the page reports no form errors any more with no failure since, or
  an attempt (a submit, or a click that sent a request) is followed by nothing failing, for
  `SETTLE_MS` or until the page changes.
- After a click nudge (rage_click, dead_click), the user goes on to an action the page answers
  (a submit, a click with a visible effect, a navigation or a request) that nothing failing
  follows, for `SETTLE_MS` or until the page changes. Leaving or reloading the page without
  one is not success: the control still does nothing. After an explicit nudge, such an action
  or another page; after a navigation loop, a page outside the loop.
- Leaving with form errors or a failure still on screen is not success, and neither is the
  same family of signal coming back on that page. Nothing counts after `WINDOW_MS`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from pageguide.protocol import Event

from .events import effect, is_noise_error, norm_path
from .settings import StruggleSettings
from .signals import Signal, SignalKind

WINDOW_MS = 120_000  # later than two minutes, a fix is not the nudge's doing
SETTLE_MS = 5_000  # an attempt with no failure this long after it went through
# Reasons whose failure is a request or a script error, not form errors on screen.
FAILURE_REASONS = frozenset({"repeated_request", "error_after_action", "idle_after_failure"})
FORM_REASONS = frozenset({"repeated_invalid", "idle_with_form_errors"})
_FAMILY = {
    SignalKind.ERROR_LOOP: "error",
    SignalKind.HESITATION: "error",
    SignalKind.RAGE_CLICK: "click",
    SignalKind.DEAD_CLICK: "click",
    SignalKind.NAVIGATION_LOOP: "navigation",
    SignalKind.EXPLICIT: "explicit",
}


class Outcome(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def family(kind: SignalKind) -> str:
    return _FAMILY[kind]


@dataclass(slots=True)
class FollowUp:
    """One nudge's aftermath. `at` is the nudge's time on the client clock."""

    kind: SignalKind
    path: str
    at: int
    loop_pages: frozenset[str] = frozenset()
    errors_on_screen: bool = False
    failing: bool = False
    attempt_at: int | None = None  # the latest attempt after the latest failure
    away: bool = False  # on another page (an SPA's navigate can come before its page frame)

    @classmethod
    def start(
        cls, signal: Signal, at: int, form_errors: Iterable[str], loop_pages: Iterable[str] = ()
    ) -> FollowUp:
        return cls(
            kind=signal.kind,
            path=signal.page_path,
            at=at,
            loop_pages=frozenset(loop_pages),
            errors_on_screen=bool(tuple(form_errors)) or signal.reason in FORM_REASONS,
            failing=signal.reason in FAILURE_REASONS,
        )

    @property
    def family(self) -> str:
        return _FAMILY[self.kind]

    def event(self, ev: Event, settings: StruggleSettings) -> None:
        if ev.t < self.at:
            return
        if ev.kind == "navigate":
            self.away = norm_path(ev.data.get("to")) != self.path
        elif self.away:
            return  # another page's errors say nothing about this one
        elif ev.kind == "invalid":
            self.errors_on_screen, self.attempt_at = True, None
        elif ev.kind == "http_error" or (ev.kind == "error" and not is_noise_error(ev, settings)):
            self.failing, self.attempt_at = True, None
        elif ev.kind == "submit" or (ev.kind == "click" and self._attempt(ev)):
            self.attempt_at = ev.t

    def _attempt(self, click: Event) -> bool:
        done = effect(click)
        if done == "request":
            return True  # sent something again; a failure would follow as http_error
        # Opening a menu does not fix an error; after a click nudge any answered click is
        # the page working for the user again.
        return done in ("dom", "navigation") and self.family != "error"

    def _stuck(self) -> bool:
        """Errors or a failure still on screen, with no attempt since."""
        return (self.errors_on_screen or self.failing) and self.attempt_at is None

    def page(self, path: str, form_errors: Iterable[str], now: int) -> Outcome:
        """A page frame: the same page with its current form errors, or another page."""
        if now - self.at > WINDOW_MS:
            return Outcome.FAILED
        errors = bool(tuple(form_errors))
        if path == self.path:
            self.away = False
            had = self.errors_on_screen
            self.errors_on_screen = errors
            if errors:
                self.attempt_at = None  # the attempt did not clear them
            elif had and not self.failing and self.family == "error":
                return Outcome.SUCCEEDED  # the errors went away
            return self.check(now)  # a reload clearing the form fixes no dead button
        if self.family == "navigation" and path in self.loop_pages:
            return Outcome.PENDING  # still going round
        if self.family == "click":
            # Only an answered action (a link or button that navigated counts) says the page
            # works for them again; a bare page change is going elsewhere.
            return Outcome.SUCCEEDED if self.attempt_at is not None else Outcome.FAILED
        return Outcome.FAILED if self._stuck() else Outcome.SUCCEEDED

    def check(self, now: int) -> Outcome:
        """On the nudged page, after an events frame: has an attempt settled?"""
        if now - self.at > WINDOW_MS:
            return Outcome.FAILED
        if self.attempt_at is not None and now - self.attempt_at >= SETTLE_MS:
            return Outcome.SUCCEEDED
        return Outcome.PENDING

    def recurred(self, signal: Signal) -> bool:
        """The same family of struggle on the same page, after the nudge."""
        return (
            signal.page_path == self.path
            and _FAMILY[signal.kind] == self.family
            and signal.at_ms > self.at
        )
