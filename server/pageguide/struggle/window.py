"""Per-session rolling state: a bounded window of recent events and the signals already sent.

The detectors are stateless functions of a `DetectorInput`; run again on a grown window they
find the same episodes again. `StruggleWindow.evaluate` returns each episode once. It holds at
most `window_max_events` events (and none older than `window_retention_ms` before the newest)
plus a short memory of emitted signals, so ten thousand sessions fit in one process.

To make those slots last, `add` keeps only what a detector can use: it drops kinds no detector
reads (scroll), keeps only the last keystroke of a run of typing in one field, and drops a
validation message repeated within one attempt (live validation). Each kept event gets the
next session-wide index, so evidence indexes never shift.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from pageguide.protocol import Event

from . import hesitation
from .events import USER_ACTIONS, norm_message
from .registry import detect_all
from .settings import DEFAULT_SETTINGS, StruggleSettings
from .signals import DetectorInput, Signal, SignalKind

_MEMORY = 32  # emitted signals remembered per session; older episodes are out of the window
READ_KINDS = frozenset(
    {
        "click",
        "error",
        "http_error",
        "submit",
        "invalid",
        "input",
        "navigate",
        "visibility",
        "widget_open",
        "widget_close",
        "ask",
    }
)


class SignalDeduper:
    """Lets a signal through once per episode.

    Two signals are the same episode when kind and target match and they share the anchor or
    any evidence event (a window that dropped an episode's first event re-anchors it later).
    """

    __slots__ = ("_seen",)

    def __init__(self, memory: int = _MEMORY) -> None:
        self._seen: deque[tuple[str, str, int, frozenset[int]]] = deque(maxlen=memory)

    def fresh(self, signals: Iterable[Signal]) -> list[Signal]:
        out: list[Signal] = []
        for signal in signals:
            kind, target, anchor = signal.key
            # The reason is part of the episode: a weak quick-back must not swallow the
            # page loop that grows out of the same events.
            kind = f"{kind}/{signal.reason}"
            evidence = frozenset(signal.evidence)
            if any(
                k == kind and t == target and (a == anchor or not evidence.isdisjoint(e))
                for k, t, a, e in self._seen
            ):
                continue
            self._seen.append((kind, target, anchor, evidence))
            out.append(signal)
        return out


class StruggleWindow:
    """One session's struggle state. Not thread-safe; the session owns it."""

    __slots__ = (
        "_dedupe",
        "_events",
        "_first",
        "form_errors",
        "page_path",
        "page_since_ms",
        "settings",
    )

    def __init__(self, settings: StruggleSettings = DEFAULT_SETTINGS) -> None:
        self.settings = settings
        self._events: deque[Event] = deque()
        self._first = 0  # session-wide index of _events[0]
        self.page_path = ""
        self.form_errors: tuple[str, ...] = ()
        self.page_since_ms: int | None = None
        self._dedupe = SignalDeduper()

    def set_page(
        self, path: str, form_errors: Iterable[str] = (), at_ms: int | None = None
    ) -> None:
        """Record the page context the widget last sent (`at_ms` on the client clock)."""
        if path != self.page_path:
            self.page_since_ms = at_ms
        self.page_path = path
        self.form_errors = tuple(form_errors)

    def add(self, events: Iterable[Event]) -> None:
        for ev in events:
            if ev.kind not in READ_KINDS or self._repeats_invalid(ev):
                continue
            last = self._events[-1] if self._events else None
            if (
                ev.kind == "input"
                and last is not None
                and last.kind == "input"
                and (last.target == ev.target)
            ):
                self._events[-1] = ev  # the same slot, so the same index: typing goes on
                continue
            self._events.append(ev)
        self._prune()

    def _repeats_invalid(self, ev: Event) -> bool:
        """An `invalid` already seen since the user's last attempt adds nothing."""
        if ev.kind != "invalid":
            return False
        key = (ev.data.get("field"), norm_message(ev.data.get("message")))
        for old in reversed(self._events):
            if old.kind in USER_ACTIONS or old.kind == "navigate":
                return False
            if old.kind == "invalid" and (
                (old.data.get("field"), norm_message(old.data.get("message"))) == key
            ):
                return True
        return False

    def _prune(self) -> None:
        if not self._events:
            return
        horizon = self._events[-1].t - self.settings.window_retention_ms
        while self._events and (
            len(self._events) > self.settings.window_max_events or self._events[0].t < horizon
        ):
            self._events.popleft()
            self._first += 1

    def __len__(self) -> int:
        return len(self._events)

    def view(self, now_ms: int) -> DetectorInput:
        return DetectorInput(
            events=tuple(self._events),
            page_path=self.page_path,
            form_errors=self.form_errors,
            now_ms=now_ms,
            first_index=self._first,
            page_since_ms=self.page_since_ms,
        )

    def evidence(self, signal: Signal) -> list[Event]:
        """The evidence events of `signal` that are still in the window (for the handoff)."""
        end = self._first + len(self._events)
        return [self._events[i - self._first] for i in signal.evidence if self._first <= i < end]

    def evaluate(self, now_ms: int, kinds: Iterable[SignalKind] | None = None) -> list[Signal]:
        """Signals of episodes not reported before, oldest first (of `kinds`, if given: a
        timer only needs the detectors that idle time can fire)."""
        return self._dedupe.fresh(detect_all(self.view(now_ms), self.settings, kinds))

    def hesitation_due(self, now_ms: int) -> int | None:
        """When idle time alone fires a hesitation here (client clock), or None when it cannot:
        see `hesitation.due`."""
        if not self.form_errors and not any(
            e.kind in ("http_error", "error") for e in self._events
        ):
            return None
        return hesitation.due(self.view(now_ms), self.settings)
