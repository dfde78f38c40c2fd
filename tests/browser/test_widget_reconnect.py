"""Drops and reconnection against the real server, through a Playwright WebSocket proxy that
can cut the line: backoff, resume of the same session, questions asked while offline, and an
answer cut off mid-stream."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pages.harness import launcher, wait_for

pytestmark = pytest.mark.browser


class Line:
    """Forwards every frame between the widget and the real server, and can cut the line or
    refuse new connections."""

    def __init__(self, page: Any) -> None:
        self.up = True
        self.cut_on: str | None = None  # cut instead of forwarding the first frame of this type
        self.to_server: list[dict] = []
        self.to_page: list[dict] = []
        self.open: list[tuple[Any, Any]] = []
        self.attempts = 0
        self.alive: dict[str, Any] = {}
        page.route_web_socket(re.compile(r".*/ws\?site_key=.*"), self._connect)

    def _connect(self, ws: Any) -> None:
        self.attempts += 1
        if not self.up:
            ws.close(code=1011, reason="line down")
            return
        server = ws.connect_to_server()
        self.open.append((ws, server))
        alive = self.alive = {"ws": ws}  # frames already in flight die with the line

        def up(message: str) -> None:
            if alive.get("ws") is None:
                return
            self.to_server.append(json.loads(message))
            server.send(message)

        def down(message: str) -> None:
            if alive.get("ws") is None:
                return
            frame = json.loads(message)
            if self.cut_on and frame["type"] == self.cut_on:
                self.cut_on = None
                self.up = False  # and stays down until the test says so
                self.cut()
                return
            self.to_page.append(frame)
            ws.send(message)

        ws.on_message(up)
        server.on_message(down)

    def cut(self) -> None:
        self.alive.clear()
        for ws, server in self.open:
            server.close()
            ws.close(code=1011, reason="cut")
        self.open.clear()

    def of(self, kind: str, frames: list[dict]) -> list[dict]:
        return [f for f in frames if f["type"] == kind]


def test_resume_after_a_drop_and_a_question_asked_while_offline(demo_server, page) -> None:
    line = Line(page)
    page.goto(demo_server.url + "/app/settings/billing")
    wait_for(page, lambda: line.of("ready", line.to_page), 15)
    first = line.of("ready", line.to_page)[0]
    launcher(page).click()
    line.up = False
    line.cut()
    status = page.locator("#pageguide-root").get_by_role("status")
    status.get_by_text("Reconnecting").wait_for()
    box = page.get_by_role("textbox", name="Your question")
    box.fill("how do I change my plan?")
    box.press("Enter")
    page.locator("#pageguide-root").get_by_text("Waiting for the connection").wait_for()
    wait_for(page, lambda: line.attempts >= 2, 10, "a retry while the line is down")
    line.up = True
    answer = page.locator("[data-answer]").first
    answer.locator(".rate").wait_for(timeout=30_000)
    assert "plan" in answer.inner_text().lower()
    hellos = line.of("hello", line.to_server)
    assert hellos[-1]["session_id"] == first["session_id"]
    assert hellos[-1]["resume_token"] == first["resume_token"]
    last_ready = line.of("ready", line.to_page)[-1]
    assert last_ready["resumed"] is True and last_ready["session_id"] == first["session_id"]
    assert not status.is_visible()
    assert page.locator("#pageguide-root").get_by_text("Waiting for the connection").count() == 0


def test_an_answer_cut_off_by_a_drop_is_completed_once(demo_server, page) -> None:
    line = Line(page)
    page.goto(demo_server.url + "/app/settings/billing")
    wait_for(page, lambda: line.of("ready", line.to_page), 15)
    line.cut_on = "answer_delta"  # the answer has started on the page, and never goes on
    launcher(page).click()
    box = page.get_by_role("textbox", name="Your question")
    box.fill("how do I change my plan?")
    box.press("Enter")
    answer = page.locator("[data-answer]").first
    answer.get_by_text("Connection lost").wait_for()  # clearly marked while the line is down
    line.up = True
    answer.locator(".rate").wait_for(timeout=30_000)
    asks = line.of("ask", line.to_server)
    assert asks[0]["id"] == asks[1]["id"], "re-sent with the same id after the reconnect"
    # The server replays what it stored; if the drop left it nothing, the widget asks anew.
    assert len(asks) in (2, 3)
    assert page.locator("[data-answer]").count() == 1
    assert "plan" in answer.inner_text().lower()
    assert answer.locator(".warn").count() == 0
