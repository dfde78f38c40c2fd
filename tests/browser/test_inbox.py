"""The agent inbox end to end in headless Chromium: a visitor on the demo app asks for a person
in the widget; an agent in a second browser context signs in, finds the conversation in the
queue, reads the packet, claims it and replies; each sees the other's words live."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pages.harness import run_async
from playwright.sync_api import expect
from sqlalchemy import select

from pageguide.db import Database
from pageguide.db import models as m
from pageguide.inbox.auth import Agents

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
CSP_WORDS = ("content security policy", "content-security-policy", "refused to")


def add_agent(database_url: str, email: str, name: str) -> None:
    async def run() -> None:
        db = Database(database_url)
        try:
            await Agents(db).add(email, name, PASSWORD)
        finally:
            await db.close()

    run_async(run)


def handoff_id_for(database_url: str, session_id: str, timeout: float = 10.0) -> str:
    async def find() -> str | None:
        db = Database(database_url)
        try:
            async with db.session() as s:
                return await s.scalar(
                    select(m.HandoffRow.id).where(m.HandoffRow.session_id == session_id)
                )
        finally:
            await db.close()

    deadline = time.monotonic() + timeout
    while (found := run_async(find)) is None:
        assert time.monotonic() < deadline, f"no handoff for session {session_id}"
        time.sleep(0.1)
    return found


class Watch:
    """Console messages, page errors and CSP violations of one page."""

    def __init__(self, page: Any) -> None:
        self.console: list[str] = []
        self.errors: list[str] = []
        page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        # Recorded by the page itself too: a violation report does not always reach the console.
        page.add_init_script(
            "window.__csp = [];"
            "document.addEventListener('securitypolicyviolation', (e) =>"
            " window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
        )

    def csp_violations(self, page: Any) -> list[str]:
        assert page.evaluate("Array.isArray(window.__csp)"), "the CSP listener is not installed"
        from_console = [c for c in self.console if any(w in c.lower() for w in CSP_WORDS)]
        return from_console + page.evaluate("window.__csp")


@pytest.fixture
def agent_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_a_visitor_asks_for_a_person_and_an_agent_answers_in_the_inbox(
    demo_server: Any, page: Any, agent_page: Any
) -> None:
    url = demo_server.url
    database_url = demo_server.settings.database_url_or_default()
    email = f"sam-{uuid.uuid4().hex[:8]}@example.com"
    add_agent(database_url, email, "Sam Rivera")

    # --- the visitor, on the billing page of the demo app
    received: list[dict] = []
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda payload: received.append(json.loads(payload))),
    )
    visitor = Watch(page)
    page.goto(url + "/app/settings/billing")
    root = page.locator("#pageguide-root")
    root.get_by_role("button", name="Open help").click()
    box = root.get_by_role("textbox", name="Your question")
    box.fill("I need to talk to a person about my invoice")
    box.press("Enter")
    log = root.locator(".log")
    log.get_by_text("bringing in a person", exact=False).wait_for()
    expect(log.locator("[data-answer]")).to_have_count(0)  # no AI answer

    ready = [f for f in received if f["type"] == "ready"]
    assert ready, received
    handoff_id = handoff_id_for(database_url, ready[-1]["session_id"])

    # --- the agent, in a second browser context
    inbox = Watch(agent_page)
    agent_page.goto(url + "/inbox/login")
    agent_page.get_by_label("Email").fill(email)
    agent_page.get_by_label("Password").fill(PASSWORD)
    agent_page.get_by_role("button", name="Sign in").click()
    agent_page.wait_for_url(url + "/inbox")
    expect(agent_page.locator("#connection")).to_have_attribute("data-state", "live")

    item = agent_page.locator(f'#queue [data-handoff-id="{handoff_id}"]')
    expect(item).to_be_visible()
    expect(item).to_contain_text("/app/settings/billing")
    item.get_by_role("button").click()

    packet = agent_page.locator("#packet")
    expect(packet).to_contain_text("/app/settings/billing")
    expect(packet).to_contain_text("Billing — Lumen")
    expect(packet).to_contain_text("I need to talk to a person about my invoice")

    agent_page.get_by_role("button", name="Claim", exact=True).click()
    expect(agent_page.locator("#claim-status")).to_have_text("You have this conversation")
    expect(agent_page.locator(f'#mine [data-handoff-id="{handoff_id}"]')).to_be_visible()
    log.get_by_text("Sam Rivera has joined the conversation", exact=False).wait_for()

    reply = agent_page.get_by_role("textbox", name="Reply")
    expect(reply).to_be_enabled()
    reply.fill("Hi, I'm Sam. Which invoice is it?")
    agent_page.get_by_role("button", name="Send", exact=True).click()
    expect(reply).to_have_value("")

    # --- the visitor sees the agent's words in the widget
    agent_said = log.locator(".msg.agent")
    expect(agent_said).to_contain_text("Hi, I'm Sam. Which invoice is it?")
    expect(agent_said).to_contain_text("Sam Rivera")

    # --- and the agent sees the visitor's follow-up live, without reloading
    box.fill("It's invoice INV-2041 from March")
    box.press("Enter")
    thread = agent_page.locator("#thread")
    expect(thread.locator('[data-role="user"]')).to_contain_text("It's invoice INV-2041 from March")
    expect(thread.locator('[data-role="agent"]')).to_contain_text("Which invoice is it?")
    page.wait_for_timeout(500)
    expect(log.locator("[data-answer]")).to_have_count(0)  # the assistant stayed out of it

    assert inbox.csp_violations(agent_page) == [], inbox.console
    assert visitor.csp_violations(page) == [], visitor.console
    assert inbox.errors == [] and visitor.errors == []


def test_the_inbox_sign_in_page_refuses_a_wrong_password(demo_server: Any, agent_page: Any) -> None:
    email = f"kim-{uuid.uuid4().hex[:8]}@example.com"
    add_agent(demo_server.settings.database_url_or_default(), email, "Kim")
    watch = Watch(agent_page)
    agent_page.goto(demo_server.url + "/inbox")
    agent_page.wait_for_url(demo_server.url + "/inbox/login")
    agent_page.get_by_label("Email").fill(email)
    agent_page.get_by_label("Password").fill("not the password")
    agent_page.get_by_role("button", name="Sign in").click()
    expect(agent_page.get_by_role("alert")).to_have_text("Wrong email or password.")
    assert agent_page.url == demo_server.url + "/inbox/login"
    expect(agent_page.get_by_label("Email")).to_have_value(email)
    assert watch.csp_violations(agent_page) == []
