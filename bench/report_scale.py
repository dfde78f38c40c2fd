"""The friction reports at a million events on PostgreSQL, against a same-run baseline.

    .venv/bin/python bench/report_scale.py [--events 1000000] [--days 60] [--runs 5] [--quick]
                                           [--json] [--keep] [--cache] [--explain] [--url URL]

Makes a fresh database on the local PostgreSQL (PAGEGUIDE_TEST_PG, default
postgresql://postgres@127.0.0.1:5432/postgres), migrates it, and fills it with the demo
generator (`pageguide.demo.seed.generate`: sessions, page views with templates, events,
signals, nudges, questions, answers, feedback, CSAT, handoffs) until it holds `--events`
events, written with COPY. Then VACUUM ANALYZE, as autovacuum would have done. `--cache` keeps
that database (named after `--events` and `--days`) and reuses it on the next run, measured as
of when it was filled; `--url` measures any database filled before, without writing.

Every subject is timed `--runs` times (after a warm-up), alternating with the baseline,
`SELECT count(*) FROM events` (a full scan of the biggest table), so the ratio survives a
machine whose load drifts; the table shows the median, the best run, the baseline's median,
the ratio of medians, and the median against the < 1 s target. Subjects:
- the pages report (`page_report`) over the last 7 and 30 days and the whole history;
- a detail report (`page_detail`, the team page, 30 days): cold (it must rank the page against
  every page, so it runs the pages report too), cold with the question clustering (embedding
  cache warm), and right after the pages list (the usual click-through: it ranks against that
  list and counts only its own page);
- the scorecard (by channel, 30 days, with the 8-week trend and the anomaly scan);
- the HTML pages end to end, in process (httpx over ASGI against the report routes, with a
  signed-in agent's cookie): `/reports` over 7 and 30 days, `/reports/scorecard`, a page's
  detail and `/reports/insights` over 30 days — everything a person waits for, the rendering
  included. The knowledge index is not loaded: issue types are "unknown" and questions are
  compared by their words, not embedded.
`--explain` then prints EXPLAIN ANALYZE of every statement the whole-history pages report and
the scorecard run, with the settings the reports run them with.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))  # run from a checkout: pageguide
sys.path.insert(0, str(ROOT))  # tests.support

import asyncpg  # noqa: E402
from sqlalchemy import event, func, select, text  # noqa: E402
from tests.support.report_pages import page_client  # noqa: E402

from pageguide.db import Database  # noqa: E402
from pageguide.db import models as m  # noqa: E402
from pageguide.demo import seed as demo_seed  # noqa: E402
from pageguide.reports import pages  # noqa: E402
from pageguide.reports.period import parse_period  # noqa: E402
from pageguide.reports.queries import page_detail, page_report  # noqa: E402
from pageguide.reports.scorecard import scorecard  # noqa: E402
from pageguide.reports.sql import WORK_MEM  # noqa: E402

TARGET_S = 1.0
CACHE_PREFIX = "pageguide_bench_scale"
JSON_COLUMNS = {
    "identity",
    "headings",
    "form_errors",
    "meta",
    "target",
    "data",
    "evidence",
    "sources",
    "triggers",
    "packet",
    "tags",
}


async def fill(db: Database, events: int, days: int, now: datetime) -> dict[str, int]:
    """Generate batches with the demo generator and COPY them in until `events` events."""
    async with db.session() as s, s.begin():
        for email, name in demo_seed.AGENTS:
            s.add(m.Agent(email=email, name=name, password_hash=demo_seed.AGENT_HASH))
    async with db.session() as s:
        agent_ids = [i for (i,) in await s.execute(select(m.Agent.id))]
    ids = demo_seed.Ids(await demo_seed._max_ids(db))
    counts = {t.__tablename__: 0 for t in demo_seed.TABLES}
    started = time.perf_counter()
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        pg = raw.driver_connection  # asyncpg
        for batch in demo_seed.generate(10**9, days, 7, now, ids, agent_ids):
            for table in demo_seed.TABLES:
                rows = batch.rows[table]
                if not rows:
                    continue
                columns = [c.name for c in table.__table__.columns if c.name in rows[0]]
                records = [
                    tuple(
                        json.dumps(r.get(c))
                        if c in JSON_COLUMNS and r.get(c) is not None
                        else r.get(c)
                        for c in columns
                    )
                    for r in rows
                ]
                await pg.copy_records_to_table(
                    table.__tablename__, records=records, columns=columns
                )
                counts[table.__tablename__] += len(rows)
            if sys.stderr.isatty():
                print(f"\r  {counts['events']:>9,} events", end="", file=sys.stderr)
            if counts["events"] >= events:
                break
    if sys.stderr.isatty():
        print(file=sys.stderr)
    await demo_seed._fix_sequences(db)
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


async def row_counts(db: Database) -> dict[str, int]:
    async with db.session() as s:
        return {
            t.__tablename__: int(await s.scalar(select(func.count()).select_from(t)) or 0)
            for t in demo_seed.TABLES
        }


async def analyse(db: Database) -> None:
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))


@dataclass
class Sample:
    median: float  # seconds
    best: float
    base: float  # median of the baseline samples taken alternately with this one

    @property
    def ratio(self) -> float:
        return self.median / self.base if self.base else float("nan")


async def timed(
    call: Callable[[], Awaitable[Any]],
    baseline: Callable[[], Awaitable[Any]],
    runs: int,
    setup: Callable[[], Awaitable[Any]] | None = None,
) -> Sample:
    """Subject and baseline alternately, `runs` of each, after one warm-up of each: the
    machine's load drifts, and alternating keeps the ratio honest."""
    await baseline()
    if setup:
        await setup()
    await call()  # warm: plans, caches, the embedding cache
    samples, bases = [], []
    for _ in range(runs):
        t = time.perf_counter()
        await baseline()
        bases.append(time.perf_counter() - t)
        if setup:
            await setup()
        t = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - t)
    return Sample(statistics.median(samples), min(samples), statistics.median(bases))


