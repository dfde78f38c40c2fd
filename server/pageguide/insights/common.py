"""Small pieces every insight shares: the error type, UTC handling, privacy scrubbing, ISO
weeks. Pure."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_LONG_NUMBER = re.compile(r"\d[\d -]{10,}\d")


class InsightError(Exception):
    """A request the learning loop refuses; `message` is fit to show a person, `status` is the
    HTTP status the inbox answers with."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def utc(value: datetime) -> datetime:
    """Datetimes are stored as UTC; SQLite hands them back without an offset."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def scrub(text: str) -> str:
    """The widget's privacy rules for text that may end up in knowledge or a digest: e-mail
    addresses become [email], card-like digit runs (12 or more) become [number]."""
    text = _EMAIL.sub("[email]", text)
    return _LONG_NUMBER.sub(
        lambda m: "[number]" if sum(c.isdigit() for c in m.group(0)) >= 12 else m.group(0), text
    )


def one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def iso_week(day: date | datetime) -> str:
    """`2026-W05` for any day of that ISO week."""
    year, week, _ = (day.date() if isinstance(day, datetime) else day).isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week: str) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) UTC of an ISO week written `2026-W05`."""
    match = re.fullmatch(r"\s*(\d{4})-?W(\d{1,2})\s*", week, re.I)
    if not match:
        raise InsightError("bad_week", f"week {week!r} is not an ISO week like 2026-W05")
    try:
        monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        raise InsightError("bad_week", f"week {week!r} does not exist") from None
    start = datetime.combine(monday, time(0), tzinfo=UTC)
    return start, start + timedelta(days=7)


def last_full_week(now: datetime) -> str:
    """The ISO week before the one `now` falls in: what a Monday digest reports on."""
    return iso_week(utc(now) - timedelta(days=7))


def jsonable(value: Any) -> Any:
    """Datetimes as ISO strings (with Z), for JSON answers and outbox bodies."""
    if isinstance(value, datetime):
        return utc(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
