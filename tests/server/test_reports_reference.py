"""The report statements against the definitions, on generated data, on SQLite and PostgreSQL.

`reference` below computes every count of a page row straight from the rows, in plain Python,
as docs/metrics.md defines it; the tests compare it with what the database statements return
(`reports.counts.collect`, the pages report, the anomaly scan's weekly counts and the AI
conversations' pages) over periods with odd edges, daily and weekly buckets, one site and one
page. The data is the demo generator's history plus rows at the edges of each definition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from tests.support.databases import migrated

from pageguide.db import Database
from pageguide.db import models as m
from pageguide.db.queries import Repository
from pageguide.demo.seed import seed
from pageguide.protocol import PageContext
from pageguide.reports.anomalies import anomaly_counts
from pageguide.reports.conversations import ai_conversations
from pageguide.reports.counts import PageCounts, collect
from pageguide.reports.period import Period, day_edges, rolling_weeks, utc
from pageguide.reports.queries import page_report

NOW = datetime(2026, 3, 20, 15, 30, tzinfo=UTC)
ANSWERED = ("complete", "fallback")
BILLING = "/app/settings/billing"


# ---------------------------------------------------------------- the data


async def edge_rows(db: Database) -> None:
    """Rows at the edges of the definitions, on top of the generated history."""
    async with db.session() as s, s.begin():
        ids = [sid for (sid,) in await s.execute(select(m.Session.id).order_by(m.Session.id))]
        # a second site, and identities the people count must read the same way everywhere
        for table in (m.Session, m.HandoffRow):
            key = table.id if table is m.Session else table.session_id
            await s.execute(update(table).where(key.in_(ids[::3])).values(site_key="other"))
        views = list(
            (await s.execute(select(m.PageView).order_by(m.PageView.at, m.PageView.id).limit(400)))
            .scalars()
            .all()
        )
        one = views[10]
        other = next(
            v for v in views if v.template == one.template and v.session_id != one.session_id
        )
        odd = {
            one.session_id: {"user_id": 4242},  # a number: the same person as "4242"
            other.session_id: {"user_id": "4242"},
            ids[4]: {"name": "no user id"},
            ids[5]: None,
        }
        for sid, identity in odd.items():
            await s.execute(update(m.Session).where(m.Session.id == sid).values(identity=identity))
        pv, later = views[100], views[300]
        # a question on no page, a signal on no page, a failed answer, a rating of a declined one
        q = m.Question(session_id=pv.session_id, client_id="edge-1", text="x", at=pv.at)
        s.add(q)
        s.add(m.SignalRow(session_id=pv.session_id, kind="rage_click", score=1, at=pv.at))
        q2 = m.Question(
            session_id=pv.session_id, client_id="edge-2", page_view_id=pv.id, text="y", at=pv.at
        )
        s.add(q2)
        await s.flush()
        s.add(m.Answer(id="edge-failed", question_id=q2.id, session_id=pv.session_id,
                       status="failed", at=pv.at))  # fmt: skip
        s.add(m.Answer(id="edge-declined", question_id=q.id, session_id=pv.session_id,
                       status="declined", at=pv.at))  # fmt: skip
        await s.flush()
        s.add(m.Feedback(session_id=pv.session_id, answer_id="edge-declined", rating="down"))
        # a handoff with odd triggers, on the same page after the question (undoes deflection)
        s.add(
            m.HandoffRow(
                id="edge-h",
                session_id=later.session_id,
                site_key="demo",
                status="closed",
                triggers=[{"kind": "x"}, {"kind": "x"}, {"kind": ""}, "loose", {"score": 1}],
                template=later.template,
                created_at=later.at + timedelta(minutes=1),
                closed_at=later.at + timedelta(minutes=9),
            )
        )
        s.add(m.Csat(session_id=later.session_id, score=1, at=later.at + timedelta(days=3)))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def db(request, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    async with migrated(request.param, tmp_path_factory.mktemp(request.param)) as database:
        await seed(database, sessions=400, days=24, seed=11, now=NOW)
        await edge_rows(database)
        yield database


# ---------------------------------------------------------------- the definitions, in Python


@dataclass
class Rows:
    sessions: dict[str, Any]
    views: list[Any]
    signals: list[Any]
    questions: list[Any]
    answers: list[Any]
    feedback: list[Any]
    csat: list[Any]
    handoffs: list[Any]


async def load(db: Database) -> Rows:
    async with db.session() as s:

        async def every(model: Any) -> list[Any]:
            return list((await s.execute(select(model))).scalars().all())

        return Rows(
            {x.id: x for x in await every(m.Session)},
            *[await every(t) for t in (m.PageView, m.SignalRow, m.Question, m.Answer)],
            *[await every(t) for t in (m.Feedback, m.Csat, m.HandoffRow)],
        )


@dataclass
class Expected:
    sessions: set[str] = field(default_factory=set)
    people: set[tuple[str, str]] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    strugglers: set[str] = field(default_factory=set)
    signals: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    questions: int = 0
    answered: int = 0
    deflected: int = 0
    up: int = 0
    down: int = 0
    csat: list[int] = field(default_factory=list)
    escalations: int = 0
    escalated: set[str] = field(default_factory=set)
    triggers: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    resolutions: list[float] = field(default_factory=list)


def bucket(at: datetime, edges: Sequence[datetime]) -> int | None:
    at = utc(at)
    if not edges[0] <= at < edges[-1]:
        return None
    return max(i for i in range(len(edges) - 1) if edges[i] <= at)


def reference(
    rows: Rows, edges: Sequence[datetime], site: str | None = None, template: str | None = None
) -> tuple[dict[tuple[str, int], Expected], int]:
    start = edges[0]
    out: dict[tuple[str, int], Expected] = defaultdict(Expected)
    visit: dict[int, tuple[str, int]] = {}
    for v in rows.views:
        b = bucket(v.at, edges)
        if b is None or (site and rows.sessions[v.session_id].site_key != site):
            continue
        if template is not None and v.template != template:
            continue
        visit[v.id] = (v.template, b)
        e, who = out[(v.template, b)], rows.sessions[v.session_id]
        uid = who.identity.get("user_id") if isinstance(who.identity, dict) else None
        e.sessions.add(v.session_id)
        e.people.add(("u", str(uid)) if uid is not None else ("s", v.session_id))
        if who.account_id is not None:
            e.accounts.add(who.account_id)
    for sg in rows.signals:
        if sg.page_view_id in visit and utc(sg.at) >= start:
            e = out[visit[sg.page_view_id]]
            e.strugglers.add(sg.session_id)
            e.signals[sg.kind] += 1
    answers = defaultdict(list)
    for a in rows.answers:
        answers[a.question_id].append(a)
    question_of_answer = {a.id: a.question_id for a in rows.answers}
    questions = {q.id: q for q in rows.questions}
    for q in rows.questions:
        if q.page_view_id not in visit or utc(q.at) < start:
            continue
        tpl = visit[q.page_view_id][0]
        e = out[visit[q.page_view_id]]
        e.questions += 1
        if any(a.status in ANSWERED and utc(a.at) >= start for a in answers[q.id]):
            e.answered += 1
            later = [
                h for h in rows.handoffs
                if h.session_id == q.session_id and h.template == tpl
                and utc(h.created_at) >= start and h.created_at >= q.at
            ]  # fmt: skip
            e.deflected += not later
    for f in rows.feedback:
        q = questions[question_of_answer[f.answer_id]]
        if q.page_view_id in visit and utc(q.at) >= start:
            e = out[visit[q.page_view_id]]
            e.up += f.rating == "up"
            e.down += f.rating == "down"
    scores = defaultdict(list)
    for c in rows.csat:
        scores[c.session_id].append(c.score)
    for e in out.values():
        e.csat = [x for sid in e.sessions for x in scores[sid]]
    for h in rows.handoffs:
        b = bucket(h.created_at, edges)
        if b is None or (site and h.site_key != site) or (template and h.template != template):
            continue
        e = out[(h.template, b)]
        e.escalations += 1
        e.escalated.add(h.session_id)
        for kind in {str(t.get("kind", "")) for t in h.triggers or [] if isinstance(t, dict)}:
            if kind:
                e.triggers[kind] += 1
        if h.status == "closed" and h.closed_at is not None:
            e.resolutions.append((utc(h.closed_at) - utc(h.created_at)).total_seconds())
    total = len({sid for key, e in out.items() for sid in e.sessions})
    return out, total


def same(got: PageCounts, e: Expected, people: bool = True, questions: bool = True) -> None:
    assert got.sessions == len(e.sessions)
    assert (got.users, got.accounts) == ((len(e.people), len(e.accounts)) if people else (0, 0))
    assert got.struggle_sessions == len(e.strugglers) and got.signals == dict(e.signals)
    if questions:
        assert (got.questions, got.answered, got.deflected) == (
            e.questions, e.answered, e.deflected
        )  # fmt: skip
        assert got.triggers == dict(e.triggers)
        assert sorted(got.resolutions) == pytest.approx(sorted(e.resolutions))
    assert (got.thumbs_up, got.thumbs_down) == (e.up, e.down)
    assert (got.csat_responses, got.csat_sum, got.csat_low) == (
        len(e.csat), float(sum(e.csat)), sum(1 for x in e.csat if x <= 2)
    )  # fmt: skip
    assert (got.escalations, got.escalated) == (e.escalations, e.escalated)


def compare(
    got: dict[tuple[str, int], PageCounts], want: dict[tuple[str, int], Expected], **kw: bool
) -> None:
    assert set(got) == set(want)
    for key, e in want.items():
        same(got[key], e, **kw)


# ---------------------------------------------------------------- the tests


PERIODS = {
    "whole": Period(start=NOW - timedelta(days=60), end=NOW + timedelta(hours=1), label="all"),
    "odd edges": Period(
        start=NOW - timedelta(days=10, hours=3, minutes=7),
        end=NOW - timedelta(days=2, hours=5),
        label="odd",
    ),
}


@pytest.mark.parametrize("name", list(PERIODS))
@pytest.mark.parametrize("site", [None, "other"])
async def test_page_counts_match_the_definitions(db: Database, name: str, site: str | None):
    period, rows = PERIODS[name], await load(db)
    got, total = await collect(db, period, site)
    want, want_total = reference(rows, [period.start, period.end], site)
    assert total == want_total and total > 0
    compare(got, want)
    every = list(want.values())

    def n(name: str) -> int:
        return sum(
            len(x) if isinstance(x, set | list) else x for e in every for x in [getattr(e, name)]
        )

    # the data reaches every branch of every definition
    assert 0 < n("people") < n("sessions") and 0 < n("strugglers") < n("sessions")
    assert 0 < n("deflected") < n("answered") < n("questions")
    assert n("up") and n("down") and n("csat") and n("accounts") and n("escalated")


async def test_one_page_matches_the_definitions(db: Database) -> None:
    period, rows = PERIODS["odd edges"], await load(db)
    got, total = await collect(db, period, "demo", BILLING)
    want, want_total = reference(rows, [period.start, period.end], "demo", BILLING)
    assert (total, set(got)) == (want_total, {(BILLING, 0)})
    compare(got, want)


async def test_daily_and_weekly_buckets_match_the_definitions(db: Database) -> None:
    rows = await load(db)
    days = day_edges(PERIODS["odd edges"])
    got, _ = await collect(db, PERIODS["odd edges"], None, None, days, people=False)
    compare(got, reference(rows, days)[0], people=False)
    got = await anomaly_counts(db, None, NOW, 4)  # the anomaly scan: friction inputs only
    want = reference(rows, rolling_weeks(NOW, 4))[0]
    assert set(got) == set(want)
    for key, e in want.items():
        g = got[key]
        assert (g.sessions, g.struggle_sessions, g.thumbs_up, g.thumbs_down) == (
            len(e.sessions), len(e.strugglers), e.up, e.down
        )  # fmt: skip
        assert (g.csat_responses, g.csat_low) == (len(e.csat), sum(1 for x in e.csat if x <= 2))
        assert (g.escalations, g.escalated) == (e.escalations, e.escalated)


async def test_the_pages_report_is_these_counts_ranked(db: Database) -> None:
    period = PERIODS["whole"]
    report = await page_report(db, period)
    counts, total = await collect(db, period, None)
    assert report.sessions == total
    assert {r.template: r.model_copy(update={"rank": 0, "friction": 0.0, "friction_parts": None})
            for r in report.pages} == {
        tpl: acc.row(tpl) for (tpl, _), acc in counts.items()
    }  # fmt: skip


async def test_an_ai_conversation_is_on_its_first_questions_page(db: Database) -> None:
    rows, start = await load(db), NOW - timedelta(days=30)
    template = {v.id: v.template for v in rows.views}
    first: dict[str, Any] = {}
    for q in sorted(rows.questions, key=lambda q: (q.at, q.id)):
        if start <= utc(q.at) < NOW:
            first.setdefault(q.session_id, q)
    want = sorted((utc(q.at), template.get(q.page_view_id, "")) for q in first.values())
    got = sorted((c.at, c.template) for c in await ai_conversations(db, start, NOW))
    assert got == want and len(got) > 50


async def test_the_user_id_follows_the_identity(db: Database) -> None:
    """sessions.user_id is kept by the database: a new identity shows in the next report."""
    repo, now = Repository(db), datetime.now(UTC)  # the repository writes at the present
    period = Period(start=now - timedelta(hours=1), end=now + timedelta(hours=1), label="new")
    await repo.start_session("fresh-1", "late", "", "")
    await repo.start_session("fresh-2", "late", "", "")
    page = PageContext(url="https://x/app/settings/billing", path="/app/settings/billing")
    for sid in ("fresh-1", "fresh-2"):
        await repo.add_page_view(sid, page, BILLING)
    before = (await page_report(db, period, "late")).pages[0]
    assert (before.sessions, before.users) == (2, 2)
    for sid in ("fresh-1", "fresh-2"):
        await repo.set_identity(sid, {"user_id": "same-person"}, "acct-late")
    after = (await page_report(db, period, "late")).pages[0]
    assert (after.sessions, after.users, after.accounts) == (2, 1, 1)
    async with db.session() as s:
        stored = await s.scalar(select(m.Session.user_id).where(m.Session.id == "fresh-1"))
    assert stored == "same-person"
