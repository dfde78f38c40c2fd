"""Anomaly flags: pages whose friction, and issue types whose AI escalation rate, rose sharply
in the latest rolling week against the weeks before it. docs/metrics.md defines the rule.

    await find_anomalies(db, site=None, *, end=None, weeks=8, issue_types=None) -> list[Anomaly]
    await anomaly_counts(db, site, end, weeks) -> Counts               (what the scan reads)
    flag_anomalies(counts, conversations, edges) -> list[Anomaly]      (the scan itself, pure)
    detect_anomaly(metric, key, points, rule=AnomalyRule()) -> Anomaly | None      (pure)
"""

from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..db import Database
from .conversations import Conversation, ai_conversations
from .counts import Counts, collect
from .friction import FrictionInputs, friction, pooled_prior
from .period import Period, rolling_weeks, utc
from .sql import gather

Metric = Literal["page_friction", "issue_escalation_rate"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class WeekPoint(_Model):
    week: date
    value: float | None  # None: no data that week
    volume: int = 0


class AnomalyRule(_Model):
    """Flag the latest week when it rises sharply against the weeks before it."""

    min_history: int = Field(3, ge=2)  # earlier weeks with data needed
    history_weeks: int = Field(8, ge=2)  # at most this many earlier weeks are the baseline
    min_volume: int = Field(20, ge=0)  # the latest week's volume (sessions/conversations)
    z_threshold: float = 3.0
    ratio_threshold: float = 2.0
    min_delta: float = 0.0  # the rise must also be at least this, in the metric's units
    stdev_floor: float = 0.0  # guards a flat history from infinite z-scores


class Anomaly(_Model):
    metric: Metric
    key: str  # the template or the issue type
    week: date  # first day of the latest (rolling) week
    value: float
    baseline: float  # mean of the earlier weeks
    stdev: float
    z: float | None
    ratio: float | None  # value / baseline; None when the baseline is 0
    volume: int
    history: list[WeekPoint]
    reason: str


DEFAULT_RULE = AnomalyRule()
PAGE_FRICTION_RULE = AnomalyRule(min_volume=20, min_delta=5.0, stdev_floor=2.0)
ESCALATION_RULE = AnomalyRule(min_volume=10, min_delta=0.10, stdev_floor=0.03)


# ---------------------------------------------------------------- the anomaly rule (pure)


def detect_anomaly(
    metric: Metric,
    key: str,
    points: Sequence[WeekPoint],
    rule: AnomalyRule = DEFAULT_RULE,
) -> Anomaly | None:
    """The latest point against the earlier points with data (oldest first).

    Flagged when the latest week has at least `min_volume`, at least `min_history` earlier
    weeks have data, the rise over their mean is at least `min_delta`, and either
    z = (value − mean) / max(stdev, stdev_floor) ≥ z_threshold or value ≥ ratio_threshold × mean
    (a zero mean counts as an infinite ratio)."""
    if not points:
        return None
    latest = points[-1]
    if latest.value is None or latest.volume < rule.min_volume:
        return None
    history = [p for p in points[:-1] if p.value is not None][-rule.history_weeks :]
    if len(history) < rule.min_history:
        return None
    values = [float(p.value) for p in history if p.value is not None]
    mean = statistics.fmean(values)
    stdev = statistics.pstdev(values)
    delta = latest.value - mean
    if delta <= 0 or delta < rule.min_delta:
        return None
    spread = max(stdev, rule.stdev_floor)
    z = delta / spread if spread > 0 else None
    ratio = latest.value / mean if mean > 0 else None
    by_z = z is None or z >= rule.z_threshold
    by_ratio = ratio is None or ratio >= rule.ratio_threshold
    if not (by_z or by_ratio):
        return None
    why = []
    if by_z:
        why.append("far above its usual level" if z is None else f"z = {z:.1f}")
    if by_ratio:
        why.append("up from nothing" if ratio is None else f"{ratio:.1f}× the mean")
    return Anomaly(
        metric=metric,
        key=key,
        week=latest.week,
        value=round(latest.value, 4),
        baseline=round(mean, 4),
        stdev=round(stdev, 4),
        z=None if z is None else round(z, 2),
        ratio=None if ratio is None else round(ratio, 2),
        volume=latest.volume,
        history=list(points),
        reason=f"{latest.value:.3g} this week vs {mean:.3g} over the {len(history)} weeks "
        f"before ({', '.join(why)})",
    )


# ---------------------------------------------------------------- the scan


async def find_anomalies(
    db: Database,
    site: str | None = None,
    *,
    end: datetime | None = None,
    weeks: int = 8,
    issue_types: Callable[[str | None], str] | None = None,
    conversations: Sequence[Conversation] | None = None,
    page_rule: AnomalyRule = PAGE_FRICTION_RULE,
    escalation_rule: AnomalyRule = ESCALATION_RULE,
) -> list[Anomaly]:
    """Pages whose friction, and issue types whose AI escalation rate, rose sharply in the
    latest rolling week against the `weeks - 1` weeks before it."""
    end = utc(end or datetime.now(UTC))
    weeks = max(4, weeks)
    edges = rolling_weeks(end, weeks)
    if conversations is None:
        accs, conversations = await gather(
            db,
            anomaly_counts(db, site, end, weeks),
            ai_conversations(db, edges[0], end, site, issue_types),
        )
    else:
        accs = await anomaly_counts(db, site, end, weeks)
    return flag_anomalies(accs, conversations, edges, page_rule, escalation_rule)


async def anomaly_counts(db: Database, site: str | None, end: datetime, weeks: int) -> Counts:
    """Every page's counts per rolling week (`weeks` of them, at least 4, ending at `end`);
    the friction inputs only (no users or accounts)."""
    weeks = max(4, weeks)
    edges = rolling_weeks(utc(end), weeks)
    window = Period(start=edges[0], end=edges[-1], label=f"{weeks}w")
    accs, _ = await collect(db, window, site, None, edges, people=False, friction_only=True)
    return accs


def flag_anomalies(
    accs: Counts,
    conversations: Sequence[Conversation],
    edges: Sequence[datetime],
    page_rule: AnomalyRule = PAGE_FRICTION_RULE,
    escalation_rule: AnomalyRule = ESCALATION_RULE,
) -> list[Anomaly]:
    """The anomaly rule over the weekly page counts and the AI conversations. Pure."""
    weeks = len(edges) - 1
    week_days = [e.date() for e in edges[:-1]]

    # page friction, every week against one prior pooled over the whole window
    per_page: dict[str, dict[int, FrictionInputs]] = defaultdict(dict)
    for (template, b), acc in accs.items():
        per_page[template][b] = acc.row(template).friction_inputs()
    prior = pooled_prior(x for page in per_page.values() for x in page.values())
    found: list[Anomaly] = []
    for template, by_week in sorted(per_page.items()):
        points = [
            WeekPoint(
                week=week_days[i],
                value=friction(by_week[i], prior).score,
                volume=by_week[i].sessions,
            )
            if i in by_week and by_week[i].sessions
            else WeekPoint(week=week_days[i], value=None, volume=0)
            for i in range(weeks)
        ]
        flag = detect_anomaly("page_friction", template, points, page_rule)
        if flag:
            found.append(flag)

    # AI escalation rate by issue type
    starts = edges[1:-1]
    counts: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for c in conversations:
        if c.channel == "ai" and edges[0] <= c.at < edges[-1]:
            cell = counts[c.issue_type][bisect.bisect_right(starts, c.at)]
            cell[0] += 1
            cell[1] += int(c.escalated)
    for issue, by_week_counts in sorted(counts.items()):
        points = [
            WeekPoint(
                week=week_days[i],
                value=by_week_counts[i][1] / by_week_counts[i][0] if by_week_counts[i][0] else None,
                volume=by_week_counts[i][0],
            )
            for i in range(weeks)
        ]
        flag = detect_anomaly("issue_escalation_rate", issue, points, escalation_rule)
        if flag:
            found.append(flag)
    found.sort(key=lambda a: (-(a.z or 1e9), a.metric, a.key))
    return found


__all__ = [
    "Anomaly",
    "AnomalyRule",
    "WeekPoint",
    "anomaly_counts",
    "detect_anomaly",
    "find_anomalies",
    "flag_anomalies",
]
