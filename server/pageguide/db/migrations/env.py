"""Alembic environment: runs on the connection Database.migrate() hands over, or on a URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from pageguide.db.models import Base

config = context.config


def run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    # Command-line use: a sync driver for the same database.
    url = config.get_main_option("sqlalchemy.url") or ""
    url = url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")
    with create_engine(url).connect() as conn:
        run(conn)
        conn.commit()
