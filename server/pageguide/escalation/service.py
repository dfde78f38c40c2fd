"""Escalation as a designed feature: decide, package, deliver, and hand over warmly.

A handoff is stored together with one outbox row per channel of its site, in one transaction,
before the user is told anything. Agents in the inbox see it at once (the hub); the other
channels get it through the outbox, with retries. While a person is involved the user's
messages go to them, not to the assistant.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from .. import protocol as p
from ..channels.base import Channel
from ..db import models as m
from ..db.handoffs import Handoffs
from ..hub import Hub
from ..inbox.auth import SignedIn
from ..insights.drafts import on_handoff_closed
from ..settings import Settings
from . import packets
from .models import (
    ConversationState,
    EscalationDecision,
    LlmVote,
    TriggerHit,
    TriggerSettings,
)
from .outbox import Outbox
from .triggers import (
    evaluate_message,
    evaluate_message_with_vote,
    evaluate_state,
    should_escalate,
)

log = logging.getLogger("pageguide.escalation")

WARM = (
    "I'm bringing in a person from the team. They can see everything we've covered so far, "
    "so you won't need to repeat yourself."
)


class ActionError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def queue_words(position: int) -> str:
    if position <= 1:
        return " You're next in line. Keep typing here if there's anything to add — they'll see it."
    return (
        f" There are {position - 1} conversations ahead of you. Keep typing here if there's "
        "anything to add — they'll see it."
    )


class Escalations:
    def __init__(
        self,
        settings: Settings,
        handoffs: Handoffs,
        hub: Hub,
        outbox: Outbox,
        channels: Callable[[str], list[Channel]],  # site key -> its channels
        classifier: Any | None = None,
        triggers: TriggerSettings | None = None,
        llm_summary: Callable[[Any], Awaitable[str]] | None = None,
        llm_vote: LlmVote | None = None,
    ) -> None:
        self.settings = settings
        self.handoffs = handoffs
        self.hub = hub
        self.outbox = outbox
        self.channels = channels
        self.classifier = classifier
        self.triggers = triggers or TriggerSettings()
        self.llm_summary = llm_summary
        self.llm_vote = llm_vote

    # -- deciding

    async def assess_message(self, text: str, state: ConversationState) -> EscalationDecision:
        """Rules and the classifier (one embedding, off the event loop), and the LLM's vote on
        borderline kinds when a model is configured."""
        if self.llm_vote is None:
            hits = await asyncio.to_thread(
                evaluate_message, text, state, self.triggers, self.classifier
            )
        else:
            hits = await evaluate_message_with_vote(
                text, state, self.triggers, self.classifier, self.llm_vote
            )
        return should_escalate(hits, self.triggers)

    def assess_state(self, state: ConversationState) -> EscalationDecision:
        return should_escalate(evaluate_state(state, self.triggers), self.triggers)

    # -- opening a handoff

    async def open(
        self,
        session_id: str,
        site_key: str,
        path: str,
        hits: list[TriggerHit],
        base_url: str,
    ) -> tuple[m.HandoffRow, p.Handoff]:
        """Store the handoff and its deliveries, tell the agents, and return the widget frame.
        A session with a handoff already open gets that one back (no duplicates)."""
        existing = await self.handoffs.open_for_session(session_id)
        if existing is not None:
            return existing, await self._status_frame(existing)
        history = await self.handoffs.history(session_id)
        if history is None:
            raise ActionError("not_found", "no such session")
        handoff_id = secrets.token_hex(8)
        inbox_url = f"{base_url.rstrip('/')}/inbox#handoff={handoff_id}"
        packet = await packets.build(handoff_id, site_key, history, hits, self.llm_summary)
        row = m.HandoffRow(
            id=handoff_id,
            session_id=session_id,
            site_key=site_key,
            status="queued",
            triggers=[h.model_dump(mode="json") for h in hits],
            reason="; ".join(h.reason for h in hits)[:1_000],
            packet=packet.to_json(),
            path=path,
            template=history.pages[-1].template if history.pages else path,
            created_at=datetime.now(UTC),
        )
        deliveries = [
            m.OutboxRow(
                channel=f"{site_key}:{channel.name}",
                idempotency_key=f"handoff-{handoff_id}-{channel.name}",
                body=channel.render(packet, inbox_url),
            )
            for channel in self.channels(site_key)
        ]
        await self.handoffs.create(row, deliveries)
        self.outbox.wake()
        log.info(
            "handoff opened",
            extra={
                "session": session_id,
                "handoff": handoff_id,
                "triggers": [h.kind.value for h in hits],
            },
        )
        await self.hub.to_agents({"type": "handoff", "handoff": await self.summary(row)})
        return row, await self._status_frame(row)

    async def _status_frame(self, row: m.HandoffRow) -> p.Handoff:
        if row.status == "assigned":
            agent = await self.handoffs.agent_name(row.agent_id)
            return p.Handoff(
                status="assigned", message=f"{agent or 'A person'} has joined the conversation.",
                agent=agent,
            )  # fmt: skip
        position = await self.handoffs.queue_position(row)
        return p.Handoff(status="queued", message=WARM + queue_words(position), position=position)

    # -- while a person is involved

    async def user_message(self, handoff: m.HandoffRow, text: str) -> None:
        message = await self.handoffs.add_message(handoff.session_id, handoff.id, "user", "", text)
        await self.hub.to_agents(
            {"type": "message", "handoff_id": handoff.id, "message": _message(message)}
        )

    async def session_update(self, session_id: str, kind: str, data: Any) -> None:
        """Page changes, events and signals of a session in handoff, to the agents watching."""
        handoff = await self.handoffs.open_for_session(session_id)
        if handoff is not None and await self.hub.watched(handoff.id):
            await self.hub.to_agents(
                {"type": "session_update", "handoff_id": handoff.id, "kind": kind, "data": data},
                handoff.id,
            )

    async def deliver_missed(
        self, handoff_id: str, send: Callable[[p.Frame], Awaitable[None]]
    ) -> None:
        """Agent replies stored while the user's widget was away, sent when it comes back."""
        missed = [
            msg for msg in await self.handoffs.messages(handoff_id)
            if msg.role == "agent" and msg.delivered_at is None
        ]  # fmt: skip
        for message in missed:
            await send(p.AgentMessage(text=message.text, agent=message.author))
        await self.handoffs.mark_delivered([m_.id for m_ in missed])

    # -- agent actions

    async def claim(self, handoff_id: str, agent: SignedIn) -> None:
        if not await self.handoffs.claim(handoff_id, agent.agent_id):
            row = await self.handoffs.get(handoff_id)
            if row is None:
                raise ActionError("not_found", "no such conversation")
            if row.status != "assigned":
                raise ActionError("not_claimable", f"this conversation is {row.status}")
            raise ActionError("already_claimed", "someone else has claimed this conversation")
        row = await self._get(handoff_id)
        await self.hub.to_agents({"type": "claimed", "handoff_id": handoff_id, "agent": agent.name})
        await self.hub.to_agents({"type": "handoff", "handoff": await self.summary(row)})
        await self.hub.to_widget(
            row.session_id,
            p.Handoff(
                status="assigned",
                message=f"{agent.name} has joined the conversation.",
                agent=agent.name,
            ),
        )

    async def agent_reply(self, handoff_id: str, agent: SignedIn, text: str) -> None:
        row = await self._get(handoff_id)
        if row.status != "assigned" or row.agent_id != agent.agent_id:
            raise ActionError("not_yours", "claim this conversation before replying")
        message = await self.handoffs.add_message(row.session_id, row.id, "agent", agent.name, text)
        if await self.hub.to_widget(row.session_id, p.AgentMessage(text=text, agent=agent.name)):
            await self.handoffs.mark_delivered([message.id])
        await self.hub.to_agents(
            {"type": "message", "handoff_id": row.id, "message": _message(message)}
        )

    async def hand_back(self, handoff_id: str, agent: SignedIn) -> None:
        row = await self._get(handoff_id)
        if not await self.handoffs.set_status(handoff_id, agent.agent_id, "returned"):
            raise ActionError(
                "not_yours", "only the agent holding this conversation can hand it back"
            )
        await self._system(row, f"{agent.name} handed the conversation back to the assistant.")
        await self.hub.to_widget(
            row.session_id,
            p.Handoff(
                status="closed",
                message="You're back with the assistant. Ask me anything.",
                agent=agent.name,
            ),
        )
        await self.hub.to_agents(
            {"type": "handoff", "handoff": await self.summary(await self._get(handoff_id))}
        )

    async def close(
        self, handoff_id: str, agent: SignedIn, note: str, tags: dict[str, str]
    ) -> None:
        row = await self._get(handoff_id)
        done = await self.handoffs.set_status(
            handoff_id, agent.agent_id, "closed",
            closed_at=datetime.now(UTC), resolution_note=note, tags=tags,
        )  # fmt: skip
        if not done:
            raise ActionError("not_yours", "only the agent holding this conversation can close it")
        await on_handoff_closed(self.handoffs.db, handoff_id, agent.agent_id)  # the learning loop
        await self._system(row, f"{agent.name} closed the conversation.")
        await self.hub.to_widget(
            row.session_id,
            p.Handoff(
                status="closed",
                message="This conversation is closed. How did we do?",
                agent=agent.name,
            ),
        )
        await self.hub.to_agents(
            {"type": "handoff", "handoff": await self.summary(await self._get(handoff_id))}
        )

    # -- frames for the inbox

    async def summary(self, row: m.HandoffRow, agent: str | None = None) -> dict[str, Any]:
        if agent is None:
            agent = await self.handoffs.agent_name(row.agent_id)
        return {
            "id": row.id,
            "status": row.status,
            "created_at": row.created_at,
            "site_key": row.site_key,
            "path": row.path,
            "reason": row.reason,
            "triggers": [t.get("kind") for t in row.triggers],
            "agent": agent,
            "summary": (row.packet or {}).get("summary", ""),
            "position": await self.handoffs.queue_position(row) if row.status == "queued" else None,
        }

    async def queue_frame(self) -> dict[str, Any]:
        listing = await self.handoffs.listing()
        dead = await self.outbox.dead_letters()
        return {
            "type": "queue",
            "handoffs": [await self.summary(row, name) for row, name in listing],
            "dead_letters": [
                {
                    "id": d.id,
                    "channel": d.channel,
                    "attempts": d.attempts,
                    "last_error": d.last_error,
                    "created_at": d.created_at,
                }
                for d in dead
            ],
        }

    async def conversation_frame(self, handoff_id: str) -> dict[str, Any]:
        row = await self._get(handoff_id)
        packet = packets.from_json(row.packet)
        return {
            "type": "conversation",
            "handoff": await self.summary(row),
            "packet": row.packet,
            "markdown": packet.to_markdown(),
            "messages": [_message(msg) for msg in await self.handoffs.messages(handoff_id)],
        }

    async def _get(self, handoff_id: str) -> m.HandoffRow:
        row = await self.handoffs.get(handoff_id)
        if row is None:
            raise ActionError("not_found", "no such conversation")
        return row

    async def _system(self, row: m.HandoffRow, text: str) -> None:
        message = await self.handoffs.add_message(row.session_id, row.id, "system", "", text)
        await self.hub.to_agents(
            {"type": "message", "handoff_id": row.id, "message": _message(message)}
        )


def _message(message: m.Message) -> dict[str, Any]:
    return {"role": message.role, "author": message.author, "text": message.text, "at": message.at}
