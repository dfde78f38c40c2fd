"""The handoff packet: everything a person needs to take over, in one versioned schema.

One pydantic model is the source; every rendering comes from it: `to_json()` (webhooks, the
inbox, storage), `to_markdown()`, `to_slack_blocks()` (Block Kit), `to_text()` and
`email_subject()` (email). Pure code: channels render a packet without knowing about escalation,
and nothing here does I/O. What the user typed is untrusted: the Markdown rendering escapes it,
Slack gets it as plain text, the email subject loses its line breaks.

Account attributes come only from a verified identity token (`identity.py`); a visitor who
merely claims to be someone shows as unverified, with the claim labelled as such.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict

from .identity import Scalar, VerifiedAccount, VisitorIdentity

PACKET_VERSION: Literal[1] = 1
MAX_TRANSCRIPT = 50  # the last turns; the inbox has the full history
MAX_TRAIL = 20
MAX_NOTES = 20
MAX_TEXT = 2_000  # the protocol's limit for one message

Role = Literal["user", "assistant", "agent", "system"]
# Long texts are cut, not refused: a handoff must never fail on an over-long message.
Text = Annotated[str, BeforeValidator(lambda v: v[:MAX_TEXT] if isinstance(v, str) else v)]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", from_attributes=True)


class SourceRef(_Part):
    title: str
    url: str


class TranscriptEntry(_Part):
    role: Role
    text: Text
    at: datetime
    sources: list[SourceRef] = []
    author: str = ""  # the agent's name for role "agent"


class PageVisit(_Part):
    path: str
    title: str = ""
    url: str = ""
    at: datetime


class CurrentPage(_Part):
    url: str = ""
    path: str = ""
    title: str = ""
    headings: list[str] = []
    route: str | None = None
    form_errors: list[str] = []


class StruggleNote(_Part):
    kind: str
    summary: str = ""
    page_path: str = ""
    at: datetime


class ErrorNote(_Part):
    kind: str  # error | http_error | invalid | form_error
    message: str
    page_path: str = ""
    at: datetime
    data: dict[str, Scalar] = {}


class ArticleShown(_Part):
    title: str
    url: str
    at: datetime | None = None


class TriggerNote(_Part):
    """A fired trigger as the packet keeps it (from `escalation.triggers.TriggerHit`)."""

    kind: str
    reason: str
    score: float | None = None
    source: str = ""
    evidence: str = ""


class VerifiedUser(_Part):
    id: str
    email: str | None = None
    name: str | None = None
    attributes: dict[str, Scalar] = {}


class Visitor(_Part):
    anonymous_id: str = ""
    user_agent: str = ""
    identity: Literal["verified", "unverified", "anonymous"] = "anonymous"
    identity_failure: str | None = None  # why a token was refused ("expired", …)
    user: VerifiedUser | None = None  # from the verified token only
    claimed: dict[str, Scalar] = {}  # unsigned traits, shown labelled unverified

    @classmethod
    def from_identity(
        cls, anonymous_id: str, user_agent: str, identity: VisitorIdentity | None
    ) -> Visitor:
        if identity is None:
            return cls(anonymous_id=anonymous_id, user_agent=user_agent)
        v = identity.verified
        user = None
        if v is not None:
            user = VerifiedUser(id=v.user_id, email=v.email, name=v.name, attributes=v.attributes)
        failure = identity.failure.value if identity.failure is not None else None
        state: Literal["verified", "unverified", "anonymous"] = (
            "verified"
            if v is not None
            else "anonymous"
            if failure in (None, "missing")
            else "unverified"
        )
        return cls(
            anonymous_id=anonymous_id,
            user_agent=user_agent[:400],
            identity=state,
            identity_failure=failure if failure != "missing" else None,
            user=user,
            claimed=dict(identity.claimed),
        )


# ---------------------------------------------------------------- escaping


_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~])")  # emphasis, code, links, HTML, tables, strike
_MD_LINE_START = re.compile(r"^([ \t]*)([#+\-=>]|\d+(?=[.)]))", re.MULTILINE)  # blocks


def _code_span(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _escape_plain(text: str) -> str:
    text = _MD_INLINE.sub(r"\\\1", text)
    # "# title", "- item", "1. item", "===" only mean something at the start of a line.
    return _MD_LINE_START.sub(
        lambda m: (
            m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit() else "\\" + m.group(2))
        ),
        text,
    )


def escape_markdown(text: str) -> str:
    """User text as inert Markdown: control characters backslash-escaped, URLs in code spans.

    Escapes stop emphasis, links, images, raw HTML, headings, lists, tables and quotes; a code
    span stops autolinking (GitHub's and others'), which backslashes alone do not.
    """
    out: list[str] = []
    last = 0
    for found in _URL.finditer(text):
        out.append(_escape_plain(text[last : found.start()]))
        out.append(_code_span(found.group(0)))
        last = found.end()
    out.append(_escape_plain(text[last:]))
    return "".join(out)


def _quote(text: str) -> str:
    """A Markdown block quote of escaped user text, line by line."""
    return "\n".join(
        f"> {escape_markdown(line)}" if line.strip() else ">" for line in text.splitlines() or [""]
    )


def escape_slack(text: str) -> str:
    """Slack mrkdwn: &, < and > are the control characters (links, mentions, @channel)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _hhmm(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%H:%M") if at else ""


def _label(kind: str) -> str:
    return kind.replace("_", " ")


# ---------------------------------------------------------------- the packet


class HandoffPacket(BaseModel):
    """Version 1 of the packet. Add fields with defaults; anything else is version 2."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    version: Literal[1] = PACKET_VERSION
    conversation_id: str
    site: str
    created_at: datetime
    summary: str = ""
    summary_source: Literal["extractive", "llm"] = "extractive"
    triggers: list[TriggerNote] = []
    visitor: Visitor = Visitor()
    account: VerifiedAccount | None = None  # verified identity only
    current_page: CurrentPage | None = None
    page_trail: list[PageVisit] = []
    struggle_signals: list[StruggleNote] = []
    errors: list[ErrorNote] = []
    articles_shown: list[ArticleShown] = []  # the steps already attempted
    transcript: list[TranscriptEntry] = []

    # -------------------------------------------------------- JSON

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (datetimes as ISO 8601 strings): the webhook body and the stored
        copy. `HandoffPacket.model_validate(data)` reads it back."""
        return self.model_dump(mode="json")

    # -------------------------------------------------------- shared pieces

    @property
    def headline(self) -> str:
        why = _label(self.triggers[0].kind) if self.triggers else "handoff"
        where = self.current_page.path if self.current_page and self.current_page.path else ""
        return f"{why} on {where}" if where else why

    def _who(self) -> str:
        v = self.visitor
        if v.user is not None:
            who = v.user.name or v.user.email or v.user.id
            who = f"{who} <{v.user.email}>" if v.user.email and who != v.user.email else who
            who += " (verified)"
        elif v.identity == "unverified":
            who = f"unverified visitor ({v.identity_failure or 'no token'})"
        else:
            who = "anonymous visitor"
        return f"{who} · {v.anonymous_id}" if v.anonymous_id else who

    def _account(self) -> str:
        a = self.account
        if a is None:
            return "no verified account"
        parts = [a.name or a.id or "account"]
        if a.tier:
            parts.append(a.tier)
        if a.mrr is not None:
            parts.append(f"MRR {a.mrr:,.0f}")
        return " · ".join(parts)

    def _why(self) -> list[str]:
        return [f"{_label(t.kind)}: {t.reason}" for t in self.triggers]

    def email_subject(self) -> str:
        """One line, no CR/LF: a header must not carry user text that could add headers."""
        return _clip(_one_line(f"[Pageguide] {self.site}: {self.headline}"), 200)

    # -------------------------------------------------------- plain text (email)

    def to_text(self) -> str:
        lines = [
            f"Handoff from {self.site} · conversation {self.conversation_id}",
            f"Created {self.created_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
            "",
        ]
        if self.summary:
            lines += ["Summary", f"  {self.summary}", ""]
        if self.triggers:
            lines += ["Why it was handed over", *(f"  - {w}" for w in self._why()), ""]
        lines += [f"Visitor: {self._who()}", f"Account: {self._account()}"]
        if self.visitor.claimed:
            claims = ", ".join(f"{k}={v}" for k, v in self.visitor.claimed.items())
            lines.append(f"Claimed by the browser (unverified): {claims}")
        if self.visitor.user_agent:
            lines.append(f"Browser: {self.visitor.user_agent}")
        page = self.current_page
        if page is not None:
            lines += ["", f"Current page: {page.title or page.path} {page.url}".rstrip()]
            lines += [f"  form error: {e}" for e in page.form_errors]
        for title, items in self._sections_text():
            if items:
                lines += ["", title, *(f"  {item}" for item in items)]
        if self.transcript:
            lines += ["", "Transcript"]
            for e in self.transcript:
                who = e.author or e.role
                lines.append(f"  [{_hhmm(e.at)}] {who}: {e.text}")
                lines += [f"      source: {s.title} — {s.url}" for s in e.sources]
        return "\n".join(lines).rstrip() + "\n"

    def _sections_text(self) -> list[tuple[str, list[str]]]:
        return [
            ("Page trail", [f"{_hhmm(p.at)} {p.path} {p.title}".rstrip() for p in self.page_trail]),
            (
                "Struggle signals",
                [
                    f"{_hhmm(s.at)} {_label(s.kind)} on {s.page_path}: {s.summary}".rstrip(": ")
                    for s in self.struggle_signals
                ],
            ),
            (
                "Errors",
                [f"{_hhmm(e.at)} {e.kind} on {e.page_path}: {e.message}" for e in self.errors],
            ),
            (
                "Articles already shown (steps attempted)",
                [f"- {a.title} — {a.url}" for a in self.articles_shown],
            ),
        ]

    # -------------------------------------------------------- Markdown

    def to_markdown(self) -> str:
        """Markdown for the inbox, email and tickets. Only our own labels are formatted."""
        e = escape_markdown
        md = [
            f"## Handoff: {e(self.headline)}",
            "",
            f"**Site** {e(self.site)} · **Conversation** `{self.conversation_id}` · "
            f"**Created** {self.created_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
            "",
        ]
        if self.summary:
            md += ["### Summary", "", _quote(self.summary), ""]
        if self.triggers:
            md += ["### Why it was handed over", ""]
            md += [
                f"- **{e(_label(t.kind))}**: {e(t.reason)}"
                + (f" ({e(t.evidence)})" if t.evidence and t.evidence not in t.reason else "")
                for t in self.triggers
            ]
            md.append("")
        md += [
            "### Visitor",
            "",
            f"- **Who**: {e(self._who())}",
            f"- **Account**: {e(self._account())}",
        ]
        if self.visitor.claimed:
            claims = ", ".join(f"{k}={v}" for k, v in self.visitor.claimed.items())
            md.append(f"- **Claimed, unverified**: {e(claims)}")
        if self.visitor.user_agent:
            md.append(f"- **Browser**: {e(self.visitor.user_agent)}")
        md.append("")
        page = self.current_page
        if page is not None:
            md += ["### Current page", "", f"- **{e(page.title or page.path)}** {e(page.url)}"]
            md += [f"- form error: {e(err)}" for err in page.form_errors]
            md.append("")
        for title, items in self._sections_text():
            if items:
                md += [
                    f"### {title}",
                    "",
                    *(f"- {e(item.removeprefix('- '))}" for item in items),
                    "",
                ]
        if self.transcript:
            md += ["### Transcript", ""]
            for entry in self.transcript:
                who = e(entry.author or entry.role.capitalize())
                md += [f"**{who}** · {_hhmm(entry.at)}", _quote(entry.text)]
                md += [f">\n> source: {e(s.title)} {e(s.url)}" for s in entry.sources]
                md.append("")
        return "\n".join(md).rstrip() + "\n"

    # -------------------------------------------------------- Slack

    def to_slack_blocks(self, inbox_url: str) -> list[dict[str, Any]]:
        """Block Kit: header, summary, fields, the last turns, context, a button to the inbox.

        User text goes in plain_text objects (no links, no mentions); our mrkdwn is escaped and
        `verbatim` so nothing in it is auto-linked. Within Slack's limits: at most 50 blocks,
        3,000 characters a text, 2,000 a field, 150 the header, 10 fields, 10 context items.
        """

        def plain(text: str, limit: int = SLACK_TEXT) -> dict[str, Any]:
            return {"type": "plain_text", "text": _clip(text, limit) or "-", "emoji": False}

        def mrkdwn(text: str, limit: int = SLACK_TEXT) -> dict[str, Any]:
            return {"type": "mrkdwn", "text": _clip(text, limit) or "-", "verbatim": True}

        def field(label: str, value: str) -> dict[str, Any]:
            return mrkdwn(f"*{label}*\n{escape_slack(_one_line(value))}", SLACK_FIELD)

        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": plain(f"Handoff: {_one_line(self.headline)}", SLACK_HEADER)},
        ]
        if self.summary:
            blocks.append({"type": "section", "text": plain(self.summary)})
        page = self.current_page
        fields = [
            field("Site", self.site),
            field("Page", (page.title or page.path) if page else "unknown"),
            field("Visitor", self._who()),
            field("Account", self._account()),
            field(
                "Why", "; ".join(dict.fromkeys(_label(t.kind) for t in self.triggers)) or "handoff"
            ),
            field("Conversation", self.conversation_id),
        ]
        blocks.append({"type": "section", "fields": fields[:SLACK_FIELDS]})
        if self.triggers:
            blocks.append({"type": "section", "text": plain("\n".join(self._why()))})
        turns = self.transcript[-SLACK_TURNS:]
        if turns:
            blocks.append({"type": "divider"})
            for entry in turns:
                who = entry.author or entry.role.capitalize()
                blocks.append(
                    {"type": "section", "text": plain(f"{who} · {_hhmm(entry.at)}\n{entry.text}")}
                )
        context = [plain(f"Tried: {a.title}", 300) for a in self.articles_shown[:4]]
        context += [plain(f"Error: {e.message}", 300) for e in self.errors[-3:]]
        context += [
            plain(f"Struggle: {_label(s.kind)} on {s.page_path}", 300)
            for s in self.struggle_signals[-3:]
        ]
        if context:
            blocks.append({"type": "context", "elements": context[:SLACK_CONTEXT]})
        button = {
            "type": "button",
            "text": plain("Open in inbox", 75),
            "url": inbox_url[:3000],
            "action_id": "pageguide_open_inbox",
            "style": "primary",
        }
        blocks = blocks[: SLACK_BLOCKS - 1]
        blocks.append({"type": "actions", "elements": [button]})
        return blocks


