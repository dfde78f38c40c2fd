"""The inbox's "Learning" area over HTTP JSON: drafts from resolutions, flagged answers, the
answers of a conversation (with ids, for flagging), and a preview of the weekly digest.

Every endpoint needs a signed-in agent (the inbox cookie); every POST needs the header
`X-CSRF-Token` equal to the login's CSRF token (the page's `<meta name="csrf-token">`) and a
JSON body. Errors are JSON `{"error": code, "message": text}` with a fitting status. After a
change the agents' sockets get a `learning` frame with the new counts, so every open inbox
shows them at once.

    GET  /inbox/api/learning                      {drafts, flags} (counts waiting)
    GET  /inbox/api/drafts?status=draft|published|rejected|all
    GET  /inbox/api/drafts/{id}
    POST /inbox/api/drafts/{id}                   {title?, pages?, body?} → edit
    POST /inbox/api/drafts/{id}/publish           {title?, pages?, body?} → edit, then publish
    POST /inbox/api/drafts/{id}/reject
    GET  /inbox/api/handoffs/{id}/answers         the session's assistant answers, with ids
    POST /inbox/api/answers/{id}/flag             {correction}
    GET  /inbox/api/flags?status=open|resolved|all
    POST /inbox/api/flags/{id}/resolve            {make_draft?: bool}
    GET  /inbox/api/digest?site=&week=&format=markdown|text
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ..insights import drafts as d
from ..insights import flags as f
from ..insights.common import InsightError
from .auth import COOKIE, SignedIn, check_csrf

log = logging.getLogger("pageguide.inbox.review")
MAX_BODY_BYTES = 256_000
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

Handler = Callable[[Request, SignedIn], Awaitable[Response]]


def _error(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=HEADERS)


def _ok(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=HEADERS)


def _db(request: Request) -> Any:
    return request.app.state.inbox.agents.db


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise InsightError("too_large", "the request is too large", 413)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise InsightError("bad_json", "the request body is not JSON") from None
    if not isinstance(body, dict):
        raise InsightError("bad_json", "the request body must be a JSON object")
    return body


def _str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InsightError("bad_request", f"{key} must be a string")
    return value


def endpoint(handler: Handler, write: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """Signed in, CSRF for writes, InsightError → JSON error."""

    async def run(request: Request) -> Response:
        agent = await request.app.state.inbox.agents.session(request.cookies.get(COOKIE))
        if agent is None:
            return _error("signed_out", "sign in to the inbox again", 401)
        if write:
            if not check_csrf(agent.csrf, request.headers.get("x-csrf-token")):
                return _error("csrf", "the page is out of date; reload it and try again", 403)
            kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if kind != "application/json":
                return _error("bad_request", "send JSON (Content-Type: application/json)", 415)
        try:
            return await handler(request, agent)
        except InsightError as exc:
            return _error(exc.code, exc.message, exc.status)

    return run


async def _announce(request: Request) -> None:
    """Tell every open inbox how many drafts and flags wait (a `learning` frame)."""
    try:
        counts = await _counts(request)
        await request.app.state.inbox.escalations.hub.to_agents({"type": "learning", **counts})
    except Exception:  # a notification must never fail the action it follows
        log.exception("could not announce learning counts")


async def _counts(request: Request) -> dict[str, int]:
    db = _db(request)
    return {
        "drafts": await d.draft_count(db),
        "flags": await f.open_flag_count(db),
    }


def _id(request: Request, name: str = "item_id") -> int:
    return int(request.path_params[name])


def _status(request: Request, allowed: tuple[str, ...], default: str) -> str:
    status = request.query_params.get("status", default)
    if status not in allowed:
        raise InsightError("bad_request", f"status must be one of {', '.join(allowed)}")
    return status


# ---------------------------------------------------------------- handlers


async def learning(request: Request, agent: SignedIn) -> Response:
    return _ok(await _counts(request))


async def list_drafts(request: Request, agent: SignedIn) -> Response:
    status = _status(request, ("draft", "published", "rejected", "all"), "draft")
    db = _db(request)
    names = await d.agent_names(db)
    return _ok({"drafts": [d.draft_json(x, names) for x in await d.list_drafts(db, status)]})


async def get_draft(request: Request, agent: SignedIn) -> Response:
    db = _db(request)
    return _ok(
        {"draft": d.draft_json(await d.get_draft(db, _id(request)), await d.agent_names(db))}
    )


async def _apply_edits(request: Request, draft_id: int) -> None:
    body = await _json(request)
    title, text = _str(body, "title"), _str(body, "body")
    pages = body.get("pages")
    if title is not None or text is not None or pages is not None:
        await d.update_draft(_db(request), draft_id, title=title, pages=pages, body=text)


async def edit_draft(request: Request, agent: SignedIn) -> Response:
    db = _db(request)
    await _apply_edits(request, _id(request))
    return _ok(
        {"draft": d.draft_json(await d.get_draft(db, _id(request)), await d.agent_names(db))}
    )


async def publish_draft(request: Request, agent: SignedIn) -> Response:
    db = _db(request)
    draft_id = _id(request)
    await _apply_edits(request, draft_id)
    settings = request.app.state.settings
    knowledge = request.app.state.services.guide.knowledge
    draft = await d.publish_draft(db, draft_id, agent.agent_id, settings.knowledge, knowledge)
    await _announce(request)
    return _ok(
        {
            "draft": d.draft_json(draft, await d.agent_names(db)),
            "article": {
                "path": draft.article_path,
                "url": d.article_url(str(request.base_url), draft.article_path),
            },
        }
    )


async def reject_draft(request: Request, agent: SignedIn) -> Response:
    db = _db(request)
    draft = await d.reject_draft(db, _id(request), agent.agent_id)
    await _announce(request)
    return _ok({"draft": d.draft_json(draft, await d.agent_names(db))})


async def handoff_answers(request: Request, agent: SignedIn) -> Response:
    answers = await f.session_answers(_db(request), request.path_params["handoff_id"])
    return _ok({"answers": answers})


async def flag_answer(request: Request, agent: SignedIn) -> Response:
    body = await _json(request)
    flag = await f.flag_answer(
        _db(request),
        request.path_params["answer_id"],
        agent.agent_id,
        _str(body, "correction") or "",
    )
    await _announce(request)
    return _ok({"flag": {"id": flag.id, "status": flag.status, "answer_id": flag.answer_id}}, 201)


async def list_flags(request: Request, agent: SignedIn) -> Response:
    status = _status(request, ("open", "resolved", "all"), "open")
    return _ok({"flags": await f.flag_queue(_db(request), status)})


async def resolve_flag(request: Request, agent: SignedIn) -> Response:
    body = await _json(request)
    make_draft = body.get("make_draft", False)
    if not isinstance(make_draft, bool):
        raise InsightError("bad_request", "make_draft must be true or false")
    db = _db(request)
    flag, draft = await f.resolve_flag(db, _id(request), agent.agent_id, make_draft)
    await _announce(request)
    names = await d.agent_names(db)
    return _ok(
        {
            "flag": {"id": flag.id, "status": flag.status},
            "draft": d.draft_json(draft, names) if draft is not None else None,
        }
    )


async def digest_preview(request: Request, agent: SignedIn) -> Response:
    from ..insights.digest import preview_digest
    from ..reports.api import issue_types_for

    site = request.query_params.get("site") or ""
    sites = request.app.state.services.sites
    if not site:
        site = sites.first_key()
    if sites.get(site) is None:
        raise InsightError("no_site", f"no site {site!r}", 404)
    fmt = request.query_params.get("format", "markdown")
    if fmt not in ("markdown", "text"):
        raise InsightError("bad_request", "format must be markdown or text")
    text = await preview_digest(
        _db(request),
        site,
        base_url=str(request.base_url).rstrip("/"),
        week=request.query_params.get("week") or None,
        fmt=fmt,  # type: ignore[arg-type]
        embedder=request.app.state.services.guide.knowledge.embedder,
        issue_types=issue_types_for(request),
    )
    kind = "text/markdown" if fmt == "markdown" else "text/plain"
    return PlainTextResponse(text, media_type=f"{kind}; charset=utf-8", headers=HEADERS)


def routes() -> list[BaseRoute]:
    api = "/inbox/api"
    return [
        Route(f"{api}/learning", endpoint(learning)),
        Route(f"{api}/drafts", endpoint(list_drafts)),
        Route(f"{api}/drafts/{{item_id:int}}", endpoint(get_draft), methods=["GET"]),
        Route(f"{api}/drafts/{{item_id:int}}", endpoint(edit_draft, True), methods=["POST"]),
        Route(
            f"{api}/drafts/{{item_id:int}}/publish", endpoint(publish_draft, True), methods=["POST"]
        ),
        Route(
            f"{api}/drafts/{{item_id:int}}/reject", endpoint(reject_draft, True), methods=["POST"]
        ),
        Route(f"{api}/handoffs/{{handoff_id}}/answers", endpoint(handoff_answers)),
        Route(f"{api}/answers/{{answer_id}}/flag", endpoint(flag_answer, True), methods=["POST"]),
        Route(f"{api}/flags", endpoint(list_flags)),
        Route(
            f"{api}/flags/{{item_id:int}}/resolve", endpoint(resolve_flag, True), methods=["POST"]
        ),
        Route(f"{api}/digest", endpoint(digest_preview)),
    ]
