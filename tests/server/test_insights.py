"""Insights and the learning loop on SQLite and PostgreSQL, with small hand-built data:
drafts from resolutions (and publishing them), flagged answers, misfiring articles, doc gaps,
at-risk accounts and the weekly digest.

`Built` writes rows straight into the tables, so each test states exactly what happened.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import frontmatter
import pytest
from sqlalchemy import select
from tests.support.databases import migrated

from pageguide.channels.email import EmailChannel
from pageguide.channels.slack import SlackChannel
from pageguide.channels.webhook import WebhookChannel
from pageguide.db import Database
from pageguide.db import models as m
from pageguide.insights import InsightError
from pageguide.insights import accounts as acc
from pageguide.insights import digest as dg
from pageguide.insights import drafts as d
from pageguide.insights import flags as fl
from pageguide.insights.common import iso_week, last_full_week, scrub, week_bounds
from pageguide.insights.gaps import doc_gaps
from pageguide.insights.misfiring import misfiring_articles, wilson_lower

WEEK = "2026-W45"
START, END = week_bounds(WEEK)  # Monday 2 November 2026, 00:00 UTC
T0 = START + timedelta(days=1, hours=9)  # Tuesday 09:00
MIN = timedelta(minutes=1)
SHARE = {"title": "Share a dashboard", "url": "http://x/help/dashboard-share#export"}
SHARE2 = {"title": "Share a dashboard", "url": "http://x/help/dashboard-share#links"}
PLAN = {"title": "Change your plan", "url": "http://x/help/billing-change-plan"}
INVITE = {"title": "Invite members", "url": "http://x/help/team-invite-members"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request, tmp_path: Path) -> AsyncIterator[Database]:
    async with migrated(request.param, tmp_path) as database:
        yield database


class Built:
    """Rows for one scenario. Every `at` is a datetime; ids are generated."""

    _n = itertools.count(1)

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, *rows: Any) -> None:
        async with self.db.session() as s, s.begin():
            for row in rows:
                s.add(row)
                await s.flush()

    async def agent(self, name: str = "Ana") -> int:
        agent = m.Agent(email=f"{name.lower()}{next(self._n)}@x.test", name=name, password_hash="x")
        await self.add(agent)
        return agent.id

    async def session(
        self, at: datetime = T0, site: str = "demo", account: str | None = None, **info: Any
    ) -> str:
        sid = secrets.token_hex(16)
        identity = None
        if account is not None:
            identity = {
                "user_id": info.pop("user", f"u-{sid[:6]}"),
                "account": {"id": account, **info},
            }
        await self.add(
            m.Session(id=sid, site_key=site, created_at=at, last_seen_at=at + timedelta(hours=1),
                      identity=identity, account_id=account)
        )  # fmt: skip
        return sid

    async def page(
        self, sid: str, path: str, at: datetime = T0, template: str | None = None
    ) -> int:
        view = m.PageView(session_id=sid, url=f"http://x{path}", path=path,
                          template=template or path, at=at)  # fmt: skip
        await self.add(view)
        return view.id

    async def ask(
        self,
        sid: str,
        pv: int | None,
        text: str,
        at: datetime = T0,
        status: str | None = "complete",
        confidence: float = 0.8,
        sources: list[dict[str, str]] | None = None,
        answer: str = "Do this and that.",
    ) -> tuple[int, str | None]:
        question = m.Question(session_id=sid, client_id=secrets.token_hex(4), page_view_id=pv,
                              text=text, at=at)  # fmt: skip
        await self.add(question)
        if status is None:
            return question.id, None
        aid = secrets.token_hex(8)
        await self.add(
            m.Answer(id=aid, question_id=question.id, session_id=sid, text=answer,
                     sources=sources or [], confidence=confidence, status=status, at=at)
        )  # fmt: skip
        return question.id, aid

    async def thumbs(self, sid: str, aid: str, rating: str = "down", at: datetime = T0) -> None:
        await self.add(m.Feedback(session_id=sid, answer_id=aid, rating=rating, at=at))

    async def csat(self, sid: str, score: int, at: datetime = T0, comment: str | None = None):
        await self.add(m.Csat(session_id=sid, score=score, comment=comment, at=at))

    async def signal(self, sid: str, pv: int | None, kind: str = "rage_click", at: datetime = T0,
                     path: str = "/app/x") -> None:  # fmt: skip
        await self.add(m.SignalRow(session_id=sid, page_view_id=pv, kind=kind, score=0.9,
                                   path=path, at=at))  # fmt: skip

    async def handoff(
        self,
        sid: str,
        at: datetime = T0,
        kinds: tuple[str, ...] = ("asked_for_human",),
        template: str = "/app/dashboard",
        site: str = "demo",
        **values: Any,
    ) -> str:
        hid = secrets.token_hex(8)
        triggers = [
            {
                "kind": k,
                "score": 0.9,
                "reason": f"reason {k}",
                "evidence": values.pop(f"{k}_words", ""),
            }
            for k in kinds
        ]
        await self.add(
            m.HandoffRow(id=hid, session_id=sid, site_key=site, triggers=triggers,
                         reason="; ".join(t["reason"] for t in triggers), path=template,
                         template=template, created_at=at, **values)
        )  # fmt: skip
        return hid


@pytest.fixture
def built(db: Database) -> Built:
    return Built(db)


# ---------------------------------------------------------------- pure pieces


def test_weeks_and_scrubbing() -> None:
    assert iso_week(START) == WEEK and START.weekday() == 0
    assert END - START == timedelta(days=7)
    assert last_full_week(datetime(2026, 11, 9, 8, tzinfo=UTC)) == WEEK
    with pytest.raises(InsightError):
        week_bounds("2026-W60")
    assert scrub("mail bob@example.com, card 4242 4242 4242 4242, order 1234") == (
        "mail [email], card [number], order 1234"
    )
    assert wilson_lower(0, 0) == 0.0
    assert wilson_lower(10, 10) > wilson_lower(1, 1) > 0


def test_a_note_becomes_markdown_steps() -> None:
    body = d.note_to_markdown(
        "No direct export yet. Workaround:\n1. Open the dashboard\n2) Click Share → PDF\n"
        "   (landscape)\n- Insert the PDF in PowerPoint\nWrite to ops@lumen.test if stuck."
    )
    assert body == (
        "No direct export yet. Workaround:\n\n## Steps\n\n1. Open the dashboard\n"
        "2. Click Share → PDF (landscape)\n3. Insert the PDF in PowerPoint\n\n"
        "## Notes\n\nWrite to [email] if stuck.\n"
    )
    prose = d.note_to_markdown("Open Billing. Click Change plan. Pick Pro.")
    assert "1. Open Billing.\n2. Click Change plan.\n3. Pick Pro." in prose
    assert d.note_to_markdown("Refunded the charge.") == "Refunded the charge.\n"
    assert d.title_from("how do i export to powerpoint", "", "", "") == (
        "How do i export to powerpoint?"
    )
    assert d.title_from(None, "billing", "Refunded the double charge\nmore", "/x") == (
        "Billing: Refunded the double charge"
    )


# ---------------------------------------------------------------- drafts


NOTE = (
    "Lumen cannot export to PowerPoint directly yet. Workaround:\n"
    "1. Open the dashboard and click Share.\n"
    "2. Choose Download as PDF.\n"
    "3. In PowerPoint, choose Insert > Object and pick the PDF."
)


async def closed_handoff(built: Built, agent: int, note: str = NOTE) -> str:
    sid = await built.session()
    pv = await built.page(sid, "/app/dashboard/8f3a2b1c9d0e", template="/app/dashboard/:id")
    await built.ask(sid, pv, "how do I add a chart?", T0, confidence=0.9, sources=[SHARE])
    await built.ask(sid, pv, "how do I export my dashboard to PowerPoint", T0 + MIN,
                    status="declined", confidence=0.02)  # fmt: skip
    await built.ask(sid, pv, "can I talk to a person?", T0 + 2 * MIN, status=None)
    return await built.handoff(
        sid, T0 + 2 * MIN, template="/app/dashboard/:id", status="closed", agent_id=agent,
        claimed_at=T0 + 3 * MIN, closed_at=T0 + 9 * MIN, resolution_note=note,
        tags={"issue_type": "how_to", "root_cause": "docs_gap", "resolution_path": "workaround"},
    )  # fmt: skip


async def test_draft_from_a_closed_handoff(db: Database, built: Built) -> None:
    agent = await built.agent()
    hid = await closed_handoff(built, agent)
    draft = await d.draft_from_handoff(db, hid, agent)
    assert draft.title == "How do I export my dashboard to PowerPoint?"  # not "talk to a person"
    assert draft.pages == ["/app/dashboard/:id"]
    assert draft.status == "draft" and draft.created_by == agent and draft.handoff_id == hid
    assert draft.body.startswith("Lumen cannot export to PowerPoint directly yet. Workaround:")
    assert "## Steps\n\n1. Open the dashboard and click Share.\n2. Choose Download as PDF." in (
        draft.body
    )
    again = await d.draft_from_handoff(db, hid, agent)
    assert again.id == draft.id, "one draft per handoff"
    assert [x.id for x in await d.list_drafts(db)] == [draft.id]
    assert await d.draft_count(db) == 1


async def test_no_note_no_draft(db: Database, built: Built) -> None:
    agent = await built.agent()
    hid = await closed_handoff(built, agent, note="   ")
    with pytest.raises(InsightError) as info:
        await d.draft_from_handoff(db, hid, agent)
    assert info.value.code == "no_note"
    assert await d.on_handoff_closed(db, hid, agent) is None
    assert await d.on_handoff_closed(db, "nope", agent) is None
    with pytest.raises(InsightError) as missing:
        await d.draft_from_handoff(db, "nope", agent)
    assert missing.value.status == 404


async def test_a_handoff_without_questions_is_titled_by_issue_type(db: Database, built: Built):
    agent = await built.agent()
    sid = await built.session()
    hid = await built.handoff(sid, T0, template="/app/settings/billing", status="closed",
                              resolution_note="Refunded the double charge.",
                              tags={"issue_type": "billing"})  # fmt: skip
    draft = await d.on_handoff_closed(db, hid, agent)
    assert draft is not None
    assert draft.title == "Billing: Refunded the double charge."
    assert draft.pages == ["/app/settings/billing"]


class FakeKnowledge:
    """`KnowledgeBase.ingest` as publishing sees it: records the folders, reports errors."""

    def __init__(self, errors: list[str] | None = None) -> None:
        self.folders: list[Path] = []
        self.errors = errors or []

    def ingest(self, folder: Path) -> Any:
        self.folders.append(folder)
        seen = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.md"))
        return type("Report", (), {"errors": [e for e in self.errors if e.split(":")[0] in seen]})


async def test_edit_and_publish_a_draft(db: Database, built: Built, tmp_path: Path) -> None:
    agent = await built.agent()
    draft = await d.draft_from_handoff(db, await closed_handoff(built, agent), agent)
    with pytest.raises(InsightError) as nowhere:
        await d.publish_draft(db, draft.id, agent, None, FakeKnowledge())
    assert nowhere.value.code == "no_knowledge" and "--knowledge" in nowhere.value.message

    with pytest.raises(InsightError):
        await d.update_draft(db, draft.id, pages=["app/no-slash"])
    with pytest.raises(InsightError):
        await d.update_draft(db, draft.id, title=" x ")
    edited = await d.update_draft(
        db,
        draft.id,
        title="Export a dashboard to PowerPoint",
        pages="/app/dashboard, /app/dashboards/*",
    )
    assert edited.pages == ["/app/dashboard", "/app/dashboards/*"]

    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "learned").mkdir()
    (folder / "learned/export-a-dashboard-to-powerpoint.md").write_text("---\ntitle: Old\n---\nx\n")
    kb = FakeKnowledge()
    published = await d.publish_draft(db, draft.id, agent, folder, kb)
    assert kb.folders == [folder]
    assert published.status == "published" and published.reviewed_by == agent
    assert published.published_at is not None
    assert published.article_path == "learned/export-a-dashboard-to-powerpoint-2.md"  # no clobber
    post = frontmatter.loads((folder / published.article_path).read_text())
    assert post.metadata == {
        "title": "Export a dashboard to PowerPoint",
        "pages": ["/app/dashboard", "/app/dashboards/*"],
        "tags": ["learned", "how_to"],
    }
    assert "1. Open the dashboard and click Share." in post.content
    assert d.article_url("http://h:1/", published.article_path) == (
        "http://h:1/help/learned/export-a-dashboard-to-powerpoint-2"
    )
    for action in (
        d.publish_draft(db, draft.id, agent, folder, kb),
        d.reject_draft(db, draft.id, agent),
        d.update_draft(db, draft.id, title="New"),
    ):
        with pytest.raises(InsightError) as done:
            await action
        assert done.value.status == 409
    assert await d.list_drafts(db) == []
    assert [x.id for x in await d.list_drafts(db, "published")] == [draft.id]


async def test_a_refused_article_is_taken_back(db: Database, built: Built, tmp_path: Path):
    agent = await built.agent()
    draft = await d.draft_from_handoff(db, await closed_handoff(built, agent), agent)
    folder = tmp_path / "knowledge"
    folder.mkdir()
    slug = "learned/how-do-i-export-my-dashboard-to-powerpoint.md"
    with pytest.raises(InsightError) as refused:
        await d.publish_draft(db, draft.id, agent, folder, FakeKnowledge([f"{slug}: bad"]))
    assert refused.value.code == "bad_article"
    assert not (folder / slug).exists()
    back = await d.get_draft(db, draft.id)
    assert back.status == "draft" and back.published_at is None and back.article_path == ""
    rejected = await d.reject_draft(db, draft.id, agent)
    assert rejected.status == "rejected" and rejected.reviewed_by == agent


async def test_two_reviewers_publish_at_once_and_one_wins(db: Database, built: Built, tmp_path):
    agent = await built.agent()
    draft = await d.draft_from_handoff(db, await closed_handoff(built, agent), agent)
    folder = tmp_path / "kb"
    folder.mkdir()
    results = await asyncio.gather(
        *(d.publish_draft(db, draft.id, agent, folder, FakeKnowledge()) for _ in range(3)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, m.Draft) for r in results) == 1
    assert all(
        isinstance(r, InsightError) and r.status == 409
        for r in results
        if not isinstance(r, m.Draft)
    )
    assert len(list((folder / "learned").glob("*.md"))) == 1


# ---------------------------------------------------------------- flagged answers


async def test_flag_review_and_draft_from_a_correction(db: Database, built: Built) -> None:
    ana, ben = await built.agent("Ana"), await built.agent("Ben")
    sid = await built.session()
    pv = await built.page(sid, "/app/settings/billing")
    _, good = await built.ask(sid, pv, "how do I change plan?", T0, sources=[PLAN])
    _, wrong = await built.ask(sid, pv, "do you refund annual plans?", T0 + MIN,
                               sources=[PLAN], answer="Yes, always.", confidence=0.6)  # fmt: skip
    hid = await built.handoff(sid, T0 + 2 * MIN, template="/app/settings/billing")

    answers = await fl.session_answers(db, hid)
    assert [a["id"] for a in answers] == [good, wrong]
    assert answers[1]["question"] == "do you refund annual plans?"
    assert answers[1]["sources"] == [PLAN] and answers[1]["flags"] == 0
    with pytest.raises(InsightError):
        await fl.session_answers(db, "nope")

    with pytest.raises(InsightError) as empty:
        await fl.flag_answer(db, wrong, ana, "  ")
    assert empty.value.code == "bad_correction"
    with pytest.raises(InsightError) as unknown:
        await fl.flag_answer(db, "nope", ana, "x")
    assert unknown.value.status == 404
    first = await fl.flag_answer(db, wrong, ana, "No: only within 14 days.")
    again = await fl.flag_answer(db, wrong, ana, "No: annual plans are refunded within 14 days.")
    assert again.id == first.id, "the same agent edits their open flag"
    await fl.flag_answer(db, wrong, ben, "Refunds are pro-rated.")
    assert await fl.open_flag_count(db) == 2
    assert (await fl.session_answers(db, hid))[1]["flags"] == 2

    queue = await fl.flag_queue(db)
    mine = next(f for f in queue if f["agent"] == "Ana")
    assert mine["question"] == "do you refund annual plans?"
    assert mine["answer"]["text"] == "Yes, always." and mine["answer"]["sources"] == [PLAN]
    assert mine["correction"] == "No: annual plans are refunded within 14 days."
    assert mine["page"] == "/app/settings/billing" and mine["handoff_id"] == hid
    json.dumps(queue)  # JSON-ready

    flag, draft = await fl.resolve_flag(db, mine["id"], ben, make_draft=True)
    assert flag.status == "resolved" and flag.resolved_at is not None
    assert draft is not None and draft.handoff_id is None and draft.created_by == ben
    assert draft.title == "Do you refund annual plans?"
    assert draft.pages == ["/app/settings/billing"]
    assert "refunded within 14 days" in draft.body
    with pytest.raises(InsightError) as twice:
        await fl.resolve_flag(db, mine["id"], ben)
    assert twice.value.status == 409
    other = next(f for f in queue if f["agent"] == "Ben")
    _, none = await fl.resolve_flag(db, other["id"], ana)
    assert none is None
    assert await fl.flag_queue(db) == [] and len(await fl.flag_queue(db, "resolved")) == 2


# ---------------------------------------------------------------- misfiring articles


async def test_misfiring_articles_ranked_by_rate_and_count(db: Database, built: Built) -> None:
    async def one(sources, at=T0, **kw) -> tuple[str, str, int]:
        sid = await built.session(at)
        pv = await built.page(sid, "/app/dashboard", at)
        _, aid = await built.ask(sid, pv, kw.pop("text", "how do I share a dashboard?"), at,
                                 sources=sources, **kw)  # fmt: skip
        return sid, aid, pv

    # SHARE (two anchors of one article): 3 of its answers misfire
    sid, aid, _ = await one([SHARE])
    await built.thumbs(sid, aid, at=T0 + MIN)
    sid, _, _ = await one([SHARE2, PLAN])  # followed by a handoff 5 minutes later
    await built.handoff(sid, T0 + 5 * MIN)
    sid, _, pv = await one([SHARE])  # the same question again 3 minutes later
    await built.ask(sid, pv, "How do I share my dashboard??", T0 + 3 * MIN, sources=[SHARE])
    sid, _, pv = await one([SHARE])  # a different question: not a repeat
    await built.ask(sid, pv, "how do I invite a teammate?", T0 + 4 * MIN, sources=[INVITE])
    # PLAN: cited twice (above, and here re-asked only after the window)
    sid, _, pv = await one([PLAN], text="how do I change my plan?")
    await built.ask(sid, pv, "how do I change my plan?", T0 + 30 * MIN, status="declined")
    # INVITE: cited twice, never misfired; a thumbs-up is not a misfire
    sid, aid, _ = await one([INVITE], text="invite a teammate")
    await built.thumbs(sid, aid, "up")
    # outside the week, and another site: not counted
    sid, aid, _ = await one([INVITE], at=START - MIN)
    await built.thumbs(sid, aid)
    other = await built.session(site="other")
    _, aid = await built.ask(other, None, "q", T0, sources=[INVITE])
    await built.thumbs(other, aid)

    found = await misfiring_articles(db, START, END, "demo")
    assert [x.url for x in found] == ["http://x/help/dashboard-share", PLAN["url"]]
    share, plan = found
    # cited 5 times: the re-asked question's own answer cited it again
    counts = (share.cited, share.misfired, share.thumbs_down, share.escalated, share.repeated)
    assert counts == (5, 3, 1, 1, 1)
    assert share.rate == 0.6 and share.title == "Share a dashboard"
    assert share.score == pytest.approx(wilson_lower(3, 5), abs=1e-4)
    assert {tuple(q.outcomes) for q in share.questions} == {
        ("thumbs_down",),
        ("escalated",),
        ("repeated",),
    }
    assert (plan.cited, plan.misfired, plan.escalated) == (2, 1, 1)
    assert share.score > plan.score
    everywhere = await misfiring_articles(db, START - timedelta(days=1), END)
    assert next(x for x in everywhere if x.url == INVITE["url"]).misfired == 2
    tight = await misfiring_articles(db, START, END, "demo", escalation_minutes=2)
    assert next(x for x in tight if x.url.endswith("dashboard-share")).escalated == 0


async def test_a_paraphrased_repeat_counts_with_the_model(db: Database, built: Built, embedder):
    sid = await built.session()
    pv = await built.page(sid, "/app/settings/billing")
    await built.ask(sid, pv, "how do I change my plan?", T0, sources=[PLAN])
    await built.ask(sid, pv, "changing my plan does not work", T0 + 2 * MIN)
    by_words = await misfiring_articles(db, START, END)
    by_meaning = await misfiring_articles(db, START, END, embedder=embedder)
    assert by_words == []
    assert [(x.url, x.repeated) for x in by_meaning] == [(PLAN["url"], 1)]


# ---------------------------------------------------------------- documentation gaps


async def test_doc_gaps_clustered_by_meaning(db: Database, built: Built, embedder) -> None:
    async def asked(text, path="/app/dashboard", **kw) -> tuple[str, str | None]:
        sid = await built.session()
        pv = await built.page(sid, path)
        _, aid = await built.ask(sid, pv, text, T0, **kw)
        return sid, aid

    # four ways of asking to delete an account; no two share more than one word ("account"),
    # so only the model can tell they are one question
    account = (
        "how do I get rid of my account?",
        "deleting my profile",
        "account deletion",
        "delete my login",
    )
    await asked(account[0], status="declined", confidence=0.02)
    await asked(account[1], status="declined", confidence=0.1)
    await asked(account[2], confidence=0.3, sources=[SHARE])
    await asked(account[3], "/app/dashboards/:id", status="declined")
    sid, aid = await asked("how do I change my plan?", "/app/settings/billing", confidence=0.9)
    await built.thumbs(sid, aid)
    sid, _ = await asked("where is the invoice for March?", "/app/settings/billing", confidence=0.8)
    await built.handoff(sid, T0 + 10 * MIN, template="/app/settings/billing")
    await asked("how do I invite a teammate?", "/app/settings/team", confidence=0.9)  # fine
    await asked("can I talk to a person?", status=None)  # never answered: not a gap

    gaps = await doc_gaps(db, START, END, "demo", embedder=embedder)
    first = gaps[0]
    assert first.sessions == 4 and first.questions == 4
    assert first.title in account
    assert first.page == "/app/dashboard"
    assert {p.template for p in first.pages} == {"/app/dashboard", "/app/dashboards/:id"}
    assert first.reasons == {"declined": 3, "low_confidence": 1}
    assert sum(e.count for e in first.examples) == 4
    rest = {g.title: g for g in gaps[1:]}
    assert rest["how do I change my plan?"].reasons == {"thumbs_down": 1}
    assert rest["where is the invoice for March?"].reasons == {"escalated": 1}
    assert all("invite" not in g.title and "person" not in g.title for g in gaps)
    # without the model the paraphrases share no words, so each stays a gap of its own
    by_words = await doc_gaps(db, START, END, "demo")
    assert max(g.sessions for g in by_words) == 1
    assert sorted(g.title for g in by_words if g.title in account) == sorted(account)
    assert await doc_gaps(db, START, END, "demo", escalation_minutes=5) != gaps


# ---------------------------------------------------------------- at-risk accounts


async def test_at_risk_accounts_with_evidence(db: Database, built: Built) -> None:
    acme = await built.session(account="acme", name="Acme Inc", tier="enterprise", mrr=4200)
    await built.handoff(acme, T0, kinds=("churn_risk", "asked_for_human"),
                        churn_risk_words="we are moving to a competitor")  # fmt: skip
    acme2 = await built.session(T0 + timedelta(hours=2), account="acme", name="Acme Inc")
    pv = await built.page(acme2, "/app/settings/billing")
    _, aid = await built.ask(acme2, pv, "why was I charged twice?", T0 + timedelta(hours=2))
    await built.thumbs(acme2, aid, at=T0 + timedelta(hours=2))

    beta = await built.session(account="beta", name="Beta")  # one thumbs-down: not at risk
    _, aid = await built.ask(beta, None, "q?", T0)
    await built.thumbs(beta, aid)

    gamma_sessions = [await built.session(account="gamma") for _ in range(3)]
    for sid in gamma_sessions:
        pv = await built.page(sid, "/app/dashboard")
        await built.signal(sid, pv, "rage_click", path="/app/dashboard")
        await built.signal(sid, pv, "dead_click", path="/app/dashboard")

    delta = await built.session(account="delta")
    await built.handoff(delta, T0, kinds=("strong_emotion",), strong_emotion_words="this is awful")
    await built.csat(delta, 1, T0 + MIN, "never fixed")

    anon = await built.session()  # churn talk without a verified account: not listed
    await built.handoff(anon, T0, kinds=("churn_risk",))
    old = await built.session(START - timedelta(days=3), account="old")  # before the period
    await built.handoff(old, START - timedelta(days=3), kinds=("churn_risk",))
    elsewhere = await built.session(site="other", account="acme")
    await built.handoff(elsewhere, T0, kinds=("churn_risk",), site="other")

    found = await acc.at_risk_accounts(db, START, END, "demo")
    assert [a.account_id for a in found] == ["acme", "delta", "gamma"]  # ties by id
    acme_row, delta_row, gamma_row = found
    assert (acme_row.name, acme_row.tier, acme_row.mrr) == ("Acme Inc", "enterprise", 4200.0)
    assert (acme_row.churn_risk, acme_row.escalations, acme_row.thumbs_down) == (1, 1, 1)
    assert acme_row.score == 5.0 and acme_row.sessions == 2
    assert acme_row.evidence[0].kind == "churn_risk"
    assert acme_row.evidence[0].text == "we are moving to a competitor"
    assert "twice" in acme_row.evidence[1].text and acme_row.evidence[1].kind == "thumbs_down"
    assert acme_row.reasons[0] == "churn language in 1 conversation"
    assert (delta_row.strong_emotion, delta_row.low_csat, delta_row.score) == (1, 1, 5.0)
    assert {e.kind for e in delta_row.evidence} == {"strong_emotion", "low_csat"}
    assert (gamma_row.struggle_sessions, gamma_row.struggle_signals, gamma_row.score) == (3, 6, 3.0)
    assert gamma_row.evidence[0].text == "2 struggle signals (dead click, rage click)"
    assert gamma_row.reasons == ["repeated struggle in 3 sessions"]
    everywhere = await acc.at_risk_accounts(db, START, END)
    assert next(a for a in everywhere if a.account_id == "acme").churn_risk == 2
    assert await acc.at_risk_accounts(db, START, END, "demo", min_score=4.5) == found[:2]


# ---------------------------------------------------------------- the weekly digest


class FakeSites:
    def __init__(self, channels: dict[str, list[Any]]) -> None:
        self.by_key = {k: object() for k in channels}
        self._channels = channels

    def channels_for(self, site: str) -> list[Any]:
        return self._channels.get(site, [])


def channels() -> list[Any]:
    return [
        WebhookChannel("webhook", "http://127.0.0.1:9/hook", "s"),
        SlackChannel("slack", "http://127.0.0.1:9/slack"),
        EmailChannel("email", ["lead@x.test"], "pg@x.test", "127.0.0.1"),
    ]


async def page_history(built: Built, template: str, jump: bool, weeks: int = 4) -> None:
    """20 sessions a week on `template` for `weeks` weeks before the digest's week and in it:
    one in ten struggles, and with `jump` every session of the digest's week struggles."""
    rows: list[Any] = []
    for k in range(weeks, -1, -1):
        for i in range(20):
            at = START - timedelta(days=7 * k) + timedelta(hours=10, minutes=i)
            sid = secrets.token_hex(16)
            view = m.PageView(session_id=sid, url=f"http://x{template}", path=template,
                              template=template, at=at)  # fmt: skip
            rows += [m.Session(id=sid, site_key="demo", created_at=at, last_seen_at=at), view]
            if i % 10 == 0 or (jump and k == 0):
                rows.append((sid, view, at))
    async with built.db.session() as s, s.begin():
        for row in rows:
            if isinstance(row, tuple):
                sid, view, at = row
                s.add(m.SignalRow(session_id=sid, page_view_id=view.id, kind="rage_click",
                                  score=0.9, path=template, at=at + MIN))  # fmt: skip
            else:
                s.add(row)
            await s.flush()


