"""The migrations on SQLite and PostgreSQL: they build exactly the models, and 0004 (the reports'
generated user id and covering index) goes down and up again over existing rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from tests.support.databases import migrated

from pageguide.db import Database
from pageguide.db.engine import alembic_config
from pageguide.db.models import Base


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request, tmp_path: Path) -> AsyncIterator[Database]:
    async with migrated(request.param, tmp_path) as database:
        yield database


async def run(db: Database, fn: Any) -> Any:
    async with db.engine.begin() as conn:
        return await conn.run_sync(fn)


async def test_the_migrations_build_the_models(db: Database) -> None:
    def diff(conn: Any) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"render_as_batch": True})
        return list(compare_metadata(context, Base.metadata))

    assert await run(db, diff) == []


async def test_0004_goes_down_and_up_over_existing_rows(db: Database) -> None:
    def columns_and_indexes(conn: Any) -> tuple[set[str], set[str]]:
        found = inspect(conn)
        return (
            {c["name"] for c in found.get_columns("sessions")},
            {i["name"] for i in found.get_indexes("page_views")},
        )

    await run(db, lambda c: command.downgrade(alembic_config(c), "0003"))
    cols, indexes = await run(db, columns_and_indexes)
    assert "user_id" not in cols and "ix_page_views_at_visit" not in indexes
    async with db.engine.begin() as conn:  # rows written before the upgrade
        await conn.execute(
            text(
                "INSERT INTO sessions (id, site_key, created_at, last_seen_at, user_agent, "
                "origin, identity) VALUES ('s1', 'a', :t, :t, '', '', :who), "
                "('s2', 'a', :t, :t, '', '', :nobody), ('s3', 'a', :t, :t, '', '', NULL)"
            ),
            {"t": datetime(2026, 3, 2, 10, tzinfo=UTC), "who": '{"user_id": 7}', "nobody": "{}"},
        )
    await run(db, lambda c: command.upgrade(alembic_config(c), "head"))
    cols, indexes = await run(db, columns_and_indexes)
    assert "user_id" in cols and "ix_page_views_at_visit" in indexes
    async with db.engine.connect() as conn:
        found = dict((await conn.execute(text("SELECT id, user_id FROM sessions"))).all())
        assert found == {"s1": "7", "s2": None, "s3": None}
        await conn.execute(
            text("UPDATE sessions SET identity = :who WHERE id = 's2'"),
            {"who": '{"user_id": "u-2"}'},
        )
        assert await conn.scalar(text("SELECT user_id FROM sessions WHERE id = 's2'")) == "u-2"


async def test_0005_keeps_the_send_time_and_forgets_unreported_showings(db: Database) -> None:
    await run(db, lambda c: command.downgrade(alembic_config(c), "0004"))
    t = datetime(2026, 3, 2, 10, tzinfo=UTC)
    async with db.engine.begin() as conn:  # rows written before the upgrade
        await conn.execute(
            text(
                "INSERT INTO sessions (id, site_key, created_at, last_seen_at, user_agent, "
                "origin) VALUES ('s1', 'a', :t, :t, '', '')"
            ),
            {"t": t},
        )
        await conn.execute(
            text(
                "INSERT INTO nudges (id, session_id, kind, path, text, sources, specific, "
                "outcome, asked, succeeded, shown_at) VALUES "
                "('n1', 's1', 'dead_click', '/a', 'x', '[]', false, 'sent', false, false, :t), "
                "('n2', 's1', 'dead_click', '/a', 'x', '[]', false, 'opened', false, false, :t)"
            ),
            {"t": t},
        )
    await run(db, lambda c: command.upgrade(alembic_config(c), "head"))
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT id, sent_at, shown_at FROM nudges"))).all()
    by_id = {r[0]: r for r in rows}
    assert by_id["n1"][1] is not None and by_id["n1"][2] is None  # sent, never reported shown
    assert by_id["n2"][1] is not None and by_id["n2"][2] is not None
    await run(db, lambda c: command.downgrade(alembic_config(c), "0004"))
    await run(db, lambda c: command.upgrade(alembic_config(c), "head"))
