"""Proactive help: events → struggle signals → the nudge policy → a page-aware nudge.

The detectors and the policy are pure (struggle/); this module feeds them a session's events,
stores every signal with the policy's verdict, writes the nudge text from the knowledge for
the page, stores the nudge, and only then sends it. It also tracks each nudge's outcome.
A session that never struggles costs nothing here: its state is created on its first event.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from . import protocol as p
from .db.queries import Repository
from .guidance import nudge as words
from .guidance.answer import Guide
from .settings import Settings
from .struggle import Signal, StruggleSettings, StruggleWindow
from .struggle.policy import NudgePolicy, NudgeSettings, NudgeState, Verdict

log = logging.getLogger("pageguide.proactive")
MAX_SESSIONS = 50_000  # struggle states kept; the oldest idle session goes first
TICK_SECONDS = 1.0  # hesitation is idle time, so someone has to look at the clock
SUCCESS_WINDOW_MS = 120_000  # a fix within two minutes of a nudge counts as its success
WIDGET_KINDS = {"widget_open", "widget_close", "widget_input", "nudge_opened", "nudge_dismissed"}
ERROR_KINDS = {"error", "http_error", "invalid"}

Send = Callable[[p.Frame], Awaitable[None]]


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(slots=True)
class OpenNudge:
    id: str
    kind: str
    path: str
    at: int  # client clock
    errors_after: bool = False


class SessionStruggle:
    """One session's struggle state; lives on its connection."""

    __slots__ = ("nudges", "offset", "open", "window")

    def __init__(self, settings: StruggleSettings) -> None:
        self.window = StruggleWindow(settings)
        self.nudges = NudgeState()
        self.offset = 0  # server clock minus client clock, in ms
        self.open: OpenNudge | None = None

    def client_now(self) -> int:
        return now_ms() - self.offset