SLACK_BLOCKS = 50
SLACK_TEXT = 3_000
SLACK_FIELD = 2_000
SLACK_FIELDS = 10
SLACK_HEADER = 150
SLACK_CONTEXT = 10
SLACK_TURNS = 8  # the rest is one click away


# ---------------------------------------------------------------- summary


_SENTENCE = re.compile(r"(?<=[.?!])\s+|\n+")
_SMALL_TALK = re.compile(
    r"^\W*(?:hi|hello|hey|thanks?|thank\syou|ok(?:ay)?|yes|no|sure|great|cool)\b\W*$", re.I
)
_SUBSTANCE = re.compile(
    r"\b(?:error|fail\w*|can'?t|cannot|won'?t|doesn'?t|not\sworking|broken|charged|refund"
    r"|cancel\w*|invoice|down|lost|missing|wrong|need|want|urgent|again|\d+)\b",
    re.I,
)


def _user_sentences(transcript: Sequence[TranscriptEntry]) -> list[tuple[float, int, str]]:
    users = [e for e in transcript if e.role == "user"]
    scored: list[tuple[float, int, str]] = []
    order = 0
    for n, entry in enumerate(users):
        for sentence in (s.strip() for s in _SENTENCE.split(entry.text)):
            if not sentence:
                continue
            words = len(sentence.split())
            score = 0.0
            score += 2.0 if n == 0 else 0.0  # the opening message states the problem
            score += 1.0 if n == len(users) - 1 else 0.0  # the last one is where they are now
            score += 1.5 if _SUBSTANCE.search(sentence) else 0.0
            score += 0.5 if sentence.endswith("?") else 0.0
            score -= 3.0 if _SMALL_TALK.match(sentence) or words < 3 else 0.0
            scored.append((score, order, sentence))
            order += 1
    return scored