async def digest_data(built: Built) -> None:
    agent = await built.agent()
    # a recurring theme and a gap
    for i, text in enumerate(["how do I export to PowerPoint?", "export to powerpoint",
                              "How do I export to PowerPoint?"]):  # fmt: skip
        sid = await built.session(T0 + i * MIN)
        pv = await built.page(sid, "/app/dashboard", T0 + i * MIN)
        await built.ask(sid, pv, text, T0 + i * MIN, status="declined", confidence=0.05)
    # a misfiring article
    sid = await built.session()
    pv = await built.page(sid, "/app/settings/billing")
    _, aid = await built.ask(sid, pv, "how do I change my plan?", T0, sources=[PLAN])
    await built.thumbs(sid, aid)
    # handoffs with issue types and handling times; one untagged
    for minutes, issue in ((10, "billing"), (30, "billing"), (5, "how_to")):
        sid = await built.session(account="acme", name="Acme <b>Inc</b>")
        await built.handoff(
            sid, T0, kinds=("churn_risk",), status="closed", agent_id=agent,
            claimed_at=T0 + MIN, first_response_at=T0 + 2 * MIN,
            closed_at=T0 + MIN + timedelta(minutes=minutes), tags={"issue_type": issue},
            churn_risk_words="cancel <everything> & leave",
        )  # fmt: skip
    await built.handoff(await built.session(), T0)
    await page_history(built, "/app/reports", jump=True)
    # waiting for review
    await built.add(m.Draft(title="t", pages=[], body="b"))


