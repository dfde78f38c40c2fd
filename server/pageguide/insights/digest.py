"""The weekly digest: a week of conversations as coaching material for support leads and PMs.

What people asked most (themes), pages whose friction rose, articles to write (gaps), articles
that misfire, the issue types that most often needed a person, where agents spent their time,
and the accounts to check in on — each with what to do about it and a link into the reports
or the inbox. Rendered as Markdown, plain text and Slack blocks, and sent through the site's
handoff channels by writing outbox rows (one per channel, idempotency key
`digest-<site>-<ISO week>-<channel>`), so the outbox's retries and dead letters apply and a
week is never sent twice, whichever process or restart tries.

    await build_digest(db, site, week=None, ...) -> Digest
    render_markdown(d) · render_text(d) · render_slack(d) · email_body(d) · webhook_body(d)
    await send_digest(db, sites, site, base_url=..., week=None, ...) -> SendResult
    await preview_digest(db, site, base_url=..., fmt="markdown") -> str
    await digest_forever(db, sites, base_url=...)   # Mondays 08:00 UTC, last week's digest
    await digest_command(settings, send=False, ...)  # what `pageguide digest` runs
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import statistics
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote, urlencode

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..db import Database
from ..db import models as m
from ..handoff import escape_markdown, escape_slack
from ..reports.anomalies import (
    ESCALATION_RULE,
    PAGE_FRICTION_RULE,
    Anomaly,
    AnomalyRule,
    find_anomalies,
)
from .accounts import AtRiskAccount, at_risk_accounts
from .common import InsightError, iso_week, last_full_week, one_line, utc, week_bounds
from .gaps import DocGap, doc_gaps
from .misfiring import MisfiringArticle, misfiring_articles
from .similar import cluster

log = logging.getLogger("pageguide.insights.digest")

SEND_HOUR = 8  # Monday, UTC
CATCH_UP = timedelta(days=1)  # a missed Monday send still goes out this long after
TOP = 5
HISTORY_WEEKS = 8  # the digest's week and the seven before it, as on the scorecard
Format = Literal["markdown", "text", "slack", "json"]
_WEEK = re.compile(r"\d{4}-W\d{2}")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Theme(_Model):
    label: str
    questions: int
    share: float
    page: str
    examples: list[str]


class IssueLine(_Model):
    issue_type: str
    handoffs: int
    share: float
    median_handling_seconds: float | None  # claimed → closed
    total_handling_seconds: float
    median_first_response_seconds: float | None  # created → first agent message


class Digest(_Model):
    site_key: str
    week: str
    start: datetime
    end: datetime
    generated_at: datetime
    base_url: str
    questions: int
    answered: int
    escalations: int
    drafts_waiting: int
    flags_open: int
    themes: list[Theme]
    friction: list[Anomaly]  # pages whose friction rose against their own history
    escalation: list[Anomaly]  # issue types whose AI escalation rate rose likewise
    gaps: list[DocGap]
    misfiring: list[MisfiringArticle]
    issue_types: list[IssueLine]
    untagged_handoffs: int
    accounts: list[AtRiskAccount]

    # -- links into the reports and the inbox

    def _period(self) -> dict[str, str]:
        last_day = (self.end - timedelta(days=1)).date()
        return {
            "since": self.start.date().isoformat(),
            "until": last_day.isoformat(),
            "site": self.site_key,
        }

    def link(self, path: str, **params: str) -> str:
        query = urlencode({**self._period(), **params})
        return f"{self.base_url.rstrip('/')}{path}?{query}"

    @property
    def reports_url(self) -> str:
        return self.link("/reports")

    @property
    def scorecard_url(self) -> str:
        return self.link("/reports/scorecard")

    def page_url(self, template: str) -> str:
        """The page's own report, `/reports/page/<template>`."""
        return self.link("/reports/page/" + quote(template.lstrip("/"), safe="/:*"))

    @property
    def inbox_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/inbox#learning"

    @property
    def days(self) -> str:
        last = self.end - timedelta(days=1)
        return f"{self.start:%d %b} – {last:%d %b %Y}"


# ---------------------------------------------------------------- building


