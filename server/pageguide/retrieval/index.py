"""An in-memory mirror of the Chroma collection, laid out for fast scoring.

Chroma is the store of record. A product's help centre is thousands of chunks, not millions,
so the serving process keeps the vectors as one contiguous matrix (10k chunks ≈ 15 MB) with
chunks sorted by article: dense scores are one matrix-vector product and per-article maxima
one `reduceat`, far cheaper than a round trip per signal. A BM25 index over the same chunks
gives the lexical half of hybrid retrieval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import bm25s
import numpy as np

from .store import StoredChunk, VectorStore


@dataclass(frozen=True)
class ArticleInfo:
    id: str
    title: str
    url: str
    pages: tuple[str, ...]
    tags: tuple[str, ...]
    start: int  # first chunk row
    end: int  # one past the last chunk row


@dataclass(frozen=True)
class ChunkInfo:
    id: str
    article: int  # index into KnowledgeIndex.articles
    heading: str
    anchor: str
    text: str  # the section body, as written


_TOKEN = re.compile(r"[a-z0-9]+")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


class KnowledgeIndex:
    def __init__(self, chunks: list[StoredChunk], vectors: np.ndarray, version: str = "") -> None:
        self.version = version
        order = sorted(range(len(chunks)), key=lambda i: (chunks[i].article, chunks[i].meta.get("position", 0)))
        self.vectors = np.ascontiguousarray(vectors[order]) if len(order) else vectors
        self.articles: list[ArticleInfo] = []
        self.chunks: list[ChunkInfo] = []
        article_of_row: list[int] = []
        for row, i in enumerate(order):
            chunk = chunks[i]
            meta = chunk.meta
            if not self.articles or self.articles[-1].id != chunk.article:
                if self.articles:
                    last = self.articles[-1]
                    self.articles[-1] = ArticleInfo(**{**last.__dict__, "end": row})
                self.articles.append(
                    ArticleInfo(
                        id=chunk.article,
                        title=str(meta.get("title", chunk.article)),
                        url=str(meta.get("url", "")),
                        pages=tuple(meta.get("pages", []) or []),  # type: ignore[arg-type]
                        tags=tuple(meta.get("tags", []) or []),  # type: ignore[arg-type]
                        start=row,
                        end=row + 1,
                    )
                )
            article_of_row.append(len(self.articles) - 1)
            self.chunks.append(
                ChunkInfo(
                    id=chunk.id,
                    article=len(self.articles) - 1,
                    heading=str(meta.get("heading", "")),
                    anchor=str(meta.get("anchor", "")),
                    text=str(meta.get("body", chunk.text)),
                )
            )
        if self.articles:
            last = self.articles[-1]
            self.articles[-1] = ArticleInfo(**{**last.__dict__, "end": len(self.chunks)})
        self.article_of_row = np.asarray(article_of_row, dtype=np.int64)
        self.article_starts = np.asarray([a.start for a in self.articles], dtype=np.int64)
        self._bm25: bm25s.BM25 | None = None
        if self.chunks:
            corpus = [tokenize(chunks[i].text) for i in order]
            self._bm25 = bm25s.BM25()
            self._bm25.index(corpus, show_progress=False)
        self._vocab = set() if self._bm25 is None else set(self._bm25.vocab_dict)

    @classmethod
    def load(cls, store: VectorStore) -> KnowledgeIndex:
        version = store.version()
        chunks, vectors = store.load_all()
        return cls(chunks, vectors, version)

    def __len__(self) -> int:
        return len(self.chunks)

    def lexical_scores(self, query: str) -> np.ndarray:
        """BM25 score per chunk row (0 where no query term occurs)."""
        scores = np.zeros(len(self.chunks), dtype=np.float32)
        if self._bm25 is None:
            return scores
        terms = [t for t in tokenize(query) if t in self._vocab]
        if not terms:
            return scores
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)

    def per_article_max(self, row_scores: np.ndarray) -> np.ndarray:
        if not len(self.articles):
            return np.zeros(0, dtype=np.float32)
        return np.maximum.reduceat(row_scores, self.article_starts)
