"""Memory per idle widget connection: `pageguide serve` against a bare WebSocket echo server.

    .venv/bin/python bench/memory_sessions.py [--json] [--quick] [-n N]

Both servers run as subprocesses on 127.0.0.1 with the same uvicorn settings as `pageguide
serve` (ws="auto", which in uvicorn 0.54 is websockets' sans-I/O protocol; ws_max_size 65536;
ping interval and timeout 20 s), so their VmRSS can be read alone; the client (this process,
asyncio + `websockets`) holds the other ends and, like a browser, offers permessage-deflate
(`--no-deflate` to see what that costs). For each server:

1. start it and wait until /healthz answers; warm it up with a few hundred connections that
   say hello and close, so first-use allocations are not charged to the measured connections;
2. read VmRSS (median of a few reads), open N connections, read again: the bare sockets;
3. on each connection send `hello` with a page (pageguide) or the same text (echo), wait for
   `ready` (or the echo), read again: idle sessions.

Per connection = ΔRSS / N. The figure of merit is pageguide/echo after hello (target ≤ 1.5).
Every socket is closed and both servers are killed at the end, also on error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # puts server/ and the repo root on sys.path

# isort: split
TARGET_RATIO = 1.5
CONCURRENCY = 200  # handshakes in flight at once
WARMUP = 300
WS_SETTINGS = {"ws_max_size": 65_536, "ws_ping_interval": 20.0, "ws_ping_timeout": 20.0}

# Pages of the demo product (knowledge/ maps its articles to these), for realistic hellos.
PAGES = [
    ("/app/settings/team", "Team · Settings · Lumen", ["Team", "Members", "Pending invitations"]),
    ("/app/settings/billing", "Billing · Settings · Lumen", ["Billing", "Plan", "Invoices"]),
    ("/app/settings/api-keys", "API keys · Settings · Lumen", ["API keys", "Create key"]),
    ("/app/dashboards", "Dashboards · Lumen", ["Dashboards", "Shared with me"]),
    ("/app/dashboards/q3-revenue", "Q3 revenue · Dashboards · Lumen", ["Q3 revenue", "Charts"]),
    ("/app/integrations/slack", "Slack · Integrations · Lumen", ["Slack", "Alerts", "Channels"]),
    ("/app/settings/security", "Security · Settings · Lumen", ["Sign-in", "Two-factor"]),
    ("/app/getting-started", "Getting started · Lumen", ["Welcome", "Connect a source"]),
]


def hello_text(i: int, port: int) -> str:
    path, title, headings = PAGES[i % len(PAGES)]
    page = {
        "url": f"http://127.0.0.1:{port}{path}",
        "path": path,
        "title": title,
        "headings": headings,
        "route": path,
    }
    return json.dumps({"type": "hello", "site_key": "demo", "protocol": 1, "page": page})


# -- the echo server (run as `memory_sessions.py --serve-echo PORT`)


def serve_echo(port: int, ws: str) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.send_text(await websocket.receive_text())

    async def healthz(_request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/healthz", healthz), WebSocketRoute("/ws", echo)])
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        ws=ws,
        log_config=None,
        access_log=False,
        lifespan="on",
        **WS_SETTINGS,
    )  # type: ignore[arg-type]


# -- the client


class Clients:
    """N open client connections, closed on exit whatever happened."""

    def __init__(self, url: str, origin: str, deflate: bool = True) -> None:
        self.url = url
        self.origin = origin
        self.deflate = deflate
        self.open: list[Any] = []
        self.failed = 0

    async def connect(self, n: int, budget_s: float) -> None:
        import websockets

        gate = asyncio.Semaphore(CONCURRENCY)

        async def one() -> None:
            async with gate:
                for attempt in range(3):
                    try:
                        ws = await websockets.connect(
                            self.url,
                            origin=self.origin,
                            ping_interval=None,
                            open_timeout=30,
                            max_size=None,
                            close_timeout=2,
                            compression="deflate" if self.deflate else None,
                        )
                        self.open.append(ws)
                        return
                    except (TimeoutError, OSError, websockets.InvalidHandshake):
                        await asyncio.sleep(0.2 * (attempt + 1))
                self.failed += 1

        await asyncio.wait_for(asyncio.gather(*(one() for _ in range(n))), budget_s)

    async def exchange(self, make: Any, expect: str | None, budget_s: float) -> int:
        """Send one text on every connection and wait for one reply each; returns failures."""
        gate = asyncio.Semaphore(CONCURRENCY)
        failures = 0

        async def one(i: int, ws: Any) -> None:
            nonlocal failures
            async with gate:
                try:
                    await ws.send(make(i))
                    reply = await asyncio.wait_for(ws.recv(), 30)
                    if expect is not None and json.loads(reply).get("type") != expect:
                        failures += 1
                except Exception:
                    failures += 1

        await asyncio.wait_for(
            asyncio.gather(*(one(i, ws) for i, ws in enumerate(self.open))), budget_s
        )
        return failures

    async def close(self) -> None:
        gate = asyncio.Semaphore(CONCURRENCY * 2)

        async def one(ws: Any) -> None:
            async with gate:
                try:
                    await asyncio.wait_for(ws.close(), 5)
                except Exception:
                    pass
                finally:
                    if ws.transport is not None:
                        ws.transport.abort()  # never leave a socket behind

        await asyncio.gather(*(one(ws) for ws in self.open), return_exceptions=True)
        self.open.clear()


def settled_rss(pid: int, reads: int = 5, gap: float = 0.4) -> int:
    """Median VmRSS (KiB) of a few reads once the server has had a moment to settle."""
    time.sleep(1.0)
    values = []
    for _ in range(reads):
        values.append(common.rss_kib(pid))
        time.sleep(gap)
    return int(statistics.median(values))


async def measure_server(
    name: str, pid: int, port: int, n: int, hello: bool, budget_s: float, deflate: bool
) -> dict[str, Any]:
    url, origin = f"ws://127.0.0.1:{port}/ws", f"http://127.0.0.1:{port}"
    expect = "ready" if hello else None

    warm = Clients(url, origin, deflate)
    try:
        await warm.connect(WARMUP, budget_s)
        await warm.exchange(lambda i: hello_text(i, port), expect, budget_s)
    finally:
        await warm.close()

    clients = Clients(url, origin, deflate)
    try:
        before = await asyncio.to_thread(settled_rss, pid)
        started = time.perf_counter()
        await clients.connect(n, budget_s)
        connect_s = time.perf_counter() - started
        opened = len(clients.open)
        sockets = await asyncio.to_thread(settled_rss, pid)
        started = time.perf_counter()
        failures = await clients.exchange(lambda i: hello_text(i, port), expect, budget_s)
        hello_s = time.perf_counter() - started
        sessions = await asyncio.to_thread(settled_rss, pid)
    finally:
        await clients.close()
    if opened < n * 0.99 or failures > n * 0.01:
        raise RuntimeError(f"{name}: {opened}/{n} connections opened, {failures} hellos failed")
    return {
        "connections": opened,
        "connect_failures": clients.failed,
        "hello_failures": failures,
        "rss_before_mib": round(before / 1024, 1),
        "rss_sockets_mib": round(sockets / 1024, 1),
        "rss_sessions_mib": round(sessions / 1024, 1),
        "per_socket_kib": round((sockets - before) / opened, 2),
        "per_session_kib": round((sessions - before) / opened, 2),
        "connect_s": round(connect_s, 1),
        "hello_s": round(hello_s, 1),
    }


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    n = args.connections or (2_000 if args.quick else 10_000)
    nofile = n + 2_048
    common.raise_nofile(nofile)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAGEGUIDE_")}
    os.environ.clear()
    os.environ.update(env)
    python = str(common.VENV_BIN / "python")
    results: dict[str, Any] = {
        "machine": common.machine_note(),
        "n": n,
        "ws": args.ws,
        "client_deflate": not args.no_deflate,
    }

    servers = {
        "echo": lambda port: [
            python,
            str(Path(__file__).resolve()),
            "--serve-echo",
            str(port),
            "--ws",
            args.ws,
        ],
        "pageguide": lambda port: [
            str(common.VENV_BIN / "pageguide"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--knowledge",
            str(common.KNOWLEDGE),
            "--data",
            str(work / "data"),
        ],
    }
    for name, argv in servers.items():
        port = common.free_port()
        with common.server_process(argv(port), work / f"{name}.log", nofile=nofile) as proc:
            common.wait_healthy(f"http://127.0.0.1:{port}/healthz", proc, timeout=300)
            print(
                f"[memory] {name} ready (pid {proc.pid}); opening {n} connections", file=sys.stderr
            )
            results[name] = asyncio.run(
                measure_server(
                    name,
                    proc.pid,
                    port,
                    n,
                    name == "pageguide",
                    budget_s=900,
                    deflate=not args.no_deflate,
                )
            )
            if proc.poll() is not None:
                raise RuntimeError(f"{name} died during the run (see {work / f'{name}.log'})")
    echo, guide = results["echo"], results["pageguide"]
    results["ratio_sessions"] = common.ratio(guide["per_session_kib"], echo["per_session_kib"])
    results["ratio_sockets"] = common.ratio(guide["per_socket_kib"], echo["per_socket_kib"])
    results["target"] = TARGET_RATIO
    results["meets_target"] = results["ratio_sessions"] <= TARGET_RATIO
    return results


def render(r: dict[str, Any]) -> str:
    rows = []
    for name in ("echo", "pageguide"):
        s = r[name]
        rows.append(
            [
                name,
                s["connections"],
                s["rss_before_mib"],
                s["rss_sessions_mib"],
                s["per_socket_kib"],
                s["per_session_kib"],
            ]
        )
    rows.append(["pageguide / echo", "", "", "", r["ratio_sockets"], r["ratio_sessions"]])
    return "\n".join(
        [
            f"memory per idle connection — {r['machine']}; uvicorn ws={r['ws']}; clients "
            f"{'offer' if r.get('client_deflate', True) else 'do not offer'} permessage-deflate",
            "",
            common.table(
                [
                    "server",
                    "connections",
                    "RSS before MiB",
                    "RSS after MiB",
                    "KiB / open socket",
                    "KiB / session (after hello)",
                ],
                rows,
            ),
            "",
            f"pageguide / echo per session = {r['ratio_sessions']}  (target ≤ {r['target']}: "
            f"{'met' if r['meets_target'] else 'MISSED'})",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="2,000 connections")
    parser.add_argument("-n", "--connections", type=int, default=0, help="default 10,000")
    parser.add_argument("--ws", default="auto", help="uvicorn ws protocol of the echo server")
    parser.add_argument(
        "--no-deflate",
        action="store_true",
        help="clients do not offer permessage-deflate (browsers do; shows what it costs)",
    )
    parser.add_argument("--serve-echo", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_echo:
        common.raise_nofile(65_536)
        serve_echo(args.serve_echo, args.ws)
        return
    with tempfile.TemporaryDirectory(prefix="pageguide-memory-") as tmp:
        result = run(args, Path(tmp))
    common.emit(result, args.json, render)


if __name__ == "__main__":
    main()