def extractive_summary(
    transcript: Sequence[TranscriptEntry],
    articles_shown: Sequence[ArticleShown] = (),
    errors: Sequence[ErrorNote] = (),
    sentences: int = 3,
    max_chars: int = 600,
) -> str:
    """The user's key sentences in their own words, then what was already tried."""
    ranked = sorted(_user_sentences(transcript), key=lambda s: (-s[0], s[1]))
    chosen: list[tuple[int, str]] = []
    seen: set[str] = set()
    for score, order, sentence in ranked:
        key = sentence.lower()
        enough = score >= 1.5 or (not chosen and score > -1)  # the best, then substance only
        if enough and key not in seen and len(chosen) < sentences:
            chosen.append((order, _clip(_one_line(sentence), 240)))
            seen.add(key)
    parts = []
    if chosen:
        parts.append("User: " + " … ".join(s for _, s in sorted(chosen)))
    answers = sum(1 for e in transcript if e.role == "assistant")
    tried = [a.title for a in articles_shown[:3]]
    if tried or answers:
        what = f"{answers} assistant answer(s)" if answers else ""
        if tried:
            what = (what + "; " if what else "") + "articles shown: " + ", ".join(tried)
        parts.append(f"Tried: {what}.")
    if errors:
        parts.append("Last error: " + _clip(_one_line(errors[-1].message), 160) + ".")
    return _clip(" ".join(parts), max_chars)


