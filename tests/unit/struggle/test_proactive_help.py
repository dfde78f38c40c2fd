"""Proactive help's wiring, with the storage and the retrieval counted rather than real: the
hesitation timer looks only at sessions with something to hesitate over and runs only that
detector; an explicit nudge costs no retrieval."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pageguide import proactive
from pageguide import protocol as p
from pageguide.proactive import Context, ProactiveHelp
from pageguide.retrieval.search import Retrieval
from pageguide.settings import Settings
from pageguide.struggle import SignalKind, StruggleSettings, registry
from pageguide.struggle.signals import Detector

T = 1_700_000_000_000
ERRORS = ["Card number is required."]


class Repo:
    def __init__(self) -> None:
        self.signals: list[dict[str, Any]] = []
        self.nudges: list[dict[str, Any]] = []
        self.outcomes: list[dict[str, Any]] = []
        self.db = None

    async def add_signal(self, session_id: str, page_view_id: int | None, **values: Any) -> int:
        self.signals.append(values)
        return len(self.signals)

    async def add_nudge(self, nudge_id: str, session_id: str, **values: Any) -> None:
        self.nudges.append(values)

    async def nudge_outcome(self, nudge_id: str, session_id: str, **values: Any) -> bool:
        self.outcomes.append(values)
        return True


class Guide:
    def __init__(self) -> None:
        self.queries: list[str] = []

    async def retrieve(self, query: str, page: p.PageContext | None) -> Retrieval:
        self.queries.append(query)
        return Retrieval(passages=[], confidence=0.0, page_dependent=False)


class Session:
    """One session's connection as proactive help sees it, on a clock the test moves."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.clock = T
        monkeypatch.setattr(proactive, "now_ms", lambda: self.clock)
        self.repo, self.guide, self.sent = Repo(), Guide(), []
        struggle = StruggleSettings(hesitation_idle_ms=5_000)
        settings = Settings(secret="s", struggle=struggle)
        self.help = ProactiveHelp(settings, self.repo, self.guide, struggle)  # type: ignore[arg-type]
        self.help.started("s1")

        async def nothing_stored(db: object, session_id: str) -> tuple[int, set]:
            return 0, set()

        monkeypatch.setattr(proactive.nudge_store, "session_nudges", nothing_stored)
        self.page = p.PageContext(url="http://x/billing", path="/billing")

    def ctx(self) -> Context:
        async def send(frame: p.Frame) -> None:
            self.sent.append(frame)

        return Context(None, "s1", None, self.page, "http://x", send, self.ctx)

    async def on_page(self, form_errors: list[str]) -> None:
        self.page = self.page.model_copy(update={"form_errors": form_errors})
        await self.help.on_page(self.ctx(), self.page)

    async def events(self, *events: tuple[str, dict[str, Any]]) -> None:
        frame = [p.Event(kind=k, t=self.clock, data=d) for k, d in events]
        await self.help.on_events(self.ctx(), frame)


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Session:
    return Session(monkeypatch)


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[SignalKind]:
    """The detectors that ran, in order."""
    calls: list[SignalKind] = []

    def counted(detector: Detector) -> Detector:
        def detect(inp: Any, settings: Any) -> Any:
            calls.append(detector.kind)
            return detector.detect(inp, settings)

        return Detector(detector.kind, detect)

    monkeypatch.setattr(registry, "DETECTORS", tuple(counted(d) for d in registry.DETECTORS))
    return calls


async def test_only_sessions_with_something_to_hesitate_over_are_ticked(session) -> None:
    await session.on_page([])
    await session.events(("click", {"effect": "dom"}))
    assert "s1" not in session.help.watched  # events alone are nothing to hesitate over
    await session.on_page(ERRORS)
    assert "s1" in session.help.watched
    await session.on_page([])  # fixed
    assert "s1" not in session.help.watched
    await session.events(("http_error", {"method": "GET", "path": "/api/poll", "status": 503}))
    assert "s1" not in session.help.watched  # polling nobody asked for: background noise
    await session.events(("submit", {}))
    session.clock += 300
    await session.events(("http_error", {"method": "POST", "path": "/api/pay", "status": 500}))
    assert "s1" in session.help.watched  # the user's own request failed