async def _themes(
    db: Database, start: datetime, end: datetime, site: str, embedder: Any | None
) -> tuple[list[Theme], int]:
    q, pv, s = m.Question, m.PageView, m.Session
    rows = await _read(
        db,
        select(q.text, func.coalesce(pv.template, pv.path, ""))
        .outerjoin(pv, pv.id == q.page_view_id)
        .join(s, s.id == q.session_id)
        .where(q.at >= start, q.at < end, s.site_key == site)
        .order_by(q.at.desc())
        .limit(5_000),
    )
    if not rows:
        return [], 0
    phrasing: Counter[str] = Counter()
    shown: dict[str, str] = {}
    pages: dict[str, Counter[str]] = {}
    for text, page in rows:
        text = " ".join(text.split())
        key = text.lower()
        phrasing[key] += 1
        shown.setdefault(key, text)
        pages.setdefault(key, Counter())[page] += 1
    keys = list(phrasing)
    groups = await asyncio.to_thread(
        cluster, [shown[k] for k in keys], [phrasing[k] for k in keys], embedder
    )
    total = len(rows)
    themes = []
    for members in groups:
        count = sum(phrasing[keys[i]] for i in members)
        if count < 2:
            continue  # a theme recurs
        where: Counter[str] = Counter()
        for i in members:
            where.update(pages[keys[i]])
        themes.append(
            Theme(
                label=one_line(shown[keys[members[0]]], 160),
                questions=count,
                share=round(count / total, 4),
                page=where.most_common(1)[0][0] if where else "",
                examples=[one_line(shown[keys[i]], 160) for i in members[1:4]],
            )
        )
    return themes[:TOP], total


async def _rises(
    db: Database,
    end: datetime,
    site: str,
    issue_types: Callable[[str | None], str] | None,
    page_rule: AnomalyRule,
    escalation_rule: AnomalyRule,
) -> tuple[list[Anomaly], list[Anomaly]]:
    """The reports' anomaly scan with the digest's week as its latest rolling week, so the
    digest names exactly the pages and issue types the scorecard flags. Each week's friction
    is scored against the same pooled prior, which makes the weeks comparable."""
    found = await find_anomalies(
        db,
        site,
        end=end,
        weeks=HISTORY_WEEKS,
        issue_types=issue_types,
        page_rule=page_rule,
        escalation_rule=escalation_rule,
    )

    def worst(metric: str) -> list[Anomaly]:
        chosen = [x for x in found if x.metric == metric]
        chosen.sort(key=lambda x: (-(x.value - x.baseline), x.key))
        return chosen[:TOP]

    return worst("page_friction"), worst("issue_escalation_rate")


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return max(0.0, (utc(later) - utc(earlier)).total_seconds())


async def _issue_types(
    db: Database, start: datetime, end: datetime, site: str
) -> tuple[list[IssueLine], int, int]:
    h = m.HandoffRow
    rows = await _read(
        db,
        select(
            h.status, h.tags, h.created_at, h.claimed_at, h.first_response_at, h.closed_at
        ).where(h.created_at >= start, h.created_at < end, h.site_key == site),
    )
    groups: dict[str, list[Any]] = {}
    untagged = 0
    for status, tags, created, claimed, first, closed in rows:
        issue = (tags or {}).get("issue_type") if isinstance(tags, dict) else None
        issue = str(issue or "").strip().lower()
        if not issue:
            untagged += 1
            continue
        groups.setdefault(issue, []).append((status, created, claimed, first, closed))
    tagged = sum(len(v) for v in groups.values())
    lines = []
    for issue, items in groups.items():
        handling = [x for x in (_seconds(c, cl) for _, _, cl, _, c in items) if x is not None]
        firsts = [x for x in (_seconds(f, cr) for _, cr, _, f, _ in items) if x is not None]
        lines.append(
            IssueLine(
                issue_type=issue,
                handoffs=len(items),
                share=round(len(items) / tagged, 4) if tagged else 0.0,
                median_handling_seconds=statistics.median(handling) if handling else None,
                total_handling_seconds=round(sum(handling), 1),
                median_first_response_seconds=statistics.median(firsts) if firsts else None,
            )
        )
    lines.sort(key=lambda x: (-x.handoffs, x.issue_type))
    return lines, untagged, len(rows)


async def _read(db: Database, stmt: Any) -> list[Any]:
    async with db.session() as s:
        return list((await s.execute(stmt)).all())


