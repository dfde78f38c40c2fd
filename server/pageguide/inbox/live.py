"""The agent WebSocket, `/agent/ws`: the queue, conversations and actions, live.

Frames are JSON with a `type` (docs/inbox.md). Each is validated by a pydantic model; a bad
one gets an `error` frame and the socket stays up.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ..escalation.service import ActionError, Escalations
from .auth import COOKIE, SignedIn

log = logging.getLogger("pageguide.inbox")
MAX_FRAME = 65_536


class _Frame(BaseModel):
    model_config = ConfigDict(extra="ignore")


HandoffId = Annotated[str, Field(min_length=1, max_length=64)]


class Open(_Frame):
    type: Literal["open"]
    handoff_id: HandoffId


class Claim(_Frame):
    type: Literal["claim"]
    handoff_id: HandoffId


class Reply(_Frame):
    type: Literal["reply"]
    handoff_id: HandoffId
    text: Annotated[str, Field(min_length=1, max_length=5_000)]


class HandBack(_Frame):
    type: Literal["hand_back"]
    handoff_id: HandoffId


class Tags(_Frame):
    issue_type: Annotated[str, Field(max_length=100)] = ""
    root_cause: Annotated[str, Field(max_length=100)] = ""
    resolution_path: Annotated[str, Field(max_length=100)] = ""


class Close(_Frame):
    type: Literal["close"]
    handoff_id: HandoffId
    note: Annotated[str, Field(max_length=10_000)] = ""
    tags: Tags = Tags()


AgentFrame = Annotated[Open | Claim | Reply | HandBack | Close, Field(discriminator="type")]
_adapter: TypeAdapter[Any] = TypeAdapter(AgentFrame)


def same_origin(ws: WebSocket) -> bool:
    """Cookies ride along with any page's WebSocket, so only our own pages may open this one."""
    origin = ws.headers.get("origin")
    if not origin:
        return False
    host = ws.headers.get("host", "")
    return urlparse(origin).netloc == host


async def agent_endpoint(ws: WebSocket) -> None:
    inbox = ws.app.state.inbox
    agent: SignedIn | None = await inbox.agents.session(ws.cookies.get(COOKIE))
    if agent is None or not same_origin(ws):
        await ws.close(code=1008)
        return
    await ws.accept()
    escalations: Escalations = inbox.escalations
    key = id(ws)

    async def send(frame: dict[str, Any]) -> None:
        if ws.application_state is WebSocketState.CONNECTED:
            await ws.send_text(json.dumps(frame, default=str))

    escalations.hub.agent_online(key, send)
    try:
        await send(
            {
                "type": "hello",
                "agent": {"id": agent.agent_id, "name": agent.name, "email": agent.email},
            }
        )
        await send(await escalations.queue_frame())
        while True:
            text = await ws.receive_text()
            if len(text) > MAX_FRAME:
                await ws.close(code=1009)
                return
            try:
                frame = _adapter.validate_json(text)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "frame"
                await send(
                    {"type": "error", "code": "bad_frame", "message": f"{where}: {first['msg']}"}
                )
                continue
            try:
                await handle(frame, agent, escalations, key, send)
            except ActionError as exc:
                await send({"type": "error", "code": exc.code, "message": exc.message})
    except WebSocketDisconnect:
        pass
    finally:
        escalations.hub.agent_offline(key)


async def handle(
    frame: Any, agent: SignedIn, escalations: Escalations, key: int, send: Any
) -> None:
    match frame:
        case Open():
            escalations.hub.watch(key, frame.handoff_id)
            await send(await escalations.conversation_frame(frame.handoff_id))
        case Claim():
            await escalations.claim(frame.handoff_id, agent)
        case Reply():
            await escalations.agent_reply(frame.handoff_id, agent, frame.text)
        case HandBack():
            await escalations.hand_back(frame.handoff_id, agent)
        case Close():
            await escalations.close(frame.handoff_id, agent, frame.note, frame.tags.model_dump())
