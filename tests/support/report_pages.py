"""The report pages and their API in one in-process app, with a client signed in as an agent:
for timing the pages end to end (bench/report_scale.py) without a server or a browser."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
from starlette.applications import Starlette

from pageguide.db import Database
from pageguide.inbox.auth import COOKIE, Agents, SignedIn

EMAIL, PASSWORD = "bench@example.com", "a-long-bench-password"


class _ReadOnlyAgents:
    """One agent signed in without writing a login row (for a database measured read-only)."""

    token = "bench-token"

    async def session(self, token: str | None) -> SignedIn | None:
        return SignedIn(0, "Bench", EMAIL, "csrf") if token == self.token else None


@contextlib.asynccontextmanager
async def page_client(db: Database, writable: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    """A client of /reports… and /api/reports… over `db`, signed in: through a real agent and
    login when the database may be written, else through an agent kept in memory."""
    from pageguide.reports import api, web

    app = Starlette(routes=[*web.routes(), *api.routes()])
    agents: Any
    if writable:
        agents = Agents(db)
        if not any(a.email == EMAIL for a in await agents.list()):
            await agents.add(EMAIL, "Bench", PASSWORD)
        signed = await agents.sign_in(EMAIL, PASSWORD)
        assert signed is not None, "the bench agent could not sign in"
        token = signed
    else:
        agents = _ReadOnlyAgents()
        token = agents.token
    app.state.inbox = SimpleNamespace(agents=agents)
    knowledge = SimpleNamespace(embedder=None, index=None)  # no model loaded
    app.state.services = SimpleNamespace(
        repo=SimpleNamespace(db=db),
        guide=SimpleNamespace(knowledge=knowledge),
        sites=SimpleNamespace(by_key={"demo": None}),
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://bench",
        cookies={COOKIE: token},
    ) as client:
        yield client
