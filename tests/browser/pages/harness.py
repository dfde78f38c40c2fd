"""Helpers for the widget's browser tests: a local server for the fixture pages (the widget
itself comes from the demo server, another origin, as on a real host), and a recorder of
every WebSocket frame the page sends and receives."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

PAGES = Path(__file__).parent
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}


class _Handler(BaseHTTPRequestHandler):
    server_url = ""  # the demo server, written into pages for {{SERVER}}

    def do_GET(self) -> None:
        path = self.path.split("?")[0].split("#")[0]
        if path.startswith("/api/"):
            return self._send(404, b'{"detail": "not found"}', "application/json")
        name = path.removeprefix("/fixture/")
        file = PAGES / name
        if not (path.startswith("/fixture/") and file.suffix in TYPES and file.is_file()):
            file = PAGES / "spa.html"  # an SPA's deep links all serve the app
        body = file.read_bytes().replace(b"{{SERVER}}", self.server_url.encode())
        headers = {}
        if file.suffix == ".html" and file.name in CSP:
            ws = self.server_url.replace("http", "ws", 1)
            headers["Content-Security-Policy"] = CSP[file.name].format(
                server=self.server_url, ws=ws
            )
        self._send(200, body, TYPES[file.suffix], headers)

    do_POST = do_GET

    def _send(self, status: int, body: bytes, kind: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


# The hostile page's policy: no 'unsafe-inline' anywhere, Trusted Types enforced, and only the
# lines docs/embedding.md tells a host to add for the widget.
CSP = {
    "hostile.html": "default-src 'none'; script-src 'self' {server}; connect-src 'self' {ws}; "
    "style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; "
    "require-trusted-types-for 'script'; trusted-types 'none'",
}
_servers: dict[str, str] = {}


def fixture_server(server_url: str) -> str:
    """The URL of a local HTTP server for the pages in this folder (another origin than the
    Pageguide server, as on a real host), started once per demo server."""
    if server_url not in _servers:
        handler = type("Handler", (_Handler,), {"server_url": server_url})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        _servers[server_url] = f"http://127.0.0.1:{httpd.server_address[1]}"
    return _servers[server_url]


class Frames:
    """Every frame of every widget socket on a page, decoded, in order."""

    def __init__(self, page: Any) -> None:
        self.sent: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        self.raw_sent: list[str] = []
        self.sockets: list[Any] = []
        page.on("websocket", self._attach)

    def _attach(self, ws: Any) -> None:
        self.sockets.append(ws)
        ws.on("framesent", self._sent)
        ws.on("framereceived", lambda payload: self.received.append(json.loads(payload)))

    def _sent(self, payload: str | bytes) -> None:
        text = payload if isinstance(payload, str) else payload.decode()
        self.raw_sent.append(text)
        self.sent.append(json.loads(text))

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.sent if f["type"] == kind]

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        found = [e for f in self.of("events") for e in f["events"]]
        return [e for e in found if kind is None or e["kind"] == kind]

    def received_of(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.received if f["type"] == kind]


def wait_for(page: Any, check: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Poll `check` (letting the page run) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        page.wait_for_timeout(50)


def wait_ready(page: Any, frames: Frames, count: int = 1) -> None:
    """Until the widget has a session (its `ready` frame number `count` arrived)."""
    wait_for(page, lambda: len(frames.received_of("ready")) >= count, 15, "the ready frame")


def launcher(page: Any) -> Any:
    return page.locator("#pageguide-root").get_by_role("button", name="Open help")


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion in a thread of its own: Playwright's sync API already
    runs an event loop in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def read_db(server: Any, read: Callable[[Any], Awaitable[T]]) -> T:
    """`read(session)` against the live server's database, from a browser test."""
    from pageguide.db import Database

    async def query() -> T:
        db = Database(server.settings.database_url_or_default())
        try:
            async with db.session() as s:
                return await read(s)
        finally:
            await db.close()

    return run_async(query)


def stored_nudge(server: Any, nudge_id: str) -> Any:
    from pageguide.db import models as m

    return read_db(server, lambda s: s.get(m.Nudge, nudge_id))
