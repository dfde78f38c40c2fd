"""Wiring only: build the services, mount the routes, load knowledge on startup."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from . import web
from .db import Database
from .db.handoffs import Handoffs
from .db.queries import Repository
from .escalation.classifier import EscalationClassifier
from .escalation.llm import LlmAdvisor
from .escalation.outbox import Outbox
from .escalation.service import Escalations
from .gateway import Services, websocket_endpoint
from .guidance.answer import Guide
from .guidance.suggestions import Suggestions
from .hub import make_hub
from .inbox.auth import Agents
from .inbox.live import agent_endpoint
from .inbox.review import routes as review_routes
from .inbox.routes import routes as inbox_routes
from .insights.digest import digest_forever
from .proactive import ProactiveHelp
from .progress import ingest_with_progress
from .reports import api as reports_api
from .reports.issue_types import IssueTypes
from .reports.web import routes as report_pages
from .retrieval.embed import Embedder
from .retrieval.knowledge import KnowledgeBase
from .settings import Settings
from .sites import Sites

log = logging.getLogger("pageguide.app")
REFRESH_SECONDS = 30.0  # how often to look for an ingest run by another process


async def healthz(request: Request) -> Response:
    state = request.app.state
    if not state.ready:
        return JSONResponse({"status": "starting"}, status_code=503)
    kb: KnowledgeBase = state.services.guide.knowledge
    return JSONResponse(
        {"status": "ok", "chunks": len(kb.index), "articles": len(kb.index.articles)}
    )


def create_app(
    settings: Settings,
    sites: Sites | None = None,
    demo: bool = False,
    embedder: Embedder | None = None,
) -> Starlette:
    sites = sites or Sites.load(settings.config)
    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        WebSocketRoute("/ws", websocket_endpoint),
        WebSocketRoute("/agent/ws", agent_endpoint),
        *inbox_routes(),
        *review_routes(),
        *report_pages(),
        *reports_api.routes(),
        *web.routes(settings),
    ]
    if demo:
        from .demo import routes as demo_routes

        routes.extend(demo_routes())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.ready = False
        _one_thread_per_encode()
        db = Database(settings.database_url_or_default())
        await db.migrate()
        knowledge = await asyncio.to_thread(KnowledgeBase, settings, embedder)
        if settings.knowledge is not None:
            report = await asyncio.to_thread(ingest_with_progress, knowledge, settings.knowledge)
            log.info(
                "knowledge ingested",
                extra={"folder": str(settings.knowledge), "summary": report.summary()},
            )
        if not knowledge.loaded:
            await asyncio.to_thread(knowledge.reload)
        guide = Guide(settings, knowledge, _llm(settings))
        repo = Repository(db)
        hub = make_hub(settings.redis_url)
        await hub.start()
        outbox = Outbox(db, sites.channel)
        classifier = await asyncio.to_thread(
            EscalationClassifier.train, knowledge.embedder, cache_dir=settings.data / "cache"
        )
        advisor = LlmAdvisor(settings) if settings.model else None
        escalations = Escalations(
            settings,
            Handoffs(db),
            hub,
            outbox,
            sites.channels_for,
            classifier,
            settings.escalation,
            llm_summary=advisor.summary if advisor else None,
            llm_vote=advisor.vote if advisor else None,
        )
        app.state.inbox = Inbox(Agents(db), escalations, outbox)
        app.state.services = Services(
            settings=settings,
            sites=sites,
            repo=repo,
            guide=guide,
            secret=settings.resolved_secret(),
            proactive=ProactiveHelp(settings, repo, guide, settings.struggle, settings.nudges),
            suggestions=Suggestions(lambda: knowledge.index, repo.top_questions),
            escalations=escalations,
            hub=hub,
        )
        outbox.start()
        app.state.ready = True
        tasks = [
            asyncio.create_task(_refresh_forever(knowledge)),
            asyncio.create_task(app.state.services.proactive.tick_forever()),
            asyncio.create_task(
                digest_forever(
                    db,
                    sites,
                    base_url=settings.public_url or f"http://{settings.host}:{settings.port}",
                    embedder=knowledge.embedder,
                    outbox=outbox,
                    issue_types=lambda: IssueTypes.from_index(knowledge.index),
                )
            ),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await outbox.stop()
            await hub.stop()
            await db.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.ready = False
    app.state.settings = settings
    return app


def _one_thread_per_encode() -> None:
    """A server encodes many short texts at once (questions, pages, messages): one torch thread
    per encode lets concurrent encodes use the cores instead of fighting over them."""
    import torch

    torch.set_num_threads(1)


@dataclass
class Inbox:
    agents: Agents
    escalations: Escalations
    outbox: Outbox


def _llm(settings: Settings):  # -> Composer | None
    if not settings.model:
        return None
    from .guidance.llm import LLMComposer

    return LLMComposer(settings)


async def _refresh_forever(knowledge: KnowledgeBase) -> None:
    while True:
        await asyncio.sleep(REFRESH_SECONDS)
        try:
            await knowledge.refresh_if_changed()
        except Exception:
            log.exception("knowledge refresh failed")
