"""Storage for escalation: handoffs with their outbox rows, messages, claims, and the session
history a handoff packet is built from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update

from . import models as m
from .engine import Database

OPEN = ("queued", "assigned")


@dataclass
class SessionHistory:
    session: m.Session
    pages: list[m.PageView]
    questions: list[m.Question]
    answers: list[m.Answer]
    messages: list[m.Message]
    signals: list[m.SignalRow]
    errors: list[m.Event]


class Handoffs:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def open_for_session(self, session_id: str) -> m.HandoffRow | None:
        async with self.db.session() as s:
            return await s.scalar(
                select(m.HandoffRow)
                .where(m.HandoffRow.session_id == session_id, m.HandoffRow.status.in_(OPEN))
                .order_by(m.HandoffRow.created_at.desc())
            )

    async def create(self, row: m.HandoffRow, deliveries: list[m.OutboxRow]) -> None:
        """The handoff and its deliveries in one transaction: none is lost, none orphaned."""
        async with self.db.session() as s, s.begin():
            s.add(row)
            await s.flush()
            for delivery in deliveries:
                delivery.handoff_id = row.id
                s.add(delivery)

    async def get(self, handoff_id: str) -> m.HandoffRow | None:
        async with self.db.session() as s:
            return await s.get(m.HandoffRow, handoff_id)

    async def claim(self, handoff_id: str, agent_id: int) -> bool:
        """Race-safe: a conditional update, so of two agents at the same instant one wins."""
        async with self.db.session() as s, s.begin():
            result = await s.execute(
                update(m.HandoffRow)
                .where(m.HandoffRow.id == handoff_id, m.HandoffRow.status == "queued")
                .values(status="assigned", agent_id=agent_id, claimed_at=datetime.now(UTC))
            )
            return result.rowcount == 1

    async def set_status(self, handoff_id: str, agent_id: int, status: str, **values: Any) -> bool:
        """Only the agent holding a conversation may hand it back or close it."""
        async with self.db.session() as s, s.begin():
            result = await s.execute(
                update(m.HandoffRow)
                .where(
                    m.HandoffRow.id == handoff_id,
                    m.HandoffRow.status == "assigned",
                    m.HandoffRow.agent_id == agent_id,
                )
                .values(status=status, **values)
            )
            return result.rowcount == 1

    async def add_message(
        self, session_id: str, handoff_id: str | None, role: str, author: str, text: str
    ) -> m.Message:
        async with self.db.session() as s, s.begin():
            message = m.Message(
                session_id=session_id, handoff_id=handoff_id, role=role, author=author, text=text
            )
            s.add(message)
            if role == "agent" and handoff_id:
                await s.execute(
                    update(m.HandoffRow)
                    .where(m.HandoffRow.id == handoff_id, m.HandoffRow.first_response_at.is_(None))
                    .values(first_response_at=datetime.now(UTC))
                )
            await s.flush()
            return message

    async def mark_delivered(self, message_ids: list[int]) -> None:
        if not message_ids:
            return
        async with self.db.session() as s, s.begin():
            await s.execute(
                update(m.Message)
                .where(m.Message.id.in_(message_ids))
                .values(delivered_at=datetime.now(UTC))
            )

    async def messages(self, handoff_id: str) -> list[m.Message]:
        async with self.db.session() as s:
            rows = await s.scalars(
                select(m.Message).where(m.Message.handoff_id == handoff_id).order_by(m.Message.id)
            )
            return list(rows)

    async def listing(self, limit: int = 200) -> list[tuple[m.HandoffRow, str | None]]:
        """Open handoffs and the most recent closed ones, with the claiming agent's name."""
        async with self.db.session() as s:
            rows = await s.execute(
                select(m.HandoffRow, m.Agent.name)
                .outerjoin(m.Agent, m.Agent.id == m.HandoffRow.agent_id)
                .order_by(m.HandoffRow.created_at.desc())
                .limit(limit)
            )
            return [(h, name) for h, name in rows]

    async def queue_position(self, handoff: m.HandoffRow) -> int:
        async with self.db.session() as s:
            ahead = await s.scalar(
                select(func.count())
                .select_from(m.HandoffRow)
                .where(
                    m.HandoffRow.status == "queued", m.HandoffRow.created_at < handoff.created_at
                )
            )
            return int(ahead or 0) + 1

    async def agent_name(self, agent_id: int | None) -> str | None:
        if agent_id is None:
            return None
        async with self.db.session() as s:
            return await s.scalar(select(m.Agent.name).where(m.Agent.id == agent_id))

    async def history(self, session_id: str, limit: int = 200) -> SessionHistory | None:
        async with self.db.session() as s:
            session = await s.get(m.Session, session_id)
            if session is None:
                return None

            async def rows(model: Any, *where: Any) -> list[Any]:
                found = await s.scalars(
                    select(model)
                    .where(model.session_id == session_id, *where)
                    .order_by(model.at.desc())
                    .limit(limit)
                )
                return list(reversed(found.all()))

            return SessionHistory(
                session=session,
                pages=await rows(m.PageView),
                questions=await rows(m.Question),
                answers=await rows(m.Answer),
                messages=await rows(m.Message),
                signals=await rows(m.SignalRow),
                errors=await rows(m.Event, m.Event.kind.in_(("error", "http_error", "invalid"))),
            )
