"""The handoff packet: one schema, four renderings, user text kept inert in each."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from markdown_it import MarkdownIt

from pageguide.escalation.triggers import evaluate_action, evaluate_message
from pageguide.handoff import (
    MAX_TRANSCRIPT,
    SLACK_BLOCKS,
    ArticleShown,
    CurrentPage,
    ErrorNote,
    HandoffPacket,
    PageVisit,
    SourceRef,
    StruggleNote,
    TranscriptEntry,
    build_packet,
    escape_markdown,
    extractive_summary,
    summarise,
)
from pageguide.identity import IdentityFailure, VerifiedAccount, VerifiedIdentity, VisitorIdentity

T0 = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
INBOX = "https://help.example.com/inbox/c/abc123"
HOSTILE = (
    "[click here](https://evil.example/phish) **urgent** <img src=x onerror=alert(1)>\n"
    "# I am a heading\n- a list item\n1. numbered\n| a | b |\n|---|---|\n"
    "see www.evil.example and https://evil.example/x?y=1 <!channel> @here `code`"
)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def turns(*texts: tuple[str, str]) -> list[TranscriptEntry]:
    return [TranscriptEntry(role=role, text=text, at=at(i)) for i, (role, text) in enumerate(texts)]


def verified(**account: Any) -> VisitorIdentity:
    return VisitorIdentity(
        verified=VerifiedIdentity(
            user_id="u_42",
            email="ada@acme.test",
            name="Ada",
            account=VerifiedAccount(**account) if account else None,
            expires_at=at(60),
        )
    )


def packet(**overrides: Any) -> HandoffPacket:
    args: dict[str, Any] = {
        "conversation_id": "abc123",
        "site": "demo",
        "created_at": at(10),
        "transcript": turns(
            ("user", "Hi"),
            ("user", "I was charged twice for May and the invoice page shows an error."),
            ("assistant", "Here is how invoices work…"),
            ("user", "That didn't help. I want a refund, get me a human."),
        ),
        "page_trail": [
            PageVisit(path="/dashboard", title="Dashboard", at=at(0)),
            PageVisit(path="/settings/billing", title="Billing", at=at(2)),
        ],
        "current_page": CurrentPage(
            url="https://app.example.com/settings/billing",
            path="/settings/billing",
            title="Billing",
            form_errors=["Card declined"],
        ),
        "struggle_signals": [
            StruggleNote(
                kind="rage_click",
                summary="Clicked Download 5 times",
                page_path="/settings/billing",
                at=at(3),
            )
        ],
        "errors": [
            ErrorNote(
                kind="http_error",
                message="GET /api/invoices failed (500)",
                page_path="/settings/billing",
                at=at(3),
                data={"method": "GET", "path": "/api/invoices", "status": 500},
            )
        ],
        "articles_shown": [
            ArticleShown(title="Invoices and receipts", url="/help/billing/invoices"),
            ArticleShown(title="Invoices and receipts", url="/help/billing/invoices"),
            ArticleShown(title="Refund policy", url="/help/billing/refunds"),
        ],
        "triggers": [*evaluate_message("I want a refund, get me a human."), evaluate_action()],
        "anonymous_id": "anon-7",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0",
        "identity": verified(id="acme", name="Acme", tier="enterprise", mrr=4200),
    }
    args.update(overrides)
    return build_packet(**args)


# ---------------------------------------------------------------- the schema


def test_packet_is_versioned_and_complete() -> None:
    p = packet()
    assert p.version == 1
    assert p.conversation_id == "abc123" and p.site == "demo" and p.created_at == at(10)
    assert [t.kind for t in p.triggers] == ["asked_for_human", "billing_dispute", "asked_for_human"]
    assert p.triggers[-1].source == "action"
    assert [a.url for a in p.articles_shown] == [
        "/help/billing/invoices",
        "/help/billing/refunds",
    ]  # deduplicated
    assert p.visitor.identity == "verified" and p.visitor.user is not None
    assert p.visitor.user.email == "ada@acme.test"
    assert p.account is not None and p.account.tier == "enterprise"
    assert p.summary


def test_json_round_trip() -> None:
    p = packet()
    data = p.to_json()
    text = json.dumps(data)  # plain JSON types only
    assert json.loads(text)["version"] == 1
    assert data["created_at"] == "2026-05-04T09:40:00Z"
    assert HandoffPacket.model_validate(json.loads(text)) == p


def test_account_comes_only_from_the_verified_identity() -> None:
    unverified = VisitorIdentity(
        failure=IdentityFailure.EXPIRED, claimed={"email": "ceo@bigcorp.test", "tier": "enterprise"}
    )
    p = packet(identity=unverified)
    assert p.account is None and p.visitor.user is None
    assert p.visitor.identity == "unverified" and p.visitor.identity_failure == "expired"
    assert p.visitor.claimed == {"email": "ceo@bigcorp.test", "tier": "enterprise"}
    assert "Claimed by the browser (unverified)" in p.to_text()
    anonymous = packet(identity=None)
    assert anonymous.visitor.identity == "anonymous" and anonymous.account is None


def test_history_is_capped() -> None:
    many = [TranscriptEntry(role="user", text=f"message {i}", at=at(i)) for i in range(120)]
    p = packet(transcript=many)
    assert len(p.transcript) == MAX_TRANSCRIPT
    assert p.transcript[-1].text == "message 119"


# ---------------------------------------------------------------- Markdown


def html_of(markdown: str) -> str:
    return str(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown))


def test_markdown_escapes_user_text() -> None:
    html = html_of(escape_markdown(HOSTILE))
    assert "<a " not in html and "<img" not in html
    assert "<strong>" not in html and "<em>" not in html
    assert not re.search(r"<h\d|<li>|<ol|<ul|<table|<blockquote", html)
    # bare URLs sit in code spans, so no renderer can autolink them
    assert "<code>https://evil.example/x?y=1</code>" in html
    assert "<code>www.evil.example</code>" in html
    # and the text itself survives, character for character
    assert "[click here]" in html and "**urgent**" in html and "# I am a heading" in html


def test_markdown_rendering_keeps_user_text_inert() -> None:
    hostile = [
        TranscriptEntry(
            role="user",
            text=HOSTILE,
            at=at(1),
            sources=[SourceRef(title="[x](javascript:alert(1))", url="x")],
        )
    ]
    p = packet(
        transcript=hostile,
        current_page=CurrentPage(
            url="https://app.example.com/a", path="/a", title="**Billing** <b>x</b>"
        ),
    )
    md = p.to_markdown()
    html = html_of(md)
    assert "<a " not in html and "<img" not in html and "<b>" not in html
    headings = re.findall(r"<h(\d)>(.*?)</h\d>", html)
    assert all(level in {"2", "3"} for level, _ in headings)
    assert {title for level, title in headings if level == "3"} <= {
        "Summary",
        "Why it was handed over",
        "Visitor",
        "Current page",
        "Page trail",
        "Struggle signals",
        "Errors",
        "Articles already shown (steps attempted)",
        "Transcript",
    }
    # our own emphasis is the only emphasis
    assert set(re.findall(r"<strong>(.*?)</strong>", html)) <= {
        "Site",
        "Conversation",
        "Created",
        "Who",
        "Account",
        "Browser",
        "User",
        "asked for human",
        "billing dispute",
        "Assistant",
        r"**Billing** &lt;b&gt;x&lt;/b&gt;",
    }


def test_markdown_has_every_section() -> None:
    md = packet().to_markdown()
    for needle in (
        "## Handoff: asked for human on /settings/billing",
        "### Summary",
        "### Why it was handed over",
        "Acme · enterprise · MRR 4,200",
        "### Page trail",
        "### Struggle signals",
        "### Errors",
        "Refund policy",
        "### Transcript",
        "Card declined",
    ):
        assert needle in md, needle


# ---------------------------------------------------------------- Slack


def texts_of(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for block in blocks:
        for key in ("text",):
            if isinstance(block.get(key), dict):
                found.append(block[key])
        found += block.get("fields", [])
        found += [
            e
            for e in block.get("elements", [])
            if "type" in e and "text" in e and isinstance(e["text"], str)
        ]
        found += [e["text"] for e in block.get("elements", []) if isinstance(e.get("text"), dict)]
    return found


def test_slack_blocks_shape() -> None:
    blocks = packet().to_slack_blocks(INBOX)
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["type"] == "plain_text"
    assert any(b["type"] == "section" and "fields" in b for b in blocks)
    assert any(b["type"] == "context" for b in blocks)
    actions = blocks[-1]
    assert actions["type"] == "actions"
    button = actions["elements"][0]
    assert button["type"] == "button" and button["url"] == INBOX
    assert json.dumps(blocks)  # serialisable as is


def test_slack_blocks_stay_within_limits() -> None:
    huge = [TranscriptEntry(role="user", text="x" * 2_000 + HOSTILE, at=at(i)) for i in range(200)]
    many_articles = [
        ArticleShown(title=f"Article {i} " + "y" * 400, url=f"/a/{i}") for i in range(40)
    ]
    p = packet(
        transcript=huge,
        articles_shown=many_articles,
        site="s" * 3_000,
        current_page=CurrentPage(path="/" + "p" * 5_000, title="t" * 5_000),
    )
    p = p.model_copy(update={"summary": "z" * 10_000})
    blocks = p.to_slack_blocks(INBOX)
    assert len(blocks) <= SLACK_BLOCKS
    assert len(blocks[0]["text"]["text"]) <= 150
    for block in blocks:
        assert len(block.get("fields", [])) <= 10
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
    for text in texts_of(blocks):
        assert 0 < len(text["text"]) <= 3_000
    for block in blocks:
        for field in block.get("fields", []):
            assert len(field["text"]) <= 2_000


def test_slack_user_text_cannot_mention_or_link() -> None:
    p = packet(transcript=turns(("user", HOSTILE)), site="<!channel> <https://evil|x>")
    blocks = p.to_slack_blocks(INBOX)
    for text in texts_of(blocks):
        if text["type"] == "mrkdwn":
            assert text.get("verbatim") is True
            assert "<!channel>" not in text["text"] and "<https://evil" not in text["text"]
    transcript = [
        b
        for b in blocks
        if b["type"] == "section" and "text" in b and HOSTILE[:20] in b["text"]["text"]
    ]
    assert transcript and transcript[0]["text"]["type"] == "plain_text"


# ---------------------------------------------------------------- email


def test_plain_text_for_email() -> None:
    text = packet().to_text()
    assert text.startswith("Handoff from demo · conversation abc123")
    for needle in (
        "Why it was handed over",
        "Visitor: Ada <ada@acme.test> (verified) · anon-7",
        "Account: Acme · enterprise · MRR 4,200",
        "Refund policy — /help/billing",
        "GET /api/invoices failed (500)",
        "user: I was charged twice",
    ):
        assert needle in text, needle
    assert "**" not in text and "##" not in text


def test_email_subject_is_one_line() -> None:
    p = packet(
        site="demo\r\nBcc: victim@example.com",
        current_page=CurrentPage(path="/x\nSubject: spoofed"),
    )
    subject = p.email_subject()
    assert "\n" not in subject and "\r" not in subject
    assert subject.startswith("[Pageguide] demo")


# ---------------------------------------------------------------- summary


def test_extractive_summary_keeps_the_users_words_and_what_was_tried() -> None:
    summary = packet().summary
    assert summary.startswith("User: I was charged twice for May")
    assert "I want a refund" in summary
    assert "Hi" not in summary.split("User: ")[1][:3]  # small talk left out
    assert (
        "Tried: 1 assistant answer(s); articles shown: Invoices and receipts, Refund policy"
        in summary
    )
    assert "Last error: GET /api/invoices failed (500)." in summary


def test_extractive_summary_is_short() -> None:
    long_turns = [
        TranscriptEntry(role="user", text="I need help with the export. " * 50, at=at(i))
        for i in range(10)
    ]
    assert len(extractive_summary(long_turns, max_chars=300)) <= 300
    assert extractive_summary([]) == ""


async def test_llm_summary_hook() -> None:
    p = packet()

    async def llm(packet: HandoffPacket) -> str:
        return "  Double charge for May;\nwants a refund. "

    better = await summarise(p, llm)
    assert (better.summary, better.summary_source) == (
        "Double charge for May; wants a refund.",
        "llm",
    )
    assert await summarise(p, None) == p


@pytest.mark.parametrize("problem", ["slow", "broken", "empty"])
async def test_llm_summary_falls_back_to_extractive(problem: str) -> None:
    p = packet()

    async def llm(packet: HandoffPacket) -> str:
        if problem == "slow":
            await asyncio.sleep(5)
        if problem == "broken":
            raise RuntimeError("provider down")
        return "   "

    assert await summarise(p, llm, timeout_s=0.05) == p


def test_escaping_is_linear() -> None:
    import time

    for text in ("\n" * 2_000, " " * 1_999 + "#", "`" * 2_000, "http://" * 280):
        start = time.perf_counter()
        escape_markdown(text)
        assert time.perf_counter() - start < 0.05
