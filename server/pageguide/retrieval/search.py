"""Page-aware retrieval: the question, shaped by the page it was asked on.

Scores articles, not chunks (an article is what a user follows), as a weighted sum of a few
features (`FEATURES`, one weight each in `Weights`):
  dense          cosine of the question with the article's best chunk
  lexical        BM25 of the question's words, article maximum, saturated
  joint_dense    best chunk for question and page together: cos(q, c) + b·cos(page, c)
  joint_lexical  BM25 of the question's words plus the page's words in the same chunk
  page_profile   cosine of the page with the article's profile (mean of its chunk vectors)
  mapped         the article's `pages` front matter matches the current path or route
The four page features are multiplied by a page gate in [0, 1] that falls as the question's
own best dense match rises: "what happens if I delete this?" matches nothing well by itself
and leans on the page; "how do I invite a team member?" does not. A question that points at
the page ("this", "here", a dangling "after?") keeps at least half the page weight.
Confidence is a logistic over the evidence for the best article: the question's own dense
match, how much of its wording the article covers, how much of it the knowledge never uses;
the page may vouch only for a question that points at it and names nothing unknown.
`docs/retrieval.md` explains the choices; `bench/retrieval_eval.py` measures and fits them.
"""

from __future__ import annotations

import dataclasses
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from ..protocol import PageContext
from .embed import Embedder
from .index import KnowledgeIndex, normalize, terms, tokenize

# Words that point at the screen instead of naming a subject.
_DEICTIC_WORDS = frozenset(
    (
        "this that these those it its here one ones them they page screen above below thing button"
    ).split()
)
_DEICTIC = re.compile(r"\b(" + "|".join(sorted(_DEICTIC_WORDS)) + r")\b", re.I)
# Function words, question words and apostrophe-less contractions: never a subject.
STOP_WORDS = frozenset(
    """a about above after again all also am an and any are as at be been before being both but by
    can cannot could did do does doing done each else etc for from get gets getting got had has have
    having how i if in into is just let like may me might more most must my myself need no not now
    of off on once only or other our out over own same shall she should so some such than the their
    then there these they thing things through to too under until up upon us use very via was we
    were what when where which while who whom whose why will with would yet you your yours
    happen happens happened make made want wants please still ever even
    whats hows wheres whos thats theres dont doesnt didnt cant couldnt wont wouldnt shouldnt isnt
    arent wasnt werent havent hasnt im ive id ill youre youve weve theyre lets""".split()
)
# A question that ends on a preposition leaves its object to the context: "do I keep access after?"
_DANGLING = re.compile(
    r"\b(after|before|for|over|with|to|from|about|of|at|into|onto|instead)\W*$", re.I
)
_TITLE_SEPARATOR = re.compile(r"\s+[·|—–\-:]\s+")
_DOMAIN = re.compile(r"^[\w-]+(\.[\w-]+)+$")
# A number, or letters and digits mixed in four or more characters: an id, not a word ("2fa" stays).
_ID_LIKE = re.compile(r"^\d+$|^(?=.*\d)(?=.*[a-z])[a-z0-9]{4,}$", re.I)
MAX_PAGE_HEADINGS = 8
PAGE_CACHE_SIZE = 128  # pages whose derived scores are kept (≈ 40 kB each at 10k chunks)

FEATURES = ("dense", "lexical", "joint_dense", "joint_lexical", "page_profile", "mapped")
EVIDENCE = ("dense", "coverage", "unknown", "page_support")


