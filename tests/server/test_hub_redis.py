"""The Redis hub against a real Redis: two `RedisHub`s in one test stand for two server
processes. Each test has its own channel prefix, so tests (and test runs) never hear each other.

The outage tests run their own `redis-server` on a free port, so stopping it touches nobody else.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.support.cli import free_port
from tests.support.redis_local import REDIS_URL, UNREACHABLE, redis_reachable

from pageguide import protocol as p
from pageguide.hub import Hub, make_hub
from pageguide.hub_redis import REPLY_TIMEOUT, RedisHub

pytestmark = pytest.mark.skipif(not redis_reachable(), reason=UNREACHABLE)

MakeHub = Callable[..., Awaitable[RedisHub]]


class Widget:
    """Stands for a widget socket: keeps what it was sent."""

    def __init__(self, fail: bool = False) -> None:
        self.frames: list[p.Frame] = []
        self.fail = fail

    async def send(self, frame: p.Frame) -> None:
        if self.fail:
            raise ConnectionError("socket closed under us")
        self.frames.append(frame)


class Agent:
    """Stands for an agent socket."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    async def send(self, frame: dict[str, Any]) -> None:
        self.frames.append(frame)


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.fixture
async def hubs() -> AsyncIterator[MakeHub]:
    """make(url=REDIS_URL) -> a started hub; all of one test share a fresh channel prefix."""
    prefix = f"pageguide-test:{uuid.uuid4().hex}:"
    started: list[RedisHub] = []

    async def make(url: str = REDIS_URL) -> RedisHub:
        hub = RedisHub(url, prefix=prefix)
        await hub.start()
        started.append(hub)
        return hub

    yield make
    for hub in started:
        await hub.stop()


# ---------------------------------------------------------------- widgets


async def test_a_frame_reaches_the_widget_held_by_the_other_process(hubs: MakeHub) -> None:
    a, b = await hubs(), await hubs()
    widget = Widget()
    b.widget_online("s1", widget.send)

    said = p.AgentMessage(text="Hi! Let me look.", agent="Ana Lopez")
    assert await a.to_widget("s1", said) is True
    closed = p.Handoff(status="closed", message="This conversation is closed.", agent="Ana Lopez")
    assert await a.to_widget("s1", closed) is True

    assert widget.frames == [said, closed]
    assert [type(f) for f in widget.frames] == [p.AgentMessage, p.Handoff]  # real frames again


async def test_a_frame_for_a_widget_nobody_holds_is_reported_undelivered_at_once(
    hubs: MakeHub,
) -> None:
    a, b = await hubs(), await hubs()
    elsewhere = Widget()
    b.widget_online("someone-else", elsewhere.send)

    began = time.monotonic()
    assert await a.to_widget("gone", p.AgentMessage(text="hello?", agent="Ana")) is False
    assert time.monotonic() - began < REPLY_TIMEOUT / 2, "every process said no: no waiting"
    assert elsewhere.frames == []


async def test_a_widget_that_left_or_whose_socket_fails_is_not_counted_delivered(
    hubs: MakeHub,
) -> None:
    a, b = await hubs(), await hubs()
    left = Widget()
    b.widget_online("s-left", left.send)
    b.widget_offline("s-left", left.send)
    broken = Widget(fail=True)
    b.widget_online("s-broken", broken.send)

    assert await a.to_widget("s-left", p.AgentMessage(text="one", agent="Ana")) is False
    assert await a.to_widget("s-broken", p.AgentMessage(text="two", agent="Ana")) is False
    assert left.frames == []


async def test_a_widget_held_here_is_sent_to_directly(hubs: MakeHub) -> None:
    a = await hubs()
    widget = Widget()
    a.widget_online("s1", widget.send)
    assert await a.to_widget("s1", p.AgentMessage(text="near", agent="Ana")) is True
    assert [f.text for f in widget.frames] == ["near"]  # type: ignore[attr-defined]


# ---------------------------------------------------------------- agents


async def test_a_broadcast_reaches_the_agents_of_every_process_once(hubs: MakeHub) -> None:
    a, b = await hubs(), await hubs()
    here, there = Agent(), Agent()
    a.agent_online(1, here.send)
    b.agent_online(2, there.send)

    at = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    await a.to_agents({"type": "handoff", "handoff": {"id": "h1", "created_at": at}})
    await a.to_agents({"type": "learning", "drafts": 2, "flags": 0})

    async def both() -> bool:
        return len(here.frames) == len(there.frames) == 2

    await eventually(both)
    await asyncio.sleep(0.2)  # an echo of its own broadcast would arrive by now
    expected = [
        {"type": "handoff", "handoff": {"id": "h1", "created_at": str(at)}},
        {"type": "learning", "drafts": 2, "flags": 0},
    ]
    assert here.frames == expected and there.frames == expected


