"""The demo product, "Lumen": five pages of a SaaS app that embed the widget with one tag."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

HERE = Path(__file__).parent
PAGES = {
    "/app/dashboard": "dashboard.html",
    "/app/settings/billing": "billing.html",
    "/app/settings/team": "team.html",
    "/app/settings/api-keys": "api-keys.html",
    "/app/integrations/slack": "slack.html",
}
CONFIG = HERE / "pageguide.toml"


def routes() -> list[BaseRoute]:
    async def page(request: Request) -> Response:
        return FileResponse(
            HERE / "pages" / PAGES[request.url.path], headers={"Cache-Control": "no-cache"}
        )

    async def home(request: Request) -> Response:
        return RedirectResponse("/app/dashboard")

    return [
        Route("/", home),
        *(Route(path, page) for path in PAGES),
        Mount("/demo/static", StaticFiles(directory=HERE / "static"), name="demo-static"),
    ]