@dataclass(frozen=True)
class Weights:
    """Feature weights in units of the dense cosine; fit by `bench/retrieval_eval.py --fit`."""

    dense: float = 1.0
    lexical: float = 0.69
    joint_dense: float = 0.43
    joint_lexical: float = 0.98
    page_profile: float = 0.53
    mapped: float = 0.30  # set by hand: the evaluation set has no `pages` mappings
    # the page gate: sigmoid((gate_mid - best question cosine) / gate_width)
    gate_mid: float = 0.45
    gate_width: float = 0.05
    gate_floor_deictic: float = 0.5  # the least page weight for a question that points at the page
    # A question with many content words names its own subject even when no chunk matches it
    # well ("migrate my site from community edition to the cloud"): the gate also falls as
    # sigmoid((gate_terms_mid - content terms) / gate_terms_width). Page-dependent questions
    # that do not point at the page use at most four content words in the evaluation set.
    gate_terms_mid: float = 5.5
    gate_terms_width: float = 0.5
    page_in_chunk: float = 0.5  # b in joint_dense
    page_in_lexical: float = 1.0  # weight of the page's words beside the question's in BM25
    heading_terms: float = 0.5  # a page heading's words count half a title word ...
    heading_focus: float = 2.0  # ... and twice that when the question shares a word with it
    lexical_saturation: float = 8.0  # BM25 s -> s / (s + k)
    # confidence: sigmoid(bias + Σ weight × evidence), evidence about the best article
    conf_bias: float = -3.75
    conf_dense: float = 2.19
    conf_coverage: float = 3.26
    conf_unknown: float = -3.04
    conf_page_support: float = 6.35

    def ranking(self) -> np.ndarray:
        return np.asarray([getattr(self, name) for name in FEATURES], dtype=np.float32)

    def replace(self, **changes: float) -> Weights:
        return dataclasses.replace(self, **changes)


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
    # (article id, score), best first
    articles: list[tuple[str, float]] = field(default_factory=list)
    page_weight: float = 0.0  # the page gate: how much the page shaped the ranking

    @property
    def best_article(self) -> str | None:
        return self.articles[0][0] if self.articles else None


@dataclass
class Signals:
    """Everything `search` decides from: one row of `FEATURES` per article, and the evidence."""

    features: np.ndarray  # articles × len(FEATURES)
    chunk_scores: np.ndarray  # per chunk row, for choosing passages
    dense: np.ndarray  # per article: the question alone
    page_dense: np.ndarray  # per article: the page alone
    gate: float
    leans_on_page: bool
    content: list[str]  # the question's normalised content terms
    unknown: float  # IDF share of those terms the knowledge never uses


@dataclass(frozen=True)
class PageProfile:
    """What a page frame says about the page's subject, in words."""

    title: tuple[str, ...]  # the title's own parts, without the product or site name
    headings: tuple[str, ...]
    path_words: tuple[str, ...]

    @classmethod
    def of(cls, page: PageContext) -> PageProfile:
        parts = [p.strip() for p in _TITLE_SEPARATOR.split(page.title or "") if p.strip()]
        if len(parts) >= 2:
            parts = parts[:-1]  # "Goals · acme.io · Plausible": the last part names the product
        title = tuple(p for p in parts if not _DOMAIN.match(p))
        headings: list[str] = []
        for heading in page.headings[:MAX_PAGE_HEADINGS]:
            text = " ".join(w for w in heading.split() if not _DOMAIN.match(w)).strip()
            if text and text.lower() not in (h.lower() for h in headings):
                headings.append(text)
        words: list[str] = []
        segments = [s for s in (page.path or "").split("?")[0].split("/") if s]
        segments += [s for s in (page.route or "").split("/") if s]
        for segment in segments:
            if segment.startswith(":") or _DOMAIN.match(segment):
                continue
            for word in re.split(r"[-_.~+]+", segment):
                if len(word) < 2 or _ID_LIKE.match(word):
                    continue
                if word.lower() not in (w.lower() for w in words):
                    words.append(word)
        return cls(title, tuple(headings), tuple(words))

    def text(self) -> str:
        parts = [*self.title, *self.headings, " ".join(self.path_words)]
        return ". ".join(p for p in parts if p)

    def term_weights(self, question_terms: set[str], w: Weights) -> dict[str, float]:
        """The page's words as a weighted lexical query; headings the question echoes weigh more."""
        out: dict[str, float] = {}

        def add(text: str, weight: float) -> None:
            for token in tokenize(text):
                if token not in STOP_WORDS and len(token) > 1:
                    term = normalize(token)
                    out[term] = max(out.get(term, 0.0), weight)

        for text in (*self.title, " ".join(self.path_words)):
            add(text, 1.0)
        for heading in self.headings:
            echoed = question_terms & set(terms(heading))
            add(heading, w.heading_terms * (w.heading_focus if echoed else 1.0))
        return out


