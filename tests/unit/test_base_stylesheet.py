"""The stylesheet the inbox and the report pages share: served once, linked before each page's own
(the page's rules come later in the cascade, so its differences win)."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from pageguide import web
from pageguide.settings import Settings

SERVER = Path(web.__file__).parent
BASE = '<link rel="stylesheet" href="/static/base.css">'


def test_base_css_is_served(settings: Settings) -> None:
    client = TestClient(Starlette(routes=web.routes(settings)))
    response = client.get("/static/base.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert ".visually-hidden" in response.text


@pytest.mark.parametrize(
    ("template", "own"),
    [
        ("inbox/templates/app.html", "/inbox/static/inbox.css"),
        ("inbox/templates/login.html", "/inbox/static/inbox.css"),
        ("reports/templates/base.html", "/reports/static/reports.css"),
    ],
)
def test_pages_link_base_css_before_their_own(template: str, own: str) -> None:
    text = (SERVER / template).read_text(encoding="utf-8")
    assert text.count(BASE) == 1
    assert text.index(BASE) < text.index(f'<link rel="stylesheet" href="{own}">')
