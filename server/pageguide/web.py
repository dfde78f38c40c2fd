"""Plain HTTP routes: the widget's files, the help articles its answers link to, and
`/static/`, the stylesheet the inbox and the report pages share (each links it before its own).

`/widget.js` is the loader a host page includes: its URL never changes, so its cache is short
and a release reaches every page within minutes. It imports the rest from `/widget/<name>`
by content-hashed names (listed in `widget/dist/manifest.json` by the build), which are cached
for a year. Both are served with `Access-Control-Allow-Origin: *` because the hashed files are
ES modules, fetched in CORS mode from the host page's origin.
"""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path, PurePosixPath

from markdown_it import MarkdownIt
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .retrieval.markdown import SUFFIXES, ArticleError, clean_mdx
from .settings import Settings

LOADER_CACHE = "public, max-age=300"  # the loader URL is stable, so keep its cache short
HASHED_CACHE = "public, max-age=31536000, immutable"  # a new build gets new names
NOT_BUILT = "// widget not built: run `make widget`\n"
STATIC = Path(__file__).parent / "static"

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


JS = "text/javascript; charset=utf-8"
CORS = {"Access-Control-Allow-Origin": "*"}


def widget_manifest() -> dict | None:
    """The build's list of files, or None when the widget has not been built."""
    try:
        return json.loads((widget_dist() / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def not_built() -> Response:
    headers = {"Cache-Control": "no-store"}
    return Response(NOT_BUILT, status_code=503, media_type=JS, headers=headers)


def routes(settings: Settings) -> list[BaseRoute]:
    async def loader(request: Request) -> Response:
        path = widget_dist() / "widget.js"
        if not path.is_file() or widget_manifest() is None:
            return not_built()
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        headers = {"Cache-Control": LOADER_CACHE, "ETag": etag, **CORS}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=JS, headers=headers)

    async def hashed(request: Request) -> Response:
        manifest = widget_manifest()
        if manifest is None:
            return not_built()
        name = "widget/" + request.path_params["name"]
        if name not in manifest.get("files", []):  # only what the build made: no traversal
            return Response("// no such file\n", status_code=404, media_type=JS, headers=CORS)
        try:
            body = (widget_dist() / name).read_bytes()
        except OSError:
            return not_built()
        return Response(body, media_type=JS, headers={"Cache-Control": HASHED_CACHE, **CORS})

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
        Route("/widget.js", loader),
        Route("/widget/{name}", hashed),
        Route("/help.css", help_css),
        Route("/help/{slug:path}", help_article),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
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
