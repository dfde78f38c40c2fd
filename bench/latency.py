"""Retrieval and answer latency at 1k and 10k chunks, as ratios against a same-run baseline.

    .venv/bin/python bench/latency.py [--json] [--quick] [--keep DIR] [--fresh]

Builds two knowledge bases, of ~1k and ~10k chunks (Plausible's docs, the demo's Lumen
articles and synthetic help articles from bench/common.py), each ingested with
`KnowledgeBase.ingest` into its own scratch data folder. Measures:

- retrieval: `retriever.search(question, page, page_vector=…)` with the page vector
  precomputed, as the gateway does while the user reads;
- baseline: the bare cost of one question, `embedder.encode([q])` plus a top-k Chroma query
  (`store.query(vector, k=8)`) on the 10k collection;
- ask → first `answer_delta`: a real `pageguide serve` subprocess (its own model, extractive
  composer) on 127.0.0.1 and a `websockets` client; hello with a page, ~100 ms for the page
  vector, then ask; a question the escalation check hands to a person is not timed;
- where the time goes: the stages of a search, and the server's ask path in process (the
  escalation check, then retrieval) as served and with one shared question embedding.

Building the knowledge bases (embedding ~11k chunks) is most of a run's time and none of its
figures: --keep DIR keeps them, and --quick keeps them by default in a cache folder named after
the code that shapes them (see `common.cache_dir`).

Baseline and subject samples alternate, one of each per iteration. Every question text is new
(see `common.variant`), so no query-embedding cache flatters either side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # puts server/ and the repo root on sys.path

# isort: split
from pageguide.protocol import PageContext
from pageguide.retrieval.embed import Embedder, shared_embedder
from pageguide.retrieval.knowledge import KnowledgeBase
from pageguide.settings import Settings

TARGET_ASK_RATIO = 2.0
SIZES = (1_000, 10_000)
BASELINE_K = 8


def clean_environment() -> None:
    """No PAGEGUIDE_* from the caller's shell: the bench measures the defaults."""
    for key in [k for k in os.environ if k.startswith("PAGEGUIDE_")]:
        del os.environ[key]


# -- in-process measurements


def baseline_once(embedder: Embedder, kb: KnowledgeBase, text: str) -> float:
    start = time.perf_counter()
    vector = embedder.encode([text])[0]  # encode(), not encode_one(): no cache
    kb.store.query(vector, k=BASELINE_K)
    return time.perf_counter() - start


def prepare_page(kb: KnowledgeBase, page: PageContext) -> Any:
    """What the gateway does when a page frame arrives: embed it and prepare its scores."""
    return kb.retriever.page_vector(page)


def measure_retrieval(
    kbs: dict[str, KnowledgeBase],
    base: KnowledgeBase,
    questions: common.QuestionStream,
    n: int,
    warmup: int,
) -> dict[str, Any]:
    """One baseline sample and one search per knowledge base per iteration, in rotating order,
    so every figure comes from the same minutes of the same machine."""
    samples: dict[str, list[float]] = {name: [] for name in kbs}
    samples["baseline"] = []
    jobs = ["baseline", *kbs]
    first = next(iter(kbs))
    for i in range(warmup + n):
        text, page_dict = questions.next()
        page = PageContext.model_validate(page_dict)
        other, _ = questions.next()
        shift = i % len(jobs)
        for job in jobs[shift:] + jobs[:shift]:
            if job == "baseline":
                dt = baseline_once(base.embedder, base, other)
            else:
                kb = kbs[job]
                pv = prepare_page(kb, page)  # untimed: it happens while the user reads
                # The same string in the second KB would hit encode_one's cache; a zero-width
                # space makes it new (the tokenizer drops it, so the retrieval is the same).
                spelled = text if job == first else text + "\u200b"
                start = time.perf_counter()
                kb.retriever.search(spelled, page, page_vector=pv)
                dt = time.perf_counter() - start
            if i >= warmup:
                samples[job].append(dt)
    return {name: common.summary_ms(v) for name, v in samples.items()}


