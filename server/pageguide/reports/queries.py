"""The per-page friction report: every number is a GROUP BY in the database.

Public API (stable; `reports/web.py`, `reports/api.py`, the CLI and `insights/` build on it):

    await page_report(db, period, site=None) -> PagesReport
    await page_detail(db, template, period, site=None, *, clusters=True, embedder=None)
        -> PageDetail
    await page_trend(db, template, period, site=None, edges=None) -> list[TrendPoint]
    await page_trends(db, templates, period, site=None, edges=None) -> dict[str, list[TrendPoint]]
    await session_timeline(db, session_id) -> SessionTimeline | None

A *visit* is a page view whose `at` falls in the period (and whose session belongs to `site`
when one is given). Everything on a page row hangs off its visits: the signals, questions and
answers recorded on those page views, the CSAT of the sessions that made them. Handoffs are
counted by their own `created_at` and `template`. docs/metrics.md defines every column.
"""

from __future__ import annotations

import asyncio
import bisect
import statistics
import time
from collections import defaultdict
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    BigInteger,
    String,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from ..db import Database
from ..db import models as m
from .clusters import QuestionCluster, QuestionExample, cluster_questions, exact_groups
from .friction import LOW_CSAT_MAX, FrictionInputs, FrictionScore, pooled_prior
from .friction import friction as friction_of
from .period import Period, day_edges, utc

ANSWERED = ("complete", "fallback")  # an answer the user got (declined, failed, … are not)
ERROR_KINDS = ("error", "http_error", "invalid")
WORK_MEM = "32MB"  # PostgreSQL, per report statement (see _read)
# how the page counts split into statements on PostgreSQL (see _collect)
_GROUPS = (
    ("visits", "users", "accounts", "total", "csat"),
    ("signals", "struggle"),
    ("questions", "feedback"),
)
REUSE_SECONDS = 60.0  # a page detail may rank against a pages report this recent
T = TypeVar("T")


# ---------------------------------------------------------------- models


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class PageRow(_Model):
    """One page (route template) over the period. Rates are 0..1; None when undefined."""

    template: str
    rank: int = 0  # 1 = most friction
    friction: float = 0.0  # 0..100, friction.py
    friction_parts: FrictionScore | None = None
    sessions: int = 0  # distinct sessions with a visit
    users: int = 0  # distinct identity user ids, sessions without one counted singly
    accounts: int = 0  # distinct verified account ids
    struggle_sessions: int = 0  # sessions with ≥1 struggle signal on a visit
    struggle_rate: float = 0.0
    signals: dict[str, int] = {}  # signal kind -> signals
    questions: int = 0
    answered: int = 0  # questions with a complete/fallback answer
    deflected: int = 0  # answered, and no handoff on this page in the session after it
    deflection_rate: float | None = None  # deflected / questions
    escalations: int = 0  # handoffs opened with this template in the period
    escalated_sessions: int = 0
    escalation_rate: float = 0.0  # escalated_sessions / sessions (capped at 1)
    triggers: dict[str, int] = {}  # trigger kind -> handoffs it fired on
    thumbs_up: int = 0
    thumbs_down: int = 0
    csat_responses: int = 0
    csat_average: float | None = None  # 1..5
    csat_low: int = 0  # scores 1–2
    resolved_handoffs: int = 0  # closed
    median_resolution_seconds: float | None = None  # closed_at - created_at

    def friction_inputs(self) -> FrictionInputs:
        return FrictionInputs(
            sessions=self.sessions,
            struggle_sessions=self.struggle_sessions,
            escalated_sessions=self.escalated_sessions,
            thumbs_up=self.thumbs_up,
            thumbs_down=self.thumbs_down,
            csat_responses=self.csat_responses,
            csat_low=self.csat_low,
        )


class PagesReport(_Model):
    period: Period
    site: str | None = None
    generated_at: datetime
    sessions: int  # distinct sessions with any visit in the period
    questions: int
    escalations: int
    pages: list[PageRow]  # ranked, most friction first


class TrendPoint(_Model):
    """One bucket (a day or a week) of one page."""

    start: datetime
    end: datetime
    sessions: int = 0
    struggle_sessions: int = 0
    questions: int = 0
    escalations: int = 0
    thumbs_down: int = 0
    friction: float = 0.0


class StruggleTarget(_Model):
    kind: str
    target: str  # CSS selector
    target_text: str
    signals: int
    sessions: int


class ErrorGroup(_Model):
    kind: str  # error | http_error | invalid
    message: str  # error/invalid: data.message; http_error: "METHOD path → status"
    method: str | None = None
    path: str | None = None
    status: str | None = None
    events: int
    sessions: int
    last_at: datetime | None = None


