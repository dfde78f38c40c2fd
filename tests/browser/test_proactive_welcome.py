"""The widget's side of proactive help in real Chromium against the demo server: the page-aware
welcome (suggested questions, one click from their answer), the events the panel reports, and a
nudge card's source link and actions, with their outcomes stored."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from pages.harness import Frames, launcher, stored_nudge, wait_for, wait_ready

pytestmark = pytest.mark.browser

BILLING = "/app/settings/billing"
TEAM = "/app/settings/team"


def open_demo(page: Any, server: Any, path: str) -> Frames:
    frames = Frames(page)
    page.goto(server.url + path)
    wait_ready(page, frames)
    return frames


def root(page: Any) -> Any:
    return page.locator("#pageguide-root")


def suggestions(page: Any) -> Any:
    return root(page).get_by_role("group", name="Suggested questions")


def welcome(page: Any, frames: Frames, n: int = 1) -> dict:
    return wait_for(page, lambda: frames.received_of("welcome")[n - 1 :], 10, "a welcome")[0]


def close_panel(page: Any) -> None:
    root(page).get_by_role("button", name="Close help").click()


# ---------------------------------------------------------------- the welcome


def test_the_welcome_suggests_billing_questions_and_one_click_streams_the_answer(
    demo_server, page
) -> None:
    frames = open_demo(page, demo_server, BILLING)
    launcher(page).click()
    frame = welcome(page, frames)
    assert frame["path"] == BILLING and 2 <= len(frame["suggestions"]) <= 3
    billing_words = ("plan", "subscription", "invoice", "payment", "card")
    assert all(any(w in q.lower() for w in billing_words) for q in frame["suggestions"])
    buttons = suggestions(page).get_by_role("button")
    assert buttons.all_inner_texts() == frame["suggestions"]

    # (not the cancellation question: the next test clicks that one)
    question = next(q for q in frame["suggestions"] if "cancel" not in q.lower())
    buttons.get_by_text(question, exact=True).click()
    ask = wait_for(page, lambda: frames.of("ask"), 5, "the ask")[0]
    assert ask["text"] == question
    end = wait_for(page, lambda: frames.received_of("answer_end"), 20, "the answer")[0]
    start = frames.received_of("answer_start")[0]
    assert start["in_reply_to"] == ask["id"] and frames.received_of("answer_delta")
    # shown like a typed question, then its answer; the suggestions have done their job
    log = root(page).locator(".log")
    assert log.locator(".msg.user").last.inner_text() == question
    answer = log.locator(f"[data-answer='{end['id']}']")
    answer.locator(".rate").wait_for()
    assert len(answer.locator(".text").inner_text()) > 40
    assert end["sources"] and suggestions(page).count() == 0


class NoAnswer(AssertionError):
    pass


def test_every_suggested_question_is_answered(demo_server, page) -> None:
    frames = open_demo(page, demo_server, BILLING)
    launcher(page).click()
    frame = welcome(page, frames)
    question = next(q for q in frame["suggestions"] if "cancel" in q.lower())
    suggestions(page).get_by_role("button").get_by_text(question, exact=True).click()
    got = wait_for(
        page,
        lambda: frames.received_of("answer_end") or frames.received_of("handoff"),
        20,
        "an answer or a handoff",
    )[0]
    if got["type"] == "handoff":
        raise NoAnswer(got["message"])


def test_the_welcome_follows_the_page(demo_server, page) -> None:
    frames = open_demo(page, demo_server, BILLING)
    launcher(page).click()
    billing = welcome(page, frames)
    suggestions(page).wait_for()
    close_panel(page)

    page.locator(f".sidebar a[href='{TEAM}'], nav a[href='{TEAM}']").first.click()
    page.wait_for_url("**" + TEAM)
    wait_ready(page, frames, 2)
    launcher(page).click()
    team = welcome(page, frames, 2)
    assert team["path"] == TEAM and team["suggestions"] != billing["suggestions"]
    assert any("invite" in s.lower() for s in team["suggestions"])
    wait_for(
        page,
        lambda: suggestions(page).get_by_role("button").all_inner_texts() == team["suggestions"],
        5,
        "the team page's suggestions",
    )
    assert suggestions(page).count() == 1


def test_the_panel_reports_opening_closing_and_typing_at_most_once_a_second(
    demo_server, page
) -> None:
    frames = open_demo(page, demo_server, BILLING)
    launcher(page).click()
    welcome(page, frames)  # widget_open went out at once, not with the next 2 s batch
    box = root(page).get_by_role("textbox", name="Your question")
    box.press_sequentially("where do I find my invoices", delay=100)  # ~2.7 s of typing
    close_panel(page)
    wait_for(page, lambda: frames.events("widget_close"), 5, "widget_close")
    typed = [e["t"] for e in frames.events("widget_input")]
    assert 2 <= len(typed) <= 4, typed
    assert all(b - a > 1000 for a, b in itertools.pairwise(typed))
    assert not frames.events("input")  # the host page's input events never include ours
    kinds = [e["kind"] for e in frames.events() if e["kind"].startswith("widget_")]
    assert kinds[0] == "widget_open" and kinds[-1] == "widget_close"


# ---------------------------------------------------------------- nudge cards


def dead_invite_nudge(page: Any, frames: Frames) -> tuple[dict, Any]:
    """Send invite without a role, twice: the demo's dead button, and the nudge it brings."""
    page.fill("#invite-email", "new.person@acme.io")
    page.click("#send-invite-button")
    page.wait_for_timeout(1200)
    page.click("#send-invite-button")
    nudge = wait_for(page, lambda: frames.received_of("nudge"), 12, "a nudge")[0]
    card = root(page).get_by_role("region", name="Help suggestion")
    card.get_by_text(nudge["text"]).wait_for()
    return nudge, card


