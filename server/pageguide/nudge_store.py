"""The stored nudges that proactive help reads back: what a session already had (so the
policy's cap and dismissals outlive a restart) and the moment the widget showed one."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update

from .db import models as m
from .db.engine import Database

SENT = "sent"  # stored, then sent; "shown" once the widget says it displayed it


async def session_nudges(db: Database, session_id: str) -> tuple[int, set[tuple[str, str]]]:
    """(nudges the session had, the (kind, path) pairs it dismissed)."""
    async with db.session() as s:
        count = await s.scalar(
            select(func.count()).select_from(m.Nudge).where(m.Nudge.session_id == session_id)
        )
        dismissed = await s.execute(
            select(m.Nudge.kind, m.Nudge.path).where(
                m.Nudge.session_id == session_id, m.Nudge.outcome == "dismissed"
            )
        )
        return int(count or 0), {(kind, path) for kind, path in dismissed}


async def find(db: Database, nudge_id: str, session_id: str) -> tuple[str, str] | None:
    """(kind, path) of one of the session's nudges; None for another session's or none."""
    async with db.session() as s:
        row = (
            await s.execute(
                select(m.Nudge.kind, m.Nudge.path).where(
                    m.Nudge.id == nudge_id, m.Nudge.session_id == session_id
                )
            )
        ).first()
        return (row[0], row[1]) if row is not None else None


async def mark_shown(db: Database, nudge_id: str, session_id: str) -> bool:
    """The widget displayed the nudge: `shown`, at that moment. Only from `sent`, so a late
    report never undoes `opened` or `dismissed`."""
    async with db.session() as s, s.begin():
        result = await s.execute(
            update(m.Nudge)
            .where(
                m.Nudge.id == nudge_id, m.Nudge.session_id == session_id, m.Nudge.outcome == SENT
            )
            .values(outcome="shown", shown_at=datetime.now(UTC))
        )
        return result.rowcount == 1