def page_text(page: PageContext | None) -> str:
    """The words that say what a page is about; embedded once per page and cached."""
    return PageProfile.of(page).text() if page is not None else ""


def content_terms(question: str) -> list[str]:
    """The question's subject words, normalised, in order, without repeats."""
    words = [
        t
        for t in tokenize(question)
        if len(t) > 1 and t not in STOP_WORDS and t not in _DEICTIC_WORDS
    ]
    return list(dict.fromkeys(normalize(t) for t in words))


def is_page_dependent(question: str) -> bool:
    """Does the question point at the page ("this", "here", "it"), leave its object to the
    context ("do I keep access after?") or name nothing by itself ("how do I add one")?"""
    return (
        bool(_DEICTIC.search(question))
        or bool(_DANGLING.search(question.strip()))
        or len(content_terms(question)) <= 1
    )


@dataclass
class _PageWork:
    """What a page alone decides, computed when the page frame arrives and reused per question."""

    index: KnowledgeIndex
    vector: np.ndarray | None
    profile: PageProfile
    chunk_page: np.ndarray  # cosine of the page with every chunk
    page_dense: np.ndarray  # ... its per-article maximum
    profile_sim: np.ndarray  # cosine of the page with every article's profile
    mapped: np.ndarray  # `pages` front matter matches, 1 for the tightest


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(x, 60.0), -60.0)))


