"""The report pages: where users get stuck (`/reports`), one page's detail, a session replayed,
the scorecard, and what the docs miss. HTML built on the server with every value escaped,
charts as inline SVG (charts.py), one stylesheet, no inline style or script: the pages work
offline under a strict Content-Security-Policy. Signed-in agents only.

    friction_page.py   /reports
    detail_page.py     /reports/page/…
    session_page.py    /reports/session/…
    scorecard_page.py  /reports/scorecard
    insights_page.py   /reports/insights
    layout.py          the filters, the frame and its headers
    markup.py          values formatted and the HTML pieces the pages share (pure)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..inbox.auth import SignedIn
from ..inbox.routes import current_agent, login_url
from .detail_page import detail_page
from .friction_page import friction_page
from .insights_page import insights_page
from .layout import HERE
from .scorecard_page import scorecard_page
from .session_page import session_page

Handler = Callable[[Request, SignedIn], Awaitable[Response]]


def signed_in(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        agent = await current_agent(request)
        if agent is None:
            # back to this very report (a link from the digest) once signed in
            url = request.url
            return RedirectResponse(
                login_url(url.path + (f"?{url.query}" if url.query else "")), status_code=303
            )
        return await handler(request, agent)

    return endpoint


def routes() -> list[BaseRoute]:
    return [
        Route("/reports", signed_in(friction_page)),
        Route("/reports/scorecard", signed_in(scorecard_page)),
        Route("/reports/insights", signed_in(insights_page)),
        Route("/reports/page/{template:path}", signed_in(detail_page)),
        Route("/reports/session/{session_id}", signed_in(session_page)),
        Mount("/reports/static", StaticFiles(directory=HERE / "static"), name="reports-static"),
    ]
