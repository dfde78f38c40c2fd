"""End to end: real uvicorn, real WebSocket client, real Chroma and model, demo knowledge."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from tests.conftest import page

BILLING = page(
    "/app/settings/billing", "Billing — Lumen", ["Billing", "Current plan", "Payment method"]
)
TEAM = page("/app/settings/team", "Team — Lumen", ["Team", "Members", "Invite member"])
API_KEYS = page(
    "/app/settings/api-keys", "API keys — Lumen", ["API keys", "Your keys", "Create key"]
)


async def test_healthz_reports_loaded_knowledge(demo_server) -> None:
    async with httpx.AsyncClient() as http:
        body = (await http.get(demo_server.url + "/healthz")).json()
    assert body["status"] == "ok"
    assert body["articles"] >= 10


async def test_hello_then_streamed_grounded_answer(demo_server, connect) -> None:
    client = await connect(demo_server)
    ready = await client.hello(BILLING)
    assert ready["type"] == "ready" and len(ready["session_id"]) == 32 and ready["resume_token"]

    answer = await client.ask("how do I change my plan?")
    assert len(answer["deltas"]) > 1, "the answer is streamed in pieces"
    assert answer["end"]["confidence"] >= 0.35
    titles = [s["title"].lower() for s in answer["end"]["sources"]]
    assert any("plan" in t for t in titles), titles
    assert "plan" in answer["text"].lower()
    async with httpx.AsyncClient() as http:
        for source in answer["end"]["sources"]:
            assert source["url"].startswith(demo_server.url + "/help/")
            assert (await http.get(source["url"].split("#")[0])).status_code == 200


async def test_same_question_on_two_pages_gets_two_articles(demo_server, connect) -> None:
    first = await connect(demo_server)
    await first.hello(TEAM)
    on_team = await first.ask("what happens if I delete this?")
    second = await connect(demo_server)
    await second.hello(API_KEYS)
    on_keys = await second.ask("what happens if I delete this?")
    team_source = on_team["end"]["sources"][0]["url"]
    keys_source = on_keys["end"]["sources"][0]["url"]
    assert team_source != keys_source
    assert "member" in on_team["text"].lower()
    assert "key" in on_keys["text"].lower()


async def test_out_of_scope_question_is_declined_with_a_person_offered(
    demo_server, connect
) -> None:
    client = await connect(demo_server)
    await client.hello(BILLING)
    answer = await client.ask("write me a poem about the sea")
    assert answer["end"]["offer_human"] is True
    assert answer["end"]["sources"] == []
    assert "person" in answer["text"].lower()


async def test_page_frame_changes_what_is_answered(demo_server, connect) -> None:
    client = await connect(demo_server)
    await client.hello(TEAM)
    await client.send({"type": "page", **API_KEYS})
    answer = await client.ask("what happens if I delete this?")
    assert "key" in answer["end"]["sources"][0]["title"].lower()


async def test_feedback_and_csat_are_accepted_and_unknown_answer_refused(
    demo_server, connect
) -> None:
    client = await connect(demo_server)
    await client.hello(BILLING)
    answer = await client.ask("how do I update my card?")
    await client.send({"type": "feedback", "message_id": answer["end"]["id"], "rating": "up"})
    await client.send({"type": "csat", "score": 5})
    await client.send({"type": "feedback", "message_id": "nope", "rating": "down"})
    error = await client.recv()
    assert error == {
        "type": "error",
        "code": "not_found",
        "message": "no answer 'nope' in this session",
    }


async def test_resume_keeps_the_session_and_a_resent_question_is_not_answered_twice(
    demo_server, connect
) -> None:
    client = await connect(demo_server)
    ready = await client.hello(BILLING)
    first = await client.ask("how do I change my plan?", ask_id="same-id")
    await client.ws.close()

    again = await connect(demo_server)
    resumed = await again.hello(
        BILLING, session_id=ready["session_id"], resume_token=ready["resume_token"]
    )
    assert resumed["session_id"] == ready["session_id"] and resumed["resumed"] is True
    replay = await again.ask("how do I change my plan?", ask_id="same-id")
    assert replay["start"]["id"] == first["start"]["id"]
    assert replay["text"] == first["text"]


async def test_forged_resume_token_starts_a_new_session(demo_server, connect) -> None:
    client = await connect(demo_server)
    ready = await client.hello(BILLING)
    other = await connect(demo_server)
    forged = await other.hello(BILLING, session_id=ready["session_id"], resume_token="x" * 32)
    assert forged["session_id"] != ready["session_id"] and forged["resumed"] is False


async def test_events_arriving_while_an_answer_streams_are_handled(demo_server, connect) -> None:
    client = await connect(demo_server)
    await client.hello(BILLING)
    await client.send({"type": "ask", "id": "a1", "text": "how do I see my invoices?"})
    click = {"kind": "click", "t": 1_700_000_000_000, "target": {"selector": "#x"}}
    await client.send({"type": "events", "events": [click]})
    frames = []
    while not frames or frames[-1]["type"] != "answer_end":
        frames.append(await client.recv())
    assert all(f["type"] != "error" for f in frames)


@pytest.mark.parametrize("count", [3])
async def test_concurrent_sessions_each_get_their_own_answer(demo_server, connect, count) -> None:
    clients = [await connect(demo_server) for _ in range(count)]
    for client in clients:
        await client.hello(BILLING)
    answers = await asyncio.gather(*(c.ask("how do I change my plan?") for c in clients))
    ids = {a["start"]["id"] for a in answers}
    assert len(ids) == count
    assert all(json.dumps(a["end"]) for a in answers)
