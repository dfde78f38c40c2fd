"""The page report's shapes: frozen pydantic models (`.model_dump()`, `.model_dump_json()`).
docs/metrics.md defines every field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from .clusters import QuestionCluster
from .friction import FrictionInputs, FrictionScore
from .period import Period


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class PageRow(_Model):
    """One page (route template) over the period. Rates are 0..1; None when undefined."""

    template: str
    rank: int = 0  # 1 = most friction
    friction: float = 0.0  # 0..100, friction.py
    friction_parts: FrictionScore | None = None
    sessions: int = 0  # distinct sessions with a visit
    users: int = 0  # distinct identity user ids, sessions without one counted singly
    accounts: int = 0  # distinct verified account ids
    struggle_sessions: int = 0  # sessions with ≥1 struggle signal on a visit
    struggle_rate: float = 0.0
    signals: dict[str, int] = {}  # signal kind -> signals
    questions: int = 0
    answered: int = 0  # questions with a complete/fallback answer
    deflected: int = 0  # answered, and no handoff on this page in the session after it
    deflection_rate: float | None = None  # deflected / questions
    escalations: int = 0  # handoffs opened with this template in the period
    escalated_sessions: int = 0
    escalation_rate: float = 0.0  # escalated_sessions / sessions (capped at 1)
    triggers: dict[str, int] = {}  # trigger kind -> handoffs it fired on
    thumbs_up: int = 0
    thumbs_down: int = 0
    csat_responses: int = 0
    csat_average: float | None = None  # 1..5
    csat_low: int = 0  # scores 1–2
    resolved_handoffs: int = 0  # closed
    median_resolution_seconds: float | None = None  # closed_at - created_at

    def friction_inputs(self) -> FrictionInputs:
        return FrictionInputs(
            sessions=self.sessions,
            struggle_sessions=self.struggle_sessions,
            escalated_sessions=self.escalated_sessions,
            thumbs_up=self.thumbs_up,
            thumbs_down=self.thumbs_down,
            csat_responses=self.csat_responses,
            csat_low=self.csat_low,
        )


class PagesReport(_Model):
    period: Period
    site: str | None = None
    generated_at: datetime
    sessions: int  # distinct sessions with any visit in the period
    questions: int
    escalations: int
    pages: list[PageRow]  # ranked, most friction first


class TrendPoint(_Model):
    """One bucket (a day or a week) of one page."""

    start: datetime
    end: datetime
    sessions: int = 0
    struggle_sessions: int = 0
    questions: int = 0
    escalations: int = 0
    thumbs_down: int = 0
    friction: float = 0.0


class StruggleTarget(_Model):
    kind: str
    target: str  # CSS selector
    target_text: str
    signals: int
    sessions: int


class ErrorGroup(_Model):
    kind: str  # error | http_error | invalid
    message: str  # error/invalid: data.message; http_error: "METHOD path → status"
    method: str | None = None
    path: str | None = None
    status: str | None = None
    events: int
    sessions: int
    last_at: datetime | None = None


class SessionSummary(_Model):
    session_id: str
    started_at: datetime
    site_key: str
    account_id: str | None = None
    pages: list[str]  # templates in visit order, repeats collapsed
    page_views: int
    signals: int
    questions: int
    escalated: bool


class PageDetail(_Model):
    period: Period
    site: str | None = None
    template: str
    row: PageRow  # ranked against the other pages of the same period and site
    trend: list[TrendPoint]  # daily
    question_clusters: list[QuestionCluster]
    struggle_targets: list[StruggleTarget]
    errors: list[ErrorGroup]
    example_sessions: list[SessionSummary]


class TimelineItem(_Model):
    at: datetime
    # page | event | signal | nudge | question | answer | feedback | handoff | message | csat
    kind: str
    summary: str
    template: str | None = None
    data: dict[str, Any] = {}


class SessionTimeline(_Model):
    session_id: str
    site_key: str
    started_at: datetime
    last_seen_at: datetime
    account_id: str | None = None
    user_id: str | None = None
    items: list[TimelineItem]
    truncated: bool = False  # more events than the limit