async def explain_reports(db: Database, now: datetime) -> list[str]:
    """EXPLAIN ANALYZE of each statement of the whole-history pages report and the scorecard:
    the statements are caught as the reports run, then explained one by one."""
    caught: list[tuple[str, str, Any]] = []
    subject = ""

    def catch(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        if "set_config" not in statement:
            caught.append((subject, statement, params))

    event.listen(db.engine.sync_engine, "before_cursor_execute", catch)
    try:
        subject = "pages report, all"
        await page_report(db, parse_period("400d", now=now))
        subject = "scorecard by channel, 30 days"
        await scorecard(db, parse_period("30d", now=now), "channel")
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", catch)
    out = []
    async with db.engine.connect() as conn:
        pg = (await conn.get_raw_connection()).driver_connection  # asyncpg
        for name, statement, params in caught:
            async with pg.transaction():
                await pg.execute(
                    f"SET LOCAL jit = off; SET LOCAL work_mem = '{WORK_MEM}';"
                    " SET LOCAL max_parallel_workers_per_gather = 0"
                )
                plan = await pg.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *params)
            out += [f"-- {name}: {' '.join(statement.split())[:100]}…", *(r[0] for r in plan), ""]
    return out


async def measure(
    db: Database, now: datetime, runs: int, writable: bool = True
) -> dict[str, Sample]:
    last7, last30 = parse_period("7d", now=now), parse_period("30d", now=now)
    everything = parse_period("400d", now=now)
    team = "/app/settings/team"

    async def baseline() -> None:
        async with db.session() as s:
            await s.scalar(select(func.count()).select_from(m.Event))

    def cold_detail(clusters: bool) -> Callable[[], Awaitable[Any]]:
        async def run() -> Any:
            pages._recent.items.clear()  # no pages report to rank against: all pages again
            return await page_detail(db, team, last30, clusters=clusters)

        return run

    async def the_list() -> Any:
        return await page_report(db, last30)

    out = {}
    out["pages report, 7 days"] = await timed(lambda: page_report(db, last7), baseline, runs)
    out["pages report, 30 days"] = await timed(the_list, baseline, runs)
    out["pages report, all"] = await timed(lambda: page_report(db, everything), baseline, runs)
    out["detail (team, 30 days), cold"] = await timed(cold_detail(False), baseline, runs)
    out["detail (team, 30 days), cold, clustered"] = await timed(cold_detail(True), baseline, runs)
    out["detail (team, 30 days), after the list"] = await timed(
        lambda: page_detail(db, team, last30, clusters=False), baseline, runs, setup=the_list
    )
    out["scorecard by channel, 30 days"] = await timed(
        lambda: scorecard(db, last30, "channel"), baseline, runs
    )
    out.update(await measure_pages(db, now, runs, baseline, writable))
    return out


async def measure_pages(
    db: Database,
    now: datetime,
    runs: int,
    baseline: Callable[[], Awaitable[Any]],
    writable: bool,
) -> dict[str, Sample]:
    """The HTML pages as a person opens them, each a full request through the app."""
    until = f"until={now:%Y-%m-%dT%H:%M:%S}"
    since = {d: f"since={now - timedelta(days=d):%Y-%m-%dT%H:%M:%S}&{until}" for d in (7, 30)}
    subjects = {
        "page /reports, 7 days": f"/reports?{since[7]}",
        "page /reports, 30 days": f"/reports?{since[30]}",
        "page /reports/scorecard, 30 days": f"/reports/scorecard?{since[30]}",
        "page /reports/page/app/settings/team, 30 days, cold": (
            f"/reports/page/app/settings/team?{since[30]}"
        ),
        "page /reports/insights, 30 days": f"/reports/insights?{since[30]}",
    }
    out = {}
    async with page_client(db, writable) as client:

        def get(path: str) -> Callable[[], Awaitable[Any]]:
            async def run() -> None:
                if "/reports/page/" in path:
                    pages._recent.items.clear()  # cold: it ranks against every page
                response = await client.get(path)
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: {response.status_code}")

            return run

        for name, path in subjects.items():
            out[name] = await timed(get(path), baseline, runs)
    return out


