"""One scorecard for the AI and the people: CSAT, first-contact resolution, escalation rate,
time to first response and time to resolution, computed the same way for both channels, by
channel, page or issue type, trended weekly, with anomaly flags. docs/metrics.md defines it.

    await scorecard(db, period, by="channel", site=None, *, weeks=8, issue_types=None)
        -> Scorecard
    await find_anomalies(db, site=None, *, end=None, weeks=8, issue_types=None) -> list[Anomaly]
    detect_anomaly(metric, key, points, rule=AnomalyRule()) -> Anomaly | None      (pure)

A *conversation* is either
- **ai**: a session that asked ≥1 question in the window, dated by its first question;
- **human**: a handoff, dated by its `created_at`.
The database aggregates each conversation to one row (questions, answers, feedback, CSAT and
handoffs folded in SQL); medians and the grouping by week run over those rows in Python,
because SQLite has no percentile function.
"""

from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from ..db import Database
from ..db import models as m
from .counts import Counts, collect
from .friction import FrictionInputs, friction, pooled_prior
from .period import Period, rolling_weeks, utc
from .sql import ANSWERED, epoch_seconds, gather, read

Channel = Literal["ai", "human"]
By = Literal["channel", "page", "issue_type"]
BY_CHOICES: tuple[str, ...] = ("channel", "page", "issue_type")
GOOD_CSAT_MIN = 4  # CSAT = share of responses scoring 4 or 5
LOW_CSAT_MAX = 2
UNKNOWN = "unknown"
# The inbox's issue types (inbox/templates/app.html); article tags map onto them.
ISSUE_TYPES = ("how_to", "bug", "billing", "account_access", "feature_request", "outage", "other")
TAG_TO_ISSUE = {
    "billing": "billing",
    "invoices": "billing",
    "payment": "billing",
    "subscription": "billing",
    "plans": "billing",
    "cancel": "billing",
    "tax": "billing",
    "sign-in": "account_access",
    "2fa": "account_access",
    "password": "account_access",
    "account": "account_access",
    "sso": "account_access",
    "troubleshooting": "bug",
    "bug": "bug",
    "outage": "outage",
    "incident": "outage",
}


# ---------------------------------------------------------------- issue types for the AI


def article_slug(url: str) -> str:
    """`https://x/help/billing-change-plan#update` → `billing-change-plan`."""
    path = urlsplit(url or "").path
    if "/help/" in path:
        path = path.split("/help/", 1)[1]
    path = path.strip("/")
    head, _, last = path.rpartition("/")
    if "." in last.strip("."):
        last = last.rsplit(".", 1)[0]
    return f"{head}/{last}" if head else last


def issue_type_from_tags(tags: Iterable[str]) -> str:
    tags = [str(t).lower() for t in tags]
    for tag in tags:
        if tag in ISSUE_TYPES:
            return tag
    for tag in tags:
        if tag in TAG_TO_ISSUE:
            return TAG_TO_ISSUE[tag]
    return "how_to"  # an article that answers a question is, by default, a how-to


class IssueTypes:
    """Top source URL of an AI answer → issue type, from the articles' tags. No source (a
    declined answer) or an article it does not know → "unknown"."""

    def __init__(self, tags_by_slug: Mapping[str, Sequence[str]] | None = None) -> None:
        self.tags_by_slug = dict(tags_by_slug or {})
        self._seen: dict[str, str] = {}  # answers cite the same few URLs over and over

    def __call__(self, url: str | None) -> str:
        if not url:
            return UNKNOWN
        found = self._seen.get(url)
        if found is None:
            tags = self.tags_by_slug.get(article_slug(url))
            found = UNKNOWN if tags is None else issue_type_from_tags(tags)
            if len(self._seen) < 10_000:
                self._seen[url] = found
        return found

    @classmethod
    def from_index(cls, index: Any) -> IssueTypes:
        """From a serving `KnowledgeIndex` (its `articles` carry id and tags)."""
        return cls({str(PurePosixPath(a.id).with_suffix("")): list(a.tags) for a in index.articles})

    @classmethod
    def from_folder(cls, folder: Path) -> IssueTypes:
        """From a knowledge folder's front matter (no embedding, no store)."""
        import frontmatter

        found: dict[str, list[str]] = {}
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() in (".md", ".mdx") and path.is_file():
                try:
                    tags = frontmatter.load(path).metadata.get("tags") or []
                except Exception:
                    continue
                slug = str(PurePosixPath(path.relative_to(folder).as_posix()).with_suffix(""))
                found[slug] = [str(t) for t in tags] if isinstance(tags, list) else [str(tags)]
        return cls(found)


# ---------------------------------------------------------------- models


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
    metric: Literal["page_friction", "issue_escalation_rate"]
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


