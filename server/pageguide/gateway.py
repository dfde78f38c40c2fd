"""The widget's WebSocket endpoint, `/ws`: a thin socket layer over protocol.py.

Reads frames, enforces size and rate limits, validates through the protocol module, stores
what the widget says before acknowledging it, and streams answers. One task per connection
while idle; an answer runs in its own task so events keep flowing while it streams.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from . import protocol as p
from .db.queries import Repository
from .escalation.live import SessionEscalation
from .escalation.service import Escalations
from .guidance.answer import OFFER_MARGIN, Guide
from .guidance.base import Turn
from .guidance.suggestions import Suggestions
from .hub import Hub
from .identity import VisitorIdentity, resolve_identity, secrets_from_env
from .proactive import Context, ProactiveHelp
from .routes import template_for
from .sessions import LiveSession, RateLimiter, check_resume_token, new_session_id, resume_token
from .settings import Settings
from .sites import Sites

log = logging.getLogger("pageguide.gateway")


@dataclass
class Services:
    """What the gateway talks to; built once by app.py."""

    settings: Settings
    sites: Sites
    repo: Repository
    guide: Guide
    secret: bytes
    proactive: ProactiveHelp
    suggestions: Suggestions
    escalations: Escalations
    hub: Hub


class Closed(Exception):
    """Close the socket: an `error` frame saying why goes first, then the close code."""

    def __init__(self, code: int, error: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.error = error
        self.reason = reason


class Connection:
    __slots__ = (
        "_answering",
        "_send_lock",
        "base_url",
        "escalation",
        "limiter",
        "machine",
        "origin",
        "services",
        "session",
        "template",
        "ws",
    )

    def __init__(self, ws: WebSocket, services: Services) -> None:
        self.ws = ws
        self.services = services
        self.machine = p.ConnectionMachine()
        self.limiter = RateLimiter(services.settings.flood_rate, services.settings.flood_burst)
        self.origin = ws.headers.get("origin", "")
        self.session: LiveSession | None = None
        self._answering: asyncio.Task[None] | None = None
        self._send_lock: asyncio.Lock | None = None
        self.escalation: SessionEscalation | None = None  # made at hello
        self.template = ""  # the current page's route template (routes.py)
        public = services.settings.public_url
        self.base_url = public or str(
            ws.url.replace(scheme="https" if ws.url.scheme == "wss" else "http", path="", query="")
        )

    # -- sending

    async def send(self, frame: p.Frame) -> None:
        if self._send_lock is None:
            self._send_lock = asyncio.Lock()
        async with self._send_lock:
            if self.ws.application_state is WebSocketState.CONNECTED:
                await self.ws.send_text(p.dump(frame))
        if isinstance(frame, p.Handoff) and frame.status == "closed" and self.escalation:
            self.escalation.closed()  # a person closed it or handed back: the assistant answers

    async def send_error(self, code: str, message: str, in_reply_to: str | None = None) -> None:
        await self.send(p.Error(code=code, message=message, in_reply_to=in_reply_to))

    # -- the read loop

    async def run(self) -> None:
        settings = self.services.settings
        try:
            while True:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = message.get("text")
                if text is None:
                    raise Closed(
                        p.CloseCode.UNSUPPORTED_DATA,
                        "binary_frame",
                        "binary frames are not supported",
                    )
                if (
                    len(text) > settings.max_frame_bytes
                    or len(text.encode()) > settings.max_frame_bytes
                ):
                    raise Closed(
                        p.CloseCode.MESSAGE_TOO_BIG,
                        "too_big",
                        f"frame larger than {settings.max_frame_bytes} bytes",
                    )
                if not self.limiter.allow():
                    raise Closed(
                        p.CloseCode.POLICY_VIOLATION, "flood", "too many frames: slow down"
                    )
                try:
                    frame = p.parse_client_frame(text)
                    self.machine.check(frame)
                    await self.handle(frame)
                except p.ProtocolError as exc:
                    log.info(
                        "protocol error", extra={"session": self.session_id, "code": exc.code.value}
                    )
                    await self.send_error(exc.code.value, exc.message)
        except Closed as exc:
            log.warning(
                "closing connection",
                extra={"session": self.session_id, "code": exc.code, "reason": exc.reason},
            )
            await self.send_error(exc.error, exc.reason)
            await self._close(exc.code, exc.reason)
        except WebSocketDisconnect:
            return
        except Exception:
            log.exception("connection failed", extra={"session": self.session_id})
            await self._close(p.CloseCode.INTERNAL_ERROR, "internal error")
        finally:
            self.machine.close()
            if self._answering is not None and not self._answering.done():
                self._answering.cancel()
            if self.session is not None:
                self.services.proactive.disconnected(self.session.id, self)
                self.services.hub.widget_offline(self.session.id, self.send)
                log.info("session disconnected", extra={"session": self.session.id})

    async def _close(self, code: int, reason: str) -> None:
        if self.ws.application_state is WebSocketState.CONNECTED:
            try:
                await self.ws.close(code=code, reason=reason[:120])
            except RuntimeError:
                pass

    @property
    def session_id(self) -> str | None:
        return self.session.id if self.session else None

    # -- frames

    async def handle(self, frame: p.Frame) -> None:
        match frame:
            case p.Hello():
                await self.on_hello(frame)
            case p.Page():
                await self.on_page(frame)
            case p.Events():
                await self.on_events(frame)
            case p.Ask():
                await self.on_ask(frame)
            case p.Feedback():
                await self.on_feedback(frame)
            case p.Csat():
                assert self.session is not None
                await self.services.repo.add_csat(self.session.id, frame.score, frame.comment)
                log.info("csat", extra={"session": self.session.id, "score": frame.score})
            case p.Escalate():
                assert self.escalation is not None
                await self.escalation.requested(frame.reason, self.path)

    async def on_hello(self, hello: p.Hello) -> None:
        services = self.services
        if hello.protocol != p.PROTOCOL_VERSION:
            raise Closed(
                p.CloseCode.POLICY_VIOLATION,
                "protocol_version",
                f"this server speaks protocol {p.PROTOCOL_VERSION}",
            )
        site = services.sites.get(hello.site_key)
        if site is None:
            raise Closed(
                p.CloseCode.POLICY_VIOLATION, "unknown_site", f"unknown site key {hello.site_key!r}"
            )
        if not site.allows(self.origin):
            raise Closed(
                p.CloseCode.POLICY_VIOLATION,
                "origin_not_allowed",
                f"origin {self.origin!r} is not allowed for this site",
            )

        resumed = False
        session_id = None
        if hello.session_id and hello.resume_token:
            if check_resume_token(services.secret, hello.session_id, hello.resume_token) and (
                await services.repo.session_exists(hello.session_id, site.site_key)
            ):
                session_id, resumed = hello.session_id, True
                await services.repo.touch_session(session_id)
        if session_id is None:
            session_id = new_session_id()
            agent = self.ws.headers.get("user-agent", "")
            await services.repo.start_session(session_id, site.site_key, agent, self.origin)
            services.proactive.started(session_id)  # nothing stored for it to read back
        identity = self._identity(hello, site.site_key, site.enforce_identity)
        if identity.verified is not None:
            verified = identity.verified
            account = verified.account.id if verified.account else None
            await services.repo.set_identity(session_id, verified.model_dump(mode="json"), account)
        self.session = LiveSession(session_id, site.site_key)
        self.escalation = SessionEscalation(
            services.escalations,
            session_id,
            site.site_key,
            self.base_url,
            self.send,
            identity.account,
        )
        services.proactive.connected(self.context())  # keeps the session's struggle state
        if hello.page is not None:
            await self._set_page(hello.page)
        self.machine.ready()
        await self.send(
            p.Ready(
                session_id=session_id,
                resume_token=resume_token(services.secret, session_id),
                resumed=resumed,
            )
        )
        services.hub.widget_online(session_id, self.send)
        if resumed:
            await self.escalation.resume()
        log.info(
            "session resumed" if resumed else "session started",
            extra={"session": session_id, "site": site.site_key},
        )

    def _identity(self, hello: p.Hello, site_key: str, enforce: bool) -> VisitorIdentity:
        try:
            secrets_ = secrets_from_env(site_key)
        except ValueError:
            log.error("identity secret too short", extra={"site": site_key})
            secrets_ = []
        identity = resolve_identity(hello.identity_token, secrets_, enforce=enforce)
        if hello.identity_token and identity.verified is None:
            log.info(
                "identity not verified", extra={"site": site_key, "why": str(identity.failure)}
            )
        return identity

    @property
    def path(self) -> str:
        return self.session.page.path if self.session and self.session.page else ""

    def context(self) -> Context:
        session = self.session
        assert session is not None
        return Context(
            holder=self,
            session_id=session.id,
            page_view_id=session.page_view_id,
            page=session.page,
            base_url=self.base_url,
            send=self.send,
            refresh=self.context,
            on_signal=self._on_signal,
        )

    async def _on_signal(self, kind: str, path: str, nudged: bool, data: dict) -> None:
        escalation = self.escalation
        assert escalation is not None
        if nudged:
            await escalation.nudge_shown(path)
        if escalation.active:
            await self.services.escalations.session_update(escalation.session_id, "signal", data)
        else:
            await escalation.after_signal(kind, path)

    async def on_events(self, frame: p.Events) -> None:
        session = self.session
        assert session is not None
        await self.services.repo.add_events(session.id, session.page_view_id, frame.events)
        if any(e.kind == "widget_open" for e in frame.events) and session.page is not None:
            page = session.page
            try:
                suggestions = await self.services.suggestions.for_page(
                    page.path, self.template, page.route
                )
            except Exception:  # a welcome is a nicety: never worth the connection
                log.exception("welcome failed", extra={"session": session.id})
                suggestions = []
            session.offered = tuple(suggestions)
            await self.send(p.Welcome(path=page.path, suggestions=suggestions))
        await self.services.proactive.on_events(self.context(), frame.events)
        if self.escalation is not None and self.escalation.active:
            data = [e.model_dump(exclude_defaults=True) for e in frame.events]
            await self.services.escalations.session_update(session.id, "events", data)

    async def on_page(self, page: p.Page) -> None:
        await self._set_page(p.PageContext.model_validate(page.model_dump(exclude={"type"})))

    async def _set_page(self, page: p.PageContext) -> None:
        assert self.session is not None
        patterns = self.services.guide.knowledge.page_patterns()
        template = template_for(page.path, page.route, patterns)
        self.session.page_view_id = await self.services.repo.add_page_view(
            self.session.id, page, template
        )
        self.session.page = page
        self.template = template
        # The welcome for this page, ready before the user opens the widget.
        self.services.suggestions.warm(page.path, template, page.route)
        await self.services.proactive.on_page(self.context(), page)
        if self.escalation is not None and self.escalation.active:
            await self.services.escalations.session_update(
                self.session.id, "page", page.model_dump(exclude_defaults=True)
            )
        # Embed the page now, while the user reads it, so that a question costs one embedding.
        retriever = self.services.guide.knowledge.retriever
        asyncio.get_running_loop().run_in_executor(None, retriever.page_vector, page)

    async def on_ask(self, ask: p.Ask) -> None:
        session = self.session
        assert session is not None
        repo = self.services.repo
        question_id, created = await repo.add_question(
            session.id, ask.id, session.page_view_id, ask.text
        )
        if not created:
            stored = await repo.answer_for_question(question_id)
            if stored is not None:  # a resend after a reconnect: replay, don't answer twice
                await self.send(p.AnswerStart(id=stored.id, in_reply_to=ask.id))
                await self.send(p.AnswerDelta(id=stored.id, text=stored.text))
                sources = [p.Source.model_validate(s) for s in stored.sources]
                offer = stored.confidence < self.services.settings.min_confidence + OFFER_MARGIN
                await self.send(
                    p.AnswerEnd(
                        id=stored.id,
                        sources=sources,
                        confidence=stored.confidence,
                        offer_human=offer,
                    )
                )
                return
        escalation = self.escalation
        assert escalation is not None
        if escalation.active:
            # A person has the conversation: they answer, not the assistant. A re-sent question
            # (after a reconnect) was already passed on.
            if not created and await escalation.still_open():
                return
            if created and await escalation.user_message(ask.text):
                return
        await self.services.proactive.on_ask(self.context())
        # A question we suggested ("How do I cancel my subscription?") is not a churn signal.
        suggested = ask.text in session.offered
        if not escalation.active and not suggested:
            if await escalation.assess_question(ask.text, self.path):
                return
        previous = self._answering
        self._answering = asyncio.create_task(self._answer(ask, question_id, previous))

    async def _answer(
        self, ask: p.Ask, question_id: int, previous: asyncio.Task[None] | None
    ) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)  # one answer at a time, in order
        session = self.session
        assert session is not None
        repo, guide = self.services.repo, self.services.guide
        answer_id = secrets.token_hex(8)
        try:
            await repo.start_answer(answer_id, question_id, session.id)
            await self.send(p.AnswerStart(id=answer_id, in_reply_to=ask.id))

            async def emit(text: str) -> None:
                await self.send(p.AnswerDelta(id=answer_id, text=text))

            result = await guide.answer(
                ask.text, session.page, emit, self.base_url, session.turns()
            )
            await repo.finish_answer(
                answer_id,
                text=result.text,
                sources=[s.model_dump() for s in result.sources],
                confidence=result.confidence,
                composer=result.composer,
                status=result.status,
                prompt_tokens=result.usage.prompt_tokens,
                completion_tokens=result.usage.completion_tokens,
                cost_usd=result.usage.cost_usd,
                first_token_ms=result.first_token_ms,
                total_ms=result.total_ms,
            )
            session.remember(Turn(ask.text, result.text))
            answered_on = self.path
            await self.send(
                p.AnswerEnd(
                    id=answer_id,
                    sources=result.sources,
                    confidence=result.confidence,
                    offer_human=result.offer_human,
                )
            )
            assert self.escalation is not None
            await self.escalation.after_answer(
                answer_id, result.confidence, result.offer_human, answered_on
            )
            log.info(
                "question answered",
                extra={
                    "session": session.id,
                    "path": session.page.path if session.page else None,
                    "confidence": result.confidence,
                    "composer": result.composer,
                    "status": result.status,
                    "ms": round(result.total_ms, 1),
                },
            )
        except asyncio.CancelledError:
            await asyncio.shield(repo.finish_answer(answer_id, status="interrupted"))
            raise
        except Exception:
            log.exception("answer failed", extra={"session": session.id})
            await repo.finish_answer(answer_id, status="failed")
            await self.send_error(
                p.ErrorCode.INTERNAL, "the answer failed; please try again", ask.id
            )

    async def on_feedback(self, feedback: p.Feedback) -> None:
        assert self.session is not None
        repo = self.services.repo
        if not await repo.answer_belongs(feedback.message_id, self.session.id):
            raise p.ProtocolError(
                p.ErrorCode.NOT_FOUND, f"no answer {feedback.message_id!r} in this session"
            )
        await repo.set_feedback(
            self.session.id, feedback.message_id, feedback.rating, feedback.comment
        )
        log.info("feedback", extra={"session": self.session.id, "rating": feedback.rating})
        assert self.escalation is not None
        await self.escalation.after_feedback(feedback.message_id, feedback.rating, self.path)


async def websocket_endpoint(ws: WebSocket) -> None:
    services: Services = ws.app.state.services
    if not ws.app.state.ready:
        await ws.close(code=p.CloseCode.TRY_AGAIN_LATER)
        return
    # A site key in the URL lets us refuse a wrong origin before the upgrade (HTTP 403).
    site_key = ws.query_params.get("site_key")
    if site_key is not None:
        site = services.sites.get(site_key)
        if site is None or not site.allows(ws.headers.get("origin")):
            await ws.close(code=p.CloseCode.POLICY_VIOLATION)
            return
    await ws.accept()
    await Connection(ws, services).run()