def table(results: dict[str, Sample]) -> str:
    head = ("measure", "median ms", "best ms", "baseline ms", "ratio", "target < 1 s")
    rows = [
        (
            name,
            f"{r.median * 1000:.1f}",
            f"{r.best * 1000:.1f}",
            f"{r.base * 1000:.1f}",
            f"{r.ratio:.1f}×",
            "ok" if r.median < TARGET_S else "OVER",
        )
        for name, r in results.items()
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(head), *(line(r) for r in rows)])


def as_json(results: dict[str, Sample], target: bool) -> dict[str, Any]:
    """`meets_target` only for a full-size run: the < 1 s target is for a million events."""
    return {
        name: {
            "median_ms": round(r.median * 1000, 1),
            "best_ms": round(r.best * 1000, 1),
            "baseline_ms": round(r.base * 1000, 1),
            "ratio": round(r.ratio, 2),
            **({"meets_target": r.median < TARGET_S} if target else {}),
        }
        for name, r in results.items()
    }


@contextlib.asynccontextmanager
async def cached_database(events: int, days: int) -> AsyncIterator[tuple[str, datetime | None]]:
    """A named database kept between runs: (its URL, when it was seeded, or None when it is
    new and must be filled). The seed time is the database's comment, written once the fill
    is complete, so an interrupted fill is dropped and made again."""
    from tests.support.databases import PG_ADMIN_DSN

    name = f"{CACHE_PREFIX}_{events}_{days}d"
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        found = await conn.fetchrow(
            "SELECT shobj_description(oid, 'pg_database') AS note FROM pg_database "
            "WHERE datname = $1",
            name,
        )
        note = found["note"] if found else None
        seeded = datetime.fromisoformat(note.split()[1]) if note else None
        if found and seeded is None:
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if seeded is None:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    host = PG_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    yield f"postgresql+asyncpg://{host}/{name}", seeded


async def mark_seeded(db: Database, now: datetime) -> None:
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        name = await conn.scalar(text("SELECT current_database()"))
        await conn.execute(text(f"COMMENT ON DATABASE \"{name}\" IS 'seeded {now.isoformat()}'"))


@contextlib.asynccontextmanager
async def _fresh(
    source: contextlib.AbstractAsyncContextManager[str],
) -> AsyncIterator[tuple[str, datetime | None]]:
    async with source as url:
        yield url, None


async def run(args: argparse.Namespace) -> dict[str, Any]:
    say = functools.partial(print, file=sys.stderr if args.json else sys.stdout)
    from tests.support.databases import postgres_url

    now = datetime.now(UTC)
    report: dict[str, Any] = {}
    if args.url:
        source: Any = contextlib.nullcontext((args.url, now))
    elif args.cache:
        source = cached_database(args.events, args.days)
    else:
        source = _fresh(postgres_url())
    async with source as (url, seeded):
        db = Database(url)
        try:
            if args.url:  # a database filled before: measure only, change nothing
                report["rows"] = await row_counts(db)
            elif seeded is not None:  # the cached database: bring its schema up to date
                await db.migrate()
                await analyse(db)  # a new migration's indexes and columns, as autovacuum would
                now = seeded
                report["rows"] = await row_counts(db)
                say(f"cached database seeded {seeded.isoformat()}: {url}")
            else:
                await db.migrate()
                report["rows"] = await fill(db, args.events, args.days, now)
                await analyse(db)
                if args.cache:
                    await mark_seeded(db, now)
            results = await measure(db, now, args.runs, writable=not args.url)
            report["reports"] = as_json(results, target=args.events >= 1_000_000)
            say(f"\nrows: {report['rows']}\n")
            say("baseline: SELECT count(*) FROM events")
            say(table(results))
            if args.explain:
                report["plans"] = await explain_reports(db, now)
                say("\nEXPLAIN ANALYZE, each statement:\n")
                say("\n".join("  " + line for line in report["plans"]))
            if args.keep:
                say(f"\n(database kept while you press Enter: {url})")
                await asyncio.to_thread(input)
        finally:
            await db.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="100k events, 3 runs (no target)")
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object (the tables go to stderr)"
    )
    parser.add_argument("--keep", action="store_true", help="pause before dropping the database")
    parser.add_argument(
        "--explain", action="store_true", help="then EXPLAIN ANALYZE each statement of two reports"
    )
    parser.add_argument(
        "--cache",
        action="store_true",
        help=f"keep the filled database ({CACHE_PREFIX}_<events>_<days>d) and reuse it next "
        "time, measuring as of its seed time (migrated first; drop it with dropdb)",
    )
    parser.add_argument(
        "--url", help="measure an already filled database (SQLAlchemy URL) instead; no writes"
    )
    options = parser.parse_args()
    if options.quick:
        options.events, options.runs = 100_000, 3
    result = asyncio.run(run(options))
    if options.json:
        print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