class SessionSummary(_Model):
    session_id: str
    started_at: datetime
    site_key: str
    account_id: str | None = None
    pages: list[str]  # templates in visit order, repeats collapsed
    page_views: int
    signals: int
    questions: int
    escalated: bool


class PageDetail(_Model):
    period: Period
    site: str | None = None
    template: str
    row: PageRow  # ranked against the other pages of the same period and site
    trend: list[TrendPoint]  # daily
    question_clusters: list[QuestionCluster]
    struggle_targets: list[StruggleTarget]
    errors: list[ErrorGroup]
    example_sessions: list[SessionSummary]


class TimelineItem(_Model):
    at: datetime
    # page | event | signal | nudge | question | answer | feedback | handoff | message | csat
    kind: str
    summary: str
    template: str | None = None
    data: dict[str, Any] = {}


class SessionTimeline(_Model):
    session_id: str
    site_key: str
    started_at: datetime
    last_seen_at: datetime
    account_id: str | None = None
    user_id: str | None = None
    items: list[TimelineItem]
    truncated: bool = False  # more events than the limit


# ---------------------------------------------------------------- helpers


def bucket_of(column: Any, edges: Sequence[datetime] | None) -> ColumnElement[Any]:
    """Index i of the bucket edges[i] <= column < edges[i+1], as a portable CASE (no date
    functions differ between SQLite and PostgreSQL). Rows outside the edges are filtered."""
    if not edges or len(edges) < 3:
        return literal(0)
    whens = [(column < edge, i) for i, edge in enumerate(edges[1:-1])]
    return case(*whens, else_=len(edges) - 2)


def epoch_seconds(db: Database, column: Any) -> ColumnElement[Any]:
    """Seconds since 1970 of a timestamp column (datetimes are stored as UTC)."""
    if db.is_sqlite:
        return (func.julianday(column) - 2440587.5) * 86400.0
    return func.extract("epoch", column)


def _json_str(column: Any, key: str) -> ColumnElement[Any]:
    return column[key].as_string()


def _rate(k: int, n: int) -> float | None:
    return round(min(k, n) / n, 4) if n else None


def _aware(value: Any) -> Any:
    return utc(value) if isinstance(value, datetime) else value


async def _read(db: Database, stmt: Any) -> list[Any]:
    async with db.session() as s:
        if not db.is_sqlite:
            # Report statements are big but short: PostgreSQL's JIT, triggered by their cost
            # estimates, spent seconds compiling what runs in a fraction of that; and with the
            # default 4 MB of work_mem the planner sorts (slow on text keys) where hashing the
            # groups fits in a few MB more. Both only for this read's transaction.
            await s.execute(text("SET LOCAL jit = off"))
            await s.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
        return list((await s.execute(stmt)).all())


async def _all(db: Database, *calls: Awaitable[T]) -> list[T]:
    """Concurrently on PostgreSQL (one pooled connection each); in turn on SQLite."""
    if db.is_sqlite:
        return [await c for c in calls]
    return list(await asyncio.gather(*calls))


def _visits(
    period: Period,
    site: str | None,
    template: str | None,
    edges: Sequence[datetime] | None,
    cte: bool = False,
) -> Any:
    """The visits: (id, session_id, template, bucket) of the period's page views."""
    pv = m.PageView
    stmt = select(pv.id, pv.session_id, pv.template, bucket_of(pv.at, edges).label("bucket")).where(
        pv.at >= period.start, pv.at < period.end
    )
    if template is not None:
        stmt = stmt.where(pv.template == template)
    if site is not None:
        stmt = stmt.join(m.Session, m.Session.id == pv.session_id).where(m.Session.site_key == site)
    return stmt.cte("v") if cte else stmt.subquery("v")


@dataclass
class _Acc:
    """Counts of one (template, bucket)."""

    sessions: int = 0
    users: int = 0
    accounts: int = 0
    struggle_sessions: int = 0
    signals: dict[str, int] = field(default_factory=dict)
    questions: int = 0
    answered: int = 0
    deflected: int = 0
    thumbs_up: int = 0
    thumbs_down: int = 0
    csat_responses: int = 0
    csat_sum: float = 0.0
    csat_low: int = 0
    escalations: int = 0
    escalated: set[str] = field(default_factory=set)
    triggers: dict[str, int] = field(default_factory=dict)
    resolutions: list[float] = field(default_factory=list)

    def row(self, template: str) -> PageRow:
        return PageRow(
            template=template,
            sessions=self.sessions,
            users=self.users,
            accounts=self.accounts,
            struggle_sessions=self.struggle_sessions,
            struggle_rate=_rate(self.struggle_sessions, self.sessions) or 0.0,
            signals=dict(sorted(self.signals.items(), key=lambda kv: (-kv[1], kv[0]))),
            questions=self.questions,
            answered=self.answered,
            deflected=self.deflected,
            deflection_rate=_rate(self.deflected, self.questions),
            escalations=self.escalations,
            escalated_sessions=len(self.escalated),
            escalation_rate=_rate(len(self.escalated), self.sessions) or 0.0,
            triggers=dict(sorted(self.triggers.items(), key=lambda kv: (-kv[1], kv[0]))),
            thumbs_up=self.thumbs_up,
            thumbs_down=self.thumbs_down,
            csat_responses=self.csat_responses,
            csat_average=round(self.csat_sum / self.csat_responses, 3)
            if self.csat_responses
            else None,
            csat_low=self.csat_low,
            resolved_handoffs=len(self.resolutions),
            median_resolution_seconds=round(statistics.median(self.resolutions), 1)
            if self.resolutions
            else None,
        )


