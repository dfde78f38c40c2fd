"""The widget wire protocol: frame schemas, parsing and the connection state machine.

Pure code: no sockets, no Starlette. Text goes in, validated frames (or a `ProtocolError`
with a code the widget can act on) come out. `docs/protocol.md` is checked against these
models by `tests/unit/test_docs.py`.
"""

from __future__ import annotations

import enum
import json
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

PROTOCOL_VERSION = 1


class CloseCode(enum.IntEnum):
    """WebSocket close codes, used the same way everywhere (RFC 6455 §7.4.1)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    UNSUPPORTED_DATA = 1003  # binary frames, unusable data
    POLICY_VIOLATION = 1008  # unknown site, origin not allowed, flood
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    TRY_AGAIN_LATER = 1013  # server draining or not ready


class ErrorCode(enum.StrEnum):
    """Codes of `error` frames. The session stays up after every one of them."""

    BAD_JSON = "bad_json"
    BAD_FRAME = "bad_frame"
    UNKNOWN_TYPE = "unknown_type"
    UNEXPECTED = "unexpected_frame"
    PROTOCOL_VERSION = "protocol_version"
    BAD_RESUME = "bad_resume"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"
    # Sent just before the server closes the socket:
    UNKNOWN_SITE = "unknown_site"  # close 1008
    ORIGIN_NOT_ALLOWED = "origin_not_allowed"  # close 1008
    FLOOD = "flood"  # close 1008
    TOO_BIG = "too_big"  # close 1009
    BINARY_FRAME = "binary_frame"  # close 1003


class ProtocolError(Exception):
    """A frame the server refuses; becomes an `error` frame."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Frame(BaseModel):
    # Unknown keys are ignored so that newer widgets can talk to older servers.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


# ---------------------------------------------------------------- shared parts

Text = Annotated[str, Field(max_length=2_000)]
ShortText = Annotated[str, Field(max_length=300)]


class PageContext(Frame):
    url: Annotated[str, Field(max_length=2_048)]
    path: Annotated[str, Field(max_length=1_024)]
    title: ShortText = ""
    headings: Annotated[list[ShortText], Field(max_length=50)] = []
    route: Annotated[str, Field(max_length=300)] | None = None
    form_errors: Annotated[list[Text], Field(max_length=50)] = []
    meta: Annotated[dict[str, Any], Field(max_length=50)] = {}


class Target(Frame):
    selector: Annotated[str, Field(max_length=500)] = ""
    text: ShortText = ""
    role: Annotated[str, Field(max_length=50)] = ""


class Event(Frame):
    kind: Annotated[str, Field(min_length=1, max_length=32)]
    t: Annotated[int, Field(ge=0)]  # client clock, epoch milliseconds
    target: Target | None = None
    x: float | None = None
    y: float | None = None
    data: Annotated[dict[str, Any], Field(max_length=30)] = {}


class Source(Frame):
    title: str
    url: str


# ---------------------------------------------------------------- widget → server


class Hello(Frame):
    type: Literal["hello"]
    site_key: Annotated[str, Field(min_length=1, max_length=100)]
    protocol: int
    session_id: Annotated[str, Field(max_length=64)] | None = None
    resume_token: Annotated[str, Field(max_length=200)] | None = None
    identity_token: Annotated[str, Field(max_length=4_096)] | None = None
    page: PageContext | None = None


class Page(PageContext):
    type: Literal["page"]


class Events(Frame):
    type: Literal["events"]
    events: Annotated[list[Event], Field(min_length=1, max_length=200)]


class Ask(Frame):
    type: Literal["ask"]
    id: Annotated[str, Field(min_length=1, max_length=64)]
    # Stripped, so that a blank question is refused and the escalation check and retrieval
    # embed the very same string (one embedding per ask).
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000)]


class Feedback(Frame):
    type: Literal["feedback"]
    message_id: Annotated[str, Field(min_length=1, max_length=64)]
    rating: Literal["up", "down"]
    comment: Text | None = None


class Csat(Frame):
    type: Literal["csat"]
    score: Annotated[int, Field(ge=1, le=5)]
    comment: Text | None = None


class Escalate(Frame):
    type: Literal["escalate"]
    reason: Text | None = None


