"""Articles that misfire: cited in answers that did not help.

An answer *misfired* when, after it, the user
- gave it a thumbs-down, or
- was handed to a person in the same session within `escalation_minutes`, or
- asked the same question again (similar by meaning) in the same session within
  `repeat_minutes`.

Every article an answer cited shares the blame. Articles are keyed by their URL without the
`#section`, and ranked by the lower bound of the Wilson interval of misfired / cited, so an
article cited once and missed once does not outrank one cited fifty times and missed twenty.

The database does the joins and the per-answer outcomes (thumbs-down, the next handoff);
re-asked questions are compared by meaning in Python, as is the fan-out over each answer's
JSON `sources`, which SQLite and PostgreSQL spell differently.
"""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import case, exists, func, select

from ..db import Database
from ..db import models as m
from ..reports.sql import gather, read
from .common import one_line, utc
from .similar import same_question

ANSWERED = ("complete", "fallback")
REPEAT_MINUTES = 10.0
ESCALATION_MINUTES = 60.0
Z = 1.0  # Wilson interval width: about a 68% two-sided interval, gentle with small counts


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class MisfireQuestion(_Model):
    text: str
    page: str
    at: datetime
    outcomes: list[str]  # thumbs_down | escalated | repeated
    session_id: str = ""  # so a report can replay the session


class MisfiringArticle(_Model):
    title: str
    url: str
    cited: int  # answers citing it
    misfired: int  # of those, answers followed by at least one bad outcome
    rate: float  # misfired / cited
    score: float  # Wilson lower bound of the rate: the ranking key
    thumbs_down: int
    escalated: int
    repeated: int
    questions: list[MisfireQuestion]  # the misfired ones, most recent first


def wilson_lower(k: int, n: int, z: float = Z) -> float:
    if n <= 0:
        return 0.0
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - spread) / (1 + z * z / n))


def article_key(url: str) -> str:
    return (url or "").split("#", 1)[0]


async def misfiring_articles(
    db: Database,
    start: datetime,
    end: datetime,
    site: str | None = None,
    *,
    embedder: Any | None = None,
    repeat_minutes: float = REPEAT_MINUTES,
    escalation_minutes: float | None = ESCALATION_MINUTES,
    min_misfires: int = 1,
    limit: int = 20,
    examples: int = 5,
) -> list[MisfiringArticle]:
    """Articles cited in answers given in [start, end), worst first. `embedder` compares
    re-asked questions by meaning; without one, by shared words."""
    a, q, pv, f, h, s = m.Answer, m.Question, m.PageView, m.Feedback, m.HandoffRow, m.Session
    down = exists().where(f.answer_id == a.id, f.rating == "down")
    next_handoff = (
        select(func.min(h.created_at))
        .where(h.session_id == a.session_id, h.created_at >= a.at)
        .scalar_subquery()
    )
    in_period = (a.at >= start, a.at < end, a.status.in_(ANSWERED))
    answers = (
        select(
            a.id,
            a.session_id,
            a.at,
            a.sources,
            q.id,
            q.text,
            func.coalesce(pv.template, pv.path, ""),
            case((down, 1), else_=0),
            next_handoff,
        )
        .join(q, q.id == a.question_id)
        .outerjoin(pv, pv.id == q.page_view_id)
        .where(*in_period)
    )
    sessions = select(a.session_id).where(*in_period)
    if site is not None:
        answers = answers.join(s, s.id == a.session_id).where(s.site_key == site)
        sessions = sessions.join(s, s.id == a.session_id).where(s.site_key == site)
    window = timedelta(minutes=repeat_minutes)
    later = select(q.session_id, q.id, q.text, q.at).where(
        q.session_id.in_(sessions), q.at > start, q.at < end + window
    )
    # the report settings (no JIT: it compiled for longer than these statements run)
    rows, asked = await gather(db, read(db, answers), read(db, later))

    by_session: dict[str, list[tuple[datetime, int, str]]] = defaultdict(list)
    for session_id, question_id, text, at in asked:
        by_session[session_id].append((utc(at), question_id, text))
    pairs: list[tuple[str, str]] = []
    pair_of: list[list[int]] = []
    for row in rows:
        answered_at = utc(row[2])
        indices = []
        for at, question_id, text in by_session.get(row[1], []):
            if question_id != row[4] and answered_at < at <= answered_at + window:
                indices.append(len(pairs))
                pairs.append((row[5], text))
        pair_of.append(indices)
    similar = await asyncio.to_thread(same_question, pairs, embedder)

    stats: dict[str, dict[str, Any]] = {}
    for row, indices in zip(rows, pair_of, strict=True):
        _, session_id, at, sources, _, text, page, thumbs_down, handoff_at = row
        cited = {}
        for source in sources or []:
            if isinstance(source, dict) and source.get("url"):
                cited.setdefault(article_key(str(source["url"])), str(source.get("title") or ""))
        if not cited:
            continue
        at = utc(at)
        outcomes = []
        if thumbs_down:
            outcomes.append("thumbs_down")
        if handoff_at is not None and (
            escalation_minutes is None
            or utc(handoff_at) - at <= timedelta(minutes=escalation_minutes)
        ):
            outcomes.append("escalated")
        if any(similar[i] for i in indices):
            outcomes.append("repeated")
        for url, title in cited.items():
            st = stats.setdefault(
                url,
                {
                    "title": title,
                    "cited": 0,
                    "misfired": 0,
                    "thumbs_down": 0,
                    "escalated": 0,
                    "repeated": 0,
                    "questions": [],
                },
            )
            st["title"] = st["title"] or title
            st["cited"] += 1
            if outcomes:
                st["misfired"] += 1
                for outcome in outcomes:
                    st[outcome] += 1
                st["questions"].append(
                    MisfireQuestion(
                        text=one_line(text),
                        page=page,
                        at=at,
                        outcomes=outcomes,
                        session_id=session_id,
                    )
                )

    out = []
    for url, st in stats.items():
        if st["misfired"] < min_misfires:
            continue
        questions = sorted(st.pop("questions"), key=lambda x: x.at, reverse=True)[:examples]
        out.append(
            MisfiringArticle(
                url=url,
                rate=round(st["misfired"] / st["cited"], 4),
                score=round(wilson_lower(st["misfired"], st["cited"]), 4),
                questions=questions,
                **st,
            )
        )
    out.sort(key=lambda x: (-x.score, -x.misfired, -x.cited, x.url))
    return out[:limit]
