"""`/reports/page/…`: one page's detail. Its numbers, a day-by-day trend, what people asked
(grouped by meaning), where they struggled, the errors they hit and the sessions to watch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from ..inbox.auth import SignedIn
from . import charts
from .charts import Series
from .layout import Filters, database, export_href, filters_html, load_template, render
from .markup import (
    DASH,
    chips,
    columns,
    duration,
    e,
    exports_html,
    figure,
    kpis,
    num,
    page_href,
    panel,
    pct,
    score,
    session_href,
    signal_label,
    table,
    th,
    when,
)
from .queries import page_detail

DETAIL_EXPORTS = (
    ("questions", "Questions"),
    ("targets", "Struggle targets"),
    ("errors", "Errors"),
    ("sessions", "Sessions"),
    ("trend", "Day by day"),
)
ESCALATED = '<span class="flag">Escalated</span>'


async def detail_page(request: Request, agent: SignedIn) -> Response:
    f = Filters.of(request)
    template = "/" + request.path_params["template"].strip("/")
    services = request.app.state.services
    d = await page_detail(
        database(request), template, f.period, f.site, embedder=services.guide.knowledge.embedder
    )
    r, q = d.row, f.query()
    api_path = "pages/" + quote(template.lstrip("/"), safe="/:")
    ranked = f"ranked #{r.rank} by friction" if r.rank else "no visits in this period"
    summary = kpis(
        [
            ("Friction", score(r.friction)),
            ("Sessions", num(r.sessions)),
            ("Struggle rate", pct(r.struggle_rate)),
            ("Questions", num(r.questions)),
            ("Deflected", pct(r.deflection_rate)),
            ("Escalations", num(r.escalations)),
            (
                "Avg CSAT (1–5)",
                DASH
                if r.csat_average is None
                else f'{r.csat_average:.1f} <span class="of">of 5 ({r.csat_responses})</span>',
            ),
            ("Time to resolve", duration(r.median_resolution_seconds)),
        ]
    )
    days = [f"{p.start:%b %d}" for p in d.trend]
    trend = charts.line_chart(
        days,
        [
            Series("Sessions", [p.sessions for p in d.trend]),
            Series("Struggling", [p.struggle_sessions for p in d.trend]),
            Series("Questions", [p.questions for p in d.trend]),
            Series("Escalations", [p.escalations for p in d.trend]),
        ],
        title=f"Daily activity on {template}",
        description="Sessions, sessions with a struggle signal, questions and escalations.",
        width=1100,
    )
    body = load_template("detail.html").substitute(
        crumbs=f'<a href="/reports{e(q)}">Where users get stuck</a>',
        template=e(template),
        ranked=e(ranked),
        filters=filters_html(
            request,
            f,
            page_href(template),
            exports_html(
                [
                    *(
                        (label, export_href(api_path, f, format="csv", table=name))
                        for name, label in DETAIL_EXPORTS
                    ),
                    ("All as JSON", export_href(api_path, f)),
                ],
                "CSV:",
            ),
        ),
        kpis=summary,
        trend=panel(
            "Day by day",
            figure(trend),
            "Each day scored against this page's own days; the friction above is scored "
            "against every page in the period.",
        ),
        signals=panel("Signals", chips(r.signals, signal_label)),
        triggers=panel(
            "Why people were handed to a person",
            chips(r.triggers, lambda k: k.replace("_", " ")),
        ),
        questions=panel(
            "What people asked",
            clusters_html(d.question_clusters),
            "Questions grouped by meaning; the label is the most typical phrasing.",
        ),
        targets=targets_table(d.struggle_targets),
        errors=errors_table(d.errors),
        sessions=sessions_table(d.example_sessions, q),
    )
    return render(template, body, agent, f, "friction")


def clusters_html(clusters: Sequence[Any]) -> str:
    if not clusters:
        return '<p class="empty">No questions were asked on this page in this period.</p>'
    items = []
    for i, c in enumerate(clusters):
        examples = "".join(f"<li><q>{e(x.text)}</q> × {x.count}</li>" for x in c.examples[1:])
        items.append(
            f'<li class="cluster"><h3 id="cluster-{i}">{e(c.label)} '
            f'<span class="count">{c.count} asked · {pct(c.share)}</span></h3>'
            + (f'<ul aria-labelledby="cluster-{i}">{examples}</ul>' if examples else "")
            + "</li>"
        )
    return f'<ol class="clusters">{"".join(items)}</ol>'


def targets_table(targets: Sequence[Any]) -> str:
    rows = (
        f'<tr><td class="text">{e(signal_label(t.kind))}</td>'
        f'<td class="text"><code>{e(t.target or DASH)}</code></td>'
        f'<td class="text wrap">{e(t.target_text or DASH)}</td>'
        f"<td>{num(t.signals)}</td><td>{num(t.sessions)}</td></tr>"
        for t in targets
    )
    return table(
        "Where people struggled",
        columns("Signal", "Selector", "Text", "Signals", "Sessions", text=3),
        rows,
        "The elements struggle signals fired on.",
        "No struggle signals on this page in this period.",
    )


def errors_table(errors: Sequence[Any]) -> str:
    rows = (
        f'<tr><td class="text">{e(x.kind.replace("_", " "))}</td>'
        f'<td class="text wrap">{e(x.message or DASH)}</td>'
        f"<td>{num(x.events)}</td><td>{num(x.sessions)}</td>"
        f"<td>{when(x.last_at) if x.last_at else DASH}</td></tr>"
        for x in errors
    )
    return table(
        "Errors people hit",
        columns("Kind", "Message", "Times", "Sessions", "Last seen", text=2),
        rows,
        "Error messages, failed requests and invalid fields.",
        "No errors recorded on this page in this period.",
    )


def sessions_table(sessions: Sequence[Any], q: str) -> str:
    def trail(pages: Sequence[str]) -> str:
        shown = pages[:6]
        more = f'<li class="muted">+{len(pages) - 6} more</li>' if len(pages) > 6 else ""
        return (
            '<ol class="trail">'
            + "".join(f"<li><code>{e(p)}</code></li>" for p in shown)
            + more
            + "</ol>"
        )

    rows = (
        f'<tr><td class="text"><a href="{e(session_href(s.session_id, q))}">'
        f'Replay<span class="visually-hidden"> session {e(s.session_id)}</span></a></td>'
        f'<td class="text">{when(s.started_at)}</td>'
        f'<td class="text wrap">{trail(s.pages)}</td>'
        f"<td>{num(s.page_views)}</td><td>{num(s.signals)}</td><td>{num(s.questions)}</td>"
        f'<td class="text">{ESCALATED if s.escalated else DASH}</td></tr>'
        for s in sessions
    )
    head = [
        *columns("Session", "Started", "Pages", "Views", "Signals", "Questions", text=3),
        th("Handoff", cls="text"),
    ]
    return table(
        "Sessions to watch",
        head,
        rows,
        "Escalated sessions first, then those with the most struggle.",
        "No sessions on this page in this period.",
    )
