"""Texts by meaning: the sentence embeddings when a model is given, else overlapping words.

The clustering itself is `reports.clusters.cluster_vectors` (greedy threshold clustering over
normalised embeddings), shared with the reports so a "theme" means the same thing in both.
Blocking (embedding is CPU work): async callers run these in a thread.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..reports.clusters import DEFAULT_THRESHOLD, cluster_vectors

SAME_QUESTION = 0.62  # cosine above which a re-asked question is "the same question again"
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an and are as at be but by can do does for from how i if in is it me my of on or so "
    "that the this to was what when where which why will with you your".split()
)


def words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP)


def jaccard(a: str, b: str) -> float:
    wa, wb = words(a), words(b)
    if not wa or not wb:
        return 1.0 if " ".join(a.lower().split()) == " ".join(b.lower().split()) else 0.0
    return len(wa & wb) / len(wa | wb)


def encode(embedder: Any, texts: Sequence[str]) -> np.ndarray:
    vectors = np.asarray(embedder.encode(list(texts)), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def cluster(
    texts: Sequence[str],
    weights: Sequence[float] | None = None,
    embedder: Any | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[list[int]]:
    """Groups of indices into `texts`, heaviest first, the most central text first in each.
    Without an embedder, texts group when at least half their content words are shared."""
    if not texts:
        return []
    if embedder is not None:
        unique = list(dict.fromkeys(" ".join(t.split()) for t in texts))
        found = encode(embedder, unique)
        row = {t: i for i, t in enumerate(unique)}
        vectors = np.stack([found[row[" ".join(t.split())]] for t in texts])
        return cluster_vectors(vectors, weights, threshold)
    w = list(weights) if weights is not None else [1.0] * len(texts)
    order = sorted(range(len(texts)), key=lambda i: (-w[i], i))
    groups: list[list[int]] = []
    for i in order:
        best = max(groups, key=lambda g: jaccard(texts[g[0]], texts[i]), default=None)
        if best is not None and jaccard(texts[best[0]], texts[i]) >= 0.5:
            best.append(i)
        else:
            groups.append([i])
    groups.sort(key=lambda g: (-sum(w[i] for i in g), g[0]))
    return groups


def same_question(
    pairs: Sequence[tuple[str, str]], embedder: Any | None = None, threshold: float = SAME_QUESTION
) -> list[bool]:
    """For each (earlier, later) pair: is the later question the earlier one asked again?"""
    if not pairs:
        return []
    if embedder is None:
        return [jaccard(a, b) >= 0.5 for a, b in pairs]
    unique = list(dict.fromkeys(t for pair in pairs for t in pair))
    vectors = encode(embedder, unique)
    row = {t: i for i, t in enumerate(unique)}
    return [float(vectors[row[a]] @ vectors[row[b]]) >= threshold for a, b in pairs]
