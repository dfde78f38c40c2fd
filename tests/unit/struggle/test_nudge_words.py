"""What a nudge is about: the query and the label come from the signal's evidence."""

from __future__ import annotations

from pageguide.guidance import nudge as words
from pageguide.protocol import Event
from pageguide.retrieval.search import Passage, Retrieval
from pageguide.struggle import Signal, SignalKind

T = 1_700_000_000_000
BILLING, TEAM = "/app/settings/billing", "/app/settings/team"
TITLES = {BILLING: "Billing — Lumen", TEAM: "Team | Lumen"}


def signal(kind: SignalKind, reason: str = "r", path: str = BILLING) -> Signal:
    return Signal(
        kind=kind, score=0.8, evidence=(0,), target="", page_path=path, at_ms=T,
        reason=reason, summary="", anchor=0,
    )  # fmt: skip


def nav(src: str, dst: str, dt: int) -> Event:
    return Event(kind="navigate", t=T + dt, data={"from": src, "to": dst})


def failed(method: str, path: str, status: int) -> Event:
    return Event(kind="http_error", t=T, data={"method": method, "path": path, "status": status})


LOOP = [nav(BILLING, TEAM, 0), nav(TEAM, BILLING, 3_000), nav(BILLING, TEAM, 6_000)]


def test_a_navigation_loop_is_about_the_pages_it_went_between() -> None:
    loop = signal(SignalKind.NAVIGATION_LOOP, "page_loop", TEAM)
    label = words.evidence_label(loop, LOOP, TITLES)
    assert label == "Billing and Team"  # titles without the site's name
    query = words.nudge_query(loop, label, [])
    assert "Billing" in query and "Team" in query
    assert query != words.nudge_query(loop, "", [])  # not the fixed fallback


def test_a_loop_between_pages_without_titles_names_their_paths() -> None:
    loop = signal(SignalKind.NAVIGATION_LOOP, "page_loop", TEAM)
    assert words.evidence_label(loop, LOOP) == f"{BILLING} and {TEAM}"
    three = [*LOOP, nav(TEAM, "/app/dashboard", 9_000)]
    assert words.evidence_label(loop, three, TITLES) == "Billing, Team and /app/dashboard"


def test_a_failed_request_keeps_its_method_and_path() -> None:
    loop = signal(SignalKind.ERROR_LOOP, "repeated_request")
    evidence = [failed("post", "/api/invites?team=3", 500), failed("POST", "/api/invites", 502)]
    label = words.evidence_label(loop, evidence)
    assert label == "POST /api/invites failed with 502"
    assert "POST /api/invites failed with 502" in words.nudge_query(loop, label, [])


def test_hesitation_after_a_failure_asks_about_the_failure() -> None:
    idle = signal(SignalKind.HESITATION, "idle_after_failure")
    label = words.evidence_label(idle, [failed("PUT", "/api/card", 500)])
    assert (
        words.nudge_query(idle, label, []) == "why do I get the error PUT /api/card failed with 500"
    )
    errors = ["Card number is required."]
    assert words.nudge_query(idle, label, errors).startswith("how do I fix Card number")


def test_an_explicit_nudge_needs_no_retrieval_and_stays_generic() -> None:
    explicit = signal(SignalKind.EXPLICIT, "opened_without_asking")
    assert not words.needs_retrieval(explicit)
    assert all(words.needs_retrieval(signal(k)) for k in SignalKind if k is not explicit.kind)
    generic = words.GENERIC[SignalKind.EXPLICIT]
    assert words.compose(explicit, "", "q", None, 0.35, "http://x").text == generic
    found = Retrieval(
        passages=[Passage("a.md", "A", "", "", "", "Click Save once the card is filled in.", 1)],
        confidence=0.9,
        page_dependent=True,
    )
    assert words.compose(explicit, "", "q", found, 0.35, "http://x").text == generic
    dead = signal(SignalKind.DEAD_CLICK)
    specific = words.compose(dead, "Save", "Save button does nothing", found, 0.35, "http://x")
    assert specific.specific and "card is filled in" in specific.text
