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
    scorecard.py  scorecard, anomalies (SQL aggregation + pure anomaly rule)
    export.py     CSV / JSON renderings
    api.py        /api/reports/... (Starlette routes, signed-in agents only)
"""

from .period import Period, PeriodError, parse_period

__all__ = ["Period", "PeriodError", "parse_period"]