async def _collect(
    db: Database,
    period: Period,
    site: str | None,
    template: str | None = None,
    edges: Sequence[datetime] | None = None,
    people: bool = True,
) -> tuple[dict[tuple[str, int], _Acc], int]:
    """Counts per (template, bucket), and the distinct sessions of the whole selection.
    `people=False` skips users, accounts and the total (trends do not show them).

    The period's visits are a CTE (materialised once per statement: it is referenced many
    times), and each count is a branch of a UNION ALL in "long" form (measure, template,
    bucket, kind, a, b, c): one statement on SQLite, the `_GROUPS` run concurrently on
    PostgreSQL. Distinct counts are two-level GROUP BYs (hash aggregation) rather than
    COUNT(DISTINCT ...) (a sort per group). Handoffs, few, are read
    as rows: their trigger kinds live in a JSON list."""
    if edges:
        period = Period(start=edges[0], end=edges[-1], label=period.label)
    s, sg, q, a, h, f, c = (
        m.Session, m.SignalRow, m.Question, m.Answer, m.HandoffRow, m.Feedback, m.Csat,
    )  # fmt: skip
    v = _visits(period, site, template, edges, cte=True)
    # (template, bucket, session): one row per session per page per bucket
    tv = (
        select(v.c.template, v.c.bucket, v.c.session_id)
        .group_by(v.c.template, v.c.bucket, v.c.session_id)
        .cte("tv")
    )
    user_key = func.coalesce(literal("u:") + _json_str(s.identity, "user_id"), literal("s:") + s.id)
    all_sessions = select(tv.c.session_id).group_by(tv.c.session_id).cte("alls")
    # who each session is, worked out once per session (the identity is a JSON document)
    who = (
        select(s.id.label("sid"), user_key.label("who"), s.account_id.label("acct"))
        .join(all_sessions, all_sessions.c.session_id == s.id)
        .cte("who")
    )
    persons = (
        select(tv.c.template, tv.c.bucket, who.c.who)
        .join(who, who.c.sid == tv.c.session_id)
        .group_by(tv.c.template, tv.c.bucket, who.c.who)
        .subquery("people")
    )
    accounts = (
        select(tv.c.template, tv.c.bucket, who.c.acct)
        .join(who, who.c.sid == tv.c.session_id)
        .where(who.c.acct.is_not(None))
        .group_by(tv.c.template, tv.c.bucket, who.c.acct)
        .subquery("accts")
    )
    signal_rows = (
        select(v.c.template, v.c.bucket, sg.kind, sg.session_id)
        .join(v, v.c.id == sg.page_view_id)
        .where(sg.at >= period.start)  # a signal comes after its page view: safe, and early
        .subquery("sig")
    )
    strugglers = (
        select(signal_rows.c.template, signal_rows.c.bucket, signal_rows.c.session_id)
        .group_by(signal_rows.c.template, signal_rows.c.bucket, signal_rows.c.session_id)
        .subquery("strug")
    )
    answered = (  # answers come after their question, after its page view: `at` bounds below
        select(a.question_id)
        .where(a.status.in_(ANSWERED), a.at >= period.start)
        .group_by(a.question_id)
        .subquery("ans")
    )
    # a question is not deflected when its session later opened a handoff on the same page:
    # the latest handoff per (session, template) at or after the question
    last_handoff = (
        select(h.session_id, h.template, func.max(h.created_at).label("last"))
        .where(h.created_at >= period.start)
        .group_by(h.session_id, h.template)
        .subquery("lh")
    )
    is_answered = answered.c.question_id.is_not(None)
    deflected = and_(is_answered, or_(last_handoff.c.last.is_(None), last_handoff.c.last < q.at))

    def row(
        measure: str, tpl: Any, bucket: Any, kind: Any, x: Any, y: Any = None, z: Any = None
    ) -> list[Any]:
        return [
            literal(measure).label("measure"),
            tpl.label("template"),
            bucket.label("bucket"),
            cast(kind if kind is not None else null(), String).label("kind"),
            cast(x, BigInteger).label("a"),
            cast(y if y is not None else null(), BigInteger).label("b"),
            cast(z if z is not None else null(), BigInteger).label("c"),
        ]

    n = func.count()
    branches: dict[str, Any] = {
        "visits": select(*row("visits", tv.c.template, tv.c.bucket, None, n)).group_by(
            tv.c.template, tv.c.bucket
        ),
        "users": select(*row("users", persons.c.template, persons.c.bucket, None, n)).group_by(
            persons.c.template, persons.c.bucket
        ),
        "accounts": select(
            *row("accounts", accounts.c.template, accounts.c.bucket, None, n)
        ).group_by(accounts.c.template, accounts.c.bucket),
        "total": select(*row("total", literal(""), literal(0), None, n)).select_from(all_sessions),
        "signals": select(
            *row("signals", signal_rows.c.template, signal_rows.c.bucket, signal_rows.c.kind, n)
        ).group_by(signal_rows.c.template, signal_rows.c.bucket, signal_rows.c.kind),
        "struggle": select(
            *row("struggle", strugglers.c.template, strugglers.c.bucket, None, n)
        ).group_by(strugglers.c.template, strugglers.c.bucket),
        "questions": select(
            *row(
                "questions",
                v.c.template,
                v.c.bucket,
                None,
                n,
                func.sum(case((is_answered, 1), else_=0)),
                func.sum(case((deflected, 1), else_=0)),
            )
        )
        .select_from(q)
        .join(v, v.c.id == q.page_view_id)
        .outerjoin(answered, answered.c.question_id == q.id)
        .outerjoin(
            last_handoff,
            and_(
                last_handoff.c.session_id == q.session_id,
                last_handoff.c.template == v.c.template,
            ),
        )
        .where(q.at >= period.start)
        .group_by(v.c.template, v.c.bucket),
        "feedback": select(*row("feedback", v.c.template, v.c.bucket, f.rating, n))
        .select_from(f)
        .join(a, a.id == f.answer_id)
        .join(q, q.id == a.question_id)
        .join(v, v.c.id == q.page_view_id)
        .where(q.at >= period.start)
        .group_by(v.c.template, v.c.bucket, f.rating),
        "csat": select(
            *row(
                "csat",
                tv.c.template,
                tv.c.bucket,
                None,
                func.count(c.id),
                func.sum(c.score),
                func.sum(case((c.score <= LOW_CSAT_MAX, 1), else_=0)),
            )
        )
        .select_from(tv)
        .join(c, c.session_id == tv.c.session_id)
        .group_by(tv.c.template, tv.c.bucket),
    }
    if not people:
        for name in ("users", "accounts", "total"):
            del branches[name]
    # SQLite: one statement, the visits materialised once. PostgreSQL: a few statements run
    # concurrently on the pool (a statement with CTEs runs on one core), each with its CTEs.
    groups = (
        [list(branches)]
        if db.is_sqlite
        else [[b for b in group if b in branches] for group in _GROUPS]
    )
    statements = [union_all(*(branches[b] for b in group)) for group in groups if group]
    handoffs = select(
        h.template, h.session_id, h.triggers, h.status, h.created_at, h.closed_at
    ).where(h.created_at >= period.start, h.created_at < period.end)
    if site is not None:
        handoffs = handoffs.where(h.site_key == site)
    if template is not None:
        handoffs = handoffs.where(h.template == template)
    *r_parts, r_handoffs = await _all(
        db, *(_read(db, stmt) for stmt in statements), _read(db, handoffs)
    )
    r_counts = [r for part in r_parts for r in part]

    accs: dict[tuple[str, int], _Acc] = defaultdict(_Acc)
    total = 0
    for measure, tpl, b, kind, x, y, z in r_counts:
        if measure == "total":
            total = int(x or 0)
            continue
        acc = accs[(tpl, int(b))]
        x, y, z = int(x or 0), int(y or 0), int(z or 0)
        if measure == "visits":
            acc.sessions = x
        elif measure == "users":
            acc.users = x
        elif measure == "accounts":
            acc.accounts = x
        elif measure == "signals":
            acc.signals[kind] = x
        elif measure == "struggle":
            acc.struggle_sessions = x
        elif measure == "questions":
            acc.questions, acc.answered, acc.deflected = x, y, z
        elif measure == "feedback":
            if kind == "up":
                acc.thumbs_up += x
            elif kind == "down":
                acc.thumbs_down += x
        elif measure == "csat":
            acc.csat_responses, acc.csat_sum, acc.csat_low = x, float(y), z
    starts = list(edges[1:-1]) if edges and len(edges) >= 3 else []
    for tpl, session_id, triggers, status, created_at, closed_at in r_handoffs:
        created_at = utc(created_at)
        acc = accs[(tpl, bisect.bisect_right(starts, created_at))]
        acc.escalations += 1
        acc.escalated.add(session_id)
        for kind in {str(t.get("kind", "")) for t in (triggers or []) if isinstance(t, dict)}:
            if kind:
                acc.triggers[kind] = acc.triggers.get(kind, 0) + 1
        if status == "closed" and closed_at is not None:
            acc.resolutions.append((utc(closed_at) - created_at).total_seconds())
    return accs, total


