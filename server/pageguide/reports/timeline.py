"""A session replayed: everything that happened in it, in time order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..db import Database
from ..db import models as m
from .models import SessionTimeline, TimelineItem
from .period import utc


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
        nudges = await rows(m.Nudge, m.Nudge.sent_at)
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
            n.sent_at,
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
