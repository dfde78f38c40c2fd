"""Bad input over a real socket: a clear error frame or a proper close code, every other
session keeps being served, and nothing already stored is lost."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import websockets
from sqlalchemy import select
from tests.conftest import KNOWLEDGE, WidgetClient, page
from tests.support.server import LiveServer, run_server
from websockets.exceptions import ConnectionClosed, InvalidStatus

from pageguide.db import Database
from pageguide.db import models as m
from pageguide.db.queries import Repository
from pageguide.demo import CONFIG
from pageguide.settings import Settings
from pageguide.sites import Sites

BILLING = page("/app/settings/billing", "Billing — Lumen", ["Billing"])
T0 = 1_700_000_000_000  # client clock of the events a session stores before its bad input


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("bad-input")
    settings = Settings(data=data, knowledge=KNOWLEDGE, secret="s", config=CONFIG)
    with run_server(settings, embedder, Sites.load(CONFIG)) as live:
        yield live


@dataclass
class Stored:
    """A session's rows as the database holds them."""

    events: list[tuple[str, int]]  # (kind, client t), in insertion order
    questions: dict[str, str]  # client id -> text
    answers: dict[str, str]  # answer id -> status


async def stored(live: LiveServer, session_id: str) -> Stored:
    db = Database(live.settings.database_url_or_default())
    try:
        async with db.session() as s:
            events = await s.execute(
                select(m.Event.kind, m.Event.client_t)
                .where(m.Event.session_id == session_id)
                .order_by(m.Event.id)
            )
            questions = await s.execute(
                select(m.Question.client_id, m.Question.text).where(
                    m.Question.session_id == session_id
                )
            )
            answers = await s.execute(
                select(m.Answer.id, m.Answer.status).where(m.Answer.session_id == session_id)
            )
            return Stored(
                events=[(kind, t) for kind, t in events],
                questions=dict(questions.tuples().all()),
                answers=dict(answers.tuples().all()),
            )
    finally:
        await db.close()


async def store_some(live: LiveServer, client: WidgetClient) -> tuple[dict[str, Any], Stored]:
    """hello, three events and an answered question; returns `ready` and the rows stored.
    Frames are handled in order, so once the answer has ended the events are in the database."""
    ready = await client.hello(BILLING)
    events = [{"kind": "scroll", "t": T0 + n, "y": 100.0 * n} for n in range(3)]
    await client.send({"type": "events", "events": events})
    answer = await client.ask("how do I change my plan?", ask_id="kept")
    before = await stored(live, ready["session_id"])
    assert before.events[:3] == [("scroll", T0), ("scroll", T0 + 1), ("scroll", T0 + 2)]
    assert before.questions == {"kept": "how do I change my plan?"}
    assert before.answers == {answer["end"]["id"]: "complete"}
    return ready, before


def kept(before: Stored, after: Stored) -> None:
    """Nothing the session had stored is gone or changed."""
    assert after.events[: len(before.events)] == before.events
    assert before.questions.items() <= after.questions.items()
    assert before.answers.items() <= after.answers.items()


def full_answer(answer: dict[str, Any]) -> None:
    assert answer["end"]["type"] == "answer_end"
    assert answer["text"] and answer["end"]["sources"] and answer["end"]["confidence"] > 0


async def closed_with(client, code: int) -> dict:
    """The error frame sent before the close, and the close code."""
    frame = await client.recv()
    with pytest.raises(ConnectionClosed) as closed:
        await client.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == code
    return frame


@pytest.mark.parametrize(
    ("raw", "code", "needle"),
    [
        ("{not json", "bad_json", "not valid JSON"),
        ("[1, 2]", "bad_frame", "JSON object"),
        ('{"type": "shout"}', "unknown_type", "unknown frame type 'shout'"),
        ('{"type": "ask", "id": "1"}', "bad_frame", "text: Field required"),
        (
            '{"type": "ask", "id": "1", "text": 42}',
            "bad_frame",
            "text: Input should be a valid string",
        ),
        ('{"type": "csat", "score": 9}', "bad_frame", "score"),
        ('{"type": "events", "events": [{"kind": "click"}]}', "bad_frame", "t: Field required"),
        (
            '{"type": "hello", "site_key": "demo", "protocol": 1}',
            "unexpected_frame",
            "second 'hello'",
        ),
    ],
)
async def test_bad_frames_get_an_error_and_the_session_stays_up(
    server, connect, raw, code, needle
) -> None:
    client = await connect(server)
    ready, before = await store_some(server, client)
    other = await connect(server)
    await other.hello(BILLING)

    async def bad_frame() -> dict[str, Any]:
        await client.send(raw)
        return await client.recv()

    # the other session asks while the bad frame is handled, and gets its whole answer
    error, answer = await asyncio.gather(bad_frame(), other.ask("how do I update my card?"))
    assert error["type"] == "error" and error["code"] == code, error
    assert needle in error["message"]
    full_answer(answer)
    again = await client.ask("how do I change my plan?")  # still serving this session
    full_answer(again)
    kept(before, await stored(server, ready["session_id"]))


