"""Bad input over a real socket: a clear error frame or a proper close code, every other
session keeps being served, and nothing already stored is lost."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
import websockets
from tests.conftest import KNOWLEDGE, page
from tests.support.server import LiveServer, run_server
from websockets.exceptions import ConnectionClosed, InvalidStatus

from pageguide.db import Database
from pageguide.db.queries import Repository
from pageguide.demo import CONFIG
from pageguide.settings import Settings
from pageguide.sites import Sites

BILLING = page("/app/settings/billing", "Billing — Lumen", ["Billing"])


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("bad-input")
    settings = Settings(data=data, knowledge=KNOWLEDGE, secret="s", config=CONFIG)
    with run_server(settings, embedder, Sites.load(CONFIG)) as live:
        yield live


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
    await client.hello(BILLING)
    await client.send(raw)
    error = await client.recv()
    assert error["type"] == "error" and error["code"] == code, error
    assert needle in error["message"]
    answer = await client.ask("how do I change my plan?")  # still serving this session
    assert answer["end"]["type"] == "answer_end"


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
    await client.hello(BILLING)
    await client.send(json.dumps({"type": "ask", "id": "1", "text": "x" * 10_000_000}))
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await client.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_a_flood_is_closed_but_other_sessions_and_stored_data_survive(
    server, connect
) -> None:
    calm = await connect(server)
    calm_ready = await calm.hello(BILLING)

    noisy = await connect(server)
    ready = await noisy.hello(BILLING)
    stored = await noisy.ask("how do I change my plan?", ask_id="kept")
    event = {"kind": "scroll", "t": 1_700_000_000_000}
    with pytest.raises(ConnectionClosed) as closed:
        for _ in range(1_000):  # 1,000 frames as fast as the socket takes them
            await noisy.send({"type": "events", "events": [event]})
        while True:
            frame = await noisy.recv()
            assert frame["type"] == "error" and frame["code"] == "flood"
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008

    answer = await calm.ask("how do I update my card?")  # the calm session is still served
    assert answer["end"]["confidence"] > 0

    db = Database(server.settings.database_url_or_default())
    try:
        repo = Repository(db)
        assert await repo.session_exists(ready["session_id"], "demo")
        assert await repo.answer_belongs(stored["end"]["id"], ready["session_id"])
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
