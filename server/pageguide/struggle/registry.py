"""The one place detectors are registered. A detector is a module with `KIND` and a pure
`detect(inp, settings) -> list[Signal]`; add it to `DETECTORS` and to docs/struggle.md."""

from __future__ import annotations

from collections.abc import Iterable

from . import dead_click, error_loop, explicit, hesitation, navigation_loop, rage_click
from .settings import DEFAULT_SETTINGS, StruggleSettings
from .signals import Detector, DetectorInput, Signal, SignalKind

DETECTORS: tuple[Detector, ...] = tuple(
    Detector(module.KIND, module.detect)
    for module in (rage_click, dead_click, error_loop, navigation_loop, hesitation, explicit)
)


def detect_all(
    inp: DetectorInput,
    settings: StruggleSettings = DEFAULT_SETTINGS,
    kinds: Iterable[SignalKind] | None = None,
) -> list[Signal]:
    """Every signal the registered detectors find in `inp`, ordered by time.

    Stateless: the same episode comes back on every call. Use `StruggleWindow` (or a
    `SignalDeduper`) to get each episode once.
    """
    wanted = None if kinds is None else set(kinds)
    signals = [
        signal
        for detector in DETECTORS
        if wanted is None or detector.kind in wanted
        for signal in detector.detect(inp, settings)
    ]
    return sorted(signals, key=lambda s: (s.at_ms, s.kind.value, s.anchor))
