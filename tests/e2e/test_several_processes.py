"""Two `pageguide serve` processes behind one PostgreSQL database and one Redis, as behind a
load balancer: the user's widget is on process A, the agent's inbox on process B, and the
conversation flows both ways through the hub's pub/sub.

Both processes get the same options: database URL, Redis URL, data folder (so the same signing
secret) and sites file. A is healthy before B starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from pathlib import Path
from typing import Any

import pytest
import websockets
from sqlalchemy import select
from tests.conftest import WidgetClient, page
from tests.e2e.test_escalation import ANA, PASSWORD, AgentClient, for_id, sign_in
from tests.support.cli import Served, serve
from tests.support.databases import postgres_url
from tests.support.redis_local import REDIS_URL, UNREACHABLE, redis_reachable

from pageguide.db import Database
from pageguide.db import models as m
from pageguide.inbox.auth import COOKIE, Agents

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not redis_reachable(), reason=UNREACHABLE),
]

SITES = """
[[sites]]
site_key = "demo"
origins = ["http://127.0.0.1:*"]
"""
BILLING = page("/app/settings/billing", "Billing — Lumen", ["Billing", "Current plan"])
TEAM = page("/app/settings/team", "Team — Lumen", ["Team", "Members"])


async def session_messages(db: Database, session_id: str) -> list[m.Message]:
    async with db.session() as s:
        rows = await s.scalars(
            select(m.Message).where(m.Message.session_id == session_id).order_by(m.Message.id)
        )
        return list(rows.all())


async def handoff_of(db: Database, session_id: str) -> m.HandoffRow:
    deadline = time.monotonic() + 5
    while True:
        async with db.session() as s:
            row = await s.scalar(select(m.HandoffRow).where(m.HandoffRow.session_id == session_id))
        if row is not None:
            return row
        if time.monotonic() > deadline:
            raise AssertionError(f"no handoff for {session_id}")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def inbox_on(live: Served) -> Any:
    signed_in = await sign_in(live, ANA[0])  # type: ignore[arg-type]  # it reads .url only
    ws = await websockets.connect(
        live.url.replace("http", "ws", 1) + "/agent/ws",
        origin=live.url,
        additional_headers={"Cookie": f"{COOKIE}={signed_in.token}"},
        max_size=None,
    )
    try:
        client = AgentClient(ws, ANA[1])
        await client.expect("hello")
        await client.expect("queue")
        yield client
    finally:
        await ws.close()


@pytest.mark.timeout(400)
async def test_a_widget_on_one_process_and_an_agent_on_another_talk(tmp_path: Path) -> None:
    config = tmp_path / "sites.toml"
    config.write_text(SITES, encoding="utf-8")
    # Redis db numbers name the channel space: a random one keeps parallel runs apart.
    redis_url = REDIS_URL.rsplit("/", 1)[0] + f"/{random.randrange(1, 16)}"
    async with postgres_url() as database_url:
        db = Database(database_url)
        await db.migrate()  # once, before two processes would race to do it
        await Agents(db).add(ANA[0], ANA[1], PASSWORD)
        common = ["--config", str(config), "--data", str(tmp_path / "data")]
        common += ["--database-url", database_url, "--redis-url", redis_url]
        common += ["--log-format", "json"]
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        try:
            with serve(common, tmp_path / "a") as a, serve(common, tmp_path / "b") as b:
                await converse(db, a, b)
        finally:
            await db.close()


async def converse(db: Database, a: Served, b: Served) -> None:
    async with inbox_on(b) as ana:
        ws = await websockets.connect(a.ws_url, origin=a.url, max_size=None)
        widget = WidgetClient(ws)
        try:
            ready = await widget.hello(TEAM)
            assert ready["type"] == "ready", ready
            session_id = ready["session_id"]

            # the user on A asks for a person: the agent on B sees the new handoff
            await widget.send({"type": "escalate", "reason": "the invoice is wrong"})
            queued = await widget.recv()
            assert queued["type"] == "handoff" and queued["status"] == "queued", queued
            row = await handoff_of(db, session_id)
            new = (await ana.expect("handoff", for_id(row.id)))["handoff"]
            assert new["status"] == "queued" and new["path"] == "/app/settings/team"

            # B's agent opens it (B now watches it) and claims it: A's widget is told
            await ana.send({"type": "open", "handoff_id": row.id})
            await ana.expect("conversation", for_id(row.id))
            await ana.send({"type": "claim", "handoff_id": row.id})
            assert (await ana.expect("claimed", for_id(row.id)))["agent"] == ANA[1]
            assigned = await widget.recv()
            assert assigned["type"] == "handoff" and assigned["status"] == "assigned", assigned
            assert assigned["agent"] == ANA[1] and ANA[1] in assigned["message"]

            # B's agent writes; A's widget shows it, and it is stored as delivered
            await ana.send({"type": "reply", "handoff_id": row.id, "text": "Hi! Which invoice?"})
            said = await widget.recv()
            assert said == {"type": "agent_message", "text": "Hi! Which invoice?", "agent": ANA[1]}
            await ana.expect("message", for_id(row.id))
            (reply,) = [x for x in await session_messages(db, session_id) if x.role == "agent"]
            assert reply.delivered_at is not None, "A's widget had it: no resend on resume"

            # the user answers on A; the agent on B reads it, and follows the user's page
            await widget.send({"type": "ask", "id": "q1", "text": "invoice 2041, from March"})
            answer = await ana.expect(
                "message", lambda f: for_id(row.id)(f) and f["message"]["role"] == "user"
            )
            assert answer["message"]["text"] == "invoice 2041, from March"
            await widget.send({"type": "page", **BILLING})
            moved = await ana.expect(
                "session_update", lambda f: for_id(row.id)(f) and f["kind"] == "page"
            )
            assert moved["data"]["path"] == "/app/settings/billing"
        finally:
            await ws.close()
