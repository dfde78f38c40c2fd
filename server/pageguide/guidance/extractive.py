"""The embedded default composer: streams the most relevant steps from the retrieved articles.

No model, no invention: every line it sends is a line of a help article, chosen by how much
it shares with the question, in the article's own order, under the article's title.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from ..retrieval.index import tokenize
from .base import AnswerRequest, Usage

MAX_LINES = 10
MAX_CHARS = 900
_STEP = re.compile(r"^\s*(\d+\.|-)\s")
_SMALL_WORDS = frozenset(
    "a an the to of in on for and or is are do does i my how what can you it this that with be"
    .split()
)


def _content_words(text: str) -> set[str]:
    return {w for w in tokenize(text) if w not in _SMALL_WORDS and len(w) > 2}


def select_lines(text: str, question: str) -> list[str]:
    """The passage's lines worth showing: all of a short one; for a long one, its steps and
    the lines that share words with the question, kept in order."""
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) <= MAX_LINES and len(text) <= MAX_CHARS:
        return lines
    wanted = _content_words(question)
    scored = []
    for i, line in enumerate(lines):
        overlap = len(wanted & _content_words(line))
        scored.append((overlap + (0.5 if _STEP.match(line) else 0.0), i))
    keep = sorted(i for _, i in sorted(scored, reverse=True)[:MAX_LINES])
    if 0 not in keep and not _STEP.match(lines[0]):
        keep = [0, *keep[:-1]]  # the lead sentence frames what follows
    out, size = [], 0
    for i in keep:
        if size + len(lines[i]) > MAX_CHARS and out:
            break
        out.append(lines[i])
        size += len(lines[i])
    return out


class ExtractiveComposer:
    name = "extractive"

    async def stream(self, request: AnswerRequest, usage: Usage) -> AsyncIterator[str]:
        usage.model = self.name
        passages = request.retrieval.passages
        if not passages:
            return
        top = passages[0]
        where = f"**{top.title}**" + (
            f" › {top.heading}" if top.heading and top.heading != top.title else ""
        )
        yield f"From {where}:\n\n"
        for line in select_lines(top.text, request.question):
            yield line + "\n"
        # A second section of the same article often holds the rest of the steps.
        extra = next(
            (p for p in passages[1:] if p.article_id == top.article_id and p.text != top.text), None
        )
        if extra is not None and extra.heading:
            lines = select_lines(extra.text, request.question)[:4]
            if lines:
                yield f"\n**{extra.heading}**\n"
                for line in lines:
                    yield line + "\n"
