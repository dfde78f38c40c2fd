"""What the widget adds to the host page's main thread per click, in headless Chromium.

A page with 5,000 elements (1,000 buttons whose handler changes the DOM, as a real app's do) is
loaded twice: without the widget, and with it (booted, with a session). In each, the same
buttons are clicked N times from page script and the time spent dispatching the clicks is
measured with performance.now(): the difference is what our passive listeners cost inside the
host's click task. The widget finishes its work on a click a second later in a timer of its
own (naming the target, deciding the click's effect); the CPU time of everything the page ran,
timers included, is read from Chrome's Performance.getMetrics (ScriptDuration) over the whole
run and reported per click as well.

The widget talks to a stand-in server on the same port (it answers `hello` with `ready` and
ignores the rest), so no model or database is needed.

    .venv/bin/python bench/widget_overhead.py [-n 2000] [--rounds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import threading
from http import HTTPStatus
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "widget" / "dist"
ELEMENTS = 5_000
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WIDGET_TAG = '<script src="/widget.js" data-site-key="bench" async></script>'

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bench</title>{widget}
</head><body><h1>Five thousand elements</h1><main id="m"></main><script>
const m = document.getElementById("m");
for (let i = 0; i < {rows}; i++) {{
  const row = document.createElement("div"); row.className = "row r" + i;
  const label = document.createElement("span"); label.textContent = "Row " + i;
  const b = document.createElement("button"); b.type = "button"; b.className = "b";
  b.textContent = "Toggle " + i;
  b.addEventListener("click", () => row.classList.toggle("on"));
  const note = document.createElement("em"); note.textContent = "note";
  row.append(label, b, note); m.append(row);
}}
</script></body></html>"""

CLICKS = """async (n) => {
  const buttons = document.querySelectorAll("button.b");
  for (let i = 0; i < 200; i++) buttons[i].click(); // warm up
  await new Promise((r) => setTimeout(r, 1200));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) buttons[(i * 7) % buttons.length].click();
  return (performance.now() - t0) * 1000 / n;
}"""


def serve() -> tuple[str, Any]:
    from websockets.datastructures import Headers
    from websockets.http11 import Response
    from websockets.sync.server import serve as ws_serve

    def handler(connection: Any) -> None:
        for message in connection:
            if json.loads(message).get("type") == "hello":
                connection.send(
                    json.dumps({"type": "ready", "session_id": "bench", "resume_token": "t"})
                )

    def http(connection: Any, request: Any) -> Any:
        path = request.path.split("?")[0]
        if path == "/ws":
            return None  # the WebSocket handshake
        if path in ("/with", "/without"):
            body = PAGE.format(widget=WIDGET_TAG if path == "/with" else "", rows=ELEMENTS // 5)
            kind = "text/html"
        elif path == "/widget.js" or path.startswith("/widget/"):
            body = (DIST / path.lstrip("/")).read_text()
            kind = "text/javascript"
        else:
            return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
        headers = Headers({"Content-Type": kind, "Access-Control-Allow-Origin": "*"})
        data = body.encode()
        headers["Content-Length"] = str(len(data))
        return Response(200, "OK", headers, data)

    server = ws_serve(handler, "127.0.0.1", 0, process_request=http)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.socket.getsockname()[1]}", server


def script_seconds(cdp: Any) -> float:
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return next(m["value"] for m in metrics if m["name"] == "ScriptDuration")


def measure(browser: Any, url: str, clicks: int, widget: bool) -> dict[str, float]:
    page = browser.new_page()
    page.goto(url)
    if widget:
        page.wait_for_function("() => document.getElementById('pageguide-root')", timeout=15_000)
        page.wait_for_timeout(500)  # the socket is up
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    before = script_seconds(cdp)
    dispatch_us = page.evaluate(CLICKS, clicks)
    page.wait_for_timeout(1500)  # the widget's deferred per-click work runs in here
    total_us = (script_seconds(cdp) - before) * 1e6 / clicks
    page.close()
    return {"dispatch_us": dispatch_us, "script_us": total_us}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="clicks per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not (DIST / "manifest.json").exists():
        raise SystemExit("widget not built: run `make widget`")

    from playwright.sync_api import sync_playwright

    url, server = serve()
    runs: dict[str, list[dict[str, float]]] = {"without": [], "with": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        for _ in range(args.rounds):  # interleaved, so both see the same machine
            runs["without"].append(measure(browser, url + "/without", args.n, False))
            runs["with"].append(measure(browser, url + "/with", args.n, True))
        browser.close()
    server.shutdown()

    def median(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[kind])

    result: dict[str, Any] = {
        "elements": ELEMENTS,
        "clicks_per_round": args.n,
        "rounds": args.rounds,
    }
    for key in ("dispatch_us", "script_us"):
        without, with_ = median("without", key), median("with", key)
        result[key] = {
            "without": round(without, 2),
            "with": round(with_, 2),
            "added": round(with_ - without, 2),
            "ratio": round(with_ / without, 3) if without else None,
        }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    d, s = result["dispatch_us"], result["script_us"]
    print(f"page with {ELEMENTS} elements, {args.n} clicks x {args.rounds} rounds (medians)")
    print(
        f"click dispatch: {d['without']} µs without, {d['with']} µs with the widget: "
        f"+{d['added']} µs per click (x{d['ratio']})"
    )
    print(
        f"all script incl. deferred work: {s['without']} µs without, {s['with']} µs with: "
        f"+{s['added']} µs per click (x{s['ratio']})"
    )


if __name__ == "__main__":
    main()
