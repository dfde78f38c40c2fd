"""`pageguide serve --knowledge DIR` with no config file, as a user runs it: the real console
script in a subprocess (started once for the module; it loads the model), JSON logs on.

It serves one development site, says so, prints the URL and the script tag, lets only
localhost pages in, shows ingestion progress in its log, and logs sessions as JSON lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets
from tests.conftest import page
from tests.support.cli import Served, json_lines, serve, write_knowledge
from websockets.exceptions import ConnectionClosed, InvalidStatus

BILLING = page("/app/settings/billing", "Billing", ["Billing", "Current plan"])
CATALOGUES = 70  # generated articles of 9 chunks: with the billing one, three embedding batches


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("cli-serve")
    knowledge = root / "docs"
    write_knowledge(knowledge, CATALOGUES)
    args = ["--knowledge", str(knowledge), "--data", str(root / "data"), "--log-format", "json"]
    with serve(args, root) as live:
        yield live


def records(served: Served, message: str) -> list[dict[str, Any]]:
    return [r for r in json_lines(served.stderr()) if r.get("message") == message]


def test_without_a_config_it_serves_the_development_site_and_says_so(served) -> None:
    (line,) = [r for r in json_lines(served.stderr()) if "development site 'demo'" in r["message"]]
    assert line["levelname"] == "WARNING" and "localhost" in line["message"]


def test_it_prints_the_url_and_the_script_tag_to_paste(served) -> None:
    out = served.stdout()
    assert f"Pageguide on {served.url}" in out
    tag = re.search(r'<script src="([^"]+)" data-site-key="demo" async></script>', out)
    assert tag is not None, out
    assert tag.group(1) == f"{served.url}/widget.js"
    widget = httpx.get(tag.group(1))  # the pasted tag loads the widget
    assert widget.status_code == 200 and "javascript" in widget.headers["content-type"]


def test_healthz_answers_once_the_folder_is_loaded(served) -> None:
    health = httpx.get(served.url + "/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["articles"] == CATALOGUES + 1


async def test_a_page_on_another_origin_is_refused_at_the_handshake(served) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(served.ws_url + "?site_key=demo", origin="http://evil.example")
    assert refused.value.response.status_code == 403


async def test_a_page_on_another_origin_is_closed_at_hello(served, connect) -> None:
    client = await connect(served, origin="http://evil.example")
    await client.send({"type": "hello", "site_key": "demo", "protocol": 1})
    error = await client.recv()
    assert error["code"] == "origin_not_allowed"
    with pytest.raises(ConnectionClosed) as closed:
        await client.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
async def test_a_page_on_localhost_is_served(served, connect, host) -> None:
    origin = f"http://{host}:{served.port}"
    client = await connect(served, origin=origin, path="?site_key=demo")
    ready = await client.hello(BILLING)
    assert ready["type"] == "ready" and ready["session_id"]


def test_ingestion_progress_is_logged_per_tenth_when_stderr_is_not_a_terminal(served) -> None:
    progress = records(served, "embedding knowledge")
    assert len(progress) >= 3, served.stderr()  # several batches, each past another tenth
    percents = [r["percent"] for r in progress]
    assert percents == sorted(set(percents)) and percents[-1] == 100
    tenths = [r["done"] * 10 // r["total"] for r in progress]
    assert len(set(tenths)) == len(tenths)  # never twice in the same tenth
    assert {r["total"] for r in progress} == {progress[-1]["done"]}
    # all of it before the server took its first connection
    lines = [r["message"] for r in json_lines(served.stderr())]
    assert lines.index("ingesting knowledge") < lines.index("embedding knowledge")
    assert max(i for i, m in enumerate(lines) if m == "embedding knowledge") < lines.index(
        "knowledge ingested"
    )
    assert "\r" not in served.stderr()  # no progress bar drawn into a log


async def test_every_log_line_is_json_and_a_session_logs_its_events(served, connect) -> None:
    client = await connect(served)
    ready = await client.hello(BILLING)
    answer = await client.ask("how do I change my plan?")
    assert answer["end"]["sources"] and answer["text"]
    await client.ws.close()
    session = ready["session_id"]

    started = served.wait_for_log(
        lambda r: r["message"] == "session started" and r.get("session") == session
    )
    assert started["site"] == "demo" and started["name"] == "pageguide.gateway"
    answered = served.wait_for_log(
        lambda r: r["message"] == "question answered" and r.get("session") == session
    )
    assert answered["path"] == "/app/settings/billing"
    assert answered["confidence"] == answer["end"]["confidence"]
    assert answered["composer"] and answered["status"] and answered["ms"] > 0
    served.wait_for_log(
        lambda r: r["message"] == "session disconnected" and r.get("session") == session
    )

    text = served.stderr()
    written = text[: text.rfind("\n") + 1]  # a line being written right now is not yet a line
    every = json_lines(written)
    assert len(every) == len(written.splitlines())  # every line, not only those looked for
    assert all({"asctime", "levelname", "name", "message"} <= r.keys() for r in every)
