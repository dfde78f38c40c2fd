"""The per-page friction report, in one import: every number is a GROUP BY in the database.

Public API (stable; `reports/web.py`, `reports/api.py`, the CLI and `insights/` build on it):

    await page_report(db, period, site=None) -> PagesReport
    await page_detail(db, template, period, site=None, *, clusters=True, embedder=None)
        -> PageDetail
    await page_trend(db, template, period, site=None, edges=None) -> list[TrendPoint]
    await page_trends(db, templates, period, site=None, edges=None) -> dict[str, list[TrendPoint]]
    await session_timeline(db, session_id) -> SessionTimeline | None

Where each part lives: `models.py` (the shapes), `counts.py` (a page row's counts, the
statements), `pages.py` (the report, its ranking and trends), `detail.py` (one page),
`timeline.py` (one session), `sql.py` (what the statements share).
"""

from __future__ import annotations

from .clusters import QuestionCluster, QuestionExample
from .detail import example_sessions, page_detail, summarise_sessions
from .models import (
    ErrorGroup,
    PageDetail,
    PageRow,
    PagesReport,
    SessionSummary,
    SessionTimeline,
    StruggleTarget,
    TimelineItem,
    TrendPoint,
)
from .pages import page_report, page_trend, page_trends
from .sql import bucket_of, epoch_seconds
from .timeline import session_timeline

__all__ = [
    "ErrorGroup",
    "PageDetail",
    "PageRow",
    "PagesReport",
    "QuestionCluster",
    "QuestionExample",
    "SessionSummary",
    "SessionTimeline",
    "StruggleTarget",
    "TimelineItem",
    "TrendPoint",
    "bucket_of",
    "epoch_seconds",
    "example_sessions",
    "page_detail",
    "page_report",
    "page_trend",
    "page_trends",
    "session_timeline",
    "summarise_sessions",
]