async def build_digest(
    db: Database,
    site: str,
    week: str | None = None,
    *,
    base_url: str = "",
    embedder: Any | None = None,
    now: datetime | None = None,
    issue_types: Callable[[str | None], str] | None = None,
    page_rule: AnomalyRule = PAGE_FRICTION_RULE,
    escalation_rule: AnomalyRule = ESCALATION_RULE,
) -> Digest:
    """The digest of one ISO week (default: the last full week before `now`). `issue_types`
    maps an answer's top source URL to an issue type (`reports.issue_types.IssueTypes`); the
    rules are the anomaly scan's (docs/metrics.md)."""
    now = utc(now or datetime.now(UTC))
    week = week or last_full_week(now)
    start, end = week_bounds(week)
    week = iso_week(start)
    q, a, s = m.Question, m.Answer, m.Session
    answered = await _read(
        db,
        select(func.count(a.id))
        .join(q, q.id == a.question_id)
        .join(s, s.id == a.session_id)
        .where(
            q.at >= start, q.at < end, s.site_key == site, a.status.in_(("complete", "fallback"))
        ),
    )
    drafts = await _read(db, select(func.count(m.Draft.id)).where(m.Draft.status == "draft"))
    flags = await _read(
        db, select(func.count(m.AnswerFlag.id)).where(m.AnswerFlag.status == "open")
    )
    themes, questions = await _themes(db, start, end, site, embedder)
    issues, untagged, escalations = await _issue_types(db, start, end, site)
    friction, escalation = await _rises(db, end, site, issue_types, page_rule, escalation_rule)
    return Digest(
        site_key=site,
        week=week,
        start=start,
        end=end,
        generated_at=now,
        base_url=base_url,
        questions=questions,
        answered=int(answered[0][0] or 0),
        escalations=escalations,
        drafts_waiting=int(drafts[0][0] or 0),
        flags_open=int(flags[0][0] or 0),
        themes=themes,
        friction=friction,
        escalation=escalation,
        gaps=await doc_gaps(db, start, end, site, embedder=embedder, limit=TOP),
        misfiring=await misfiring_articles(db, start, end, site, embedder=embedder, limit=TOP),
        issue_types=issues,
        untagged_handoffs=untagged,
        accounts=await at_risk_accounts(db, start, end, site, limit=TOP),
    )


# ---------------------------------------------------------------- rendering

Escape = Callable[[str], str]


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 90:
        return f"{round(seconds)} s"
    if seconds < 5_400:
        return f"{round(seconds / 60)} min"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


ISSUE_NAMES = {
    "how_to": "How-to questions",
    "bug": "Bugs",
    "billing": "Billing",
    "account_access": "Account access",
    "feature_request": "Feature requests",
    "outage": "Outages",
    "other": "Other",
}


def issue_name(issue: str) -> str:
    return ISSUE_NAMES.get(issue, issue.replace("_", " ").strip().capitalize() or "Unknown")


def n(count: int | float, word: str, plural: str | None = None) -> str:
    """`1 question`, `3 questions`."""
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _pct(share: float) -> str:
    return f"{round(share * 100)}%"


def _reasons(reasons: dict[str, int]) -> str:
    words = {
        "declined": "declined",
        "low_confidence": "unsure",
        "thumbs_down": "👎",
        "escalated": "escalated",
    }
    return ", ".join(f"{words.get(k, k)} {n}" for k, n in reasons.items())


def _outcomes(x: MisfiringArticle) -> str:
    parts = []
    if x.thumbs_down:
        parts.append(f"{x.thumbs_down} 👎")
    if x.escalated:
        parts.append(f"{x.escalated} escalated")
    if x.repeated:
        parts.append(f"{x.repeated} asked again")
    return ", ".join(parts)


def _baseline(x: Anomaly, figure: str) -> str:
    """`21 ± 2 over the 7 weeks before (z 6.1, 2.4×)`."""
    weeks = sum(1 for p in x.history[:-1] if p.value is not None)
    why = [f"z {x.z:.1f}" if x.z is not None else "", f"{x.ratio:.1f}×" if x.ratio else ""]
    shown = ", ".join(w for w in why if w) or "up from nothing"
    return (
        f"{figure.format(x.baseline)} ± {figure.format(x.stdev)} over the "
        f"{n(weeks, 'week')} before ({shown})"
    )


