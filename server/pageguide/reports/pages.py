"""The pages report (every page ranked by friction) and page trends.

A *visit* is a page view whose `at` falls in the period (and whose session belongs to `site`
when one is given). Everything on a page row hangs off its visits: the signals, questions and
answers recorded on those page views, the CSAT of the sessions that made them. Handoffs are
counted by their own `created_at` and `template`. docs/metrics.md defines every column.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from ..db import Database
from .counts import Counts, collect
from .friction import friction as friction_of
from .friction import pooled_prior
from .models import PageRow, PagesReport, TrendPoint
from .period import Period, day_edges

REUSE_SECONDS = 60.0  # a page detail may rank against a pages report this recent


def _ranked(rows: list[PageRow]) -> list[PageRow]:
    prior = pooled_prior(r.friction_inputs() for r in rows)
    scored = [
        r.model_copy(
            update={
                "friction": (fs := friction_of(r.friction_inputs(), prior)).score,
                "friction_parts": fs,
            }
        )
        for r in rows
    ]
    scored.sort(key=lambda r: (-r.friction, -r.sessions, r.template))
    return [r.model_copy(update={"rank": i + 1}) for i, r in enumerate(scored)]


# ---------------------------------------------------------------- the reports


class _RecentReports:
    """The last few page reports, so a page's detail opened from the list ranks the page
    against that list instead of recomputing every page. Only `page_detail` reads it."""

    def __init__(self, size: int = 16, max_age: float = REUSE_SECONDS) -> None:
        self.items: list[tuple[float, str, PagesReport]] = []
        self.size, self.max_age = size, max_age

    def put(self, db: Database, report: PagesReport) -> None:
        self.items.append((time.monotonic(), db.url, report))
        del self.items[: -self.size]

    def get(self, db: Database, period: Period, site: str | None) -> PagesReport | None:
        now = time.monotonic()
        for made, url, report in reversed(self.items):
            if (
                now - made <= self.max_age
                and url == db.url
                and report.site == site
                and report.period.label == period.label
                and abs((report.period.end - period.end).total_seconds()) <= self.max_age
                and abs((report.period.start - period.start).total_seconds()) <= self.max_age
            ):
                return report
        return None


_recent = _RecentReports()


async def page_report(db: Database, period: Period, site: str | None = None) -> PagesReport:
    """Every page visited in the period, ranked by friction."""
    accs, sessions = await collect(db, period, site)
    rows = _ranked([acc.row(tpl) for (tpl, _), acc in accs.items()])
    report = PagesReport(
        period=period,
        site=site,
        generated_at=datetime.now(UTC),
        sessions=sessions,
        questions=sum(r.questions for r in rows),
        escalations=sum(r.escalations for r in rows),
        pages=rows,
    )
    _recent.put(db, report)
    return report


async def page_trend(
    db: Database,
    template: str,
    period: Period,
    site: str | None = None,
    edges: Sequence[datetime] | None = None,
) -> list[TrendPoint]:
    """One point per bucket (daily by default). Friction per bucket uses the pooled prior of
    the page's own buckets, so the points are comparable with each other."""
    edges = list(edges or day_edges(period))
    accs, _ = await collect(db, period, site, template, edges, people=False)
    return _points(
        template, {b: acc.row(template) for (tpl, b), acc in accs.items() if tpl == template}, edges
    )


def _points(
    template: str, buckets: dict[int, PageRow], edges: Sequence[datetime]
) -> list[TrendPoint]:
    prior = pooled_prior(r.friction_inputs() for r in buckets.values())
    points = []
    for i in range(len(edges) - 1):
        r = buckets.get(i) or PageRow(template=template)
        points.append(
            TrendPoint(
                start=edges[i],
                end=edges[i + 1],
                sessions=r.sessions,
                struggle_sessions=r.struggle_sessions,
                questions=r.questions,
                escalations=r.escalations,
                thumbs_down=r.thumbs_down,
                friction=friction_of(r.friction_inputs(), prior).score,
            )
        )
    return points


async def page_trends(
    db: Database,
    templates: Sequence[str] | None,
    period: Period,
    site: str | None = None,
    edges: Sequence[datetime] | None = None,
) -> dict[str, list[TrendPoint]]:
    """`page_trend` for many pages in one pass (the same queries, grouped by template too):
    use it for sparklines of the top N pages. `templates=None` means every page. Each page's
    friction points use the pooled prior of that page's own buckets, as in `page_trend`."""
    edges = list(edges or day_edges(period))
    accs, _ = await collect(db, period, site, None, edges, people=False)
    return trends_of(accs, templates, edges)


def trends_of(
    accs: Counts, templates: Sequence[str] | None, edges: Sequence[datetime]
) -> dict[str, list[TrendPoint]]:
    """`page_trends` from counts already read with these bucket edges (such as the anomaly
    scan's weekly counts). Pure."""
    wanted = None if templates is None else set(templates)
    rows: dict[str, dict[int, PageRow]] = defaultdict(dict)
    for (tpl, b), acc in accs.items():
        if wanted is None or tpl in wanted:
            rows[tpl][b] = acc.row(tpl)
    return {
        tpl: _points(tpl, rows.get(tpl, {}), edges)
        for tpl in (templates if templates is not None else sorted(rows))
    }


async def ranked_row(db: Database, template: str, period: Period, site: str | None) -> PageRow:
    """The page's row, ranked against all pages: against a pages report of the same period
    made in the last REUSE_SECONDS when there is one (the page's own counts are fresh; the
    others' and the pooled prior come from that report), else against a new report."""
    cached = _recent.get(db, period, site)
    if cached is None:
        report = await page_report(db, period, site)
        found = next((r for r in report.pages if r.template == template), None)
        return found or PageRow(template=template, rank=0)
    accs, _ = await collect(db, period, site, template)
    acc = accs.get((template, 0))
    if acc is None:
        return PageRow(template=template, rank=0)
    fresh = acc.row(template)
    others = [r for r in cached.pages if r.template != template]
    prior = pooled_prior([*(r.friction_inputs() for r in others), fresh.friction_inputs()])
    score = friction_of(fresh.friction_inputs(), prior)
    key = (-score.score, -fresh.sessions, template)
    rank = 1 + sum(1 for r in others if (-r.friction, -r.sessions, r.template) < key)
    return fresh.model_copy(update={"friction": score.score, "friction_parts": score, "rank": rank})