async def test_the_digest_renders_every_section(db: Database, built: Built, embedder) -> None:
    await digest_data(built)
    digest = await dg.build_digest(db, "demo", WEEK, base_url="https://pg.example/",
                                   embedder=embedder, now=END)  # fmt: skip
    assert (digest.week, digest.start, digest.end) == (WEEK, START, END)
    assert digest.questions == 4 and digest.answered == 1 and digest.escalations == 4
    assert digest.drafts_waiting == 1 and digest.flags_open == 0
    assert digest.themes[0].questions == 3 and digest.themes[0].page == "/app/dashboard"
    assert [x.key for x in digest.friction] == ["/app/reports"]
    assert digest.friction[0].value > digest.friction[0].baseline + 5
    assert digest.friction[0].week == START.date() and digest.friction[0].volume == 20
    assert "powerpoint" in digest.gaps[0].title.lower()
    assert [x.url for x in digest.misfiring] == [PLAN["url"]]
    billing, how_to = digest.issue_types
    assert (billing.issue_type, billing.handoffs, billing.median_handling_seconds) == (
        "billing",
        2,
        1200.0,
    )
    assert billing.total_handling_seconds == 2400.0 and billing.median_first_response_seconds == 120
    assert (how_to.issue_type, how_to.handoffs) == ("how_to", 1) and digest.untagged_handoffs == 1
    assert digest.accounts[0].account_id == "acme"

    md = dg.render_markdown(digest)
    for heading in ("What people asked about most", "Pages getting harder", "Articles to write",
                    "Articles that misfire", "Issue types that needed a person",
                    "Where agents spent their time", "Accounts to check in on"):  # fmt: skip
        assert f"## {heading}" in md
    assert "https://pg.example/reports?since=2026-11-02&until=2026-11-08&site=demo" in md
    assert "https://pg.example/reports/scorecard?since=2026-11-02&until=2026-11-08&site=demo" in md
    assert "https://pg.example/inbox#learning" in md
    assert "[`/app/reports`](https://pg.example/reports/page/app/reports?since=2026-11-02" in md
    assert "over the 4 weeks before" in md
    assert "**Billing** — median 20 min, 40 min in total over 2 conversations" in md
    assert "<b>" not in md and "<everything>" not in md, "user text is inert Markdown"
    assert "1 handoff without an issue type" in md
    text = dg.render_text(digest)
    assert "Where agents spent their time" in text and "**" not in text
    body = dg.slack_body(digest)
    assert body["blocks"][0]["type"] == "header" and len(body["blocks"]) <= 50
    sections = [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]
    assert all(len(t) <= 3000 for t in sections)
    assert any("&lt;everything&gt; &amp; leave" in t for t in sections), "Slack text escaped"
    assert json.loads(dg.render(digest, "json"))["week"] == WEEK
    with pytest.raises(InsightError):
        dg.render(digest, "pdf")  # type: ignore[arg-type]


