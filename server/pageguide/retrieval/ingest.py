"""Ingest a folder of knowledge into the vector store, incrementally.

Each article's digest is kept with its chunks: an unchanged article is skipped, a changed one
is replaced whole, a deleted one is removed. Re-running on the same folder writes nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .embed import DIMENSIONS, Embedder
from .markdown import SUFFIXES, Article, ArticleError, parse_article
from .store import VectorStore

log = logging.getLogger("pageguide.ingest")
SKIP_DIRS = {"node_modules", ".git", ".docusaurus", "build", "_build"}
EMBED_BATCH = 256


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    chunks: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged; {self.chunks} chunks embedded in {self.seconds:.1f}s"
            + (f"; {len(self.errors)} errors" if self.errors else "")
        )


def find_articles(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise FileNotFoundError(f"knowledge folder not found: {folder}")
    return sorted(
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in SUFFIXES
        and p.is_file()
        and not any(
            part in SKIP_DIRS or part.startswith(".") for part in p.relative_to(folder).parts
        )
    )


def chunk_text(article: Article, heading_path: tuple[str, ...], text: str) -> str:
    """What gets embedded: the title and heading path give a passage its subject."""
    return " — ".join([article.title, *heading_path]) + "\n" + text


def read_folder(folder: Path) -> tuple[list[Article], list[str]]:
    articles, errors = [], []
    for path in find_articles(folder):
        article_id = path.relative_to(folder).as_posix()
        try:
            articles.append(parse_article(path.read_text(encoding="utf-8"), article_id))
        except (ArticleError, UnicodeDecodeError) as exc:
            errors.append(f"{article_id}: {exc}")
    return articles, errors


def ingest_folder(
    folder: Path,
    store: VectorStore,
    embedder: Embedder,
    progress: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    articles, report.errors = read_folder(folder)
    for error in report.errors:
        log.warning("skipped article", extra={"error": error})

    known = store.article_digests()
    current = {a.id for a in articles}
    report.removed = sorted(set(known) - current)
    todo: list[Article] = []
    for article in articles:
        if article.id not in known:
            report.added.append(article.id)
            todo.append(article)
        elif known[article.id] != article.digest:
            report.updated.append(article.id)
            todo.append(article)
        else:
            report.unchanged += 1

    ids: list[str] = []
    texts: list[str] = []
    metas: list[dict[str, object]] = []
    for article in todo:
        for n, section in enumerate(article.sections):
            ids.append(f"{article.id}#{n}")
            texts.append(chunk_text(article, section.heading_path, section.text))
            metas.append(
                {
                    "article": article.id,
                    "title": article.title,
                    "url": article.url,
                    "pages": article.pages,
                    "tags": article.tags,
                    "heading": section.heading,
                    "headings": list(section.heading_path),
                    "anchor": section.anchor,
                    "position": n,
                    "digest": article.digest,
                    "body": section.text,
                }
            )

    vectors = _embed_with_progress(embedder, texts, progress, on_progress)
    # Replace changed articles whole, so a section that disappeared leaves no orphan chunk.
    store.delete_articles(report.updated + report.removed)
    if ids:
        store.upsert(ids, vectors, texts, metas)
    report.chunks = len(ids)
    if report.changed:
        store.set_version(f"{time.time():.6f}")
    report.seconds = time.perf_counter() - started
    return report


def _embed_with_progress(
    embedder: Embedder,
    texts: list[str],
    progress: bool,
    on_progress: Callable[[int, int], None] | None,
) -> np.ndarray:
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    # The model pads each batch to its longest text. Slicing in folder order mixes short and
    # long chunks in every batch; slicing the texts sorted by length (as one big `encode`
    # call would) pads little, so progress costs no throughput.
    order = np.argsort([-len(t) for t in texts], kind="stable")
    vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    with tqdm(total=len(texts), unit="chunk", desc="embedding", disable=not progress) as bar:
        for start in range(0, len(texts), EMBED_BATCH):
            rows = order[start : start + EMBED_BATCH]
            vectors[rows] = embedder.encode([texts[i] for i in rows])
            bar.update(len(rows))
            if on_progress:
                on_progress(min(start + EMBED_BATCH, len(texts)), len(texts))
    return vectors
