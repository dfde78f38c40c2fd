"""The nudge policy: from struggle signals to at most one nudge at a time.

Pure and clock-injected. A nudge interrupts someone who is already having a bad moment, so
the policy errs on the side of silence: cooldowns per session and per page (any kind), a
cap per session, never while the user is typing in the widget, never again for a kind the
user dismissed on that page, and only one nudge on screen at a time.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .signals import Signal, SignalKind

# Hesitation scores 0.4 at its threshold (struggle/hesitation.py): idle time with an error on
# screen is worth a nudge. Explicit (opened, closed, asked nothing) is soft at 0.3 and meets
# its own bar. A quick back (navigation_loop, 0.4) stays below 0.5 on purpose.
MIN_SCORE: dict[str, float] = {kind.value: 0.5 for kind in SignalKind} | {
    "explicit": 0.3,
    "hesitation": 0.4,
}


class NudgeSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(True, description="Offer help proactively at all.")
    session_cooldown_ms: int = Field(
        45_000, ge=0, description="Least time between two nudges in one session."
    )
    page_cooldown_ms: int = Field(
        180_000, ge=0, description="Least time between two nudges on one page, of any kind."
    )
    max_per_session: int = Field(3, ge=0, description="Nudges one session can get at most.")
    typing_quiet_ms: int = Field(
        4_000, ge=0, description="No nudge while the user typed in the widget this recently."
    )
    outstanding_ms: int = Field(
        30_000,
        ge=0,
        description="A nudge still on screen blocks the next one for at most this long.",
    )
    min_score: dict[str, float] = Field(
        default_factory=lambda: dict(MIN_SCORE),
        description="Least signal score that may nudge, per signal kind; kinds not given keep "
        "their default.",
    )

    @field_validator("min_score", mode="before")
    @classmethod
    def _over_defaults(cls, value: object) -> object:
        # `min_score = {hesitation = 0.6}` in a file must not drop the other kinds to 0.5.
        if not isinstance(value, dict):
            return value
        unknown = set(value) - set(MIN_SCORE)
        if unknown:
            raise ValueError(f"unknown signal kinds {sorted(unknown)}")
        return MIN_SCORE | value


class Verdict(enum.StrEnum):
    NUDGE = "nudge"
    DISABLED = "disabled"
    WEAK = "weak_signal"
    CAP = "session_cap"
    SESSION_COOLDOWN = "session_cooldown"
    PAGE_COOLDOWN = "page_cooldown"
    TYPING = "typing"
    DISMISSED = "dismissed_before"
    OUTSTANDING = "nudge_on_screen"
    PANEL_OPEN = "panel_open"


@dataclass(slots=True)
class NudgeState:
    """What one session's policy remembers; small, created on the first signal."""

    count: int = 0
    last_at: int | None = None
    last_typing_at: int | None = None
    panel_open: bool = False
    outstanding_since: int | None = None
    by_page: dict[str, int] | None = None  # path -> last nudge time there
    dismissed: set[tuple[str, str]] | None = None  # (kind, path)

    def restore(self, count: int, dismissed: Iterable[tuple[str, str]]) -> None:
        """What outlives the process: the nudges a session already had and the kinds it
        dismissed where (read back from the stored nudges after a restart or an eviction)."""
        self.count = max(self.count, count)
        kept = set(dismissed)
        if kept:
            self.dismissed = (self.dismissed or set()) | kept


class NudgePolicy:
    def __init__(self, settings: NudgeSettings | None = None) -> None:
        self.settings = settings or NudgeSettings()

    def decide(self, state: NudgeState, signal: Signal, now_ms: int) -> Verdict:
        s = self.settings
        key = (signal.kind.value, signal.page_path)
        if not s.enabled:
            return Verdict.DISABLED
        if signal.score < s.min_score.get(signal.kind.value, 0.5):
            return Verdict.WEAK
        if state.dismissed and key in state.dismissed:
            return Verdict.DISMISSED
        if state.count >= s.max_per_session:
            return Verdict.CAP
        if state.panel_open:
            return Verdict.PANEL_OPEN  # they are already talking to us
        if state.last_typing_at is not None and now_ms - state.last_typing_at < s.typing_quiet_ms:
            return Verdict.TYPING
        if (
            state.outstanding_since is not None
            and now_ms - state.outstanding_since < s.outstanding_ms
        ):
            return Verdict.OUTSTANDING
        if state.last_at is not None and now_ms - state.last_at < s.session_cooldown_ms:
            return Verdict.SESSION_COOLDOWN
        # Per page, not per kind: a second kind of trouble on the same page is usually the
        # same trouble, and the user has just seen help there.
        last_here = (state.by_page or {}).get(signal.page_path)
        if last_here is not None and now_ms - last_here < s.page_cooldown_ms:
            return Verdict.PAGE_COOLDOWN
        return Verdict.NUDGE

    @staticmethod
    def shown(state: NudgeState, signal: Signal, now_ms: int) -> None:
        state.count += 1
        state.last_at = now_ms
        state.outstanding_since = now_ms
        if state.by_page is None:
            state.by_page = {}
        state.by_page[signal.page_path] = now_ms
        if len(state.by_page) > 16:  # bounded: forget the oldest page
            oldest = min(state.by_page, key=state.by_page.__getitem__)
            del state.by_page[oldest]

    @staticmethod
    def resolved(state: NudgeState, kind: str, path: str, dismissed: bool) -> None:
        state.outstanding_since = None
        if dismissed:
            if state.dismissed is None:
                state.dismissed = set()
            state.dismissed.add((kind, path))

    @staticmethod
    def typing(state: NudgeState, now_ms: int) -> None:
        state.last_typing_at = now_ms
