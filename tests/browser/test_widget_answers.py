"""The widget in real Chromium on the demo app: open it, ask, watch the answer stream in."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.browser


def test_ask_on_the_billing_page_streams_a_sourced_answer(demo_server, page) -> None:
    received: list[dict] = []
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda payload: received.append(json.loads(payload))),
    )
    page.goto(demo_server.url + "/app/settings/billing")
    launcher = page.locator("#pageguide-root").get_by_role("button", name="Open help")
    launcher.click()
    box = page.get_by_role("textbox", name="Your question")
    box.fill("how do I change my plan?")
    box.press("Enter")

    answer = page.locator("[data-answer]").first
    answer.locator("a").first.wait_for()  # sources arrive with answer_end
    assert "plan" in answer.inner_text().lower()
    link = answer.locator(".sources a").first
    assert link.get_attribute("href").startswith(demo_server.url + "/help/")
    kinds = [f["type"] for f in received]
    assert kinds[0] == "ready"
    assert kinds.count("answer_delta") > 1, "streamed in several deltas"
    assert kinds.index("answer_start") < kinds.index("answer_delta") < kinds.index("answer_end")


def test_network_text_is_rendered_as_text_never_html(demo_server, page) -> None:
    page.goto(demo_server.url + "/app/dashboard")
    page.locator("#pageguide-root").get_by_role("button", name="Open help").click()
    box = page.get_by_role("textbox", name="Your question")
    box.fill('<img src=x onerror="window.__pwned=1"> what is this?')
    box.press("Enter")
    page.locator("[data-answer]").first.locator(".rate").wait_for()
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#pageguide-root img").count() == 0