def _ranked(rows: list[PageRow]) -> list[PageRow]:
    prior = pooled_prior(r.friction_inputs() for r in rows)
    scored = [
        r.model_copy(
            update={
                "friction": (fs := friction_of(r.friction_inputs(), prior)).score,
                "friction_parts": fs,
            }
        )
        for r in rows
    ]
    scored.sort(key=lambda r: (-r.friction, -r.sessions, r.template))
    return [r.model_copy(update={"rank": i + 1}) for i, r in enumerate(scored)]


# ---------------------------------------------------------------- the reports


class _RecentReports:
    """The last few page reports, so a page's detail opened from the list ranks the page
    against that list instead of recomputing every page. Only `page_detail` reads it."""

    def __init__(self, size: int = 16, max_age: float = REUSE_SECONDS) -> None:
        self.items: list[tuple[float, str, PagesReport]] = []
        self.size, self.max_age = size, max_age

    def put(self, db: Database, report: PagesReport) -> None:
        self.items.append((time.monotonic(), db.url, report))
        del self.items[: -self.size]

    def get(self, db: Database, period: Period, site: str | None) -> PagesReport | None:
        now = time.monotonic()
        for made, url, report in reversed(self.items):
            if (
                now - made <= self.max_age
                and url == db.url
                and report.site == site
                and report.period.label == period.label
                and abs((report.period.end - period.end).total_seconds()) <= self.max_age
                and abs((report.period.start - period.start).total_seconds()) <= self.max_age
            ):
                return report
        return None


