"""One page's detail: its ranked row, daily trend, question clusters, struggle targets, errors
and example sessions."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, select

from ..db import Database
from ..db import models as m
from .clusters import cluster_questions, exact_groups
from .models import ErrorGroup, PageDetail, SessionSummary, StruggleTarget
from .pages import page_trend, ranked_row
from .period import Period, utc
from .sql import ERROR_KINDS, gather, json_str, read, visits


def _aware(value: Any) -> Any:
    return utc(value) if isinstance(value, datetime) else value


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
    v = visits(period, site, template, None)
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
        # IN, not JOIN: the visits as a set, matched through ix_signals_page_view_id
        # (migration 0003); PostgreSQL plans it as a semi-join
        .where(sg.page_view_id.in_(select(v.c.id)), sg.at >= period.start)
        .group_by(sg.kind, sg.target, sg.target_text)
        .order_by(func.count().desc(), sg.kind, sg.target)
        .limit(limit)
    )
    message, method, path, status = (
        json_str(e.data, "message"),
        json_str(e.data, "method"),
        json_str(e.data, "path"),
        json_str(e.data, "status"),
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
    row, texts, targets, errors, trend, sessions = await gather(
        db,
        ranked_row(db, template, period, site),
        read(db, texts_stmt),
        read(db, targets_stmt),
        read(db, errors_stmt),
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
    v = visits(period, site, template, None)
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
    escalated, struggling, recent = await gather(
        db, read(db, escalated_stmt), read(db, struggling_stmt), read(db, recent_stmt)
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
    sessions, trails, signals, questions, handoffs = await gather(
        db,
        read(db, select(s.id, s.created_at, s.site_key, s.account_id).where(s.id.in_(ids))),
        read(
            db,
            select(pv.session_id, pv.template)
            .where(pv.session_id.in_(ids))
            .order_by(pv.session_id, pv.at, pv.id),
        ),
        read(
            db,
            select(sg.session_id, func.count())
            .where(sg.session_id.in_(ids))
            .group_by(sg.session_id),
        ),
        read(
            db,
            select(q.session_id, func.count()).where(q.session_id.in_(ids)).group_by(q.session_id),
        ),
        read(db, select(h.session_id).where(h.session_id.in_(ids)).distinct()),
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