def search_breakdown(kb: KnowledgeBase, questions: common.QuestionStream, n: int) -> dict[str, Any]:
    """Where a search's time goes, each stage timed on its own through the retriever's own
    methods, interleaved with whole searches so the shares come from the same minutes."""
    retriever, embedder = kb.retriever, kb.embedder
    stages: dict[str, list[float]] = {
        "whole search": [],
        "embed question": [],
        "signals (features of every article)": [],
        "rank, confidence, passages": [],
        "page arrival: prepare page (not on ask)": [],
        "page arrival: of which `pages` mapping": [],
    }
    for _ in range(n):
        text, page_dict = questions.next()
        page = PageContext.model_validate(page_dict)
        pv = prepare_page(kb, page)
        t0 = time.perf_counter()
        retriever.search(text, page, page_vector=pv)
        t1 = time.perf_counter()
        other, _ = questions.next()
        q = embedder.encode([other])[0]
        t2 = time.perf_counter()
        signals = retriever.signals(other, page, True, pv, question_vector=q)
        t3 = time.perf_counter()
        score = signals.features @ retriever.weights.ranking()
        order = (-score).argsort(kind="stable")[:5]
        retriever.confidence(retriever.evidence(signals, int(order[0])))
        retriever._passages(order, signals.chunk_scores, 4)
        t4 = time.perf_counter()
        with retriever._pages_lock:  # diagnosis only: forget the page, as on a new page view
            retriever._pages.clear()
        t5 = time.perf_counter()
        retriever._page_work(page, pv)
        t6 = time.perf_counter()
        retriever._mapped(page)
        t7 = time.perf_counter()
        for name, dt in zip(
            stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t6 - t5, t7 - t6), strict=True
        ):
            stages[name].append(dt)
    out = {name: common.summary_ms(v) for name, v in stages.items()}
    whole = out["whole search"]["p50_ms"]
    for entry in out.values():
        entry["share_of_search_p50"] = common.ratio(entry["p50_ms"], whole)
    return out


def ask_path_diagnosis(
    kb: KnowledgeBase, questions: common.QuestionStream, n: int, cache: Path
) -> dict[str, Any]:
    """The server's work on an ask, in process: the escalation check then retrieval, as served
    (the classifier embeds with `encode`, retrieval again with `encode_one`), against the same
    two steps sharing one cached question vector. Interleaved with the baseline."""
    from pageguide.escalation.classifier import EscalationClassifier
    from pageguide.escalation.triggers import evaluate_message

    classifier = EscalationClassifier.train(kb.embedder, cache_dir=cache)
    samples: dict[str, list[float]] = {"as served": [], "one shared embedding": [], "baseline": []}
    for i in range(n):
        text, page_dict = questions.next()
        page = PageContext.model_validate(page_dict)
        pv = prepare_page(kb, page)
        other, _ = questions.next()
        third, _ = questions.next()
        jobs = ["as served", "one shared embedding", "baseline"]
        shift = i % len(jobs)
        for job in jobs[shift:] + jobs[:shift]:
            start = time.perf_counter()
            if job == "as served":
                evaluate_message(text, classifier=classifier)
                kb.retriever.search(text, page, page_vector=pv)
            elif job == "one shared embedding":
                classifier.probabilities(kb.embedder.encode_one(other)[None, :])
                kb.retriever.search(other, page, page_vector=pv)  # encode_one: a cache hit
            else:
                baseline_once(kb.embedder, kb, third)
            samples[job].append(time.perf_counter() - start)
    out = {name: common.summary_ms(v) for name, v in samples.items()}
    base = out["baseline"]["p50_ms"]
    for entry in out.values():
        entry["ratio_p50"] = common.ratio(entry["p50_ms"], base)
    return out


# -- through a real server


async def ask_once(
    ws_url: str, origin: str, text: str, page: dict[str, Any]
) -> dict[str, float] | None:
    """Times of answer_start, the first answer_delta and answer_end after the ask; None when
    the server hands the question to a person instead (a `handoff` frame, no answer)."""
    import websockets

    async with websockets.connect(ws_url, origin=origin, ping_interval=None, max_size=None) as ws:
        await ws.send(
            json.dumps({"type": "hello", "site_key": "demo", "protocol": 1, "page": page})
        )
        ready = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if ready.get("type") != "ready":
            raise RuntimeError(f"expected ready, got {ready}")
        await asyncio.sleep(0.1)  # the server embeds the page meanwhile
        ask_id = uuid.uuid4().hex[:12]
        start = time.perf_counter()
        await ws.send(json.dumps({"type": "ask", "id": ask_id, "text": text}))
        got: dict[str, float] = {}
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
            now = time.perf_counter() - start
            if frame["type"] == "answer_start":
                got["start"] = now
            elif frame["type"] == "answer_delta" and "delta" not in got:
                got["delta"] = now
            elif frame["type"] == "answer_end":
                got["end"] = now
                return got
            elif frame["type"] == "handoff" and "start" not in got:
                return None
            elif frame["type"] == "error":
                raise RuntimeError(f"server error: {frame}")


