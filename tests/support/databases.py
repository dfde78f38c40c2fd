"""Throw-away databases: a SQLite file, or a fresh database on the local PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from pageguide.db import Database

PG_ADMIN_DSN = os.environ.get("PAGEGUIDE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextlib.asynccontextmanager
async def postgres_url() -> AsyncIterator[str]:
    name = "pageguide_test_" + uuid.uuid4().hex[:10]
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    host = PG_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    try:
        yield f"postgresql+asyncpg://{host}/{name}"
    finally:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@contextlib.asynccontextmanager
async def migrated(kind: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated Database of `kind` ("sqlite" or "postgres")."""
    async with contextlib.AsyncExitStack() as stack:
        if kind == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        else:
            url = await stack.enter_async_context(postgres_url())
        db = Database(url)
        await db.migrate()
        try:
            yield db
        finally:
            await db.close()
