"""Plain HTTP routes: the widget script and the help articles its answers link to."""

from __future__ import annotations

import hashlib
import html
from pathlib import Path, PurePosixPath

from markdown_it import MarkdownIt
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from .retrieval.markdown import SUFFIXES, ArticleError, clean_mdx
from .settings import Settings

WIDGET_CACHE = "public, max-age=300"  # the loader URL is stable, so keep its cache short

_render = MarkdownIt("commonmark", {"html": False}).enable("table")

HELP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="/help.css"></head>
<body><main class="article"><p class="crumb">Help centre</p><h1>{title}</h1>{body}</main>
</body></html>
"""

HELP_CSS = """body{font:16px/1.6 system-ui,sans-serif;margin:0;background:#f7f7fb;color:#1d1d2b}
.article{max-width:44rem;margin:2rem auto;padding:2rem;background:#fff;border-radius:12px;
box-shadow:0 1px 3px #0001}.crumb{color:#6b6b80;font-size:.85rem;margin:0}
h1{margin-top:.25rem}code{background:#f0f0f5;padding:.1em .3em;border-radius:4px}
"""


def widget_dist() -> Path:
    return Path(__file__).resolve().parents[2] / "widget" / "dist"


def routes(settings: Settings) -> list[BaseRoute]:
    async def widget(request: Request) -> Response:
        path = widget_dist() / "widget.js"
        if not path.exists():
            return Response(
                "// widget not built: run `make widget`\n",
                status_code=503,
                media_type="text/javascript",
            )
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        headers = {"Cache-Control": WIDGET_CACHE, "ETag": etag, "Access-Control-Allow-Origin": "*"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="text/javascript", headers=headers)

    async def help_css(request: Request) -> Response:
        return Response(HELP_CSS, media_type="text/css")

    async def help_article(request: Request) -> Response:
        found = find_article(settings.knowledge, request.path_params["slug"])
        if found is None:
            return HTMLResponse("<h1>Not found</h1>", status_code=404)
        import frontmatter

        try:
            post = frontmatter.loads(found.read_text(encoding="utf-8"))
        except (ValueError, ArticleError):
            return HTMLResponse("<h1>Unreadable article</h1>", status_code=500)
        body = clean_mdx(post.content)
        title = html.escape(str(post.metadata.get("title") or found.stem))
        return HTMLResponse(HELP_PAGE.format(title=title, body=_render.render(body)))

    return [
        Route("/widget.js", widget),
        Route("/help.css", help_css),
        Route("/help/{slug:path}", help_article),
    ]


def find_article(root: Path | None, slug: str) -> Path | None:
    """The knowledge file for a /help/ slug, never outside the knowledge folder."""
    if root is None or ".." in PurePosixPath(slug).parts:
        return None
    base = root.resolve()
    for suffix in SUFFIXES:
        candidate = (base / f"{slug}{suffix}").resolve()
        if candidate.is_file() and candidate.is_relative_to(base):
            return candidate
    return None