def _account_name(x: AtRiskAccount) -> str:
    name = x.name or x.account_id
    return f"{name} ({x.tier})" if x.tier else name


def _sections(
    d: Digest,
    esc: Escape,
    code: Escape,
    bold: Escape,
    link: Callable[[str, str], str],
) -> list[tuple[str, str, list[str]]]:
    """(heading, what to do about it, lines) — shared by every rendering; `esc` makes user
    text inert for the target format."""

    def quoted(texts: list[str]) -> str:
        return ", ".join(f"“{esc(t)}”" for t in texts)

    out: list[tuple[str, str, list[str]]] = []
    out.append(
        (
            "What people asked about most",
            "Recurring themes: candidates for a saved reply, a tooltip, or an onboarding step.",
            [
                f"{bold(esc(t.label))} — {n(t.questions, 'question')} ({_pct(t.share)})"
                + (f", mostly on {link(code(t.page), d.page_url(t.page))}" if t.page else "")
                + (f". Also asked as {quoted(t.examples)}" if t.examples else "")
                for t in d.themes
            ],
        )
    )
    out.append(
        (
            "Pages getting harder",
            "Flagged by the anomaly scan: this week against the same page's or issue type's own "
            "history. Often an early sign of a product regression or of answers going stale: "
            "walk through them with the product team. "
            + link("Friction report", d.reports_url)
            + " · "
            + link("Scorecard", d.scorecard_url),
            [
                f"{link(code(x.key), d.page_url(x.key))} — friction {x.value:.0f} against "
                f"{_baseline(x, '{:.0f}')}, {n(x.volume, 'session')}"
                for x in d.friction
            ]
            + [
                f"{bold(esc(issue_name(x.key)))} — {_pct(x.value)} of the assistant's "
                f"conversations went to a person, against {_baseline(x, '{:.0%}')}, "
                f"{n(x.volume, 'conversation')}"
                for x in d.escalation
            ],
        )
    )
    out.append(
        (
            "Articles to write",
            "Questions the help articles could not answer. A resolved conversation becomes a "
            "draft in the " + link("inbox", d.inbox_url) + "; review and publish it there.",
            [
                f"{bold(esc(g.title))} — {n(g.questions, 'question')} in {n(g.sessions, 'session')}"
                + (f" on {link(code(g.page), d.page_url(g.page))}" if g.page else "")
                + f" ({_reasons(g.reasons)})"
                + (
                    f". Also asked as {quoted([e.text for e in g.examples[1:3]])}"
                    if len(g.examples) > 1
                    else ""
                )
                for g in d.gaps
            ],
        )
    )
    out.append(
        (
            "Articles that misfire",
            "Cited in answers followed by a 👎, a handoff or the same question again: fix, split "
            "or retitle them.",
            [
                f"{link(esc(x.title or x.url), x.url)} — {x.misfired} of {n(x.cited, 'answer')} "
                f"({_pct(x.rate)}): {_outcomes(x)}"
                + (f". For example {quoted([x.questions[0].text])}" if x.questions else "")
                for x in d.misfiring
            ],
        )
    )
    out.append(
        (
            "Issue types that needed a person",
            "What the assistant cannot own yet: articles, actions or product fixes move these "
            "to the AI tier. " + link("Scorecard by issue type", d.scorecard_url),
            [
                f"{bold(esc(issue_name(i.issue_type)))} — {n(i.handoffs, 'handoff')} "
                f"({_pct(i.share)})"
                for i in d.issue_types
            ]
            + (
                [
                    f"{n(d.untagged_handoffs, 'handoff')} without an issue type: ask agents to "
                    "tag the issue type when closing"
                ]
                if d.untagged_handoffs
                else []
            ),
        )
    )
    by_time = sorted(d.issue_types, key=lambda i: (-i.total_handling_seconds, i.issue_type))
    out.append(
        (
            "Where agents spent their time",
            "Handling time from claim to close. The longest are the best coaching material: a "
            "shared answer, a checklist, or an article.",
            [
                f"{bold(esc(issue_name(i.issue_type)))} — median "
                f"{duration(i.median_handling_seconds)}, {duration(i.total_handling_seconds)} in "
                f"total over {n(i.handoffs, 'conversation')}; "
                f"first reply after {duration(i.median_first_response_seconds)}"
                for i in by_time
                if i.median_handling_seconds is not None
            ],
        )
    )
    out.append(
        (
            "Accounts to check in on",
            "Verified accounts with escalations, unhappy ratings, churn language or repeated "
            "struggle this week: a call from their account manager may help.",
            [
                f"{bold(esc(_account_name(x)))} — {esc('; '.join(x.reasons))}"
                + (f". “{esc(x.evidence[0].text)}”" if x.evidence else "")
                for x in d.accounts
            ],
        )
    )
    return out


