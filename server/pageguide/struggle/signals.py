"""The shared signal model: what every detector reads and what it emits."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from pageguide.protocol import Event

from .settings import StruggleSettings


class SignalKind(enum.StrEnum):
    RAGE_CLICK = "rage_click"
    DEAD_CLICK = "dead_click"
    ERROR_LOOP = "error_loop"
    NAVIGATION_LOOP = "navigation_loop"
    HESITATION = "hesitation"
    EXPLICIT = "explicit"


class DetectorInput(BaseModel):
    """One session's recent history, as a detector sees it.

    `events` are in arrival order; `first_index` is the session-wide index of `events[0]`, so
    evidence stays meaningful while a rolling window drops old events. `now_ms` and every
    `t` are on the client's clock (the session converts server time with its measured offset).
    """

    model_config = ConfigDict(frozen=True)

    events: tuple[Event, ...] = ()
    page_path: str = ""
    form_errors: tuple[str, ...] = ()
    now_ms: Annotated[int, Field(ge=0)] = 0
    first_index: Annotated[int, Field(ge=0)] = 0
    page_since_ms: int | None = None  # when the current page context arrived, if known

    def index(self, pos: int) -> int:
        """Session-wide index of `events[pos]`."""
        return self.first_index + pos


class Signal(BaseModel):
    """One detected moment of struggle.

    `anchor` names the episode (the index of its first event, or a timestamp for idle time): it
    stays the same while the window grows, which is what deduplication keys on.
    """

    model_config = ConfigDict(frozen=True)

    kind: SignalKind
    score: Annotated[float, Field(ge=0.0, le=1.0)]
    evidence: tuple[int, ...]
    target: str
    page_path: str
    at_ms: int
    reason: str
    summary: str
    anchor: int

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.kind.value, self.target, self.anchor)


DetectFn = Callable[[DetectorInput, StruggleSettings], list[Signal]]


@dataclass(frozen=True, slots=True)
class Detector:
    """A registered detector: one module, one kind, one pure function."""

    kind: SignalKind
    detect: DetectFn
