"""Report periods: `since`/`until` parsing and its errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pageguide.reports.period import (
    MAX_DAYS,
    PeriodError,
    day_edges,
    parse_period,
    rolling_weeks,
)

NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("since", "back"),
    [
        ("7d", timedelta(days=7)),
        ("24h", timedelta(hours=24)),
        ("30m", timedelta(minutes=30)),
        ("90min", timedelta(minutes=90)),
        ("2w", timedelta(weeks=2)),
        (" 30D ", timedelta(days=30)),
    ],
)
def test_durations_count_back_from_now(since: str, back: timedelta) -> None:
    period = parse_period(since, now=NOW)
    assert (period.start, period.end) == (NOW - back, NOW)
    assert period.label == since.strip()


def test_default_is_the_last_seven_days() -> None:
    assert parse_period(None, now=NOW).start == NOW - timedelta(days=7)
    assert parse_period("", now=NOW).start == NOW - timedelta(days=7)


def test_iso_dates_and_date_times() -> None:
    period = parse_period("2026-03-01", "2026-03-07", now=NOW)
    # a date as `until` includes that whole day: the period is half-open
    assert period.start == datetime(2026, 3, 1, tzinfo=UTC)
    assert period.end == datetime(2026, 3, 8, tzinfo=UTC)
    assert period.days == 7
    assert parse_period("2026-03-01T09:00", now=NOW).start == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert parse_period("2026-03-01T09:00Z", now=NOW).start == datetime(2026, 3, 1, 9, tzinfo=UTC)
    offset = parse_period("2026-03-01T09:00:00+02:00", now=NOW)
    assert offset.start == datetime(2026, 3, 1, 7, tzinfo=UTC) and offset.start.tzinfo == UTC
    assert parse_period("7d", "1d", now=NOW).end == NOW - timedelta(days=1)


def test_naive_now_is_taken_as_utc() -> None:
    naive = datetime(2026, 3, 10, 15, 30)
    assert parse_period("1d", now=naive).end == NOW


@pytest.mark.parametrize(
    ("since", "until", "words"),
    [
        ("banana", None, "neither a duration"),
        ("7y", None, "neither a duration"),
        ("-7d", None, "neither a duration"),
        ("2026-02-30", None, "not a real date"),
        ("2026-13-01T00:00", None, "neither a duration"),
        ("   ", None, "since is empty"),
        ("2026-03-09", "2026-03-01", "must be before"),
        ("1d", "2d", "must be before"),
        ("2026-03-11", None, "must be before"),  # starts in the future
        (f"{MAX_DAYS + 1}d", None, f"more than {MAX_DAYS} days"),
        ("2020-01-01", None, f"at most {MAX_DAYS} days"),
        ("7d", "soon", "until='soon'"),
    ],
)
def test_bad_values_say_what_is_wrong(since: str, until: str | None, words: str) -> None:
    with pytest.raises(PeriodError, match=words.replace("(", r"\(")):
        parse_period(since, until, now=NOW)


def test_period_error_is_a_value_error() -> None:
    assert issubclass(PeriodError, ValueError)


def test_rolling_weeks_end_at_the_end() -> None:
    edges = rolling_weeks(NOW, 3)
    assert edges == [
        NOW - timedelta(weeks=3),
        NOW - timedelta(weeks=2),
        NOW - timedelta(weeks=1),
        NOW,
    ]


def test_day_edges_cover_the_period() -> None:
    period = parse_period("2026-03-01T12:00", "2026-03-03T06:00", now=NOW)
    edges = day_edges(period)
    assert edges[0] == datetime(2026, 3, 1, tzinfo=UTC)
    assert edges[-1] == datetime(2026, 3, 4, tzinfo=UTC)
    assert len(edges) == 4
