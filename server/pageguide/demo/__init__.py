"""The demo product, "Lumen": five pages of a SaaS app that embed the widget with one tag.

Every page is the app shell in `layout.html` (head, sidebar, top bar) around the page's own
`<main>` content in `pages/<slug>.html`. A page file opens with a comment that fills the shell's
few fields (title, section, crumb, description); the comment is not served. Each page is
rendered once, on first request, and kept.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from string import Template

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

HERE = Path(__file__).parent
PAGES = {
    "/app/dashboard": "dashboard",
    "/app/settings/billing": "billing",
    "/app/settings/team": "team",
    "/app/settings/api-keys": "api-keys",
    "/app/integrations/slack": "slack",
}
CONFIG = HERE / "pageguide.toml"
FIELDS = frozenset({"title", "section", "crumb", "description"})
HEADER = re.compile(r"<!--(.*?)-->\n", re.S)
CURRENT = ' aria-current="page"'


def _fragment(slug: str) -> tuple[dict[str, str], str]:
    """A page's shell fields (from its opening comment) and its `<main>` content."""
    text = (HERE / "pages" / f"{slug}.html").read_text(encoding="utf-8")
    header = HEADER.match(text)
    lines = header[1].strip().splitlines() if header else []
    pairs = (line.strip().partition(": ") for line in lines)
    fields = {key: value for key, _, value in pairs}
    if header is None or fields.keys() != FIELDS:
        raise ValueError(f"pages/{slug}.html must open with a comment setting {sorted(FIELDS)}")
    return fields, text[header.end() :]


def _nav_flag(slug: str) -> str:
    """The layout's placeholder for a sidebar link's aria-current (identifiers have no '-')."""
    return "current_" + slug.replace("-", "_")


@cache
def render(path: str) -> str:
    """The whole HTML document of the demo page at `path`."""
    slug = PAGES[path]
    fields, main = _fragment(slug)
    layout = Template((HERE / "layout.html").read_text(encoding="utf-8"))
    flags = {_nav_flag(other): CURRENT if other == slug else "" for other in PAGES.values()}
    return layout.substitute(flags, **fields, slug=slug, path=path, main=main)


def routes() -> list[BaseRoute]:
    async def page(request: Request) -> Response:
        return HTMLResponse(render(request.url.path), headers={"Cache-Control": "no-cache"})

    async def home(request: Request) -> Response:
        return RedirectResponse("/app/dashboard")

    return [
        Route("/", home),
        *(Route(path, page) for path in PAGES),
        Mount("/demo/static", StaticFiles(directory=HERE / "static"), name="demo-static"),
    ]