async def test_a_flat_history_is_not_a_page_getting_harder(db: Database, built: Built) -> None:
    await page_history(built, "/app/reports", jump=False)
    digest = await dg.build_digest(db, "demo", WEEK, base_url="http://h", now=END)
    assert digest.friction == [] and digest.escalation == []
    assert "## Pages getting harder\n\nFlagged by the anomaly scan" in dg.render_markdown(digest)


async def test_escalation_rises_reach_the_digest(db: Database) -> None:
    """The issue types the scan flags are listed with their rate against their history."""
    from pageguide.reports.anomalies import ESCALATION_RULE, WeekPoint, detect_anomaly

    rates = [0.1, 0.12, 0.08, 0.1, 0.45]
    points = [WeekPoint(week=(START - timedelta(days=7 * (4 - i))).date(), value=v, volume=40)
              for i, v in enumerate(rates)]  # fmt: skip
    flag = detect_anomaly("issue_escalation_rate", "billing", points, ESCALATION_RULE)
    assert flag is not None
    digest = await dg.build_digest(db, "demo", WEEK, base_url="http://h", now=END)
    md = dg.render_markdown(digest.model_copy(update={"escalation": [flag]}))
    assert (
        "1. **Billing** — 45% of the assistant's conversations went to a person, against 10% ± 1%"
        " over the 4 weeks before (z 11.7, 4.5×), 40 conversations"
    ) in md


