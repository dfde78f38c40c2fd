"""What every report statement shares: the period's visits, buckets, portable expressions, and
how a report reads (settings for its own transaction; independent reads concurrently)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import case, func, literal, select, text
from sqlalchemy.sql.elements import ColumnElement

from ..db import Database
from ..db import models as m
from .period import Period

ANSWERED = ("complete", "fallback")  # an answer the user got (declined, failed, … are not)
ERROR_KINDS = ("error", "http_error", "invalid")
WORK_MEM = "32MB"  # PostgreSQL, per report statement (see read)
T = TypeVar("T")
LOCAL_SETTINGS = text(
    "SELECT set_config('jit', 'off', true), set_config('work_mem', :work_mem, true), "
    "set_config('max_parallel_workers_per_gather', '0', true)"
).bindparams(work_mem=WORK_MEM)


def bucket_of(column: Any, edges: Sequence[datetime] | None) -> ColumnElement[Any]:
    """Index i of the bucket edges[i] <= column < edges[i+1], as a portable CASE (no date
    functions differ between SQLite and PostgreSQL). Rows outside the edges are filtered."""
    if not edges or len(edges) < 3:
        return literal(0)
    whens = [(column < edge, i) for i, edge in enumerate(edges[1:-1])]
    return case(*whens, else_=len(edges) - 2)


def epoch_seconds(db: Database, column: Any) -> ColumnElement[Any]:
    """Seconds since 1970 of a timestamp column (datetimes are stored as UTC)."""
    if db.is_sqlite:
        return (func.julianday(column) - 2440587.5) * 86400.0
    return func.date_part("epoch", column)  # a float; EXTRACT gives numeric (slower sums)


def json_str(column: Any, key: str) -> ColumnElement[Any]:
    return column[key].as_string()


def visits(
    period: Period,
    site: str | None,
    template: str | None,
    edges: Sequence[datetime] | None,
) -> Any:
    """The visits: (id, session_id, template, bucket) of the period's page views, as a subquery
    the planners fold into each statement that joins it (no shared, materialised copy)."""
    pv = m.PageView
    stmt = select(pv.id, pv.session_id, pv.template, bucket_of(pv.at, edges).label("bucket")).where(
        pv.at >= period.start, pv.at < period.end
    )
    if template is not None:
        stmt = stmt.where(pv.template == template)
    if site is not None:
        stmt = stmt.join(m.Session, m.Session.id == pv.session_id).where(m.Session.site_key == site)
    return stmt.subquery("v")


async def read(db: Database, stmt: Any) -> list[Any]:
    """All rows of one report statement, on a Core connection (no ORM row loading)."""
    async with db.engine.connect() as conn:
        if not db.is_sqlite:
            # Report statements are big but short: PostgreSQL's JIT, triggered by their cost
            # estimates, spent seconds compiling what runs in a fraction of that; with the
            # default 4 MB of work_mem the planner sorts (slow on text keys) where hashing the
            # groups fits in a few MB more; and a report already runs its statements side by
            # side on the pool, one core each, where parallel workers would only build the
            # same hash tables again in every worker. All for this read's transaction only
            # (set_config(..., true) is SET LOCAL), in one round trip.
            await conn.execute(LOCAL_SETTINGS)
        return list((await conn.execute(stmt)).all())


async def gather(db: Database, *calls: Awaitable[T]) -> list[T]:
    """Concurrently on PostgreSQL (one pooled connection each); in turn on SQLite."""
    if db.is_sqlite:
        return [await c for c in calls]
    return list(await asyncio.gather(*calls))
