"""Builders for struggle-detector tests: a timeline of widget events on one client clock."""

from __future__ import annotations

from typing import Any

import pytest

from pageguide.protocol import Event, Target
from pageguide.struggle import (
    DEFAULT_SETTINGS,
    DetectorInput,
    Signal,
    StruggleSettings,
    StruggleWindow,
)

T0 = 1_700_000_000_000


class Timeline:
    """Appends events `dt` milliseconds after the previous one."""

    def __init__(self) -> None:
        self.t = T0
        self.events: list[Event] = []

    def ev(
        self,
        kind: str,
        dt: int = 0,
        target: Target | None = None,
        x: float | None = None,
        y: float | None = None,
        **data: Any,
    ) -> Timeline:
        self.t += dt
        self.events.append(Event(kind=kind, t=self.t, target=target, x=x, y=y, data=data))
        return self

    def click(
        self,
        selector: str = "#save",
        dt: int = 0,
        *,
        text: str = "Save",
        role: str = "button",
        x: float | None = 100.0,
        y: float | None = 100.0,
        effect: str | None = "none",
        **data: Any,
    ) -> Timeline:
        if effect is not None:
            data["effect"] = effect
        return self.ev("click", dt, Target(selector=selector, text=text, role=role), x, y, **data)

    def typing(self, selector: str = "input#name", dt: int = 0, keys: int = 1) -> Timeline:
        for i in range(keys):
            self.ev("input", dt if i == 0 else 150, Target(selector=selector, role="textbox"))
        return self

    def nav(self, src: str, dst: str, dt: int = 0, via: str | None = None) -> Timeline:
        data: dict[str, Any] = {"from": src, "to": dst}
        if via:
            data["via"] = via
        return self.ev("navigate", dt, **data)

    def input(
        self,
        *,
        path: str = "/settings",
        form_errors: tuple[str, ...] = (),
        now: int | None = None,
        since: int | None = None,
    ) -> DetectorInput:
        return DetectorInput(
            events=tuple(self.events),
            page_path=path,
            form_errors=form_errors,
            now_ms=self.t + 500 if now is None else now,
            page_since_ms=since,
        )


def incremental(
    events: list[Event],
    *,
    now: int | None = None,
    path: str = "/settings",
    form_errors: tuple[str, ...] = (),
    settings: StruggleSettings = DEFAULT_SETTINGS,
) -> list[Signal]:
    """Feed `events` one at a time to a session window, evaluating after each; then at `now`."""
    window = StruggleWindow(settings)
    window.set_page(path, form_errors, events[0].t if events else None)
    out: list[Signal] = []
    for ev in events:
        window.add([ev])
        out += window.evaluate(ev.t)
    if now is not None:
        out += window.evaluate(now)
    return out


@pytest.fixture
def tl() -> Timeline:
    return Timeline()


@pytest.fixture
def feed() -> Any:
    """The `incremental` helper, as a fixture so that test modules need not import conftest."""
    return incremental
