"""Score the struggle detectors on the labelled corpus, with reference baselines for rage clicks.

    python bench/struggle_eval.py             # table
    python bench/struggle_eval.py --json      # machine-readable
    python bench/struggle_eval.py --misses    # also list each case a detector gets wrong
    python bench/struggle_eval.py --seeds 20  # pool 20 corpora regenerated with other seeds

The baselines are our own re-statements of two public definitions, for comparison only:

- "posthog-js (rageclick: true)": packages/browser/src/extensions/rageclick.ts, class RageClick.
  Three clicks, each under 1 s and under 30 px (Manhattan) after the previous one, any target.
- "posthog-js (defaults 2026-05-30)": the same, plus shouldCaptureRageclick in
  packages/browser-common/src/utils/autocapture-utils.ts with the content ignorelist (next,
  previous, prev, >, <, +, -, −, –) and ignore_text_selection, which those defaults enable.
  We only see the target's own text, not its parents'.
- "Datadog browser-sdk": packages/browser-rum-core/src/domain/action/clickChain.ts (chain of
  clicks on the same element, ≤ 100 px Euclidean and ≤ 1 s apart; a view change ends it) and
  computeFrustration.ts isRage (no click changed the selection or scrolled; three clicks within
  one second).
Neither baseline sees click effects: that is the point of comparing.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pageguide.protocol import Event
from pageguide.struggle import SignalKind
from pageguide.struggle.evaluation import (
    CorpusCase,
    KindScore,
    predict,
    predict_incrementally,
    score,
)

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "struggle_corpus.jsonl"
GENERATOR = ROOT / "tests" / "data" / "make_struggle_corpus.py"
KINDS = [k.value for k in SignalKind]
RAGE = SignalKind.RAGE_CLICK.value


def load(path: Path = CORPUS) -> list[CorpusCase]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [CorpusCase.model_validate_json(line) for line in lines if line.strip()]


def regenerate(seeds: int) -> list[CorpusCase]:
    """The corpus drawn again with seeds 1..`seeds` (same scenarios, other random draws).

    A check that the numbers do not hang on one lucky draw; it cannot find scenarios that the
    generator's author did not think of. Hand-written cases come once per seed, like the rest.
    """
    spec = importlib.util.spec_from_file_location("make_struggle_corpus", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while defined
    spec.loader.exec_module(module)
    cases = []
    for seed in range(1, seeds + 1):
        module.SEED = seed
        for line in module.build().splitlines():
            case = CorpusCase.model_validate_json(line)
            cases.append(case.model_copy(update={"id": f"{case.id}@{seed}"}))
    return cases


# ---------------------------------------------------------------- baselines (rage clicks only)


def _xy(ev: Event) -> tuple[float, float]:
    # Browsers give keyboard-triggered clicks clientX = clientY = 0.
    return (ev.x or 0.0, ev.y or 0.0)


def posthog_rage(events: Sequence[Event], ignore: Callable[[Event], bool] | None = None) -> bool:
    run: list[Event] = []
    for ev in events:
        if ev.kind != "click":
            continue
        (x, y), last = _xy(ev), run[-1] if run else None
        if last is not None:
            lx, ly = _xy(last)
            if abs(x - lx) + abs(y - ly) < 30 and ev.t - last.t < 1_000:
                run.append(ev)
                if len(run) == 3 and (ignore is None or not ignore(ev)):
                    return True
                continue
        run = [ev]
    return False


_CONTENT_IGNORE = ["next", "previous", "prev", ">", "<", "+", "-", "−", "–"]
_ARIA = re.compile(r"aria-label=['\"]([^'\"]*)['\"]")


def _posthog_2026_ignores(ev: Event) -> bool:
    target = ev.target
    if target is None:
        return False
    if target.role in ("textbox", "searchbox") or target.selector.split(" ")[-1].startswith(
        ("textarea", "input")
    ):
        return True  # ignore_text_selection
    label = _ARIA.search(target.selector)
    texts = [target.text.strip().lower(), (label.group(1) if label else "").strip().lower()]
    for keyword in _CONTENT_IGNORE:
        is_word = any(c.isalnum() for c in keyword)
        if any((keyword in t) if is_word else (t == keyword) for t in texts if t):
            return True
    return False


def datadog_rage(events: Sequence[Event]) -> bool:
    def similar(a: Event, b: Event) -> bool:
        same = (
            a.target is not None
            and b.target is not None
            and a.target.selector == (b.target.selector)
        )
        (ax, ay), (bx, by) = _xy(a), _xy(b)
        return same and math.hypot(ax - bx, ay - by) <= 100 and b.t - a.t <= 1_000

    def is_rage(chain: list[Event]) -> bool:
        if any(c.data.get("selection_changed") or c.data.get("scrolled") for c in chain):
            return False
        return any(chain[i + 2].t - chain[i].t <= 1_000 for i in range(len(chain) - 2))

    chains: list[list[Event]] = []
    for ev in events:
        if ev.kind == "navigate":
            chains.append([])  # a view change stops the chain
        elif ev.kind == "click":
            if chains and chains[-1] and similar(chains[-1][-1], ev):
                chains[-1].append(ev)
            else:
                chains.append([ev])
    return any(is_rage(c) for c in chains if c)


BASELINES: dict[str, Callable[[CorpusCase], set[str]]] = {
    "posthog-js (rageclick: true)": lambda c: {RAGE} if posthog_rage(c.events) else set(),
    "posthog-js (defaults 2026-05-30)": lambda c: (
        {RAGE} if posthog_rage(c.events, _posthog_2026_ignores) else set()
    ),
    "Datadog browser-sdk": lambda c: {RAGE} if datadog_rage(c.events) else set(),
}


# ---------------------------------------------------------------- report


def _row(name: str, s: KindScore) -> dict[str, object]:
    return {
        "detector": name,
        "signal": s.kind,
        "support": s.support,
        "tp": s.tp,
        "fp": s.fp,
        "fn": s.fn,
        "precision": round(s.precision, 3),
        "recall": round(s.recall, 3),
        "f1": round(s.f1, 3),
    }


def evaluate(cases: list[CorpusCase], source: str = "") -> dict[str, object]:
    ours, misses = score(cases, predict, KINDS)
    rows = [_row("pageguide", ours[k]) for k in KINDS]
    baseline_misses: dict[str, list[str]] = {}
    for name, fn in BASELINES.items():
        scores, wrong = score(cases, fn, [RAGE])
        rows.append(_row(name, scores[RAGE]))
        baseline_misses[name] = [f"{m.id} ({m.error})" for m in wrong]
    disagreements = [c.id for c in cases if set(predict_incrementally(c)) != predict(c)]
    duplicates = [
        c.id
        for c in cases
        if len(inc := predict_incrementally(c)) != len(set(inc)) and c.id not in disagreements
    ]
    return {
        "corpus": source or str(CORPUS.relative_to(ROOT)),
        "cases": len(cases),
        "lookalike_cases": sum(1 for c in cases if not c.expected),
        "hard_cases": sum(1 for c in cases if "hard" in c.tags),
        "rows": rows,
        "misses": [f"{m.id}: {m.kind} ({m.error})" for m in misses],
        "baseline_misses": baseline_misses,
        "incremental_disagreements": disagreements,
        "incremental_multi_emits": duplicates,
    }


def table(report: dict[str, object]) -> str:
    rows = report["rows"]
    assert isinstance(rows, list)
    head = (
        f"{'detector':34} {'signal':16} {'n':>4} {'tp':>4} {'fp':>4} {'fn':>4} "
        f"{'prec':>6} {'recall':>6} {'f1':>6}"
    )
    lines = [
        f"corpus: {report['corpus']}: {report['cases']} cases "
        f"({report['lookalike_cases']} expect nothing, {report['hard_cases']} tagged hard)",
        "",
        head,
        "-" * len(head),
    ]
    for r in rows:
        lines.append(
            f"{r['detector']:34} {r['signal']:16} {r['support']:>4} {r['tp']:>4} {r['fp']:>4} "
            f"{r['fn']:>4} {r['precision']:>6.3f} {r['recall']:>6.3f} {r['f1']:>6.3f}"
        )
    lines.append("")
    inc = report["incremental_disagreements"]
    lines.append(
        f"incremental (event by event, deduplicated) vs whole-window: "
        f"{'agree on every case' if not inc else f'differ on {inc}'}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--misses", action="store_true", help="list the cases each gets wrong")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument(
        "--seeds", type=int, default=0, help="pool corpora regenerated with seeds 1..N instead"
    )
    args = parser.parse_args(argv)
    if args.seeds:
        source = f"{GENERATOR.relative_to(ROOT)} with seeds 1..{args.seeds}"
        report = evaluate(regenerate(args.seeds), source)
    else:
        path = args.corpus.resolve()
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        report = evaluate(load(path), str(shown))
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(table(report))
    if args.misses:
        print("\npageguide mistakes:")
        for line in report["misses"]:  # type: ignore[union-attr]
            print(f"  {line}")
        for name, wrong in report["baseline_misses"].items():  # type: ignore[union-attr]
            print(f"\n{name} mistakes on rage_click ({len(wrong)}):")
            for line in wrong:
                print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