class ProactiveHelp:
    def __init__(
        self,
        settings: Settings,
        repo: Repository,
        guide: Guide,
        struggle: StruggleSettings | None = None,
        nudges: NudgeSettings | None = None,
    ) -> None:
        self.settings = settings
        self.repo = repo
        self.guide = guide
        self.struggle = struggle or StruggleSettings()
        self.policy = NudgePolicy(nudges)
        self.watched: dict[str, tuple[SessionStruggle, Callable[[], Context]]] = {}
        self.sessions: OrderedDict[str, SessionStruggle] = OrderedDict()

    # -- inputs from the gateway

    def state(self, ctx: Context) -> SessionStruggle:
        """The session's state, kept across its sockets: a multi-page app opens a new socket on
        every page load, and a loop, a cooldown or a dismissal spans pages."""
        existing = self.sessions.get(ctx.session_id)
        if existing is None:
            existing = SessionStruggle(self.struggle)
            self.sessions[ctx.session_id] = existing
            if len(self.sessions) > MAX_SESSIONS:
                self.sessions.popitem(last=False)  # the least recently active session
        else:
            self.sessions.move_to_end(ctx.session_id)
        return existing

    async def on_page(self, ctx: Context, page: p.PageContext) -> None:
        state = self.state(ctx)
        state.window.set_page(page.path, page.form_errors, state.client_now())
        opened = state.open
        if opened is not None and (page.path != opened.path or not page.form_errors):
            await self._maybe_succeeded(ctx, state)
        self._watch(ctx, state)

    async def on_events(self, ctx: Context, events: Iterable[p.Event]) -> None:
        events = list(events)
        state = self.state(ctx)
        newest = max(e.t for e in events)
        state.offset = now_ms() - newest  # latency included; good enough for idle timers
        for event in events:
            await self._widget_event(ctx, state, event)
        state.window.add(events)  # the window keeps only the kinds its detectors read
        await self.evaluate(ctx, state, newest)
        self._watch(ctx, state)

    async def on_ask(self, ctx: Context) -> None:
        state = self.state(ctx)
        t = state.client_now()
        state.window.add([p.Event(kind="ask", t=t)])
        if state.open is not None:
            await self.repo.nudge_outcome(state.open.id, ctx.session_id, asked=True)

    def forget(self, session_id: str) -> None:
        self.watched.pop(session_id, None)

    # -- the loop for idle-time signals

    async def tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            for session_id, (state, context) in list(self.watched.items()):
                try:
                    await self.evaluate(context(), state, state.client_now())
                except Exception:
                    log.exception("struggle tick failed", extra={"session": session_id})

    def _watch(self, ctx: Context, state: SessionStruggle) -> None:
        """Only sessions that could hesitate (errors on screen, or recent events) are ticked."""
        if state.window.form_errors or len(state.window):
            self.watched[ctx.session_id] = (state, ctx.refresh)
        else:
            self.watched.pop(ctx.session_id, None)

    # -- signals to nudges

    async def evaluate(self, ctx: Context, state: SessionStruggle, at: int) -> None:
        for signal in state.window.evaluate(at):
            await self._signal(ctx, state, signal, at)

    async def _signal(self, ctx: Context, state: SessionStruggle, signal: Signal, at: int) -> None:
        started = time.perf_counter()
        verdict = self.policy.decide(state.nudges, signal, at)
        evidence = state.window.evidence(signal)
        label = words.evidence_label(signal, evidence)
        signal_id = await self.repo.add_signal(
            ctx.session_id,
            ctx.page_view_id,
            kind=signal.kind.value,
            score=signal.score,
            target=signal.target[:500],
            target_text=label[:300],
            path=signal.page_path,
            reason=signal.reason,
            evidence=[e.model_dump(exclude_defaults=True) for e in evidence][-10:],
            verdict=verdict.value,
        )
        log.info(
            "struggle signal",
            extra={
                "session": ctx.session_id,
                "signal": signal.kind.value,
                "verdict": verdict.value,
            },
        )
        shown = {
            "kind": signal.kind.value,
            "path": signal.page_path,
            "target": label or signal.target,
            "reason": signal.reason,
            "verdict": verdict.value,
        }
        if verdict is not Verdict.NUDGE:
            if ctx.on_signal is not None:
                await ctx.on_signal(signal.kind.value, signal.page_path, False, shown)
            return
        self.policy.shown(state.nudges, signal, at)
        query = words.nudge_query(signal, label, list(state.window.form_errors))
        retrieval = await self.guide.retrieve(query, ctx.page)
        text = words.compose(
            signal, label, query, retrieval, self.settings.min_confidence, ctx.base_url
        )
        nudge_id = secrets.token_hex(8)
        latency = (time.perf_counter() - started) * 1000
        await self.repo.add_nudge(
            nudge_id,
            ctx.session_id,
            signal_id=signal_id,
            kind=signal.kind.value,
            path=signal.page_path,
            text=text.text,
            sources=[s.model_dump() for s in text.sources],
            specific=text.specific,
            latency_ms=latency,
        )
        state.open = OpenNudge(nudge_id, signal.kind.value, signal.page_path, at)
        if ctx.on_signal is not None:
            await ctx.on_signal(signal.kind.value, signal.page_path, True, shown)
        await ctx.send(
            p.Nudge(
                id=nudge_id,
                signal=signal.kind.value,
                text=text.text,
                actions=list(words.ACTIONS),
                sources=text.sources,
            )
        )

    # -- outcomes

    async def _widget_event(self, ctx: Context, state: SessionStruggle, event: p.Event) -> None:
        kind = event.kind
        if kind == "widget_input":
            self.policy.typing(state.nudges, event.t)
        elif kind == "widget_open":
            state.nudges.panel_open = True
        elif kind == "widget_close":
            state.nudges.panel_open = False
        elif kind in ("nudge_opened", "nudge_dismissed") and state.open is not None:
            nudge_id = str(event.data.get("nudge_id", ""))
            if nudge_id == state.open.id:
                dismissed = kind == "nudge_dismissed"
                self.policy.resolved(state.nudges, state.open.kind, state.open.path, dismissed)
                outcome = "dismissed" if dismissed else "opened"
                await self.repo.nudge_outcome(nudge_id, ctx.session_id, outcome=outcome)
        elif kind in ERROR_KINDS and state.open is not None:
            state.open.errors_after = True

    async def _maybe_succeeded(self, ctx: Context, state: SessionStruggle) -> None:
        opened = state.open
        assert opened is not None
        if not opened.errors_after and state.client_now() - opened.at < SUCCESS_WINDOW_MS:
            await self.repo.nudge_outcome(opened.id, ctx.session_id, succeeded=True)
        state.open = None


@dataclass
class Context:
    """What proactive help needs from a connection, without importing the socket layer."""

    holder: object  # where the session's struggle state lives (the connection)
    session_id: str
    page_view_id: int | None
    page: p.PageContext | None
    base_url: str
    send: Send
    refresh: Callable[[], Context]
    # told of every signal (kind, path, nudged?, what the agent inbox shows)
    on_signal: Callable[[str, str, bool, dict], Awaitable[None]] | None = None
