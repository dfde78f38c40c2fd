"""A page row's counts, per (template, bucket), each a GROUP BY in the database.

    await collect(db, period, site, template=None, edges=None, people=True)
        -> ({(template, bucket): PageCounts}, distinct sessions of the whole selection)

Four reads, concurrent on PostgreSQL (one pooled connection and one core each), in turn on
SQLite, each with one pass over the page views it needs:

- **people**: the visits grouped per (template, bucket, session), joined once to their
  sessions, then grouped by person, by account and by session in one hash pass (GROUPING SETS
  on PostgreSQL; a UNION ALL of the three groupings on SQLite, which has none). A person is
  the verified `user_id`, or the session itself when it has none, so `users` is the distinct
  user ids plus the sessions without one. `people=False` (trends) counts sessions only.
- **signals and CSAT**: signals joined to their visits (per kind, and struggling sessions);
  the CSAT of the sessions that visited, reading only the visits of sessions with a CSAT.
- **questions**: each asked on a visit, with its answers and their ratings folded to one row
  per question first, and the session's last handoff on the same page for deflection.
- **handoffs**, as rows (few): their trigger kinds live in a JSON list, which the two
  databases take apart differently, and resolution medians need no percentile function.

docs/metrics.md defines every number; docs/reports.md says why the statements look like this.
"""

from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
    union_all,
)

from ..db import Database
from ..db import models as m
from .friction import LOW_CSAT_MAX
from .models import PageRow
from .period import Period, utc
from .sql import ANSWERED, gather, read, visits

Counts = dict[tuple[str, int], "PageCounts"]


def rate(k: int, n: int) -> float | None:
    return round(min(k, n) / n, 4) if n else None


@dataclass
class PageCounts:
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
            struggle_rate=rate(self.struggle_sessions, self.sessions) or 0.0,
            signals=dict(sorted(self.signals.items(), key=lambda kv: (-kv[1], kv[0]))),
            questions=self.questions,
            answered=self.answered,
            deflected=self.deflected,
            deflection_rate=rate(self.deflected, self.questions),
            escalations=self.escalations,
            escalated_sessions=len(self.escalated),
            escalation_rate=rate(len(self.escalated), self.sessions) or 0.0,
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


@dataclass(frozen=True)
class _Scope:
    """What one collect counts over."""

    period: Period
    site: str | None
    template: str | None
    edges: Sequence[datetime] | None

    def visits(self, site: bool = True) -> Any:
        return visits(self.period, self.site if site else None, self.template, self.edges)

    def sessions_per_page(self, site: bool = True, among: Any = None) -> Any:
        """(template, bucket, session_id): one row per session per page per bucket; `among`,
        a select of session ids, keeps only those sessions' visits."""
        v = self.visits(site)
        stmt = select(v.c.template, v.c.bucket, v.c.session_id)
        if among is not None:
            stmt = stmt.where(v.c.session_id.in_(among))
        return stmt.group_by(v.c.template, v.c.bucket, v.c.session_id)


# ---------------------------------------------------------------- the statements


def _people(db: Database, scope: _Scope) -> Any:
    """(set, template, bucket, keys, anonymous, rows, groups) per grouping: set 1 is by person
    (its user id), 2 by account, 3 by session (the whole selection's total)."""
    s = m.Session
    tv = scope.sessions_per_page(site=False).subquery("tv")
    j = (
        select(
            tv.c.template,
            tv.c.bucket,
            tv.c.session_id,
            s.user_id.label("uid"),  # identity["user_id"], as text, kept by the database
            s.account_id.label("acct"),
        )
        .select_from(tv)
        .join(s, s.id == tv.c.session_id)
    )
    if scope.site is not None:  # filtered here, on the join it makes anyway
        j = j.where(s.site_key == scope.site)
    if db.is_sqlite:
        jc = j.cte("j")
        g = union_all(
            select(literal(1).label("gs"), jc.c.template, jc.c.bucket, jc.c.uid)
            .add_columns(null().label("acct"), func.count().label("n"))
            .group_by(jc.c.template, jc.c.bucket, jc.c.uid),
            select(literal(2), jc.c.template, jc.c.bucket, null(), jc.c.acct, func.count())
            .where(jc.c.acct.is_not(None))
            .group_by(jc.c.template, jc.c.bucket, jc.c.acct),
            select(literal(3), null(), null(), null(), null(), func.count())
            .select_from(jc)
            .group_by(jc.c.session_id),
        ).subquery("g")
    else:
        js = j.subquery("j")
        g = (
            select(
                func.grouping(js.c.uid, js.c.acct).label("gs"),
                js.c.template,
                js.c.bucket,
                js.c.uid,
                js.c.acct,
                func.count().label("n"),
            )
            .group_by(
                func.grouping_sets(
                    tuple_(js.c.template, js.c.bucket, js.c.uid),
                    tuple_(js.c.template, js.c.bucket, js.c.acct),
                    tuple_(js.c.session_id),
                )
            )
            .subquery("g")
        )
    return select(
        g.c.gs,
        g.c.template,
        g.c.bucket,
        func.count(g.c.uid),
        func.count(g.c.acct),
        func.sum(case((g.c.uid.is_(None), g.c.n), else_=0)),
        func.sum(g.c.n),
        func.count(),
    ).group_by(g.c.gs, g.c.template, g.c.bucket)


