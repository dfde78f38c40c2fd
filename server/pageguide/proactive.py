"""Proactive help: events → struggle signals → the nudge policy → a page-aware nudge.

The detectors and the policy are pure (struggle/); this module feeds them a session's events,
stores every signal with the policy's verdict, writes the nudge text from the knowledge for
the page, stores the nudge, and only then sends it. It also tracks each nudge's outcome.
A session that never struggles costs nothing here: its state is created on its first event.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from . import nudge_store
from . import protocol as p
from .db.queries import Repository
from .guidance import nudge as words
from .guidance.answer import Guide
from .settings import Settings
from .struggle import Signal, SignalKind, StruggleSettings, StruggleWindow
from .struggle.outcome import FollowUp, Outcome
from .struggle.policy import NudgePolicy, NudgeSettings, NudgeState, Verdict

log = logging.getLogger("pageguide.proactive")
MAX_SESSIONS = 50_000  # struggle states kept; the oldest idle session goes first
MAX_TITLES = 16  # page titles kept per session, to name the pages of a navigation loop
TIMER_KINDS = (SignalKind.HESITATION,)  # the only detector that idle time alone can fire
# A reload, or the next page of a multi-page app, reconnects within seconds: the state (window,
# cooldowns, open nudge) waits this long after the session's last socket closes.
RELEASE_GRACE_S = 30.0
ASK_WINDOW_MS = 120_000  # a question counts as the nudge's `asked` this long after it
HESITATE, RELEASE = "hesitate", "release"  # what a timer does when it comes due

Send = Callable[[p.Frame], Awaitable[None]]


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(slots=True)
class OpenNudge:
    id: str
    kind: str
    path: str
    at: int  # when it was sent, client clock
    follow: FollowUp | None  # what happens next, until it says whether the nudge helped
    dismissed: bool = False
    asked: bool = False


class SessionStruggle:
    """One session's struggle state, kept across its sockets."""

    __slots__ = ("nudges", "offset", "open", "titles", "window")

    def __init__(self, settings: StruggleSettings) -> None:
        self.window = StruggleWindow(settings)
        self.nudges = NudgeState()
        self.offset = 0  # server clock minus client clock, in ms
        self.open: OpenNudge | None = None
        self.titles: dict[str, str] = {}  # path -> page title, the latest few pages

    def client_now(self) -> int:
        return now_ms() - self.offset

    def saw_page(self, page: p.PageContext) -> None:
        self.titles.pop(page.path, None)
        self.titles[page.path] = page.title
        if len(self.titles) > MAX_TITLES:
            del self.titles[next(iter(self.titles))]


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
        # sessions with something to hesitate over; each has a timer at its threshold
        self.watched: dict[str, SessionStruggle] = {}
        self.sessions: OrderedDict[str, SessionStruggle] = OrderedDict()
        # each session's open connections (holder -> its context), the latest active last
        self.connections: dict[str, dict[object, Callable[[], Context]]] = {}
        self.new: set[str] = set()  # begun here and no state yet: nothing stored to read back
        # one heap of timers on the loop clock, run by one task (run_timers); a timer whose
        # entry in `due` changed or went is stale and skipped
        self.timers: list[tuple[float, int, str, str]] = []
        self.due: dict[tuple[str, str], float] = {}
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None
        self._checks: set[asyncio.Task[None]] = set()

    # -- connections

    def started(self, session_id: str) -> None:
        """A session that began on this connection: it has nothing stored to read back."""
        self.new.add(session_id)

    def connected(self, ctx: Context) -> None:
        """A socket of the session is open (and the latest active): keep its state."""
        conns = self.connections.setdefault(ctx.session_id, {})
        conns.pop(ctx.holder, None)
        conns[ctx.holder] = ctx.refresh
        self._cancel(RELEASE, ctx.session_id)

    def disconnected(self, session_id: str, holder: object) -> None:
        """One socket closed. Only the session's last one stops its timer; its state goes after
        `RELEASE_GRACE_S`, unless it reconnects first (a reload, the next page)."""
        conns = self.connections.get(session_id)
        if conns is not None:
            conns.pop(holder, None)
            if conns:
                return  # another tab of the session is still open: it may hesitate there
            del self.connections[session_id]
        self.watched.pop(session_id, None)
        self._cancel(HESITATE, session_id)
        if session_id in self.sessions or session_id in self.new:
            self._schedule(RELEASE, session_id, RELEASE_GRACE_S)

    def _release(self, session_id: str) -> None:
        if session_id not in self.connections:
            self.sessions.pop(session_id, None)
            self.new.discard(session_id)

    # -- inputs from the gateway

    def _remember(self, session_id: str, state: SessionStruggle) -> SessionStruggle:
        self.sessions[session_id] = state
        if len(self.sessions) > MAX_SESSIONS:
            self.sessions.popitem(last=False)  # the least recently active session
        return state

    async def state(self, ctx: Context) -> SessionStruggle:
        """The session's state, kept across its sockets: a multi-page app opens a new socket on
        every page load, and a loop, a cooldown or a dismissal spans pages. Made on the
        session's first event, so a session that never sends one costs nothing."""
        self.connected(ctx)
        existing = self.sessions.get(ctx.session_id)
        if existing is not None:
            self.sessions.move_to_end(ctx.session_id)
            return existing
        state = self._remember(ctx.session_id, SessionStruggle(self.struggle))
        if ctx.session_id in self.new:
            self.new.discard(ctx.session_id)
            return state
        # First sight in this process of a session that may have history (a resume after a
        # restart, a release or an eviction): the cap and the dismissals must not start again.
        count, dismissed = await nudge_store.session_nudges(self.repo.db, ctx.session_id)
        state.nudges.restore(count, dismissed)
        return state

    async def on_page(self, ctx: Context, page: p.PageContext) -> None:
        state = await self.state(ctx)
        now = state.client_now()
        state.window.set_page(page.path, page.form_errors, now)
        state.saw_page(page)
        follow = state.open.follow if state.open else None
        if follow is not None:
            await self._followed(ctx, state, follow.page(page.path, page.form_errors, now))
        self._watch(ctx.session_id, state, now)

    async def on_events(self, ctx: Context, events: Iterable[p.Event]) -> None:
        events = list(events)
        state = await self.state(ctx)
        newest = max(e.t for e in events)
        state.offset = now_ms() - newest  # latency included; good enough for idle timers
        for event in events:
            await self._widget_event(ctx, state, event)
            if state.open is not None and state.open.follow is not None:
                state.open.follow.event(event, self.struggle)
        state.window.add(events)  # the window keeps only the kinds its detectors read
        await self.evaluate(ctx, state, newest)
        if state.open is not None and state.open.follow is not None:
            await self._followed(ctx, state, state.open.follow.check(newest))
        self._watch(ctx.session_id, state, newest)

    async def on_ask(self, ctx: Context) -> None:
        state = await self.state(ctx)
        t = state.client_now()
        state.window.add([p.Event(kind="ask", t=t)])
        opened = state.open
        # Only a question soon after a nudge still on offer is the nudge's doing.
        if opened is not None and not opened.dismissed and not opened.asked:
            if t - opened.at <= ASK_WINDOW_MS:
                opened.asked = True
                await self.repo.nudge_outcome(opened.id, ctx.session_id, asked=True)

    # -- timers: hesitation at its threshold, and releasing a closed session's state

    def _schedule(self, what: str, session_id: str, delay_s: float) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + max(0.0, delay_s)
        self.due[(what, session_id)] = due
        heapq.heappush(self.timers, (due, next(self._seq), what, session_id))
        if self._wake is not None and self.timers[0][0] == due:
            self._wake.set()  # earlier than what the timer task sleeps towards

    def _cancel(self, what: str, session_id: str) -> None:
        self.due.pop((what, session_id), None)

    async def tick_forever(self) -> None:
        """The one timer task: sleeps until the earliest timer, runs it, and so on."""
        loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while True:
            while self.timers and self.due.get(self.timers[0][2:4]) != self.timers[0][0]:
                heapq.heappop(self.timers)  # cancelled or moved
            delay = self.timers[0][0] - loop.time() if self.timers else None
            if delay is not None and delay <= 0:
                _, _, what, session_id = heapq.heappop(self.timers)
                del self.due[(what, session_id)]
                if what == RELEASE:
                    self._release(session_id)
                else:  # its own task, so a slow write never delays another session's timer
                    task = asyncio.create_task(self.check(session_id))
                    self._checks.add(task)
                    task.add_done_callback(self._checks.discard)
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def check(self, session_id: str) -> None:
        """A watched session's hesitation threshold has come: run that detector alone."""
        state = self.watched.get(session_id)
        conns = self.connections.get(session_id)
        if state is None or not conns:
            return
        try:
            now = state.client_now()
            signals = state.window.evaluate(now, TIMER_KINDS)
            context = next(reversed(conns.values()))  # the tab the user acted in last
            for signal in signals:
                await self._signal(context(), state, signal, now)
            if self.watched.get(session_id) is not state:
                return  # a frame meanwhile re-armed or dropped it
            due = state.window.hesitation_due(now)
            # One report per idle stretch: after it, or with nothing left to hesitate over,
            # only the user's next frame can make this session worth a look again.
            if signals or due is None or due <= now:
                del self.watched[session_id]
            else:  # the clocks disagreed by a millisecond or two: look again then
                self._schedule(HESITATE, session_id, (due - now) / 1000)
        except Exception:
            log.exception("hesitation check failed", extra={"session": session_id})

    def _watch(self, session_id: str, state: SessionStruggle, now: int) -> None:
        """Sessions with form errors or a failed action on screen get a timer at the moment
        their idle stretch reaches the hesitation threshold."""
        due = state.window.hesitation_due(now)
        if due is None or session_id not in self.connections:
            self.watched.pop(session_id, None)
            self._cancel(HESITATE, session_id)
            return
        self.watched[session_id] = state
        # the threshold on the server's clock: the client's plus the measured offset
        self._schedule(HESITATE, session_id, (due + state.offset - now_ms()) / 1000)

    # -- signals to nudges

    async def evaluate(self, ctx: Context, state: SessionStruggle, at: int) -> None:
        for signal in state.window.evaluate(at):
            await self._signal(ctx, state, signal, at)

    async def _signal(self, ctx: Context, state: SessionStruggle, signal: Signal, at: int) -> None:
        started = time.perf_counter()
        follow = state.open.follow if state.open else None
        if follow is not None and follow.recurred(signal):
            await self._followed(ctx, state, Outcome.FAILED)
        verdict = self.policy.decide(state.nudges, signal, at)
        evidence = state.window.evidence(signal)
        label = words.evidence_label(signal, evidence, state.titles)
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
        # An explicit nudge's words never depend on the knowledge: no retrieval for it.
        retrieval = (
            await self.guide.retrieve(query, ctx.page) if words.needs_retrieval(signal) else None
        )
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
            outcome=nudge_store.SENT,
        )
        pages = words.loop_pages(evidence) if signal.kind is SignalKind.NAVIGATION_LOOP else ()
        follow = FollowUp.start(signal, at, state.window.form_errors, pages)
        state.open = OpenNudge(nudge_id, signal.kind.value, signal.page_path, at, follow)
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
        elif kind == "nudge_shown":
            nudge_id = str(event.data.get("nudge_id", ""))
            if nudge_id:
                await nudge_store.mark_shown(self.repo.db, nudge_id, ctx.session_id)
        elif kind in ("nudge_opened", "nudge_dismissed"):
            nudge_id = str(event.data.get("nudge_id", ""))
            if nudge_id:
                await self._resolved(ctx, state, nudge_id, dismissed=kind == "nudge_dismissed")

    async def _resolved(
        self, ctx: Context, state: SessionStruggle, nudge_id: str, dismissed: bool
    ) -> None:
        """The user opened or dismissed a nudge: the open one, or one sent before a restart, a
        release or on another process, found by id among the session's stored nudges."""
        opened = state.open
        if opened is not None and opened.id == nudge_id:
            kind, path = opened.kind, opened.path
            opened.dismissed = opened.dismissed or dismissed
            self.policy.resolved(state.nudges, kind, path, dismissed)
        else:
            found = await nudge_store.find(self.repo.db, nudge_id, ctx.session_id)
            if found is None:
                return  # not this session's: ignore it
            kind, path = found
            if dismissed:  # learn "never again here"; the nudge on screen (if any) stays
                state.nudges.restore(0, {(kind, path)})
        outcome = "dismissed" if dismissed else "opened"
        await self.repo.nudge_outcome(nudge_id, ctx.session_id, outcome=outcome)

    async def _followed(self, ctx: Context, state: SessionStruggle, outcome: Outcome) -> None:
        """Store a decided outcome and stop following (the nudge stays the open one)."""
        opened = state.open
        if outcome is Outcome.PENDING or opened is None or opened.follow is None:
            return
        opened.follow = None
        if outcome is Outcome.SUCCEEDED:
            await self.repo.nudge_outcome(opened.id, ctx.session_id, succeeded=True)
        log.info(
            "nudge outcome",
            extra={"session": ctx.session_id, "nudge": opened.id, "outcome": outcome.value},
        )


@dataclass
class Context:
    """What proactive help needs from a connection, without importing the socket layer."""

    holder: object  # the connection it came from (one session may have several)
    session_id: str
    page_view_id: int | None
    page: p.PageContext | None
    base_url: str
    send: Send
    refresh: Callable[[], Context]
    # told of every signal (kind, path, nudged?, what the agent inbox shows)
    on_signal: Callable[[str, str, bool, dict], Awaitable[None]] | None = None
