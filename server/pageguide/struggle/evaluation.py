"""Scoring detectors against a labelled corpus. Pure: the caller reads the file.

A case is one labelled event sequence (`tests/data/struggle_corpus.jsonl`, one JSON object per
line). `expected` lists every signal kind that must fire; any other kind that fires is a false
positive. Precision and recall are counted per kind over cases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from pageguide.protocol import Event

from .registry import detect_all
from .settings import DEFAULT_SETTINGS, StruggleSettings
from .signals import DetectorInput, SignalKind
from .window import StruggleWindow


class CorpusPage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    form_errors: list[str] = []
    since_ms: int | None = None


class CorpusCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    description: str
    page: CorpusPage
    events: list[Event]
    now_ms: int
    expected: list[SignalKind]
    tags: list[str] = []  # e.g. "lookalike:carousel", "hard", "hand"

    def detector_input(self) -> DetectorInput:
        return DetectorInput(
            events=tuple(self.events),
            page_path=self.page.path,
            form_errors=tuple(self.page.form_errors),
            now_ms=self.now_ms,
            page_since_ms=self.page.since_ms,
        )


Predict = Callable[[CorpusCase], set[str]]


def predict(case: CorpusCase, settings: StruggleSettings = DEFAULT_SETTINGS) -> set[str]:
    """Kinds our detectors fire on the whole case at `now_ms`."""
    return {s.kind.value for s in detect_all(case.detector_input(), settings)}


def predict_incrementally(
    case: CorpusCase, settings: StruggleSettings = DEFAULT_SETTINGS
) -> list[str]:
    """Kinds emitted by a `StruggleWindow` fed one event at a time, as the server would.

    The page context is set up front (the corpus has one snapshot of it); the clock is each
    event's time, then `now_ms` at the end. Returns one entry per emitted signal.
    """
    window = StruggleWindow(settings)
    window.set_page(case.page.path, case.page.form_errors, case.page.since_ms)
    emitted = []
    for ev in case.events:
        window.add([ev])
        emitted.extend(s.kind.value for s in window.evaluate(ev.t))
    emitted.extend(s.kind.value for s in window.evaluate(case.now_ms))
    return emitted


class KindScore(BaseModel):
    kind: str
    tp: int
    fp: int
    fn: int
    support: int  # cases that expect this kind

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


class CaseMiss(BaseModel):
    id: str
    kind: str
    error: Annotated[str, Field(pattern="^(fp|fn)$")]


def score(
    cases: Iterable[CorpusCase], predictor: Predict, kinds: Iterable[str]
) -> tuple[dict[str, KindScore], list[CaseMiss]]:
    """Per-kind counts for `predictor` over `cases`, and the list of its mistakes."""
    kinds = list(kinds)
    counts = {k: [0, 0, 0, 0] for k in kinds}
    misses: list[CaseMiss] = []
    for case in cases:
        got = predictor(case)
        want = {k.value for k in case.expected}
        for k in kinds:
            c = counts[k]
            c[3] += k in want
            if k in got and k in want:
                c[0] += 1
            elif k in got:
                c[1] += 1
                misses.append(CaseMiss(id=case.id, kind=k, error="fp"))
            elif k in want:
                c[2] += 1
                misses.append(CaseMiss(id=case.id, kind=k, error="fn"))
    scores = {
        k: KindScore(kind=k, tp=c[0], fp=c[1], fn=c[2], support=c[3]) for k, c in counts.items()
    }
    return scores, misses
