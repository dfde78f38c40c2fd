"""Accounts at risk: verified accounts whose people struggled, were handed to a person, were
unhappy, or talked about leaving.

Only *verified* accounts count: `sessions.account_id`, which the gateway sets from a signed
identity token and never from what a browser claims. For each account active in the period:

| evidence | weight |
|---|---|
| a handoff with a `churn_risk` trigger (churn language) | 4 |
| a handoff with a `strong_emotion` trigger | 3 |
| a handoff with a `billing_dispute` trigger | 2 |
| any other handoff | 1.5 |
| a CSAT of 1 or 2 | 2 |
| a thumbs-down on an answer | 1 |
| a session with repeated struggle (≥ 2 struggle signals) | 1 |

An account is listed when its score reaches `min_score` (default 3: churn language or strong
emotion alone, two escalations, or an escalation and a thumbs-down), with the evidence.
Counting is SQL (GROUP BY account); the evidence rows are read for the listed accounts only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import case, distinct, func, select

from ..db import Database
from ..db import models as m
from ..reports.sql import gather, read
from .common import one_line, utc

WEIGHTS = {
    "churn_risk": 4.0,
    "strong_emotion": 3.0,
    "billing_dispute": 2.0,
    "escalation": 1.5,
    "low_csat": 2.0,
    "thumbs_down": 1.0,
    "struggle": 1.0,
}
SEVERITY = [
    "churn_risk",
    "strong_emotion",
    "billing_dispute",
    "low_csat",
    "escalation",
    "thumbs_down",
    "struggle",
]
LOW_CSAT_MAX = 2
REPEATED_STRUGGLE = 2  # signals in one session
MIN_SCORE = 3.0
ACCOUNT_FIELDS = ("name", "tier", "mrr")  # of identity.account, as the page shows them


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Evidence(_Model):
    kind: str  # churn_risk | strong_emotion | billing_dispute | escalation | low_csat | ...
    at: datetime
    text: str
    session_id: str
    handoff_id: str | None = None
    page: str = ""


class AtRiskAccount(_Model):
    account_id: str
    name: str | None = None
    tier: str | None = None
    mrr: float | None = None
    score: float
    sessions: int
    users: int
    escalations: int
    churn_risk: int
    strong_emotion: int
    billing_dispute: int
    low_csat: int
    thumbs_down: int
    struggle_signals: int
    struggle_sessions: int  # sessions with repeated struggle
    reasons: list[str]  # one line each, worst first
    evidence: list[Evidence]


def _latest(key: str, accounts: list[str]) -> Any:
    """(account, value) of `identity.account.<key>` from each account's newest session that has
    one: a newer session's value wins. Only these values, never every session's identity."""
    s = m.Session
    path = s.identity[("account", key)]
    newest = (
        func.row_number()
        .over(partition_by=s.account_id, order_by=(s.created_at.desc(), s.id.desc()))
        .label("newest")
    )
    ranked = (
        select(s.account_id.label("account"), path.label("value"), newest)
        .where(s.account_id.in_(accounts), path.as_string().is_not(None))
        .subquery()
    )
    return select(ranked.c.account, ranked.c.value).where(ranked.c.newest == 1)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


async def at_risk_accounts(
    db: Database,
    start: datetime,
    end: datetime,
    site: str | None = None,
    *,
    min_score: float = MIN_SCORE,
    limit: int = 50,
    evidence: int = 8,
) -> list[AtRiskAccount]:
    s, sg, h, f, c, a, q = (
        m.Session,
        m.SignalRow,
        m.HandoffRow,
        m.Feedback,
        m.Csat,
        m.Answer,
        m.Question,
    )
    verified = [s.account_id.is_not(None)]
    if site is not None:
        verified.append(s.site_key == site)

    active = (
        select(
            s.account_id,
            func.count(s.id),
            func.count(distinct(func.coalesce(s.identity["user_id"].as_string(), s.id))),
        )
        .where(*verified, s.last_seen_at >= start, s.created_at < end)
        .group_by(s.account_id)
    )
    per_session = (
        select(sg.session_id, func.count(sg.id).label("n"))
        .where(sg.at >= start, sg.at < end)
        .group_by(sg.session_id)
        .subquery()
    )
    struggle = (
        select(
            s.account_id,
            func.coalesce(func.sum(per_session.c.n), 0),
            func.sum(case((per_session.c.n >= REPEATED_STRUGGLE, 1), else_=0)),
        )
        .join(per_session, per_session.c.session_id == s.id)
        .where(*verified)
        .group_by(s.account_id)
    )
    downs = (
        select(s.account_id, func.count(f.id))
        .join(s, s.id == f.session_id)
        .where(*verified, f.rating == "down", f.at >= start, f.at < end)
        .group_by(s.account_id)
    )
    low = (
        select(s.account_id, func.count(c.id))
        .join(s, s.id == c.session_id)
        .where(*verified, c.score <= LOW_CSAT_MAX, c.at >= start, c.at < end)
        .group_by(s.account_id)
    )
    # Trigger kinds live in a JSON list: read the (few) handoffs and count in Python.
    handoffs = (
        select(
            s.account_id,
            h.id,
            h.session_id,
            h.created_at,
            h.triggers,
            h.reason,
            func.coalesce(func.nullif(h.template, ""), h.path),
        )
        .join(s, s.id == h.session_id)
        .where(*verified, h.created_at >= start, h.created_at < end)
        .order_by(h.created_at.desc())
    )
    # concurrently on PostgreSQL, with the report settings (no JIT, which compiled for longer)
    active_rows, struggle_rows, down_rows, low_rows, handoff_rows = await gather(
        db, *(read(db, stmt) for stmt in (active, struggle, downs, low, handoffs))
    )
    accounts = {acc: (int(n), int(u)) for acc, n, u in active_rows}
    struggles = {acc: (int(n or 0), int(k or 0)) for acc, n, k in struggle_rows}
    thumbs: dict[str, int] = {acc: n for acc, n in down_rows}
    lows: dict[str, int] = {acc: n for acc, n in low_rows}

    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    found: dict[str, list[Evidence]] = defaultdict(list)
    for account, handoff_id, session_id, created, triggers, reason, page in handoff_rows:
        kinds = {t.get("kind") for t in triggers or [] if isinstance(t, dict)}
        hits = [k for k in ("churn_risk", "strong_emotion", "billing_dispute") if k in kinds]
        for kind in hits:
            counts[account][kind] += 1
            words = next(
                (
                    t.get("evidence") or t.get("reason") or ""
                    for t in triggers
                    if isinstance(t, dict) and t.get("kind") == kind
                ),
                "",
            )
            found[account].append(
                Evidence(
                    kind=kind,
                    at=utc(created),
                    text=one_line(words or reason),
                    session_id=session_id,
                    handoff_id=handoff_id,
                    page=page or "",
                )
            )
        counts[account]["handoffs"] += 1
        if not hits:
            counts[account]["escalation"] += 1
            found[account].append(
                Evidence(
                    kind="escalation",
                    at=utc(created),
                    text=one_line(reason),
                    session_id=session_id,
                    handoff_id=handoff_id,
                    page=page or "",
                )
            )

    scored: list[tuple[str, float]] = []
    for account in set(accounts) | set(counts) | set(thumbs) | set(lows) | set(struggles):
        k = counts.get(account, {})
        score = (
            sum(
                WEIGHTS[kind] * k.get(kind, 0)
                for kind in ("churn_risk", "strong_emotion", "billing_dispute", "escalation")
            )
            + WEIGHTS["low_csat"] * int(lows.get(account, 0))
            + WEIGHTS["thumbs_down"] * int(thumbs.get(account, 0))
            + WEIGHTS["struggle"] * struggles.get(account, (0, 0))[1]
        )
        if score >= min_score:
            scored.append((account, score))
    scored.sort(key=lambda x: (-x[1], x[0]))
    scored = scored[:limit]
    if not scored:
        return []

    listed = [acc for acc, _ in scored]
    feedback_rows, csat_rows, signal_rows, *info_rows = await gather(
        db,
        read(
            db,
            select(s.account_id, f.at, f.comment, q.text, f.session_id)
            .join(s, s.id == f.session_id)
            .join(a, a.id == f.answer_id)
            .join(q, q.id == a.question_id)
            .where(s.account_id.in_(listed), f.rating == "down", f.at >= start, f.at < end),
        ),
        read(
            db,
            select(s.account_id, c.at, c.score, c.comment, c.session_id)
            .join(s, s.id == c.session_id)
            .where(s.account_id.in_(listed), c.score <= LOW_CSAT_MAX, c.at >= start, c.at < end),
        ),
        read(
            db,
            select(s.account_id, sg.session_id, sg.kind, sg.path, sg.at)
            .join(s, s.id == sg.session_id)
            .where(s.account_id.in_(listed), sg.at >= start, sg.at < end)
            .order_by(sg.at),
        ),
        *(read(db, _latest(key, listed)) for key in ACCOUNT_FIELDS),
    )
    account_info: dict[str, dict[str, Any]] = defaultdict(dict)
    for key, rows in zip(ACCOUNT_FIELDS, info_rows, strict=True):
        for account, value in rows:
            account_info[account][key] = value
    for account, at, comment, question, session_id in feedback_rows:
        text = f"👎 on the answer to “{one_line(question, 120)}”"
        if comment:
            text += f": {one_line(comment, 120)}"
        found[account].append(
            Evidence(kind="thumbs_down", at=utc(at), text=text, session_id=session_id)
        )
    for account, at, score, comment, session_id in csat_rows:
        text = f"CSAT {score}/5" + (f": {one_line(comment, 160)}" if comment else "")
        found[account].append(
            Evidence(kind="low_csat", at=utc(at), text=text, session_id=session_id)
        )
    by_session: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for account, session_id, kind, path, at in signal_rows:
        by_session[(account, session_id)].append((kind, path, at))
    for (account, session_id), signals in by_session.items():
        if len(signals) >= REPEATED_STRUGGLE:
            kinds = ", ".join(sorted({k.replace("_", " ") for k, _, _ in signals}))
            pages = sorted({p for _, p, _ in signals if p})
            found[account].append(
                Evidence(
                    kind="struggle",
                    at=utc(signals[-1][2]),
                    text=f"{len(signals)} struggle signals ({kinds})",
                    session_id=session_id,
                    page=", ".join(pages[:3]),
                )
            )

    out = []
    for account, score in scored:
        k = counts.get(account, {})
        info = account_info.get(account, {})
        sessions, users = accounts.get(account, (0, 0))
        signals, struggle_sessions = struggles.get(account, (0, 0))
        n_down, n_low = int(thumbs.get(account, 0)), int(lows.get(account, 0))
        reasons = []
        if k.get("churn_risk"):
            reasons.append(f"churn language in {_plural(k['churn_risk'], 'conversation')}")
        if k.get("strong_emotion"):
            reasons.append(f"strong emotion in {_plural(k['strong_emotion'], 'conversation')}")
        if k.get("billing_dispute"):
            reasons.append(_plural(k["billing_dispute"], "billing dispute"))
        if k.get("handoffs"):
            reasons.append(f"{_plural(k['handoffs'], 'escalation')} to a person")
        if n_low:
            reasons.append(_plural(n_low, "low CSAT score"))
        if n_down:
            reasons.append(_plural(n_down, "thumbs-down"))
        if struggle_sessions:
            reasons.append(f"repeated struggle in {_plural(struggle_sessions, 'session')}")
        ordered = sorted(
            found.get(account, []), key=lambda e: (SEVERITY.index(e.kind), -e.at.timestamp())
        )
        mrr = info.get("mrr")
        out.append(
            AtRiskAccount(
                account_id=account,
                name=info.get("name"),
                tier=info.get("tier"),
                mrr=float(mrr) if isinstance(mrr, int | float) else None,
                score=round(score, 2),
                sessions=sessions,
                users=users,
                escalations=int(k.get("handoffs", 0)),
                churn_risk=int(k.get("churn_risk", 0)),
                strong_emotion=int(k.get("strong_emotion", 0)),
                billing_dispute=int(k.get("billing_dispute", 0)),
                low_csat=n_low,
                thumbs_down=n_down,
                struggle_signals=signals,
                struggle_sessions=struggle_sessions,
                reasons=reasons,
                evidence=ordered[:evidence],
            )
        )
    return out
