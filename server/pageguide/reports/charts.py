"""Charts as inline SVG strings, drawn on the server: the report pages need no chart library,
no CDN and no script, and work offline. Pure.

Every chart is `<svg role="img">` named by its `<title>` (and `<desc>`); every mark carries its
own `<title>` so a pointer or a screen reader can read the exact value. Every label is escaped.
Colours are classes (`series-0` …) themed by `reports.css`, with presentation-attribute
fallbacks so a chart saved on its own still draws.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

# Okabe–Ito: told apart with the common colour-vision deficiencies.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#8a7d00", "#666666")
FONT = 12
CHAR_W = 6.6  # average glyph width at FONT px in a system sans serif, to size label columns
EMPTY = "No data for this period"

Format = Callable[[float], str]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    href: str | None = None
    note: str = ""  # added to the mark's <title>, e.g. "42 sessions"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    flagged: frozenset[int] = field(default_factory=frozenset)  # indexes drawn as anomalies


def number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """0 and round steps up to at least `top` (1, 2, 2.5 or 5 times a power of ten)."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    rough = top / count
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= rough)
    steps = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(steps + 1)]


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    description: str = "",
    fmt: Format = number,
    width: int = 640,
    max_label: int = 34,
) -> str:
    """Horizontal bars, longest first as given: made for ranked lists with long names."""
    if not bars:
        return _empty(title, width)
    row, gap = 22, 6
    label_w = _label_width([b.label for b in bars], max_label)
    value_w = max(len(fmt(b.value)) for b in bars) * CHAR_W + 8
    plot = max(width - label_w - value_w - 8, 40)
    top = max((b.value for b in bars), default=0) or 1
    height = len(bars) * (row + gap) + gap
    parts = []
    for i, b in enumerate(bars):
        y = gap + i * (row + gap)
        w = max(b.value, 0) / top * plot
        tip = f"{b.label}: {fmt(b.value)}" + (f" ({b.note})" if b.note else "")
        parts.append(
            _mark(
                tip,
                f'<text x="{label_w - 8}" y="{y + row / 2}" text-anchor="end" '
                f'dominant-baseline="central" class="label">{_e(_clip(b.label, max_label))}</text>'
                f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{row}" rx="2" '
                f'class="series-0" fill="{PALETTE[0]}"/>'
                f'<text x="{label_w + w + 6:.1f}" y="{y + row / 2}" dominant-baseline="central" '
                f'class="value">{_e(fmt(b.value))}</text>',
                b.href,
            )
        )
    linked = any(b.href for b in bars)
    return _svg(title, description, width, height, "".join(parts), "bar-chart", linked)


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    description: str = "",
    fmt: Format = number,
    width: int = 640,
    height: int = 220,
    y_max: float | None = None,
) -> str:
    """One line per series over shared x labels (weeks, days); `None` leaves a gap; flagged
    points get a ring and the word "anomaly" in their title."""
    values = [v for s in series for v in s.values if v is not None]
    if not x_labels or not values:
        return _empty(title, width)
    ticks = nice_ticks(y_max if y_max is not None else max(max(values), 0))
    left = max(len(fmt(t)) for t in ticks) * CHAR_W + 12
    legend, rows = _legend(series, left, 14, width) if len(series) > 1 else ("", 0)
    legend_h = rows * LEGEND_ROW + 2 if rows else 0
    height += legend_h
    top_pad, bottom = 10 + legend_h, 28
    right = max(16, len(x_labels[-1]) * CHAR_W / 2 + 4)  # room for the last label, centred
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    span = ticks[-1] or 1
    dot = 3.5 if len(x_labels) <= 31 else 2.0  # daily points over a quarter crowd otherwise

    def x(i: int) -> float:
        return left + (plot_w * i / (len(x_labels) - 1) if len(x_labels) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top_pad + plot_h - min(max(v, 0), span) / span * plot_h

    parts = [legend]
    for t in ticks:
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
            f'class="grid" stroke="#d0d7de"/>'
            f'<text x="{left - 6}" y="{y(t):.1f}" text-anchor="end" dominant-baseline="central" '
            f'class="axis">{_e(fmt(t))}</text>'
        )
    every = max(1, math.ceil(len(x_labels) * 56 / plot_w))
    for i, label in enumerate(x_labels):
        if i % every == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 8}" text-anchor="middle" class="axis">'
                f"{_e(label)}</text>"
            )
    for k, s in enumerate(series):
        colour = f'class="series-{k % len(PALETTE)}"'
        for run in _runs(s.values):
            points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in run)
            parts.append(
                f'<polyline points="{points}" fill="none" stroke-width="2" {colour} '
                f'stroke="{PALETTE[k % len(PALETTE)]}"/>'
            )
        for i, v in enumerate(s.values):
            if v is None or i >= len(x_labels):
                continue
            flag = i in s.flagged
            tip = f"{s.name}, {x_labels[i]}: {fmt(v)}" + (" — anomaly" if flag else "")
            ring = (
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="7" class="anomaly" fill="none" '
                f'stroke="#d55e00" stroke-width="2"/>'
                if flag
                else ""
            )
            parts.append(
                f'<g class="mark"><title>{_e(tip)}</title>{ring}'
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="{dot}" {colour} '
                f'fill="{PALETTE[k % len(PALETTE)]}"/></g>'
            )
    return _svg(title, description, width, height, "".join(parts), "line-chart")


