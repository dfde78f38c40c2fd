"""The learning loop end to end (design idea 7): a question the knowledge cannot answer, a
person who resolves it, and the assistant answering it confidently next time.

Real uvicorn, real widget and agent WebSockets, the real model and Chroma. The server's
knowledge folder is a temporary copy of knowledge/, so publishing never writes into the repo.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import select
from tests.conftest import KNOWLEDGE, WidgetClient, page
from tests.support.server import LiveServer, run_server

from pageguide.db import Database
from pageguide.db import models as m
from pageguide.inbox.auth import COOKIE, Agents
from pageguide.settings import Settings

DASHBOARD = page("/app/dashboard", "Dashboard — Lumen", ["Dashboard", "Charts", "Share"])
QUESTION = "how do I export my dashboard to PowerPoint?"
EMAIL, NAME, PASSWORD = "sam@example.com", "Sam Rivera", "correct horse battery staple"
NOTE = """Lumen has no PowerPoint export yet, but this works well:
1. Open the dashboard and click Share in the top right.
2. Choose Download as PDF and pick Landscape.
3. In PowerPoint, choose Insert > Object, select Create from file and pick the PDF.
Each dashboard page becomes one slide."""
TAGS = {"issue_type": "how_to", "root_cause": "docs_gap", "resolution_path": "workaround"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[LiveServer]:
    tmp: Path = tmp_path_factory.mktemp("learning")
    knowledge = tmp / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)  # publishing writes here, never into the repo
    settings = Settings(data=tmp / "data", knowledge=knowledge, secret="test-secret")
    with run_server(settings, embedder) as server:
        yield server


@pytest.fixture(scope="module")
async def db(live: LiveServer) -> AsyncIterator[Database]:
    database = Database(live.settings.database_url_or_default())
    await Agents(database).add(EMAIL, NAME, PASSWORD)
    try:
        yield database
    finally:
        await database.close()


# ---------------------------------------------------------------- helpers


async def sign_in(live: LiveServer) -> tuple[str, str]:
    """The sign-in form as a browser does it; returns the cookie token and the page's CSRF."""
    async with httpx.AsyncClient(base_url=live.url) as http:
        form = await http.get("/inbox/login")
        field = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert field is not None
        signed = await http.post(
            "/inbox/login", data={"email": EMAIL, "password": PASSWORD, "csrf": field.group(1)}
        )
        assert signed.status_code == 303, signed.text
        token = signed.cookies.get(COOKIE)
        assert token
        app = await http.get("/inbox", cookies={COOKIE: token})
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', app.text)
    assert meta is not None
    return token, meta.group(1)


class Agent:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.pending: list[dict[str, Any]] = []

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def expect(self, kind: str, within: float = 10.0, **match: Any) -> dict[str, Any]:
        def fits(frame: dict[str, Any]) -> bool:
            body = frame.get("handoff") if isinstance(frame.get("handoff"), dict) else frame
            return frame["type"] == kind and all(
                body.get(k, frame.get(k)) == v for k, v in match.items()
            )

        for frame in self.pending:
            if fits(frame):
                self.pending.remove(frame)
                return frame
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            try:
                frame = json.loads(await asyncio.wait_for(self.ws.recv(), left))
            except TimeoutError:
                break
            if fits(frame):
                return frame
            self.pending.append(frame)
        raise AssertionError(f"no {kind} {match}; pending {self.pending[-8:]}")


async def widget_expect(client: WidgetClient, kind: str, within: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        frame = await client.recv(within=left)
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"the widget got no {kind} frame")


async def handoff_of(db: Database, session_id: str) -> m.HandoffRow:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        async with db.session() as s:
            row = await s.scalar(select(m.HandoffRow).where(m.HandoffRow.session_id == session_id))
        if row is not None:
            return row
        await asyncio.sleep(0.05)
    raise AssertionError("no handoff")


