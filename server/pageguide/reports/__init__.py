"""Reports for product managers and support leads: per-page friction, one scorecard for the AI
and the people, anomaly flags. docs/metrics.md defines every number, docs/reports.md the API.

    period.py     since/until → Period (pure)
    friction.py   the friction score (pure)
    clusters.py   questions grouped by meaning (numpy; the embedding model when asked)
    queries.py    page_report, page_detail, page_trend, session_timeline, in one import:
      counts.py     a page row's counts per (template, bucket): the SQL statements
      pages.py      the pages report, its ranking, trends
      detail.py     one page: row, trend, question clusters, targets, errors, example sessions
      timeline.py   one session, replayed
      models.py     the report shapes (pydantic)
      sql.py        the visits, buckets, portable expressions, how a report reads
    scorecard.py  the scorecard: five measures by channel, page or issue type, trended weekly
      conversations.py  one row per AI or human conversation (SQL aggregation)
      issue_types.py    an AI answer's top source → the inbox's issue type (pure)
    anomalies.py  the anomaly rule (pure) and the weekly scan it runs over
    export.py     CSV / JSON renderings
    api.py        /api/reports/... (Starlette routes, signed-in agents only)
    web.py        /reports, the HTML pages (signed-in agents only):
      friction_page.py, detail_page.py, session_page.py, scorecard_page.py   one a page
      layout.py     the filters, the frame and its headers
      markup.py     values formatted, the shared HTML pieces (pure); charts.py the SVG charts
"""

from .period import Period, PeriodError, parse_period

__all__ = ["Period", "PeriodError", "parse_period"]