def stacked_bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    description: str = "",
    fmt: Format = number,
    width: int = 640,
    hrefs: Sequence[str | None] = (),
    max_label: int = 34,
) -> str:
    """One horizontal bar per category, split into the series (each `values` aligned with the
    categories), with a legend: a breakdown such as signals by kind on each page."""
    totals = [
        sum((s.values[i] or 0) for s in series if i < len(s.values)) for i in range(len(categories))
    ]
    if not categories or not any(t > 0 for t in totals):
        return _empty(title, width)
    row, gap = 22, 6
    label_w = _label_width(categories, max_label)
    value_w = max(len(fmt(t)) for t in totals) * CHAR_W + 8
    plot = max(width - label_w - value_w - 8, 40)
    top = max(totals) or 1
    legend, rows = _legend(series, label_w, 14, width)
    legend_h = rows * LEGEND_ROW + 6
    height = legend_h + len(categories) * (row + gap) + gap
    parts = [legend]
    for i, category in enumerate(categories):
        y = legend_h + gap + i * (row + gap)
        segs, at = [], float(label_w)
        for k, s in enumerate(series):
            v = (s.values[i] if i < len(s.values) else None) or 0
            if v <= 0:
                continue
            w = v / top * plot
            segs.append(
                f'<rect x="{at:.1f}" y="{y}" width="{w:.1f}" height="{row}" '
                f'class="series-{k % len(PALETTE)}" fill="{PALETTE[k % len(PALETTE)]}">'
                f"<title>{_e(f'{category} · {s.name}: {fmt(v)}')}</title></rect>"
            )
            at += w
        href = hrefs[i] if i < len(hrefs) else None
        parts.append(
            _mark(
                f"{category}: {fmt(totals[i])} in all",
                f'<text x="{label_w - 8}" y="{y + row / 2}" text-anchor="end" '
                f'dominant-baseline="central" class="label">{_e(_clip(category, max_label))}'
                f"</text>{''.join(segs)}"
                f'<text x="{at + 6:.1f}" y="{y + row / 2}" dominant-baseline="central" '
                f'class="value">{_e(fmt(totals[i]))}</text>',
                href,
            )
        )
    linked = any(hrefs)
    return _svg(title, description, width, height, "".join(parts), "stacked-chart", linked)