async def test_an_empty_week_still_reads_well(db: Database) -> None:
    text = await dg.preview_digest(db, "demo", base_url="http://h", week=WEEK)
    assert text.count("Nothing stood out.") == 7
    assert "0 questions asked" in text and "1 draft" not in text


async def test_send_digest_writes_one_row_per_channel_once(db: Database, built: Built) -> None:
    await digest_data(built)
    sites = FakeSites({"demo": channels(), "quiet": []})
    woken = []
    outbox = type("Outbox", (), {"wake": lambda self: woken.append(1)})()
    first = await dg.send_digest(db, sites, "demo", base_url="http://h", week=WEEK, outbox=outbox)
    assert first.written == [f"digest-demo-{WEEK}-{n}" for n in ("webhook", "slack", "email")]
    assert first.skipped == [] and woken == [1]
    again = await dg.send_digest(db, sites, "demo", base_url="http://h", now=END + MIN)
    assert again.week == WEEK and again.written == [] and len(again.skipped) == 3
    assert (await dg.send_digest(db, sites, "quiet", base_url="http://h", week=WEEK)).written == []
    async with db.session() as s:
        rows = {r.channel: r for r in await s.scalars(select(m.OutboxRow))}
    assert set(rows) == {"demo:webhook", "demo:slack", "demo:email"}
    assert all(r.status == "pending" and r.handoff_id is None for r in rows.values())
    assert rows["demo:webhook"].body["event"] == "digest.weekly"
    assert rows["demo:webhook"].body["digest"]["week"] == WEEK
    assert set(rows["demo:slack"].body) == {"text", "blocks"}
    assert set(rows["demo:email"].body) == {"subject", "text", "markdown"}
    assert rows["demo:email"].body["subject"] == f"Pageguide weekly digest — demo — {WEEK}"
    assert len(dg.digest_key("s" * 100, WEEK, "slack")) <= 100


