"""Report periods: `since` / `until` as the API, the CLI and the pages accept them. Pure.

`since` is a duration back from now (`30m`, `24h`, `7d`, `4w`) or an ISO date / date-time
(`2026-01-05`, `2026-01-05T09:00`, `2026-01-05T09:00:00+01:00`). `until` takes the same forms
and defaults to now; an ISO *date* as `until` includes that whole day. Date-times without an
offset are UTC. Every period is half-open, `[start, end)`, and held in UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel, ConfigDict

DEFAULT_SINCE = "7d"
MAX_DAYS = 731  # two years: longer ranges are almost always a typo
_DURATION = re.compile(r"^\s*(\d{1,6})\s*(m|min|h|d|w)\s*$", re.I)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PeriodError(ValueError):
    """A `since`/`until` the reports cannot use; the message is fit to show a person."""


class Period(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC
    label: str  # what was asked for, e.g. "7d" or "2026-01-05 – 2026-01-12"

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86_400


def utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:  # as PostgreSQL's driver returns them: nothing to convert
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _parse_point(value: str, now: datetime, name: str, end_of_day: bool) -> datetime:
    text = value.strip()
    if not text:
        raise PeriodError(f"{name} is empty; use a duration like 7d or 24h, or an ISO date")
    duration = _DURATION.match(text)
    if duration:
        amount, unit = int(duration.group(1)), _UNITS[duration.group(2).lower()]
        delta = timedelta(**{unit: amount})
        if delta > timedelta(days=MAX_DAYS):
            raise PeriodError(f"{name}={value!r} reaches back more than {MAX_DAYS} days")
        return now - delta
    if _DATE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise PeriodError(f"{name}={value!r} is not a real date") from None
        start = datetime.combine(day, time(0), tzinfo=UTC)
        return start + timedelta(days=1) if end_of_day else start
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        raise PeriodError(
            f"{name}={value!r} is neither a duration (30m, 24h, 7d, 4w) nor an ISO date "
            "(2026-01-05) or date-time (2026-01-05T09:00Z)"
        ) from None
    return utc(parsed)


def parse_period(
    since: str | None = DEFAULT_SINCE, until: str | None = None, now: datetime | None = None
) -> Period:
    """The period [since, until). Raises PeriodError with a readable message."""
    now = utc(now or datetime.now(UTC))
    since = DEFAULT_SINCE if since is None or since == "" else since
    start = _parse_point(since, now, "since", end_of_day=False)
    end = now if until is None or until == "" else _parse_point(until, now, "until", True)
    if start >= end:
        raise PeriodError(
            f"since ({start:%Y-%m-%d %H:%M}) must be before until ({end:%Y-%m-%d %H:%M}) UTC"
        )
    if end - start > timedelta(days=MAX_DAYS):
        raise PeriodError(f"a report covers at most {MAX_DAYS} days")
    label = since.strip() if until in (None, "") else f"{since.strip()} – {until.strip()}"
    return Period(start=start, end=end, label=label)


def last_days(days: float, now: datetime | None = None) -> Period:
    now = utc(now or datetime.now(UTC))
    return Period(start=now - timedelta(days=days), end=now, label=f"{days:g}d")


def rolling_weeks(end: datetime, count: int) -> list[datetime]:
    """`count` seven-day windows ending at `end`, as count+1 ascending edges: week i is
    edges[i] <= t < edges[i+1]; the last one is the latest week. Rolling windows rather than
    calendar weeks, so "the latest week" is never a half-empty Monday."""
    end = utc(end)
    return [end - timedelta(weeks=count - i) for i in range(count + 1)]


def day_edges(period: Period) -> list[datetime]:
    first = datetime.combine(utc(period.start).date(), time(0), tzinfo=UTC)
    edges = [first]
    while edges[-1] < period.end:
        edges.append(edges[-1] + timedelta(days=1))
    return edges
