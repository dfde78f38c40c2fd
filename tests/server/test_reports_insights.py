"""What the docs miss, on SQLite and PostgreSQL: `findings` (the full misfiring, gap and
at-risk lists), `/api/reports/insights` as JSON and CSV, and the `/reports/insights` page,
whose every replay link opens a session. Over test_reports.py's hand-worked dataset:

- a1 (cites billing-change-plan) was thumbed down and followed by h1 three minutes later;
  a4 (cites dashboard-share) was followed by h2 ten minutes later: both articles misfired,
  one answer each; a2 (dashboard-create) was thumbed up and stands.
- the gaps are q1 (thumbed down, escalated), q3 (declined) and q4 (escalated): three
  different questions, one session each, ranked by title.
- acct-1 has two plain handoffs (1.5 each), a CSAT of 2 (2), a thumbs-down (1) and a session
  with two struggle signals (1): 7.0. acct-2 has only a good CSAT: not listed.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.server.test_reports import DASH, GOALS, PERIOD, WEEK, build
from tests.support.databases import migrated
from tests.support.report_pages import page_client

from pageguide.db import Database
from pageguide.insights.misfiring import MisfireQuestion, MisfiringArticle
from pageguide.reports.findings import findings
from pageguide.reports.insights_page import SHOW_QUESTIONS, misfiring_table

BILLING = "https://x/help/billing-change-plan"
SHARE = "https://x/help/dashboard-share"
GAP_TITLES = ["Can I delete a goal?", "How do I set a goal?", "How do I share a dashboard?"]
ACCT1_EVIDENCE = [
    ("low_csat", "s1"),
    ("escalation", "s4"),
    ("escalation", "s1"),
    ("thumbs_down", "s1"),
    ("struggle", "s1"),
]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def db(request, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    async with migrated(request.param, tmp_path_factory.mktemp(request.param)) as database:
        await build(database)
        yield database


@pytest.fixture
async def agent(db: Database) -> AsyncIterator[Any]:
    """The report pages and the API in one app, and a client signed in as an agent."""
    async with page_client(db) as client:
        yield client


async def test_findings_lists_every_misfire_gap_and_account(db: Database) -> None:
    report = await findings(db, PERIOD)
    assert [(a.url, a.cited, a.misfired, a.rate) for a in report.misfiring] == [
        (BILLING, 1, 1, 1.0),
        (SHARE, 1, 1, 1.0),
    ]
    billing, share = report.misfiring
    assert [(q.text, q.page, q.outcomes, q.session_id) for q in billing.questions] == [
        ("How do I set a goal?", GOALS, ["thumbs_down", "escalated"], "s1")
    ]
    assert [(q.text, q.page, q.outcomes, q.session_id) for q in share.questions] == [
        ("How do I share a dashboard?", DASH, ["escalated"], "s4")
    ]
    assert [(g.title, g.questions, g.sessions, g.page) for g in report.gaps] == [
        (GAP_TITLES[0], 1, 1, GOALS),
        (GAP_TITLES[1], 1, 1, GOALS),
        (GAP_TITLES[2], 1, 1, DASH),
    ]
    assert [g.reasons for g in report.gaps] == [
        {"declined": 1},
        {"escalated": 1, "thumbs_down": 1},
        {"escalated": 1},
    ]
    assert [(a.account_id, a.score) for a in report.accounts] == [("acct-1", 7.0)]
    acct = report.accounts[0]
    assert (acct.escalations, acct.low_csat, acct.thumbs_down, acct.struggle_sessions) == (
        2, 1, 1, 1,
    )  # fmt: skip
    assert [(x.kind, x.session_id) for x in acct.evidence] == ACCT1_EVIDENCE
    # globex's only session was happy and answered
    other = await findings(db, PERIOD, site="globex")
    assert (other.misfiring, other.gaps, other.accounts) == ([], [], [])


async def test_api_insights_json_and_csv(agent: Any) -> None:
    response = await agent.get(f"/api/reports/insights?{WEEK}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [a["url"] for a in body["misfiring"]] == [BILLING, SHARE]
    assert [g["title"] for g in body["gaps"]] == GAP_TITLES
    evidence = body["accounts"][0]["evidence"]
    assert [(x["kind"], x["session_id"]) for x in evidence] == ACCT1_EVIDENCE
    response = await agent.get(f"/api/reports/insights?{WEEK}&format=csv&table=misfiring")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("rank,article,url,cited,misfired")
    assert lines[1].endswith(f"How do I set a goal?,{GOALS},2026-03-02T10:01:01+00:00,"
                             "thumbs_down;escalated,s1")  # fmt: skip
    response = await agent.get(f"/api/reports/insights?{WEEK}&format=csv&table=accounts")
    rows = response.text.strip().splitlines()[1:]
    assert [r.split(",")[1] for r in rows] == ["acct-1"] * 5
    response = await agent.get(f"/api/reports/insights?{WEEK}&format=csv&table=gaps")
    assert [r.split(",")[1] for r in response.text.strip().splitlines()[1:]] == GAP_TITLES
    response = await agent.get("/api/reports/insights?table=nope")
    assert response.status_code == 400 and "table must be one of" in response.json()["message"]


async def test_insights_page_lists_them_and_every_replay_opens(agent: Any) -> None:
    response = await agent.get(f"/reports/insights?{WEEK}")
    assert response.status_code == 200, response.text
    html = response.text
    assert '<a href="/reports/insights?' in html and 'aria-current="page">What the docs' in html
    for text in (BILLING, SHARE, *GAP_TITLES, "acct-1", "Low CSAT", "CSAT 2/5"):
        assert text in html, text
    # the misfiring table's order: billing first
    assert html.index(BILLING) < html.index(SHARE)
    assert "thumbs down, handed to a person" in html
    replays = sorted(set(re.findall(r'href="(/reports/session/[^"?]+)', html)))
    assert replays == ["/reports/session/s1", "/reports/session/s4"]
    for href in re.findall(r'href="(/reports/session/[^"]+)"', html):
        page = await agent.get(href.replace("&amp;", "&"))
        assert page.status_code == 200, href
        assert href.split("/")[-1].split("?")[0] in page.text
    # the gaps' pages open their page reports
    assert 'href="/reports/page/:site/settings/goals?' in html
    empty = await agent.get(f"/reports/insights?{WEEK}&site=globex")
    assert "No cited answer misfired in this period." in empty.text


async def test_anonymous_is_sent_to_sign_in(db: Database, agent: Any) -> None:
    agent.cookies.clear()
    response = await agent.get("/reports/insights", params={"since": "7d", "site": "acme"})
    assert response.status_code == 303  # and back here after signing in, filters and all
    assert response.headers["location"] == (
        "/inbox/login?next=%2Freports%2Finsights%3Fsince%3D7d%26site%3Dacme"
    )
    assert (await agent.get("/api/reports/insights")).status_code == 401


def test_article_and_question_text_stay_text() -> None:
    at = datetime(2026, 3, 2, tzinfo=UTC)
    article = MisfiringArticle(
        title="<script>alert(1)</script>",
        url="javascript:alert(2)",
        cited=1, misfired=1, rate=1.0, score=0.5, thumbs_down=1, escalated=0, repeated=0,
        questions=[MisfireQuestion(text='<img src=x onerror="x">', page="/<b>", at=at,
                                   outcomes=["thumbs_down"], session_id="s1")],
    )  # fmt: skip
    html = misfiring_table([article], "")
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html  # a source URL that is not a web address: no link


async def test_findings_over_a_generated_history(tmp_path: Any) -> None:
    """The demo generator's thumbs-down and escalations come out as listed
    accounts and misfiring articles, and every session they point at can be replayed."""
    from pageguide.demo.seed import seed
    from pageguide.reports.period import parse_period
    from pageguide.reports.queries import session_timeline

    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    async with migrated("sqlite", tmp_path) as db:
        await seed(db, sessions=400, days=14, now=now)
        report = await findings(db, parse_period("14d", now=now))
        assert report.misfiring and report.gaps and report.accounts
        kinds = {x.kind for a in report.accounts for x in a.evidence}
        assert {"escalation", "thumbs_down"} <= kinds, kinds
        scores = [a.score for a in report.accounts]
        assert scores == sorted(scores, reverse=True) and min(scores) >= 3.0
        assert all(a.questions and a.misfired == len(a.questions) for a in report.misfiring)
        sessions = {x.session_id for a in report.accounts for x in a.evidence} | {
            q.session_id for a in report.misfiring for q in a.questions
        }
        for session_id in sorted(sessions)[:25]:
            assert await session_timeline(db, session_id) is not None, session_id


def test_the_page_shows_the_latest_misfired_questions_and_links_the_rest() -> None:
    at = datetime(2026, 3, 2, tzinfo=UTC)
    shown = SHOW_QUESTIONS
    questions = [
        MisfireQuestion(text=f"question {i}", page="/p", at=at, outcomes=["repeated"])
        for i in range(shown + 7)
    ]
    article = MisfiringArticle(
        title="Share", url=SHARE, cited=90, misfired=len(questions), rate=0.6, score=0.5,
        thumbs_down=0, escalated=0, repeated=len(questions), questions=questions,
    )  # fmt: skip
    html = misfiring_table([article], "", "/api/reports/insights?format=csv&table=misfiring")
    assert html.count("<li><q>") == shown
    assert f"question {shown - 1}<" in html and f"question {shown}<" not in html
    assert f"<summary>{shown + 7} questions</summary>" in html
    assert "… and <a" in html and ">7 older ones in the CSV</a>" in html
    assert 'href="/api/reports/insights?format=csv&amp;table=misfiring"' in html
