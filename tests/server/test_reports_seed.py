"""The demo history generator: deterministic, bulk, skips a used database, and the reports
find the demo's friction points in it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.support.databases import migrated

from pageguide.db.queries import Repository
from pageguide.demo.seed import seed
from pageguide.protocol import PageContext
from pageguide.reports.period import parse_period
from pageguide.reports.queries import page_detail, page_report

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


async def test_seed_is_deterministic_and_skips_a_used_database(tmp_path: Path) -> None:
    reports = []
    for name in ("a", "b"):
        async with migrated("sqlite", tmp_path / name) as db:
            first = await seed(db, sessions=150, days=7, seed=3, now=NOW)
            assert not first.skipped and first.sessions == 150
            assert first.events > 150 * 5 and first.questions > 0 and first.handoffs > 0
            again = await seed(db, sessions=150, days=7, seed=3, now=NOW)
            assert again.skipped and "already has sessions" in again.summary()
            forced = await seed(db, sessions=20, days=7, seed=3, now=NOW, force=True)
            assert forced.sessions == 20  # new ids: no clash with the first run
            report = await page_report(db, parse_period("7d", now=NOW))
            reports.append(
                [(r.template, r.sessions, r.questions, r.friction) for r in report.pages]
            )
            counts = await Repository(db).counts()
            assert counts["sessions"] == 170
    assert reports[0] == reports[1]


@pytest.mark.postgres
async def test_seed_on_postgres_shows_the_friction_points(tmp_path: Path) -> None:
    async with migrated("postgres", tmp_path) as db:
        result = await seed(db, sessions=600, days=14, now=NOW)
        assert result.sessions == 600 and result.agents == 3
        # serial sequences moved past the explicit ids: the app can still write
        repo = Repository(db)
        await repo.start_session("live", "demo", "ua", "http://127.0.0.1")
        view = await repo.add_page_view("live", PageContext(url="http://x/a", path="/a"))
        qid, created = await repo.add_question("live", "c1", view, "hello?")
        assert created and qid > 0
        report = await page_report(db, parse_period("14d", now=NOW))
        assert {r.template for r in report.pages[:2]} == {
            "/app/settings/billing",
            "/app/settings/team",
        }
        assert sum(r.escalations for r in report.pages) > 0
        team = await page_detail(
            db, "/app/settings/team", parse_period("14d", now=NOW), clusters=False
        )
        assert team.struggle_targets[0].target_text == "Send invite"
        assert any(e.message == "POST /api/team/invites → 500" for e in team.errors)
        billing = await page_detail(
            db, "/app/settings/billing", parse_period("14d", now=NOW), clusters=False
        )
        assert billing.struggle_targets[0].target_text == "Save"


async def test_seed_is_as_the_live_server_writes_it(tmp_path: Path) -> None:
    from sqlalchemy import select

    from pageguide.db import models as m
    from pageguide.reports.scorecard import scorecard

    async with migrated("sqlite", tmp_path) as db:
        done = await seed(db, sessions=800, now=NOW, base_url="https://lumen.example:9000/")
        assert done.drafts > 0 and done.flags > 0
        async with db.session() as s:
            asked = list(await s.execute(
                select(m.Question.session_id, m.Question.at, m.Answer.id)
                .outerjoin(m.Answer, m.Answer.question_id == m.Question.id)
                .where(m.Question.text == "can I talk to a person?")
            ))  # fmt: skip
            handoffs = list(
                await s.execute(select(m.HandoffRow.session_id, m.HandoffRow.created_at))
            )
            sources = [u["url"] for (x,) in await s.execute(select(m.Answer.sources)) for u in x]
            nudges = [u["url"] for (x,) in await s.execute(select(m.Nudge.sources)) for u in x]
            drafts = list(await s.scalars(select(m.Draft)))
            flags = list(await s.scalars(select(m.AnswerFlag)))
            first_at = await s.scalar(select(m.Session.created_at).order_by(m.Session.created_at))
        # asking for a person is never answered: it is handed over
        assert asked and all(answer is None for _, _, answer in asked)
        by_session: dict[str, int] = {}
        for sid, _ in handoffs:
            by_session[sid] = by_session.get(sid, 0) + 1
        assert all(by_session.get(sid) for sid, _, _ in asked)
        assert any(n >= 2 for n in by_session.values()), "some handoffs are reopened"
        # sources are absolute, as the server writes them
        assert sources and nudges
        assert all(u.startswith("https://lumen.example:9000/help/") for u in sources + nudges)
        assert all(d.status == "draft" and d.handoff_id and d.title and d.body for d in drafts)
        assert any("## Steps" in d.body for d in drafts)
        assert len(drafts) == done.drafts and len(flags) == done.flags
        assert all(f.status == "open" and f.correction for f in flags)
        # eight weeks of history for the 8-week charts
        assert first_at is not None and (NOW - first_at.replace(tzinfo=UTC)).days >= 50
        card = await scorecard(db, parse_period("8w", now=NOW), weeks=8)
        human = [line for line in card.lines if line.channel == "human"]
        assert human and human[0].escalation_rate and human[0].escalation_rate > 0
