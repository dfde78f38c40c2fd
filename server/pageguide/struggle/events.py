"""Small readings of widget events that several detectors share.

The widget contract these rely on is written down in `docs/struggle.md` ("What the widget
reports"). Missing fields are read conservatively: an unknown click effect is not "answered",
an unknown role is not interactive.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import urlsplit

from pageguide.protocol import Event

from .settings import StruggleSettings

ANSWERED_EFFECTS = frozenset({"dom", "navigation"})
USER_ACTIONS = frozenset({"click", "submit"})
# What resets the idle clock: the user doing something to the page or with the assistant.
ACTIVITY_KINDS = frozenset(
    {"click", "input", "submit", "navigate", "ask", "widget_open", "widget_close"}
)

_SPACES = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")


def effect(ev: Event) -> str | None:
    value = ev.data.get("effect")
    return value if isinstance(value, str) else None


def flag(ev: Event, name: str) -> bool:
    return ev.data.get(name) is True


def target_key(ev: Event) -> str:
    """A readable name for the clicked thing: its selector, else role and text."""
    if ev.target is None:
        return ""
    if ev.target.selector:
        return ev.target.selector
    if ev.target.text:
        return f"{ev.target.role or 'element'}:{ev.target.text}"
    return ""


def same_target(a: Event, b: Event) -> bool:
    """Same element: equal selectors, or the same role and visible text (a re-render can change
    generated class names while the button stays the same to the user)."""
    ta, tb = a.target, b.target
    if ta is None or tb is None:
        return False
    if ta.selector and ta.selector == tb.selector:
        return True
    return bool(ta.text) and ta.text == tb.text and ta.role == tb.role


def euclid(a: Event, b: Event) -> float | None:
    if a.x is None or a.y is None or b.x is None or b.y is None:
        return None
    return math.hypot(a.x - b.x, a.y - b.y)


def manhattan(a: Event, b: Event) -> float | None:
    if a.x is None or a.y is None or b.x is None or b.y is None:
        return None
    return abs(a.x - b.x) + abs(a.y - b.y)


@lru_cache(maxsize=4_096)  # selectors repeat a lot within and across sessions
def _tag_of(selector: str) -> str:
    last = selector.strip().split(" ")[-1].split(">")[-1]
    return re.split(r"[.#\[:]", last, maxsplit=1)[0].lower()


def is_opaque(ev: Event, settings: StruggleSettings) -> bool:
    """A canvas, video or frame: its reaction to a click is invisible to a DOM observer."""
    if ev.target is None:
        return False
    if ev.target.role in settings.opaque_targets:
        return True
    return _tag_of(ev.target.selector) in settings.opaque_targets


def is_text_entry(ev: Event, settings: StruggleSettings) -> bool:
    if ev.target is None:
        return False
    if ev.target.role in settings.text_entry_roles:
        return True
    return _tag_of(ev.target.selector) in {"textarea", "select"}


def looks_interactive(ev: Event, settings: StruggleSettings) -> bool:
    if flag(ev, "looks_interactive"):
        return True
    return ev.target is not None and ev.target.role in settings.interactive_roles


def norm_path(value: object) -> str:
    """The path of a URL or path, without query, fragment or trailing slash."""
    if not isinstance(value, str) or not value:
        return ""
    path = urlsplit(value).path or "/"
    return path.rstrip("/") or "/"


def norm_message(value: object) -> str:
    """Case, spacing and numbers do not make a message different: "3 attempts left" and
    "2 attempts left" are the same wall."""
    if not isinstance(value, str):
        return ""
    return _DIGITS.sub("#", _SPACES.sub(" ", value).strip().lower())


def request_key(ev: Event) -> str:
    """Method, path (no query) and status. Server errors share one key: the same broken
    backend answers 500, 502 or 504 depending on which proxy gives up first. Client errors keep
    their code: 409 then 422 means the user got past one problem into another."""
    method = str(ev.data.get("method", "GET")).upper()
    status = ev.data.get("status", "?")
    if isinstance(status, int) and 500 <= status <= 599:
        status = "5xx"
    return f"{method} {norm_path(ev.data.get('path'))} {status}"


def last_action_before(events: Sequence[Event], pos: int) -> int | None:
    """Position of the latest click or submit before `events[pos]`, on the same page."""
    for j in range(pos - 1, -1, -1):
        kind = events[j].kind
        if kind in USER_ACTIONS:
            return j
        if kind == "navigate":
            return None
    return None


def is_noise_error(ev: Event, settings: StruggleSettings) -> bool:
    message = norm_message(ev.data.get("message"))
    source = str(ev.data.get("source") or "").lower()
    if any(fragment in message for fragment in settings.error_ignore_messages):
        return True
    return any(source.startswith(prefix) for prefix in settings.error_ignore_sources)


def error_after_action(events: Sequence[Event], pos: int, settings: StruggleSettings) -> int | None:
    """For an uncaught error at `pos`: the click or submit that caused it, if one was close."""
    ev = events[pos]
    if ev.kind != "error" or is_noise_error(ev, settings):
        return None
    j = last_action_before(events, pos)
    if j is None or not 0 <= ev.t - events[j].t <= settings.error_after_action_ms:
        return None
    return j


def failed_request_action(
    events: Sequence[Event], pos: int, settings: StruggleSettings
) -> int | None:
    """For a failed request at `pos`: the user's action that sent it, if we can tell.

    The widget may say so itself (`data.user_initiated`). Otherwise a request counts as the
    user's when it follows, within `request_link_ms`, a submit or a click whose effect was
    "request"; or a click of any effect when the method changes data (background polling is
    almost always GET).
    """
    ev = events[pos]
    if ev.kind != "http_error":
        return None
    j = last_action_before(events, pos)
    if "user_initiated" in ev.data:
        return j if ev.data.get("user_initiated") is True and j is not None else None
    if j is None or not 0 <= ev.t - events[j].t <= settings.request_link_ms:
        return None
    action = events[j]
    method = str(ev.data.get("method", "GET")).upper()
    if action.kind == "submit" or effect(action) == "request" or method != "GET":
        return j
    return None


def current_page_start(events: Sequence[Event]) -> int:
    """Position of the first event on the current page (after the last navigation)."""
    for j in range(len(events) - 1, -1, -1):
        if events[j].kind == "navigate":
            return j
    return 0


def path_at(events: Sequence[Event], pos: int, current: str) -> str:
    """The page the user was on at `events[pos]`; `current` is the page now."""
    for j in range(pos - 1, -1, -1):
        if events[j].kind == "navigate":
            return norm_path(events[j].data.get("to")) or current
    for j in range(pos, len(events)):
        if events[j].kind == "navigate":
            return norm_path(events[j].data.get("from")) or current
    return current