SummaryHook = Callable[["HandoffPacket"], Awaitable[str]]
"""An LLM summariser: the packet in, a short summary out (the server passes one when an LLM
is configured)."""


async def summarise(
    packet: HandoffPacket, llm: SummaryHook | None = None, timeout_s: float = 8.0
) -> HandoffPacket:
    """The packet with an LLM summary when one is configured and answers in time; otherwise
    it keeps its extractive summary."""
    if llm is None:
        return packet
    try:
        text = _one_line(await asyncio.wait_for(llm(packet), timeout_s))
    except Exception:  # a summary is a nicety: the handoff must never wait on or fail for it
        return packet
    if not text:
        return packet
    return packet.model_copy(update={"summary": _clip(text, 1_000), "summary_source": "llm"})


# ---------------------------------------------------------------- building


def _tail(items: Iterable[Any], n: int) -> list[Any]:
    return list(items)[-n:]


def build_packet(
    *,
    conversation_id: str,
    site: str,
    transcript: Sequence[TranscriptEntry] = (),
    page_trail: Sequence[PageVisit] = (),
    current_page: CurrentPage | None = None,
    struggle_signals: Sequence[StruggleNote] = (),
    errors: Sequence[ErrorNote] = (),
    articles_shown: Sequence[ArticleShown] = (),
    triggers: Sequence[Any] = (),
    anonymous_id: str = "",
    user_agent: str = "",
    identity: VisitorIdentity | None = None,
    created_at: datetime | None = None,
) -> HandoffPacket:
    """Assemble a packet: recent history capped, articles deduplicated, an extractive summary.

    `triggers` takes `TriggerHit`s (or anything with kind, reason, score, source, evidence);
    `identity` is the site-policy result from `identity.resolve_identity`: the account is read
    from its verified part only.
    """
    turns = _tail(transcript, MAX_TRANSCRIPT)
    seen: set[str] = set()
    articles = []
    for article in articles_shown:
        if article.url not in seen:
            seen.add(article.url)
            articles.append(article)
    notes = [TriggerNote.model_validate(t, from_attributes=True) for t in triggers]
    errs = _tail(errors, MAX_NOTES)
    return HandoffPacket(
        conversation_id=conversation_id,
        site=site,
        created_at=created_at or datetime.now(UTC),
        summary=extractive_summary(turns, articles, errs),
        triggers=notes,
        visitor=Visitor.from_identity(anonymous_id, user_agent, identity),
        account=identity.account if identity is not None else None,
        current_page=current_page,
        page_trail=_tail(page_trail, MAX_TRAIL),
        struggle_signals=_tail(struggle_signals, MAX_NOTES),
        errors=errs,
        articles_shown=articles[:MAX_NOTES],
        transcript=turns,
    )
