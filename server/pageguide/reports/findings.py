"""What the docs miss, in full: the misfiring articles, the documentation gaps and the
accounts at risk over a report period, ranked. The weekly digest shows the top five of each;
the `/reports/insights` page and `/api/reports/insights` show these lists.

    await findings(db, period, site=None, *, embedder=None) -> Findings

The three lists are `insights/`'s (docs/learning-loop.md defines them), read concurrently on
PostgreSQL and in turn on SQLite.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..db import Database
from ..insights.accounts import AtRiskAccount, at_risk_accounts
from ..insights.gaps import DocGap, doc_gaps
from ..insights.misfiring import MisfiringArticle, misfiring_articles
from .period import Period
from .sql import gather

LIMIT = 200  # rows per list: far more than anyone reads, few enough for one page
EVERY = 100_000  # "every question": the misfired questions are not cut to a few examples
GAP_EXAMPLES = 20
EVIDENCE = 50


class Findings(BaseModel):
    model_config = ConfigDict(frozen=True)

    period: Period
    site: str | None = None
    generated_at: datetime
    misfiring: list[MisfiringArticle]
    gaps: list[DocGap]
    accounts: list[AtRiskAccount]


async def findings(
    db: Database, period: Period, site: str | None = None, *, embedder: Any | None = None
) -> Findings:
    start, end = period.start, period.end
    reads: list[Awaitable[Any]] = [
        misfiring_articles(db, start, end, site, embedder=embedder, limit=LIMIT, examples=EVERY),
        doc_gaps(db, start, end, site, embedder=embedder, limit=LIMIT, examples=GAP_EXAMPLES),
        at_risk_accounts(db, start, end, site, limit=LIMIT, evidence=EVIDENCE),
    ]
    misfiring, gaps, accounts = await gather(db, *reads)
    return Findings(
        period=period,
        site=site,
        generated_at=datetime.now(UTC),
        misfiring=misfiring,
        gaps=gaps,
        accounts=accounts,
    )


__all__ = ["Findings", "findings"]