_recent = _RecentReports()


async def page_report(db: Database, period: Period, site: str | None = None) -> PagesReport:
    """Every page visited in the period, ranked by friction."""
    accs, sessions = await _collect(db, period, site)
    rows = _ranked([acc.row(tpl) for (tpl, _), acc in accs.items()])
    report = PagesReport(
        period=period,
        site=site,
        generated_at=datetime.now(UTC),
        sessions=sessions,
        questions=sum(r.questions for r in rows),
        escalations=sum(r.escalations for r in rows),
        pages=rows,
    )
    _recent.put(db, report)
    return report


async def page_trend(
    db: Database,
    template: str,
    period: Period,
    site: str | None = None,
    edges: Sequence[datetime] | None = None,
) -> list[TrendPoint]:
    """One point per bucket (daily by default). Friction per bucket uses the pooled prior of
    the page's own buckets, so the points are comparable with each other."""
    edges = list(edges or day_edges(period))
    accs, _ = await _collect(db, period, site, template, edges, people=False)
    return _points(
        template, {b: acc.row(template) for (tpl, b), acc in accs.items() if tpl == template}, edges
    )


def _points(
    template: str, buckets: dict[int, PageRow], edges: Sequence[datetime]
) -> list[TrendPoint]:
    prior = pooled_prior(r.friction_inputs() for r in buckets.values())
    points = []
    for i in range(len(edges) - 1):
        r = buckets.get(i) or PageRow(template=template)
        points.append(
            TrendPoint(
                start=edges[i],
                end=edges[i + 1],
                sessions=r.sessions,
                struggle_sessions=r.struggle_sessions,
                questions=r.questions,
                escalations=r.escalations,
                thumbs_down=r.thumbs_down,
                friction=friction_of(r.friction_inputs(), prior).score,
            )
        )
    return points


async def page_trends(
    db: Database,
    templates: Sequence[str] | None,
    period: Period,
    site: str | None = None,
    edges: Sequence[datetime] | None = None,
) -> dict[str, list[TrendPoint]]:
    """`page_trend` for many pages in one pass (the same queries, grouped by template too):
    use it for sparklines of the top N pages. `templates=None` means every page. Each page's
    friction points use the pooled prior of that page's own buckets, as in `page_trend`."""
    edges = list(edges or day_edges(period))
    accs, _ = await _collect(db, period, site, None, edges, people=False)
    wanted = None if templates is None else set(templates)
    rows: dict[str, dict[int, PageRow]] = defaultdict(dict)
    for (tpl, b), acc in accs.items():
        if wanted is None or tpl in wanted:
            rows[tpl][b] = acc.row(tpl)
    return {
        tpl: _points(tpl, rows.get(tpl, {}), edges)
        for tpl in (templates if templates is not None else sorted(rows))
    }


