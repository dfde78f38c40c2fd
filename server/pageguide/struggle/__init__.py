"""Struggle detectors: pure functions from a session's recent events to signals of struggle.

One module per signal (rage_click, dead_click, error_loop, navigation_loop, hesitation,
explicit), a shared model (`signals`), thresholds (`settings`), the registry (`registry`) and
the per-session rolling window with deduplication (`window`). No I/O anywhere. See
docs/struggle.md.
"""

from .registry import DETECTORS, detect_all
from .settings import DEFAULT_SETTINGS, StruggleSettings
from .signals import Detector, DetectorInput, Signal, SignalKind
from .window import SignalDeduper, StruggleWindow

__all__ = [
    "DEFAULT_SETTINGS",
    "DETECTORS",
    "Detector",
    "DetectorInput",
    "Signal",
    "SignalDeduper",
    "SignalKind",
    "StruggleSettings",
    "StruggleWindow",
    "detect_all",
]
