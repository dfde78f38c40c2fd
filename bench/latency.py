"""Retrieval and answer latency at 1k and 10k chunks, as ratios against a same-run baseline.

    .venv/bin/python bench/latency.py [--json] [--quick] [--keep DIR]

Builds a knowledge base of ~1k chunks (Plausible's docs, the demo's Lumen articles and
synthetic help articles from bench/common.py), then grows it to ~10k, ingesting each with
`KnowledgeBase.ingest` in a scratch data folder. Measures:

- retrieval: `retriever.search(question, page, page_vector=…)` with the page vector
  precomputed, as the gateway does while the user reads;
- baseline: the bare cost of one question, `embedder.encode([q])` plus a top-k Chroma query
  (`store.query(vector, k=8)`) on the same collection;
- ask → first `answer_delta`: a real `pageguide serve` subprocess (its own model, extractive
  composer) on 127.0.0.1 and a `websockets` client; hello with a page, ~100 ms for the page
  vector, then ask.

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
import common  # noqa: E402  (puts server/ and the repo root on sys.path)

from pageguide.protocol import PageContext  # noqa: E402
from pageguide.retrieval.embed import Embedder, shared_embedder  # noqa: E402
from pageguide.retrieval.knowledge import KnowledgeBase  # noqa: E402
from pageguide.retrieval.search import page_text  # noqa: E402
from pageguide.settings import Settings  # noqa: E402

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


class PageVectors:
    """Page vectors computed ahead, as the gateway does when a page arrives."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.cache: dict[str, Any] = {}

    def get(self, page: PageContext) -> Any:
        key = page_text(page)
        if key not in self.cache:
            self.cache[key] = self.kb.retriever.page_vector(page)
        return self.cache[key]


def measure_retrieval(
    kbs: dict[str, KnowledgeBase],
    base: KnowledgeBase,
    questions: common.QuestionStream,
    n: int,
    warmup: int,
) -> dict[str, Any]:
    """One baseline sample and one search per knowledge base per iteration, in rotating order,
    so every figure comes from the same minutes of the same machine."""
    vectors = {name: PageVectors(kb) for name, kb in kbs.items()}
    samples: dict[str, list[float]] = {name: [] for name in kbs}
    samples["baseline"] = []
    jobs = ["baseline", *kbs]
    for i in range(warmup + n):
        text, page_dict = questions.next()
        page = PageContext.model_validate(page_dict)
        other, _ = questions.next()
        for name in kbs:
            vectors[name].get(page)
        shift = i % len(jobs)
        for job in jobs[shift:] + jobs[:shift]:
            if job == "baseline":
                dt = baseline_once(base.embedder, base, other)
            else:
                kb = kbs[job]
                pv = vectors[job].get(page)
                # The same text in each KB would hit encode_one's cache the second time.
                spelled = text if job == next(iter(kbs)) else text + "\u200b"
                start = time.perf_counter()
                kb.retriever.search(spelled, page, page_vector=pv)
                dt = time.perf_counter() - start
            if i >= warmup:
                samples[job].append(dt)
    return {name: common.summary_ms(v) for name, v in samples.items()}


def search_breakdown(kb: KnowledgeBase, questions: common.QuestionStream, n: int) -> dict[str, Any]:
    """Where a search's time goes: each stage of Retriever.search timed on its own."""
    retriever, index, embedder = kb.retriever, kb.index, kb.embedder
    stages: dict[str, list[float]] = {
        "embed question": [], "dense (matrix · q)": [], "BM25 scores": [],
        "page rows (matrix · page)": [], "page mapping (_mapped)": [],
        "per-article max + sort": [], "passages": [],
    }  # fmt: skip
    vectors = PageVectors(kb)
    for _ in range(n):
        text, page_dict = questions.next()
        page = PageContext.model_validate(page_dict)
        pv = vectors.get(page)
        t0 = time.perf_counter()
        q = embedder.encode([text])[0]
        t1 = time.perf_counter()
        dense = index.vectors @ q
        t2 = time.perf_counter()
        lexical = index.lexical_scores(text)
        t3 = time.perf_counter()
        rows = index.vectors @ pv
        t4 = time.perf_counter()
        retriever._mapped(page)  # noqa: SLF001  (diagnosis of a private stage)
        t5 = time.perf_counter()
        score = dense + 0.15 * lexical + 0.1 * rows
        article = index.per_article_max(score)
        order = (-article).argsort()[:5]
        index.per_article_max(dense)
        t6 = time.perf_counter()
        retriever._passages(order, score, 4)  # noqa: SLF001
        t7 = time.perf_counter()
        for name, dt in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t7 - t6), strict=True):
            stages[name].append(dt)
    return {name: common.summary_ms(v) for name, v in stages.items()}


# -- through a real server


