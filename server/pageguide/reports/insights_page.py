"""`/reports/insights`: what the docs miss. Every misfiring article with the questions it
failed, every documentation gap with its example questions and pages, every at-risk account
with its evidence; each question and piece of evidence opens its session's replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..inbox.auth import SignedIn
from ..insights.accounts import AtRiskAccount
from ..insights.gaps import DocGap
from ..insights.misfiring import MisfiringArticle
from .findings import findings
from .layout import Filters, database, export_href, filters_html, load_template, render
from .markup import (
    DASH,
    chips,
    e,
    exports_html,
    kpis,
    num,
    page_href,
    panel,
    pct,
    session_href,
    table,
    th,
    when,
)

OUTCOMES = {
    "thumbs_down": "thumbs down",
    "escalated": "handed to a person",
    "repeated": "asked again",
}
REASONS = {
    "declined": "declined",
    "low_confidence": "low confidence",
    "thumbs_down": "thumbs down",
    "escalated": "handed to a person",
}
EVIDENCE = {
    "churn_risk": "Churn language",
    "strong_emotion": "Strong emotion",
    "billing_dispute": "Billing dispute",
    "escalation": "Handed to a person",
    "low_csat": "Low CSAT",
    "thumbs_down": "Thumbs down",
    "struggle": "Repeated struggle",
}
OPEN_UP_TO = 5  # longer lists start folded, so one article cannot push the rest off screen
# Misfired questions shown per article, most recent first: an article can fail thousands in a
# month, and every one rendered made the page megabytes; the CSV and the API keep them all.
SHOW_QUESTIONS = 50


def _embedder(request: Request) -> Any | None:
    guide = getattr(request.app.state.services, "guide", None)
    return getattr(getattr(guide, "knowledge", None), "embedder", None)


async def insights_page(request: Request, agent: SignedIn) -> Response:
    f = Filters.of(request)
    report = await findings(database(request), f.period, f.site, embedder=_embedder(request))
    q = f.query()
    exports = exports_html(
        [
            ("Misfiring articles", export_href("insights", f, format="csv", table="misfiring")),
            ("Gaps", export_href("insights", f, format="csv", table="gaps")),
            ("Accounts", export_href("insights", f, format="csv", table="accounts")),
            ("All as JSON", export_href("insights", f)),
        ],
        "CSV:",
    )
    body = load_template("insights.html").substitute(
        filters=filters_html(request, f, "/reports/insights", exports),
        kpis=kpis(
            [
                ("Misfiring articles", num(len(report.misfiring))),
                ("Documentation gaps", num(len(report.gaps))),
                ("Accounts at risk", num(len(report.accounts))),
            ]
        ),
        misfiring=panel(
            "Articles that misfire",
            misfiring_table(
                report.misfiring,
                q,
                export_href("insights", f, format="csv", table="misfiring"),
            ),
            "Cited in answers followed by a thumbs down, a handoff within an hour, or the same "
            "question again within ten minutes; ranked by the lower bound of the misfire rate, "
            "so one miss out of one does not outrank thirty out of sixty.",
        ),
        gaps=panel(
            "Articles to write",
            gaps_table(report.gaps, q),
            "Questions declined, answered with low confidence, thumbed down or handed to a "
            "person, grouped by meaning; ranked by the sessions that asked.",
        ),
        accounts=panel(
            "Accounts to check in on",
            accounts_table(report.accounts, q),
            "Verified accounts only, scored by their evidence (churn language 4, strong "
            "emotion 3, billing dispute 2, low CSAT 2, other handoffs 1.5, thumbs down 1, "
            "repeated struggle 1); listed from a score of 3.",
        ),
    )
    return render("What the docs miss", body, agent, f, "insights")


def _folded(items: Sequence[str], noun: str, total: int | None = None) -> str:
    """A list, folded behind its count (`total` when the list is cut) when it is long."""
    if not items:
        return DASH
    listing = f'<ul class="plain-list">{"".join(items)}</ul>'
    if len(items) <= OPEN_UP_TO:
        return listing
    count = len(items) if total is None else total
    return f"<details><summary>{count} {e(noun)}</summary>{listing}</details>"


def _replay(session_id: str, q: str) -> str:
    if not session_id:
        return ""
    return (
        f' <a href="{e(session_href(session_id, q))}">Replay'
        f'<span class="visually-hidden"> session {e(session_id)}</span></a>'
    )


def _page(template: str, q: str) -> str:
    if not template:
        return ""
    if template.startswith("/") and ", " not in template:  # struggle evidence lists paths
        return f'<a href="{e(page_href(template, q))}"><code>{e(template)}</code></a>'
    return f"<code>{e(template)}</code>"


def _article(a: MisfiringArticle) -> str:
    name = e(a.title or a.url)
    # only web addresses become links: a source URL is data, never a script
    if a.url.startswith(("https://", "http://", "/")):
        name = f'<a href="{e(a.url)}">{name}</a>'
    return f'{name}<br><span class="muted">{e(a.url)}</span>'


def misfiring_table(articles: Sequence[MisfiringArticle], q: str, csv_href: str = "") -> str:
    def question(x: Any) -> str:
        outcomes = ", ".join(OUTCOMES.get(o, o.replace("_", " ")) for o in x.outcomes)
        return (
            f'<li><q>{e(x.text)}</q> {_page(x.page, q)} <span class="muted">{when(x.at)} '
            f"· {e(outcomes)}</span>{_replay(x.session_id, q)}</li>"
        )

    def questions(a: MisfiringArticle) -> str:
        items = [question(x) for x in a.questions[:SHOW_QUESTIONS]]
        hidden = len(a.questions) - len(items)
        if hidden > 0:
            rest = f"{num(hidden)} older ones"
            if csv_href:
                rest = f'<a href="{e(csv_href)}">{rest} in the CSV</a>'
            items.append(f'<li class="muted">… and {rest}</li>')
        return _folded(items, "questions", len(a.questions))

    rows = (
        f'<tr><td class="rank">{i}</td><th scope="row" class="text wrap">{_article(a)}</th>'
        f"<td>{num(a.cited)}</td><td>{num(a.misfired)}</td><td>{pct(a.rate)}</td>"
        f"<td>{num(a.thumbs_down)}</td><td>{num(a.escalated)}</td><td>{num(a.repeated)}</td>"
        f'<td class="text wrap">{questions(a)}</td>'
        "</tr>"
        for i, a in enumerate(articles, 1)
    )
    head = [
        th("#"),
        th("Article", cls="text"),
        th("Cited", "Answers in the period citing it"),
        th("Misfired", "Of those, answers followed by at least one bad outcome"),
        th("Misfire rate"),
        th("Thumbs down"),
        th("Handed over", "Handed to a person within an hour of the answer"),
        th("Asked again", "The same question again within ten minutes"),
        th("Questions it failed", cls="text"),
    ]
    return table(
        "Misfiring articles, worst first",
        head,
        rows,
        empty="No cited answer misfired in this period.",
    )


def gaps_table(gaps: Sequence[DocGap], q: str) -> str:
    def pages(g: DocGap) -> str:
        return _folded(
            [f"<li>{_page(p.template, q)} × {num(p.questions)}</li>" for p in g.pages], "pages"
        )

    def examples(g: DocGap) -> str:
        return _folded(
            [f"<li><q>{e(x.text)}</q> × {num(x.count)}</li>" for x in g.examples], "phrasings"
        )

    rows = (
        f'<tr><td class="rank">{i}</td><th scope="row" class="text wrap">{e(g.title)}</th>'
        f"<td>{num(g.questions)}</td><td>{num(g.sessions)}</td>"
        f'<td class="text">{pages(g)}</td>'
        f'<td class="text triggers">{chips(g.reasons, lambda k: REASONS.get(k, k))}</td>'
        f'<td class="text wrap">{examples(g)}</td></tr>'
        for i, g in enumerate(gaps, 1)
    )
    head = [
        th("#"),
        th("Working title", "The most typical question of the group", cls="text"),
        th("Questions"),
        th("Sessions"),
        th("Asked on", cls="text"),
        th("Why", cls="text"),
        th("Example questions", cls="text"),
    ]
    return table(
        "Documentation gaps, biggest first",
        head,
        rows,
        empty="No question went unanswered in this period.",
    )


def accounts_table(accounts: Sequence[AtRiskAccount], q: str) -> str:
    def who(a: AtRiskAccount) -> str:
        facts = [x for x in (a.tier, f"MRR {a.mrr:,.0f}" if a.mrr is not None else None) if x]
        name = e(a.name) if a.name else f"<code>{e(a.account_id)}</code>"
        extra = f"<code>{e(a.account_id)}</code>" if a.name else ""
        extra += (" · " if extra and facts else "") + e(" · ".join(facts))
        return f'{name}<br><span class="muted">{extra}</span>' if extra else name

    def evidence(a: AtRiskAccount) -> str:
        return _folded(
            [
                f"<li><strong>{e(EVIDENCE.get(x.kind, x.kind.replace('_', ' ')))}</strong> "
                f'{e(x.text)} {_page(x.page, q)} <span class="muted">{when(x.at)}</span>'
                f"{_replay(x.session_id, q)}</li>"
                for x in a.evidence
            ],
            "pieces of evidence",
        )

    rows = (
        f'<tr><td class="rank">{i}</td><th scope="row" class="text wrap">{who(a)}</th>'
        f'<td class="score">{a.score:.1f}</td><td>{num(a.sessions)}</td>'
        f'<td class="text wrap">{e("; ".join(a.reasons)) or DASH}</td>'
        f'<td class="text wrap">{evidence(a)}</td></tr>'
        for i, a in enumerate(accounts, 1)
    )
    head = [
        th("#"),
        th("Account", cls="text"),
        th("Risk score", "Evidence weighted; 3 or more is listed"),
        th("Sessions"),
        th("Why", cls="text"),
        th("Evidence", cls="text"),
    ]
    return table(
        "At-risk accounts, worst first",
        head,
        rows,
        empty="No verified account showed signs of risk in this period.",
    )
