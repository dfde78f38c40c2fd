"""Page-aware retrieval: the question, shaped by the page it was asked on.

Scores articles, not chunks (an article is what a user follows), from four features:
  dense   cosine of the question with the article's best chunk
  lexical BM25 of the question, normalised by the best hit (hybrid retrieval)
  page    cosine of the page context (title, headings, route words) with the article's best chunk
  mapped  the article's `pages` front matter matches the current path or route
How much the page counts depends on the question: "what happens if I delete this?" leans on
the page; "how do I invite a team member?" does not, so pasting the page into it would only
add noise. `docs/retrieval.md` explains the weights and `bench/retrieval_eval.py` measures them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from ..protocol import PageContext
from .embed import Embedder
from .index import KnowledgeIndex
from .pages import matches_any, specificity

# Words that point at the screen instead of naming a subject.
_DEICTIC = re.compile(
    r"\b(this|that|these|those|it|its|here|one|ones|them|they|page|screen|above|below|thing|button)\b",
    re.I,
)
_STOP = re.compile(
    r"\b(how|do|does|did|i|we|you|can|could|to|a|an|the|what|why|is|are|my|our|if|of|on|in|for|"
    r"and|or|with|when|where|who|which|will|would|should|happens|happen|me|be|get|make|there)\b",
    re.I,
)


@dataclass(frozen=True)
class Weights:
    lexical: float = 0.15
    page_deictic: float = 0.55  # page weight when the question points at the page
    page_self: float = 0.10  # page weight for a self-contained question
    mapped_deictic: float = 0.20
    mapped_self: float = 0.04
    # confidence: logistic over the evidence for the best article
    conf_mid: float = 0.42
    conf_scale: float = 0.07


@dataclass(frozen=True)
class Passage:
    article_id: str
    title: str
    url: str
    heading: str
    anchor: str
    text: str
    score: float


@dataclass
class Retrieval:
    passages: list[Passage]
    confidence: float
    page_dependent: bool
    articles: list[tuple[str, float]] = field(default_factory=list)  # (article id, score), best first

    @property
    def best_article(self) -> str | None:
        return self.articles[0][0] if self.articles else None


def page_text(page: PageContext | None) -> str:
    """The words that say what a page is about; embedded once per page and cached."""
    if page is None:
        return ""
    words = [w for w in re.split(r"[/:_\-\d]+", page.route or page.path) if w and len(w) > 1]
    title = re.split(r"\s[—–|·-]\s", page.title)[0] if page.title else ""
    parts = [title, *page.headings[:8], " ".join(words)]
    return ". ".join(p.strip() for p in parts if p and p.strip())


def is_page_dependent(question: str) -> bool:
    """Does the question lean on the page for its subject?"""
    content = _STOP.sub(" ", _DEICTIC.sub(" ", question))
    content_words = [w for w in re.findall(r"[a-z]{3,}", content.lower())]
    return bool(_DEICTIC.search(question)) or len(content_words) <= 1


class Retriever:
    def __init__(self, index: KnowledgeIndex, embedder: Embedder, weights: Weights | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.weights = weights or Weights()

    def page_vector(self, page: PageContext | None) -> np.ndarray | None:
        text = page_text(page)
        return self.embedder.encode_one(text) if text else None

    def search(
        self,
        question: str,
        page: PageContext | None = None,
        top_k: int = 4,
        use_page: bool = True,
        page_vector: np.ndarray | None = None,
    ) -> Retrieval:
        index, w = self.index, self.weights
        dependent = use_page and page is not None and is_page_dependent(question)
        if not len(index):
            return Retrieval([], 0.0, dependent)

        q = self.embedder.encode_one(question)
        dense = index.vectors @ q
        lexical = index.lexical_scores(question)
        if lexical.max() > 0:
            lexical = lexical / lexical.max()
        chunk_score = dense + w.lexical * lexical

        mapped = np.zeros(len(index.articles), dtype=np.float32)
        page_rows = np.zeros_like(dense)
        if use_page and page is not None:
            pv = page_vector if page_vector is not None else self.page_vector(page)
            if pv is not None:
                page_rows = index.vectors @ pv
            mapped = self._mapped(page)
            page_weight = w.page_deictic if dependent else w.page_self
            chunk_score = chunk_score + page_weight * page_rows

        article_score = index.per_article_max(chunk_score)
        mapped_weight = w.mapped_deictic if dependent else w.mapped_self
        article_score = article_score + mapped_weight * mapped

        order = np.argsort(-article_score)[: max(top_k, 5)]
        best = int(order[0])
        evidence = float(index.per_article_max(dense)[best])
        if dependent:
            # A vague question is as answerable as the page match is strong.
            page_best = float(index.per_article_max(page_rows)[best])
            evidence = max(evidence, 0.5 * evidence + 0.5 * page_best + 0.1 * float(mapped[best]))
        confidence = 1.0 / (1.0 + math.exp(-(evidence - w.conf_mid) / w.conf_scale))

        passages = self._passages(order, chunk_score, top_k)
        ranked = [(index.articles[int(i)].id, float(article_score[int(i)])) for i in order]
        return Retrieval(passages, round(confidence, 3), dependent, ranked)

    def _mapped(self, page: PageContext) -> np.ndarray:
        out = np.zeros(len(self.index.articles), dtype=np.float32)
        best = 0
        for i, article in enumerate(self.index.articles):
            if article.pages and matches_any(list(article.pages), page.path, page.route):
                tight = max(specificity(p) for p in article.pages)
                out[i] = tight
                best = max(best, tight)
        # Only the tightest mapping counts fully: /settings/* should not tie with /settings/billing.
        return np.where(out >= best, 1.0, np.where(out > 0, 0.5, 0.0)).astype(np.float32) if best else out

    def _passages(self, order: np.ndarray, chunk_score: np.ndarray, top_k: int) -> list[Passage]:
        """Best chunks of the best articles, the top article first and most."""
        index = self.index
        out: list[Passage] = []
        for rank, a in enumerate(order[:3]):
            article = index.articles[int(a)]
            rows = range(article.start, article.end)
            take = 2 if rank == 0 else 1
            for row in sorted(rows, key=lambda r: -chunk_score[r])[:take]:
                chunk = index.chunks[row]
                out.append(
                    Passage(
                        article_id=article.id,
                        title=article.title,
                        url=article.url,
                        heading=chunk.heading,
                        anchor=chunk.anchor,
                        text=chunk.text,
                        score=float(chunk_score[row]),
                    )
                )
        return out[:top_k]
