"""The report pages' HTML pieces: values formatted for reading (every one escaped), links to
pages and sessions, and the building blocks the pages share (key figures, panels, tables,
chips, meters). Pure: strings in, HTML out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from html import escape
from urllib.parse import quote

from . import charts

DASH = "—"
SIGNAL_LABELS = {
    "rage_click": "Rage clicks",
    "dead_click": "Dead clicks",
    "error_loop": "Error loops",
    "navigation_loop": "Navigation loops",
    "hesitation": "Hesitation",
    "explicit": "Opened help, didn't ask",
}


# ---------------------------------------------------------------- values


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


# ---------------------------------------------------------------- pieces


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
    """A table with one row of column headings (`th` cells)."""
    return table_html(caption, f"<tr>{''.join(head)}</tr>", rows, hint, empty)


def table_html(
    caption: str,
    thead: str,
    rows: Iterable[str],
    hint: str = "",
    empty: str = "Nothing in this period.",
) -> str:
    """A captioned, scrollable table with the given heading rows; `empty` when it has no rows."""
    body = "".join(rows)
    if not body:
        return f'<p class="empty">{e(empty)}</p>'
    note = f'<span class="hint">{hint}</span>' if hint else ""
    return (
        f'<div class="table-wrap" role="region" tabindex="0" aria-label="{e(caption)}">'
        f"<table><caption>{e(caption)}{note}</caption><thead>{thead}</thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def th(label: str, title: str = "", cls: str = "") -> str:
    text = f'<abbr title="{e(title)}">{e(label)}</abbr>' if title else e(label)
    klass = f' class="{cls}"' if cls else ""
    return f'<th scope="col"{klass}>{text}</th>'


def columns(*labels: str, text: int = 0) -> list[str]:
    """Plain column headings, the first `text` of them for text (left-aligned) columns."""
    return [th(label, cls="text" if i < text else "") for i, label in enumerate(labels)]


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


def exports_html(links: Iterable[tuple[str, str]], label: str = "Export") -> str:
    return (
        f'<p class="exports">{e(label)} '
        + "".join(f'<a class="button" href="{e(href)}">{e(text)}</a>' for text, href in links)
        + "</p>"
    )
