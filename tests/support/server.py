"""Real uvicorn on a free port on 127.0.0.1, in a thread of the test process.

The embedding model is loaded once per test run and handed to every app, so starting a
server costs a migration and an index load, not a model load.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import uvicorn

from pageguide.app import create_app
from pageguide.retrieval.embed import Embedder
from pageguide.settings import Settings
from pageguide.sites import Sites


@dataclass
class LiveServer:
    url: str
    port: int
    settings: Settings
    server: uvicorn.Server

    @property
    def ws_url(self) -> str:
        return self.url.replace("http", "ws", 1) + "/ws"

    @property
    def origin(self) -> str:
        return self.url


@contextlib.contextmanager
def run_server(
    settings: Settings,
    embedder: Embedder,
    sites: Sites | None = None,
    demo: bool = False,
    timeout: float = 60.0,
) -> Iterator[LiveServer]:
    app = create_app(settings, sites, demo=demo, embedder=embedder)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        ws_max_size=settings.max_frame_bytes,
        ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_ping_timeout,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not (server.started and server.servers):
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    while httpx.get(url + "/healthz").status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("server never became healthy")
        time.sleep(0.05)
    try:
        yield LiveServer(url, port, settings, server)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
