"""`/api/reports/...`: the reports as JSON or CSV, for signed-in agents only.

    GET /api/reports/pages                     ?since&until&site&format=json|csv
    GET /api/reports/pages/{template:path}     ?since&until&site&format&table&clusters
    GET /api/reports/sessions/{id}/timeline    (json)
    GET /api/reports/scorecard                 ?since&until&site&by&weeks&format
    GET /api/reports/insights                  ?since&until&site&format&table

Errors are JSON `{"error": code, "message": text}`: 401 without a signed-in agent, 400 for a
bad or unknown query parameter, 404 for an unknown session. docs/reports.md has examples.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..inbox.routes import current_agent
from .export import (
    DETAIL_TABLES,
    FORMATS,
    INSIGHT_TABLES,
    detail_csv,
    insights_csv,
    pages_csv,
    scorecard_csv,
    to_json,
)
from .findings import findings
from .issue_types import IssueTypes
from .period import Period, PeriodError, parse_period
from .queries import page_detail, page_report, session_timeline
from .scorecard import BY_CHOICES, scorecard

log = logging.getLogger("pageguide.reports")
PREFIX = "/api/reports"
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_SITE = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
_SESSION = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
COMMON = ("since", "until", "site", "format")


class BadRequest(ValueError):
    pass


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=HEADERS)


def _only(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    params = request.query_params
    unknown = sorted(set(params.keys()) - set(allowed))
    if unknown:
        raise BadRequest(
            f"unknown parameter {', '.join(unknown)}; this endpoint takes {', '.join(allowed)}"
        )
    for key in params.keys():
        if len(params.getlist(key)) > 1:
            raise BadRequest(f"{key} given more than once")
    return dict(params)


def _period(params: dict[str, str]) -> Period:
    try:
        return parse_period(params.get("since") or None, params.get("until") or None)
    except PeriodError as exc:
        raise BadRequest(str(exc)) from None


def _site(params: dict[str, str]) -> str | None:
    site = params.get("site") or None
    if site is not None and not _SITE.match(site):
        raise BadRequest("site must be a site key: letters, digits, '_', '-', '.', ':'")
    return site


def _choice(params: dict[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = params.get(name) or default
    if value not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _int(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number from {low} to {high}") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be from {low} to {high}, not {value}")
    return value


def _db(request: Request) -> Any:
    return request.app.state.services.repo.db


def _knowledge(request: Request) -> Any | None:
    services = getattr(request.app.state, "services", None)
    guide = getattr(services, "guide", None)
    return getattr(guide, "knowledge", None)


def issue_types_for(request: Request) -> IssueTypes:
    """The serving knowledge index's article tags, when the app has one."""
    knowledge = _knowledge(request)
    try:
        return IssueTypes.from_index(knowledge.index) if knowledge is not None else IssueTypes()
    except Exception:  # an index still loading, or a test app without knowledge
        return IssueTypes()


def _json(body: str) -> Response:
    return Response(body, media_type="application/json", headers=HEADERS)


def _csv(body: str, name: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "report"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{safe}.csv"'},
    )


Handler = Callable[[Request], Awaitable[Response]]


def _guarded(handler: Handler) -> Handler:
    async def endpoint(request: Request) -> Response:
        state = request.app.state
        if getattr(state, "services", None) is None or getattr(state, "inbox", None) is None:
            return error(503, "starting", "the server is starting; try again in a moment")
        if await current_agent(request) is None:
            return error(401, "unauthorized", "sign in at /inbox/login to read reports")
        try:
            return await handler(request)
        except BadRequest as exc:
            return error(400, "bad_request", str(exc))

    endpoint.__name__ = handler.__name__
    return endpoint


async def pages(request: Request) -> Response:
    params = _only(request, COMMON)
    period, site = _period(params), _site(params)
    fmt = _choice(params, "format", FORMATS, "json")
    report = await page_report(_db(request), period, site)
    if fmt == "csv":
        return _csv(pages_csv(report), f"pages-{period.start:%Y%m%d}-{period.end:%Y%m%d}")
    return _json(to_json(report))


async def page(request: Request) -> Response:
    params = _only(request, (*COMMON, "table", "clusters"))
    template = "/" + str(request.path_params["template"]).lstrip("/")
    if len(template) > 300:
        raise BadRequest("template is longer than 300 characters")
    period, site = _period(params), _site(params)
    fmt = _choice(params, "format", FORMATS, "json")
    table = _choice(params, "table", DETAIL_TABLES, "questions")
    clusters = _choice(params, "clusters", ("1", "0", "true", "false"), "1") in ("1", "true")
    knowledge = _knowledge(request)
    detail = await page_detail(
        _db(request),
        template,
        period,
        site,
        clusters=clusters,
        embedder=getattr(knowledge, "embedder", None),
    )
    if fmt == "csv":
        return _csv(detail_csv(detail, table), f"page-{template}-{table}")
    return _json(to_json(detail))


async def timeline(request: Request) -> Response:
    _only(request, ())
    session_id = str(request.path_params["session_id"])
    if not _SESSION.match(session_id):
        raise BadRequest("not a session id")
    found = await session_timeline(_db(request), session_id)
    if found is None:
        return error(404, "not_found", "no such session")
    return _json(to_json(found))


async def scorecard_endpoint(request: Request) -> Response:
    params = _only(request, (*COMMON, "by", "weeks"))
    period, site = _period(params), _site(params)
    fmt = _choice(params, "format", FORMATS, "json")
    by = _choice(params, "by", BY_CHOICES, "channel")
    weeks = _int(params, "weeks", 8, 1, 52)
    card = await scorecard(
        _db(request), period, by, site, weeks=weeks, issue_types=issue_types_for(request)
    )  # type: ignore[arg-type]
    if fmt == "csv":
        return _csv(scorecard_csv(card), f"scorecard-{by}-{period.end:%Y%m%d}")
    return _json(to_json(card))


async def insights(request: Request) -> Response:
    params = _only(request, (*COMMON, "table"))
    period, site = _period(params), _site(params)
    fmt = _choice(params, "format", FORMATS, "json")
    table = _choice(params, "table", INSIGHT_TABLES, "misfiring")
    knowledge = _knowledge(request)
    report = await findings(
        _db(request), period, site, embedder=getattr(knowledge, "embedder", None)
    )
    if fmt == "csv":
        return _csv(insights_csv(report, table), f"{table}-{period.end:%Y%m%d}")
    return _json(to_json(report))


def routes() -> list[BaseRoute]:
    return [
        Route(f"{PREFIX}/pages", _guarded(pages), methods=["GET"]),
        Route(f"{PREFIX}/pages/{{template:path}}", _guarded(page), methods=["GET"]),
        Route(f"{PREFIX}/sessions/{{session_id}}/timeline", _guarded(timeline), methods=["GET"]),
        Route(f"{PREFIX}/scorecard", _guarded(scorecard_endpoint), methods=["GET"]),
        Route(f"{PREFIX}/insights", _guarded(insights), methods=["GET"]),
    ]
