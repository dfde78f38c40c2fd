"""Escalation triggers on held-out messages: does the right conversation go to a person?

    .venv/bin/python bench/escalation_eval.py [--kfold 5] [--misses] [--json]

Reads tests/data/escalation_messages.jsonl (realistic help-widget messages, labelled with the
trigger kinds that should fire, or none). By default the classifier trains on the prototypes in
pageguide/escalation/classifier.py only, so every message of the file is held out. `--kfold K`
also trains on K-1 folds of the file and scores the remaining fold, to show what a site's own
labelled examples add. Reports, per split and overall: recall on "should escalate", the false
escalation rate on "must not escalate", and precision/recall per trigger kind, for the phrase
rules alone, the classifier alone, and both (what the server runs). Targets: recall ≥ 0.95 and
false escalations ≤ 5 %.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from pageguide.escalation.classifier import (  # noqa: E402
    Encoder,
    EscalationClassifier,
    Example,
)
from pageguide.escalation.models import (  # noqa: E402
    DEFAULT_SETTINGS,
    MESSAGE_KINDS,
    MessageScorer,
    TriggerKind,
    TriggerSettings,
)
from pageguide.escalation.triggers import (  # noqa: E402
    classifier_hits,
    evaluate_message,
    rule_hits,
)

MESSAGES = ROOT / "tests/data/escalation_messages.jsonl"
TARGET_RECALL = 0.95
TARGET_FALSE_RATE = 0.05


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    kinds: frozenset[TriggerKind]
    split: str


def load_rows(path: Path = MESSAGES) -> list[Row]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            kinds = frozenset(TriggerKind(k) for k in d["kinds"])
            rows.append(Row(d["id"], d["text"], kinds, d.get("split", "test")))
    return rows


class FixedScores:
    """A scorer replaying precomputed classifier scores (the k-fold models differ per row)."""

    def __init__(self, scores: dict[str, dict[TriggerKind, float]]) -> None:
        self._scores = scores

    def scores(self, text: str) -> dict[TriggerKind, float]:
        return self._scores[text]


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    def add(self, gold: bool, predicted: bool, text: str) -> None:
        if gold and predicted:
            self.tp += 1
        elif gold:
            self.fn += 1
            self.misses.append(text)
        elif predicted:
            self.fp += 1
            self.false_alarms.append(text)
        else:
            self.tn += 1

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def false_rate(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "escalate": self.tp + self.fn,
            "not": self.fp + self.tn,
            "recall": round(self.recall, 3),
            "false_rate": round(self.false_rate, 3),
            "precision": round(self.precision, 3),
            "missed": self.fn,
            "false_escalations": self.fp,
        }


def predict(
    rows: list[Row], scorer: MessageScorer, settings: TriggerSettings, mode: str
) -> list[set[TriggerKind]]:
    """Kinds fired per row: 'rules' alone, 'classifier' alone, or 'combined' (the server's)."""
    out = []
    for row in rows:
        if mode == "rules":
            hits = rule_hits(row.text)
        elif mode == "classifier":
            hits = classifier_hits(row.text, scorer, settings)[0]
        else:
            hits = evaluate_message(row.text, settings=settings, classifier=scorer)
        out.append({h.kind for h in hits})
    return out


def score(rows: list[Row], predicted: list[set[TriggerKind]]) -> dict[str, Any]:
    overall = Tally()
    by_split: dict[str, Tally] = defaultdict(Tally)
    by_kind: dict[TriggerKind, Tally] = defaultdict(Tally)
    for row, kinds in zip(rows, predicted, strict=True):
        overall.add(bool(row.kinds), bool(kinds), row.text)
        by_split[row.split].add(bool(row.kinds), bool(kinds), row.text)
        for kind in MESSAGE_KINDS:
            by_kind[kind].add(kind in row.kinds, kind in kinds, row.text)
    return {
        "overall": overall,
        "splits": dict(sorted(by_split.items())),
        "kinds": {k.value: by_kind[k] for k in MESSAGE_KINDS},
    }


def kfold_scores(rows: list[Row], encoder: Encoder, k: int) -> dict[str, dict[TriggerKind, float]]:
    """Each row scored by a model trained on the prototypes plus the other k-1 folds."""
    scores: dict[str, dict[TriggerKind, float]] = {}
    for fold in range(k):
        train = [Example(r.text, tuple(r.kinds)) for i, r in enumerate(rows) if i % k != fold]
        held = [r for i, r in enumerate(rows) if i % k == fold]
        model = EscalationClassifier.train(encoder, train)
        probs = model.score_many([r.text for r in held])
        for row, p in zip(held, probs, strict=True):
            scores[row.text] = {kind: float(v) for kind, v in zip(MESSAGE_KINDS, p, strict=True)}
    return scores


def latency_ms(model: EscalationClassifier, texts: list[str], n: int = 30) -> float:
    times = []
    for text in texts[:n]:
        start = time.perf_counter()
        model.scores(text)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run(
    encoder: Encoder, kfold: int = 0, settings: TriggerSettings = DEFAULT_SETTINGS
) -> dict[str, Any]:
    rows = load_rows()
    start = time.perf_counter()
    model = EscalationClassifier.train(encoder)
    train_s = time.perf_counter() - start
    result: dict[str, Any] = {
        "messages": len(rows),
        "escalate": sum(bool(r.kinds) for r in rows),
        "train_seconds": round(train_s, 2),
        "classify_ms_median": round(latency_ms(model, [r.text for r in rows]), 1),
    }
    # Score every message once (batched), then replay: the modes below reuse the scores.
    cached = FixedScores(
        {
            r.text: {k: float(v) for k, v in zip(MESSAGE_KINDS, p, strict=True)}
            for r, p in zip(rows, model.score_many([r.text for r in rows]), strict=True)
        }
    )
    for mode in ("rules", "classifier", "combined"):
        result[mode] = score(rows, predict(rows, cached, settings, mode))
    if kfold:
        folded = FixedScores(kfold_scores(rows, encoder, kfold))
        result[f"combined_kfold{kfold}"] = score(rows, predict(rows, folded, settings, "combined"))
        result[f"classifier_kfold{kfold}"] = score(
            rows, predict(rows, folded, settings, "classifier")
        )
    return result


def _line(name: str, t: Tally) -> str:
    return (
        f"  {name:16s} n={t.tp + t.fn:3d}/{t.fp + t.tn:3d}  recall {t.recall:.3f}  "
        f"false {t.false_rate:.3f}  precision {t.precision:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kfold", type=int, default=0, help="also train on K-1 folds")
    parser.add_argument("--misses", action="store_true", help="list misses and false alarms")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args()
    from pageguide.retrieval.embed import shared_embedder

    result = run(shared_embedder(), args.kfold)
    if args.json:

        def plain(obj: Any) -> Any:
            if isinstance(obj, Tally):
                return obj.summary()
            if isinstance(obj, dict):
                return {k: plain(v) for k, v in obj.items()}
            return obj

        print(json.dumps(plain(result), indent=2))
        return
    print(
        f"{result['messages']} messages, {result['escalate']} should escalate; classifier "
        f"trained in {result['train_seconds']} s, {result['classify_ms_median']} ms a message"
    )
    for mode in [k for k in result if isinstance(result[k], dict)]:
        report = result[mode]
        print(f"\n{mode}")
        print(_line("ALL", report["overall"]))
        for split, tally in report["splits"].items():
            print(_line(f"split {split}", tally))
        for kind, tally in report["kinds"].items():
            print(_line(kind, tally))
        if args.misses and mode.startswith("combined"):
            for text in report["overall"].misses:
                print(f"    MISSED  {text}")
            for text in report["overall"].false_alarms:
                print(f"    FALSE   {text}")
    overall = result["combined"]["overall"]
    ok = overall.recall >= TARGET_RECALL and overall.false_rate <= TARGET_FALSE_RATE
    print(
        f"\ntargets (recall ≥ {TARGET_RECALL}, false ≤ {TARGET_FALSE_RATE}): "
        f"{'met' if ok else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
