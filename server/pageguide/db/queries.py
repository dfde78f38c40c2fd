"""The writes and reads the gateway needs. Each call is one transaction: when it returns,
the data is committed, so the caller may acknowledge it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..protocol import Event as EventFrame
from ..protocol import PageContext
from . import models as m
from .engine import Database


class Repository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def start_session(
        self, session_id: str, site_key: str, user_agent: str, origin: str
    ) -> None:
        async with self.db.session() as s, s.begin():
            s.add(
                m.Session(
                    id=session_id,
                    site_key=site_key,
                    user_agent=user_agent[:400],
                    origin=origin[:300],
                )
            )

    async def set_identity(
        self, session_id: str, identity: dict[str, Any], account_id: str | None
    ) -> None:
        async with self.db.session() as s, s.begin():
            await s.execute(
                update(m.Session)
                .where(m.Session.id == session_id)
                .values(identity=identity, account_id=account_id)
            )

    async def session_exists(self, session_id: str, site_key: str) -> bool:
        async with self.db.session() as s:
            row = await s.scalar(select(m.Session.site_key).where(m.Session.id == session_id))
            return row == site_key

    async def touch_session(self, session_id: str) -> None:
        async with self.db.session() as s, s.begin():
            await s.execute(
                update(m.Session)
                .where(m.Session.id == session_id)
                .values(last_seen_at=datetime.now(UTC))
            )

    async def add_page_view(self, session_id: str, page: PageContext, template: str = "") -> int:
        async with self.db.session() as s, s.begin():
            row = m.PageView(
                session_id=session_id,
                url=page.url,
                path=page.path,
                route=page.route,
                template=template or page.path,
                title=page.title,
                headings=list(page.headings),
                form_errors=list(page.form_errors),
                meta=dict(page.meta),
            )
            s.add(row)
            await s.flush()
            return row.id

    async def add_events(
        self, session_id: str, page_view_id: int | None, events: list[EventFrame]
    ) -> int:
        async with self.db.session() as s, s.begin():
            s.add_all(
                m.Event(
                    session_id=session_id,
                    page_view_id=page_view_id,
                    kind=e.kind,
                    client_t=e.t,
                    target=e.target.model_dump() if e.target else None,
                    x=e.x,
                    y=e.y,
                    data=e.data,
                )
                for e in events
            )
        return len(events)

    async def add_question(
        self, session_id: str, client_id: str, page_view_id: int | None, text: str
    ) -> tuple[int, bool]:
        """(question id, created). A repeat of the same client id returns the stored one."""
        try:
            async with self.db.session() as s, s.begin():
                row = m.Question(
                    session_id=session_id, client_id=client_id, page_view_id=page_view_id, text=text
                )
                s.add(row)
                await s.flush()
                return row.id, True
        except IntegrityError:
            async with self.db.session() as s:
                existing = await s.scalar(
                    select(m.Question.id).where(
                        m.Question.session_id == session_id, m.Question.client_id == client_id
                    )
                )
                if existing is None:
                    raise
                return existing, False

    async def answer_for_question(self, question_id: int) -> m.Answer | None:
        async with self.db.session() as s:
            return await s.scalar(
                # An interrupted or failed answer is not an answer: the question is answered again.
                select(m.Answer).where(
                    m.Answer.question_id == question_id,
                    m.Answer.status.in_(("complete", "declined", "fallback")),
                )
            )

    async def start_answer(self, answer_id: str, question_id: int, session_id: str) -> None:
        async with self.db.session() as s, s.begin():
            s.add(m.Answer(id=answer_id, question_id=question_id, session_id=session_id))

    async def finish_answer(self, answer_id: str, **values: Any) -> None:
        async with self.db.session() as s, s.begin():
            await s.execute(update(m.Answer).where(m.Answer.id == answer_id).values(**values))

    async def answer_belongs(self, answer_id: str, session_id: str) -> bool:
        async with self.db.session() as s:
            owner = await s.scalar(select(m.Answer.session_id).where(m.Answer.id == answer_id))
            return owner == session_id

    async def set_feedback(
        self, session_id: str, answer_id: str, rating: str, comment: str | None
    ) -> None:
        async with self.db.session() as s, s.begin():
            existing = await s.scalar(
                select(m.Feedback).where(
                    m.Feedback.session_id == session_id, m.Feedback.answer_id == answer_id
                )
            )
            if existing is None:
                s.add(
                    m.Feedback(
                        session_id=session_id, answer_id=answer_id, rating=rating, comment=comment
                    )
                )
            else:
                existing.rating, existing.comment, existing.at = rating, comment, datetime.now(UTC)

    async def add_csat(self, session_id: str, score: int, comment: str | None) -> None:
        async with self.db.session() as s, s.begin():
            s.add(m.Csat(session_id=session_id, score=score, comment=comment))

    async def counts(self) -> dict[str, int]:
        """Row counts per table, for health checks and tests."""
        from sqlalchemy import func

        out = {}
        async with self.db.session() as s:
            for model in (m.Session, m.PageView, m.Event, m.Question, m.Answer, m.Feedback, m.Csat):
                out[model.__tablename__] = int(
                    await s.scalar(select(func.count()).select_from(model)) or 0
                )
        return out

    # -- struggle and nudges

    async def add_signal(self, session_id: str, page_view_id: int | None, **values: Any) -> int:
        async with self.db.session() as s, s.begin():
            row = m.SignalRow(session_id=session_id, page_view_id=page_view_id, **values)
            s.add(row)
            await s.flush()
            return row.id

    async def add_nudge(self, nudge_id: str, session_id: str, **values: Any) -> None:
        async with self.db.session() as s, s.begin():
            s.add(m.Nudge(id=nudge_id, session_id=session_id, **values))

    async def nudge_outcome(self, nudge_id: str, session_id: str, **values: Any) -> bool:
        """Update a nudge's outcome fields; `outcome_at` is when `outcome` last changed, so
        a later `asked` or `succeeded` keeps the moment it was opened or dismissed."""
        from sqlalchemy import case

        outcome = values.get("outcome")
        if outcome is not None:
            values["outcome_at"] = case(
                (m.Nudge.outcome == outcome, m.Nudge.outcome_at), else_=datetime.now(UTC)
            )
        async with self.db.session() as s, s.begin():
            result = await s.execute(
                update(m.Nudge)
                .where(m.Nudge.id == nudge_id, m.Nudge.session_id == session_id)
                .values(**values)
            )
            return result.rowcount == 1

    async def top_questions(self, template: str, limit: int = 3, since_days: int = 30) -> list[str]:
        """The questions most often asked on a page (its route template) that were answered
        with confidence. Spellings are counted together regardless of case; each is shown as
        people most often typed it ("How do I export a report?", not "how do i …")."""
        from datetime import timedelta

        from sqlalchemy import func

        since = datetime.now(UTC) - timedelta(days=since_days)
        key = func.lower(func.trim(m.Question.text))
        asked = (
            select(m.Question.text)
            .join(m.PageView, m.PageView.id == m.Question.page_view_id)
            .join(m.Answer, m.Answer.question_id == m.Question.id)
            .where(
                m.PageView.template == template,
                m.Question.at >= since,
                m.Answer.confidence >= 0.5,
            )
        )
        async with self.db.session() as s:
            # The most asked questions, counted in SQL: a page's history is bounded by this
            # LIMIT, not by how many different questions people typed there in 30 days.
            top = (
                await s.execute(
                    asked.with_only_columns(key, func.count())
                    .group_by(key)
                    .order_by(func.count().desc(), key)
                    .limit(limit * 10)
                )
            ).all()
            keys = [k for k, _ in top]
            rows = (
                await s.execute(
                    asked.with_only_columns(m.Question.text, func.count())
                    .where(key.in_(keys))
                    .group_by(m.Question.text)
                )
                if keys
                else []
            )
            # SQL's lower() folds ASCII only in SQLite; group again so "Über" and "über" meet
            # (among the candidates above).
            spellings: dict[str, dict[str, int]] = {}
            for text, n in rows:
                seen = spellings.setdefault(text.strip().lower(), {})
                seen[text.strip()] = seen.get(text.strip(), 0) + n
        totals = [  # a tie goes to the spelling that starts with a capital
            (sum(seen.values()), max(seen, key=lambda t: (seen[t], t[:1].isupper(), t)))
            for seen in spellings.values()
        ]
        popular = sorted((t for t in totals if t[0] >= 2), key=lambda t: (-t[0], t[1]))
        return [text for _, text in popular[:limit]]