def _intro(d: Digest) -> str:
    return (
        f"{n(d.questions, 'question')} asked, {d.answered} answered by the assistant, "
        f"{d.escalations} handed to a person. {n(d.drafts_waiting, 'draft article')} and "
        f"{n(d.flags_open, 'flagged answer')} waiting for review."
    )


def title(d: Digest) -> str:
    return f"Pageguide weekly digest — {d.site_key} — {d.week}"


def render_markdown(d: Digest) -> str:
    lines = [
        f"# {escape_markdown(title(d))}",
        "",
        f"_{d.days} (UTC) · coaching notes for support leads and product managers_",
        "",
        _intro(d) + f" [Open the inbox]({d.inbox_url}) · [Open the reports]({d.reports_url})",
        "",
    ]
    sections = _sections(
        d,
        escape_markdown,
        lambda t: "`" + t.replace("`", "'") + "`",
        lambda t: f"**{t}**",
        lambda text, url: f"[{text}]({url})",
    )
    for heading, advice, items in sections:
        lines += [f"## {heading}", "", advice, ""]
        lines += [f"{n}. {item}" for n, item in enumerate(items, 1)] or ["Nothing stood out."]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_text(d: Digest) -> str:
    lines = [
        title(d),
        "=" * len(title(d)),
        f"{d.days} (UTC)",
        "",
        _intro(d),
        f"Inbox: {d.inbox_url}",
        f"Reports: {d.reports_url}",
        "",
    ]
    sections = _sections(
        d, lambda t: t, lambda t: t, lambda t: t, lambda text, url: f"{text} ({url})"
    )
    for heading, advice, items in sections:
        lines += [heading, "-" * len(heading), advice]
        lines += [f"  {n}. {item}" for n, item in enumerate(items, 1)] or ["  Nothing stood out."]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _clip(text: str, limit: int = 2_900) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_slack(d: Digest) -> list[dict[str, Any]]:
    """Block Kit: a header, the numbers, one section per part, buttons into Pageguide."""

    def slack_link(text: str, url: str) -> str:
        return f"<{url}|{text.replace('|', '¦')}>"

    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(title(d), 150)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{d.days} (UTC)"}]},
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(_intro(d))}},
    ]
    sections = _sections(
        d,
        escape_slack,
        lambda t: "`" + escape_slack(t.replace("`", "'")) + "`",
        lambda t: f"*{t}*",
        slack_link,
    )
    for heading, advice, items in sections:
        body = "\n".join(f"{n}. {item}" for n, item in enumerate(items, 1)) or "Nothing stood out."
        blocks += [
            {"type": "divider"},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _clip(f"*{heading}*\n_{advice}_\n{body}")},
            },
        ]
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Review drafts"},
                    "url": d.inbox_url,
                    "style": "primary",
                },
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open the reports"},
                    "url": d.reports_url,
                },
            ],
        }
    )
    return blocks


def email_body(d: Digest) -> dict[str, Any]:
    return {"subject": title(d), "text": render_text(d), "markdown": render_markdown(d)}


def slack_body(d: Digest) -> dict[str, Any]:
    return {"text": _clip(f"{title(d)}: {_intro(d)}", 3_000), "blocks": render_slack(d)}


def webhook_body(d: Digest) -> dict[str, Any]:
    return {
        "event": "digest.weekly",
        "site_key": d.site_key,
        "week": d.week,
        "digest": d.model_dump(mode="json"),
        "markdown": render_markdown(d),
    }


