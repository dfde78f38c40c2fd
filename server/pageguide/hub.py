"""Live routing: which widget socket holds a session, which agent sockets watch which
conversation.

`Hub` routes between the sockets of this process, which is all one server needs. Several
processes behind a load balancer share one Redis instead (`hub_redis.RedisHub`, chosen by
`PAGEGUIDE_REDIS_URL`): the same interface, with frames for sockets held elsewhere sent over
pub/sub (DESIGN.md, "Outgrowing one machine").
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

    async def start(self) -> None:
        """Nothing to connect to in one process."""

    async def stop(self) -> None:
        """Nothing to let go of in one process."""

    # -- widgets

    def widget_online(self, session_id: str, send: SendFrame) -> None:
        self._widgets[session_id] = send

    def widget_offline(self, session_id: str, send: SendFrame) -> None:
        if self._widgets.get(session_id) == send:  # bound methods compare equal, not identical
            del self._widgets[session_id]

    def holds(self, session_id: str) -> bool:
        return session_id in self._widgets

    async def to_widget(self, session_id: str, frame: Frame) -> bool:
        """Deliver to the user's open widget; False when they are not connected right now
        (what was said is stored, and a resumed widget is sent it again)."""
        return await self._to_widget_here(session_id, frame)

    async def _to_widget_here(self, session_id: str, frame: Frame) -> bool:
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
        for handoff_id in list(self._watching):
            self._unwatch(key, handoff_id)

    def watch(self, key: int, handoff_id: str) -> None:
        for other in list(self._watching):
            self._unwatch(key, other)  # an agent looks at one conversation at a time
        self._watching.setdefault(handoff_id, set()).add(key)

    def _unwatch(self, key: int, handoff_id: str) -> None:
        watchers = self._watching.get(handoff_id)
        if watchers is not None:
            watchers.discard(key)
            if not watchers:
                del self._watching[handoff_id]

    def watched_here(self) -> set[str]:
        """Handoffs an agent of this process is looking at."""
        return set(self._watching)

    async def watched(self, handoff_id: str) -> bool:
        """Is any agent looking at this handoff (worth sending its live session updates)?"""
        return handoff_id in self._watching

    async def to_agents(self, frame: dict[str, Any], handoff_id: str | None = None) -> None:
        """To every agent, or to those watching `handoff_id`."""
        await self._to_agents_here(json.loads(json.dumps(frame, default=str)), handoff_id)

    async def _to_agents_here(self, frame: dict[str, Any], handoff_id: str | None) -> None:
        keys = (
            list(self._agents) if handoff_id is None else list(self._watching.get(handoff_id, ()))
        )
        await asyncio.gather(
            *(self._agents[k](frame) for k in keys if k in self._agents),
            return_exceptions=True,
        )


def make_hub(redis_url: str | None) -> Hub:
    """The in-process hub, or the Redis one when several processes share the sockets."""
    if not redis_url:
        return Hub()
    from .hub_redis import RedisHub

    return RedisHub(redis_url)
