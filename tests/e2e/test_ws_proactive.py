"""Proactive help end to end: struggle events in, a page-aware nudge out; the welcome."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from tests.conftest import KNOWLEDGE, page
from tests.support.server import LiveServer, run_server

from pageguide.db import Database
from pageguide.db import models as m
from pageguide.demo import CONFIG
from pageguide.settings import Settings
from pageguide.sites import Sites

BILLING = page("/app/settings/billing", "Billing — Lumen", ["Billing", "Payment method"])
TEAM = page("/app/settings/team", "Team — Lumen", ["Team", "Invite member"])


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder) -> Iterator[LiveServer]:
    settings = Settings(
        data=tmp_path_factory.mktemp("proactive"), knowledge=KNOWLEDGE, secret="s", config=CONFIG
    )
    with run_server(settings, embedder, Sites.load(CONFIG)) as live:
        yield live


def clicks(n: int, text: str, selector: str, effect: str = "none", gap: int = 250) -> list[dict]:
    t0 = int(time.time() * 1000)
    return [
        {
            "kind": "click",
            "t": t0 + i * gap,
            "target": {"selector": selector, "text": text, "role": "button"},
            "x": 400 + i,
            "y": 300,
            "data": {"effect": effect, "looks_interactive": True},
        }
        for i in range(n)
    ]


async def test_clicking_a_dead_save_button_gets_a_specific_nudge(server, connect) -> None:
    client = await connect(server)
    ready = await client.hello(BILLING)
    await client.send({"type": "events", "events": clicks(4, "Save", "#payment-save")})
    nudge = await client.recv()
    assert nudge["type"] == "nudge" and nudge["signal"] in ("rage_click", "dead_click")
    assert "Card number" in nudge["text"] and "Save" in nudge["text"]
    assert len(nudge["text"]) < 260
    assert nudge["sources"][0]["title"].startswith("Update your payment method")
    assert nudge["actions"] == ["open", "escalate", "dismiss"]

    # dismissing it is stored, and the same kind on this page never nudges again
    dismissed = {
        "kind": "nudge_dismissed",
        "t": int(time.time() * 1000),
        "data": {"nudge_id": nudge["id"]},
    }
    await client.send({"type": "events", "events": [dismissed]})
    await client.send({"type": "events", "events": clicks(4, "Save", "#payment-save")})
    # no second nudge; but struggling again on a page after help was shown brings in a person
    handoff = await client.recv()
    assert handoff["type"] == "handoff" and handoff["status"] == "queued"

    db = Database(server.settings.database_url_or_default())
    try:
        async with db.session() as s:
            row = await s.get(m.Nudge, nudge["id"])
            assert row is not None and row.outcome == "dismissed" and row.specific
            signals = (
                await s.scalars(
                    select(m.SignalRow).where(m.SignalRow.session_id == ready["session_id"])
                )
            ).all()
            assert {sig.verdict for sig in signals} >= {"nudge"}
            held_back = {"nudge_on_screen", "session_cooldown", "dismissed_before"}
            assert held_back & {sig.verdict for sig in signals}  # one nudge at a time
    finally:
        await db.close()


async def test_a_carousel_next_button_does_not_nudge(server, connect) -> None:
    client = await connect(server)
    await client.hello(BILLING)
    await client.send(
        {"type": "events", "events": clicks(6, "Next", "#carousel-next", effect="dom")}
    )
    answer = await client.ask("how do I change my plan?")
    assert answer["start"]["type"] == "answer_start"  # no nudge came first


async def test_opening_the_widget_greets_with_questions_for_the_page(server, connect) -> None:
    client = await connect(server)
    await client.hello(TEAM)
    await client.send(
        {"type": "events", "events": [{"kind": "widget_open", "t": int(time.time() * 1000)}]}
    )
    welcome = await client.recv()
    assert welcome["type"] == "welcome" and welcome["path"] == "/app/settings/team"
    assert 2 <= len(welcome["suggestions"]) <= 3
    assert any("invite" in s.lower() for s in welcome["suggestions"])


async def test_a_page_with_no_knowledge_of_its_own_gets_general_suggestions(
    server, connect
) -> None:
    client = await connect(server)
    await client.hello(page("/app/reports/weird", "Reports — Lumen"))
    await client.send(
        {"type": "events", "events": [{"kind": "widget_open", "t": int(time.time() * 1000)}]}
    )
    welcome = await client.recv()
    assert welcome["suggestions"] and any("started" in s.lower() for s in welcome["suggestions"])