def body_for(channel: Any, d: Digest) -> dict[str, Any]:
    """The body the channel's `deliver` expects; a channel may offer `render_digest(d)`."""
    custom = getattr(channel, "render_digest", None)
    if callable(custom):
        return custom(d)
    from ..channels.email import EmailChannel
    from ..channels.slack import SlackChannel

    if isinstance(channel, SlackChannel):
        return slack_body(d)
    if isinstance(channel, EmailChannel):
        return email_body(d)
    return webhook_body(d)


def render(d: Digest, fmt: Format = "markdown") -> str:
    if fmt == "markdown":
        return render_markdown(d)
    if fmt == "text":
        return render_text(d)
    if fmt == "slack":
        return json.dumps(slack_body(d), indent=2, ensure_ascii=False)
    if fmt == "json":
        return json.dumps(d.model_dump(mode="json"), indent=2, ensure_ascii=False)
    raise InsightError("bad_format", f"format must be markdown, text, slack or json, not {fmt!r}")


# ---------------------------------------------------------------- sending


class SendResult(_Model):
    site_key: str
    week: str
    written: list[str]  # idempotency keys of the rows written now
    skipped: list[str]  # already there: sent (or being sent) before


def digest_key(site: str, week: str, channel: str) -> str:
    key = f"digest-{site}-{week}-{channel}"
    if len(key) <= 100:  # the outbox column's width
        return key
    return f"digest-{week}-" + hashlib.sha256(key.encode()).hexdigest()[:40]


async def send_digest(
    db: Database,
    sites: Any,
    site: str,
    *,
    base_url: str,
    week: str | None = None,
    now: datetime | None = None,
    embedder: Any | None = None,
    outbox: Any | None = None,
    digest: Digest | None = None,
    issue_types: Callable[[str | None], str] | None = None,
) -> SendResult:
    """Write one outbox row per channel of `site` for the week's digest, unless that week's
    row for that channel exists already. `sites` is the server's `Sites`; `outbox` (optional)
    is woken so the rows go out at once."""
    now = utc(now or datetime.now(UTC))
    week = iso_week(week_bounds(week or last_full_week(now))[0])
    channels = list(sites.channels_for(site))
    keys = {channel.name: digest_key(site, week, channel.name) for channel in channels}
    async with db.session() as s:
        existing = (
            set(
                await s.scalars(
                    select(m.OutboxRow.idempotency_key).where(
                        m.OutboxRow.idempotency_key.in_(list(keys.values()))
                    )
                )
            )
            if keys
            else set()
        )
    todo = [c for c in channels if keys[c.name] not in existing]
    written, skipped = [], sorted(existing)
    if todo:
        digest = digest or await build_digest(
            db, site, week, base_url=base_url, embedder=embedder, now=now, issue_types=issue_types
        )
        for channel in todo:
            row = m.OutboxRow(
                channel=f"{site}:{channel.name}",
                idempotency_key=keys[channel.name],
                body=body_for(channel, digest),
            )
            try:
                async with db.session() as s, s.begin():
                    s.add(row)
            except IntegrityError:  # another process wrote it a moment ago
                skipped.append(keys[channel.name])
            else:
                written.append(keys[channel.name])
    if written:
        log.info("digest queued", extra={"site": site, "week": week, "channels": written})
        if outbox is not None:
            outbox.wake()
    return SendResult(site_key=site, week=week, written=written, skipped=skipped)


async def preview_digest(
    db: Database,
    site: str,
    *,
    base_url: str,
    week: str | None = None,
    fmt: Format = "markdown",
    embedder: Any | None = None,
    now: datetime | None = None,
    issue_types: Callable[[str | None], str] | None = None,
) -> str:
    """The digest as it would be sent, without sending it."""
    digest = await build_digest(
        db, site, week, base_url=base_url, embedder=embedder, now=now, issue_types=issue_types
    )
    return render(digest, fmt)


def next_run(now: datetime, hour: int = SEND_HOUR) -> datetime:
    """This week's Monday at `hour` UTC if that is still ahead, else next week's."""
    now = utc(now)
    monday = (now - timedelta(days=now.weekday())).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )
    return monday if now < monday else monday + timedelta(days=7)