def _apply_people(accs: Counts, rows: list[Any]) -> int:
    total = 0
    for gs, tpl, b, uids, accts, anonymous, n, groups in rows:
        if gs == 3:
            total = int(groups)
        elif gs == 1:
            acc = accs[(tpl, int(b))]
            acc.users, acc.sessions = int(uids) + int(anonymous or 0), int(n or 0)
        elif gs == 2:
            accs[(tpl, int(b))].accounts = int(accts)
    return total


def _sessions_only(scope: _Scope) -> Any:
    tv = scope.sessions_per_page().subquery("tv")
    return select(tv.c.template, tv.c.bucket, func.count()).group_by(tv.c.template, tv.c.bucket)


def _apply_sessions(accs: Counts, rows: list[Any]) -> int:
    for tpl, b, n in rows:
        accs[(tpl, int(b))].sessions = int(n)
    return 0


def _signals_and_csat(scope: _Scope) -> Any:
    """Long form: (measure, template, bucket, kind, a, b, c)."""
    sg, c = m.SignalRow, m.Csat
    v = scope.visits()
    signal_rows = (
        select(v.c.template, v.c.bucket, sg.kind, sg.session_id)
        .select_from(sg)
        .join(v, v.c.id == sg.page_view_id)
        .where(sg.at >= scope.period.start)  # a signal comes after its page view: safe, early
        .cte("sig")
    )
    strugglers = (
        select(signal_rows.c.template, signal_rows.c.bucket, signal_rows.c.session_id)
        .group_by(signal_rows.c.template, signal_rows.c.bucket, signal_rows.c.session_id)
        .subquery("strug")
    )
    # CSAT belongs to the session, whenever given: only the visits of sessions that gave one
    rated = scope.sessions_per_page(among=select(c.session_id)).subquery("rated")

    def row(measure: str, tpl: Any, bucket: Any, kind: Any, *nums: Any) -> list[Any]:
        padded = [*nums, None, None][:3]
        return [
            literal(measure).label("measure"),
            tpl.label("template"),
            bucket.label("bucket"),
            cast(kind if kind is not None else null(), String).label("kind"),
            *(
                cast(x if x is not None else null(), BigInteger).label(name)
                for x, name in zip(padded, "abc", strict=True)
            ),
        ]

    n = func.count()
    return union_all(
        select(
            *row("signals", signal_rows.c.template, signal_rows.c.bucket, signal_rows.c.kind, n)
        ).group_by(signal_rows.c.template, signal_rows.c.bucket, signal_rows.c.kind),
        select(*row("struggle", strugglers.c.template, strugglers.c.bucket, None, n)).group_by(
            strugglers.c.template, strugglers.c.bucket
        ),
        select(
            *row(
                "csat",
                rated.c.template,
                rated.c.bucket,
                None,
                func.count(c.id),
                func.sum(c.score),
                func.sum(case((c.score <= LOW_CSAT_MAX, 1), else_=0)),
            )
        )
        .select_from(rated)
        .join(c, c.session_id == rated.c.session_id)
        .group_by(rated.c.template, rated.c.bucket),
    )


def _apply_long(accs: Counts, rows: list[Any]) -> int:
    for measure, tpl, b, kind, x, y, z in rows:
        acc = accs[(tpl, int(b))]
        if measure == "signals":
            acc.signals[kind] = int(x)
        elif measure == "struggle":
            acc.struggle_sessions = int(x)
        elif measure == "csat":
            acc.csat_responses, acc.csat_sum, acc.csat_low = int(x), float(y or 0), int(z or 0)
    return 0


def _questions(scope: _Scope) -> Any:
    """(template, bucket, questions, answered, deflected, thumbs up, thumbs down)."""
    q, a, f, h = m.Question, m.Answer, m.Feedback, m.HandoffRow
    start = scope.period.start
    v = scope.visits()
    # one row per question asked since the start: answered (an answer that counts, which comes
    # after its question, so after `start`) and the ratings of any of its answers
    per_question = (
        select(
            a.question_id,
            func.max(case((and_(a.status.in_(ANSWERED), a.at >= start), 1), else_=0)).label(
                "answered"
            ),
            func.sum(case((f.rating == "up", 1), else_=0)).label("up"),
            func.sum(case((f.rating == "down", 1), else_=0)).label("down"),
        )
        .select_from(a)
        .outerjoin(f, f.answer_id == a.id)
        .where(a.question_id.in_(select(q.id).where(q.at >= start)))
        .group_by(a.question_id)
        .subquery("qa")
    )
    # a question is not deflected when its session later opened a handoff on the same page:
    # the latest handoff per (session, template) at or after the question
    last_handoff = (
        select(h.session_id, h.template, func.max(h.created_at).label("last"))
        .where(h.created_at >= start)
        .group_by(h.session_id, h.template)
        .subquery("lh")
    )
    answered = per_question.c.answered == 1
    deflected = and_(answered, or_(last_handoff.c.last.is_(None), last_handoff.c.last < q.at))
    return (
        select(
            v.c.template,
            v.c.bucket,
            func.count(),
            func.sum(case((answered, 1), else_=0)),
            func.sum(case((deflected, 1), else_=0)),
            func.sum(func.coalesce(per_question.c.up, 0)),
            func.sum(func.coalesce(per_question.c.down, 0)),
        )
        .select_from(q)
        .join(v, v.c.id == q.page_view_id)
        .outerjoin(per_question, per_question.c.question_id == q.id)
        .outerjoin(
            last_handoff,
            and_(
                last_handoff.c.session_id == q.session_id,
                last_handoff.c.template == v.c.template,
            ),
        )
        .where(q.at >= start)  # after its page view: a safe early filter (ix_questions_at)
        .group_by(v.c.template, v.c.bucket)
    )


