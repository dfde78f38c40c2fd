"""From a question on a page to a streamed, sourced answer — or a plain "I don't know"."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np

from ..protocol import PageContext, Source
from ..retrieval.knowledge import KnowledgeBase
from ..retrieval.search import Retrieval
from ..settings import Settings
from .base import AnswerRequest, Composer, ComposerError, Turn, Usage
from .extractive import ExtractiveComposer

log = logging.getLogger("pageguide.guidance")

DECLINE = (
    "I couldn't find this in the help articles, and I'd rather not guess. "
    "Would you like me to bring in a person from the team?"
)
OFFER_MARGIN = 0.15  # just above the decline line, an answer also offers a person
INTERRUPTED = "\n\n_(The assistant was interrupted; here is what the help articles say.)_\n\n"

Emit = Callable[[str], Awaitable[None]]


@dataclass
class AnswerResult:
    text: str
    sources: list[Source]
    confidence: float
    offer_human: bool
    composer: str
    status: str  # complete | declined | fallback
    usage: Usage = field(default_factory=Usage)
    first_token_ms: float | None = None
    total_ms: float = 0.0


def source_url(base: str, article_id: str, url: str, anchor: str = "") -> str:
    if url:
        return url
    slug = str(PurePosixPath(article_id).with_suffix(""))
    return f"{base.rstrip('/')}/help/{slug}" + (f"#{anchor}" if anchor else "")


class Guide:
    def __init__(
        self, settings: Settings, knowledge: KnowledgeBase, llm: Composer | None = None
    ) -> None:
        self.settings = settings
        self.knowledge = knowledge
        self.llm = llm
        self.extractive = ExtractiveComposer()

    async def retrieve(
        self, question: str, page: PageContext | None, page_vector: np.ndarray | None = None
    ) -> Retrieval:
        # Embedding is CPU work that releases the GIL: off the event loop, other sessions go on.
        return await asyncio.to_thread(
            self.knowledge.retriever.search, question, page, self.settings.top_k, True, page_vector
        )

    def sources(self, retrieval: Retrieval, base: str) -> list[Source]:
        seen: dict[str, Source] = {}
        for passage in retrieval.passages:
            if passage.article_id not in seen and len(seen) < 3:
                url = source_url(base, passage.article_id, passage.url, passage.anchor)
                seen[passage.article_id] = Source(title=passage.title, url=url)
        return list(seen.values())

    async def answer(
        self,
        question: str,
        page: PageContext | None,
        emit: Emit,
        base_url: str,
        history: list[Turn] | None = None,
        page_vector: np.ndarray | None = None,
    ) -> AnswerResult:
        started = time.perf_counter()
        retrieval = await self.retrieve(question, page, page_vector)
        request = AnswerRequest(question, page, retrieval, history or [])
        parts: list[str] = []
        first: list[float] = []

        async def send(text: str) -> None:
            if not first:
                first.append((time.perf_counter() - started) * 1000)
            parts.append(text)
            await emit(text)

        if retrieval.confidence < self.settings.min_confidence or not retrieval.passages:
            await send(DECLINE)
            return AnswerResult(
                DECLINE, [], retrieval.confidence, True, "decline", "declined",
                first_token_ms=first[0], total_ms=(time.perf_counter() - started) * 1000,
            )  # fmt: skip

        status, usage = "complete", Usage()
        composer: Composer = self.llm or self.extractive
        try:
            async for delta in composer.stream(request, usage):
                await send(delta)
        except ComposerError as exc:
            log.warning(
                "composer failed, falling back",
                extra={"composer": composer.name, "error": str(exc)},
            )
            status, composer = "fallback", self.extractive
            if parts:
                await send(INTERRUPTED)
            usage = Usage()
            async for delta in self.extractive.stream(request, usage):
                await send(delta)
        return AnswerResult(
            text="".join(parts),
            sources=self.sources(retrieval, base_url),
            confidence=retrieval.confidence,
            offer_human=retrieval.confidence < self.settings.min_confidence + OFFER_MARGIN,
            composer=composer.name,
            status=status,
            usage=usage,
            first_token_ms=first[0] if first else None,
            total_ms=(time.perf_counter() - started) * 1000,
        )