def test_next_run_is_monday_morning_utc() -> None:
    monday8 = datetime(2026, 11, 9, 8, tzinfo=UTC)
    assert dg.next_run(datetime(2026, 11, 9, 7, 59, tzinfo=UTC)) == monday8
    assert dg.next_run(monday8) == monday8 + timedelta(days=7)
    assert dg.next_run(datetime(2026, 11, 12, 15, tzinfo=UTC)) == monday8 + timedelta(days=7)
    assert dg.next_run(datetime(2026, 11, 8, 23, tzinfo=UTC)) == monday8


async def test_digest_forever_sends_on_monday_and_sleeps_a_week(db: Database, built: Built):
    await digest_data(built)
    sites = FakeSites({"demo": channels()[:1], "quiet": []})
    now = [datetime(2026, 11, 9, 7, 0, tzinfo=UTC)]  # Monday, before 08:00
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 3:
            raise asyncio.CancelledError
        now[0] += timedelta(seconds=seconds)

    with pytest.raises(asyncio.CancelledError):
        await dg.digest_forever(db, sites, base_url="http://h", clock=lambda: now[0], sleep=sleep)
    assert slept[0] == 3600.0, "an hour until Monday 08:00, nothing sent before"
    assert slept[1] == 7 * 86400.0 and slept[2] == 7 * 86400.0
    async with db.session() as s:
        keys = sorted(await s.scalars(select(m.OutboxRow.idempotency_key)))
    assert keys == [f"digest-demo-{WEEK}-webhook", "digest-demo-2026-W46-webhook"]


