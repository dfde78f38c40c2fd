"""Wrong AI answers, flagged by the agents who see them, with the correction.

An agent reading a conversation flags an assistant answer (`flag_answer`); the open flags are
a review queue in the inbox (`flag_queue`: the question, the answer, its sources and the
correction); resolving one can turn the correction into a draft article (`resolve_flag`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update

from ..db import Database
from ..db import models as m
from .common import InsightError, jsonable
from .drafts import draft_from_correction

MAX_CORRECTION = 10_000


async def session_answers(db: Database, handoff_id: str) -> list[dict[str, Any]]:
    """The assistant's answers in a handoff's session, oldest first, with their ids (the
    handoff packet's transcript carries none) and whether they are flagged."""
    async with db.session() as s:
        handoff = await s.get(m.HandoffRow, handoff_id)
        if handoff is None:
            raise InsightError("not_found", "no such conversation", 404)
        rows = (
            await s.execute(
                select(m.Answer, m.Question.text)
                .join(m.Question, m.Question.id == m.Answer.question_id)
                .where(m.Answer.session_id == handoff.session_id)
                .order_by(m.Answer.at, m.Answer.id)
                .limit(500)
            )
        ).all()
        flagged = {
            answer_id: count
            for answer_id, count in (
                await s.execute(
                    select(m.AnswerFlag.answer_id, func.count())
                    .join(m.Answer, m.Answer.id == m.AnswerFlag.answer_id)
                    .where(m.Answer.session_id == handoff.session_id)
                    .group_by(m.AnswerFlag.answer_id)
                )
            ).all()
        }
    return [
        jsonable(
            {
                "id": a.id,
                "question": question,
                "text": a.text,
                "sources": list(a.sources or []),
                "confidence": round(a.confidence or 0.0, 3),
                "status": a.status,
                "at": a.at,
                "flags": int(flagged.get(a.id, 0)),
            }
        )
        for a, question in rows
    ]


async def flag_answer(
    db: Database, answer_id: str, agent_id: int | None, correction: str
) -> m.AnswerFlag:
    """Flag an answer as wrong. The same agent flagging the same answer again while the flag
    is open updates the correction instead of adding a second flag."""
    correction = correction.replace("\r\n", "\n").strip()
    if not correction:
        raise InsightError("bad_correction", "say what the right answer is")
    if len(correction) > MAX_CORRECTION:
        raise InsightError(
            "bad_correction", f"a correction can have at most {MAX_CORRECTION} characters"
        )
    async with db.session() as s, s.begin():
        if await s.get(m.Answer, answer_id) is None:
            raise InsightError("not_found", "no such answer", 404)
        mine = await s.scalar(
            select(m.AnswerFlag).where(
                m.AnswerFlag.answer_id == answer_id,
                m.AnswerFlag.agent_id == agent_id,
                m.AnswerFlag.status == "open",
            )
        )
        if mine is not None:
            mine.correction = correction
            await s.flush()
            return mine
        flag = m.AnswerFlag(answer_id=answer_id, agent_id=agent_id, correction=correction)
        s.add(flag)
        await s.flush()
        return flag


async def flag_queue(db: Database, status: str = "open", limit: int = 100) -> list[dict[str, Any]]:
    """Flags with everything a reviewer needs: question, answer, sources, correction, page."""
    latest_handoff = (
        select(m.HandoffRow.id)
        .where(m.HandoffRow.session_id == m.Answer.session_id)
        .order_by(m.HandoffRow.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        select(
            m.AnswerFlag,
            m.Answer,
            m.Question.text,
            m.PageView.template,
            m.PageView.path,
            m.Agent.name,
            latest_handoff,
        )
        .join(m.Answer, m.Answer.id == m.AnswerFlag.answer_id)
        .join(m.Question, m.Question.id == m.Answer.question_id)
        .outerjoin(m.PageView, m.PageView.id == m.Question.page_view_id)
        .outerjoin(m.Agent, m.Agent.id == m.AnswerFlag.agent_id)
        .order_by(m.AnswerFlag.created_at.desc(), m.AnswerFlag.id.desc())
        .limit(limit)
    )
    if status != "all":
        stmt = stmt.where(m.AnswerFlag.status == status)
    async with db.session() as s:
        rows = (await s.execute(stmt)).all()
    return [flag_json(*row) for row in rows]


def flag_json(
    flag: m.AnswerFlag,
    answer: m.Answer,
    question: str,
    template: str | None,
    path: str | None,
    agent: str | None,
    handoff_id: str | None,
) -> dict[str, Any]:
    return jsonable(
        {
            "id": flag.id,
            "status": flag.status,
            "correction": flag.correction,
            "agent": agent,
            "created_at": flag.created_at,
            "resolved_at": flag.resolved_at,
            "answer": {
                "id": answer.id,
                "text": answer.text,
                "sources": list(answer.sources or []),
                "confidence": round(answer.confidence or 0.0, 3),
                "status": answer.status,
                "at": answer.at,
            },
            "question": question,
            "page": template or path or "",
            "handoff_id": handoff_id,
        }
    )


async def open_flag_count(db: Database) -> int:
    async with db.session() as s:
        n = await s.scalar(
            select(func.count()).select_from(m.AnswerFlag).where(m.AnswerFlag.status == "open")
        )
    return int(n or 0)


async def resolve_flag(
    db: Database, flag_id: int, agent_id: int | None, make_draft: bool = False
) -> tuple[m.AnswerFlag, m.Draft | None]:
    """Resolve an open flag; with `make_draft`, its correction becomes a draft article for
    the flagged question's page."""
    async with db.session() as s, s.begin():
        found = (
            await s.execute(
                select(m.AnswerFlag, m.Question.text, m.PageView.template, m.PageView.path)
                .join(m.Answer, m.Answer.id == m.AnswerFlag.answer_id)
                .join(m.Question, m.Question.id == m.Answer.question_id)
                .outerjoin(m.PageView, m.PageView.id == m.Question.page_view_id)
                .where(m.AnswerFlag.id == flag_id)
            )
        ).first()
        if found is None:
            raise InsightError("not_found", "no such flag", 404)
        result = await s.execute(
            update(m.AnswerFlag)
            .where(m.AnswerFlag.id == flag_id, m.AnswerFlag.status == "open")
            .values(status="resolved", resolved_at=datetime.now(UTC))
        )
        if result.rowcount != 1:
            raise InsightError("already_resolved", "this flag was already resolved", 409)
    flag, question, template, path = found
    draft = None
    if make_draft:
        page = template or (path or "").split("?", 1)[0]
        draft = await draft_from_correction(db, question, page, flag.correction, agent_id)
    async with db.session() as s:
        resolved = await s.get(m.AnswerFlag, flag_id)
    assert resolved is not None
    return resolved, draft
