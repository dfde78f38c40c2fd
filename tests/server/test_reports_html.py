"""`/reports` and `/reports/scorecard` in process over test_reports.py's hand-worked dataset,
on SQLite and PostgreSQL: what they show, and that the scorecard's three groupings come from
one read with the same numbers as three separate scorecards."""

from __future__ import annotations

from typing import Any

from tests.server.test_reports import GOALS, PERIOD, WEEK
from tests.server.test_reports_insights import agent, db  # noqa: F401  (fixtures)

from pageguide.db import Database
from pageguide.reports.scorecard import scorecard, scorecards


async def test_scorecards_share_one_read_and_match_scorecard(db: Database) -> None:  # noqa: F811
    cards = await scorecards(db, PERIOD, ("channel", "page", "issue_type"))
    for by in ("channel", "page", "issue_type"):
        alone = await scorecard(db, PERIOD, by)
        assert cards[by].lines == alone.lines and cards[by].trend == alone.trend, by
        assert cards[by].anomalies == alone.anomalies
    assert {(x.group, x.channel) for x in cards["page"].lines} == {
        (GOALS, "ai"), ("/app/dashboard", "ai"), (GOALS, "human"),
    }  # fmt: skip


async def test_scorecard_page_shows_every_grouping(agent: Any) -> None:  # noqa: F811
    html = (await agent.get(f"/reports/scorecard?{WEEK}")).text
    # the side-by-side table: 4 AI conversations, 2 handoffs
    assert '<th scope="row" class="text">Conversations</th><td>4</td><td></td><td>2</td>' in html
    by_page = html[html.index("By page") :]
    assert f"<code>{GOALS}</code>" in by_page
    assert "billing" in html[html.index("By issue type") :]


async def test_friction_page_ranks_the_pages(agent: Any) -> None:  # noqa: F811
    response = await agent.get(f"/reports?{WEEK}")
    assert response.status_code == 200, response.text
    html = response.text
    table = html[html.index("Pages ranked by friction") :]
    assert table.index(f"<code>{GOALS}</code>") < table.index("<code>/app/dashboard</code>")
    assert "Friction per week, top 2 pages" in html
    # a period longer than the anomaly scan's eight weeks takes its own trend read
    assert "Friction per week" in (await agent.get("/reports?since=90d")).text


async def test_the_two_csat_numbers_and_the_baselines_are_named(agent: Any) -> None:  # noqa: F811
    html = (await agent.get(f"/reports?{WEEK}")).text
    # goals: CSAT 2 and 5, an average of 3.5 under the average's name
    assert ">Avg CSAT (1–5)</abbr>" in html and "3.5 <span" in html
    assert "scored against every page in this period" in html
    assert "scored against that page's own weeks" in html
    assert "Rising compares the latest week with the page's seven weeks before" in html
    card = (await agent.get(f"/reports/scorecard?{WEEK}")).text
    # the AI's one response was a 5, the people's a 2: 100% and 0% satisfied
    assert "Satisfied (CSAT 4–5)</a></th><td>100%</td>" in card
    assert "Satisfied (CSAT 4–5) per week, AI and people" in card
    assert ">Avg CSAT (1–5)</dt>" in card
    detail = (await agent.get(f"/reports/page/app/dashboard?{WEEK}")).text
    assert "<dt>Avg CSAT (1–5)</dt>" in detail and "scored against this page's own days" in detail
