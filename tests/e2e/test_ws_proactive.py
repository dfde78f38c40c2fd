"""Proactive help end to end: struggle events in, a page-aware nudge out, its outcome stored;
the typing rule; the welcome."""

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
CARD = "Card number is required."


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder) -> Iterator[LiveServer]:
    settings = Settings(
        data=tmp_path_factory.mktemp("proactive"), knowledge=KNOWLEDGE, secret="s", config=CONFIG
    )
    with run_server(settings, embedder, Sites.load(CONFIG)) as live:
        yield live


def now() -> int:
    return int(time.time() * 1000)


def clicks(
    n: int, text: str, selector: str, effect: str = "none", gap: int = 250, t0: int | None = None
) -> list[dict]:
    t0 = now() if t0 is None else t0
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


# ---------------------------------------------------------------- outcomes


async def settled(client) -> list[dict]:
    """Every frame the server sent until it has handled everything sent before this call."""
    await client.send({"type": "barrier"})  # unknown: answered with an error, in order
    frames = []
    while (frame := await client.recv())["type"] != "error" or "barrier" not in frame["message"]:
        frames.append(frame)
    return frames


def event(kind: str, t: int, **data: object) -> dict:
    return {"kind": kind, "t": t, "data": data}


async def error_loop_nudge(client, t0: int) -> dict:
    """Saving the payment form twice with the card number missing: an error loop, a nudge."""
    invalid = {"message": CARD, "field": "card"}
    attempts = [event("submit", t0), event("invalid", t0 + 50, **invalid)]
    attempts += [event("submit", t0 + 2_500), event("invalid", t0 + 2_550, **invalid)]
    await client.send({"type": "events", "events": attempts})
    nudge = await client.recv()
    assert nudge["type"] == "nudge" and nudge["signal"] == "error_loop", nudge
    return nudge


async def stored(server: LiveServer, nudge_id: str) -> m.Nudge:
    db = Database(server.settings.database_url_or_default())
    try:
        async with db.session() as s:
            row = await s.get(m.Nudge, nudge_id)
            assert row is not None
            return row
    finally:
        await db.close()


async def test_fixing_the_form_and_sending_it_through_is_success(server, connect) -> None:
    client = await connect(server)
    await client.hello({**BILLING, "form_errors": [CARD]})
    t0 = now()
    nudge = await error_loop_nudge(client, t0)
    sent = await stored(server, nudge["id"])
    assert sent.outcome == "sent" and sent.sent_at is not None and sent.shown_at is None
    shown = event("nudge_shown", t0 + 2_700, nudge_id=nudge["id"], signal="error_loop")
    await client.send({"type": "events", "events": [shown]})
    await settled(client)
    displayed = await stored(server, nudge["id"])
    assert displayed.outcome == "shown"  # the widget displayed it
    assert displayed.sent_at == sent.sent_at and displayed.shown_at >= sent.sent_at

    # one more failed try after the nudge, then the fix goes through and the page moves on
    again = [event("submit", t0 + 5_000), event("invalid", t0 + 5_050, message=CARD)]
    fixed = [event("input", t0 + 8_000), event("submit", t0 + 12_000)]
    await client.send({"type": "events", "events": again + fixed})
    await client.send({"type": "page", **page("/app/dashboard", "Dashboard — Lumen")})
    await settled(client)
    row = await stored(server, nudge["id"])
    assert row.succeeded and row.outcome == "shown"


async def test_leaving_with_the_error_on_screen_is_not_success(server, connect) -> None:
    client = await connect(server)
    await client.hello({**BILLING, "form_errors": [CARD]})
    nudge = await error_loop_nudge(client, now())
    await client.send({"type": "page", **page("/app/dashboard", "Dashboard — Lumen")})
    await settled(client)
    # ... and stays so: coming back with the form fixed later is not the nudge's doing
    await client.send({"type": "page", **BILLING})
    await settled(client)
    row = await stored(server, nudge["id"])
    assert not row.succeeded and row.outcome == "sent"


