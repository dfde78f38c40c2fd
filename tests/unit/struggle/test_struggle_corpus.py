"""The whole labelled corpus: per-signal precision and recall, and incremental consistency."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

from pageguide.struggle import SignalKind
from pageguide.struggle.evaluation import CorpusCase, predict, predict_incrementally, score

DATA = Path(__file__).resolve().parents[2] / "data"
CORPUS = DATA / "struggle_corpus.jsonl"
KINDS = [k.value for k in SignalKind]
LOOKALIKES = {
    "double_click",
    "multi_select",
    "game",
    "carousel",
    "one_validation_error",
    "single_dead_click",
    "normal_navigation",
    "reading",
}


@pytest.fixture(scope="module")
def cases() -> list[CorpusCase]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [CorpusCase.model_validate_json(line) for line in lines if line.strip()]


def test_corpus_is_large_and_covers_every_signal_and_lookalike(cases):
    assert len(cases) >= 120
    assert len({c.id for c in cases}) == len(cases)
    positives = Counter(k.value for c in cases for k in c.expected)
    assert all(positives[k] >= 8 for k in KINDS), positives
    lookalikes = Counter(
        t.split(":", 1)[1] for c in cases for t in c.tags if t.startswith("lookalike:")
    )
    assert all(lookalikes[name] >= 3 for name in LOOKALIKES), lookalikes
    assert all(
        not c.expected
        for c in cases
        if any(t.startswith("lookalike:") for t in c.tags)
        if "hard" not in c.tags
    )
    assert sum("hand" in c.tags for c in cases) >= 10
    assert sum("hard" in c.tags for c in cases) >= 10


def test_precision_and_recall_per_signal(cases):
    scores, misses = score(cases, predict, KINDS)
    report = {
        k: (s.tp, s.fp, s.fn, round(s.precision, 3), round(s.recall, 3)) for k, s in scores.items()
    }
    for kind, s in scores.items():
        assert s.precision >= 0.95, (kind, report[kind], [m for m in misses if m.kind == kind])
        assert s.recall >= 0.9, (kind, report[kind], [m for m in misses if m.kind == kind])


def test_incremental_window_agrees_with_whole_window(cases):
    differ = [c.id for c in cases if set(predict_incrementally(c)) != predict(c)]
    assert differ == []


def test_committed_corpus_matches_its_generator():
    spec = importlib.util.spec_from_file_location(
        "make_struggle_corpus", DATA / "make_struggle_corpus.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while defined
    try:
        spec.loader.exec_module(module)
        built = module.build()
    finally:
        del sys.modules[spec.name]
    assert built == CORPUS.read_text(encoding="utf-8"), (
        "run: python tests/data/make_struggle_corpus.py"
    )
