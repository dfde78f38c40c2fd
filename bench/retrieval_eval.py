"""Retrieval quality on a real product's docs: question-only vs page-aware, side by side.

    .venv/bin/python bench/retrieval_eval.py [--json] [--misses] [--fit] [--ablate]
                                             [--data DIR] [--no-timing]

Ingests tests/data/eval_docs/plausible/docs (CC BY-SA 4.0, see ../SOURCE.md) into a scratch
store and asks every question of tests/data/retrieval_eval.jsonl on its page. Reports hit@1 and
hit@3 per kind of question (page: leans on the page, self: self-contained, oos: out of scope),
how many answerable questions are answered rather than declined, and how many out-of-scope
ones are declined (confidence below `min_confidence`).

Three views:
  default   the shipped `Weights`, through `Retriever.search`
  2-fold    weights fit on the odd question ids and scored on the even ones, and vice versa:
            what to expect on questions the weights never saw
  --fit     weights fit on all the questions, printed as a `Weights(...)` to paste
  --ablate  the 2-fold figures again with each ranking feature left out
Fitting: the ranking weights by a listwise softmax loss over articles (the expected articles
are the targets), the confidence by a logistic regression that weighs an answered
out-of-scope question ten times a declined answerable one, its bias then lowered if need be so
that the most confident out-of-scope question it saw sits at 0.25, under the 0.35 threshold.
Both L2-regularised.
Also times `search()` on a 10k-chunk index, the question embedding already cached.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from pageguide.protocol import PageContext  # noqa: E402
from pageguide.retrieval.index import KnowledgeIndex  # noqa: E402
from pageguide.retrieval.knowledge import KnowledgeBase  # noqa: E402
from pageguide.retrieval.search import EVIDENCE, FEATURES, Retriever, Weights  # noqa: E402
from pageguide.retrieval.store import StoredChunk  # noqa: E402
from pageguide.settings import Settings  # noqa: E402

DOCS = ROOT / "tests/data/eval_docs/plausible/docs"
QUESTIONS = ROOT / "tests/data/retrieval_eval.jsonl"
KINDS = ("page", "self", "oos")
FITTED = [name for name in FEATURES if name not in ("dense", "mapped")]  # dense is the unit
ABLATIONS = {  # 2-fold refits with features left out
    "all features": (),
    "no lexical": ("lexical",),
    "no joint_dense": ("joint_dense",),
    "no joint_lexical": ("joint_lexical",),
    "no page_profile": ("page_profile",),
    "dense page only": ("joint_lexical", "page_profile"),
    "lexical page only": ("joint_dense", "page_profile"),
}
OOS_COST = 10.0  # answering an out-of-scope question is worse than declining an answerable one
CALIBRATE_TO = 0.25  # confidence of the most confident out-of-scope question the fit saw


def load_questions() -> list[dict]:
    return [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]


def article_key(article_id: str) -> str:
    return article_id if article_id.startswith("docs/") else "docs/" + article_id


@dataclass
class Outcome:
    qid: str
    kind: str
    question: str
    expected: list[str]
    ranked: list[str]
    confidence: float

    def hit(self, k: int) -> bool:
        return bool(set(self.expected) & set(self.ranked[:k]))


def score(outcomes: list[Outcome], min_confidence: float) -> dict:
    tally: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for o in outcomes:
        t = tally[o.kind]
        t["n"] += 1
        declined = o.confidence < min_confidence
        if o.kind == "oos":
            t["declined"] += declined
        else:
            t["hit1"] += o.hit(1)
            t["hit3"] += o.hit(3)
            t["answered"] += not declined
    out: dict[str, dict] = {}
    for kind in KINDS:
        t = tally.get(kind)
        if not t:
            continue
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
    answerable = [o for o in outcomes if o.kind != "oos"]
    if answerable:
        false_declines = sum(o.confidence < min_confidence for o in answerable)
        out["false_decline"] = round(false_declines / len(answerable), 3)
    return out


def misses(outcomes: list[Outcome], min_confidence: float) -> list[tuple]:
    rows = []
    for o in outcomes:
        declined = o.confidence < min_confidence
        if o.kind == "oos" and not declined:
            rows.append((o.qid, o.kind, o.question, "not declined", o.ranked[:1], o.confidence))
        elif o.kind != "oos" and (not o.hit(1) or declined):
            rows.append((o.qid, o.kind, o.question, sorted(o.expected), o.ranked[:3], o.confidence))
    return rows


# -- features for fitting: computed once per question and mode, weights applied in numpy


@dataclass
class Case:
    question: dict
    features: np.ndarray  # articles × FEATURES
    targets: np.ndarray  # articles, bool
    evidence: list[np.ndarray]  # per article: lazily filled by `evidence_for`
    signals: object


class Table:
    def __init__(self, retriever: Retriever, questions: list[dict], use_page: bool) -> None:
        self.retriever = retriever
        ids = [article_key(a.id) for a in retriever.index.articles]
        self.ids = ids
        self.cases: list[Case] = []
        for q in questions:
            page = PageContext.model_validate(q["page"])
            signals = retriever.signals(q["question"], page, use_page)
            targets = np.asarray([i in set(q["expected"]) for i in ids])
            self.cases.append(Case(q, signals.features, targets, [], signals))

    def outcomes(self, weights: Weights, idx: list[int]) -> list[Outcome]:
        retriever = Retriever(self.retriever.index, self.retriever.embedder, weights)
        out = []
        for i in idx:
            case = self.cases[i]
            s = case.features @ weights.ranking()
            order = np.argsort(-s, kind="stable")
            evidence = retriever.evidence(case.signals, int(order[0]))  # type: ignore[arg-type]
            q = case.question
            out.append(
                Outcome(
                    q["id"],
                    q["kind"],
                    q["question"],
                    q["expected"],
                    [self.ids[int(j)] for j in order[:5]],
                    retriever.confidence(evidence),
                )
            )
        return out

    def fit(
        self, base: Weights, idx: list[int], l2: float = 0.01, without: tuple[str, ...] = ()
    ) -> Weights:
        answerable = [i for i in idx if self.cases[i].targets.any()]
        ranking = self._fit_ranking(base, answerable, l2, without)
        return self._fit_confidence(ranking, idx)

    def _fit_ranking(
        self, base: Weights, idx: list[int], l2: float, without: tuple[str, ...] = ()
    ) -> Weights:
        fitted = [n for n in FITTED if n not in without]
        cols = [FEATURES.index(n) for n in ("dense", *fitted)]
        X = np.stack([self.cases[i].features[:, cols] for i in idx]).astype(np.float64)
        Y = np.stack([self.cases[i].targets for i in idx])
        fixed = (
            np.stack([self.cases[i].features[:, FEATURES.index("mapped")] for i in idx])
            * base.mapped
        )

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            s = X @ w + fixed * w[0]
            s = s - s.max(axis=1, keepdims=True)
            e = np.exp(s)
            z = e.sum(axis=1)
            p = (e * Y).sum(axis=1)
            value = -(np.log(p) - np.log(z)).mean() + l2 * float(w @ w)
            grad = ((e / z[:, None] - e * Y / p[:, None])[:, :, None] * X).sum(axis=1).mean(axis=0)
            return value, grad + 2 * l2 * w

        w = minimize(loss, np.ones(len(cols)), jac=True, method="L-BFGS-B").x
        w = w / w[0]  # in units of the dense cosine
        values = dict.fromkeys(without, 0.0)
        values.update({n: round(float(v), 2) for n, v in zip(fitted, w[1:], strict=True)})
        return base.replace(**values)

    def _fit_confidence(self, weights: Weights, idx: list[int], l2: float = 0.001) -> Weights:
        """Logistic regression on the evidence, then the bias lowered (never raised) so that the
        most confident out-of-scope question among `idx` sits at CALIBRATE_TO at most."""
        retriever = Retriever(self.retriever.index, self.retriever.embedder, weights)
        rows, labels = [], []
        for i in idx:
            case = self.cases[i]
            best = int(np.argmax(case.features @ weights.ranking()))
            rows.append(retriever.evidence(case.signals, best))  # type: ignore[arg-type]
            labels.append(case.question["kind"] != "oos")
        X = np.column_stack([np.ones(len(rows)), np.stack(rows)]).astype(np.float64)
        y = np.asarray(labels, dtype=np.float64)
        cost = np.where(y > 0, 1.0, OOS_COST)

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            p = 1 / (1 + np.exp(-(X @ w)))
            eps = 1e-9
            value = -(cost * (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))).mean()
            grad = (X * (cost * (p - y))[:, None]).mean(axis=0)
            reg = np.r_[0.0, w[1:]]
            return value + l2 * float(reg @ reg), grad + 2 * l2 * reg

        w = minimize(loss, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B").x
        if (y == 0).any():  # stricter only: never loosen what the regression found
            most = float((X[y == 0] @ w).max())
            w[0] += min(0.0, math.log(CALIBRATE_TO / (1 - CALIBRATE_TO)) - most)
        names = ["conf_bias"] + [f"conf_{n}" for n in EVIDENCE]
        return weights.replace(**{n: round(float(v), 2) for n, v in zip(names, w, strict=True)})


def two_fold(
    tables: dict[str, Table], base: Weights, min_confidence: float, without: tuple[str, ...] = ()
) -> dict:
    """Fit on odd ids, score on even ones, and the reverse; pooled and per fold."""
    page_table = tables["page-aware"]
    odd = [i for i, c in enumerate(page_table.cases) if int(c.question["id"][1:]) % 2 == 1]
    even = [i for i, c in enumerate(page_table.cases) if int(c.question["id"][1:]) % 2 == 0]
    result: dict[str, dict] = {}
    for mode, table in tables.items():
        pooled: list[Outcome] = []
        folds = {}
        for train, test, name in (
            (odd, even, "fit odd, test even"),
            (even, odd, "fit even, test odd"),
        ):
            weights = table.fit(base, train, without=without)
            outcomes = table.outcomes(weights, test)
            pooled += outcomes
            folds[name] = score(outcomes, min_confidence)
        result[mode] = {"pooled": score(pooled, min_confidence), **folds}
    return result


# -- speed


def timing(kb: KnowledgeBase, n_chunks: int = 10_000, repeats: int = 100) -> dict:
    """search() on a synthetic 10k-chunk index built by repeating the real chunks."""
    chunks, vectors = kb.store.load_all()
    rng = np.random.default_rng(0)
    big_chunks: list[StoredChunk] = []
    big_vectors = []
    copy = 0
    while len(big_chunks) < n_chunks:
        for chunk, vector in zip(chunks, vectors, strict=True):
            meta = {**chunk.meta, "article": f"{copy}/{chunk.article}"}
            big_chunks.append(
                StoredChunk(f"{copy}/{chunk.id}", f"{copy}/{chunk.article}", chunk.text, meta)
            )
            noisy = vector + rng.normal(0, 0.02, vector.shape).astype(np.float32)
            big_vectors.append(noisy / np.linalg.norm(noisy))
        copy += 1
    started = time.perf_counter()
    index = KnowledgeIndex(big_chunks[:n_chunks], np.stack(big_vectors[:n_chunks]))
    build_s = time.perf_counter() - started
    retriever = Retriever(index, kb.embedder)
    question = "what happens if i delete this?"
    page = PageContext.model_validate(load_questions()[0]["page"])
    pv = retriever.page_vector(page)
    q = kb.embedder.encode_one(question)  # cached: what is left is the retrieval itself
    retriever.search(question, page, page_vector=pv)
    # Interleaved, so that a busy machine slows both alike: the bare matrix-vector product is
    # the least any dense retrieval pays; the difference is what this module adds.
    floor, times = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        index.vectors @ q
        floor.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        retriever.search(question, page, page_vector=pv)
        times.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    kb.embedder.encode(["how do i add one to the list of things on this page"])
    embed_ms = (time.perf_counter() - started) * 1000
    return {
        "chunks": len(index),
        "articles": len(index.articles),
        "index_build_s": round(build_s, 2),
        "search_ms_median": round(statistics.median(times), 2),
        "search_ms_p90": round(sorted(times)[int(0.9 * len(times))], 2),
        "matvec_ms_median": round(statistics.median(floor), 2),
        "beyond_matvec_ms_median": round(float(np.median(np.subtract(times, floor))), 2),
        "one_embedding_ms": round(embed_ms, 1),
    }


# -- output


def table_lines(results: dict[str, dict]) -> list[str]:
    lines = [
        f"{'mode':<15}{'kind':<6}{'n':>4}{'hit@1':>8}{'hit@3':>8}{'answered':>10}{'declined':>10}"
    ]
    for mode, scores in results.items():
        for kind in KINDS:
            s = scores.get(kind, {})
            hits = f"{s.get('hit@1', ''):>8}{s.get('hit@3', ''):>8}"
            lines.append(
                f"{mode:<15}{kind:<6}{s.get('n', 0):>4}{hits}"
                f"{s.get('answered', ''):>10}{s.get('declined', ''):>10}"
            )
        lines.append(
            f"{mode:<15}false declines of answerable questions: {scores.get('false_decline')}"
        )
    return lines


def run(
    data: Path | None = None,
    fit: bool = False,
    with_timing: bool = True,
    ablate: bool = False,
    folds: bool = True,
) -> dict:
    """Everything the command prints, as data (the tests call this)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data=data or Path(tmp))
        kb = KnowledgeBase(settings)
        kb.ingest(DOCS)
        questions = load_questions()
        retriever = kb.retriever
        base = retriever.weights
        min_confidence = settings.min_confidence
        default: dict[str, list[Outcome]] = {}
        for mode, use_page in (("question-only", False), ("page-aware", True)):
            default[mode] = []
            for q in questions:
                page = PageContext.model_validate(q["page"])
                result = retriever.search(q["question"], page, top_k=4, use_page=use_page)
                ranked = [article_key(a) for a, _ in result.articles]
                default[mode].append(
                    Outcome(
                        q["id"], q["kind"], q["question"], q["expected"], ranked, result.confidence
                    )
                )
        tables = {
            "question-only": Table(retriever, questions, use_page=False),
            "page-aware": Table(retriever, questions, use_page=True),
        }
        out: dict = {
            "min_confidence": min_confidence,
            "default": {mode: score(o, min_confidence) for mode, o in default.items()},
            "two_fold": two_fold(tables, base, min_confidence) if folds else {},
            "misses": {mode: misses(o, min_confidence) for mode, o in default.items()},
        }
        if fit:
            fitted = tables["page-aware"].fit(retriever.weights, list(range(len(questions))))
            out["fitted_weights"] = {
                n: getattr(fitted, n)
                for n in (*FITTED, "conf_bias", *(f"conf_{e}" for e in EVIDENCE))
            }
            out["fitted"] = score(
                tables["page-aware"].outcomes(fitted, list(range(len(questions)))), min_confidence
            )
        if ablate:
            out["ablation"] = {
                name: two_fold({"page-aware": tables["page-aware"]}, base, min_confidence, drop)[
                    "page-aware"
                ]["pooled"]
                for name, drop in ABLATIONS.items()
            }
        if with_timing:
            out["timing"] = timing(kb)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--misses", action="store_true", help="list the page-aware misses")
    parser.add_argument(
        "--fit", action="store_true", help="fit weights on all questions and print them"
    )
    parser.add_argument(
        "--data", type=Path, help="keep the scratch store here (re-runs skip ingestion)"
    )
    parser.add_argument("--no-timing", action="store_true", help="skip the 10k-chunk speed check")
    parser.add_argument("--ablate", action="store_true", help="2-fold refits without each feature")
    args = parser.parse_args()
    out = run(args.data, args.fit, not args.no_timing, args.ablate)
    if args.json:
        if not args.misses:
            out.pop("misses")
        print(json.dumps(out, indent=2))
        return
    print(f"shipped weights (min_confidence {out['min_confidence']})")
    print("\n".join(table_lines(out["default"])))
    print("\n2-fold: fit on odd ids, test on even ids and the reverse (pooled test questions)")
    print("\n".join(table_lines({m: r["pooled"] for m, r in out["two_fold"].items()})))
    for mode, r in out["two_fold"].items():
        for fold in ("fit odd, test even", "fit even, test odd"):
            s = r[fold]
            print(
                f"  {mode:<14}{fold:<20} page {s['page']['hit@1']}/{s['page']['hit@3']}"
                f"  self {s['self']['hit@1']}/{s['self']['hit@3']}"
                f"  oos declined {s['oos']['declined']}  false declines {s['false_decline']}"
            )
    if "fitted_weights" in out:
        print("\nweights fit on all questions:")
        print("  Weights(" + ", ".join(f"{k}={v}" for k, v in out["fitted_weights"].items()) + ")")
        print("\n".join("  " + line for line in table_lines({"fitted": out["fitted"]})))
    if "ablation" in out:
        print("\nablation (page-aware, 2-fold pooled; page hit@1/hit@3, self hit@1/hit@3):")
        for name, s in out["ablation"].items():
            print(
                f"  {name:<20} page {s['page']['hit@1']:.3f}/{s['page']['hit@3']:.3f}"
                f"  self {s['self']['hit@1']:.3f}/{s['self']['hit@3']:.3f}"
                f"  oos declined {s['oos']['declined']}  false declines {s['false_decline']}"
            )
    if "timing" in out:
        t = out["timing"]
        print(
            f"\nsearch() on {t['chunks']} chunks / {t['articles']} articles:"
            f" median {t['search_ms_median']} ms,"
            f" p90 {t['search_ms_p90']} ms; one matrix-vector product {t['matvec_ms_median']} ms"
            f" (search adds {t['beyond_matvec_ms_median']} ms to it);"
            f" one question embedding ≈ {t['one_embedding_ms']} ms;"
            f" index build {t['index_build_s']} s"
        )
    if args.misses:
        print()
        for miss in out["misses"]["page-aware"]:
            print(miss)


if __name__ == "__main__":
    main()