async def _ranked_row(db: Database, template: str, period: Period, site: str | None) -> PageRow:
    """The page's row, ranked against all pages: against a pages report of the same period
    made in the last REUSE_SECONDS when there is one (the page's own counts are fresh; the
    others' and the pooled prior come from that report), else against a new report."""
    cached = _recent.get(db, period, site)
    if cached is None:
        report = await page_report(db, period, site)
        found = next((r for r in report.pages if r.template == template), None)
        return found or PageRow(template=template, rank=0)
    accs, _ = await _collect(db, period, site, template)
    acc = accs.get((template, 0))
    if acc is None:
        return PageRow(template=template, rank=0)
    fresh = acc.row(template)
    others = [r for r in cached.pages if r.template != template]
    prior = pooled_prior([*(r.friction_inputs() for r in others), fresh.friction_inputs()])
    score = friction_of(fresh.friction_inputs(), prior)
    key = (-score.score, -fresh.sessions, template)
    rank = 1 + sum(1 for r in others if (-r.friction, -r.sessions, r.template) < key)
    return fresh.model_copy(update={"friction": score.score, "friction_parts": score, "rank": rank})


async def page_detail(
    db: Database,
    template: str,
    period: Period,
    site: str | None = None,
    *,
    clusters: bool = True,
    embedder: Any | None = None,
    examples: int = 10,
    limit: int = 20,
) -> PageDetail:
    """One page: its ranked row, daily trend, question clusters, struggle targets, errors and
    example sessions. `clusters=False` skips the embedding model (texts are grouped exactly)."""
    v = _visits(period, site, template, None)
    sg, e, q = m.SignalRow, m.Event, m.Question

    texts_stmt = (
        select(func.min(q.text), func.count())
        .join(v, v.c.id == q.page_view_id)
        .where(q.at >= period.start)  # after its page view: a safe early filter (ix_questions_at)
        .group_by(func.lower(func.trim(q.text)))
        .order_by(func.count().desc(), func.min(q.text))
        .limit(300)
    )
    targets_stmt = (
        select(
            sg.kind, sg.target, sg.target_text, func.count(), func.count(distinct(sg.session_id))
        )
        # IN, not JOIN: without an index on signals.page_view_id SQLite would otherwise scan
        # the signals once per visit; this way it scans them once (PostgreSQL: a semi-join)
        .where(sg.page_view_id.in_(select(v.c.id)), sg.at >= period.start)
        .group_by(sg.kind, sg.target, sg.target_text)
        .order_by(func.count().desc(), sg.kind, sg.target)
        .limit(limit)
    )
    message, method, path, status = (
        _json_str(e.data, "message"),
        _json_str(e.data, "method"),
        _json_str(e.data, "path"),
        _json_str(e.data, "status"),
    )
    errors_stmt = (
        select(
            e.kind,
            message,
            method,
            path,
            status,
            func.count(),
            func.count(distinct(e.session_id)),
            func.max(e.at),
        )
        .join(v, v.c.id == e.page_view_id)
        .where(e.kind.in_(ERROR_KINDS), e.at >= period.start)  # ix_events_kind_at
        .group_by(e.kind, message, method, path, status)
        .order_by(func.count().desc(), e.kind)
        .limit(limit)
    )
    row, texts, targets, errors, trend, sessions = await _all(
        db,
        _ranked_row(db, template, period, site),
        _read(db, texts_stmt),
        _read(db, targets_stmt),
        _read(db, errors_stmt),
        page_trend(db, template, period, site),
        example_sessions(db, template, period, site, examples),
    )
    counted = [(str(t), int(n)) for t, n in texts]
    if clusters and counted:
        groups = await asyncio.to_thread(cluster_questions, counted, embedder)
    else:
        groups = exact_groups(counted)
    error_groups = []
    for kind, msg, meth, pth, st, n, sess, last in errors:
        st = None if st is None else str(st)
        text = (
            f"{meth or '?'} {pth or '?'} → {st or '?'}" if kind == "http_error" else str(msg or "")
        )
        error_groups.append(
            ErrorGroup(
                kind=kind,
                message=text,
                method=meth,
                path=pth,
                status=st,
                events=int(n),
                sessions=int(sess),
                last_at=_aware(last),
            )
        )
    return PageDetail(
        period=period,
        site=site,
        template=template,
        row=row,
        trend=trend,
        question_clusters=groups,
        struggle_targets=[
            StruggleTarget(
                kind=k, target=t or "", target_text=tt or "", signals=int(n), sessions=int(sn)
            )
            for k, t, tt, n, sn in targets
        ],
        errors=error_groups,
        example_sessions=sessions,
    )


