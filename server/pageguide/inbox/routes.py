"""HTTP side of the inbox: sign-in, sign-out, the app page, dead-letter retries."""

from __future__ import annotations

import html
import secrets
from pathlib import Path
from string import Template
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .auth import COOKIE, LOGIN_HOURS, Agents, SignedIn, check_csrf

HERE = Path(__file__).parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
PRELOGIN = "pageguide_prelogin"  # CSRF for the sign-in form itself, before there is a login
HOME = "/inbox"


def safe_next(value: object) -> str:
    """Where to go after signing in: `value` when it is a path on this site, else the inbox.
    Anything a browser could read as another host is refused (`//evil`, `https://…`, `/\\evil`,
    which some browsers treat as `//evil`), as are control characters and the sign-in page."""
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 2000:
        return HOME
    if value.startswith("//") or "\\" in value or any(ord(c) < 33 or ord(c) == 127 for c in value):
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith("/inbox/log"):
        return HOME
    return value


def login_url(next_path: str) -> str:
    """The sign-in page, coming back to `next_path` afterwards (for pages that need a login)."""
    target = safe_next(next_path)
    return "/inbox/login" if target == HOME else f"/inbox/login?next={quote(target, safe='')}"


def _template(name: str) -> Template:
    return Template((HERE / "templates" / name).read_text(encoding="utf-8"))


def _page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)


async def current_agent(request: Request) -> SignedIn | None:
    agents: Agents = request.app.state.inbox.agents
    return await agents.session(request.cookies.get(COOKIE))


def routes() -> list[BaseRoute]:
    async def login_form(
        request: Request, error: str = "", email: str = "", next_path: str = HOME
    ) -> Response:
        token = request.cookies.get(PRELOGIN) or secrets.token_urlsafe(24)
        body = _template("login.html").substitute(
            csrf=token,
            error=html.escape(error),
            email=html.escape(email),
            next=html.escape(safe_next(next_path)),
        )
        response = _page(body, 200 if not error else 401)
        response.set_cookie(PRELOGIN, token, httponly=True, samesite="strict", path="/inbox")
        return response

    async def login_page(request: Request) -> Response:
        next_path = safe_next(request.query_params.get("next"))
        if await current_agent(request):
            return RedirectResponse(next_path, status_code=303)
        return await login_form(request, next_path=next_path)

    async def login(request: Request) -> Response:
        form = await request.form()
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        next_path = safe_next(form.get("next"))
        if not check_csrf(request.cookies.get(PRELOGIN, ""), str(form.get("csrf", ""))):
            expired = "Your sign-in form expired. Please try again."
            return await login_form(request, expired, email, next_path)
        token = await request.app.state.inbox.agents.sign_in(email, password)
        if token is None:
            return await login_form(request, "Wrong email or password.", email, next_path)
        response = RedirectResponse(next_path, status_code=303)
        response.set_cookie(
            COOKIE,
            token,
            max_age=LOGIN_HOURS * 3600,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
        response.delete_cookie(PRELOGIN, path="/inbox")
        return response

    async def logout(request: Request) -> Response:
        agent = await current_agent(request)
        form = await request.form()
        if agent is None or not check_csrf(agent.csrf, str(form.get("csrf", ""))):
            return Response("Forbidden", status_code=403)
        await request.app.state.inbox.agents.sign_out(request.cookies.get(COOKIE, ""))
        response = RedirectResponse("/inbox/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    async def app_page(request: Request) -> Response:
        agent = await current_agent(request)
        if agent is None:
            return RedirectResponse("/inbox/login", status_code=303)
        body = _template("app.html").substitute(
            csrf=html.escape(agent.csrf), agent_name=html.escape(agent.name)
        )
        return _page(body)

    async def retry_dead_letter(request: Request) -> Response:
        agent = await current_agent(request)
        form = await request.form()
        if agent is None or not check_csrf(agent.csrf, str(form.get("csrf", ""))):
            return Response("Forbidden", status_code=403)
        await request.app.state.inbox.outbox.retry(int(request.path_params["row_id"]))
        return RedirectResponse("/inbox", status_code=303)

    return [
        Route("/inbox", app_page),
        Route("/inbox/login", login_page, methods=["GET"]),
        Route("/inbox/login", login, methods=["POST"]),
        Route("/inbox/logout", logout, methods=["POST"]),
        Route("/inbox/dead-letters/{row_id:int}/retry", retry_dead_letter, methods=["POST"]),
        Mount("/inbox/static", StaticFiles(directory=HERE / "static"), name="inbox-static"),
    ]
