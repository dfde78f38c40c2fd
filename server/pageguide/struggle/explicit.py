"""explicit: the user opened the assistant and closed it again without asking anything.

A soft signal (low score): they looked for help on this page and did not find a way to ask
for it, or changed their mind. Opening and closing within `explicit_min_open_ms` is a misclick
on the launcher; a navigation in between ends the episode (the page they needed help with is
gone). Once the user has asked something on this page, reopening the assistant there is
re-reading the conversation, not a silent call for help. The server adds `widget_open`,
`widget_close` and `ask` events to the session's window.
"""

from __future__ import annotations

from .events import path_at
from .settings import StruggleSettings
from .signals import DetectorInput, Signal, SignalKind

KIND = SignalKind.EXPLICIT


def detect(inp: DetectorInput, settings: StruggleSettings) -> list[Signal]:
    signals: list[Signal] = []
    opened: int | None = None
    asked = False  # on this page, ever: reopening then is re-reading the conversation
    for pos, ev in enumerate(inp.events):
        if ev.kind == "widget_open":
            opened = pos
        elif ev.kind == "ask":
            asked = True
        elif ev.kind == "navigate":
            opened, asked = None, False
        elif ev.kind == "widget_close" and opened is not None:
            start = inp.events[opened]
            page = path_at(inp.events, opened, inp.page_path)
            open_ms = ev.t - start.t
            if not asked and open_ms >= settings.explicit_min_open_ms:
                signals.append(
                    Signal(
                        kind=KIND,
                        score=0.3,
                        evidence=(inp.index(opened), inp.index(pos)),
                        target=page,
                        page_path=page,
                        at_ms=ev.t,
                        reason="opened_without_asking",
                        summary=f"opened the assistant for {open_ms / 1000:.0f} s and closed "
                        "it without asking",
                        anchor=inp.index(opened),
                    )
                )
            opened = None
    return signals
