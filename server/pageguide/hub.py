"""Live routing inside one server process: which widget socket holds a session, which agent
sockets watch which conversation.

Several processes behind a load balancer would put Redis pub/sub behind this same interface
(DESIGN.md, "Outgrowing one machine"); today one process holds every socket.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .protocol import Frame

log = logging.getLogger("pageguide.hub")

SendFrame = Callable[[Frame], Awaitable[None]]
SendJson = Callable[[dict[str, Any]], Awaitable[None]]


class Hub:
    def __init__(self) -> None:
        self._widgets: dict[str, SendFrame] = {}
        self._agents: dict[int, SendJson] = {}  # id(agent connection) -> send
        self._watching: dict[str, set[int]] = {}  # handoff id -> agent connections

    # -- widgets

    def widget_online(self, session_id: str, send: SendFrame) -> None:
        self._widgets[session_id] = send

    def widget_offline(self, session_id: str, send: SendFrame) -> None:
        if self._widgets.get(session_id) == send:  # bound methods compare equal, not identical
            del self._widgets[session_id]

    async def to_widget(self, session_id: str, frame: Frame) -> bool:
        """Deliver to the user's open widget; False when they are not connected right now
        (what was said is stored, and a resumed widget is sent it again)."""
        send = self._widgets.get(session_id)
        if send is None:
            return False
        try:
            await send(frame)
            return True
        except Exception:
            log.warning("widget send failed", extra={"session": session_id})
            return False

    # -- agents

    def agent_online(self, key: int, send: SendJson) -> None:
        self._agents[key] = send

    def agent_offline(self, key: int) -> None:
        self._agents.pop(key, None)
        for watchers in self._watching.values():
            watchers.discard(key)

    def watch(self, key: int, handoff_id: str) -> None:
        for watchers in self._watching.values():
            watchers.discard(key)  # an agent looks at one conversation at a time
        self._watching.setdefault(handoff_id, set()).add(key)

    def watched(self, handoff_id: str) -> bool:
        return bool(self._watching.get(handoff_id))

    async def to_agents(self, frame: dict[str, Any], handoff_id: str | None = None) -> None:
        """To every agent, or to those watching `handoff_id`."""
        keys = (
            list(self._agents) if handoff_id is None else list(self._watching.get(handoff_id, ()))
        )
        text_frame = json.loads(json.dumps(frame, default=str))
        await asyncio.gather(
            *(self._agents[k](text_frame) for k in keys if k in self._agents),
            return_exceptions=True,
        )
