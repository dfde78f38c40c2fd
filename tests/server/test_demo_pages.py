"""The demo app's pages, in process: each is the shared shell filled for that page.

Browser and e2e tests drive these pages by their selectors; this checks the shell's per-page
fields (heading, current nav link, the one widget tag) without a browser."""

from __future__ import annotations

from collections.abc import AsyncIterator
from html.parser import HTMLParser

import httpx
import pytest
from starlette.applications import Starlette

from pageguide.demo import PAGES, routes

HEADINGS = {
    "/app/dashboard": "Dashboard",
    "/app/settings/billing": "Billing",
    "/app/settings/team": "Team",
    "/app/settings/api-keys": "API keys",
    "/app/integrations/slack": "Slack integration",
}


class Outline(HTMLParser):
    """What the assertions need: widget script tags, <h1> texts, sidebar links marked current."""

    def __init__(self) -> None:
        super().__init__()
        self.widget_tags: list[dict[str, str | None]] = []
        self.h1: list[str] = []
        self.current_nav: list[str | None] = []
        self._in_h1 = False
        self._nav: list[str | None] = []  # aria-label of each open <nav>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src") == "/widget.js":
            self.widget_tags.append(a)
        elif tag == "h1":
            self._in_h1 = True
            self.h1.append("")
        elif tag == "nav":
            self._nav.append(a.get("aria-label"))
        elif tag == "a" and self._nav[-1:] == ["Main"] and a.get("aria-current") == "page":
            self.current_nav.append(a.get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 = False
        elif tag == "nav":
            self._nav.pop()

    def handle_data(self, data: str) -> None:
        if self._in_h1:
            self.h1[-1] += data


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=Starlette(routes=routes()))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def test_every_demo_page_has_a_heading() -> None:
    assert set(HEADINGS) == set(PAGES)


@pytest.mark.parametrize("path", sorted(HEADINGS))
async def test_demo_page(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    outline = Outline()
    outline.feed(response.text)
    assert [tag.get("data-site-key") for tag in outline.widget_tags] == ["demo"]
    assert [h.strip() for h in outline.h1] == [HEADINGS[path]]
    assert outline.current_nav == [path]
    assert f'<body class="page-{PAGES[path]}">' in response.text


async def test_home_redirects_to_the_dashboard(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code in (302, 307)
    assert response.headers["location"] == "/app/dashboard"
