"""Escalation inside one widget session: keep the conversation state the triggers read, open
a handoff when they fire, and route the user's words to the person once one is involved."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from .. import protocol as p
from ..identity import VerifiedAccount
from .models import (
    AnswerNote,
    ConversationState,
    EscalationDecision,
    FeedbackNote,
    PageMoment,
    TriggerHit,
)
from .service import Escalations
from .triggers import evaluate_action

Send = Callable[[p.Frame], Awaitable[None]]
HISTORY = 12  # state entries kept per list: the triggers look at the last few only


class SessionEscalation:
    __slots__ = ("base_url", "escalations", "handoff_id", "send", "session_id", "site_key", "state")

    def __init__(
        self,
        escalations: Escalations,
        session_id: str,
        site_key: str,
        base_url: str,
        send: Send,
        account: VerifiedAccount | None,
    ) -> None:
        self.escalations = escalations
        self.session_id = session_id
        self.site_key = site_key
        self.base_url = base_url
        self.send = send
        self.state = ConversationState(account=account)
        self.handoff_id: str | None = None

    async def resume(self) -> None:
        """A widget coming back to a session with a person on it is told where things stand."""
        row = await self.escalations.handoffs.open_for_session(self.session_id)
        if row is not None:
            self.handoff_id = row.id
            _, frame = await self.escalations.open(
                self.session_id, self.site_key, row.path, [], self.base_url
            )
            await self.send(frame)
            await self.escalations.deliver_missed(row.id, self.send)

    def closed(self) -> None:
        # A person dealt with what fired before: the triggers start from a clean slate.
        self.handoff_id = None
        self.state = ConversationState(account=self.state.account)

    async def still_open(self) -> bool:
        if self.handoff_id is None:
            return False
        row = await self.escalations.handoffs.get(self.handoff_id)
        return row is not None and row.status in ("queued", "assigned")

    @property
    def active(self) -> bool:
        return self.handoff_id is not None

    # -- what the user does

    async def user_message(self, text: str) -> bool:
        """True when a person has the conversation and the message went to them."""
        if self.handoff_id is None:
            return False
        row = await self.escalations.handoffs.get(self.handoff_id)
        if row is None or row.status not in ("queued", "assigned"):
            self.handoff_id = None
            return False
        await self.escalations.user_message(row, text)
        return True

    async def assess_question(self, text: str, path: str) -> bool:
        """Escalate on the question itself (asked for a person, a dispute…). True if so."""
        decision: EscalationDecision = await self.escalations.assess_message(text, self.state)
        return await self._maybe_open(decision, path)

    async def after_answer(
        self, answer_id: str, confidence: float, offered_human: bool, path: str
    ) -> bool:
        self._update(
            answers=(*self.state.answers, AnswerNote(message_id=answer_id, confidence=confidence))[
                -HISTORY:
            ],
            help_shown=(
                *self.state.help_shown,
                PageMoment(page_path=path, at_ms=_ms(), kind="answer"),
            )[-HISTORY:],
            offered_human=offered_human,
        )
        return await self._maybe_open(self.escalations.assess_state(self.state), path)

    async def after_feedback(self, answer_id: str, rating: str, path: str) -> bool:
        notes = [f for f in self.state.feedback if f.message_id != answer_id]
        notes.append(FeedbackNote(message_id=answer_id, rating=rating))  # type: ignore[arg-type]
        self._update(feedback=tuple(notes[-HISTORY:]))
        return await self._maybe_open(self.escalations.assess_state(self.state), path)

    async def nudge_shown(self, path: str) -> None:
        self._update(
            help_shown=(
                *self.state.help_shown,
                PageMoment(page_path=path, at_ms=_ms(), kind="nudge"),
            )[-HISTORY:]
        )

    async def after_signal(self, kind: str, path: str) -> bool:
        self._update(
            struggles=(*self.state.struggles, PageMoment(page_path=path, at_ms=_ms(), kind=kind))[
                -HISTORY:
            ]
        )
        return await self._maybe_open(self.escalations.assess_state(self.state), path)

    async def requested(self, reason: str | None, path: str) -> None:
        await self._open([evaluate_action(reason)], path)

    # -- opening

    async def _maybe_open(self, decision: EscalationDecision, path: str) -> bool:
        if not decision.escalate or self.handoff_id is not None:
            return False
        await self._open(list(decision.hits), path)
        return True

    async def _open(self, hits: list[TriggerHit], path: str) -> None:
        row, frame = await self.escalations.open(
            self.session_id, self.site_key, path, hits, self.base_url
        )
        self.handoff_id = row.id
        await self.send(frame)

    def _update(self, **changes: Any) -> None:
        self.state = self.state.model_copy(update=changes)


def _ms() -> int:
    return int(time.time() * 1000)
