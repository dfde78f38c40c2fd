"""The vector store: Chroma, embedded (PersistentClient) by default or a server by URL.

Chroma never embeds anything itself here: every write and query passes our own vectors, and
the collection is opened with `embedding_function=None` so its default model is never loaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from .. import settings as _settings  # noqa: F401  (telemetry off before chromadb loads)

SPACE = {"hnsw:space": "cosine"}


@dataclass(frozen=True)
class StoredChunk:
    id: str
    article: str
    text: str
    meta: dict[str, object]


def open_client(data: Path, url: str | None):  # -> chromadb.api.ClientAPI
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if url:
        parsed = urlparse(url)
        return chromadb.HttpClient(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https",
            settings=chroma_settings,
        )
    path = data / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class VectorStore:
    def __init__(self, data: Path, url: str | None = None, collection: str = "pageguide") -> None:
        self._client = open_client(data, url)
        self._name = collection
        self._collection = self._client.get_or_create_collection(
            collection, embedding_function=None, metadata=dict(SPACE)
        )

    # -- writes

    def upsert(
        self, ids: list[str], vectors: np.ndarray, texts: list[str], metas: list[dict[str, object]]
    ) -> None:
        for start in range(0, len(ids), 1_000):  # Chroma caps a batch's size
            end = start + 1_000
            self._collection.upsert(
                ids=ids[start:end],
                embeddings=vectors[start:end],
                documents=texts[start:end],
                metadatas=[_flat(m) for m in metas[start:end]],
            )

    def delete_articles(self, article_ids: list[str]) -> None:
        if article_ids:
            self._collection.delete(where={"article": {"$in": article_ids}})

    def set_version(self, version: str) -> None:
        # The distance function lives in the collection configuration, not in metadata.
        self._collection.modify(metadata={"version": version})

    # -- reads

    def version(self) -> str:
        fresh = self._client.get_collection(self._name, embedding_function=None)
        return str((fresh.metadata or {}).get("version", ""))

    def count(self) -> int:
        return self._collection.count()

    def article_digests(self) -> dict[str, str]:
        """article id -> content digest, for incremental re-ingestion."""
        got = self._collection.get(include=["metadatas"])
        return {str(m["article"]): str(m.get("digest", "")) for m in got["metadatas"] or []}

    def load_all(self) -> tuple[list[StoredChunk], np.ndarray]:
        got = self._collection.get(include=["embeddings", "documents", "metadatas"])
        chunks = [
            StoredChunk(id=i, article=str(m["article"]), text=d or "", meta=_unflat(m))
            for i, d, m in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
            )
        ]
        vectors = got["embeddings"]
        if vectors is None or len(chunks) == 0:
            return [], np.zeros((0, 384), dtype=np.float32)
        return chunks, np.asarray(vectors, dtype=np.float32)

    def query(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first."""
        n = min(k, self.count())
        if n == 0:
            return []
        got = self._collection.query(
            query_embeddings=vector[None, :], n_results=n, include=["distances"]
        )
        return [
            (i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)
        ]


def _flat(meta: dict[str, object]) -> dict[str, str | int | float | bool]:
    """Chroma metadata holds scalars only; lists travel as JSON."""
    out: dict[str, str | int | float | bool] = {}
    for key, value in meta.items():
        if isinstance(value, (str, int, float, bool)):
            out[key] = value
        else:
            out[f"{key}__json"] = json.dumps(value)
    return out


def _unflat(meta: dict[str, object]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in meta.items():
        if key.endswith("__json") and isinstance(value, str):
            out[key[: -len("__json")]] = json.loads(value)
        else:
            out[key] = value
    return out
