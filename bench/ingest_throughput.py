"""Ingestion throughput against the raw embedding throughput on the very same chunk texts.

    .venv/bin/python bench/ingest_throughput.py [--json] [--quick] [--runs N]

Builds a folder of ~2.5k chunks (Plausible's docs, the demo's Lumen articles and synthetic help
articles from bench/common.py; ~1k with --quick). Then, alternating, in the same process:

- ingest: `ingest_folder(folder, store, embedder)` into a fresh Chroma store each run;
- raw: `embedder.encode(texts)` on exactly the texts ingestion embeds (`read_folder` +
  `chunk_text`), one call, as fast as the model goes;
- sorted, in slices: the texts sorted by length first, then encoded in the same slices: what
  ingestion would cost with the fix this bench suggests (see docs/benchmarks.md);
- raw in ingest's slices: the same texts encoded `EMBED_BATCH` at a time, as `ingest_folder`
  does, to tell the cost of slicing from the cost of everything else.

Reports chunks/s of each (best and median of the runs) and the ratio ingest/raw (target
≥ 0.90), and where an ingest run's time goes (parse, digests, embed, delete, upsert, version).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # puts server/ and the repo root on sys.path

# isort: split
from pageguide.retrieval import ingest as ingest_module
from pageguide.retrieval.embed import Embedder, shared_embedder
from pageguide.retrieval.ingest import EMBED_BATCH, chunk_text, ingest_folder, read_folder
from pageguide.retrieval.store import VectorStore

TARGET_RATIO = 0.90


def chunk_texts(folder: Path) -> list[str]:
    """What ingest_folder embeds for a fresh store: every section of every article."""
    articles, _ = read_folder(folder)
    return [chunk_text(a, s.heading_path, s.text) for a in articles for s in a.sections]


@contextlib.contextmanager
def timed(target: Any, name: str, spent: dict[str, float], cpu: dict[str, float]) -> Iterator[None]:
    """Wrap `target.name` so that its wall time adds up in `spent[name]`, its CPU time in
    `cpu[name]`."""
    original: Callable[..., Any] = getattr(target, name)
    own = name in vars(target)  # a module's function, not a method looked up on the class

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - start
            cpu[name] += time.process_time() - start_cpu

    setattr(target, name, wrapper)
    try:
        yield
    finally:
        if own:
            setattr(target, name, original)
        else:
            delattr(target, name)


class Clock:
    """Wall time and this process's CPU time (all threads) of one run. On a shared machine the
    CPU time is the steadier figure: waiting for a core does not count, working does."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def ingest_once(
    folder: Path, embedder: Embedder, scratch: Path
) -> tuple[Clock, int, dict[str, float]]:
    """One ingest into a fresh store: its clock, chunks, and wall seconds per stage."""
    with tempfile.TemporaryDirectory(dir=scratch) as data:
        store = VectorStore(Path(data))
        spent: dict[str, float] = defaultdict(float)
        cpu: dict[str, float] = defaultdict(float)
        with contextlib.ExitStack() as stack:
            stack.enter_context(timed(ingest_module, "read_folder", spent, cpu))
            stack.enter_context(timed(embedder, "encode", spent, cpu))
            for method in ("article_digests", "delete_articles", "upsert", "set_version"):
                stack.enter_context(timed(store, method, spent, cpu))
            with Clock() as clock:
                report = ingest_folder(folder, store, embedder)
        spent["other"] = clock.wall - sum(spent.values())
        spent["encode_cpu"] = cpu["encode"]  # to set beside raw's CPU time
        return clock, report.chunks, dict(spent)


RAW, SLICED, SORTED = "raw", "raw in ingest's slices", "sorted, in slices"


def raw_once(embedder: Embedder, texts: list[str], how: str) -> Clock:
    with Clock() as clock:
        if how == RAW:
            embedder.encode(texts)
        else:
            if how == SORTED:  # the sort is part of the cost
                texts = sorted(texts, key=len, reverse=True)
            for i in range(0, len(texts), EMBED_BATCH):
                embedder.encode(texts[i : i + EMBED_BATCH])
    return clock


