"""The page-aware welcome: two or three questions worth asking on this page.

Drawn from the articles mapped to the page (their titles, phrased as questions) and, once
there is history, from the questions people most often ask there. Cached per route template
(routes.py: `/acme/projects/1` and `/acme/projects/2` are one page) and computed when a page
arrives, so that opening the widget costs no retrieval and no query.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from ..retrieval.index import KnowledgeIndex

log = logging.getLogger("pageguide.suggestions")
MAX = 3
TTL_SECONDS = 600.0  # history changes slowly; a stale suggestion for ten minutes is harmless
CACHE_SIZE = 2_000  # templates, not paths: a product has hundreds of pages at most
_VERBS = {
    "add", "cancel", "change", "connect", "create", "delete", "disconnect", "download",
    "export", "import", "invite", "manage", "remove", "reset", "rotate", "set", "share",
    "troubleshoot", "update", "upgrade", "use", "enable", "disable", "configure", "edit",
}  # fmt: skip

Key = tuple[str, str]  # (route template, index version)


def as_question(title: str) -> str:
    """ "Change your plan" -> "How do I change my plan?"; other titles stay as they are."""
    words = title.strip().split()
    if not words or words[0].lower() not in _VERBS:
        return title.strip()
    text = " ".join([words[0].lower(), *words[1:]])
    text = re.sub(r"\byour\b", "my", text)
    text = re.sub(r"\byou\b", "I", text)
    return f"How do I {text}?"


class Suggestions:
    def __init__(
        self,
        index: Callable[[], KnowledgeIndex],
        top_questions: Callable[[str], Awaitable[list[str]]],
    ) -> None:
        self._index = index
        self._top_questions = top_questions  # by route template
        self._cache: OrderedDict[Key, tuple[float, list[str]]] = OrderedDict()
        self._pending: dict[Key, asyncio.Task[list[str]]] = {}

    def _fresh(self, key: Key) -> list[str] | None:
        hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < TTL_SECONDS:
            return hit[1]
        return None

    def warm(self, path: str, template: str, route: str | None = None) -> None:
        """Compute the page's suggestions in the background, if they are not cached, so that
        the widget opening later finds them ready."""
        key = (template, self._index().version)
        if self._fresh(key) is None and key not in self._pending:
            task = asyncio.create_task(self._compute(key, path, route))
            self._pending[key] = task
            task.add_done_callback(lambda done: self._settled(key, done))

    def _settled(self, key: Key, task: asyncio.Task[list[str]]) -> None:
        self._pending.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("suggestions failed", exc_info=task.exception(), extra={"page": key[0]})

    async def for_page(self, path: str, template: str, route: str | None = None) -> list[str]:
        key = (template, self._index().version)
        hit = self._fresh(key)
        if hit is not None:
            return hit
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)  # warming already: wait for it, once
        return await self._compute(key, path, route)  # not warmed (or expired): now

    async def _compute(self, key: Key, path: str, route: str | None) -> list[str]:
        try:
            asked = await self._top_questions(key[0])
        except Exception:
            # The articles still make a welcome; not cached, so the next opening asks again.
            log.exception("question history failed", extra={"page": key[0]})
            return self.compute(self._index(), path, route, [])
        suggestions = self.compute(self._index(), path, route, asked)
        self._cache[key] = (time.monotonic(), suggestions)
        self._cache.move_to_end(key)
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return suggestions

    @staticmethod
    def compute(index: KnowledgeIndex, path: str, route: str | None, asked: list[str]) -> list[str]:
        tightest = index.page_map.matches(path, route)
        mapped = [
            (tight, index.articles[a].start, index.articles[a].title)
            for a, tight in tightest.items()
        ]
        mapped.sort(key=lambda item: (-item[0], item[1]))
        general = [a.title for a in index.articles if not a.pages]
        # The most asked question first (people know best), in the words people used, then
        # the page's own articles, then the site's general ones for a page with no knowledge
        # of its own.
        candidates = [
            *asked[:1],
            *(as_question(t) for *_, t in mapped),
            *(as_question(t) for t in general),
        ]
        out: list[str] = []
        for question in candidates:
            if question.lower().rstrip("?") not in {o.lower().rstrip("?") for o in out}:
                out.append(question)
            if len(out) == MAX:
                break
        return out
