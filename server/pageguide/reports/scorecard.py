"""One scorecard for the AI and the people: CSAT, first-contact resolution, escalation rate,
time to first response and time to resolution, computed the same way for both channels, by
channel, page or issue type, trended weekly, with anomaly flags. docs/metrics.md defines it.

    await scorecard(db, period, by="channel", site=None, *, weeks=8, issue_types=None)
        -> Scorecard
    await scorecards(db, period, bys=("channel", "page", "issue_type"), site=None, ...)
        -> {by: Scorecard}       (one read of the conversations for every grouping)
    summarise(group, channel, conversations, week=None) -> ScoreLine                (pure)

The conversations come one row each from conversations.py; medians and the grouping by week
run over those rows here, because SQLite has no percentile function. The flags are
anomalies.py's.
"""

from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..db import Database
from .anomalies import Anomaly, anomaly_counts, flag_anomalies
from .conversations import Channel, Conversation, ai_conversations, human_conversations
from .issue_types import UNKNOWN
from .period import Period, rolling_weeks
from .sql import gather

By = Literal["channel", "page", "issue_type"]
BY_CHOICES: tuple[str, ...] = ("channel", "page", "issue_type")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ScoreLine(_Model):
    """The five measures over one group of conversations. Rates 0..1, None when undefined."""

    group: str  # the channel, the template or the issue type
    channel: Channel
    week: date | None = None  # the first day of a rolling week, for trend lines
    conversations: int = 0
    csat_responses: int = 0
    csat: float | None = None  # share of responses scoring 4–5
    csat_average: float | None = None
    finished: int = 0  # conversations whose outcome is known (FCR denominator)
    resolved_first_contact: int = 0
    fcr: float | None = None
    escalated: int = 0
    escalation_rate: float | None = None
    first_response_median_seconds: float | None = None
    first_response_p90_seconds: float | None = None
    resolution_median_seconds: float | None = None


class Scorecard(_Model):
    period: Period
    site: str | None = None
    by: By
    generated_at: datetime
    lines: list[ScoreLine]  # over the period; by group, then channel
    weeks: list[date]  # the trend's rolling weeks (their first days), oldest first
    trend: list[ScoreLine]  # one line per (group, channel, week) with conversations
    anomalies: list[Anomaly]


# ---------------------------------------------------------------- the five measures (pure)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 2)


def summarise(
    group: str, channel: Channel, convs: Sequence[Conversation], week: date | None = None
) -> ScoreLine:
    """The five measures over some conversations. Pure."""
    responses = sum(c.csat_responses for c in convs)
    finished = [c for c in convs if c.finished]
    resolved = sum(1 for c in finished if c.resolved)
    escalated = sum(1 for c in convs if c.escalated)
    firsts = [c.first_response_s for c in convs if c.first_response_s is not None]
    resolutions = [c.resolution_s for c in convs if c.resolution_s is not None]
    return ScoreLine(
        group=group,
        channel=channel,
        week=week,
        conversations=len(convs),
        csat_responses=responses,
        csat=round(sum(c.csat_good for c in convs) / responses, 4) if responses else None,
        csat_average=round(sum(c.csat_sum for c in convs) / responses, 3) if responses else None,
        finished=len(finished),
        resolved_first_contact=resolved,
        fcr=round(resolved / len(finished), 4) if finished else None,
        escalated=escalated,
        escalation_rate=round(escalated / len(convs), 4) if convs else None,
        first_response_median_seconds=_median(firsts),
        first_response_p90_seconds=_p90(firsts),
        resolution_median_seconds=_median(resolutions),
    )


def _group_of(c: Conversation, by: By) -> str:
    if by == "page":
        return c.template or UNKNOWN
    if by == "issue_type":
        return c.issue_type or UNKNOWN
    return c.channel


def lines_for(convs: Iterable[Conversation], by: By, week: date | None = None) -> list[ScoreLine]:
    groups: dict[tuple[str, Channel], list[Conversation]] = defaultdict(list)
    for c in convs:
        groups[(_group_of(c, by), c.channel)].append(c)
    lines = [summarise(g, ch, cs, week) for (g, ch), cs in groups.items()]
    lines.sort(
        key=lambda line: (-line.conversations if by != "channel" else 0, line.group, line.channel)
    )
    return lines


# ---------------------------------------------------------------- the scorecard


def _check_by(by: str) -> By:
    if by not in BY_CHOICES:
        raise ValueError(f"by must be one of {', '.join(BY_CHOICES)}, not {by!r}")
    return by  # type: ignore[return-value]


async def scorecard(
    db: Database,
    period: Period,
    by: By = "channel",
    site: str | None = None,
    *,
    weeks: int = 8,
    issue_types: Callable[[str | None], str] | None = None,
    anomalies: bool = True,
) -> Scorecard:
    """Lines over the period, a trend of `weeks` rolling weeks ending at the period's end,
    and anomaly flags for the latest of those weeks."""
    by = _check_by(by)
    cards = await scorecards(
        db, period, (by,), site, weeks=weeks, issue_types=issue_types, anomalies=anomalies
    )
    return cards[by]


async def scorecards(
    db: Database,
    period: Period,
    bys: Sequence[str] = BY_CHOICES,
    site: str | None = None,
    *,
    weeks: int = 8,
    issue_types: Callable[[str | None], str] | None = None,
    anomalies: bool = True,
) -> dict[By, Scorecard]:
    """`scorecard` by several groupings from one read of the conversations and one anomaly
    scan: the groupings differ only in how Python groups the same rows."""
    chosen = [_check_by(b) for b in bys]
    weeks = max(1, min(int(weeks), 52))
    edges = rolling_weeks(period.end, weeks)
    start = min(period.start, edges[0])
    reads: list[Awaitable[Any]] = [
        ai_conversations(db, start, period.end, site, issue_types),
        human_conversations(db, start, period.end, site),
    ]
    # the anomaly scan's page counts are read alongside the conversations, not after them
    anomaly_weeks = max(weeks, 4)
    if anomalies:
        reads.append(anomaly_counts(db, site, period.end, anomaly_weeks))
    ai, human, *counts = await gather(db, *reads)
    convs = [*ai, *human]
    in_period = [c for c in convs if period.start <= c.at < period.end]
    starts = edges[1:-1]
    by_week: dict[int, list[Conversation]] = defaultdict(list)
    for c in convs:
        if edges[0] <= c.at < edges[-1]:
            by_week[bisect.bisect_right(starts, c.at)].append(c)
    flags = (
        flag_anomalies(counts[0], convs, rolling_weeks(period.end, anomaly_weeks))
        if anomalies
        else []
    )
    now = datetime.now(UTC)
    return {
        by: Scorecard(
            period=period,
            site=site,
            by=by,
            generated_at=now,
            lines=lines_for(in_period, by),
            weeks=[e.date() for e in edges[:-1]],
            trend=[
                line
                for i in range(weeks)
                for line in lines_for(by_week.get(i, []), by, edges[i].date())
            ],
            anomalies=flags,
        )
        for by in chosen
    }


__all__ = [
    "BY_CHOICES",
    "ScoreLine",
    "Scorecard",
    "lines_for",
    "scorecard",
    "scorecards",
    "summarise",
]
