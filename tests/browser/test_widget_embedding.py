"""Embedding: one script tag, the stub queue, a guest that adds one global and warns once, the
files the server serves (a short-cached loader, content-hashed modules) and the size budget."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import httpx
import pytest
from pages.harness import Frames, fixture_server, launcher, wait_for, wait_ready

from pageguide import web

pytestmark = pytest.mark.browser

DIST = Path(__file__).resolve().parents[2] / "widget" / "dist"
LOADER_BUDGET = 1536  # bytes gzipped, as in widget/build.mjs
TOTAL_BUDGET = 15 * 1024


def test_size_budget_of_the_built_files() -> None:
    manifest = json.loads((DIST / "manifest.json").read_text())
    sizes = {
        name: len(gzip.compress((DIST / name).read_bytes(), 9))
        for name in ["widget.js", *manifest["files"]]
    }
    assert sizes["widget.js"] <= LOADER_BUDGET, sizes
    assert sum(sizes.values()) <= TOTAL_BUDGET, sizes


def test_loader_and_hashed_files_are_served_with_their_caches(demo_server) -> None:
    manifest = json.loads((DIST / "manifest.json").read_text())
    loader = httpx.get(demo_server.url + "/widget.js")
    assert loader.status_code == 200
    assert loader.headers["cache-control"] == "public, max-age=300"
    assert loader.headers["access-control-allow-origin"] == "*"
    assert loader.headers["content-type"].startswith("text/javascript")
    assert manifest["core"] in loader.text  # the loader knows the hashed name
    again = httpx.get(
        demo_server.url + "/widget.js", headers={"if-none-match": loader.headers["etag"]}
    )
    assert again.status_code == 304
    core = httpx.get(f"{demo_server.url}/{manifest['core']}")
    assert core.status_code == 200
    assert core.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert core.headers["access-control-allow-origin"] == "*"
    assert httpx.get(demo_server.url + "/widget/core.NOTBUILT.js").status_code == 404
    assert httpx.get(demo_server.url + "/widget/..%2Fmanifest.json").status_code == 404


def test_an_unbuilt_widget_is_a_clear_503(demo_server, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(web, "widget_dist", lambda: tmp_path)
    for path in ["/widget.js", "/widget/core.ABCDEFGH.js"]:
        response = httpx.get(demo_server.url + path)
        assert response.status_code == 503
        assert "make widget" in response.text


def test_calls_queued_by_the_stub_are_replayed(demo_server, page) -> None:
    frames = Frames(page)
    page.goto(fixture_server(demo_server.url) + "/fixture/stub.html")
    wait_ready(page, frames)
    hello = frames.of("hello")[0]
    assert hello["identity_token"] == "identity-token-123"
    assert hello["page"]["meta"] == {"plan": "pro", "project": "Apollo", "flags": {"beta": True}}
    assert hello["page"]["route"] == "/projects/:id"
    track = wait_for(page, lambda: frames.events("track"), 6)[0]
    assert track["data"] == {"source": "stub", "name": "signup_started"}
    assert page.evaluate("window.readyFired") == 1
    assert len(frames.sockets) == 1, "identify before the socket opened needs no reconnect"


def test_a_second_copy_or_init_warns_once_and_does_nothing(demo_server, page) -> None:
    warnings: list[str] = []
    page.on("console", lambda m: m.type == "warning" and warnings.append(m.text))
    frames = Frames(page)
    page.goto(fixture_server(demo_server.url) + "/fixture/twice.html")
    wait_ready(page, frames)
    page.wait_for_timeout(300)
    assert [w for w in warnings if "Pageguide" in w] == [
        "Pageguide: the widget script is included twice; the second copy does nothing."
    ]
    assert page.locator("pageguide-widget").count() == 1
    assert len(frames.sockets) == 1


def test_no_globals_but_pageguide_and_no_leaked_styles(demo_server, page) -> None:
    frames = Frames(page)
    page.goto(fixture_server(demo_server.url) + "/fixture/bare.html")
    before = set(page.evaluate("Object.getOwnPropertyNames(window)"))
    page.evaluate(
        """(src) => { const s = document.createElement('script'); s.src = src;
        s.dataset.siteKey = 'demo'; document.head.append(s); }""",
        demo_server.url + "/widget.js",
    )
    wait_ready(page, frames)
    launcher(page).click()
    page.get_by_role("textbox", name="Your question").wait_for()
    after = set(page.evaluate("Object.getOwnPropertyNames(window)"))
    assert after - before == {"Pageguide"}
    assert sorted(page.evaluate("Object.keys(Pageguide)")) == sorted(
        ["init", "identify", "setContext", "open", "close", "track", "on"]
    )


def test_our_styles_do_not_reach_host_elements(demo_server, page) -> None:
    frames = Frames(page)
    page.goto(fixture_server(demo_server.url) + "/fixture/spa.html")
    look = (
        "() => { const s = getComputedStyle(document.getElementById('lookalike'));"
        " return [s.backgroundColor, s.position, s.borderRadius, s.color]; }"
    )
    before = page.evaluate(look)
    wait_ready(page, frames)
    launcher(page).click()
    page.get_by_role("textbox", name="Your question").wait_for()
    assert page.evaluate(look) == before


def test_api_open_close_and_on(demo_server, page) -> None:
    frames = Frames(page)
    page.goto(fixture_server(demo_server.url) + "/fixture/spa.html")
    page.evaluate(
        """() => { window.seen = []; const off = Pageguide.on('open', () => seen.push('open'));
        Pageguide.on('close', () => seen.push('close')); window.offOpen = off; }"""
    )
    wait_ready(page, frames)
    page.evaluate("Pageguide.open()")
    box = page.get_by_role("textbox", name="Your question")
    box.wait_for()
    page.evaluate("Pageguide.close()")
    wait_for(page, lambda: not box.is_visible(), 5)
    page.evaluate("offOpen(); Pageguide.open()")
    box.wait_for()
    assert page.evaluate("seen") == ["open", "close"]
    kinds = [
        e["kind"] for e in wait_for(page, lambda: len(frames.events()) >= 3 and frames.events(), 6)
    ]
    assert kinds.count("widget_open") == 2 and kinds.count("widget_close") == 1