async def ask_once(ws_url: str, origin: str, text: str, page: dict[str, Any]) -> dict[str, float]:
    import websockets

    async with websockets.connect(ws_url, origin=origin, ping_interval=None, max_size=None) as ws:
        await ws.send(json.dumps({"type": "hello", "site_key": "demo", "protocol": 1, "page": page}))
        ready = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if ready.get("type") != "ready":
            raise RuntimeError(f"expected ready, got {ready}")
        await asyncio.sleep(0.1)  # the server embeds the page meanwhile
        ask_id = uuid.uuid4().hex[:12]
        start = time.perf_counter()
        await ws.send(json.dumps({"type": "ask", "id": ask_id, "text": text}))
        got: dict[str, float] = {}
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
            now = time.perf_counter() - start
            if frame["type"] == "answer_start":
                got["start"] = now
            elif frame["type"] == "answer_delta" and "delta" not in got:
                got["delta"] = now
            elif frame["type"] == "answer_end":
                got["end"] = now
                return got
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
    for i in range(warmup + n):
        text, page = questions.next()
        other, _ = questions.next()
        b = baseline_once(kb.embedder, kb, other)  # the server is idle meanwhile
        await asyncio.sleep(0.02)
        got = await ask_once(ws_url, origin, text, page)
        await asyncio.sleep(0.02)  # let the server's threads go quiet before the next baseline
        if i >= warmup:
            bare.append(b)
            delta.append(got["delta"])
            start.append(got["start"])
            end.append(got["end"])
    return {
        "ask_to_first_delta": common.summary_ms(delta),
        "ask_to_answer_start": common.summary_ms(start),
        "ask_to_answer_end": common.summary_ms(end),
        "baseline": common.summary_ms(bare),
    }


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    n = args.iterations or (60 if args.quick else 300)
    asks = args.asks or (40 if args.quick else 200)
    warmup = 5 if args.quick else 15
    embedder = shared_embedder()
    result: dict[str, Any] = {"machine": common.machine_note(), "sizes": {}}

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
        entry["ratio_search_p50"] = common.ratio(measured[name]["p50_ms"], measured["baseline"]["p50_ms"])
        entry["ratio_search_p95"] = common.ratio(measured[name]["p95_ms"], measured["baseline"]["p50_ms"])
    result["sizes"][str(SIZES[-1])]["breakdown"] = search_breakdown(big, questions, max(30, n // 3))
    print("[latency] retrieval measured; starting pageguide serve", file=sys.stderr)

    port = common.free_port()
    argv = [str(common.VENV_BIN / "pageguide"), "serve", "--host", "127.0.0.1", "--port", str(port),
            "--data", str(work / f"data-{SIZES[-1]}")]  # fmt: skip
    with common.server_process(argv, work / "server.log") as proc:
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
    for size, e in r["sizes"].items():
        rows.append([f"search @{e['chunks']} chunks", e["search"]["p50_ms"], e["search"]["p95_ms"],
                     r["baseline"]["p50_ms"], e["ratio_search_p50"], e["ratio_search_p95"]])  # fmt: skip
    a = r["ask"]
    for label, key in (("ask → answer_start", "ask_to_answer_start"),
                       ("ask → first answer_delta", "ask_to_first_delta"),
                       ("ask → answer_end", "ask_to_answer_end")):  # fmt: skip
        s = a[key]
        rows.append([label, s["p50_ms"], s["p95_ms"], a["baseline"]["p50_ms"],
                     common.ratio(s["p50_ms"], a["baseline"]["p50_ms"]),
                     common.ratio(s["p95_ms"], a["baseline"]["p50_ms"])])  # fmt: skip
    out = [
        f"latency — {r['machine']}",
        "baseline = embedder.encode([q]) + Chroma top-8 on the same collection (p50)",
        "",
        common.table(["subject", "p50 ms", "p95 ms", "baseline p50 ms", "p50/base", "p95/base"], rows),
        "",
        f"ask → first delta p50 / baseline p50 = {a['ratio_p50']}  (target ≤ {a['target']}: "
        f"{'met' if a['meets_target'] else 'MISSED'}; server holds {a['server_chunks']} chunks)",
    ]
    big = r["sizes"][str(SIZES[-1])]
    if "breakdown" in big:
        out += ["", f"search stages @{big['chunks']} chunks (each timed alone):"]
        out.append(common.table(["stage", "p50 ms", "p95 ms"],
                                [[k, v["p50_ms"], v["p95_ms"]] for k, v in big["breakdown"].items()]))  # fmt: skip
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    parser.add_argument("-n", "--iterations", type=int, default=0, help="searches per size")
    parser.add_argument("--asks", type=int, default=0, help="asks through the server")
    parser.add_argument("--keep", type=Path, help="work in DIR and keep it (reused next time)")
    args = parser.parse_args()
    clean_environment()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = run(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="pageguide-latency-") as tmp:
            result = run(args, Path(tmp))
    common.emit(result, args.json, render)


if __name__ == "__main__":
    main()
