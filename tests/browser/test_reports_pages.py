"""The report pages in a real browser over a seeded demo history: a product manager signs in,
sees the ranked friction table and the charts, drills into a page and replays a session,
downloads the CSV; the scorecard flags the seeded anomaly; hostile page names and questions
stay text; nothing breaks the Content-Security-Policy and axe-core finds nothing serious in
light or dark mode.

Besides the seeded demo history, `_prepare` adds a page that is calm for four weeks and then
fails for everyone, so there is always an anomaly to flag, and a page and a question with
hostile names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from pages.harness import run_async
from tests.conftest import KNOWLEDGE

from pageguide.settings import Settings

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "widget" / "node_modules" / "axe-core" / "axe.min.js"
EMAIL, PASSWORD = "pm@example.com", "correct horse battery staple"
HOSTILE = '/<img src=x onerror="alert(1)">/<script>alert(2)</script>'
HOSTILE_QUESTION = "<script>alert(3)</script> why & how?"
SESSIONS = 400
SPIKE = "/app/spike"  # calm for four weeks, then everyone struggles and escalates: an anomaly


async def _prepare(settings: Settings) -> None:
    from pageguide.db import Database
    from pageguide.db import models as m
    from pageguide.demo.seed import seed
    from pageguide.inbox.auth import Agents

    db = Database(settings.database_url_or_default())
    await db.migrate()
    await seed(db, sessions=SESSIONS, days=28)
    await Agents(db).add(EMAIL, "Pat <PM>", PASSWORD)
    now = datetime.now(UTC)
    async with db.session() as s, s.begin():
        for week in range(5):  # week 0 is the latest
            for i in range(25 if week == 0 else 20):
                sid, at = f"spike{week}x{i:02d}", now - timedelta(days=7 * week + 1 + i % 5)
                s.add(m.Session(id=sid, site_key="demo", created_at=at))
                await s.flush()
                view = m.PageView(session_id=sid, url="https://x/spike", path=SPIKE,
                                  template=SPIKE, at=at)  # fmt: skip
                s.add(view)
                await s.flush()
                if week == 0:
                    s.add(m.SignalRow(session_id=sid, page_view_id=view.id, kind="rage_click",
                                      score=0.9, target="#go", at=at))  # fmt: skip
                    s.add(m.HandoffRow(id=sid, session_id=sid, site_key="demo", template=SPIKE,
                                       triggers=[{"kind": "outage"}], created_at=at))  # fmt: skip
        s.add(m.Session(id="hostile0session", site_key="demo"))
        await s.flush()
        view = m.PageView(
            session_id="hostile0session",
            url="https://x/hostile",
            path="/hostile",
            template=HOSTILE,
            title="<b>title</b>",
        )
        s.add(view)
        await s.flush()
        s.add(
            m.Question(
                session_id="hostile0session",
                client_id="q1",
                page_view_id=view.id,
                text=HOSTILE_QUESTION,
            )
        )
    await db.close()


@pytest.fixture(scope="module")
def reports_server(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Any]:
    from tests.support.server import run_server

    from pageguide.demo import CONFIG
    from pageguide.sites import Sites

    data = tmp_path_factory.mktemp("reports-data")
    settings = Settings(data=data, knowledge=KNOWLEDGE, secret="test-secret", config=CONFIG)
    # Playwright's sync API keeps an event loop running on this thread: seed on another one
    run_async(lambda: _prepare(settings))
    with run_server(settings, embedder, Sites.load(CONFIG), demo=True) as live:
        yield live


@pytest.fixture
def console(page: Any) -> list[str]:
    """Console errors and warnings (a CSP violation is one), and any dialog a script opened."""
    seen: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and seen.append(m.text))
    page.on("pageerror", lambda exc: seen.append(f"pageerror: {exc}"))

    def dialog(d: Any) -> None:
        seen.append(f"dialog: {d.message}")
        d.dismiss()

    page.on("dialog", dialog)
    return seen


@pytest.fixture
def signed_in(reports_server: Any, page: Any, console: list[str]) -> Any:
    """Signed in through the inbox's own form (posted from the page's context, so the cookie
    lands in the browser without loading the inbox app itself)."""
    page.goto(reports_server.url + "/reports")
    assert page.url.endswith("/inbox/login?next=%2Freports")  # pages need a signed-in agent
    csrf = page.locator("input[name=csrf]").get_attribute("value")
    response = page.request.post(
        reports_server.url + "/inbox/login",
        form={"email": EMAIL, "password": PASSWORD, "csrf": csrf},
        max_redirects=0,
    )
    assert response.status == 303, response.text()
    return page


def axe_serious(page: Any) -> list[dict]:
    """axe-core, served from the page's own origin: the CSP forbids inline scripts, and the
    test must not weaken the policy it checks."""
    page.route("**/__axe.js", lambda route: route.fulfill(path=str(AXE)))
    page.add_script_tag(url="/__axe.js")
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => ({id: v.id, impact: v.impact,
                        nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def numbers(page: Any, selector: str) -> list[float]:
    return [float(t) for t in page.locator(selector).all_inner_texts()]


def test_signed_out_is_sent_to_sign_in(reports_server: Any, page: Any) -> None:
    for path in ("/reports", "/reports/scorecard", "/reports/page/app/dashboard"):
        page.goto(reports_server.url + path)
        # and back to that report once signed in
        assert page.url == reports_server.url + "/inbox/login?next=" + quote(path, safe=""), path


def test_where_users_get_stuck(reports_server: Any, signed_in: Any, console: list[str]) -> None:
    page = signed_in
    response = page.goto(reports_server.url + "/reports?since=30d")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert page.get_by_role("heading", level=1).inner_text() == "Where users get stuck"
    assert page.locator(".periods a[aria-current=true]").inner_text() == "30d"

    table = page.get_by_role("table", name=re.compile("Pages ranked by friction"))
    ranks = numbers(table, "tbody td.rank")
    assert ranks == list(range(1, len(ranks) + 1)) and len(ranks) >= 5
    scores = [float(t.split()[0]) for t in table.locator("tbody td.score").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    flagged = table.locator("tbody tr.anomalous", has_text=SPIKE)
    assert flagged.locator(".flag").inner_text() == "Rising"
    header = table.locator("thead").inner_text()
    for column in ("Sessions", "Users", "Struggle", "Questions", "Deflected", "Escalations",
                   "Triggers", "Thumbs up", "Thumbs down", "Avg CSAT (1–5)",
                   "Time to resolve"):  # fmt: skip
        assert column in header

    charts = page.locator("svg.chart")
    assert charts.count() == 4
    for i in range(4):
        assert charts.nth(i).locator("title").first.text_content()
    bars = page.locator("svg.bar-chart a.mark")
    assert bars.count() >= 5
    first = table.locator("tbody tr").first.locator("th a").get_attribute("href")
    assert bars.first.get_attribute("href") == first  # the chart ranks as the table does
    assert page.locator("svg.line-chart polyline").count() >= 2
    assert page.locator("svg.stacked-chart rect title").count() > 0

    # the hostile page name is shown as text, never run
    assert table.get_by_text(HOSTILE).count() == 1
    assert page.locator("img[src=x]").count() == 0
    assert console == []


def test_period_and_site_filters(reports_server: Any, signed_in: Any, console: list[str]) -> None:
    page = signed_in
    page.goto(reports_server.url + "/reports?since=30d")
    page.get_by_role("link", name="24h", exact=True).click()
    page.wait_for_url("**since=24h**")
    assert page.locator(".periods a[aria-current=true]").inner_text() == "24h"
    page.select_option("#site", "demo")  # the small script submits on change
    page.wait_for_url(re.compile(r"site=demo"))
    assert "since=24h" in page.url
    assert "site <code>demo</code>" in page.locator(".period-note").inner_html()
    page.goto(reports_server.url + "/reports?since=yesterday-ish")
    assert "Showing the last 7 days" in page.get_by_role("alert").inner_text()
    assert console == []


def test_csv_and_json_exports(reports_server: Any, signed_in: Any) -> None:
    page = signed_in
    page.goto(reports_server.url + "/reports?since=30d")
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("rank,template,friction")
    assert "/app/settings/team" in text
    href = page.get_by_role("link", name="JSON", exact=True).get_attribute("href")
    assert href.startswith("/api/reports/pages?") and "since=30d" in href


def test_page_detail_and_session_replay(
    reports_server: Any, signed_in: Any, console: list[str]
) -> None:
    page = signed_in
    page.goto(reports_server.url + "/reports?since=30d")
    page.get_by_role("table").get_by_role("link", name="/app/settings/team").click()
    page.wait_for_url("**/reports/page/app/settings/team?since=30d")
    assert page.locator("h1").inner_text() == "/app/settings/team"
    clusters = page.locator(".cluster")
    assert clusters.count() >= 2
    assert re.search(r"\d+ asked", clusters.first.inner_text())
    targets = page.get_by_role("table", name=re.compile("Where people struggled"))
    assert targets.locator("tbody tr").count() >= 1
    assert page.get_by_role("table", name=re.compile("Errors people hit")).count() == 1
    assert page.locator("svg.line-chart").count() == 1

    page.get_by_role("link", name=re.compile("^Replay")).first.click()
    page.wait_for_url(re.compile(r"/reports/session/\w+"))
    assert page.locator("h1").inner_text().startswith("Session ")
    items = page.locator("#timeline > li")
    assert items.count() > 3
    stamps = [t.get_attribute("datetime") for t in page.locator("#timeline > li > time").all()]
    assert stamps == sorted(stamps)  # in time order
    assert page.locator("#timeline > li.page").count() >= 1
    assert page.locator(".trail a").count() >= 1
    # the script's filter hides a kind of entry, and shows it again
    events = page.locator("#timeline > li[data-group=events]")
    if events.count():
        page.get_by_role("checkbox", name=re.compile("^Events")).uncheck()
        assert not events.first.is_visible()
        page.get_by_role("checkbox", name=re.compile("^Events")).check()
        assert events.first.is_visible()
    assert console == []


def test_hostile_question_is_text(reports_server: Any, signed_in: Any, console: list[str]) -> None:
    page = signed_in
    page.goto(reports_server.url + "/reports?since=7d")
    page.get_by_role("table").get_by_role("link", name=HOSTILE).click()
    page.locator(".cluster").first.wait_for()
    assert page.locator("h1").inner_text() == HOSTILE
    assert page.get_by_text(HOSTILE_QUESTION).count() == 1
    assert page.locator("img[src=x]").count() == 0
    page.goto(reports_server.url + "/reports/session/hostile0session")
    assert page.get_by_text(HOSTILE_QUESTION).count() == 1
    assert console == []
    response = page.goto(reports_server.url + "/reports/session/no-such-session")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Session not found"


def test_scorecard(reports_server: Any, signed_in: Any, console: list[str]) -> None:
    page = signed_in
    page.goto(reports_server.url + "/reports/scorecard?since=30d")
    side = page.get_by_role("table", name=re.compile("AI and people, side by side"))
    text = side.inner_text()
    for measure in ("Satisfied (CSAT 4–5)", "First-contact resolution", "Escalation rate",
                    "Time to first response", "Time to resolution"):  # fmt: skip
        assert measure in text
    assert side.locator("svg.sparkline").count() == 10  # five measures, two channels
    anomalies = page.locator(".anomalies li")
    assert anomalies.filter(has_text=SPIKE).locator("svg.sparkline").count() == 1
    by_page = page.get_by_role("table", name="By page")
    assert by_page.locator("tr.anomalous", has_text=SPIKE).count() == 1
    assert page.get_by_role("table", name="By issue type").locator("tbody tr").count() >= 2
    assert page.locator("svg.line-chart").count() == 4
    # every measure links to its definition on the page
    for link in side.locator("tbody th a").all():
        target = link.get_attribute("href")
        assert page.locator(target).count() == 1, target
    assert page.locator("#definitions dt").count() >= 8
    assert console == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violations(
    reports_server: Any, signed_in: Any, console: list[str], scheme: str
) -> None:
    page = signed_in
    page.emulate_media(color_scheme=scheme)
    page.goto(reports_server.url + "/reports?since=30d")
    assert axe_serious(page) == []
    page.goto(reports_server.url + "/reports/page/app/settings/team?since=30d")
    assert axe_serious(page) == []
    page.get_by_role("link", name=re.compile("^Replay")).first.click()
    page.wait_for_url(re.compile(r"/reports/session/"))
    assert axe_serious(page) == []
    page.goto(reports_server.url + "/reports/scorecard?since=30d")
    assert axe_serious(page) == []
    assert console == []