async def test_ask_before_hello_is_refused_loudly(server, connect) -> None:
    client = await connect(server)
    await client.send({"type": "ask", "id": "1", "text": "hi"})
    error = await client.recv()
    assert error["code"] == "unexpected_frame"
    assert error["message"] == "expected 'hello' first, got 'ask'"
    assert (await client.hello(BILLING))["type"] == "ready"


async def test_unknown_site_key_is_closed_with_policy_violation(server, connect) -> None:
    client = await connect(server)
    await client.send({"type": "hello", "site_key": "nope", "protocol": 1})
    error = await closed_with(client, 1008)
    assert error["code"] == "unknown_site"


async def test_origin_not_allowed_is_closed_with_policy_violation(server, connect) -> None:
    client = await connect(server, origin="https://evil.example")
    await client.send({"type": "hello", "site_key": "demo", "protocol": 1})
    error = await closed_with(client, 1008)
    assert error["code"] == "origin_not_allowed"


async def test_site_key_in_url_refuses_a_wrong_origin_before_the_upgrade(server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(server.ws_url + "?site_key=demo", origin="https://evil.example")
    assert refused.value.response.status_code == 403


async def test_wrong_protocol_version_is_refused(server, connect) -> None:
    client = await connect(server)
    await client.send({"type": "hello", "site_key": "demo", "protocol": 99})
    error = await closed_with(client, 1008)
    assert error["code"] == "protocol_version"


async def test_binary_frame_is_closed_with_unsupported_data(server, connect) -> None:
    client = await connect(server)
    await client.hello(BILLING)
    await client.ws.send(b"\x00\x01")
    error = await closed_with(client, 1003)
    assert error["code"] == "binary_frame"


async def test_ten_megabyte_frame_is_closed_with_message_too_big(server, connect) -> None:
    client = await connect(server)
    ready, before = await store_some(server, client)
    other = await connect(server)
    await other.hello(BILLING)

    async def too_big() -> ConnectionClosed:
        with pytest.raises(ConnectionClosed) as closed:
            await client.send(json.dumps({"type": "ask", "id": "1", "text": "x" * 10_000_000}))
            while True:
                await client.recv()
        return closed.value

    closed, answer = await asyncio.gather(too_big(), other.ask("how do I update my card?"))
    assert closed.rcvd is not None and closed.rcvd.code == 1009
    full_answer(answer)  # the other session was served all along
    after = await stored(server, ready["session_id"])
    kept(before, after)
    assert "1" not in after.questions  # the oversized ask itself was never taken in
    full_answer(await other.ask("how do I change my plan?"))


async def test_a_flood_is_closed_but_other_sessions_and_stored_data_survive(
    server, connect
) -> None:
    calm = await connect(server)
    calm_ready = await calm.hello(BILLING)

    noisy = await connect(server)
    ready, before = await store_some(server, noisy)
    flood_t = T0 + 1_000

    async def flood() -> ConnectionClosed:
        with pytest.raises(ConnectionClosed) as closed:
            for n in range(1_000):  # 1,000 frames as fast as the socket takes them
                event = {"kind": "scroll", "t": flood_t + n}
                await noisy.send({"type": "events", "events": [event]})
            while True:
                frame = await noisy.recv()
                assert frame["type"] == "error" and frame["code"] == "flood"
        return closed.value

    # the calm session asks while the flood comes in, and is served in full
    closed, answer = await asyncio.gather(flood(), calm.ask("how do I update my card?"))
    assert closed.rcvd is not None and closed.rcvd.code == 1008
    full_answer(answer)

    after = await stored(server, ready["session_id"])
    kept(before, after)
    # Every frame accepted before the close is stored, in order: the burst at least (less
    # the three frames store_some spent), never the whole flood.
    flooded = after.events[len(before.events) :]
    assert flooded == [("scroll", flood_t + n) for n in range(len(flooded))]
    assert server.settings.flood_burst - 3 <= len(flooded) < 1_000

    db = Database(server.settings.database_url_or_default())
    try:
        repo = Repository(db)
        assert await repo.session_exists(ready["session_id"], "demo")
        assert await repo.session_exists(calm_ready["session_id"], "demo")
    finally:
        await db.close()

    # and the flooding user can come back to the same session
    back = await connect(server)
    resumed = await back.hello(
        BILLING, session_id=ready["session_id"], resume_token=ready["resume_token"]
    )
    assert resumed["resumed"] is True


async def test_many_bad_sessions_at_once_do_not_disturb_a_good_one(server, connect) -> None:
    good = await connect(server)
    await good.hello(BILLING)
    bad = [await connect(server) for _ in range(5)]

    async def misbehave(client) -> None:
        for raw in ("{", '{"type":"x"}', "[]"):
            await client.send(raw)
            await client.recv()

    results = await asyncio.gather(
        good.ask("how do I change my plan?"), *(misbehave(b) for b in bad)
    )
    assert results[0]["end"]["sources"]
