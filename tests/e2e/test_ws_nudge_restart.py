"""The nudge policy's memory outlives the server: after a restart, a resumed session keeps its
dismissals and its count towards the cap (read back from the stored nudges)."""

from __future__ import annotations

import time

from sqlalchemy import select
from tests.conftest import KNOWLEDGE, page
from tests.support.server import run_server

from pageguide.db import Database
from pageguide.db import models as m
from pageguide.demo import CONFIG
from pageguide.settings import Settings
from pageguide.sites import Sites
from pageguide.struggle.policy import NudgeSettings

BILLING = page("/app/settings/billing", "Billing — Lumen", ["Billing", "Payment method"])
TEAM = page("/app/settings/team", "Team — Lumen", ["Team", "Invite member"])


def dead_clicks(text: str, selector: str) -> dict:
    t0 = int(time.time() * 1000)
    target = {"selector": selector, "text": text, "role": "button"}
    clicks = [
        {"kind": "click", "t": t0 + i * 300, "target": target, "x": 400, "y": 300,
         "data": {"effect": "none", "looks_interactive": True}}
        for i in range(2)
    ]  # fmt: skip
    return {"type": "events", "events": clicks}


async def settled(client) -> list[dict]:
    await client.send({"type": "barrier"})  # unknown: answered with an error, in order
    frames = []
    while (frame := await client.recv())["type"] != "error" or "barrier" not in frame["message"]:
        frames.append(frame)
    return frames


async def test_a_dismissal_and_the_cap_survive_a_restart(tmp_path, embedder, connect) -> None:
    settings = Settings(
        data=tmp_path,
        knowledge=KNOWLEDGE,
        secret="s",
        config=CONFIG,
        nudges=NudgeSettings(max_per_session=1),
    )
    with run_server(settings, embedder, Sites.load(CONFIG)) as first:
        client = await connect(first)
        ready = await client.hello(BILLING)
        await client.send(dead_clicks("Save", "#payment-save"))
        nudge = await client.recv()
        assert nudge["type"] == "nudge" and nudge["signal"] == "dead_click"
        dismissed = {"kind": "nudge_dismissed", "t": int(time.time() * 1000)}
        dismissed["data"] = {"nudge_id": nudge["id"], "signal": "dead_click"}
        await client.send({"type": "events", "events": [dismissed]})
        await settled(client)
        await client.ws.close()

    with run_server(settings, embedder, Sites.load(CONFIG)) as second:
        client = await connect(second)
        session = ready["session_id"]
        resumed = await client.hello(
            BILLING, session_id=session, resume_token=ready["resume_token"]
        )
        assert resumed["resumed"] and resumed["session_id"] == session
        await client.send(dead_clicks("Save", "#payment-save"))  # dismissed here before
        await client.send({"type": "page", **TEAM})
        await client.send(dead_clicks("Send invite", "#invite"))  # a new page: the cap
        frames = await settled(client)
        assert not [f for f in frames if f["type"] == "nudge"]

    db = Database(settings.database_url_or_default())
    try:
        async with db.session() as s:
            rows = await s.scalars(select(m.SignalRow).where(m.SignalRow.session_id == session))
            seen = {(r.path, r.verdict) for r in rows if r.kind == "dead_click"}
    finally:
        await db.close()
    assert seen == {
        ("/app/settings/billing", "nudge"),
        ("/app/settings/billing", "dismissed_before"),
        ("/app/settings/team", "session_cap"),
    }


async def test_dismissing_a_nudge_sent_before_a_restart_is_learned(
    tmp_path, embedder, connect
) -> None:
    settings = Settings(data=tmp_path, knowledge=KNOWLEDGE, secret="s", config=CONFIG)
    with run_server(settings, embedder, Sites.load(CONFIG)) as first:
        client = await connect(first)
        ready = await client.hello(BILLING)
        await client.send(dead_clicks("Save", "#payment-save"))
        nudge = await client.recv()
        assert nudge["type"] == "nudge" and nudge["signal"] == "dead_click"
        await client.ws.close()  # the card is still on screen when the server goes

    with run_server(settings, embedder, Sites.load(CONFIG)) as second:
        client = await connect(second)
        session = ready["session_id"]
        await client.hello(BILLING, session_id=session, resume_token=ready["resume_token"])
        dismissed = {"kind": "nudge_dismissed", "t": int(time.time() * 1000)}
        dismissed["data"] = {"nudge_id": nudge["id"], "signal": "dead_click"}
        await client.send({"type": "events", "events": [dismissed]})
        await client.send(dead_clicks("Save", "#payment-save"))  # cooldowns start afresh…
        frames = await settled(client)
        assert not [f for f in frames if f["type"] == "nudge"]

    db = Database(settings.database_url_or_default())
    try:
        async with db.session() as s:
            row = await s.get(m.Nudge, nudge["id"])
            rows = await s.scalars(select(m.SignalRow).where(m.SignalRow.session_id == session))
            seen = [r.verdict for r in rows if r.kind == "dead_click"]
    finally:
        await db.close()
    assert row is not None and row.outcome == "dismissed" and row.outcome_at is not None
    assert seen == ["nudge", "dismissed_before"]  # … but the dismissal holds