async def test_the_timer_runs_only_hesitation_and_lets_go_once_it_fired(session, ran) -> None:
    await session.on_page(ERRORS)
    await session.events(("click", {"effect": "dom"}))
    ran.clear()
    session.clock += 2_000
    await session.help.check("s1")
    assert ran == [SignalKind.HESITATION] and not session.sent
    session.clock += 4_000  # idle past the threshold
    await session.help.check("s1")
    assert ran == [SignalKind.HESITATION] * 2
    [nudge] = session.sent
    assert isinstance(nudge, p.Nudge) and nudge.signal == "hesitation"
    assert "s1" not in session.help.watched  # reported: nothing left until the user acts
    await session.help.check("s1")
    assert len(ran) == 2


async def test_an_explicit_nudge_costs_no_retrieval(session) -> None:
    await session.on_page([])
    await session.events(("widget_open", {}))
    session.clock += 2_000
    await session.events(("widget_close", {}))
    [nudge] = session.sent
    assert isinstance(nudge, p.Nudge) and nudge.signal == "explicit"
    assert session.guide.queries == []
    assert session.repo.nudges[0]["specific"] is False


async def test_state_is_made_on_the_first_event_and_dropped_after_the_last_socket_closes(
    session, monkeypatch
) -> None:
    monkeypatch.setattr(proactive, "RELEASE_GRACE_S", 0.05)
    timers = asyncio.create_task(session.help.tick_forever())
    try:
        session.help.connected(session.ctx())  # hello: no state yet
        assert "s1" not in session.help.sessions
        await session.on_page(ERRORS)
        assert "s1" in session.help.sessions and "s1" in session.help.watched
        session.help.disconnected("s1", None)
        assert "s1" not in session.help.watched  # no socket to nudge through
        await asyncio.sleep(0.2)
        assert "s1" not in session.help.sessions and "s1" not in session.help.new
    finally:
        timers.cancel()


async def test_a_quick_reconnect_keeps_the_state(session, monkeypatch) -> None:
    monkeypatch.setattr(proactive, "RELEASE_GRACE_S", 0.1)
    timers = asyncio.create_task(session.help.tick_forever())
    try:
        await session.on_page(ERRORS)
        kept = session.help.sessions["s1"]
        session.help.disconnected("s1", None)
        await asyncio.sleep(0.02)
        session.help.connected(session.ctx())  # a reload: the next page's hello
        await asyncio.sleep(0.2)
        assert session.help.sessions["s1"] is kept
    finally:
        timers.cancel()


async def test_a_question_counts_for_an_open_nudge_only_and_only_soon_after(session) -> None:
    await session.on_page([])
    await session.events(("widget_open", {}))
    session.clock += 2_000
    await session.events(("widget_close", {}))
    [nudge] = session.sent
    assert isinstance(nudge, p.Nudge)
    session.clock += proactive.ASK_WINDOW_MS + 1
    await session.help.on_ask(session.ctx())
    assert session.repo.outcomes == []  # long after: not the nudge's doing
    session.help.sessions["s1"].open.at = session.clock - 1_000  # type: ignore[union-attr]
    await session.events(("nudge_dismissed", {"nudge_id": nudge.id}))
    await session.help.on_ask(session.ctx())
    assert session.repo.outcomes == [{"outcome": "dismissed"}]  # dismissed: not asked


async def test_a_question_soon_after_a_nudge_is_recorded_once(session) -> None:
    await session.on_page([])
    await session.events(("widget_open", {}))
    session.clock += 2_000
    await session.events(("widget_close", {}))
    session.clock += 10_000
    await session.help.on_ask(session.ctx())
    await session.help.on_ask(session.ctx())
    assert session.repo.outcomes == [{"asked": True}]