async def test_who_watches_a_handoff_is_known_and_served_across_processes(
    hubs: MakeHub,
) -> None:
    a, b = await hubs(), await hubs()
    watcher, bystander, local = Agent(), Agent(), Agent()
    b.agent_online(1, watcher.send)
    b.agent_online(2, bystander.send)
    a.agent_online(3, local.send)
    assert await a.watched("h1") is False

    b.watch(1, "h1")

    async def a_sees_h1_watched() -> bool:
        return await a.watched("h1")

    await eventually(a_sees_h1_watched)
    update = {"type": "session_update", "handoff_id": "h1", "kind": "page", "data": {"path": "/x"}}
    await a.to_agents(update, "h1")

    async def delivered() -> bool:
        return watcher.frames == [update]

    await eventually(delivered)
    await asyncio.sleep(0.2)
    assert bystander.frames == [] and local.frames == [], "only the watcher of h1 gets it"

    b.watch(1, "h2")  # one conversation at a time: h1 is no longer watched

    async def h1_forgotten() -> bool:
        return not await a.watched("h1") and await a.watched("h2")

    await eventually(h1_forgotten)
    b.agent_offline(1)

    async def h2_forgotten() -> bool:
        return not await a.watched("h2")

    await eventually(h2_forgotten)


# ---------------------------------------------------------------- outages


def test_without_a_redis_url_the_hub_is_the_in_process_one() -> None:
    assert type(make_hub(None)) is Hub
    assert isinstance(make_hub(REDIS_URL), RedisHub)


async def test_without_redis_this_processes_sockets_are_still_served(
    hubs: MakeHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pageguide.hub")
    hub = await hubs(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    assert not hub.connected
    assert "redis not reachable at start" in caplog.text

    widget, agent = Widget(), Agent()
    hub.widget_online("s1", widget.send)
    hub.agent_online(1, agent.send)
    hub.watch(1, "h1")
    assert await hub.to_widget("s1", p.AgentMessage(text="still here", agent="Ana")) is True
    await hub.to_agents({"type": "claimed", "handoff_id": "h1", "agent": "Ana"})
    assert await hub.watched("h1") is True
    began = time.monotonic()
    assert await hub.to_widget("elsewhere", p.AgentMessage(text="?", agent="Ana")) is False
    assert time.monotonic() - began < 0.5, "no waiting on a Redis that is down"
    assert len(widget.frames) == 1
    assert agent.frames == [{"type": "claimed", "handoff_id": "h1", "agent": "Ana"}]


@pytest.fixture
def own_redis() -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """start() -> a redis-server on one free port (the same port each time), ended after."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
             "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        procs.append(proc)
        deadline = time.monotonic() + 10
        while not redis_reachable(f"redis://127.0.0.1:{port}/0"):
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        return proc

    start.port = port  # type: ignore[attr-defined]
    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)


async def test_after_redis_comes_back_the_processes_route_again(
    hubs: MakeHub, own_redis: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pageguide.hub")
    server = own_redis()
    url = f"redis://127.0.0.1:{own_redis.port}/0"
    a, b = await hubs(url), await hubs(url)
    widget, watcher, local = Widget(), Agent(), Widget()
    b.widget_online("s1", widget.send)
    a.widget_online("s-local", local.send)
    b.agent_online(1, watcher.send)
    b.watch(1, "h1")
    assert await a.to_widget("s1", p.AgentMessage(text="before", agent="Ana")) is True

    server.terminate()
    server.wait(10)

    async def both_down() -> bool:
        return not a.connected and not b.connected

    await eventually(both_down)
    assert "redis subscriber down" in caplog.text
    assert await a.to_widget("s1", p.AgentMessage(text="during", agent="Ana")) is False
    assert await a.to_widget("s-local", p.AgentMessage(text="local", agent="Ana")) is True

    await asyncio.to_thread(own_redis)  # the same port again

    async def routing_again() -> bool:
        return a.connected and b.connected and await a.watched("h1")

    await eventually(routing_again, within=20)
    assert "redis subscriber back" in caplog.text
    assert await a.to_widget("s1", p.AgentMessage(text="after", agent="Ana")) is True
    await a.to_agents({"type": "session_update", "handoff_id": "h1", "kind": "page"}, "h1")

    async def watcher_served() -> bool:
        return len(watcher.frames) == 1

    await eventually(watcher_served)
    assert [f.text for f in widget.frames] == ["before", "after"]  # type: ignore[attr-defined]
    assert [f.text for f in local.frames] == ["local"]  # type: ignore[attr-defined]
