"""`/reports`: where users get stuck. Pages ranked by friction with their signals, questions
and handoffs, charted and trended weekly, with the pages whose friction is rising flagged.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Iterable, Sequence
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..inbox.auth import SignedIn
from . import charts
from .anomalies import anomaly_counts, flag_anomalies
from .charts import Bar, Series
from .layout import Filters, database, export_href, filters_html, load_template, render
from .markup import (
    DASH,
    SIGNAL_LABELS,
    chips,
    duration,
    e,
    exports_html,
    figure,
    kpis,
    meter,
    num,
    page_href,
    panel,
    pct,
    score,
    signal_label,
    table,
    th,
)
from .pages import trends_of
from .period import Period, rolling_weeks
from .queries import PageRow, page_report, page_trends
from .sql import gather

CHART_PAGES = 12  # bars in the friction chart
TREND_PAGES = 5  # lines in the weekly trends
ANOMALY_WEEKS = 8  # the scan's weeks: the latest against the seven before


def _trend_weeks(period: Period) -> list[datetime]:
    """Rolling weeks ending with the period: at least eight, so a short period has context;
    the same weeks the anomaly flags compare."""
    return rolling_weeks(period.end, max(8, math.ceil(period.days / 7)))


def signal_kinds(rows: Iterable[PageRow]) -> list[str]:
    seen: dict[str, int] = {}
    for r in rows:
        for kind, n in r.signals.items():
            seen[kind] = seen.get(kind, 0) + n
    known = [k for k in SIGNAL_LABELS if k in seen]
    return known + sorted(k for k in seen if k not in SIGNAL_LABELS)


async def friction_page(request: Request, agent: SignedIn) -> Response:
    f = Filters.of(request)
    db = database(request)
    edges = _trend_weeks(f.period)
    scan = rolling_weeks(f.period.end, ANOMALY_WEEKS)
    window = Period(start=edges[0], end=edges[-1], label=f"{len(edges) - 1}w")
    # The report, the anomaly scan's weekly counts of every page and, for a period longer
    # than the scan, the longer trend: independent reads, concurrent on PostgreSQL. The
    # trend's weeks are the scan's unless the period is longer, so it reuses those counts.
    reads: list[Awaitable[Any]] = [
        page_report(db, f.period, f.site),
        anomaly_counts(db, f.site, f.period.end, ANOMALY_WEEKS),
    ]
    if edges != scan:
        reads.append(page_trends(db, None, window, f.site, edges))
    report, counts, *longer = await gather(db, *reads)
    top = report.pages[:TREND_PAGES]
    by_page = longer[0] if longer else trends_of(counts, [r.template for r in top], edges)
    trends = [by_page[r.template] for r in top]  # the period is inside the trend's weeks
    # this page shows page flags only: the escalation scan needs no conversations here
    flags = {a.key: a for a in flag_anomalies(counts, [], scan) if a.metric == "page_friction"}
    rows = report.pages
    kinds = signal_kinds(rows)
    q = f.query()

    questions = sum(r.questions for r in rows)
    deflected = sum(r.deflected for r in rows)
    up, down = sum(r.thumbs_up for r in rows), sum(r.thumbs_down for r in rows)
    summary = kpis(
        [
            ("Sessions", num(report.sessions)),
            ("Pages", num(len(rows))),
            ("Questions", num(questions)),
            ("Deflected", pct(deflected / questions if questions else None)),
            ("Escalations", num(report.escalations)),
            ("Thumbs down", pct(down / (up + down) if up + down else None)),
        ]
    )
    friction_chart = charts.bar_chart(
        [
            Bar(r.template, r.friction, page_href(r.template, q), f"{r.sessions} sessions")
            for r in rows[:CHART_PAGES]
        ],
        title="Friction score by page",
        description="Friction 0–100, highest first; each bar opens the page's detail.",
        fmt=score,
    )
    breakdown = rows[:CHART_PAGES]
    signals_chart = charts.stacked_bar_chart(
        [r.template for r in breakdown],
        [Series(signal_label(k), [r.signals.get(k, 0) for r in breakdown]) for k in kinds],
        title="Struggle signals by kind on each page",
        description="Signals per page, split by kind.",
        hrefs=[page_href(r.template, q) for r in breakdown],
    )
    weeks = [f"{edge:%b %d}" for edge in edges[:-1]]
    last = len(weeks) - 1
    friction_trend = charts.line_chart(
        weeks,
        [
            Series(
                r.template,
                [p.friction if p.sessions else None for p in points],
                frozenset({last}) if r.template in flags else frozenset(),
            )
            for r, points in zip(top, trends, strict=True)
        ],
        title=f"Friction per week, top {len(top)} pages",
        description="Rolling weeks ending with the period; a ring marks an anomaly.",
        fmt=score,
    )
    struggle_trend = charts.line_chart(
        weeks,
        [
            Series(
                r.template,
                [p.struggle_sessions / p.sessions if p.sessions else None for p in points],
            )
            for r, points in zip(top, trends, strict=True)
        ],
        title=f"Struggle rate per week, top {len(top)} pages",
        description="Share of sessions on the page with at least one struggle signal.",
        fmt=pct,
    )
    exports = exports_html(
        [
            ("CSV", export_href("pages", f, format="csv")),
            ("JSON", export_href("pages", f, format="json")),
        ]
    )
    body = load_template("friction.html").substitute(
        filters=filters_html(request, f, "/reports", exports),
        kpis=summary,
        friction_chart=panel(
            "Friction by page",
            figure(friction_chart),
            "Struggle, escalations, thumbs down and low CSAT, weighted, each page against "
            "every page in this period (as in the table); "
            f'<a href="/reports/scorecard{e(q)}#def-friction">how it is scored</a>.',
        ),
        signals_chart=panel("Signal breakdown", figure(signals_chart)),
        friction_trend=panel(
            "Friction trend",
            figure(friction_trend),
            "Each page's weeks scored against that page's own weeks, so a line compares with "
            "itself; a week can read differently from the table's score for the period.",
        ),
        struggle_trend=panel("Struggle trend", figure(struggle_trend)),
        table=friction_table(rows, kinds, flags, q),
    )
    return render("Where users get stuck", body, agent, f, "friction")


def friction_table(rows: Sequence[PageRow], kinds: Sequence[str], flags: dict, q: str) -> str:
    head = [
        th("#"),
        th("Page", cls="text"),
        th("Friction", "0–100: struggle 40%, escalation 30%, thumbs down 15%, low CSAT 15%"),
        th("Sessions"),
        th("Users"),
        th("Struggle", "Sessions with at least one struggle signal on the page"),
        *(th(signal_label(k)) for k in kinds),
        th("Questions"),
        th("Deflected", "Answered, and no handoff from the page afterwards"),
        th("Escalations"),
        th("Triggers", cls="text"),
        th("Thumbs up"),
        th("Thumbs down"),
        th("Avg CSAT (1–5)", "Mean score of the 1–5 responses (how many)"),
        th("Time to resolve", "Median, opened to closed, of handoffs closed"),
    ]

    def row(r: PageRow) -> str:
        flag = flags.get(r.template)
        mark = f' <span class="flag" title="{e(flag.reason)}">Rising</span>' if flag else ""
        cells = [
            f'<td class="rank">{r.rank}</td>',
            f'<th scope="row" class="text"><a href="{e(page_href(r.template, q))}">'
            f"<code>{e(r.template)}</code></a>{mark}</th>",
            f'<td class="score">{score(r.friction)}{meter(r.friction)}</td>',
            f"<td>{num(r.sessions)}</td>",
            f"<td>{num(r.users)}</td>",
            f"<td>{pct(r.struggle_rate)}</td>",
            *(f"<td>{num(r.signals.get(k, 0))}</td>" for k in kinds),
            f"<td>{num(r.questions)}</td>",
            f"<td>{pct(r.deflection_rate)}</td>",
            f"<td>{num(r.escalations)}</td>",
            f'<td class="text triggers">{chips(r.triggers, lambda k: k.replace("_", " "))}</td>',
            f"<td>{num(r.thumbs_up)}</td>",
            f"<td>{num(r.thumbs_down)}</td>",
            "<td>"
            + (
                f'{r.csat_average:.1f} <span class="muted">({r.csat_responses})</span>'
                if r.csat_average is not None
                else DASH
            )
            + "</td>",
            f"<td>{duration(r.median_resolution_seconds)}</td>",
        ]
        klass = ' class="anomalous"' if flag else ""
        return f"<tr{klass}>{''.join(cells)}</tr>"

    return table(
        "Pages ranked by friction",
        head,
        (row(r) for r in rows),
        "Pages are route templates: /projects/:id is one page however many projects. "
        "Friction is scored against every page in this period; Rising compares the latest "
        "week with the page's seven weeks before, every page and week scored against all "
        "pages over those eight weeks.",
        "No page was visited in this period.",
    )
