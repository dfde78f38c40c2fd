"""Hesitation end to end: the nudge arrives at the idle threshold, not on the next tick of a
clock, and closing one tab of a session does not stop it in another."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from tests.conftest import KNOWLEDGE, page
from tests.support.server import LiveServer, run_server

from pageguide.demo import CONFIG
from pageguide.settings import Settings
from pageguide.sites import Sites
from pageguide.struggle import StruggleSettings

IDLE_MS = 800
BILLING = page(
    "/app/settings/billing",
    "Billing — Lumen",
    ["Billing", "Payment method"],
    form_errors=["Card number is required."],
)


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder) -> Iterator[LiveServer]:
    settings = Settings(
        data=tmp_path_factory.mktemp("hesitation"),
        knowledge=KNOWLEDGE,
        secret="s",
        config=CONFIG,
        struggle=StruggleSettings(hesitation_idle_ms=IDLE_MS),
    )
    with run_server(settings, embedder, Sites.load(CONFIG)) as live:
        yield live


def now() -> int:
    return int(time.time() * 1000)


async def typed_then_idle(client) -> int:
    """The user types in the form with its error on screen, then stops: the idle start."""
    t0 = now()
    await client.send({"type": "events", "events": [{"kind": "input", "t": t0}]})
    return t0


async def test_a_hesitation_nudge_comes_at_the_threshold(server, connect) -> None:
    late = []
    for _ in range(3):  # a 1 s tick would be this close to the threshold once in ten
        client = await connect(server)
        await client.hello(BILLING)
        t0 = await typed_then_idle(client)
        nudge = await client.recv(within=5)
        late.append(now() - (t0 + IDLE_MS))
        assert nudge["type"] == "nudge" and nudge["signal"] == "hesitation"
    assert all(-5 <= ms < 150 for ms in late), late


async def test_closing_one_tab_leaves_the_other_watched(server, connect) -> None:
    first = await connect(server)
    ready = await first.hello(BILLING)
    second = await connect(server)
    again = await second.hello(
        BILLING, session_id=ready["session_id"], resume_token=ready["resume_token"]
    )
    assert again["resumed"]
    await typed_then_idle(first)
    await first.send({"type": "barrier"})  # unknown: answered with an error once handled
    assert (await first.recv())["type"] == "error"
    await second.ws.close()  # then the other tab goes
    nudge = await first.recv(within=5)
    assert nudge["type"] == "nudge" and nudge["signal"] == "hesitation"
