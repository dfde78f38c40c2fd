"""The report pages: where users get stuck (`/reports`), one page's detail, a session replayed,
and the scorecard. HTML built on the server with every value escaped, charts as inline SVG
(charts.py), one stylesheet, no inline style or script: the pages work offline under a strict
Content-Security-Policy. Signed-in agents only.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..inbox.auth import SignedIn
from ..inbox.routes import current_agent
from . import charts
from .charts import Bar, Series
from .period import Period, PeriodError, parse_period, rolling_weeks
from .queries import PageRow, page_detail, page_report, page_trends, session_timeline
from .scorecard import IssueTypes, find_anomalies, scorecard

HERE = Path(__file__).parent
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
PERIODS = ("24h", "7d", "30d", "90d")
CHART_PAGES = 12  # bars in the friction chart
TREND_PAGES = 5  # lines in the weekly trends
SIGNAL_LABELS = {
    "rage_click": "Rage clicks",
    "dead_click": "Dead clicks",
    "error_loop": "Error loops",
    "navigation_loop": "Navigation loops",
    "hesitation": "Hesitation",
    "explicit": "Opened help, didn't ask",
}
DETAIL_EXPORTS = (
    ("questions", "Questions"),
    ("targets", "Struggle targets"),
    ("errors", "Errors"),
    ("sessions", "Sessions"),
    ("trend", "Day by day"),
)
DASH = "—"
ESCALATED = '<span class="flag">Escalated</span>'

Handler = Callable[[Request, SignedIn], Awaitable[Response]]


# ---------------------------------------------------------------- formatting


def e(value: object) -> str:
    return escape(str(value), quote=True)


def pct(value: float | None, digits: int = 0) -> str:
    return DASH if value is None else f"{value * 100:.{digits}f}%"


def num(value: float | None) -> str:
    return DASH if value is None else charts.number(value)


def score(value: float) -> str:
    return f"{value:.1f}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def time_unit(values: Iterable[float | None]) -> tuple[float, str]:
    """A unit for charting durations, so the axis reads 5, 10, 15 min rather than 300 s."""
    top = max((v for v in values if v is not None), default=0.0)
    if top < 120:
        return 1.0, "s"
    if top < 2 * 3600:
        return 60.0, "min"
    return 3600.0, "h"


def when(value: datetime) -> str:
    return f'<time datetime="{value.isoformat()}">{value:%Y-%m-%d %H:%M}</time>'


def signal_label(kind: str) -> str:
    return SIGNAL_LABELS.get(kind, kind.replace("_", " ").capitalize())


def page_href(template: str, query: str = "") -> str:
    return "/reports/page/" + quote(template.lstrip("/"), safe="/:") + query


def session_href(session_id: str, query: str = "") -> str:
    return "/reports/session/" + quote(session_id, safe="") + query


# ---------------------------------------------------------------- the request's filters


@dataclass(frozen=True)
class Filters:
    since: str
    until: str
    site: str | None
    period: Period
    error: str = ""

    @classmethod
    def of(cls, request: Request) -> Filters:
        since = request.query_params.get("since", "7d").strip() or "7d"
        until = request.query_params.get("until", "").strip()
        site = request.query_params.get("site", "").strip() or None
        try:
            return cls(since, until, site, parse_period(since, until or None))
        except PeriodError as error:
            return cls("7d", "", site, parse_period("7d"), f"{error}. Showing the last 7 days.")

    def query(self, **change: str | None) -> str:
        values = {"since": self.since, "until": self.until, "site": self.site or ""} | change
        pairs = {k: v for k, v in values.items() if v}
        return "?" + urlencode(pairs) if pairs else ""

    @property
    def scope(self) -> str:
        where = f"site <code>{e(self.site)}</code>" if self.site else "all sites"
        start, end = self.period.start, self.period.end
        return f"{when(start)} – {when(end)} UTC, {where}"


def filters_html(request: Request, f: Filters, path: str, exports: str = "") -> str:
    chosen = ' aria-current="true"'
    links = "".join(
        f'<li><a href="{e(path + f.query(since=p, until=None))}"'
        f"{chosen if p == f.since and not f.until else ''}>{p}</a></li>"
        for p in PERIODS
    )
    sites = sorted(set(request.app.state.services.sites.by_key) | ({f.site} if f.site else set()))
    options = '<option value="">All sites</option>' + "".join(
        f'<option value="{e(s)}"{" selected" if s == f.site else ""}>{e(s)}</option>' for s in sites
    )
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{e(v)}">'
        for k, v in (("since", f.since), ("until", f.until))
        if v
    )
    note = f'<p class="notice error" role="alert">{e(f.error)}</p>' if f.error else ""
    return (
        f'<div class="filters"><nav aria-label="Period"><ul class="periods">{links}</ul></nav>'
        f'<form class="site-form" method="get" action="{e(path)}">{hidden}'
        f'<label for="site">Site</label><select id="site" name="site" data-autosubmit>{options}'
        f'</select><button class="button apply" type="submit">Apply</button></form>{exports}'
        f'<p class="period-note">{f.scope}</p></div>{note}'
    )


# ---------------------------------------------------------------- the frame


def _template(name: str) -> Template:
    return Template((HERE / "templates" / name).read_text(encoding="utf-8"))


def render(
    title: str, body: str, agent: SignedIn, f: Filters | None, section: str, status: int = 200
) -> HTMLResponse:
    query = f.query() if f else ""
    current = ' aria-current="page"'
    html = _template("base.html").substitute(
        title=e(title),
        body=body,
        agent_name=e(agent.name),
        query=e(query),
        current_friction=current if section == "friction" else "",
        current_scorecard=current if section == "scorecard" else "",
        generated=when(datetime.now(UTC).replace(microsecond=0)) + " UTC",
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def signed_in(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        agent = await current_agent(request)
        if agent is None:
            return RedirectResponse("/inbox/login", status_code=303)
        return await handler(request, agent)

    return endpoint


def kpis(items: Iterable[tuple[str, str]]) -> str:
    cells = "".join(f'<div class="kpi"><dt>{e(k)}</dt><dd>{v}</dd></div>' for k, v in items)
    return f'<dl class="kpis">{cells}</dl>'


def panel(heading: str, content: str, hint: str = "", hid: str = "") -> str:
    hid = hid or "h-" + "".join(c if c.isalnum() else "-" for c in heading.lower())[:40]
    note = f'<p class="hint">{hint}</p>' if hint else ""
    return (
        f'<section class="panel" aria-labelledby="{hid}"><h2 id="{hid}">{e(heading)}</h2>'
        f"{note}{content}</section>"
    )


def figure(svg: str) -> str:
    return f'<figure class="chart-box">{svg}</figure>'


def table(
    caption: str,
    head: Sequence[str],
    rows: Iterable[str],
    hint: str = "",
    empty: str = "Nothing in this period.",
) -> str:
    body = "".join(rows)
    if not body:
        return f'<p class="empty">{e(empty)}</p>'
    note = f'<span class="hint">{hint}</span>' if hint else ""
    return (
        f'<div class="table-wrap" role="region" tabindex="0" aria-label="{e(caption)}">'
        f"<table><caption>{e(caption)}{note}</caption><thead><tr>{''.join(head)}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def th(label: str, title: str = "", cls: str = "") -> str:
    text = f'<abbr title="{e(title)}">{e(label)}</abbr>' if title else e(label)
    klass = f' class="{cls}"' if cls else ""
    return f'<th scope="col"{klass}>{text}</th>'


def meter(value: float, top: float = 100.0) -> str:
    w = max(0.0, min(value / top, 1.0)) * 56
    return (
        '<span class="meter" aria-hidden="true"><svg width="56" height="7" viewBox="0 0 56 7">'
        f'<rect width="{w:.1f}" height="7"/></svg></span>'
    )


def chips(counts: dict[str, int], label: Callable[[str], str] = str) -> str:
    if not counts:
        return DASH
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return (
        '<ul class="chips">'
        + "".join(f'<li class="chip">{e(label(k))} {v}</li>' for k, v in items)
        + "</ul>"
    )


# ---------------------------------------------------------------- /reports: where users get stuck


def _db(request: Request) -> Any:
    return request.app.state.services.repo.db


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
    db = _db(request)
    report = await page_report(db, f.period, f.site)
    edges = _trend_weeks(f.period)
    window = Period(start=edges[0], end=edges[-1], label=f"{len(edges) - 1}w")
    top = report.pages[:TREND_PAGES]
    by_page = await page_trends(db, [r.template for r in top], window, f.site, edges)
    trends = [by_page[r.template] for r in top]
    flags = {
        a.key: a
        for a in await find_anomalies(db, f.site, end=f.period.end)
        if a.metric == "page_friction"
    }
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
    body = _template("friction.html").substitute(
        filters=filters_html(request, f, "/reports", exports),
        kpis=summary,
        friction_chart=panel(
            "Friction by page",
            figure(friction_chart),
            "Struggle, escalations, thumbs down and low CSAT, weighted; "
            f'<a href="/reports/scorecard{e(q)}#def-friction">how it is scored</a>.',
        ),
        signals_chart=panel("Signal breakdown", figure(signals_chart)),
        friction_trend=panel("Friction trend", figure(friction_trend)),
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
        th("CSAT", "Average of 1–5 responses (how many)"),
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
        "Pages are route templates: /projects/:id is one page however many projects.",
        "No page was visited in this period.",
    )


def export_href(path: str, f: Filters, **params: str) -> str:
    """A link to the CSV/JSON API (api.py) for what the page shows."""
    pairs = {"since": f.since, "until": f.until, "site": f.site or "", **params}
    return "/api/reports/" + path + "?" + urlencode({k: v for k, v in pairs.items() if v})


def exports_html(links: Iterable[tuple[str, str]], label: str = "Export") -> str:
    return (
        f'<p class="exports">{e(label)} '
        + "".join(f'<a class="button" href="{e(href)}">{e(text)}</a>' for text, href in links)
        + "</p>"
    )


# ---------------------------------------------------------------- /reports/page/…: one page


async def detail_page(request: Request, agent: SignedIn) -> Response:
    f = Filters.of(request)
    template = "/" + request.path_params["template"].strip("/")
    services = request.app.state.services
    d = await page_detail(
        _db(request), template, f.period, f.site, embedder=services.guide.knowledge.embedder
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
                "CSAT",
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
    body = _template("detail.html").substitute(
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
        trend=panel("Day by day", figure(trend)),
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
    head = [
        th("Signal", cls="text"),
        th("Selector", cls="text"),
        th("Text", cls="text"),
        th("Signals"),
        th("Sessions"),
    ]
    return table(
        "Where people struggled",
        head,
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
    head = [
        th("Kind", cls="text"),
        th("Message", cls="text"),
        th("Times"),
        th("Sessions"),
        th("Last seen"),
    ]
    return table(
        "Errors people hit",
        head,
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
        th("Session", cls="text"),
        th("Started", cls="text"),
        th("Pages", cls="text"),
        th("Views"),
        th("Signals"),
        th("Questions"),
        th("Handoff", cls="text"),
    ]
    return table(
        "Sessions to watch",
        head,
        rows,
        "Escalated sessions first, then those with the most struggle.",
        "No sessions on this page in this period.",
    )


# ---------------------------------------------------------------- /reports/session/…: a replay

GROUPS = {
    "page": "pages",
    "event": "events",
    "signal": "signals",
    "nudge": "nudges",
}
GROUP_LABELS = {
    "pages": "Pages",
    "events": "Events",
    "signals": "Signals",
    "nudges": "Nudges",
    "conversation": "Conversation",
}
KIND_LABELS = {"csat": "CSAT", "feedback": "rating"}


def offset(seconds: float) -> str:
    seconds = max(0, int(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"+{h}:{m:02d}:{s:02d}" if h else f"+{m}:{s:02d}"


def _item_detail(item: Any) -> str:
    d = item.data
    bits: list[str] = []
    if item.kind == "page":
        if d.get("title"):
            bits.append(e(d["title"]))
        if d.get("path") and d.get("path") != item.template:
            bits.append(f"<code>{e(d['path'])}</code>")
        for err in d.get("form_errors") or []:
            text = err.get("message", err) if isinstance(err, dict) else err
            bits.append(f"form error: {e(text)}")
    elif item.kind == "signal":
        bits.append(f"score {d.get('score', 0):.2f}")
        if d.get("reason"):
            bits.append(e(str(d["reason"]).replace("_", " ")))
        if d.get("verdict"):
            bits.append(f"nudge policy: {e(d['verdict'])}")
    elif item.kind == "answer":
        bits.append(e(d.get("status", "")))
        if "confidence" in d:
            bits.append(f"confidence {float(d['confidence']):.2f}")
        for src in d.get("sources") or []:
            if isinstance(src, dict):
                bits.append(f"source: {e(src.get('title') or src.get('url') or '')}")
    elif item.kind == "handoff":
        tags = d.get("tags") or {}
        bits.extend(f"{e(k.replace('_', ' '))}: {e(v)}" for k, v in tags.items() if v)
    elif item.kind == "nudge":
        if d.get("asked"):
            bits.append("a question followed")
        if d.get("succeeded"):
            bits.append("the user got past it")
    return f'<p class="detail">{" · ".join(b for b in bits if b)}</p>' if bits else ""


def _item_class(item: Any) -> str:
    d = item.data
    if item.kind == "event" and d.get("event") in ("error", "http_error", "invalid"):
        return "event error"
    if item.kind == "message":
        return f"message {e(d.get('role', ''))}"
    if item.kind == "question":
        return "question user"
    if item.kind == "answer":
        return "answer assistant"
    return e(item.kind)


async def session_page(request: Request, agent: SignedIn) -> Response:
    f = Filters.of(request)
    sid = request.path_params["session_id"]
    t = await session_timeline(_db(request), sid)
    q = f.query()
    if t is None:
        body = (
            '<header class="page-head"><div><h1>Session not found</h1>'
            f'<p class="lede">No session <code>{e(sid)}</code>; it may have been deleted by the '
            f'retention policy. <a href="/reports{e(q)}">Back to the reports</a>.</p>'
            "</div></header>"
        )
        return render("Session not found", body, agent, f, "friction", status=404)
    start = t.started_at
    pages = [i for i in t.items if i.kind == "page"]
    trail = (
        '<ol class="trail">'
        + "".join(
            f'<li><a href="{e(page_href(i.template or i.data.get("path", "/"), q))}">'
            f"<code>{e(i.template or i.data.get('path', ''))}</code></a></li>"
            for i in pages
        )
        + "</ol>"
        if pages
        else '<p class="empty">No pages recorded.</p>'
    )
    counts: dict[str, int] = {}
    entries = []
    for item in t.items:
        group = GROUPS.get(item.kind, "conversation")
        counts[group] = counts.get(group, 0) + 1
        label = KIND_LABELS.get(item.kind, item.kind)
        if item.kind == "event":
            label = str(item.data.get("event", "event")).replace("_", " ")
        elif item.kind == "message":
            label = str(item.data.get("role", "message"))
        entries.append(
            f'<li class="{_item_class(item)}" data-group="{group}">'
            f'<time datetime="{item.at.isoformat()}" title="{item.at:%Y-%m-%d %H:%M:%S} UTC">'
            f"{offset((item.at - start).total_seconds())}</time>"
            f'<span class="kind">{e(label)}</span>'
            f'<div class="body"><p>{e(item.summary)}</p>{_item_detail(item)}</div></li>'
        )
    toggles = "".join(
        f'<label><input type="checkbox" checked data-timeline-kind="{g}"> {GROUP_LABELS[g]} '
        f'<span class="muted">({counts[g]})</span></label>'
        for g in GROUP_LABELS
        if counts.get(g)
    )
    facts = [
        ("Site", f"<code>{e(t.site_key)}</code>"),
        ("Started", when(t.started_at) + " UTC"),
        ("Last seen", when(t.last_seen_at) + " UTC"),
        ("Length", duration((t.last_seen_at - t.started_at).total_seconds())),
        ("Account", f"<code>{e(t.account_id)}</code>" if t.account_id else "anonymous"),
        ("User", f"<code>{e(t.user_id)}</code>" if t.user_id else DASH),
    ]
    truncated = (
        '<p class="notice">This session has more events than a replay shows; the first ones '
        "are here.</p>"
        if t.truncated
        else ""
    )
    body = _template("session.html").substitute(
        crumbs=f'<a href="/reports{e(q)}">Where users get stuck</a>',
        session_id=e(t.session_id),
        facts="".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts),
        trail=trail,
        toggles=toggles,
        truncated=truncated,
        timeline="".join(entries) or '<li class="empty">Nothing recorded.</li>',
    )
    return render(f"Session {t.session_id}", body, agent, f, "friction")


# ---------------------------------------------------------------- /reports/scorecard


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    anchor: str  # its definition on the page
    pick: Callable[[Any], float | None]  # from a ScoreLine
    fmt: Callable[[float | None], str]
    share: bool  # a 0..1 rate (charted 0–100%) rather than a time


MEASURES = (
    Measure("csat", "CSAT", "def-csat", lambda s: s.csat, pct, True),
    Measure("fcr", "First-contact resolution", "def-fcr", lambda s: s.fcr, pct, True),
    Measure(
        "escalation", "Escalation rate", "def-escalation", lambda s: s.escalation_rate, pct, True
    ),
    Measure(
        "first_response",
        "Time to first response",
        "def-first-response",
        lambda s: s.first_response_median_seconds,
        duration,
        False,
    ),
    Measure(
        "resolution",
        "Time to resolution",
        "def-resolution",
        lambda s: s.resolution_median_seconds,
        duration,
        False,
    ),
)
CHANNELS = (("ai", "AI assistant"), ("human", "People"))


async def scorecard_page(request: Request, agent: SignedIn) -> Response:
    f = Filters.of(request)
    db, q = _db(request), f.query()
    kinds = _issue_types(request)
    card = await scorecard(db, f.period, "channel", f.site, weeks=8, issue_types=kinds)
    by_page, by_issue = [
        await scorecard(db, f.period, by, f.site, weeks=1, issue_types=kinds, anomalies=False)
        for by in ("page", "issue_type")
    ]
    lines = {line.channel: line for line in card.lines}
    weekly = {(line.channel, line.week): line for line in card.trend}
    week_labels = [f"{w:%b %d}" for w in card.weeks]

    def series(channel: str, m: Measure) -> list[float | None]:
        return [
            m.pick(weekly[(channel, w)]) if (channel, w) in weekly else None for w in card.weeks
        ]

    head = [th("Measure", cls="text")]
    for _, name in CHANNELS:
        head += [th(name), th(f"{name}, weekly", cls="text")]
    rows = []
    for m in MEASURES:
        cells = [f'<th scope="row" class="text"><a href="#{m.anchor}">{e(m.label)}</a></th>']
        for channel, name in CHANNELS:
            line = lines.get(channel)
            cells.append(f"<td>{m.fmt(m.pick(line)) if line else DASH}</td>")
            spark = charts.sparkline(
                series(channel, m), title=f"{m.label}, {name}, weekly", fmt=m.fmt
            )
            cells.append(f'<td class="text">{spark}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    volume = "".join(
        f"<td>{num(lines[c].conversations if c in lines else 0)}</td><td></td>" for c, _ in CHANNELS
    )
    rows.append(f'<tr><th scope="row" class="text">Conversations</th>{volume}</tr>')
    trend_charts = "".join(
        panel(f"{m.label} per week", figure(weekly_chart(m, week_labels, series)))
        for m in MEASURES
        if m.key != "first_response"  # a sparkline is enough: it is seconds vs minutes
    )
    flagged = {(a.metric, a.key) for a in card.anomalies}
    exports = exports_html(
        [
            (label, export_href("scorecard", f, format="csv", by=by))
            for by, label in (
                ("channel", "By channel"),
                ("page", "By page"),
                ("issue_type", "By issue type"),
            )
        ],
        "CSV:",
    )
    body = _template("scorecard.html").substitute(
        filters=filters_html(request, f, "/reports/scorecard", exports),
        anomalies=anomalies_html(card.anomalies, q),
        side_by_side=table(
            "AI and people, side by side",
            head,
            rows,
            "Measured the same way for both; the sparklines are the last 8 rolling weeks.",
        ),
        trends=trend_charts,
        by_page=lines_table(
            "By page", by_page.lines, flagged, "page_friction", lambda g: page_href(g, q)
        ),
        by_issue=lines_table(
            "By issue type", by_issue.lines, flagged, "issue_escalation_rate", None
        ),
    )
    return render("Scorecard", body, agent, f, "scorecard")


def weekly_chart(
    m: Measure, weeks: Sequence[str], series: Callable[[str, Measure], list[float | None]]
) -> str:
    lines = [(name, series(c, m)) for c, name in CHANNELS]
    if m.share:
        scale, fmt, top = 1.0, pct, (1.0 if m.key in ("csat", "fcr") else None)
    else:
        scale, unit = time_unit(v for _, values in lines for v in values)
        fmt, top = (lambda v: f"{v:g} {unit}"), None
    return charts.line_chart(
        weeks,
        [
            Series(name, [None if v is None else v / scale for v in values])
            for name, values in lines
        ],
        title=f"{m.label} per week, AI and people",
        fmt=fmt,
        y_max=top,
        width=520,
        height=200,
    )


def _issue_types(request: Request) -> IssueTypes:
    try:
        return IssueTypes.from_index(request.app.state.services.guide.knowledge.index)
    except Exception:  # an index still loading
        return IssueTypes()


def anomalies_html(anomalies: Sequence[Any], q: str) -> str:
    if not anomalies:
        return panel(
            "Anomalies",
            '<p><span class="flag ok">None</span> No page or issue type rose sharply in the '
            "latest week.</p>",
            hid="anomalies-heading",
        )
    items = []
    for a in anomalies:
        if a.metric == "page_friction":
            what = (
                f'Friction on <a href="{e(page_href(a.key, q))}"><code>{e(a.key)}</code></a>: '
                f"{a.value:.1f} vs {a.baseline:.1f} usually"
            )
        else:
            what = (
                f"Escalation rate for <strong>{e(a.key.replace('_', ' '))}</strong> questions: "
                f"{pct(a.value)} vs {pct(a.baseline)} usually"
            )
        spark = charts.sparkline(
            [p.value for p in a.history],
            title=f"{a.key}, weekly",
            flagged={len(a.history) - 1},
            fmt=score if a.metric == "page_friction" else pct,
        )
        items.append(
            f'<li><span class="flag">Anomaly</span> {what} {spark}'
            f'<p class="hint">Week of {a.week:%b %d}, {a.volume} '
            f"{'sessions' if a.metric == 'page_friction' else 'conversations'}: "
            f"{e(a.reason)}</p></li>"
        )
    return panel(
        "Anomalies",
        f'<ul class="plain-list anomalies">{"".join(items)}</ul>',
        '<a href="#def-anomaly">What counts as an anomaly</a>.',
        hid="anomalies-heading",
    )


def lines_table(
    caption: str,
    lines: Sequence[Any],
    flagged: set[tuple[str, str]],
    metric: str,
    href: Callable[[str], str] | None,
) -> str:
    """One row per group, the AI and the people side by side under each measure."""
    groups: dict[str, dict[str, Any]] = {}
    for line in lines:
        groups.setdefault(line.group, {})[line.channel] = line
    columns: list[tuple[str, str, Callable[[Any], str]]] = [
        ("Conversations", "", lambda x: num(x.conversations)),
        *((m.label, m.anchor, lambda x, m=m: m.fmt(m.pick(x))) for m in MEASURES),
    ]
    top = "".join(
        '<th scope="colgroup" colspan="2">'
        + (f'<a href="#{a}">{e(label)}</a>' if a else e(label))
        + "</th>"
        for label, a, _ in columns
    )
    sub = "".join('<th scope="col">AI</th><th scope="col">People</th>' for _ in columns)
    kind = caption.removeprefix("By ").capitalize()

    def row(group: str, by_channel: dict[str, Any]) -> str:
        anomalous = (metric, group) in flagged
        name = (
            f"<code>{e(group)}</code>" if metric == "page_friction" else e(group.replace("_", " "))
        )
        if href and group:
            name = f'<a href="{e(href(group))}">{name}</a>'
        mark = ' <span class="flag">Anomaly</span>' if anomalous else ""
        cells = "".join(
            f"<td>{show(by_channel[c]) if c in by_channel else DASH}</td>"
            for _, _, show in columns
            for c, _ in CHANNELS
        )
        klass = ' class="anomalous"' if anomalous else ""
        return f'<tr{klass}><th scope="row" class="text">{name}{mark}</th>{cells}</tr>'

    body = "".join(row(g, by) for g, by in groups.items())
    if not body:
        return '<p class="empty">No conversations in this period.</p>'
    return (
        f'<div class="table-wrap" role="region" tabindex="0" aria-label="{e(caption)}">'
        f"<table><caption>{e(caption)}</caption><thead>"
        f'<tr><td></td>{top}</tr><tr><th scope="col" class="text">{e(kind)}</th>{sub}</tr>'
        f"</thead><tbody>{body}</tbody></table></div>"
    )


# ---------------------------------------------------------------- routes


def routes() -> list[BaseRoute]:
    return [
        Route("/reports", signed_in(friction_page)),
        Route("/reports/scorecard", signed_in(scorecard_page)),
        Route("/reports/page/{template:path}", signed_in(detail_page)),
        Route("/reports/session/{session_id}", signed_in(session_page)),
        Mount("/reports/static", StaticFiles(directory=HERE / "static"), name="reports-static"),
    ]
