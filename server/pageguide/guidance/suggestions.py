"""The page-aware welcome: two or three questions worth asking on this page.

Drawn from the articles mapped to the page (their titles, phrased as questions) and, once
there is history, from the questions people most often ask there. Cached per route so that
opening the widget costs no retrieval.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from ..retrieval.index import KnowledgeIndex

MAX = 3
TTL_SECONDS = 600.0  # history changes slowly; a stale suggestion for ten minutes is harmless
_VERBS = {
    "add", "cancel", "change", "connect", "create", "delete", "disconnect", "download",
    "export", "import", "invite", "manage", "remove", "reset", "rotate", "set", "share",
    "troubleshoot", "update", "upgrade", "use", "enable", "disable", "configure", "edit",
}  # fmt: skip


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
        self._top_questions = top_questions
        self._cache: OrderedDict[tuple[str, str], tuple[float, list[str]]] = OrderedDict()

    async def for_page(self, path: str, route: str | None = None) -> list[str]:
        index = self._index()
        key = (route or path, index.version)
        hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < TTL_SECONDS:
            return hit[1]
        asked = await self._top_questions(path)
        suggestions = self.compute(index, path, route, asked)
        self._cache[key] = (time.monotonic(), suggestions)
        if len(self._cache) > 2_000:
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
        # The most asked question first (people know best), then the page's own articles, then
        # the site's general ones for a page with no knowledge of its own.
        candidates = [
            *(q[:1].upper() + q[1:] for q in asked[:1]),
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