async def _has_sent_digests(db: Database, site: str, before_week: str) -> bool:
    """Did this site get a digest before `before_week`? (A catch-up is for a missed week of
    a running habit, not for a brand-new installation or a test database.)"""
    prefix = f"digest-{site}-"
    async with db.session() as s:
        keys = await s.scalars(
            select(m.OutboxRow.idempotency_key)
            .where(m.OutboxRow.idempotency_key.startswith(prefix, autoescape=True))
            .limit(50)
        )
        weeks = [k[len(prefix) : len(prefix) + 8] for k in keys]
        return any(_WEEK.fullmatch(w) and w < before_week for w in weeks)


async def digest_forever(
    db: Database,
    sites: Any,
    *,
    base_url: str,
    embedder: Any | None = None,
    outbox: Any | None = None,
    issue_types: Callable[[], Callable[[str | None], str]] | None = None,
    hour: int = SEND_HOUR,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> None:
    """Every Monday at `hour` UTC, last week's digest for every site with channels.

    A server that was down at that moment sends it when it starts, within a day (`CATCH_UP`),
    for sites that have had digests before; a new installation waits for the next Monday. The
    outbox keys make a second send of a week a no-op, so restarts and several server
    processes are harmless. A failed build is retried hourly. `issue_types` makes the source →
    issue type map at each send (the knowledge changes while the server runs)."""
    starting = True
    while True:
        now = utc(clock())
        due = next_run(now, hour) - timedelta(days=7)  # the latest Monday send time passed
        retry = False
        if now - due <= CATCH_UP:
            week = last_full_week(due)
            for site in list(getattr(sites, "by_key", {})):
                if not sites.channels_for(site):
                    continue
                try:
                    if starting and now - due > timedelta(minutes=5):
                        if not await _has_sent_digests(db, site, week):
                            continue
                    await send_digest(
                        db, sites, site, base_url=base_url, week=week, now=now,
                        embedder=embedder, outbox=outbox,
                        issue_types=issue_types() if issue_types else None,
                    )  # fmt: skip
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("weekly digest failed", extra={"site": site, "week": week})
                    retry = True
        starting = False
        later = utc(clock())
        wait = 3_600.0 if retry else (next_run(later, hour) - later).total_seconds()
        await sleep(max(1.0, wait))


async def digest_command(
    settings: Any,
    *,
    send: bool = False,
    site: str | None = None,
    week: str | None = None,
    fmt: Format = "markdown",
    deliver: bool = True,
) -> str:
    """`pageguide digest`: the preview (default) or the send, for one site or all of them.
    Sending writes the outbox rows and, with `deliver`, makes one delivery pass at once (a
    running server's outbox would pick them up within a second anyway)."""
    from ..escalation.outbox import Outbox
    from ..reports.issue_types import IssueTypes
    from ..retrieval.embed import shared_embedder
    from ..sites import Sites

    sites = Sites.load(settings.config)
    chosen = [site] if site else list(sites.by_key)
    unknown = [k for k in chosen if sites.get(k) is None]
    if unknown:
        raise InsightError("no_site", f"no site {unknown[0]!r} in the sites file")
    base_url = settings.public_url or f"http://{settings.host}:{settings.port}"
    embedder = await asyncio.to_thread(shared_embedder)
    knowledge = settings.knowledge
    kinds = IssueTypes.from_folder(knowledge) if knowledge is not None else IssueTypes()
    db = Database(settings.database_url_or_default())
    try:
        await db.migrate()
        if not send:
            parts = [
                await preview_digest(
                    db,
                    k,
                    base_url=base_url,
                    week=week,
                    fmt=fmt,
                    embedder=embedder,
                    issue_types=kinds,
                )
                for k in chosen
            ]
            return "\n".join(parts)
        lines = []
        for key in chosen:
            result = await send_digest(
                db, sites, key, base_url=base_url, week=week, embedder=embedder, issue_types=kinds
            )
            if not sites.channels_for(key):
                lines.append(f"{key}: no channels configured, nothing to send")
                continue
            lines.append(
                f"{key} {result.week}: queued {len(result.written)}, "
                f"already sent {len(result.skipped)}"
            )
        if deliver:
            attempted = await Outbox(db, sites.channel).deliver_due()
            lines.append(f"delivery pass: {attempted} rows attempted")
        return "\n".join(lines)
    finally:
        await db.close()