async def example_sessions(
    db: Database, template: str, period: Period, site: str | None = None, limit: int = 10
) -> list[SessionSummary]:
    """Sessions worth replaying: escalated from the page first, then the most signals on the
    page, then the most recent."""
    v = _visits(period, site, template, None)
    h, sg, pv = m.HandoffRow, m.SignalRow, m.PageView
    escalated_stmt = (
        select(h.session_id)
        .where(h.template == template, h.created_at >= period.start, h.created_at < period.end)
        .order_by(h.created_at.desc())
        .limit(limit)
    )
    if site is not None:
        escalated_stmt = escalated_stmt.where(h.site_key == site)
    struggling_stmt = (
        select(sg.session_id)
        .where(sg.page_view_id.in_(select(v.c.id)), sg.at >= period.start)
        .group_by(sg.session_id)
        .order_by(func.count().desc(), sg.session_id)
        .limit(limit)
    )
    recent_stmt = (  # newest visits first, straight off ix_page_views_template_at
        select(pv.session_id)
        .where(pv.template == template, pv.at >= period.start, pv.at < period.end)
        .order_by(pv.at.desc())
        .limit(limit * 5)
    )
    if site is not None:
        recent_stmt = recent_stmt.join(m.Session, m.Session.id == pv.session_id).where(
            m.Session.site_key == site
        )
    escalated, struggling, recent = await _all(
        db, _read(db, escalated_stmt), _read(db, struggling_stmt), _read(db, recent_stmt)
    )
    newest = list(dict.fromkeys(r[0] for r in recent))[:limit]
    ids = list(dict.fromkeys([r[0] for r in escalated] + [r[0] for r in struggling] + newest))
    summaries = await summarise_sessions(db, ids)
    summaries.sort(
        key=lambda x: (not x.escalated, -x.signals, -x.questions, -x.started_at.timestamp())
    )
    return summaries[:limit]


async def summarise_sessions(db: Database, session_ids: Sequence[str]) -> list[SessionSummary]:
    """Summaries of the given sessions (a handful: it reads their page trails)."""
    if not session_ids:
        return []
    ids = list(session_ids)
    s, pv, sg, q, h = m.Session, m.PageView, m.SignalRow, m.Question, m.HandoffRow
    sessions, trails, signals, questions, handoffs = await _all(
        db,
        _read(db, select(s.id, s.created_at, s.site_key, s.account_id).where(s.id.in_(ids))),
        _read(
            db,
            select(pv.session_id, pv.template)
            .where(pv.session_id.in_(ids))
            .order_by(pv.session_id, pv.at, pv.id),
        ),
        _read(
            db,
            select(sg.session_id, func.count())
            .where(sg.session_id.in_(ids))
            .group_by(sg.session_id),
        ),
        _read(
            db,
            select(q.session_id, func.count()).where(q.session_id.in_(ids)).group_by(q.session_id),
        ),
        _read(db, select(h.session_id).where(h.session_id.in_(ids)).distinct()),
    )
    pages: dict[str, list[str]] = defaultdict(list)
    views: dict[str, int] = defaultdict(int)
    for sid, tpl in trails:
        views[sid] += 1
        if not pages[sid] or pages[sid][-1] != tpl:
            pages[sid].append(tpl)
    n_signals = {sid: int(n) for sid, n in signals}
    n_questions = {sid: int(n) for sid, n in questions}
    escalated = {sid for (sid,) in handoffs}
    return [
        SessionSummary(
            session_id=sid,
            started_at=utc(created),
            site_key=site_key,
            account_id=account,
            pages=pages.get(sid, []),
            page_views=views.get(sid, 0),
            signals=n_signals.get(sid, 0),
            questions=n_questions.get(sid, 0),
            escalated=sid in escalated,
        )
        for sid, created, site_key, account in sessions
    ]


# ---------------------------------------------------------------- a session, replayed


def _short(text: str, n: int = 140) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _event_summary(ev: m.Event) -> str:
    data = ev.data or {}
    target = ev.target or {}
    label = target.get("text") or target.get("selector") or ""
    if ev.kind == "http_error":
        return f"HTTP {data.get('method', '?')} {data.get('path', '?')} → {data.get('status', '?')}"
    if ev.kind in ("error", "invalid"):
        return f"{ev.kind}: {_short(data.get('message', ''))}"
    if ev.kind == "navigate":
        return f"navigate {data.get('from', '?')} → {data.get('to', '?')}"
    if ev.kind == "click" and data.get("effect"):
        return f"click {_short(label, 60)} ({data['effect']})".strip()
    return f"{ev.kind} {_short(label, 60)}".strip()