def nudge_events(frames: Frames) -> list[tuple[str, dict]]:
    return [(e["kind"], e["data"]) for e in frames.events() if e["kind"].startswith("nudge_")]


def test_a_nudge_card_links_its_source_and_not_now_is_a_dismissal(demo_server, page) -> None:
    frames = open_demo(page, demo_server, TEAM)
    nudge, card = dead_invite_nudge(page, frames)
    source = nudge["sources"][0]
    link = card.get_by_role("link", name=source["title"])
    assert link.get_attribute("href") == source["url"]
    assert link.get_attribute("target") == "_blank"
    names = card.get_by_role("button").all_inner_texts()
    assert names[:3] == ["Show me", "Talk to a person", "Not now"]

    card.get_by_role("button", name="Not now").click()
    wait_for(page, lambda: not card.is_visible(), 5)
    wait_for(page, lambda: len(nudge_events(frames)) == 2, 5, "the nudge events")
    about = {"nudge_id": nudge["id"], "signal": "dead_click"}
    assert nudge_events(frames) == [("nudge_shown", about), ("nudge_dismissed", about)]
    wait_for(page, lambda: stored_nudge(demo_server, nudge["id"]).outcome == "dismissed", 5)


def test_show_me_opens_the_panel_with_the_nudge_in_the_thread(demo_server, page) -> None:
    frames = open_demo(page, demo_server, TEAM)
    nudge, card = dead_invite_nudge(page, frames)
    card.get_by_role("button", name="Show me").click()
    log = root(page).locator(".log")
    log.get_by_text(nudge["text"]).wait_for()
    assert not card.is_visible()
    welcome(page, frames)  # opening the panel greets as usual
    wait_for(page, lambda: "nudge_opened" in dict(nudge_events(frames)), 5, "nudge_opened")
    wait_for(page, lambda: stored_nudge(demo_server, nudge["id"]).outcome == "opened", 5)

    box = root(page).get_by_role("textbox", name="Your question")
    box.fill("Why does Send invite do nothing?")
    box.press("Enter")
    wait_for(page, lambda: frames.received_of("answer_end"), 20, "the answer")
    assert stored_nudge(demo_server, nudge["id"]).asked  # the question counts for the nudge


def test_talk_to_a_person_escalates_from_the_nudge(demo_server, page) -> None:
    frames = open_demo(page, demo_server, TEAM)
    nudge, card = dead_invite_nudge(page, frames)
    card.get_by_role("button", name="Talk to a person").click()
    wait_for(page, lambda: frames.of("escalate"), 5, "the escalate frame")
    log = root(page).locator(".log")
    log.get_by_text(nudge["text"]).wait_for()
    log.get_by_text("Asking for a person to join").wait_for()
    # the demo has a human channel: the conversation is queued for a person
    handoff = wait_for(page, lambda: frames.received_of("handoff"), 10, "the handoff")[0]
    assert handoff["status"] == "queued"
    log.get_by_text(handoff["message"][:40]).wait_for()
    wait_for(page, lambda: stored_nudge(demo_server, nudge["id"]).outcome == "opened", 5)
