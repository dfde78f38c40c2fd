"""Retrieval quality on a real product's docs: question-only vs page-aware, side by side.

    .venv/bin/python bench/retrieval_eval.py [--json]

Ingests tests/data/eval_docs/plausible/docs (CC BY-SA 4.0, see its SOURCE.md) into a scratch
store and asks every question of tests/data/retrieval_eval.jsonl on its page. Reports hit@1 and
hit@3 per kind of question, and decline accuracy (out-of-scope questions must be declined,
answerable ones must not be).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from pageguide.protocol import PageContext  # noqa: E402
from pageguide.retrieval.knowledge import KnowledgeBase  # noqa: E402
from pageguide.settings import Settings  # noqa: E402

DOCS = ROOT / "tests/data/eval_docs/plausible"
QUESTIONS = ROOT / "tests/data/retrieval_eval.jsonl"


def load_questions() -> list[dict]:
    return [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]


def evaluate(kb: KnowledgeBase, questions: list[dict], use_page: bool, min_confidence: float) -> dict:
    tally: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    misses = []
    for q in questions:
        page = PageContext.model_validate(q["page"])
        result = kb.retriever.search(q["question"], page, top_k=4, use_page=use_page)
        ranked = ["docs/" + a if not a.startswith("docs/") else a for a, _ in result.articles]
        expected = set(q["expected"])
        declined = result.confidence < min_confidence
        t = tally[q["kind"]]
        t["n"] += 1
        if q["kind"] == "oos":
            t["declined"] += declined
            if not declined:
                misses.append((q["id"], q["kind"], q["question"], "not declined", ranked[:1], result.confidence))
            continue
        hit1 = bool(ranked) and ranked[0] in expected
        hit3 = bool(expected & set(ranked[:3]))
        t["hit1"] += hit1
        t["hit3"] += hit3
        t["answered"] += not declined
        if not hit1 or declined:
            misses.append((q["id"], q["kind"], q["question"], sorted(expected), ranked[:3], result.confidence))
    out = {}
    for kind, t in tally.items():
        n = t["n"]
        if kind == "oos":
            out[kind] = {"n": int(n), "declined": round(t["declined"] / n, 3)}
        else:
            out[kind] = {
                "n": int(n),
                "hit@1": round(t["hit1"] / n, 3),
                "hit@3": round(t["hit3"] / n, 3),
                "answered": round(t["answered"] / n, 3),
            }
    return {"scores": out, "misses": misses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--misses", action="store_true", help="list the questions missed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data=Path(tmp))
        kb = KnowledgeBase(settings)
        kb.ingest(DOCS)
        questions = load_questions()
        results = {
            "question-only": evaluate(kb, questions, False, settings.min_confidence),
            "page-aware": evaluate(kb, questions, True, settings.min_confidence),
        }
    if args.json:
        print(json.dumps({k: v["scores"] for k, v in results.items()}, indent=2))
        return
    print(f"{'mode':<15}{'kind':<6}{'n':>4}{'hit@1':>8}{'hit@3':>8}{'answered':>10}{'declined':>10}")
    for mode, result in results.items():
        for kind in ("page", "self", "oos"):
            s = result["scores"].get(kind, {})
            print(
                f"{mode:<15}{kind:<6}{s.get('n', 0):>4}{s.get('hit@1', ''):>8}{s.get('hit@3', ''):>8}"
                f"{s.get('answered', ''):>10}{s.get('declined', ''):>10}"
            )
    if args.misses:
        for miss in results["page-aware"]["misses"]:
            print(miss)


if __name__ == "__main__":
    main()
