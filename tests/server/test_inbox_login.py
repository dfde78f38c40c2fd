"""Signing in to the inbox comes back to the page that asked for it (`next`), only ever on this
site, and the inbox links to the reports."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from starlette.applications import Starlette
from tests.support.databases import migrated

from pageguide.inbox.auth import COOKIE, Agents
from pageguide.inbox.routes import PRELOGIN, login_url, routes, safe_next

EMAIL, PASSWORD = "ana@x.test", "a long password"
HOSTILE = [
    "//evil.example/reports",
    "https://evil.example/",
    "http:/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/\t/evil.example",
    "/reports\r\nSet-Cookie: x=1",
    "",
    "/inbox/login?next=/inbox/login",
]


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with migrated("sqlite", tmp_path) as db:
        agents = Agents(db)
        await agents.add(EMAIL, "Ana", PASSWORD)
        app = Starlette(routes=routes())
        app.state.inbox = SimpleNamespace(agents=agents)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def sign_in(client: httpx.AsyncClient, next_path: str) -> httpx.Response:
    client.cookies.set(PRELOGIN, "form-token", path="/inbox")
    form = {"email": EMAIL, "password": PASSWORD, "csrf": "form-token", "next": next_path}
    return await client.post("/inbox/login", data=form)


def test_only_paths_on_this_site_are_kept() -> None:
    wanted = "/reports?since=2026-11-02&until=2026-11-08&site=demo"
    assert safe_next(wanted) == wanted
    assert (
        safe_next("/reports/page/%2Fapp%2Fsettings%2Fteam")
        == "/reports/page/%2Fapp%2Fsettings%2Fteam"
    )
    assert safe_next(None) == "/inbox"
    for hostile in HOSTILE:
        assert safe_next(hostile) == "/inbox", hostile
    assert login_url("/reports?since=7d&site=demo") == (
        "/inbox/login?next=%2Freports%3Fsince%3D7d%26site%3Ddemo"
    )
    assert login_url("//evil.example") == "/inbox/login"


async def test_sign_in_returns_to_the_page_asked_for(client: httpx.AsyncClient) -> None:
    wanted = "/reports?since=2026-11-02&until=2026-11-08&site=demo"
    form = await client.get(login_url(wanted))
    assert form.status_code == 200
    field = re.search(r'name="next" value="([^"]*)"', form.text)
    assert field is not None and field.group(1) == wanted.replace("&", "&amp;")

    done = await sign_in(client, wanted)
    assert done.status_code == 303 and done.headers["location"] == wanted
    assert done.cookies.get(COOKIE)
    # Signed in already: the sign-in page sends straight on.
    again = await client.get(login_url("/reports/scorecard"))
    assert again.status_code == 303 and again.headers["location"] == "/reports/scorecard"
    app = await client.get("/inbox")
    assert '<a class="button button-quiet" href="/reports">Reports</a>' in app.text


@pytest.mark.parametrize("hostile", HOSTILE)
async def test_sign_in_never_leaves_the_site(client: httpx.AsyncClient, hostile: str) -> None:
    form = await client.get("/inbox/login", params={"next": hostile})
    field = re.search(r'name="next" value="([^"]*)"', form.text)
    assert field is not None and field.group(1) == "/inbox"
    done = await sign_in(client, hostile)
    assert done.status_code == 303 and done.headers["location"] == "/inbox"
    signed_in = await client.get("/inbox/login", params={"next": hostile})
    assert signed_in.headers["location"] == "/inbox"


async def test_a_failed_sign_in_keeps_where_to_go(client: httpx.AsyncClient) -> None:
    client.cookies.set(PRELOGIN, "form-token", path="/inbox")
    form = {"email": EMAIL, "password": "wrong password", "csrf": "form-token",
            "next": "/reports/scorecard"}  # fmt: skip
    refused = await client.post("/inbox/login", data=form)
    assert refused.status_code == 401
    assert 'name="next" value="/reports/scorecard"' in refused.text
