"""`/reports/scorecard`: the AI and the people side by side on the same five measures, their
weekly trends, the anomaly flags, and the measures by page and by issue type.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..inbox.auth import SignedIn
from . import charts
from .charts import Series
from .issue_types import IssueTypes
from .layout import Filters, database, export_href, filters_html, load_template, render
from .markup import (
    DASH,
    duration,
    e,
    exports_html,
    figure,
    num,
    page_href,
    panel,
    pct,
    score,
    table,
    table_html,
    th,
    time_unit,
)
from .scorecard import BY_CHOICES, scorecards


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    anchor: str  # its definition on the page
    pick: Callable[[Any], float | None]  # from a ScoreLine
    fmt: Callable[[float | None], str]
    share: bool  # a 0..1 rate (charted 0–100%) rather than a time


MEASURES = (
    Measure("csat", "Satisfied (CSAT 4–5)", "def-csat", lambda s: s.csat, pct, True),
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
    db, q = database(request), f.query()
    kinds = _issue_types(request)
    # one read of the conversations and one anomaly scan for all three groupings
    cards = await scorecards(db, f.period, BY_CHOICES, f.site, weeks=8, issue_types=kinds)
    card, by_page, by_issue = cards["channel"], cards["page"], cards["issue_type"]
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
    body = load_template("scorecard.html").substitute(
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
        "Page friction here is each week scored against all pages over the eight weeks, "
        "so it can differ from the friction on the report's table. "
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

    thead = f'<tr><td></td>{top}</tr><tr><th scope="col" class="text">{e(kind)}</th>{sub}</tr>'
    return table_html(
        caption,
        thead,
        (row(g, by) for g, by in groups.items()),
        empty="No conversations in this period.",
    )
