"""Fixtures shared by every tier: settings in a temporary data folder, the embedding model
(loaded once), live servers and WebSocket clients."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from pageguide.retrieval.embed import Embedder, shared_embedder
from pageguide.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"
EVAL_DOCS = ROOT / "tests/data/eval_docs/plausible/docs"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return shared_embedder()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data=tmp_path / "data", knowledge=KNOWLEDGE, secret="test-secret")


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Any]:
    """One live server with the demo knowledge and demo app, shared by read-mostly tests."""
    from tests.support.server import run_server

    from pageguide.demo import CONFIG
    from pageguide.sites import Sites

    data = tmp_path_factory.mktemp("demo-data")
    settings = Settings(data=data, knowledge=KNOWLEDGE, secret="test-secret", config=CONFIG)
    with run_server(settings, embedder, Sites.load(CONFIG), demo=True) as live:
        yield live


class WidgetClient:
    """A real WebSocket client speaking the widget protocol."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def recv(self, within: float = 10.0) -> dict[str, Any]:
        import asyncio

        return json.loads(await asyncio.wait_for(self.ws.recv(), within))

    async def hello(self, page: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
        frame = {"type": "hello", "site_key": "demo", "protocol": 1, **extra}
        if page is not None:
            frame["page"] = page
        await self.send(frame)
        return await self.recv()

    async def ask(self, text: str, ask_id: str | None = None) -> dict[str, Any]:
        """Ask and collect the whole streamed answer."""
        ask_id = ask_id or uuid.uuid4().hex[:8]
        await self.send({"type": "ask", "id": ask_id, "text": text})
        start = await self.recv()
        assert start["type"] == "answer_start", start
        deltas = []
        while True:
            frame = await self.recv()
            if frame["type"] == "answer_delta":
                deltas.append(frame["text"])
            elif frame["type"] == "answer_end":
                return {"start": start, "deltas": deltas, "text": "".join(deltas), "end": frame}
            else:
                raise AssertionError(f"unexpected frame {frame}")


def page(path: str, title: str, headings: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "url": f"http://127.0.0.1{path}",
        "path": path,
        "title": title,
        "headings": headings or [],
        **extra,
    }


@pytest.fixture
async def connect() -> AsyncIterator[Any]:
    """connect(live_server, origin=...) -> WidgetClient, closed at the end of the test."""
    import websockets

    opened: list[Any] = []

    async def _connect(live: Any, origin: str | None = None, path: str = "") -> WidgetClient:
        ws = await websockets.connect(
            live.ws_url + path, origin=origin or live.origin, max_size=None
        )
        opened.append(ws)
        return WidgetClient(ws)

    yield _connect
    for ws in opened:
        await ws.close()
