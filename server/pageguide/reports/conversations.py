"""The conversations the scorecard measures, one row each, read from the database.

A *conversation* is either
- **ai**: a session that asked ≥1 question in the window, dated by its first question;
- **human**: a handoff, dated by its `created_at`.
The database aggregates each conversation to one row (questions, answers, feedback, CSAT and
handoffs folded in SQL); scorecard.py and anomalies.py group and measure those rows in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from ..db import Database
from ..db import models as m
from .issue_types import UNKNOWN, IssueTypes
from .period import utc
from .sql import ANSWERED, epoch_seconds, read

Channel = Literal["ai", "human"]
GOOD_CSAT_MIN = 4  # CSAT = share of responses scoring 4 or 5


@dataclass(frozen=True, slots=True)
class Conversation:
    channel: Channel
    at: datetime
    template: str
    issue_type: str
    escalated: bool
    finished: bool
    resolved: bool
    first_response_s: float | None
    resolution_s: float | None
    csat_responses: int
    csat_sum: float
    csat_good: int


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return max(0.0, (utc(later) - utc(earlier)).total_seconds())


async def ai_conversations(
    db: Database,
    start: datetime,
    end: datetime,
    site: str | None = None,
    issue_types: Callable[[str | None], str] | None = None,
) -> list[Conversation]:
    """One row per session whose questions fall in [start, end), aggregated in SQL."""
    issue_types = issue_types or IssueTypes()
    q, pv, a, f, h, c, s = (
        m.Question,
        m.PageView,
        m.Answer,
        m.Feedback,
        m.HandoffRow,
        m.Csat,
        m.Session,
    )
    top_source = a.sources[(0, "url")].as_string()
    rated_down = (
        select(f.answer_id)
        .where(f.rating == "down", f.at >= start)
        .group_by(f.answer_id)
        .subquery("rated_down")
    )
    down = rated_down.c.answer_id.is_not(None)
    per_question = (
        select(
            q.session_id.label("session_id"),
            q.at.label("at"),
            q.page_view_id.label("page_view_id"),
            case((a.status.in_(ANSWERED), 1), else_=0).label("answered"),
            a.first_token_ms.label("first_token_ms"),
            top_source.label("source"),
            case((down, 1), else_=0).label("down"),
            (epoch_seconds(db, a.at) + func.coalesce(a.total_ms, 0.0) / 1000.0).label("done"),
            epoch_seconds(db, q.at).label("asked"),
            func.row_number().over(partition_by=q.session_id, order_by=(q.at, q.id)).label("rn"),
        )
        .select_from(q)
        .outerjoin(a, and_(a.question_id == q.id, a.status.in_((*ANSWERED, "declined"))))
        .outerjoin(rated_down, rated_down.c.answer_id == a.id)
        .where(q.at >= start, q.at < end)
    )
    if site is not None:
        per_question = per_question.join(s, s.id == q.session_id).where(s.site_key == site)
    pq = per_question.subquery("pq")
    first = pq.c.rn == 1
    conv = (
        select(
            pq.c.session_id,
            func.min(pq.c.at).label("first_at"),
            func.count().label("questions"),
            func.max(case((first, pq.c.page_view_id))).label("page_view_id"),
            func.max(case((first, pq.c.first_token_ms))).label("first_token_ms"),
            func.max(case((first, pq.c.source))).label("source"),
            func.sum(pq.c.answered).label("answered"),
            func.count(pq.c.source).label("sourced"),
            func.count(pq.c.source.distinct()).label("topics"),
            func.sum(pq.c.down).label("down"),
            (func.max(pq.c.done) - func.min(pq.c.asked)).label("duration"),
        )
        .group_by(pq.c.session_id)
        .subquery("conv")
    )
    h_before = aliased(m.HandoffRow)
    ai_csat = (
        select(
            c.session_id.label("session_id"),
            func.count(c.id).label("n"),
            func.sum(c.score).label("total"),
            func.sum(case((c.score >= GOOD_CSAT_MIN, 1), else_=0)).label("good"),
        )
        .where(
            c.at >= start,
            ~exists().where(h_before.session_id == c.session_id, h_before.created_at <= c.at),
        )
        .group_by(c.session_id)
        .subquery("ai_csat")
    )
    last_handoff = (
        select(h.session_id, func.max(h.created_at).label("last"))
        .where(h.created_at >= start)
        .group_by(h.session_id)
        .subquery("last_handoff")
    )
    escalated = and_(last_handoff.c.last.is_not(None), last_handoff.c.last >= conv.c.first_at)
    # resolved: not escalated, every question answered, no 👎, no topic asked twice
    resolved = and_(
        ~escalated,
        conv.c.answered == conv.c.questions,
        conv.c.down == 0,
        conv.c.sourced == conv.c.topics,
    )
    stmt = (
        select(
            conv.c.first_at,
            # the page of the first question's visit: one index lookup per conversation (as
            # a join, PostgreSQL would hash every page view to find a few thousand)
            func.coalesce(
                select(pv.template).where(pv.id == conv.c.page_view_id).scalar_subquery(), ""
            ),
            conv.c.first_token_ms,
            conv.c.source,
            case((escalated, 1), else_=0),
            case((resolved, 1), else_=0),
            case((resolved, conv.c.duration)),  # time to resolution, for resolved ones only
            func.coalesce(ai_csat.c.n, 0),
            func.coalesce(ai_csat.c.total, 0),
            func.coalesce(ai_csat.c.good, 0),
        )
        .outerjoin(ai_csat, ai_csat.c.session_id == conv.c.session_id)
        .outerjoin(last_handoff, last_handoff.c.session_id == conv.c.session_id)
    )
    out = []
    for row in await read(db, stmt):
        (
            first_at,
            template,
            first_ms,
            source,
            was_escalated,
            was_resolved,
            duration,
            n_csat,
            csat_total,
            csat_good,
        ) = row
        out.append(
            Conversation(
                channel="ai",
                at=utc(first_at),
                template=template or "",
                issue_type=issue_types(source),
                escalated=bool(was_escalated),
                finished=True,
                resolved=bool(was_resolved),
                first_response_s=None if first_ms is None else float(first_ms) / 1000.0,
                resolution_s=None if duration is None else max(0.0, float(duration)),
                csat_responses=int(n_csat),
                csat_sum=float(csat_total),
                csat_good=int(csat_good),
            )
        )
    return out


async def human_conversations(
    db: Database, start: datetime, end: datetime, site: str | None = None
) -> list[Conversation]:
    """One row per handoff created in [start, end)."""
    h, c = m.HandoffRow, m.Csat
    later = aliased(m.HandoffRow)
    reopened = exists().where(
        later.session_id == h.session_id,
        later.id != h.id,
        or_(
            later.created_at > h.created_at,
            and_(later.created_at == h.created_at, later.id > h.id),
        ),
    )
    after = and_(c.session_id == h.session_id, c.at >= h.created_at)
    csat_n = select(func.count(c.id)).where(after).scalar_subquery()
    csat_total = select(func.coalesce(func.sum(c.score), 0)).where(after).scalar_subquery()
    csat_good = select(func.count(c.id)).where(after, c.score >= GOOD_CSAT_MIN).scalar_subquery()
    stmt = select(
        h.created_at,
        h.template,
        h.status,
        h.tags["issue_type"],  # just that value, not the whole tags document
        h.first_response_at,
        h.closed_at,
        case((reopened, 1), else_=0),
        csat_n,
        csat_total,
        csat_good,
    ).where(h.created_at >= start, h.created_at < end)
    if site is not None:
        stmt = stmt.where(h.site_key == site)
    out = []
    for created, template, status, issue, first_resp, closed, again, n, total, good in await read(
        db, stmt
    ):
        # resolved as for the AI: a handoff the session needed another after is not resolved,
        # and time to resolution is measured over resolved conversations only
        resolved = status == "closed" and not again
        out.append(
            Conversation(
                channel="human",
                at=utc(created),
                template=template or "",
                issue_type=str(issue).strip().lower() or UNKNOWN if issue else UNKNOWN,
                escalated=bool(again),
                finished=status in ("closed", "returned"),
                resolved=resolved,
                first_response_s=_seconds(first_resp, created),
                resolution_s=_seconds(closed, created) if resolved else None,
                csat_responses=int(n or 0),
                csat_sum=float(total or 0),
                csat_good=int(good or 0),
            )
        )
    return out


__all__ = ["GOOD_CSAT_MIN", "Channel", "Conversation", "ai_conversations", "human_conversations"]
