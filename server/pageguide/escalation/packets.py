"""From a stored session to its handoff packet (the schema and renderings live in handoff.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ..db.handoffs import SessionHistory
from ..handoff import (
    ArticleShown,
    CurrentPage,
    ErrorNote,
    HandoffPacket,
    PageVisit,
    SourceRef,
    StruggleNote,
    SummaryHook,
    TranscriptEntry,
    build_packet,
    summarise,
)
from ..identity import VerifiedIdentity, VisitorIdentity
from .models import TriggerHit


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def _scalars(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if isinstance(v, (str, int, float, bool))}


def _error_message(kind: str, data: dict[str, Any]) -> str:
    if kind == "http_error":
        return f"{data.get('method', '')} {data.get('path', '')} → {data.get('status', '')}".strip()
    return str(data.get("message") or kind)


def _current(page: Any) -> CurrentPage:
    return CurrentPage(
        url=page.url,
        path=page.path,
        title=page.title,
        headings=list(page.headings),
        route=page.route,
        form_errors=list(page.form_errors),
    )


def transcript(history: SessionHistory) -> list[TranscriptEntry]:
    answers = {a.question_id: a for a in history.answers if a.status != "streaming"}
    entries: list[TranscriptEntry] = []
    for question in history.questions:
        entries.append(TranscriptEntry(role="user", text=question.text, at=_utc(question.at)))
        answer = answers.get(question.id)
        if answer is not None and answer.text:
            sources = [SourceRef(title=s["title"], url=s["url"]) for s in answer.sources]
            entries.append(
                TranscriptEntry(
                    role="assistant", text=answer.text, at=_utc(answer.at), sources=sources
                )
            )
    for message in history.messages:
        entries.append(
            TranscriptEntry(
                role=message.role,  # type: ignore[arg-type]
                text=message.text,
                at=_utc(message.at),
                author=message.author,
            )
        )
    return sorted(entries, key=lambda e: e.at)


async def build(
    handoff_id: str,
    site_key: str,
    history: SessionHistory,
    hits: Sequence[TriggerHit],
    llm_summary: SummaryHook | None = None,
) -> HandoffPacket:
    pages = history.pages
    paths = {p.id: p.path for p in pages}
    last = pages[-1] if pages else None
    identity = None
    if history.session.identity:
        identity = VisitorIdentity(
            verified=VerifiedIdentity.model_validate(history.session.identity)
        )
    packet = build_packet(
        conversation_id=handoff_id,
        site=site_key,
        transcript=transcript(history),
        page_trail=[PageVisit(path=p.path, title=p.title, url=p.url, at=_utc(p.at)) for p in pages],
        current_page=_current(last) if last else None,
        struggle_signals=[
            StruggleNote(
                kind=s.kind,
                summary=f"{s.target_text or s.target} ({s.reason})" if s.reason else s.target_text,
                page_path=s.path,
                at=_utc(s.at),
            )
            for s in history.signals
        ],
        errors=[
            ErrorNote(
                kind=e.kind,
                message=_error_message(e.kind, e.data or {})[:500],
                page_path=paths.get(e.page_view_id or -1, ""),
                at=_utc(e.at),
                data=_scalars(e.data or {}),
            )
            for e in history.errors
        ],
        articles_shown=[
            ArticleShown(title=s["title"], url=s["url"], at=_utc(a.at))
            for a in history.answers
            for s in a.sources
        ],
        triggers=list(hits),
        anonymous_id=history.session.id,
        user_agent=history.session.user_agent,
        identity=identity,
    )
    return await summarise(packet, llm_summary)


def from_json(data: dict[str, Any]) -> HandoffPacket:
    return HandoffPacket.model_validate(data)