class Scorecard(_Model):
    period: Period
    site: str | None = None
    by: By
    generated_at: datetime
    lines: list[ScoreLine]  # over the period; by group, then channel
    weeks: list[date]  # the trend's rolling weeks (their first days), oldest first
    trend: list[ScoreLine]  # one line per (group, channel, week) with conversations
    anomalies: list[Anomaly]


DEFAULT_RULE = AnomalyRule()
PAGE_FRICTION_RULE = AnomalyRule(min_volume=20, min_delta=5.0, stdev_floor=2.0)
ESCALATION_RULE = AnomalyRule(min_volume=10, min_delta=0.10, stdev_floor=0.03)


# ---------------------------------------------------------------- the anomaly rule (pure)


def detect_anomaly(
    metric: Literal["page_friction", "issue_escalation_rate"],
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


# ---------------------------------------------------------------- conversations


@dataclass(frozen=True, slots=True)
class Conversation:
    channel: Channel
    at: datetime
    template: str
    issue_type: str
    escalated: bool
    finished: bool
    resolved: bool
    first_response_s: float | None
    resolution_s: float | None
    csat_responses: int
    csat_sum: float
    csat_good: int


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return max(0.0, (utc(later) - utc(earlier)).total_seconds())


async def ai_conversations(
    db: Database,
    start: datetime,
    end: datetime,
    site: str | None = None,
    issue_types: Callable[[str | None], str] | None = None,
) -> list[Conversation]:
    """One row per session whose questions fall in [start, end), aggregated in SQL."""
    issue_types = issue_types or IssueTypes()
    q, pv, a, f, h, c, s = (
        m.Question,
        m.PageView,
        m.Answer,
        m.Feedback,
        m.HandoffRow,
        m.Csat,
        m.Session,
    )
    top_source = a.sources[(0, "url")].as_string()
    rated_down = (
        select(f.answer_id)
        .where(f.rating == "down", f.at >= start)
        .group_by(f.answer_id)
        .subquery("rated_down")
    )
    down = rated_down.c.answer_id.is_not(None)
    per_question = (
        select(
            q.session_id.label("session_id"),
            q.at.label("at"),
            q.page_view_id.label("page_view_id"),
            case((a.status.in_(ANSWERED), 1), else_=0).label("answered"),
            a.first_token_ms.label("first_token_ms"),
            top_source.label("source"),
            case((down, 1), else_=0).label("down"),
            (epoch_seconds(db, a.at) + func.coalesce(a.total_ms, 0.0) / 1000.0).label("done"),
            epoch_seconds(db, q.at).label("asked"),
            func.row_number().over(partition_by=q.session_id, order_by=(q.at, q.id)).label("rn"),
        )
        .select_from(q)
        .outerjoin(a, and_(a.question_id == q.id, a.status.in_((*ANSWERED, "declined"))))
        .outerjoin(rated_down, rated_down.c.answer_id == a.id)
        .where(q.at >= start, q.at < end)
    )
    if site is not None:
        per_question = per_question.join(s, s.id == q.session_id).where(s.site_key == site)
    pq = per_question.subquery("pq")
    first = pq.c.rn == 1
    conv = (
        select(
            pq.c.session_id,
            func.min(pq.c.at).label("first_at"),
            func.count().label("questions"),
            func.max(case((first, pq.c.page_view_id))).label("page_view_id"),
            func.max(case((first, pq.c.first_token_ms))).label("first_token_ms"),
            func.max(case((first, pq.c.source))).label("source"),
            func.sum(pq.c.answered).label("answered"),
            func.count(pq.c.source).label("sourced"),
            func.count(pq.c.source.distinct()).label("topics"),
            func.sum(pq.c.down).label("down"),
            (func.max(pq.c.done) - func.min(pq.c.asked)).label("duration"),
        )
        .group_by(pq.c.session_id)
        .subquery("conv")
    )
    h_before = aliased(m.HandoffRow)
    ai_csat = (
        select(
            c.session_id.label("session_id"),
            func.count(c.id).label("n"),
            func.sum(c.score).label("total"),
            func.sum(case((c.score >= GOOD_CSAT_MIN, 1), else_=0)).label("good"),
        )
        .where(
            c.at >= start,
            ~exists().where(h_before.session_id == c.session_id, h_before.created_at <= c.at),
        )
        .group_by(c.session_id)
        .subquery("ai_csat")
    )
    last_handoff = (
        select(h.session_id, func.max(h.created_at).label("last"))
        .where(h.created_at >= start)
        .group_by(h.session_id)
        .subquery("last_handoff")
    )
    escalated = and_(last_handoff.c.last.is_not(None), last_handoff.c.last >= conv.c.first_at)
    # resolved: not escalated, every question answered, no 👎, no topic asked twice
    resolved = and_(
        ~escalated,
        conv.c.answered == conv.c.questions,
        conv.c.down == 0,
        conv.c.sourced == conv.c.topics,
    )
    stmt = (
        select(
            conv.c.first_at,
            # the page of the first question's visit: one index lookup per conversation (as
            # a join, PostgreSQL would hash every page view to find a few thousand)
            func.coalesce(
                select(pv.template).where(pv.id == conv.c.page_view_id).scalar_subquery(), ""
            ),
            conv.c.first_token_ms,
            conv.c.source,
            case((escalated, 1), else_=0),
            case((resolved, 1), else_=0),
            case((resolved, conv.c.duration)),  # time to resolution, for resolved ones only
            func.coalesce(ai_csat.c.n, 0),
            func.coalesce(ai_csat.c.total, 0),
            func.coalesce(ai_csat.c.good, 0),
        )
        .outerjoin(ai_csat, ai_csat.c.session_id == conv.c.session_id)
        .outerjoin(last_handoff, last_handoff.c.session_id == conv.c.session_id)
    )
    out = []
    for row in await read(db, stmt):
        (
            first_at,
            template,
            first_ms,
            source,
            was_escalated,
            was_resolved,
            duration,
            n_csat,
            csat_total,
            csat_good,
        ) = row
        out.append(
            Conversation(
                channel="ai",
                at=utc(first_at),
                template=template or "",
                issue_type=issue_types(source),
                escalated=bool(was_escalated),
                finished=True,
                resolved=bool(was_resolved),
                first_response_s=None if first_ms is None else float(first_ms) / 1000.0,
                resolution_s=None if duration is None else max(0.0, float(duration)),
                csat_responses=int(n_csat),
                csat_sum=float(csat_total),
                csat_good=int(csat_good),
            )
        )
    return out


async def human_conversations(
    db: Database, start: datetime, end: datetime, site: str | None = None
) -> list[Conversation]:
    """One row per handoff created in [start, end)."""
    h, c = m.HandoffRow, m.Csat
    later = aliased(m.HandoffRow)
    reopened = exists().where(
        later.session_id == h.session_id,
        later.id != h.id,
        or_(
            later.created_at > h.created_at,
            and_(later.created_at == h.created_at, later.id > h.id),
        ),
    )
    after = and_(c.session_id == h.session_id, c.at >= h.created_at)
    csat_n = select(func.count(c.id)).where(after).scalar_subquery()
    csat_total = select(func.coalesce(func.sum(c.score), 0)).where(after).scalar_subquery()
    csat_good = select(func.count(c.id)).where(after, c.score >= GOOD_CSAT_MIN).scalar_subquery()
    stmt = select(
        h.created_at,
        h.template,
        h.status,
        h.tags["issue_type"],  # just that value, not the whole tags document
        h.first_response_at,
        h.closed_at,
        case((reopened, 1), else_=0),
        csat_n,
        csat_total,
        csat_good,
    ).where(h.created_at >= start, h.created_at < end)
    if site is not None:
        stmt = stmt.where(h.site_key == site)
    out = []
    for created, template, status, issue, first_resp, closed, again, n, total, good in await read(
        db, stmt
    ):
        closed_ok = status == "closed"
        out.append(
            Conversation(
                channel="human",
                at=utc(created),
                template=template or "",
                issue_type=str(issue).strip().lower() or UNKNOWN if issue else UNKNOWN,
                escalated=bool(again),
                finished=status in ("closed", "returned"),
                resolved=closed_ok and not again,
                first_response_s=_seconds(first_resp, created),
                resolution_s=_seconds(closed, created) if closed_ok else None,
                csat_responses=int(n or 0),
                csat_sum=float(total or 0),
                csat_good=int(good or 0),
            )
        )
    return out


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
    trend = [
        line for i in range(weeks) for line in lines_for(by_week.get(i, []), by, edges[i].date())
    ]
    flags = (
        flag_anomalies(counts[0], convs, rolling_weeks(period.end, anomaly_weeks))
        if anomalies
        else []
    )
    return Scorecard(
        period=period,
        site=site,
        by=by,
        generated_at=datetime.now(UTC),
        lines=lines_for(in_period, by),
        weeks=[e.date() for e in edges[:-1]],
        trend=trend,
        anomalies=flags,
    )


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
    "BY_CHOICES",
    "Anomaly",
    "AnomalyRule",
    "Conversation",
    "IssueTypes",
    "ScoreLine",
    "Scorecard",
    "WeekPoint",
    "ai_conversations",
    "detect_anomaly",
    "find_anomalies",
    "flag_anomalies",
    "human_conversations",
    "issue_type_from_tags",
    "lines_for",
    "scorecard",
    "summarise",
]