def sparkline(
    values: Sequence[float | None],
    *,
    title: str,
    width: int = 120,
    height: int = 28,
    flagged: frozenset[int] | set[int] = frozenset(),
    fmt: Format = number,
) -> str:
    """A word-sized trend: a line, its last point, rings on flagged points; no axes."""
    known = [v for v in values if v is not None]
    if not known:
        return _svg(title, "", width, height, "", "sparkline")
    lo, hi = min(known), max(known)
    span = (hi - lo) or 1
    pad = 4

    def x(i: int) -> float:
        return pad + (width - 2 * pad) * (i / (len(values) - 1) if len(values) > 1 else 0.5)

    def y(v: float) -> float:
        return height - pad - (v - lo) / span * (height - 2 * pad) if hi > lo else height / 2

    parts = [
        f'<polyline points="{" ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in run)}" '
        f'fill="none" stroke-width="1.5" class="series-0" stroke="{PALETTE[0]}"/>'
        for run in _runs(values)
    ]
    for i in sorted(flagged):
        if i < len(values) and values[i] is not None:
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(values[i]):.1f}" r="3.5" class="anomaly" '
                f'fill="none" stroke="#d55e00" stroke-width="1.5"/>'
            )
    last = max(i for i, v in enumerate(values) if v is not None)
    parts.append(
        f'<circle cx="{x(last):.1f}" cy="{y(values[last]):.1f}" r="2.5" class="series-0" '
        f'fill="{PALETTE[0]}"/>'
    )
    desc = ", ".join("–" if v is None else fmt(v) for v in values)
    return _svg(title, desc, width, height, "".join(parts), "sparkline")


# ---------------------------------------------------------------- helpers


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _clip(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _label_width(labels: Sequence[str], limit: int) -> float:
    return min(max(len(label) for label in labels), limit) * CHAR_W + 12


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Consecutive known values, so a missing week breaks the line instead of bridging it."""
    runs: list[list[tuple[int, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((i, v))
    return [r for r in runs if r]


LEGEND_ROW = 20


def _legend(series: Sequence[Series], x0: float, y: float, width: float) -> tuple[str, int]:
    """Swatches and names, wrapped to the width; returns the SVG and the number of rows. Hidden
    from assistive technology: every mark's own title already names its series."""
    parts, x, rows = [], x0, 1
    for k, s in enumerate(series):
        name = _clip(s.name, 40)
        w = 14 + len(name) * CHAR_W + 16
        if x > x0 and x + w > width:
            x, y, rows = x0, y + LEGEND_ROW, rows + 1
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" rx="2" '
            f'class="series-{k % len(PALETTE)}" fill="{PALETTE[k % len(PALETTE)]}"/>'
            f'<text x="{x + 14:.1f}" y="{y - 4}" dominant-baseline="central" class="legend">'
            f"{_e(name)}</text>"
        )
        x += w
    return f'<g class="legend" aria-hidden="true">{"".join(parts)}</g>', rows


def _chart_id(title: str, body: str) -> str:
    return "chart-" + hashlib.sha1((title + body).encode()).hexdigest()[:10]


def _mark(tip: str, inner: str, href: str | None) -> str:
    """A titled group of shapes; a link when it has somewhere to go (its title names it)."""
    if href:
        return f'<a href="{_e(href)}" class="mark"><title>{_e(tip)}</title>{inner}</a>'
    return f'<g class="mark"><title>{_e(tip)}</title>{inner}</g>'


def _svg(
    title: str,
    description: str,
    width: int,
    height: float,
    body: str,
    kind: str,
    linked: bool = False,
) -> str:
    """`role="img"` hides the children from assistive technology, which is right for a
    picture but would hide links: a chart with links is a named group instead."""
    cid = _chart_id(title, body)
    labelled = f"{cid}-t" + (f" {cid}-d" if description else "")
    desc = f'<desc id="{cid}-d">{_e(description)}</desc>' if description else ""
    role = "group" if linked else "img"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" role="{role}" '
        f'aria-labelledby="{labelled}" width="{width}" height="{height:.0f}" '
        f'viewBox="0 0 {width} {height:.0f}" font-size="{FONT}">'
        f'<title id="{cid}-t">{_e(title)}</title>{desc}{body}</svg>'
    )


def _empty(title: str, width: int) -> str:
    body = f'<text x="{width / 2}" y="24" text-anchor="middle" class="empty">{EMPTY}</text>'
    return _svg(title, EMPTY, width, 40, body, "empty-chart")