async def measure_asks(
    ws_url: str,
    origin: str,
    kb: KnowledgeBase,
    questions: common.QuestionStream,
    n: int,
    warmup: int,
) -> dict[str, Any]:
    delta: list[float] = []
    start: list[float] = []
    end: list[float] = []
    bare: list[float] = []
    handed_off = 0
    i = 0
    while len(delta) < n:
        text, page = questions.next()
        other, _ = questions.next()
        b = baseline_once(kb.embedder, kb, other)  # the server is idle meanwhile
        await asyncio.sleep(0.02)
        got = await ask_once(ws_url, origin, text, page)
        await asyncio.sleep(0.02)  # let the server's threads go quiet before the next baseline
        i += 1
        if got is None:
            handed_off += 1
            if handed_off > n:
                raise RuntimeError("most questions were handed off; no answers to time")
            continue
        if i > warmup:
            bare.append(b)
            delta.append(got["delta"])
            start.append(got["start"])
            end.append(got["end"])
    return {
        "ask_to_first_delta": common.summary_ms(delta),
        "ask_to_answer_start": common.summary_ms(start),
        "ask_to_answer_end": common.summary_ms(end),
        "baseline": common.summary_ms(bare),
        "handed_off": handed_off,  # questions escalated to a person: no answer, not timed
    }


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    n = args.iterations or (60 if args.quick else 300)
    asks = args.asks or (40 if args.quick else 200)
    warmup = 5 if args.quick else 15
    embedder = shared_embedder()
    result: dict[str, Any] = {
        "machine": common.machine_note(),
        "torch_threads": args.torch_threads,
        "sizes": {},
    }

    kbs: dict[str, KnowledgeBase] = {}
    corpus = None
    for size in SIZES:
        corpus = common.build_corpus(work / f"corpus-{size}", size)
        kb = KnowledgeBase(Settings(data=work / f"data-{size}"), embedder)
        started = time.perf_counter()
        report = kb.ingest(corpus.folder)
        kbs[str(size)] = kb
        result["sizes"][str(size)] = {
            "chunks": len(kb.index),
            "articles": len(kb.index.articles),
            "ingested": report.summary(),
            "ingest_seconds": round(time.perf_counter() - started, 1),
        }
        print(f"[latency] knowledge base of {len(kb.index)} chunks ready", file=sys.stderr)
    assert corpus is not None
    big = kbs[str(SIZES[-1])]
    questions = common.QuestionStream(common.question_pool(corpus), seed=1)
    measured = measure_retrieval(kbs, big, questions, n, warmup)
    result["baseline"] = measured["baseline"]
    for name, entry in result["sizes"].items():
        entry["search"] = measured[name]
        entry["ratio_search_p50"] = common.ratio(
            measured[name]["p50_ms"], measured["baseline"]["p50_ms"]
        )
        entry["ratio_search_p95"] = common.ratio(
            measured[name]["p95_ms"], measured["baseline"]["p50_ms"]
        )
    result["sizes"][str(SIZES[-1])]["breakdown"] = search_breakdown(big, questions, max(30, n // 3))
    try:
        result["ask_path"] = ask_path_diagnosis(big, questions, max(30, n // 2), work / "cache")
    except (ImportError, AttributeError, TypeError) as exc:  # the escalation API moved on
        result["ask_path"] = {"unavailable": f"{type(exc).__name__}: {exc}"}
    print("[latency] retrieval measured; starting pageguide serve", file=sys.stderr)

    port = common.free_port()
    # A fresh SQLite file per run: the sessions and answers of this run only, on today's schema.
    db = tempfile.mkdtemp(prefix="pageguide-latency-db-")
    argv = [
        str(common.VENV_BIN / "pageguide"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data",
        str(work / f"data-{SIZES[-1]}"),
        "--database-url",
        f"sqlite+aiosqlite:///{db}/pageguide.db",
    ]
    with common.server_process(argv, work / "server.log") as proc, common.removing(Path(db)):
        url = f"http://127.0.0.1:{port}"
        common.wait_healthy(url + "/healthz", proc, timeout=300)
        import httpx

        health = httpx.get(url + "/healthz").json()
        served = asyncio.run(
            measure_asks(f"ws://127.0.0.1:{port}/ws", url, big, questions, asks, warmup)
        )
    served["server_chunks"] = health.get("chunks")
    served["ratio_p50"] = common.ratio(
        served["ask_to_first_delta"]["p50_ms"], served["baseline"]["p50_ms"]
    )
    served["ratio_p95"] = common.ratio(
        served["ask_to_first_delta"]["p95_ms"], served["baseline"]["p50_ms"]
    )
    served["target"] = TARGET_ASK_RATIO
    served["meets_target"] = served["ratio_p50"] <= TARGET_ASK_RATIO
    result["ask"] = served
    result["iterations"] = {"search": n, "asks": asks, "warmup": warmup}
    return result


def render(r: dict[str, Any]) -> str:
    rows = []
    for e in r["sizes"].values():
        rows.append(
            [
                f"search @{e['chunks']} chunks",
                e["search"]["p50_ms"],
                e["search"]["p95_ms"],
                r["baseline"]["p50_ms"],
                e["ratio_search_p50"],
                e["ratio_search_p95"],
            ]
        )
    a = r["ask"]
    for label, key in (
        ("ask → answer_start", "ask_to_answer_start"),
        ("ask → first answer_delta", "ask_to_first_delta"),
        ("ask → answer_end", "ask_to_answer_end"),
    ):
        s = a[key]
        rows.append(
            [
                label,
                s["p50_ms"],
                s["p95_ms"],
                a["baseline"]["p50_ms"],
                common.ratio(s["p50_ms"], a["baseline"]["p50_ms"]),
                common.ratio(s["p95_ms"], a["baseline"]["p50_ms"]),
            ]
        )
    out = [
        f"latency — {r['machine']}",
        "baseline = embedder.encode([q]) + Chroma top-8 on the same collection (p50)",
        "",
        common.table(
            ["subject", "p50 ms", "p95 ms", "baseline p50 ms", "p50/base", "p95/base"], rows
        ),
        "",
        f"ask → first delta p50 / baseline p50 = {a['ratio_p50']}  (target ≤ {a['target']}: "
        f"{'met' if a['meets_target'] else 'MISSED'}; server holds {a['server_chunks']} chunks)",
    ]
    big = r["sizes"][str(SIZES[-1])]
    if "breakdown" in big:
        out += ["", f"search stages @{big['chunks']} chunks (each timed alone):"]
        rows = [
            [k, v["p50_ms"], v["p95_ms"], v["share_of_search_p50"]]
            for k, v in big["breakdown"].items()
        ]
        out.append(common.table(["stage", "p50 ms", "p95 ms", "p50 / search p50"], rows))
    path = r.get("ask_path", {})
    if "baseline" in path:
        out += ["", f"in-process ask path @{big['chunks']} chunks (escalation check + retrieval):"]
        rows = [[k, v["p50_ms"], v["p95_ms"], v["ratio_p50"]] for k, v in path.items()]
        out.append(common.table(["variant", "p50 ms", "p95 ms", "p50 / baseline p50"], rows))
    elif path:
        out += ["", f"in-process ask path: {path['unavailable']}"]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    parser.add_argument("-n", "--iterations", type=int, default=0, help="searches per size")
    parser.add_argument("--asks", type=int, default=0, help="asks through the server")
    parser.add_argument("--keep", type=Path, help="work in DIR and keep it (reused next time)")
    parser.add_argument(
        "--fresh", action="store_true", help="with --quick: build in a scratch folder anyway"
    )
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="torch threads in this process; 1 = what `pageguide serve` uses (app.py)",
    )
    args = parser.parse_args()
    clean_environment()
    common.set_torch_threads(args.torch_threads)
    keep = args.keep
    if keep is None and args.quick and not args.fresh:
        keep = common.cache_dir("latency")
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
        print(f"[latency] knowledge bases kept in {keep}", file=sys.stderr)
        result = run(args, keep)
    else:
        with tempfile.TemporaryDirectory(prefix="pageguide-latency-") as tmp:
            result = run(args, Path(tmp))
    common.emit(result, args.json, render)


if __name__ == "__main__":
    main()