async def test_a_restarted_server_catches_up_only_on_a_running_habit(db: Database, built: Built):
    sites = FakeSites({"demo": channels()[:1]})
    tuesday = datetime(2026, 11, 10, 7, 0, tzinfo=UTC)  # 23 h after Monday 08:00

    async def once(seconds: float) -> None:
        raise asyncio.CancelledError

    async def keys() -> list[str]:
        async with db.session() as s:
            return sorted(await s.scalars(select(m.OutboxRow.idempotency_key)))

    with pytest.raises(asyncio.CancelledError):  # a new installation: no digest yet
        await dg.digest_forever(db, sites, base_url="http://h", clock=lambda: tuesday, sleep=once)
    assert await keys() == []
    await built.add(
        m.OutboxRow(channel="demo:webhook", idempotency_key="digest-demo-2026-W44-webhook")
    )
    with pytest.raises(asyncio.CancelledError):  # digests were flowing: send the missed one
        await dg.digest_forever(db, sites, base_url="http://h", clock=lambda: tuesday, sleep=once)
    assert await keys() == ["digest-demo-2026-W44-webhook", f"digest-demo-{WEEK}-webhook"]
    late = tuesday + timedelta(hours=2)  # more than a day late: wait for next Monday
    await built.add(m.OutboxRow(channel="demo:webhook", idempotency_key="digest-demo-2026-W46-x"))
    with pytest.raises(asyncio.CancelledError):
        await dg.digest_forever(db, sites, base_url="http://h", clock=lambda: late, sleep=once)
    assert len(await keys()) == 3


# ---------------------------------------------------------------- the inbox's review endpoints


class FakeHub:
    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    async def to_agents(self, frame: dict[str, Any], handoff_id: str | None = None) -> None:
        self.frames.append(frame)


async def review_client(db: Database, knowledge: Path | None) -> tuple[Any, FakeHub, str, int]:
    """The review routes on a bare Starlette app with the state the real app provides."""
    from types import SimpleNamespace

    import httpx
    from starlette.applications import Starlette

    from pageguide.inbox.auth import COOKIE, Agents
    from pageguide.inbox.review import routes
    from pageguide.sites import Sites

    app = Starlette(routes=routes())
    hub = FakeHub()
    agents = Agents(db)
    agent_id = await agents.add("rev@x.test", "Rev", "a long password")
    token = await agents.sign_in("rev@x.test", "a long password")
    signed = await agents.session(token)
    assert token and signed
    kb = FakeKnowledge()
    kb.embedder = None  # type: ignore[attr-defined]
    app.state.inbox = SimpleNamespace(agents=agents, escalations=SimpleNamespace(hub=hub))
    app.state.settings = SimpleNamespace(knowledge=knowledge)
    app.state.services = SimpleNamespace(
        guide=SimpleNamespace(knowledge=kb), sites=Sites.development_default()
    )
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver",
        cookies={COOKIE: token},
    )  # fmt: skip
    return client, hub, signed.csrf, agent_id