def _thumbs(scope: _Scope) -> Any:
    """(template, bucket, thumbs up, thumbs down): the ratings alone, for the friction score."""
    q, a, f = m.Question, m.Answer, m.Feedback
    v = scope.visits()
    return (
        select(
            v.c.template,
            v.c.bucket,
            func.sum(case((f.rating == "up", 1), else_=0)),
            func.sum(case((f.rating == "down", 1), else_=0)),
        )
        .select_from(f)
        .join(a, a.id == f.answer_id)
        .join(q, q.id == a.question_id)
        .join(v, v.c.id == q.page_view_id)
        .where(q.at >= scope.period.start)
        .group_by(v.c.template, v.c.bucket)
    )


def _apply_thumbs(accs: Counts, rows: list[Any]) -> int:
    for tpl, b, up, down in rows:
        acc = accs[(tpl, int(b))]
        acc.thumbs_up, acc.thumbs_down = int(up), int(down)
    return 0


def _apply_questions(accs: Counts, rows: list[Any]) -> int:
    for tpl, b, n, answered, deflected, up, down in rows:
        acc = accs[(tpl, int(b))]
        acc.questions, acc.answered, acc.deflected = int(n), int(answered), int(deflected)
        acc.thumbs_up, acc.thumbs_down = int(up), int(down)
    return 0


def _handoffs(scope: _Scope, friction_only: bool) -> Any:
    h = m.HandoffRow
    # the friction score needs who escalated, not why nor how it ended: no trigger JSON to read
    details = (null(), null(), null()) if friction_only else (h.triggers, h.status, h.closed_at)
    stmt = select(h.template, h.session_id, *details, h.created_at).where(
        h.created_at >= scope.period.start, h.created_at < scope.period.end
    )
    if scope.site is not None:
        stmt = stmt.where(h.site_key == scope.site)
    if scope.template is not None:
        stmt = stmt.where(h.template == scope.template)
    return stmt


def _apply_handoffs(edges: Sequence[datetime] | None) -> Callable[[Counts, list[Any]], int]:
    starts = list(edges[1:-1]) if edges and len(edges) >= 3 else []

    def apply(accs: Counts, rows: list[Any]) -> int:
        for tpl, session_id, triggers, status, closed_at, created_at in rows:
            created_at = utc(created_at)
            acc = accs[(tpl, bisect.bisect_right(starts, created_at))]
            acc.escalations += 1
            acc.escalated.add(session_id)
            kinds = {str(t.get("kind", "")) for t in (triggers or []) if isinstance(t, dict)}
            for kind in kinds:
                if kind:
                    acc.triggers[kind] = acc.triggers.get(kind, 0) + 1
            if status == "closed" and closed_at is not None:
                acc.resolutions.append((utc(closed_at) - created_at).total_seconds())
        return 0

    return apply


# ---------------------------------------------------------------- all of them


async def collect(
    db: Database,
    period: Period,
    site: str | None,
    template: str | None = None,
    edges: Sequence[datetime] | None = None,
    people: bool = True,
    friction_only: bool = False,
) -> tuple[Counts, int]:
    """Counts per (template, bucket), and the distinct sessions of the whole selection (0 with
    `people=False`, which also skips users and accounts: trends do not show them).
    `friction_only` keeps what the friction score reads, for the anomaly scan: no questions,
    answers or deflection (the ratings stay), no handoff triggers or resolutions."""
    if edges:
        period = Period(start=edges[0], end=edges[-1], label=period.label)
    scope = _Scope(period, site, template, edges)
    reads: list[tuple[Any, Callable[[Counts, list[Any]], int]]] = [
        (_people(db, scope), _apply_people) if people else (_sessions_only(scope), _apply_sessions),
        (_signals_and_csat(scope), _apply_long),
        (_thumbs(scope), _apply_thumbs) if friction_only else (_questions(scope), _apply_questions),
        (_handoffs(scope, friction_only), _apply_handoffs(edges)),
    ]
    results = await gather(db, *(read(db, stmt) for stmt, _ in reads))
    accs: Counts = defaultdict(PageCounts)
    total = 0
    for (_, apply), rows in zip(reads, results, strict=True):
        total += apply(accs, rows)
    return accs, total
