"""The panel against a scripted fake server (Playwright's WebSocket routing): safe rendering of
hostile text, nudges, handoff and agent messages, escalation, ratings and CSAT."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from pages.harness import fixture_server, launcher, wait_for

pytestmark = pytest.mark.browser

HOSTILE_ANSWER = (
    "**Bold** first step\n\n- one\n- two\n\n```\ncode <b>not bold</b>\n```\n\n"
    '<img src=x onerror="window.__pwned=1"> and [click me](javascript:window.__pwned=2) '
    "and [the guide](https://example.com/help/plans)"
)


class FakeServer:
    """Answers like the real server, as scripted; records every frame the widget sends."""

    def __init__(self, page: Any, reply: Callable[[dict], list[dict]] | None = None) -> None:
        self.sent: list[dict] = []
        self.sockets: list[Any] = []
        self.reply = reply or (lambda frame: [])
        page.route_web_socket(re.compile(r".*/ws\?site_key=.*"), self._connect)

    def _connect(self, ws: Any) -> None:
        self.sockets.append(ws)
        ws.on_message(lambda message: self._message(ws, json.loads(message)))

    def _message(self, ws: Any, frame: dict) -> None:
        self.sent.append(frame)
        if frame["type"] == "hello":
            self.push({"type": "ready", "session_id": "s1", "resume_token": "r1"})
        for out in self.reply(frame):
            self.push(out)

    def push(self, frame: dict) -> None:
        self.sockets[-1].send(json.dumps(frame))

    def of(self, kind: str) -> list[dict]:
        return [f for f in self.sent if f["type"] == kind]

    def events(self, kind: str) -> list[dict]:
        return [e for f in self.of("events") for e in f["events"] if e["kind"] == kind]


def answer(ask: dict, text: str, **end: Any) -> list[dict]:
    half = len(text) // 2
    return [
        {"type": "answer_start", "id": "a-" + ask["id"], "in_reply_to": ask["id"]},
        {"type": "answer_delta", "id": "a-" + ask["id"], "text": text[:half]},
        {"type": "answer_delta", "id": "a-" + ask["id"], "text": text[half:]},
        {"type": "answer_end", "id": "a-" + ask["id"], "confidence": 0.8, **end},
    ]


def open_and_ask(page: Any, text: str = "help?") -> None:
    launcher(page).click()
    box = page.get_by_role("textbox", name="Your question")
    box.fill(text)
    box.press("Enter")


@pytest.fixture
def base(demo_server) -> str:
    return fixture_server(demo_server.url) + "/fixture/spa.html"


def flush_events(page: Any) -> None:
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")


def test_hostile_answer_text_renders_as_safe_markdown(base, page) -> None:
    def reply(frame: dict) -> list[dict]:
        if frame["type"] != "ask":
            return []
        sources = [
            {"title": "Plans", "url": "https://example.com/help/plans"},
            {"title": "Evil", "url": "javascript:window.__pwned=3"},
        ]
        return answer(frame, HOSTILE_ANSWER, sources=sources)

    FakeServer(page, reply)
    page.goto(base)
    open_and_ask(page)
    bubble = page.locator("[data-answer]").first
    bubble.locator(".rate").wait_for()
    text = bubble.locator(".text")
    assert text.locator("strong").first.inner_text() == "Bold"
    assert text.locator("li").all_inner_texts() == ["one", "two"]
    assert text.locator("pre code").inner_text() == "code <b>not bold</b>"
    assert '<img src=x onerror="window.__pwned=1">' in text.inner_text()
    assert [a.get_attribute("href") for a in text.locator("a").all()] == [
        "https://example.com/help/plans"
    ]
    assert "click me" in text.inner_text()
    page.get_by_text("click me").click()
    assert [a.get_attribute("href") for a in bubble.locator(".sources a").all()] == [
        "https://example.com/help/plans"
    ]
    assert page.locator("#pageguide-root img, #pageguide-root b").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_nudges_are_shown_dismissed_and_opened(base, page) -> None:
    server = FakeServer(page)
    page.goto(base)
    wait_for(page, lambda: server.of("hello"), 15)
    server.push(
        {
            "type": "nudge",
            "id": "n1",
            "signal": "dead_click",
            "text": "Stuck on saving?",
            "actions": [],
        }
    )
    card = page.locator("#pageguide-root").get_by_role("region", name="Help suggestion")
    card.get_by_text("Stuck on saving?").wait_for()
    card.get_by_role("button", name="Dismiss").click()
    wait_for(page, lambda: not card.is_visible(), 5)
    server.push(
        {
            "type": "nudge",
            "id": "n2",
            "signal": "error_loop",
            "text": "That VAT ID needs a country code.",
            "actions": ["Show me how"],
        }
    )
    card.get_by_role("button", name="Show me how").click()
    page.get_by_role("textbox", name="Your question").wait_for()
    assert (
        page.locator("#pageguide-root .log")
        .get_by_text("That VAT ID needs a country code.")
        .is_visible()
    )
    flush_events(page)
    wait_for(page, lambda: server.events("nudge_opened"), 6)
    kinds = [
        (e["kind"], e["data"].get("nudge_id"))
        for f in server.of("events")
        for e in f["events"]
        if e["kind"].startswith("nudge_")
    ]
    assert kinds == [
        ("nudge_shown", "n1"),
        ("nudge_dismissed", "n1"),
        ("nudge_shown", "n2"),
        ("nudge_opened", "n2"),
    ]
    assert server.events("nudge_opened")[0]["data"]["signal"] == "error_loop"


def test_escalation_handoff_agent_messages_feedback_and_csat(base, page) -> None:
    def reply(frame: dict) -> list[dict]:
        if frame["type"] == "ask":
            return answer(frame, "I am not sure.", sources=[], offer_human=True)
        if frame["type"] == "escalate":
            return [{"type": "error", "code": "unavailable", "message": "no human channel"}]
        return []

    server = FakeServer(page, reply)
    page.goto(base)
    open_and_ask(page)
    bubble = page.locator("[data-answer]").first
    bubble.get_by_role("button", name="Helpful", exact=True).click()
    wait_for(page, lambda: server.of("feedback"), 5)
    assert server.of("feedback")[0] == {
        "type": "feedback",
        "message_id": bubble.get_attribute("data-answer"),
        "rating": "up",
    }
    bubble.get_by_role("button", name="Talk to a person").click()
    log = page.locator("#pageguide-root .log")
    log.get_by_text("nobody from our team can join").wait_for()
    assert server.of("escalate") == [{"type": "escalate"}]

    server.push(
        {"type": "handoff", "status": "assigned", "message": "Sam has joined.", "agent": "Sam"}
    )
    server.push({"type": "agent_message", "text": "Hi, <b>I</b> can help.", "agent": "Sam"})
    log.get_by_text("Hi, <b>I</b> can help.").wait_for()
    server.push({"type": "handoff", "status": "closed", "message": "The conversation is closed."})
    log.get_by_role("button", name="4 of 5: Good").click()
    wait_for(page, lambda: server.of("csat"), 5)
    assert server.of("csat") == [{"type": "csat", "score": 4}]
    # Once per session: closing the panel after answers does not ask again.
    page.keyboard.press("Escape")
    page.wait_for_timeout(200)
    assert (
        page.locator("#pageguide-root").get_by_role("region", name="Rate this conversation").count()
        == 0
    )


def test_csat_after_closing_the_panel_once_per_session(base, page) -> None:
    server = FakeServer(
        page, lambda f: answer(f, "Do this.", sources=[]) if f["type"] == "ask" else []
    )
    page.goto(base)
    open_and_ask(page)
    page.locator("[data-answer] .rate").wait_for()
    page.locator("#pageguide-root").get_by_role("button", name="Close help").click()
    card = page.locator("#pageguide-root").get_by_role("region", name="Rate this conversation")
    card.get_by_role("button", name="5 of 5: Excellent").click()
    wait_for(page, lambda: server.of("csat"), 5)
    assert server.of("csat") == [{"type": "csat", "score": 5}]
    launcher(page).click()
    page.locator("#pageguide-root").get_by_role("button", name="Close help").click()
    page.wait_for_timeout(200)
    assert not card.get_by_role("button", name="5 of 5: Excellent").is_visible()