async def session_timeline(
    db: Database, session_id: str, event_limit: int = 2_000
) -> SessionTimeline | None:
    """Everything that happened in a session, in time order, for replay. None if unknown."""
    async with db.session() as s:
        session = await s.get(m.Session, session_id)
        if session is None:
            return None

        async def rows(model: Any, order: Any, limit: int | None = None) -> list[Any]:
            stmt = select(model).where(model.session_id == session_id).order_by(order)
            if limit is not None:
                stmt = stmt.limit(limit + 1)
            return list((await s.scalars(stmt)).all())

        views = await rows(m.PageView, m.PageView.at)
        events = await rows(m.Event, m.Event.id, event_limit)
        signals = await rows(m.SignalRow, m.SignalRow.at)
        nudges = await rows(m.Nudge, m.Nudge.shown_at)
        questions = await rows(m.Question, m.Question.at)
        answers = await rows(m.Answer, m.Answer.at)
        feedback = await rows(m.Feedback, m.Feedback.at)
        handoffs = await rows(m.HandoffRow, m.HandoffRow.created_at)
        messages = await rows(m.Message, m.Message.at)
        csat = await rows(m.Csat, m.Csat.at)
    truncated = len(events) > event_limit
    events = events[:event_limit]
    template_of = {pv.id: pv.template for pv in views}
    answer_of_question = {a.question_id: a for a in answers}
    items: list[TimelineItem] = []

    def add(at: datetime, kind: str, summary: str, pv_id: int | None = None, **data: Any) -> None:
        items.append(
            TimelineItem(
                at=utc(at),
                kind=kind,
                summary=summary,
                template=template_of.get(pv_id) if pv_id is not None else None,
                data={k: v for k, v in data.items() if v is not None},
            )
        )

    for pv in views:
        add(
            pv.at,
            "page",
            f"{pv.template or pv.path} — {pv.title}".strip(" —"),
            pv.id,
            path=pv.path,
            title=pv.title,
            form_errors=pv.form_errors or None,
        )
    for ev in events:
        add(
            ev.at,
            "event",
            _event_summary(ev),
            ev.page_view_id,
            event=ev.kind,
            target=ev.target,
            data=ev.data or None,
        )
    for sg in signals:
        add(
            sg.at,
            "signal",
            f"{sg.kind} on {sg.target_text or sg.target or sg.path}",
            sg.page_view_id,
            signal=sg.kind,
            score=sg.score,
            reason=sg.reason,
            verdict=sg.verdict or None,
        )
    for n in nudges:
        add(
            n.shown_at,
            "nudge",
            f"nudge ({n.kind}): {_short(n.text)} → {n.outcome}",
            nudge_id=n.id,
            outcome=n.outcome,
            asked=n.asked,
            succeeded=n.succeeded,
        )
    for qu in questions:
        add(qu.at, "question", _short(qu.text, 300), qu.page_view_id, question_id=qu.id)
        a = answer_of_question.get(qu.id)
        if a is not None:
            add(
                a.at,
                "answer",
                _short(a.text, 300),
                qu.page_view_id,
                answer_id=a.id,
                status=a.status,
                confidence=a.confidence,
                sources=a.sources or None,
                first_token_ms=a.first_token_ms,
            )
    for fb in feedback:
        add(
            fb.at,
            "feedback",
            f"thumbs {fb.rating}" + (f": {_short(fb.comment)}" if fb.comment else ""),
            answer_id=fb.answer_id,
            rating=fb.rating,
        )
    for h in handoffs:
        kinds = [t.get("kind") for t in h.triggers or [] if isinstance(t, dict)]
        fired = ", ".join(k for k in kinds if k) or "no trigger"
        add(
            h.created_at,
            "handoff",
            f"escalated ({fired}) — now {h.status}",
            handoff_id=h.id,
            status=h.status,
            triggers=kinds,
            tags=h.tags or None,
        )
        if h.closed_at is not None:
            add(
                h.closed_at,
                "handoff",
                f"handoff closed: {_short(h.resolution_note) or 'no note'}",
                handoff_id=h.id,
                status="closed",
            )
    for msg in messages:
        add(
            msg.at,
            "message",
            f"{msg.role}{' ' + msg.author if msg.author else ''}: {_short(msg.text, 300)}",
            role=msg.role,
            handoff_id=msg.handoff_id,
        )
    for c in csat:
        add(
            c.at,
            "csat",
            f"CSAT {c.score}/5" + (f": {_short(c.comment)}" if c.comment else ""),
            score=c.score,
        )
    order = {"page": 0, "question": 1, "answer": 2}
    items.sort(key=lambda i: (i.at, order.get(i.kind, 3)))
    identity = session.identity or {}
    return SessionTimeline(
        session_id=session.id,
        site_key=session.site_key,
        started_at=utc(session.created_at),
        last_seen_at=utc(session.last_seen_at),
        account_id=session.account_id,
        user_id=identity.get("user_id") if isinstance(identity, dict) else None,
        items=items,
        truncated=truncated,
    )


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