ClientFrame = Annotated[
    Hello | Page | Events | Ask | Feedback | Csat | Escalate,
    Field(discriminator="type"),
]
CLIENT_FRAMES: dict[str, type[Frame]] = {
    "hello": Hello,
    "page": Page,
    "events": Events,
    "ask": Ask,
    "feedback": Feedback,
    "csat": Csat,
    "escalate": Escalate,
}
_client_adapter: TypeAdapter[Any] = TypeAdapter(ClientFrame)


# ---------------------------------------------------------------- server → widget


class Ready(Frame):
    type: Literal["ready"] = "ready"
    session_id: str
    resume_token: str
    resumed: bool = False


class AnswerStart(Frame):
    type: Literal["answer_start"] = "answer_start"
    id: str
    in_reply_to: str


class AnswerDelta(Frame):
    type: Literal["answer_delta"] = "answer_delta"
    id: str
    text: str


class AnswerEnd(Frame):
    type: Literal["answer_end"] = "answer_end"
    id: str
    sources: list[Source]
    confidence: float
    offer_human: bool = False


class Nudge(Frame):
    type: Literal["nudge"] = "nudge"
    id: str
    signal: str
    text: str
    actions: list[str] = []  # open | escalate | dismiss
    sources: list[Source] = []


class Welcome(Frame):
    """Suggested questions for the page, sent when the user opens the widget."""

    type: Literal["welcome"] = "welcome"
    path: str
    suggestions: list[str]


class Handoff(Frame):
    type: Literal["handoff"] = "handoff"
    status: Literal["queued", "assigned", "closed"]
    message: str
    agent: str | None = None
    position: int | None = None  # place in the queue while queued


class AgentMessage(Frame):
    type: Literal["agent_message"] = "agent_message"
    text: str
    agent: str


class Error(Frame):
    type: Literal["error"] = "error"
    code: str
    message: str
    in_reply_to: str | None = None


SERVER_FRAMES: dict[str, type[Frame]] = {
    "ready": Ready,
    "answer_start": AnswerStart,
    "answer_delta": AnswerDelta,
    "answer_end": AnswerEnd,
    "nudge": Nudge,
    "welcome": Welcome,
    "handoff": Handoff,
    "agent_message": AgentMessage,
    "error": Error,
}


# ---------------------------------------------------------------- parsing


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:3]:
        where = ".".join(str(p) for p in item["loc"] if p not in CLIENT_FRAMES) or "frame"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def parse_client_frame(
    text: str | bytes,
) -> Hello | Page | Events | Ask | Feedback | Csat | Escalate:
    """Parse one text frame from the widget, or raise `ProtocolError`."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(ErrorCode.BAD_JSON, f"frame is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_FRAME, "a frame must be a JSON object")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ProtocolError(ErrorCode.BAD_FRAME, "a frame needs a string 'type'")
    if kind not in CLIENT_FRAMES:
        known = ", ".join(CLIENT_FRAMES)
        raise ProtocolError(
            ErrorCode.UNKNOWN_TYPE, f"unknown frame type {kind!r}; expected one of {known}"
        )
    try:
        return _client_adapter.validate_python(data)
    except ValidationError as exc:
        raise ProtocolError(
            ErrorCode.BAD_FRAME, f"invalid {kind!r} frame: {_describe(exc)}"
        ) from None


def dump(frame: Frame) -> str:
    return frame.model_dump_json(exclude_none=True)


# ---------------------------------------------------------------- connection state


class ConnectionState(enum.Enum):
    AWAITING_HELLO = "awaiting_hello"
    READY = "ready"
    CLOSED = "closed"


class ConnectionMachine:
    """Which frames are legal when. Illegal ones fail loudly with 'expected X, got Y'."""

    __slots__ = ("state",)

    def __init__(self) -> None:
        self.state = ConnectionState.AWAITING_HELLO

    def check(self, frame: Frame) -> None:
        kind = getattr(frame, "type", "?")
        if self.state is ConnectionState.CLOSED:
            raise ProtocolError(ErrorCode.UNEXPECTED, f"connection is closed, got {kind!r}")
        if self.state is ConnectionState.AWAITING_HELLO and kind != "hello":
            raise ProtocolError(ErrorCode.UNEXPECTED, f"expected 'hello' first, got {kind!r}")
        if self.state is ConnectionState.READY and kind == "hello":
            raise ProtocolError(
                ErrorCode.UNEXPECTED, "expected a session frame, got a second 'hello'"
            )

    def ready(self) -> None:
        self.state = ConnectionState.READY

    def close(self) -> None:
        self.state = ConnectionState.CLOSED
