"""Questions grouped by meaning: "how do I change my card" and "update credit card" are one
theme to a product manager.

Greedy threshold clustering over normalised sentence embeddings, in numpy: the most asked
phrasing starts a cluster, each next phrasing joins the nearest cluster centroid when their
cosine similarity is at least `threshold`, else starts its own; one re-assignment pass then
moves phrasings to their best final centroid. Each cluster is labelled by its most central
member (highest count-weighted similarity to the centroid). `cluster_vectors` is pure;
`cluster_questions` embeds (with a small cache) and calls it. `insights/` may reuse both.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

DEFAULT_THRESHOLD = 0.65  # cosine, all-MiniLM-L6-v2: paraphrases ≳ 0.65, same topic ≈ 0.5
_CACHE_SIZE = 20_000


class QuestionExample(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    count: int


class QuestionCluster(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str  # the most central question
    count: int  # questions in the cluster (repeats included)
    share: float  # of all the questions clustered
    examples: list[QuestionExample]  # the most asked phrasings, the label first


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def cluster_vectors(
    vectors: np.ndarray,
    weights: Sequence[float] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[list[int]]:
    """Clusters as lists of row indices, biggest (by weight) first; within a cluster the most
    central row first. Deterministic for a given input order."""
    n = len(vectors)
    if n == 0:
        return []
    x = _normalise(np.asarray(vectors, dtype=np.float32))
    w = np.ones(n, dtype=np.float32) if weights is None else np.asarray(weights, np.float32)
    order = sorted(range(n), key=lambda i: (-w[i], i))
    sums: list[np.ndarray] = []
    for i in order:
        if sums:
            centroids = _normalise(np.stack(sums))
            sims = centroids @ x[i]
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                sums[best] = sums[best] + w[i] * x[i]
                continue
        sums.append(w[i] * x[i].copy())
    centroids = _normalise(np.stack(sums))
    # one reassignment pass: an early phrasing may fit a later cluster better
    sims = x @ centroids.T  # (n, k)
    assign = np.argmax(sims, axis=1)
    members: dict[int, list[int]] = {}
    for i in order:
        members.setdefault(int(assign[i]), []).append(i)
    clusters = []
    for rows in members.values():
        centre = _normalise((w[rows, None] * x[rows]).sum(axis=0, keepdims=True))[0]
        # the label: most central, ties to the most asked
        label = max(rows, key=lambda i: (round(float(x[i] @ centre), 3), w[i], -i))
        rest = sorted((i for i in rows if i != label), key=lambda i: (-w[i], i))
        clusters.append(([label, *rest], float(w[rows].sum())))
    clusters.sort(key=lambda c: (-c[1], c[0][0]))
    return [c[0] for c in clusters]


class _VectorCache:
    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def encode(self, embedder: Any, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._items]
        if missing:
            vectors = embedder.encode(missing)
            with self._lock:
                for text, vector in zip(missing, vectors, strict=True):
                    self._items[text] = vector
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        with self._lock:
            found = []
            for t in texts:
                self._items.move_to_end(t)
                found.append(self._items[t])
        return np.stack(found)


_cache = _VectorCache()


def exact_groups(counted: Sequence[tuple[str, int]], limit: int = 20) -> list[QuestionCluster]:
    """Without the model: one group per distinct (case-folded) text."""
    merged: dict[str, list[Any]] = {}
    for text, count in counted:
        key = " ".join(text.lower().split())
        if key in merged:
            merged[key][1] += count
        else:
            merged[key] = [text, count]
    total = sum(c for _, c in merged.values()) or 1
    rows = sorted(merged.values(), key=lambda tc: (-tc[1], tc[0]))[:limit]
    return [
        QuestionCluster(
            label=t, count=c, share=round(c / total, 4), examples=[QuestionExample(text=t, count=c)]
        )
        for t, c in rows
    ]


def cluster_questions(
    counted: Sequence[tuple[str, int]],
    embedder: Any | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 20,
    max_examples: int = 5,
) -> list[QuestionCluster]:
    """(text, times asked) pairs → clusters, biggest first. Blocking (embeds): call it in a
    thread from async code. `embedder` defaults to the process's shared model."""
    counted = [(t, int(c)) for t, c in counted if t and t.strip() and c > 0]
    if not counted:
        return []
    if embedder is None:
        from ..retrieval.embed import shared_embedder

        embedder = shared_embedder()
    texts = [" ".join(t.split()) for t, _ in counted]
    vectors = _cache.encode(embedder, texts)
    weights = [c for _, c in counted]
    total = sum(weights)
    out = []
    for rows in cluster_vectors(vectors, weights, threshold)[:limit]:
        count = sum(weights[i] for i in rows)
        out.append(
            QuestionCluster(
                label=texts[rows[0]],
                count=count,
                share=round(count / total, 4),
                examples=[
                    QuestionExample(text=texts[i], count=weights[i]) for i in rows[:max_examples]
                ],
            )
        )
    return out
