"""The repository on SQLite and on the local PostgreSQL: same code, same results."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from pageguide.db import Database
from pageguide.db.queries import Repository
from pageguide.protocol import Event, PageContext
from tests.conftest import PG_ADMIN_DSN


async def _postgres_url() -> tuple[str, str]:
    name = "pageguide_test_" + uuid.uuid4().hex[:8]
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    host_part = PG_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    return f"postgresql+asyncpg://{host_part}/{name}", name


async def _drop(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def repo(request, tmp_path: Path) -> AsyncIterator[Repository]:
    name = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    else:
        url, name = await _postgres_url()
    db = Database(url)
    await db.migrate()
    await db.migrate()  # idempotent
    try:
        yield Repository(db)
    finally:
        await db.close()
        if name:
            await _drop(name)


PAGE = PageContext(
    url="https://a/app/x", path="/app/x", title="X", headings=["X", "Y"], form_errors=["bad"]
)


async def test_a_whole_session_round_trips(repo: Repository) -> None:
    await repo.start_session("s1", "demo", "agent", "https://a")
    assert await repo.session_exists("s1", "demo")
    assert not await repo.session_exists("s1", "other-site")
    view = await repo.add_page_view("s1", PAGE)
    events = [
        Event(kind="click", t=1_700_000_000_000 + i, x=1.5, y=2, data={"effect": "none"})
        for i in range(3)
    ]
    assert await repo.add_events("s1", view, events) == 3
    qid, created = await repo.add_question("s1", "q1", view, "how?")
    assert created
    again, created_again = await repo.add_question("s1", "q1", view, "how?")
    assert (again, created_again) == (qid, False)
    await repo.start_answer("a1", qid, "s1")
    assert await repo.answer_for_question(qid) is None  # still streaming: not an answer yet
    await repo.finish_answer(
        "a1",
        text="Do this.",
        sources=[{"title": "T", "url": "u"}],
        confidence=0.8,
        status="complete",
    )
    stored = await repo.answer_for_question(qid)
    assert (
        stored is not None
        and stored.text == "Do this."
        and stored.sources == [{"title": "T", "url": "u"}]
    )
    assert await repo.answer_belongs("a1", "s1") and not await repo.answer_belongs("a1", "s2")
    await repo.set_feedback("s1", "a1", "down", "wrong")
    await repo.set_feedback("s1", "a1", "up", None)  # changing one's mind replaces the rating
    await repo.add_csat("s1", 4, None)
    counts = await repo.counts()
    assert counts == {
        "sessions": 1, "page_views": 1, "events": 3, "questions": 1, "answers": 1, "feedback": 1, "csat": 1,
    }  # fmt: skip


async def test_concurrent_writers_lose_nothing(repo: Repository) -> None:
    await repo.start_session("s2", "demo", "", "")
    batch = [Event(kind="scroll", t=i) for i in range(20)]
    await asyncio.gather(*(repo.add_events("s2", None, batch) for _ in range(10)))
    await asyncio.gather(*(repo.add_question("s2", f"q{i}", None, "x") for i in range(10)))
    counts = await repo.counts()
    assert counts["events"] == 200 and counts["questions"] == 10