def padded_tokens(embedder: Embedder, texts: list[str]) -> dict[str, int]:
    """The model's work, counted without a clock: sentence-transformers sorts each call's
    texts by length and pads every batch to its longest text, so encoding in slices of
    EMBED_BATCH pads more than one call over all texts. Token counts are exact; the time
    follows them roughly (attention grows faster than linearly with length)."""
    model = embedder._model  # the SentenceTransformer: diagnosis only
    limit = int(model.max_seq_length)
    tokens = [min(len(ids), limit) for ids in model.tokenizer(texts, verbose=False)["input_ids"]]
    batch = embedder._batch_size

    def padded(call: list[int]) -> int:
        order = sorted(call, key=lambda i: -len(texts[i]))  # as SentenceTransformer.encode
        return sum(
            len(order[b : b + batch]) * max(tokens[i] for i in order[b : b + batch])
            for b in range(0, len(order), batch)
        )

    def sliced(order: list[int]) -> int:
        return sum(padded(order[s : s + EMBED_BATCH]) for s in range(0, len(order), EMBED_BATCH))

    by_length = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    return {
        "real": sum(tokens),
        "padded_one_call": padded(list(range(len(texts)))),
        "padded_ingest_slices": sliced(list(range(len(texts)))),
        "padded_sorted_slices": sliced(by_length),
    }


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    target = args.chunks or (1_000 if args.quick else 2_500)
    runs = args.runs or 2
    corpus = common.build_corpus(work / "corpus", target)
    texts = chunk_texts(corpus.folder)
    embedder = shared_embedder()
    embedder.encode(texts[:64])  # warm-up: first-call allocations are nobody's cost

    clocks: dict[str, list[Clock]] = {"ingest": [], RAW: [], SLICED: [], SORTED: []}
    stages: list[dict[str, float]] = []
    chunks = len(texts)
    jobs = list(clocks)
    for i in range(runs):
        shift = i % len(jobs)
        for job in jobs[shift:] + jobs[:shift]:
            if job == "ingest":
                clock, chunks_ingested, spent = ingest_once(corpus.folder, embedder, work)
                if chunks_ingested != len(texts):
                    raise RuntimeError(f"ingested {chunks_ingested} chunks, expected {len(texts)}")
                stages.append(spent)
            else:
                clock = raw_once(embedder, texts, job)
            clocks[job].append(clock)
            print(
                f"[ingest] round {i + 1}/{runs} {job}: {chunks / clock.wall:.1f} chunks/s wall, "
                f"{chunks / clock.cpu:.1f} chunks per CPU-second",
                file=sys.stderr,
            )

    rates = {}
    for job, runs_of_job in clocks.items():
        wall = [c.wall for c in runs_of_job]
        cpu = [c.cpu for c in runs_of_job]
        rates[job] = {
            "best_chunks_per_s": round(chunks / min(wall), 2),
            "median_chunks_per_s": round(chunks / statistics.median(wall), 2),
            "median_chunks_per_cpu_s": round(chunks / statistics.median(cpu), 2),
            "wall_s": [round(x, 2) for x in wall],
            "cpu_s": [round(x, 2) for x in cpu],
        }
    # Per round: ingest against raw of the same round, the pairing that cancels slow minutes.
    paired = [r.wall / g.wall for g, r in zip(clocks["ingest"], clocks["raw"], strict=True)]
    paired_cpu = [r.cpu / g.cpu for g, r in zip(clocks["ingest"], clocks["raw"], strict=True)]
    encode_cpu = statistics.median(s.pop("encode_cpu") for s in stages)
    median_stages = {
        name: round(statistics.median(s.get(name, 0.0) for s in stages), 3) for name in stages[0]
    }
    total = statistics.median(c.wall for c in clocks["ingest"])
    tokens = padded_tokens(embedder, texts)
    ratio_median = common.ratio(
        rates["ingest"]["median_chunks_per_s"], rates["raw"]["median_chunks_per_s"]
    )
    ratio_cpu = common.ratio(
        rates["ingest"]["median_chunks_per_cpu_s"], rates["raw"]["median_chunks_per_cpu_s"]
    )
    return {
        "machine": common.machine_note(),
        "torch_threads": torch_threads(),
        "chunks": chunks,
        "articles": len(read_folder(corpus.folder)[0]),
        "runs": runs,
        "embed_batch": EMBED_BATCH,
        "rates": rates,
        "ratio_median": ratio_median,
        "ratio_cpu": ratio_cpu,
        "ratio_paired_median": round(statistics.median(paired), 3),
        "ratio_paired_cpu_median": round(statistics.median(paired_cpu), 3),
        "ratio_sorted_slices_over_raw_cpu": common.ratio(
            rates[SORTED]["median_chunks_per_cpu_s"], rates[RAW]["median_chunks_per_cpu_s"]
        ),
        "ratio_sliced_over_raw_cpu": common.ratio(
            rates[SLICED]["median_chunks_per_cpu_s"],
            rates["raw"]["median_chunks_per_cpu_s"],
        ),
        "target": TARGET_RATIO,
        "meets_target": ratio_cpu >= TARGET_RATIO,
        "tokens": tokens,
        "ratio_padded_tokens_one_call_over_slices": common.ratio(
            tokens["padded_one_call"], tokens["padded_ingest_slices"]
        ),
        "ingest_encode_chunks_per_cpu_s": round(chunks / encode_cpu, 2),
        "ratio_ingest_encode_over_sliced_cpu": common.ratio(
            chunks / encode_cpu, rates[SLICED]["median_chunks_per_cpu_s"]
        ),
        "ingest_stages_s": median_stages,
        "ingest_stage_shares": {k: common.ratio(v, total) for k, v in median_stages.items()},
    }


def torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def render(r: dict[str, Any]) -> str:
    raw = r["rates"]["raw"]
    rows = [
        [
            job,
            v["best_chunks_per_s"],
            v["median_chunks_per_s"],
            common.ratio(v["median_chunks_per_s"], raw["median_chunks_per_s"]),
            v["median_chunks_per_cpu_s"],
            common.ratio(v["median_chunks_per_cpu_s"], raw["median_chunks_per_cpu_s"]),
        ]
        for job, v in r["rates"].items()
    ]
    stage_rows = [
        [name, seconds, r["ingest_stage_shares"][name]]
        for name, seconds in r["ingest_stages_s"].items()
    ]
    t = r["tokens"]
    return "\n".join(
        [
            f"ingest throughput — {r['chunks']} chunks in {r['articles']} articles, "
            f"{r['runs']} rounds, subjects rotating; torch threads {r['torch_threads']}",
            r["machine"],
            "",
            common.table(
                [
                    "subject",
                    "best chunks/s",
                    "median chunks/s",
                    "/ raw",
                    "median chunks/CPU-s",
                    "/ raw",
                ],
                rows,
            ),
            "",
            f"ingest / raw: CPU {r['ratio_cpu']}, wall {r['ratio_median']} (paired per round: "
            f"CPU {r['ratio_paired_cpu_median']}, wall {r['ratio_paired_median']}); target ≥ "
            f"{r['target']} on CPU: {'met' if r['meets_target'] else 'MISSED'}",
            f"padded tokens: one call {t['padded_one_call']:,}, in ingest's slices of "
            f"{r['embed_batch']} {t['padded_ingest_slices']:,} (ratio "
            f"{r['ratio_padded_tokens_one_call_over_slices']}), sorted then sliced "
            f"{t['padded_sorted_slices']:,}; real tokens {t['real']:,}",
            f"ingest's own encode calls: {r['ingest_encode_chunks_per_cpu_s']} chunks/CPU-s, "
            f"{r['ratio_ingest_encode_over_sliced_cpu']} of raw in the same slices",
            "",
            "where an ingest run's time goes (median wall seconds, share of the run):",
            common.table(["stage", "seconds", "share"], stage_rows),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="~1k chunks instead of ~2.5k")
    parser.add_argument("--chunks", type=int, default=0, help="target chunks in the folder")
    parser.add_argument("--runs", type=int, default=0, help="runs of each subject (default 2)")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="torch threads; 1 = as `pageguide serve --knowledge` ingests (0 = torch's default)",
    )
    args = parser.parse_args()
    if args.torch_threads:
        common.set_torch_threads(args.torch_threads)
    with tempfile.TemporaryDirectory(prefix="pageguide-ingest-") as tmp:
        result = run(args, Path(tmp))
    common.emit(result, args.json, render)


if __name__ == "__main__":
    main()
