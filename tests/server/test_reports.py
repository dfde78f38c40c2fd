"""The reports on SQLite and PostgreSQL, over a small dataset whose numbers are worked out by
hand below. Two sites, two tenants on one template `/:site/settings/goals` (one row), a
dashboard page, signals, questions, answers, feedback, CSAT and two handoffs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from tests.support.databases import migrated

from pageguide.db import Database
from pageguide.db import models as m
from pageguide.reports.conversations import human_conversations
from pageguide.reports.issue_types import IssueTypes
from pageguide.reports.period import Period
from pageguide.reports.queries import page_detail, page_report, session_timeline
from pageguide.reports.scorecard import scorecard

D = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
PERIOD = Period(start=D, end=D + timedelta(days=7), label="test week")
GOALS = "/:site/settings/goals"
DASH = "/app/dashboard"


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return D + timedelta(days=day, hours=hour, minutes=minute, seconds=second)


def identity(user: str, account: str) -> dict:
    return {"user_id": user, "account": {"id": account, "tier": "enterprise"}}


async def build(db: Database) -> None:
    """
    s1 acme  u1/acct-1  goals pv1 d0 10:00 (rage_click + dead_click on Save), q1 10:01 answered
                        (billing-change-plan, 400 ms) and thumbs down; h1 on goals 10:03
                        [thumbs_down, asked_for_human], first response 10:04, closed 10:13
                        (600 s), issue billing; CSAT 2 at 10:14; dashboard pv2 10:05
    s2 globex u2/acct-2 goals pv3 d1 09:00 (error_loop on the form), 2× POST /api/goals 500,
                        1× invalid "Name is required"; q2 09:01 (the same question, other case)
                        answered 09:01:01 in 2 s (dashboard-create, 600 ms), thumbs up; CSAT 5
    s3 acme  anonymous  goals pv4 d2 12:00; q3 12:01 declined (300 ms)
    s4 acme  u1/acct-1  dashboard pv5 d2 11:00, q4 11:02 answered (dashboard-share, 500 ms);
                        goals pv6 11:10; h2 on goals 11:12 [low_confidence], returned
    s5 globex           goals, two days before the period: not counted
    """
    async with db.session() as s, s.begin():
        s.add_all(
            [
                m.Session(id="s1", site_key="acme", created_at=at(0, 10), identity=identity(
                    "u1", "acct-1"), account_id="acct-1"),
                m.Session(id="s2", site_key="globex", created_at=at(1, 9), identity=identity(
                    "u2", "acct-2"), account_id="acct-2"),
                m.Session(id="s3", site_key="acme", created_at=at(2, 12)),
                m.Session(id="s4", site_key="acme", created_at=at(2, 11), identity=identity(
                    "u1", "acct-1"), account_id="acct-1"),
                m.Session(id="s5", site_key="globex", created_at=at(-2, 9)),
            ]
        )  # fmt: skip
        await s.flush()

        def view(pid: int, sid: str, path: str, template: str, when: datetime) -> m.PageView:
            return m.PageView(id=pid, session_id=sid, url=f"https://x{path}", path=path,
                              template=template, title=template, at=when)  # fmt: skip

        s.add_all(
            [
                view(1, "s1", "/acme/settings/goals", GOALS, at(0, 10)),
                view(2, "s1", "/app/dashboard", DASH, at(0, 10, 5)),
                view(3, "s2", "/globex/settings/goals", GOALS, at(1, 9)),
                view(4, "s3", "/acme/settings/goals", GOALS, at(2, 12)),
                view(5, "s4", "/app/dashboard", DASH, at(2, 11)),
                view(6, "s4", "/acme/settings/goals", GOALS, at(2, 11, 10)),
                view(7, "s5", "/globex/settings/goals", GOALS, at(-2, 9)),
            ]
        )
        await s.flush()
        s.add_all(
            [
                m.SignalRow(session_id="s1", page_view_id=1, kind="rage_click", score=0.9,
                            target="button.save", target_text="Save", at=at(0, 10, 0, 30)),
                m.SignalRow(session_id="s1", page_view_id=1, kind="dead_click", score=0.7,
                            target="button.save", target_text="Save", at=at(0, 10, 0, 40)),
                m.SignalRow(session_id="s2", page_view_id=3, kind="error_loop", score=0.8,
                            target="form#goal", target_text="Goal", at=at(1, 9, 0, 50)),
                m.SignalRow(session_id="s5", page_view_id=7, kind="rage_click", score=0.9,
                            target="button.save", target_text="Save", at=at(-2, 9, 1)),
                m.Event(session_id="s2", page_view_id=3, kind="http_error", client_t=1,
                        data={"method": "POST", "path": "/api/goals", "status": 500},
                        at=at(1, 9, 0, 10)),
                m.Event(session_id="s2", page_view_id=3, kind="http_error", client_t=2,
                        data={"method": "POST", "path": "/api/goals", "status": 500},
                        at=at(1, 9, 0, 20)),
                m.Event(session_id="s2", page_view_id=3, kind="invalid", client_t=3,
                        data={"message": "Name is required"}, at=at(1, 9, 0, 30)),
                m.Event(session_id="s2", page_view_id=3, kind="click", client_t=4,
                        target={"selector": "button.save", "text": "Save"},
                        data={"effect": "none"}, at=at(1, 9, 0, 31)),
                m.Question(id=1, session_id="s1", client_id="c1", page_view_id=1,
                           text="How do I set a goal?", at=at(0, 10, 1)),
                m.Question(id=2, session_id="s2", client_id="c2", page_view_id=3,
                           text="how do i set a goal?", at=at(1, 9, 1)),
                m.Question(id=3, session_id="s3", client_id="c3", page_view_id=4,
                           text="Can I delete a goal?", at=at(2, 12, 1)),
                m.Question(id=4, session_id="s4", client_id="c4", page_view_id=5,
                           text="How do I share a dashboard?", at=at(2, 11, 2)),
            ]
        )  # fmt: skip
        await s.flush()

        def src(slug: str) -> list[dict]:
            return [{"title": slug, "url": f"https://x/help/{slug}#top"}]

        s.add_all(
            [
                m.Answer(id="a1", question_id=1, session_id="s1", text="Go to Goals.",
                         sources=src("billing-change-plan"), confidence=0.8, status="complete",
                         first_token_ms=400, total_ms=1500, at=at(0, 10, 1, 1)),
                m.Answer(id="a2", question_id=2, session_id="s2", text="Go to Goals.",
                         sources=src("dashboard-create"), confidence=0.8, status="complete",
                         first_token_ms=600, total_ms=2000, at=at(1, 9, 1, 1)),
                m.Answer(id="a3", question_id=3, session_id="s3", text="I couldn't find this.",
                         sources=[], confidence=0.1, status="declined", first_token_ms=300,
                         total_ms=300, at=at(2, 12, 1, 1)),
                m.Answer(id="a4", question_id=4, session_id="s4", text="Click Share.",
                         sources=src("dashboard-share"), confidence=0.9, status="complete",
                         first_token_ms=500, total_ms=1000, at=at(2, 11, 2, 1)),
            ]
        )  # fmt: skip
        await s.flush()
        s.add_all(
            [
                m.Feedback(session_id="s1", answer_id="a1", rating="down", at=at(0, 10, 2)),
                m.Feedback(session_id="s2", answer_id="a2", rating="up", at=at(1, 9, 2)),
                m.HandoffRow(id="h1", session_id="s1", site_key="acme", status="closed",
                             triggers=[{"kind": "thumbs_down"}, {"kind": "asked_for_human"}],
                             template=GOALS, path="/acme/settings/goals", created_at=at(0, 10, 3),
                             claimed_at=at(0, 10, 3, 30), first_response_at=at(0, 10, 4),
                             closed_at=at(0, 10, 13), tags={"issue_type": "billing"},
                             resolution_note="Fixed the plan."),
                m.HandoffRow(id="h2", session_id="s4", site_key="acme", status="returned",
                             triggers=[{"kind": "low_confidence"}], template=GOALS,
                             path="/acme/settings/goals", created_at=at(2, 11, 12)),
                m.Csat(session_id="s1", score=2, at=at(0, 10, 14)),
                m.Csat(session_id="s2", score=5, at=at(1, 9, 5)),
            ]
        )  # fmt: skip
        await s.flush()
        s.add(m.Message(session_id="s1", handoff_id="h1", role="agent", author="Ana",
                        text="Hi, I can help.", at=at(0, 10, 4)))  # fmt: skip


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def db(request, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    async with migrated(request.param, tmp_path_factory.mktemp(request.param)) as database:
        await build(database)
        yield database


def rows_by_template(report):
    return {r.template: r for r in report.pages}


async def test_pages_report_numbers(db: Database) -> None:
    report = await page_report(db, PERIOD)
    assert report.sessions == 4 and report.questions == 4 and report.escalations == 2
    assert [r.template for r in report.pages] == [GOALS, DASH]  # ranked by friction
    goals, dash = report.pages
    assert (goals.rank, dash.rank) == (1, 2)
    # both tenants' goals pages are one row; s5 is outside the period
    assert (goals.sessions, goals.users, goals.accounts) == (4, 3, 2)
    assert (goals.struggle_sessions, goals.struggle_rate) == (2, 0.5)
    assert goals.signals == {"dead_click": 1, "error_loop": 1, "rage_click": 1}
    assert (goals.questions, goals.answered, goals.deflected) == (3, 2, 1)
    assert goals.deflection_rate == pytest.approx(1 / 3, abs=1e-4)
    assert (goals.escalations, goals.escalated_sessions, goals.escalation_rate) == (2, 2, 0.5)
    assert goals.triggers == {"asked_for_human": 1, "low_confidence": 1, "thumbs_down": 1}
    assert (goals.thumbs_up, goals.thumbs_down) == (1, 1)
    assert (goals.csat_responses, goals.csat_average, goals.csat_low) == (2, 3.5, 1)
    assert (goals.resolved_handoffs, goals.median_resolution_seconds) == (1, 600.0)
    # the friction score, pooled prior: struggle 2/6, escalation 2/6, 👎 1/2, low CSAT 2/3
    assert goals.friction == pytest.approx(42.36, abs=0.01)
    assert dash.friction == pytest.approx(39.17, abs=0.01)
    assert (dash.sessions, dash.users, dash.accounts, dash.struggle_sessions) == (2, 1, 1, 0)
    # q4 was followed by a handoff, but on another page: still deflected here
    assert (dash.questions, dash.deflected, dash.escalations) == (1, 1, 0)
    assert (dash.csat_responses, dash.csat_average, dash.csat_low) == (1, 2.0, 1)
    assert dash.median_resolution_seconds is None


async def test_pages_report_for_one_site(db: Database) -> None:
    report = await page_report(db, PERIOD, site="acme")
    goals = rows_by_template(report)[GOALS]
    assert (goals.sessions, goals.users, goals.questions, goals.deflected) == (3, 2, 2, 0)
    assert (goals.escalations, goals.thumbs_down, goals.thumbs_up) == (2, 1, 0)
    assert (goals.csat_responses, goals.csat_average) == (1, 2.0)
    other = await page_report(db, PERIOD, site="globex")
    assert [(r.template, r.sessions, r.escalations) for r in other.pages] == [(GOALS, 1, 0)]
    empty = await page_report(db, Period(start=D - timedelta(days=30), end=D - timedelta(
        days=20), label="x"))  # fmt: skip
    assert empty.pages == [] and empty.sessions == 0


async def test_page_detail(db: Database) -> None:
    detail = await page_detail(db, GOALS, PERIOD, clusters=False)
    assert detail.row.template == GOALS and detail.row.rank == 1
    assert [(c.label.lower(), c.count) for c in detail.question_clusters] == [
        ("how do i set a goal?", 2),
        ("can i delete a goal?", 1),
    ]
    assert [(t.kind, t.target, t.target_text, t.signals, t.sessions)
            for t in detail.struggle_targets] == [
        ("dead_click", "button.save", "Save", 1, 1),
        ("error_loop", "form#goal", "Goal", 1, 1),
        ("rage_click", "button.save", "Save", 1, 1),
    ]  # fmt: skip
    errors = [(e.kind, e.message, e.events, e.sessions) for e in detail.errors]
    assert errors == [
        ("http_error", "POST /api/goals → 500", 2, 1),
        ("invalid", "Name is required", 1, 1),
    ]
    assert detail.errors[0].status == "500"
    sessions = detail.example_sessions
    assert [x.session_id for x in sessions] == ["s1", "s4", "s2", "s3"]
    s1 = sessions[0]
    assert (s1.escalated, s1.signals, s1.questions, s1.page_views) == (True, 2, 1, 2)
    assert s1.pages == [GOALS, DASH]
    assert len(detail.trend) == 7 and sum(p.sessions for p in detail.trend) == 4
    assert [p.sessions for p in detail.trend][:3] == [1, 1, 2]


async def test_session_timeline(db: Database) -> None:
    assert await session_timeline(db, "nope") is None
    timeline = await session_timeline(db, "s1")
    assert timeline is not None
    assert (timeline.site_key, timeline.account_id, timeline.user_id) == ("acme", "acct-1", "u1")
    kinds = [i.kind for i in timeline.items]
    assert kinds == [
        "page", "signal", "signal", "question", "answer", "feedback", "handoff", "message",
        "page", "handoff", "csat",
    ]  # fmt: skip
    assert [i.at for i in timeline.items] == sorted(i.at for i in timeline.items)
    assert timeline.items[3].template == GOALS
    assert "thumbs_down" in timeline.items[6].summary


async def test_scorecard_by_channel(db: Database) -> None:
    card = await scorecard(db, PERIOD, "channel")
    lines = {line.channel: line for line in card.lines}
    ai, human = lines["ai"], lines["human"]
    assert (ai.conversations, ai.finished, ai.resolved_first_contact, ai.fcr) == (4, 4, 1, 0.25)
    assert (ai.escalated, ai.escalation_rate) == (2, 0.5)
    assert (ai.csat_responses, ai.csat, ai.csat_average) == (1, 1.0, 5.0)
    assert ai.first_response_median_seconds == pytest.approx(0.45)
    assert ai.resolution_median_seconds == pytest.approx(3.0, abs=0.01)
    assert (human.conversations, human.finished, human.resolved_first_contact) == (2, 2, 1)
    assert (human.fcr, human.escalated, human.escalation_rate) == (0.5, 0, 0.0)
    assert (human.csat_responses, human.csat, human.csat_average) == (1, 0.0, 2.0)
    assert human.first_response_median_seconds == 60.0
    assert human.resolution_median_seconds == 600.0
    assert len(card.weeks) == 8
    latest = [t for t in card.trend if t.week == card.weeks[-1]]
    assert {t.channel: t.conversations for t in latest} == {"ai": 4, "human": 2}
    assert card.anomalies == []


async def test_scorecard_by_issue_type_and_page(db: Database) -> None:
    issue_types = IssueTypes({"billing-change-plan": ["billing"], "dashboard-create": ["x"]})
    card = await scorecard(db, PERIOD, "issue_type", issue_types=issue_types)
    got = {(line.group, line.channel): line.conversations for line in card.lines}
    assert got == {
        ("billing", "ai"): 1,
        ("how_to", "ai"): 1,
        ("unknown", "ai"): 2,
        ("billing", "human"): 1,
        ("unknown", "human"): 1,
    }
    card = await scorecard(db, PERIOD, "page")
    got = {(line.group, line.channel): line.conversations for line in card.lines}
    assert got == {(GOALS, "ai"): 3, (DASH, "ai"): 1, (GOALS, "human"): 2}


# ---------------------------------------------------------------- reopened handoffs


async def build_reopened(db: Database) -> None:
    """Handoffs that come back, and controls that do not (human escalation rate, FCR and time
    to resolution), plus one escalated and one resolved AI conversation to compare with.

    r1  q d0 08:58 answered (1 s); hA d0 09:00, first response 09:01, closed 09:01 (60 s);
        hB d0 09:30 closed 09:50 (1200 s): the session needed a person again, so hA escalated
    c1  user u9: hC d1 10:00 closed 10:05 (300 s)
    c2  user u9, another session: hD d1 11:00 closed 11:30 (1800 s): hC not escalated
    o1  hE d2 12:00 closed 12:02 (120 s); hF d2 12:01, opened while hE was still open,
        returned: hE escalated all the same (a later handoff in the same session)
    p1  hOld d-2, before the period; hG d3 14:00 closed 14:15 (900 s): a handoff before it
        does not make hG escalated
    a1  q d4 10:00 answered (2 s), no handoff: a resolved AI conversation
    """
    async with db.session() as s, s.begin():
        u9 = identity("u9", "acct-9")
        s.add_all(
            [
                m.Session(id="r1", site_key="acme", created_at=at(0, 8, 55)),
                m.Session(id="c1", site_key="acme", created_at=at(1, 9, 55), identity=u9,
                          account_id="acct-9"),
                m.Session(id="c2", site_key="acme", created_at=at(1, 10, 55), identity=u9,
                          account_id="acct-9"),
                m.Session(id="o1", site_key="acme", created_at=at(2, 11, 55)),
                m.Session(id="p1", site_key="acme", created_at=at(-2, 9)),
                m.Session(id="a1", site_key="acme", created_at=at(4, 9, 59)),
            ]
        )  # fmt: skip
        await s.flush()
        s.add_all(
            [
                m.Question(id=1, session_id="r1", client_id="c1", text="How do I export?",
                           at=at(0, 8, 58)),
                m.Question(id=2, session_id="a1", client_id="c2", text="How do I share?",
                           at=at(4, 10)),
            ]
        )  # fmt: skip
        await s.flush()
        s.add_all(
            [
                m.Answer(id="a1", question_id=1, session_id="r1", text="Use Export.",
                         sources=[], confidence=0.8, status="complete", first_token_ms=300,
                         total_ms=1000, at=at(0, 8, 58)),
                m.Answer(id="a2", question_id=2, session_id="a1", text="Click Share.",
                         sources=[], confidence=0.9, status="complete", first_token_ms=500,
                         total_ms=2000, at=at(4, 10)),
            ]
        )  # fmt: skip

        def handoff(
            hid: str,
            sid: str,
            created: datetime,
            status: str,
            closed: datetime | None = None,
            first_response: datetime | None = None,
        ) -> m.HandoffRow:
            return m.HandoffRow(id=hid, session_id=sid, site_key="acme", status=status,
                                template=GOALS, path="/acme/settings/goals", created_at=created,
                                first_response_at=first_response, closed_at=closed)  # fmt: skip

        s.add_all(
            [
                handoff("hA", "r1", at(0, 9), "closed", at(0, 9, 1), first_response=at(0, 9, 1)),
                handoff("hB", "r1", at(0, 9, 30), "closed", at(0, 9, 50)),
                handoff("hC", "c1", at(1, 10), "closed", at(1, 10, 5)),
                handoff("hD", "c2", at(1, 11), "closed", at(1, 11, 30)),
                handoff("hE", "o1", at(2, 12), "closed", at(2, 12, 2)),
                handoff("hF", "o1", at(2, 12, 1), "returned"),
                handoff("hOld", "p1", at(-2, 9), "closed", at(-2, 9, 10)),
                handoff("hG", "p1", at(3, 14), "closed", at(3, 14, 15)),
            ]
        )


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def reopened_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    async with migrated(request.param, tmp_path_factory.mktemp(request.param)) as database:
        await build_reopened(database)
        yield database


async def test_a_handoff_followed_by_another_in_its_session_is_escalated(
    reopened_db: Database,
) -> None:
    convs = sorted(await human_conversations(reopened_db, PERIOD.start, PERIOD.end),
                   key=lambda c: c.at)  # fmt: skip
    # hA, hB, hC, hD, hE, hF, hG: (escalated, finished, resolved, time to resolution)
    assert [(c.escalated, c.finished, c.resolved, c.resolution_s) for c in convs] == [
        (True, True, False, None),  # hA: closed, then r1 needed a person again
        (False, True, True, 1200.0),  # hB
        (False, True, True, 300.0),  # hC: the next handoff is in another session
        (False, True, True, 1800.0),  # hD
        (True, True, False, None),  # hE: hF came while it was still open
        (False, True, False, None),  # hF: returned to the AI
        (False, True, True, 900.0),  # hG: the session's other handoff came before it
    ]
    card = await scorecard(reopened_db, PERIOD, "channel", anomalies=False)
    human = next(line for line in card.lines if line.channel == "human")
    assert (human.conversations, human.escalated, human.escalation_rate) == (7, 2, 0.2857)


async def test_a_reopened_handoff_is_not_resolved_like_an_escalated_ai_conversation(
    reopened_db: Database,
) -> None:
    card = await scorecard(reopened_db, PERIOD, "channel", anomalies=False)
    lines = {line.channel: line for line in card.lines}
    ai, human = lines["ai"], lines["human"]
    # the AI: r1 escalated (not resolved, no time to resolution), a1 resolved in 2 s
    assert (ai.conversations, ai.escalated, ai.finished, ai.resolved_first_contact) == (2, 1, 2, 1)
    assert (ai.fcr, ai.resolution_median_seconds) == (0.5, 2.0)
    # the people: hA and hE were reopened, hF returned; resolved hB, hC, hD, hG
    assert (human.finished, human.resolved_first_contact, human.fcr) == (7, 4, 0.5714)
    # median of 300, 900, 1200 and 1800 s; hA's 60 s and hE's 120 s are left out (with them,
    # the median would be 600 s)
    assert human.resolution_median_seconds == 1050.0
    assert (human.first_response_median_seconds, human.first_response_p90_seconds) == (60.0, 60.0)


# ---------------------------------------------------------------- the HTTP API


@pytest.fixture
async def client(db: Database) -> AsyncIterator[Any]:
    import httpx
    from starlette.applications import Starlette

    from pageguide.inbox.auth import COOKIE, Agents
    from pageguide.reports.api import routes

    app = Starlette(routes=routes())
    agents = Agents(db)
    if not await agents.list():
        await agents.add("pm@example.com", "PM", "a-long-password")
    app.state.inbox = SimpleNamespace(agents=agents)
    app.state.services = SimpleNamespace(repo=SimpleNamespace(db=db), guide=None)
    token = await agents.sign_in("pm@example.com", "a-long-password")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as anonymous:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", cookies={COOKIE: token}
        ) as signed_in:
            yield SimpleNamespace(anonymous=anonymous, agent=signed_in)


WEEK = "since=2026-03-02&until=2026-03-08"  # an ISO date as `until` includes that day


async def test_api_requires_a_signed_in_agent(client: Any) -> None:
    for path in (
        f"/api/reports/pages?{WEEK}",
        "/api/reports/pages/app/dashboard",
        "/api/reports/sessions/s1/timeline",
        "/api/reports/scorecard",
    ):
        response = await client.anonymous.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"] == "unauthorized"


async def test_api_pages_json_and_csv(client: Any) -> None:
    response = await client.agent.get(f"/api/reports/pages?{WEEK}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["period"]["start"].startswith("2026-03-02T00:00:00")
    assert body["period"]["end"].startswith("2026-03-09T00:00:00")
    goals = body["pages"][0]
    assert (goals["template"], goals["sessions"], goals["escalations"]) == (GOALS, 4, 2)
    response = await client.agent.get(f"/api/reports/pages?{WEEK}&site=acme&format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    lines = response.text.strip().splitlines()
    header = lines[0].split(",")
    first = dict(zip(header, lines[1].split(","), strict=False))
    assert (first["rank"], first["template"], first["sessions"]) == ("1", GOALS, "3")
    assert first["signals_rage_click"] == "1"


async def test_api_page_detail_timeline_and_scorecard(client: Any) -> None:
    for path in (
        "/api/reports/pages/:site/settings/goals",
        "/api/reports/pages/%2F:site%2Fsettings%2Fgoals",
    ):
        response = await client.agent.get(f"{path}?{WEEK}&clusters=0")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["template"] == GOALS and body["row"]["sessions"] == 4
    response = await client.agent.get(
        f"/api/reports/pages/:site/settings/goals?{WEEK}&clusters=0&format=csv&table=errors"
    )
    assert response.status_code == 200
    assert "POST /api/goals → 500" in response.text
    response = await client.agent.get("/api/reports/sessions/s1/timeline")
    assert response.status_code == 200 and response.json()["items"][0]["kind"] == "page"
    assert (await client.agent.get("/api/reports/sessions/nope/timeline")).status_code == 404
    response = await client.agent.get(f"/api/reports/scorecard?{WEEK}&by=channel")
    assert response.status_code == 200
    lines = {line["channel"]: line for line in response.json()["lines"]}
    assert lines["ai"]["conversations"] == 4 and lines["human"]["conversations"] == 2
    response = await client.agent.get(f"/api/reports/scorecard?{WEEK}&by=page&format=csv")
    assert response.status_code == 200 and response.text.startswith("week,group,channel")


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("pages?since=banana", "since='banana'"),
        ("pages?since=2026-02-30", "not a real date"),
        ("pages?since=2026-03-08&until=2026-03-01", "must be before"),
        ("pages?since=7d&sinse=30d", "unknown parameter sinse"),
        ("pages?format=xml", "format must be one of json, csv"),
        ("pages?site=a%20b", "site must be a site key"),
        ("pages?since=7d&since=30d", "since given more than once"),
        ("scorecard?by=agent", "by must be one of channel, page, issue_type"),
        ("scorecard?weeks=0", "weeks must be from 1 to 52"),
        ("scorecard?weeks=many", "weeks must be a whole number"),
        ("pages/app/dashboard?table=nope", "table must be one of"),
        ("sessions/not%20an%20id/timeline", "not a session id"),
    ],
)
async def test_api_rejects_bad_parameters(client: Any, query: str, words: str) -> None:
    response = await client.agent.get(f"/api/reports/{query}")
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "bad_request"
    assert words in response.json()["message"]


# ---------------------------------------------------------------- the CLI


def test_cli_report(db: Database) -> None:
    import json

    from click.testing import CliRunner

    from pageguide.cli import main

    runner = CliRunner()
    args = ["report", "--since", "2026-03-02", "--until", "2026-03-08", "--database-url", db.url]
    result = runner.invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    pages = json.loads(result.output)["pages"]
    assert [(p["template"], p["sessions"]) for p in pages] == [(GOALS, 4), (DASH, 2)]
    result = runner.invoke(main, [*args, "--format", "table"])
    assert result.exit_code == 0, result.output
    table = result.output.splitlines()
    assert "4 sessions, 4 questions, 2 escalations" in table[0]
    assert table[2].split()[:3] == ["#", "page", "friction"]
    assert table[4].split()[:3] == ["1", GOALS, "42.4"]
    result = runner.invoke(main, [*args, "--format", "csv", "--site", "globex"])
    assert result.exit_code == 0 and result.output.splitlines()[1].startswith(f"1,{GOALS},")
    result = runner.invoke(main, ["report", "--since", "yesterday", "--database-url", db.url])
    assert result.exit_code == 2 and "neither a duration" in result.output


async def test_a_detail_ranks_the_same_against_a_recent_report(db: Database) -> None:
    from pageguide.reports import pages

    pages._recent.items.clear()
    cold = await page_detail(db, DASH, PERIOD, clusters=False)  # computes every page
    assert pages._recent.get(db, PERIOD, None) is not None
    warm = await page_detail(db, DASH, PERIOD, clusters=False)  # only the page itself
    assert cold.row == warm.row and warm.row.rank == 2
    assert (await page_detail(db, "/nowhere", PERIOD, clusters=False)).row.rank == 0


async def test_api_before_the_app_is_ready() -> None:
    import httpx
    from starlette.applications import Starlette

    from pageguide.reports.api import routes

    app = Starlette(routes=routes())  # no services yet: the lifespan has not run
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/api/reports/pages")
    assert response.status_code == 503 and response.json()["error"] == "starting"