async def test_review_endpoints_guard_every_request(db: Database, tmp_path: Path) -> None:
    import httpx

    client, _, csrf, _ = await review_client(db, tmp_path)
    async with client:
        stranger = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
        async with stranger:
            refused = await stranger.get("/inbox/api/learning")
        assert refused.status_code == 401 and refused.json()["error"] == "signed_out"
        assert (await client.get("/inbox/api/learning")).json() == {"drafts": 0, "flags": 0}
        no_token = await client.post("/inbox/api/flags/1/resolve", json={})
        assert no_token.status_code == 403 and no_token.json()["error"] == "csrf"
        wrong = await client.post(
            "/inbox/api/flags/1/resolve", json={}, headers={"X-CSRF-Token": csrf + "x"}
        )
        assert wrong.status_code == 403
        form = await client.post(
            "/inbox/api/flags/1/resolve", data={"a": "b"}, headers={"X-CSRF-Token": csrf}
        )
        assert form.status_code == 415
        garbled = await client.post(
            "/inbox/api/flags/1/resolve", content=b"{nope",
            headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
        )  # fmt: skip
        assert garbled.status_code == 400 and garbled.json()["error"] == "bad_json"
        missing = await client.post(
            "/inbox/api/flags/1/resolve", json={}, headers={"X-CSRF-Token": csrf}
        )
        assert missing.status_code == 404 and missing.json()["message"] == "no such flag"
        assert (await client.get("/inbox/api/drafts?status=nope")).status_code == 400


async def test_review_drafts_and_flags_over_http(db: Database, built: Built, tmp_path: Path):
    folder = tmp_path / "knowledge"
    folder.mkdir()
    client, hub, csrf, agent = await review_client(db, folder)
    headers = {"X-CSRF-Token": csrf}
    hid = await closed_handoff(built, agent)
    draft = await d.on_handoff_closed(db, hid, agent)
    assert draft is not None
    async with client:
        listing = (await client.get("/inbox/api/drafts")).json()["drafts"]
        assert [x["id"] for x in listing] == [draft.id]
        assert listing[0]["created_by"] == "Rev" and listing[0]["handoff_id"] == hid
        bad = await client.post(f"/inbox/api/drafts/{draft.id}", json={"pages": 3}, headers=headers)
        assert bad.status_code == 400 and bad.json()["error"] == "bad_pages"
        saved = await client.post(
            f"/inbox/api/drafts/{draft.id}", json={"title": "Export to PowerPoint"}, headers=headers
        )
        assert saved.json()["draft"]["title"] == "Export to PowerPoint"
        published = await client.post(
            f"/inbox/api/drafts/{draft.id}/publish",
            json={"title": "Export a dashboard to PowerPoint", "pages": ["/app/dashboard"]},
            headers=headers,
        )
        assert published.status_code == 200, published.text
        body = published.json()
        assert body["draft"]["status"] == "published" and body["draft"]["reviewed_by"] == "Rev"
        assert body["article"] == {
            "path": "learned/export-a-dashboard-to-powerpoint.md",
            "url": "http://testserver/help/learned/export-a-dashboard-to-powerpoint",
        }
        assert (folder / body["article"]["path"]).exists()
        assert hub.frames[-1] == {"type": "learning", "drafts": 0, "flags": 0}
        again = await client.post(f"/inbox/api/drafts/{draft.id}/publish", json={}, headers=headers)
        assert again.status_code == 409 and again.json()["error"] == "not_a_draft"
        done = (await client.get("/inbox/api/drafts?status=published")).json()["drafts"]
        assert [x["article_path"] for x in done] == [body["article"]["path"]]

        answers = (await client.get(f"/inbox/api/handoffs/{hid}/answers")).json()["answers"]
        assert [a["question"] for a in answers] == [
            "how do I add a chart?",
            "how do I export my dashboard to PowerPoint",
        ]
        assert (await client.get("/inbox/api/handoffs/nope/answers")).status_code == 404
        flagged = await client.post(
            f"/inbox/api/answers/{answers[0]['id']}/flag",
            json={"correction": "Use Add chart, top right."}, headers=headers,
        )  # fmt: skip
        assert flagged.status_code == 201
        assert hub.frames[-1] == {"type": "learning", "drafts": 0, "flags": 1}
        queue = (await client.get("/inbox/api/flags")).json()["flags"]
        assert queue[0]["correction"] == "Use Add chart, top right." and queue[0]["agent"] == "Rev"
        wrong_type = await client.post(
            f"/inbox/api/flags/{queue[0]['id']}/resolve", json={"make_draft": "yes"},
            headers=headers,
        )  # fmt: skip
        assert wrong_type.status_code == 400
        resolved = await client.post(
            f"/inbox/api/flags/{queue[0]['id']}/resolve", json={"make_draft": True},
            headers=headers,
        )  # fmt: skip
        made = resolved.json()
        assert made["flag"]["status"] == "resolved"
        assert made["draft"]["title"] == "How do I add a chart?"
        assert made["draft"]["pages"] == ["/app/dashboard/:id"]
        assert hub.frames[-1] == {"type": "learning", "drafts": 1, "flags": 0}
        rejected = await client.post(
            f"/inbox/api/drafts/{made['draft']['id']}/reject", json={}, headers=headers
        )
        assert rejected.json()["draft"]["status"] == "rejected"

        preview = await client.get("/inbox/api/digest?week=2026-W45")
        assert preview.status_code == 200 and preview.headers["content-type"].startswith(
            "text/markdown"
        )
        assert preview.text.startswith("# Pageguide weekly digest — demo — 2026-W45")
        assert (await client.get("/inbox/api/digest?site=nope")).status_code == 404


async def test_publishing_without_a_knowledge_folder_says_so(db: Database, built: Built):
    client, _, csrf, agent = await review_client(db, None)
    draft = await d.draft_from_handoff(db, await closed_handoff(built, agent), agent)
    async with client:
        response = await client.post(
            f"/inbox/api/drafts/{draft.id}/publish", json={}, headers={"X-CSRF-Token": csrf}
        )
    assert response.status_code == 409
    assert response.json()["error"] == "no_knowledge"
    assert "--knowledge" in response.json()["message"]
    assert (await d.get_draft(db, draft.id)).status == "draft"
