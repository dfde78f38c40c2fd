"""The knowledge base a server answers from: the store, its in-memory index, the retriever."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..settings import Settings
from .embed import DIMENSIONS, Embedder, shared_embedder
from .index import KnowledgeIndex
from .ingest import IngestReport, ingest_folder
from .search import Retriever
from .store import VectorStore

log = logging.getLogger("pageguide.knowledge")


class KnowledgeBase:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or shared_embedder()
        self.store = VectorStore(settings.data, settings.chroma_url, settings.collection)
        self.retriever = Retriever(
            KnowledgeIndex([], np.zeros((0, DIMENSIONS), np.float32)), self.embedder
        )
        self._lock = asyncio.Lock()
        self._loaded = False
        self._patterns: tuple[KnowledgeIndex, list[str]] | None = None

    @property
    def index(self) -> KnowledgeIndex:
        return self.retriever.index

    @property
    def loaded(self) -> bool:
        return self._loaded

    def page_patterns(self) -> list[str]:
        """Every `pages` pattern of the loaded articles (for route templates)."""
        index = self.index
        if self._patterns is None or self._patterns[0] is not index:
            found = sorted({p for a in index.articles for p in a.pages})
            self._patterns = (index, found)
        return self._patterns[1]

    def reload(self) -> None:
        self.retriever.index = KnowledgeIndex.load(self.store)
        self._loaded = True
        log.info(
            "knowledge loaded",
            extra={"chunks": len(self.index), "articles": len(self.index.articles)},
        )

    def ingest(
        self,
        folder: Path,
        progress: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> IngestReport:
        report = ingest_folder(
            folder, self.store, self.embedder, progress=progress, on_progress=on_progress
        )
        if report.changed or not self.loaded:
            self.reload()
        return report

    async def refresh_if_changed(self) -> bool:
        """Pick up an ingest run by another process (several servers share one Chroma)."""
        async with self._lock:
            version = await asyncio.to_thread(self.store.version)
            if version == self.index.version:
                return False
            index = await asyncio.to_thread(KnowledgeIndex.load, self.store)
            self.retriever.index = index
            log.info("knowledge reloaded", extra={"chunks": len(index), "version": version})
            return True
