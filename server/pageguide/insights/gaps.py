"""Documentation gaps: what people ask that the knowledge does not answer well.

A question is a *gap signal* when its answer was declined, or answered with a confidence below
`threshold` (default 0.5: where an answer also offers a person), or thumbed down, or followed
by a handoff in the same session within `escalation_minutes`. Questions the assistant never
answered (messages to a person during a handoff, requests for a person) are not counted.

The signals are clustered by meaning (`similar.cluster`, the reports' clustering), and each
cluster becomes one line of a "write this article" list: a working title (its most central
question), the pages it was asked on, the reasons, and example questions. Ranked by distinct
sessions, then questions.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import case, exists, func, or_, select

from ..db import Database
from ..db import models as m
from ..reports.sql import read
from .common import one_line, utc
from .similar import cluster

THRESHOLD = 0.5
ESCALATION_MINUTES = 60.0
GAP_STATUSES = ("complete", "fallback", "declined")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class GapExample(_Model):
    text: str
    count: int


class GapPage(_Model):
    template: str
    questions: int


class DocGap(_Model):
    title: str  # the most central question: a working title for the article
    questions: int
    sessions: int
    page: str  # where it is asked most: the article's `pages`
    pages: list[GapPage]
    reasons: dict[str, int]  # declined | low_confidence | thumbs_down | escalated -> questions
    examples: list[GapExample]


async def doc_gaps(
    db: Database,
    start: datetime,
    end: datetime,
    site: str | None = None,
    *,
    embedder: Any | None = None,
    threshold: float = THRESHOLD,
    escalation_minutes: float | None = ESCALATION_MINUTES,
    limit: int = 20,
    examples: int = 5,
    max_questions: int = 5_000,
) -> list[DocGap]:
    """Gaps among the questions asked in [start, end), biggest first."""
    q, a, pv, f, h, s = m.Question, m.Answer, m.PageView, m.Feedback, m.HandoffRow, m.Session
    down = exists().where(f.answer_id == a.id, f.rating == "down")
    next_handoff = (
        select(func.min(h.created_at))
        .where(h.session_id == q.session_id, h.created_at >= q.at)
        .scalar_subquery()
    )
    stmt = (
        select(
            q.session_id,
            q.text,
            q.at,
            func.coalesce(pv.template, pv.path, ""),
            a.status,
            a.confidence,
            case((down, 1), else_=0),
            next_handoff,
        )
        .join(a, a.question_id == q.id)
        .outerjoin(pv, pv.id == q.page_view_id)
        .where(
            q.at >= start,
            q.at < end,
            a.status.in_(GAP_STATUSES),
            or_(a.status == "declined", a.confidence < threshold, down, next_handoff.is_not(None)),
        )
        .order_by(q.at.desc())
        .limit(max_questions)
    )
    if site is not None:
        stmt = stmt.join(s, s.id == q.session_id).where(s.site_key == site)
    rows = await read(db, stmt)  # the report settings: no JIT, which compiled for longer

    items = []
    for session_id, text, at, page, status, confidence, thumbs_down, handoff_at in rows:
        reasons = []
        if status == "declined":
            reasons.append("declined")
        elif (confidence or 0.0) < threshold:
            reasons.append("low_confidence")
        if thumbs_down:
            reasons.append("thumbs_down")
        if handoff_at is not None and (
            escalation_minutes is None
            or utc(handoff_at) - utc(at) <= timedelta(minutes=escalation_minutes)
        ):
            reasons.append("escalated")
        if reasons and text.strip():
            items.append((session_id, " ".join(text.split()), page or "", reasons))
    if not items:
        return []

    # identical phrasings first become one weighted text, then texts cluster by meaning
    phrasing = Counter(text.lower() for _, text, _, _ in items)
    shown = {}
    for _, text, _, _ in items:
        shown.setdefault(text.lower(), text)
    texts = list(phrasing)
    groups = await asyncio.to_thread(
        cluster, [shown[t] for t in texts], [phrasing[t] for t in texts], embedder
    )
    group_of = {texts[i]: g for g, members in enumerate(groups) for i in members}

    by_group: dict[int, list[tuple[str, str, str, list[str]]]] = {}
    for it in items:
        by_group.setdefault(group_of[it[1].lower()], []).append(it)
    gaps = []
    for g, members in enumerate(groups):
        mine = by_group.get(g, [])
        pages = Counter(page for _, _, page, _ in mine if page)
        reasons = Counter(r for _, _, _, rs in mine for r in rs)
        gaps.append(
            DocGap(
                title=one_line(shown[texts[members[0]]], 160),
                questions=len(mine),
                sessions=len({sid for sid, _, _, _ in mine}),
                page=pages.most_common(1)[0][0] if pages else "",
                pages=[GapPage(template=t, questions=n) for t, n in pages.most_common(5)],
                reasons=dict(sorted(reasons.items())),
                examples=[
                    GapExample(text=one_line(shown[texts[i]]), count=phrasing[texts[i]])
                    for i in members[:examples]
                ],
            )
        )
    gaps.sort(key=lambda x: (-x.sessions, -x.questions, x.title))
    return gaps[:limit]