class Retriever:
    def __init__(
        self, index: KnowledgeIndex, embedder: Embedder, weights: Weights | None = None
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.weights = weights or Weights()
        self._pages: OrderedDict[tuple[str, str, str], _PageWork] = OrderedDict()
        self._pages_lock = threading.Lock()

    def page_vector(self, page: PageContext | None) -> np.ndarray | None:
        """The page's embedding; also prepares the page's scores so that a question costs less."""
        if page is None:
            return None
        return self._page_work(page, None).vector

    def _page_work(self, page: PageContext, vector: np.ndarray | None) -> _PageWork:
        index = self.index
        profile = PageProfile.of(page)
        text = profile.text()
        key = (text, page.path, page.route or "")
        with self._pages_lock:
            work = self._pages.get(key)
            if (
                work is not None
                and work.index is index
                and (
                    vector is None
                    or (work.vector is not None and np.array_equal(work.vector, vector))
                )
            ):
                self._pages.move_to_end(key)
                return work
        if vector is None and text:
            vector = self.embedder.encode_one(text)
        if vector is not None and len(index):
            chunk_page = index.vectors @ vector
            profile_sim = index.profiles @ vector
        else:
            chunk_page = np.zeros(len(index), dtype=np.float32)
            profile_sim = np.zeros(len(index.articles), dtype=np.float32)
        work = _PageWork(
            index, vector, profile, chunk_page, index.per_article_max(chunk_page), profile_sim,
            self._mapped(page),
        )  # fmt: skip
        with self._pages_lock:
            self._pages[key] = work
            while len(self._pages) > PAGE_CACHE_SIZE:
                self._pages.popitem(last=False)
        return work

    def signals(
        self,
        question: str,
        page: PageContext | None = None,
        use_page: bool = True,
        page_vector: np.ndarray | None = None,
        question_vector: np.ndarray | None = None,
    ) -> Signals:
        """The features of every article for this question on this page."""
        index, w = self.index, self.weights
        q = question_vector if question_vector is not None else self.embedder.encode_one(question)
        content = content_terms(question)
        work = self._page_work(page, page_vector) if use_page and page is not None else None
        has_vector = work is not None and work.vector is not None
        chunk_dense = index.vectors @ q
        dense = index.per_article_max(chunk_dense)
        leans = is_page_dependent(question)
        gate = 0.0
        if work is not None:
            gate = _sigmoid((w.gate_mid - float(dense.max())) / w.gate_width)
            gate *= _sigmoid((w.gate_terms_mid - len(content)) / w.gate_terms_width)
            if leans:  # "this", "here", "after?": the subject is on the page, matched or not
                gate = max(gate, w.gate_floor_deictic)

        chunk_lex = index.lexical(dict.fromkeys(content, 1.0))
        lex = index.per_article_max(chunk_lex)
        features = np.zeros((len(index.articles), len(FEATURES)), dtype=np.float32)
        features[:, 0] = dense
        features[:, 1] = lex / (lex + w.lexical_saturation)
        chunk_scores = chunk_dense
        if work is not None:
            page_lex = index.lexical(work.profile.term_weights(set(content), w))
            joint_lex = index.per_article_max(chunk_lex + w.page_in_lexical * page_lex)
            top = float(joint_lex.max())
            features[:, 3] = gate * (joint_lex / top if top > 0 else joint_lex)
            features[:, 5] = work.mapped * (0.2 + 0.8 * gate)
            if has_vector:
                features[:, 2] = gate * index.per_article_max(
                    chunk_dense + w.page_in_chunk * work.chunk_page
                )
                features[:, 4] = gate * work.profile_sim
                chunk_scores = chunk_dense + gate * w.page_in_chunk * work.chunk_page
        top_lex = float(chunk_lex.max())
        if top_lex > 0:
            chunk_scores = chunk_scores + 0.1 * chunk_lex / top_lex
        known = [t for t in content if index.known(t)]
        total = sum(index.idf_of(t) for t in content)
        unknown = 1.0 - sum(index.idf_of(t) for t in known) / total if total > 0 else 0.0
        return Signals(
            features=features,
            chunk_scores=chunk_scores,
            dense=dense,
            page_dense=work.page_dense if has_vector and work is not None else np.zeros_like(dense),
            gate=gate,
            leans_on_page=has_vector and leans,
            content=content,
            unknown=unknown,
        )

    def evidence(self, signals: Signals, article: int) -> np.ndarray:
        """What the confidence rests on, for one article (see `EVIDENCE`)."""
        content = signals.content
        total = sum(self.index.idf_of(t) for t in content)
        if total > 0:
            found = sum(
                self.index.idf_of(t) for t in content if article in self.index.articles_with(t)
            )
            coverage = found / total
        else:
            coverage = 1.0  # nothing named, nothing missing
        # The page vouches only for a question that points at it and names nothing unknown.
        support = float(signals.page_dense[article]) if signals.leans_on_page else 0.0
        support *= 1.0 - signals.unknown
        return np.asarray(
            [float(signals.dense[article]), coverage, signals.unknown, support], dtype=np.float32
        )

    def confidence(self, evidence: np.ndarray) -> float:
        w = self.weights
        coef = np.asarray([w.conf_dense, w.conf_coverage, w.conf_unknown, w.conf_page_support])
        return _sigmoid(w.conf_bias + float(coef @ evidence))

    def search(
        self,
        question: str,
        page: PageContext | None = None,
        top_k: int = 4,
        use_page: bool = True,
        page_vector: np.ndarray | None = None,
    ) -> Retrieval:
        index = self.index
        if not len(index):
            return Retrieval([], 0.0, use_page and page is not None and is_page_dependent(question))
        signals = self.signals(question, page, use_page, page_vector)
        score = signals.features @ self.weights.ranking()
        order = np.argsort(-score, kind="stable")[: max(top_k, 5)]
        confidence = self.confidence(self.evidence(signals, int(order[0])))
        passages = self._passages(order, signals.chunk_scores, top_k)
        ranked = [(index.articles[int(i)].id, float(score[int(i)])) for i in order]
        return Retrieval(
            passages, round(confidence, 3), signals.leans_on_page, ranked, round(signals.gate, 3)
        )

    def _mapped(self, page: PageContext) -> np.ndarray:
        out = np.zeros(len(self.index.articles), dtype=np.float32)
        matched = self.index.page_map.matches(page.path, page.route)
        # "/*" matches every page but the root: no evidence that the article is about this one.
        tightest = {article: tight for article, tight in matched.items() if tight > 0}
        if not tightest:
            return out
        best = max(tightest.values())
        # Only the tightest mapping counts fully: /settings/* should not tie with /settings/billing.
        for article, tight in tightest.items():
            out[article] = 1.0 if tight >= best else 0.5
        return out

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
