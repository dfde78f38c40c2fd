"""An in-memory mirror of the Chroma collection, laid out for fast scoring.

Chroma is the store of record. A product's help centre is thousands of chunks, not millions,
so the serving process keeps the vectors as one contiguous matrix (10k chunks ≈ 15 MB) with
chunks sorted by article: dense scores are one matrix-vector product and per-article maxima
one `reduceat`, far cheaper than a round trip per signal. A BM25 index over the same chunks,
held as a sparse matrix so that a query can weight its terms (the page's words count less
than the question's), gives the lexical half of hybrid retrieval.

Each article also gets a *profile*, derived from the stored vectors (no model call): the
normalised mean of its chunk vectors, what the article is about as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from .pages import PageMap
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
_VOWEL = re.compile(r"[aeiouy]")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
BM25_K1 = 1.2
BM25_B = 0.75


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def normalize(word: str) -> str:
    """A light stemmer: plural, -ing and -ed endings, a final e, a doubled last consonant.

    Both sides of a match go through it, so it only has to be consistent, not pretty:
    "resetting", "resets" and "reset" meet at "reset"; "deleted" and "delete" at "delet".
    """
    w = word
    if len(w) <= 3 or w.isdigit():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        stem = w[: -len(suffix)]
        if w.endswith(suffix) and len(stem) >= 3 and _VOWEL.search(stem):
            w = stem
            break
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiou":
        w = w[:-1]
    return w


def terms(text: str) -> list[str]:
    """Normalised tokens, the unit of lexical matching."""
    return [normalize(t) for t in tokenize(text)]


def _typos(word: str) -> set[str]:
    """Strings one deletion, transposition, substitution or insertion away (Norvig's edits1),
    inside the word only: a change at either end is more often another word or another form
    ("light"/"flight", "german"/"germany") than a typo."""
    splits = [(word[:i], word[i:]) for i in range(1, len(word))]
    return {
        *(a + b[1:] for a, b in splits if len(b) > 1),
        *(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 2),
        *(a + c + b[1:] for a, b in splits if len(b) > 1 for c in _LETTERS),
        *(a + c + b for a, b in splits for c in _LETTERS),
    } - {word}


class KnowledgeIndex:
    def __init__(self, chunks: list[StoredChunk], vectors: np.ndarray, version: str = "") -> None:
        self.version = version
        order = sorted(
            range(len(chunks)), key=lambda i: (chunks[i].article, chunks[i].meta.get("position", 0))
        )
        self.vectors = (
            np.ascontiguousarray(vectors[order], dtype=np.float32) if len(order) else vectors
        )
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
        # The stored text is "Title — heading path\nbody": titles and headings count as words.
        self._build_lexical([terms(chunks[i].text) for i in order])
        self.profiles = self._profiles()

    @classmethod
    def load(cls, store: VectorStore) -> KnowledgeIndex:
        version = store.version()
        chunks, vectors = store.load_all()
        return cls(chunks, vectors, version)

    def __len__(self) -> int:
        return len(self.chunks)

    # -- lexical

    def _build_lexical(self, docs: list[list[str]]) -> None:
        self.vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[int] = []
        for row, doc in enumerate(docs):
            seen: dict[int, int] = {}
            for term in doc:
                col = self.vocab.setdefault(term, len(self.vocab))
                seen[col] = seen.get(col, 0) + 1
            rows.extend([row] * len(seen))
            cols.extend(seen)
            counts.extend(seen.values())
        n_docs = len(docs)
        lengths = np.asarray([len(d) for d in docs], dtype=np.float32)
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=len(self.vocab)).astype(
            np.float32
        )
        self.idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        self.max_idf = float(np.log1p((n_docs + 0.5) / 0.5)) if n_docs else 0.0
        tf = np.asarray(counts, dtype=np.float32)
        row_idx = np.asarray(rows, dtype=np.int64)
        col_idx = np.asarray(cols, dtype=np.int64)
        avg = float(lengths.mean()) if n_docs else 1.0
        norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths[row_idx] / max(avg, 1e-9))
        weight = tf * (BM25_K1 + 1) / (tf + norm) * self.idf[col_idx]
        # Column-major: a query touches a handful of terms, so it reads a handful of columns.
        self._bm25 = sp.csc_matrix(
            (weight, (row_idx, col_idx)), shape=(n_docs, len(self.vocab)), dtype=np.float32
        )

    def lexical(self, weights: Mapping[str, float]) -> np.ndarray:
        """BM25 per chunk row for normalised terms with per-term weights (unknown terms score 0)."""
        m = self._bm25
        rows, values = [], []
        for term, weight in weights.items():
            col = self.vocab.get(term)
            if col is not None and weight:
                lo, hi = m.indptr[col], m.indptr[col + 1]
                rows.append(m.indices[lo:hi])
                values.append(m.data[lo:hi] * weight)
        if not rows:
            return np.zeros(len(self.chunks), dtype=np.float32)
        summed = np.bincount(
            np.concatenate(rows), np.concatenate(values), minlength=len(self.chunks)
        )
        return summed.astype(np.float32)

    def lexical_scores(self, query: str) -> np.ndarray:
        """BM25 score per chunk row (0 where no query term occurs)."""
        return self.lexical(dict.fromkeys(terms(query), 1.0))

    def idf_of(self, term: str) -> float:
        """Rarity of a normalised term; a term the knowledge never uses is as rare as can be."""
        col = self.vocab.get(term)
        return float(self.idf[col]) if col is not None else self.max_idf

    def known(self, term: str) -> bool:
        """Is the term in the knowledge, allowing one typo in a longer word ("adress")?"""
        if term in self.vocab:
            return True
        return len(term) >= 5 and any(e in self.vocab for e in _typos(term))

    def articles_with(self, term: str) -> np.ndarray:
        """Indices of the articles whose text contains the term (typo-tolerant like `known`)."""
        cols = [self.vocab[term]] if term in self.vocab else []
        if not cols and len(term) >= 5:
            cols = [self.vocab[e] for e in _typos(term) if e in self.vocab]
        if not cols:
            return np.zeros(0, dtype=np.int64)
        rows = np.concatenate(
            [self._bm25.indices[self._bm25.indptr[c] : self._bm25.indptr[c + 1]] for c in cols]
        )
        return np.unique(self.article_of_row[rows])

    # -- per-article derived vectors

    @cached_property
    def page_map(self) -> PageMap:
        """The articles' `pages` patterns, ready to match a page view against."""
        return PageMap([a.pages for a in self.articles])

    def per_article_max(self, row_scores: np.ndarray) -> np.ndarray:
        if not len(self.articles):
            return np.zeros(0, dtype=np.float32)
        return np.maximum.reduceat(row_scores, self.article_starts, axis=-1)

    def _profiles(self) -> np.ndarray:
        if not len(self.articles):
            return np.zeros(
                (0, self.vectors.shape[1] if self.vectors.ndim == 2 else 0), dtype=np.float32
            )
        sums = np.add.reduceat(self.vectors, self.article_starts, axis=0)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return (sums / np.maximum(norms, 1e-9)).astype(np.float32)