async def draft_for(http: httpx.AsyncClient, handoff_id: str) -> dict[str, Any]:
    """The handoff's draft, waiting briefly: it is written as the conversation closes."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        drafts = (await http.get("/inbox/api/drafts")).json()["drafts"]
        found = [x for x in drafts if x["handoff_id"] == handoff_id]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no draft for handoff {handoff_id}")


# ---------------------------------------------------------------- the loop


async def test_a_resolution_becomes_knowledge_the_assistant_uses(
    live: LiveServer, db: Database, connect: Any
) -> None:
    # 1. The knowledge cannot answer: the assistant declines and offers a person.
    user = await connect(live)
    ready = await user.hello(DASHBOARD)
    session_id = ready["session_id"]
    first = await user.ask(QUESTION)
    assert first["end"]["confidence"] < live.settings.min_confidence, first["end"]
    assert first["end"]["sources"] == [] and first["end"]["offer_human"] is True

    # 2. The user asks for a person: a handoff is queued.
    await user.send({"type": "ask", "id": "p1", "text": "I'd like to talk to a person please"})
    queued = await widget_expect(user, "handoff")
    assert queued["status"] == "queued", queued
    handoff = await handoff_of(db, session_id)
    assert handoff.template == "/app/dashboard"

    # 3. An agent signs in, claims, replies and closes with a resolution note.
    token, csrf = await sign_in(live)
    ws = await websockets.connect(
        live.url.replace("http", "ws", 1) + "/agent/ws",
        origin=live.url,
        additional_headers={"Cookie": f"{COOKIE}={token}"},
        max_size=None,
    )
    agent = Agent(ws)
    http = httpx.AsyncClient(
        base_url=live.url, cookies={COOKIE: token}, headers={"X-CSRF-Token": csrf}
    )
    try:
        await agent.expect("hello")
        await agent.expect("queue")
        await agent.send({"type": "claim", "handoff_id": handoff.id})
        await agent.expect("claimed", handoff_id=handoff.id)
        assert (await widget_expect(user, "handoff"))["status"] == "assigned"
        await agent.send(
            {"type": "reply", "handoff_id": handoff.id, "text": "Hi! There is a way, one moment."}
        )
        assert (await widget_expect(user, "agent_message"))["agent"] == NAME

        # the agent can see the session's answers with their ids (for "Flag answer")
        answers = (await http.get(f"/inbox/api/handoffs/{handoff.id}/answers")).json()["answers"]
        assert [(a["question"], a["status"]) for a in answers] == [(QUESTION, "declined")]

        await agent.send({"type": "close", "handoff_id": handoff.id, "note": NOTE, "tags": TAGS})
        await agent.expect("handoff", id=handoff.id, status="closed")
        assert (await widget_expect(user, "handoff"))["status"] == "closed"

        # 4. A draft exists, drafted from the note.
        draft = await draft_for(http, handoff.id)
        assert draft["title"] == "How do I export my dashboard to PowerPoint?"
        assert draft["pages"] == ["/app/dashboard"]
        assert "1. Open the dashboard and click Share in the top right." in draft["body"]
        assert (await http.get("/inbox/api/learning")).json()["drafts"] >= 1

        # 5. The agent edits the title and publishes.
        refused = await http.post(
            f"/inbox/api/drafts/{draft['id']}/publish", json={}, headers={"X-CSRF-Token": "x"}
        )
        assert refused.status_code == 403
        published = await http.post(
            f"/inbox/api/drafts/{draft['id']}/publish",
            json={"title": "Export a dashboard to PowerPoint"},
        )
        assert published.status_code == 200, published.text
        article = published.json()["article"]
        assert article["path"] == "learned/export-a-dashboard-to-powerpoint.md"
        assert article["url"] == f"{live.url}/help/learned/export-a-dashboard-to-powerpoint"
        learning = await agent.expect("learning")
        assert learning["drafts"] == 0
        help_page = await http.get(article["url"])
        assert help_page.status_code == 200 and "Export a dashboard to PowerPoint" in help_page.text
        written = live.settings.knowledge / article["path"]
        assert written.exists() and "tags:\n- learned\n- how_to" in written.read_text()
        assert not (KNOWLEDGE / "learned").exists(), "the repo's knowledge/ is never written"
    finally:
        await http.aclose()
        await ws.close()

    # 6. The next user asking the same question gets a confident answer citing the article.
    later = await connect(live)
    await later.hello(DASHBOARD)
    second = await later.ask(QUESTION)
    assert second["end"]["confidence"] >= live.settings.min_confidence, second["end"]
    urls = [s["url"] for s in second["end"]["sources"]]
    assert urls and urls[0].split("#")[0] == article["url"], urls
    assert second["end"]["sources"][0]["title"] == "Export a dashboard to PowerPoint"
    assert "Download as PDF" in second["text"]
