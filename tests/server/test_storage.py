"""The repository on SQLite and on the local PostgreSQL: same code, same results."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.support.databases import migrated

from pageguide.db.queries import Repository
from pageguide.protocol import Event, PageContext


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def repo(request, tmp_path: Path) -> AsyncIterator[Repository]:
    async with migrated(request.param, tmp_path) as db:
        await db.migrate()  # idempotent
        yield Repository(db)


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
        "sessions": 1, "page_views": 1, "events": 3, "questions": 1,
        "answers": 1, "feedback": 1, "csat": 1,
    }  # fmt: skip


async def test_concurrent_writers_lose_nothing(repo: Repository) -> None:
    await repo.start_session("s2", "demo", "", "")
    batch = [Event(kind="scroll", t=i) for i in range(20)]
    await asyncio.gather(*(repo.add_events("s2", None, batch) for _ in range(10)))
    await asyncio.gather(*(repo.add_question("s2", f"q{i}", None, "x") for i in range(10)))
    counts = await repo.counts()
    assert counts["events"] == 200 and counts["questions"] == 10
