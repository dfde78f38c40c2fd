"""CSV, JSON and plain-text table renderings of the reports. Pure.

CSV cells that are text and start with `=`, `+`, `-`, `@`, tab or carriage return get a
leading `'` so a spreadsheet shows them instead of running them (questions and page names are
user-controlled). Numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel

from ..struggle.signals import SignalKind
from .findings import Findings
from .queries import PageDetail, PageRow, PagesReport
from .scorecard import Scorecard

FORMATS = ("json", "csv")
DETAIL_TABLES = ("questions", "targets", "errors", "sessions", "trend")
INSIGHT_TABLES = ("misfiring", "gaps", "accounts")
SIGNAL_KINDS = tuple(k.value for k in SignalKind)
_RISKY = ("=", "+", "-", "@", "\t", "\r")

PAGE_COLUMNS = (
    "rank", "template", "friction", "sessions", "users", "accounts", "struggle_sessions",
    "struggle_rate", *(f"signals_{k}" for k in SIGNAL_KINDS), "questions", "answered",
    "deflected", "deflection_rate", "escalations", "escalated_sessions", "escalation_rate",
    "triggers", "thumbs_up", "thumbs_down", "csat_responses", "csat_average", "csat_low",
    "resolved_handoffs", "median_resolution_seconds",
)  # fmt: skip
SCORE_COLUMNS = (
    "week", "group", "channel", "conversations", "csat_responses", "csat", "csat_average",
    "finished", "resolved_first_contact", "fcr", "escalated", "escalation_rate",
    "first_response_median_seconds", "first_response_p90_seconds", "resolution_median_seconds",
)  # fmt: skip


def safe_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_RISKY):
        return "'" + value
    return value


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def _counts(counts: dict[str, int]) -> str:
    return ";".join(f"{k}:{v}" for k, v in counts.items())


def page_values(row: PageRow) -> list[Any]:
    values = row.model_dump()
    values["triggers"] = _counts(row.triggers)
    for kind in SIGNAL_KINDS:
        values[f"signals_{kind}"] = row.signals.get(kind, 0)
    return [values.get(c) for c in PAGE_COLUMNS]


def pages_csv(report: PagesReport) -> str:
    """One row per page, ranked; signal kinds as columns, triggers as `kind:n;kind:n`."""
    return write_csv(PAGE_COLUMNS, (page_values(r) for r in report.pages))


def scorecard_csv(card: Scorecard, trend: bool = True) -> str:
    """The period's lines (empty `week`), then the weekly trend lines."""
    lines = [*card.lines, *(card.trend if trend else [])]
    return write_csv(
        SCORE_COLUMNS,
        ([line.model_dump().get(c) for c in SCORE_COLUMNS] for line in lines),
    )


def detail_csv(detail: PageDetail, table: str = "questions") -> str:
    if table == "questions":
        return write_csv(
            ("label", "count", "share", "examples"),
            (
                (c.label, c.count, c.share, " | ".join(e.text for e in c.examples))
                for c in detail.question_clusters
            ),
        )
    if table == "targets":
        return write_csv(
            ("kind", "target", "target_text", "signals", "sessions"),
            ((t.kind, t.target, t.target_text, t.signals, t.sessions)
             for t in detail.struggle_targets),
        )  # fmt: skip
    if table == "errors":
        return write_csv(
            ("kind", "message", "method", "path", "status", "events", "sessions", "last_at"),
            ((e.kind, e.message, e.method, e.path, e.status, e.events, e.sessions,
              e.last_at.isoformat() if e.last_at else "") for e in detail.errors),
        )  # fmt: skip
    if table == "sessions":
        return write_csv(
            ("session_id", "started_at", "site_key", "account_id", "pages", "page_views",
             "signals", "questions", "escalated"),
            ((x.session_id, x.started_at.isoformat(), x.site_key, x.account_id,
              " > ".join(x.pages), x.page_views, x.signals, x.questions, x.escalated)
             for x in detail.example_sessions),
        )  # fmt: skip
    if table == "trend":
        return write_csv(
            ("start", "end", "sessions", "struggle_sessions", "questions", "escalations",
             "thumbs_down", "friction"),
            ((p.start.isoformat(), p.end.isoformat(), p.sessions, p.struggle_sessions,
              p.questions, p.escalations, p.thumbs_down, p.friction) for p in detail.trend),
        )  # fmt: skip
    raise ValueError(f"table must be one of {', '.join(DETAIL_TABLES)}, not {table!r}")


def insights_csv(report: Findings, table: str = "misfiring") -> str:
    """One list of /reports/insights: misfiring articles (one row per misfired question),
    documentation gaps (one row per gap) or at-risk accounts (one row per piece of evidence)."""
    if table == "misfiring":
        return write_csv(
            ("rank", "article", "url", "cited", "misfired", "rate", "score", "question", "page",
             "answered_at", "outcomes", "session_id"),
            ((i, a.title, a.url, a.cited, a.misfired, a.rate, a.score, q.text, q.page,
              q.at.isoformat(), ";".join(q.outcomes), q.session_id)
             for i, a in enumerate(report.misfiring, 1) for q in a.questions),
        )  # fmt: skip
    if table == "gaps":
        return write_csv(
            ("rank", "title", "questions", "sessions", "page", "pages", "reasons", "examples"),
            ((i, g.title, g.questions, g.sessions, g.page,
              ";".join(f"{p.template}:{p.questions}" for p in g.pages), _counts(g.reasons),
              " | ".join(x.text for x in g.examples)) for i, g in enumerate(report.gaps, 1)),
        )  # fmt: skip
    if table == "accounts":
        return write_csv(
            ("rank", "account_id", "name", "tier", "mrr", "score", "reasons", "evidence",
             "at", "text", "page", "session_id", "handoff_id"),
            ((i, a.account_id, a.name, a.tier, a.mrr, a.score, "; ".join(a.reasons), x.kind,
              x.at.isoformat(), x.text, x.page, x.session_id, x.handoff_id)
             for i, a in enumerate(report.accounts, 1) for x in a.evidence),
        )  # fmt: skip
    raise ValueError(f"table must be one of {', '.join(INSIGHT_TABLES)}, not {table!r}")


def to_json(model: BaseModel, indent: int | None = None) -> str:
    return model.model_dump_json(indent=indent)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain columns: text left-aligned, everything else right-aligned."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    left = {0, 1} if headers and headers[0] == "#" else {0}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i in left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def pages_table(report: PagesReport) -> str:
    headers = (
        "#", "page", "friction", "sessions", "struggle", "questions", "deflected", "escalated",
        "up/down", "avg csat", "resolve", "top signal",
    )  # fmt: skip
    rows = []
    for r in report.pages:
        top = next(iter(r.signals.items()), None)
        rows.append(
            (
                str(r.rank), r.template or "(none)", f"{r.friction:.1f}", str(r.sessions),
                _pct(r.struggle_rate), str(r.questions), _pct(r.deflection_rate),
                _pct(r.escalation_rate), f"{r.thumbs_up}/{r.thumbs_down}",
                _num(r.csat_average), _duration(r.median_resolution_seconds),
                f"{top[0]} ×{top[1]}" if top else "",
            )
        )  # fmt: skip
    period = report.period
    head = (
        f"Pages by friction, {period.start:%Y-%m-%d %H:%M} – {period.end:%Y-%m-%d %H:%M} UTC"
        + (f", site {report.site}" if report.site else "")
        + f": {report.sessions} sessions, {report.questions} questions, "
        f"{report.escalations} escalations"
    )
    if not rows:
        return head + "\n(no page views in this period)"
    return head + "\n\n" + format_table(headers, rows)