async def test_the_same_struggle_coming_back_is_not_success(server, connect) -> None:
    client = await connect(server)
    await client.hello(TEAM)
    t0 = now()
    await client.send({"type": "events", "events": clicks(2, "Send invite", "#invite", t0=t0)})
    nudge = await client.recv()
    assert nudge["type"] == "nudge" and nudge["signal"] == "dead_click"
    # later, another control on the same page does nothing either; then they leave
    later = clicks(2, "Resend", "#resend", t0=t0 + 8_000)
    await client.send({"type": "events", "events": later})
    await client.send({"type": "page", **page("/app/dashboard", "Dashboard — Lumen")})
    frames = await settled(client)
    assert not [f for f in frames if f["type"] == "nudge"]
    assert not (await stored(server, nudge["id"])).succeeded


# ---------------------------------------------------------------- typing in the widget


async def close_while_typing_then_dead_clicks(
    client, clicks_after_typing_ms: int
) -> tuple[str, list[dict]]:
    """Open the panel, type in it, close it; then two dead clicks on the page. Each panel
    event goes in its own frame, as the widget sends them. (session id, frames received)"""
    ready = await client.hello(BILLING)
    t0 = now()
    for frame in (event("widget_open", t0), event("widget_input", t0 + 1_000)):
        await client.send({"type": "events", "events": [frame]})
    await client.send({"type": "events", "events": [event("widget_close", t0 + 1_500)]})
    dead = clicks(2, "Save", "#payment-save", t0=t0 + 1_000 + clicks_after_typing_ms)
    await client.send({"type": "events", "events": dead})
    return ready["session_id"], await settled(client)


async def verdicts(server: LiveServer, session_id: str) -> set[tuple[str, str]]:
    db = Database(server.settings.database_url_or_default())
    try:
        async with db.session() as s:
            rows = await s.scalars(select(m.SignalRow).where(m.SignalRow.session_id == session_id))
            return {(r.kind, r.verdict) for r in rows}
    finally:
        await db.close()


async def test_no_nudge_right_after_typing_in_the_widget_though_the_panel_closed(
    server, connect
) -> None:
    client = await connect(server)
    session, frames = await close_while_typing_then_dead_clicks(client, 1_000)
    assert [f["type"] for f in frames] == ["welcome"]  # no nudge
    # closing without asking and the dead clicks were both seen, and held back for typing
    assert await verdicts(server, session) == {("explicit", "typing"), ("dead_click", "typing")}


async def test_once_typing_is_a_few_seconds_old_the_same_clicks_nudge(server, connect) -> None:
    client = await connect(server)
    session, frames = await close_while_typing_then_dead_clicks(client, 5_000)
    assert [f["signal"] for f in frames if f["type"] == "nudge"] == ["dead_click"]
    assert ("dead_click", "nudge") in await verdicts(server, session)


async def test_asking_after_opening_a_nudge_keeps_the_time_it_was_opened(server, connect) -> None:
    client = await connect(server)
    await client.hello(TEAM)
    t0 = now()
    await client.send({"type": "events", "events": clicks(2, "Send invite", "#invite", t0=t0)})
    nudge = await client.recv()
    assert nudge["type"] == "nudge"
    opened = event("nudge_opened", t0 + 1_000, nudge_id=nudge["id"], signal=nudge["signal"])
    await client.send({"type": "events", "events": [opened]})
    await settled(client)
    first = await stored(server, nudge["id"])
    assert first.outcome == "opened" and first.outcome_at is not None and not first.asked
    await client.ask("how do I invite a member?")
    row = await stored(server, nudge["id"])
    assert row.asked and row.outcome == "opened" and row.outcome_at == first.outcome_at


async def test_a_question_after_dismissing_the_nudge_is_not_counted(server, connect) -> None:
    client = await connect(server)
    await client.hello(TEAM)
    t0 = now()
    await client.send({"type": "events", "events": clicks(2, "Send invite", "#invite", t0=t0)})
    nudge = await client.recv()
    dismissed = event("nudge_dismissed", t0 + 1_000, nudge_id=nudge["id"], signal="dead_click")
    await client.send({"type": "events", "events": [dismissed]})
    await client.ask("how do I change my plan?")
    row = await stored(server, nudge["id"])
    assert row.outcome == "dismissed" and not row.asked
