"""The welcome is cached per route template and ready before the widget opens: two paths of
one page cost one history query and one computation, made when the first page arrived; the
most asked question leads, spelled as people typed it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import KNOWLEDGE, page
from tests.support.server import LiveServer, run_server

from pageguide.db import Database
from pageguide.db.queries import Repository
from pageguide.demo import CONFIG
from pageguide.protocol import PageContext
from pageguide.settings import Settings
from pageguide.sites import Sites

TEMPLATE = "/app/dashboards/:id"  # no `pages` pattern names it: identifiers become :id
ASKED = ["How do I export a dashboard as PDF?"] * 2 + ["how do i export a dashboard as pdf?"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder) -> Iterator[LiveServer]:
    settings = Settings(
        data=tmp_path_factory.mktemp("welcome"), knowledge=KNOWLEDGE, secret="s", config=CONFIG
    )
    with run_server(settings, embedder, Sites.load(CONFIG)) as live:
        yield live


async def asked_before(server: LiveServer) -> None:
    """History: three people asked the same thing on another dashboard, answered well."""
    db = Database(server.settings.database_url_or_default())
    repo = Repository(db)
    try:
        await repo.start_session("history", "demo", "test", server.origin)
        view = PageContext(url=server.url + "/app/dashboards/9", path="/app/dashboards/9")
        view_id = await repo.add_page_view("history", view, TEMPLATE)
        for i, text in enumerate(ASKED):
            question_id, _ = await repo.add_question("history", f"q{i}", view_id, text)
            await repo.start_answer(f"a{i}", question_id, "history")
            await repo.finish_answer(f"a{i}", text="…", confidence=0.8, status="complete")
    finally:
        await db.close()


def count_work(server: LiveServer) -> dict[str, int]:
    """Counts the suggestions' history queries and computations inside the live server."""
    suggestions = server.server.config.app.state.services.suggestions
    calls = {"history": 0, "compute": 0}
    query, compute = suggestions._top_questions, suggestions.compute

    async def counted_query(template: str) -> list[str]:
        calls["history"] += 1
        return await query(template)

    def counted_compute(*args: Any) -> list[str]:
        calls["compute"] += 1
        return compute(*args)

    suggestions._top_questions, suggestions.compute = counted_query, counted_compute
    return calls


async def open_widget(client) -> dict:
    t = int(time.time() * 1000)
    await client.send({"type": "events", "events": [{"kind": "widget_open", "t": t}]})
    welcome = await client.recv()
    assert welcome["type"] == "welcome", welcome
    return welcome


async def test_two_paths_of_one_template_share_a_welcome_ready_before_opening(
    server, connect
) -> None:
    await asked_before(server)
    calls = count_work(server)

    first = await connect(server)
    await first.hello(page("/app/dashboards/123", "Revenue — Lumen"))
    for _ in range(100):  # the page's arrival warms the cache in the background
        if calls["compute"]:
            break
        await asyncio.sleep(0.05)
    assert calls == {"history": 1, "compute": 1}

    welcome = await open_widget(first)
    assert welcome["path"] == "/app/dashboards/123"
    # history on the template, grouped regardless of case, shown as most people typed it
    assert welcome["suggestions"][0] == "How do I export a dashboard as PDF?"
    assert len(welcome["suggestions"]) == 3
    assert calls == {"history": 1, "compute": 1}  # opening cost nothing

    second = await connect(server)
    await second.hello(page("/app/dashboards/456", "Onboarding — Lumen"))
    again = await open_widget(second)
    assert again["path"] == "/app/dashboards/456"
    assert again["suggestions"] == welcome["suggestions"]
    assert calls == {"history": 1, "compute": 1}  # the same page to the cache


async def test_a_failing_history_query_still_welcomes_and_keeps_the_socket(
    server, connect
) -> None:
    suggestions = server.server.config.app.state.services.suggestions
    history = suggestions._top_questions

    async def broken(template: str) -> list[str]:
        raise RuntimeError("database is locked")

    suggestions._top_questions = broken
    try:
        client = await connect(server)
        await client.hello(page("/app/settings/team", "Team — Lumen"))
        welcome = await open_widget(client)
        assert any("invite" in s.lower() for s in welcome["suggestions"])  # the articles
        answer = await client.ask("how do I invite a member?")  # the socket is still open
        assert answer["end"]["type"] == "answer_end"
    finally:
        suggestions._top_questions = history
