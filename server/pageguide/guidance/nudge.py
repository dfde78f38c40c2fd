"""Words for a nudge: specific when the knowledge says something about this moment, generic
(and honest) when it does not. Pure: the caller does the retrieval."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..protocol import Event, Source
from ..retrieval.search import Retrieval
from ..struggle.events import norm_path
from ..struggle.signals import Signal, SignalKind
from .extractive import _content_words

GENERIC = {
    SignalKind.RAGE_CLICK: "That doesn't seem to be responding. Want a hand with it?",
    SignalKind.DEAD_CLICK: "Nothing happening when you click that? I can help, or get a person.",
    SignalKind.ERROR_LOOP: "Running into the same error again? I can help, or bring in a person.",
    SignalKind.NAVIGATION_LOOP: "Looking for something? Tell me what you need.",
    SignalKind.HESITATION: "Stuck on this step? I can walk you through it.",
    SignalKind.EXPLICIT: "Anything I can help with on this page?",
}
ACTIONS = ["open", "escalate", "dismiss"]
MAX_CHARS = 180
_QUOTE = "\u201c{}\u201d"
_TITLE_SUFFIX = re.compile(r"\s+[\u2014\u2013|·-]\s+")  # "Billing — Lumen", "Team | Lumen"


@dataclass(frozen=True)
class NudgeText:
    text: str
    sources: list[Source]
    specific: bool


def request_label(event: Event) -> str:
    """ "POST /api/invites failed with 500": what failed, not only how."""
    method = str(event.data.get("method") or "GET").upper()
    path = norm_path(event.data.get("path")) or "a request"
    status = event.data.get("status")
    return f"{method} {path} failed" + (f" with {status}" if status not in (None, "") else "")


def loop_pages(events: list[Event]) -> list[str]:
    """The pages a navigation loop went between, in the order first seen."""
    pages: list[str] = []
    for event in events:
        if event.kind != "navigate":
            continue
        for end in ("from", "to"):
            path = norm_path(event.data.get(end))
            if path and path not in pages:
                pages.append(path)
    return pages


def page_name(path: str, titles: Mapping[str, str]) -> str:
    """A page as the user knows it: its title without the site's name ("Billing — Lumen")."""
    title = _TITLE_SUFFIX.split(titles.get(path, "").strip(), maxsplit=1)[0].strip()
    return title[:60] or path


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def evidence_label(
    signal: Signal, events: list[Event], titles: Mapping[str, str] | None = None
) -> str:
    """The words a user would use for what went wrong: a button's text, an error message, the
    request that failed, or the pages a navigation loop went between (`titles` by path)."""
    if signal.kind is SignalKind.NAVIGATION_LOOP:
        pages = loop_pages(events)[:3]
        return _joined([page_name(p, titles or {}) for p in pages]) if pages else ""
    for event in reversed(events):
        message = event.data.get("message") if event.data else None
        if event.kind in ("invalid", "error") and isinstance(message, str) and message.strip():
            return message.strip()[:120]
        if event.kind == "http_error":
            return request_label(event)[:160]
        if event.target is not None and event.target.text.strip():
            return event.target.text.strip()[:80]
    return ""


def nudge_query(signal: Signal, label: str, form_errors: list[str]) -> str:
    """A question in the user's words, for retrieval on the current page."""
    errors = " ".join(form_errors[:2])
    match signal.kind:
        case SignalKind.RAGE_CLICK | SignalKind.DEAD_CLICK:
            return f"{label} button does nothing when I click it {errors}".strip()
        case SignalKind.ERROR_LOOP:
            return f"why do I get the error {label} {errors}".strip()
        case SignalKind.HESITATION if errors:
            return f"how do I fix {errors} on this form"
        case SignalKind.HESITATION if label:
            return f"why do I get the error {label}"  # idle after a failed request or script
        case SignalKind.HESITATION:
            return "how do I fix the errors on this form"
        case SignalKind.NAVIGATION_LOOP if label:
            return f"I keep going back and forth between {label}: where do I find what I need"
        case SignalKind.NAVIGATION_LOOP:
            return "I can't find what I am looking for on this page"
        case _:
            return "what can I do on this page"


def needs_retrieval(signal: Signal) -> bool:
    """Whether the knowledge can change the words: an explicit nudge (opened the assistant and
    closed it) has no evidence to look up, so its text is always the generic offer."""
    return signal.kind is not SignalKind.EXPLICIT


def best_line(text: str, query: str) -> str:
    """The article line that says most about the query (a step, a note)."""
    wanted = _content_words(query)
    lines = [ln.strip() for ln in text.split("\n") if len(ln.strip()) > 20]
    if not lines:
        return ""
    scored = max(lines, key=lambda ln: (len(wanted & _content_words(ln)), -lines.index(ln)))
    line = re.sub(r"^(\d+\.|-)\s*", "", scored)
    # A nudge is a glance, not an article: keep the first sentence or two.
    sentences = re.split(r"(?<=[.!?])\s+", line)
    out = sentences[0]
    for sentence in sentences[1:]:
        if len(out) + len(sentence) > MAX_CHARS:
            break
        out = f"{out} {sentence}"
    return out


def compose(
    signal: Signal,
    label: str,
    query: str,
    retrieval: Retrieval | None,
    min_confidence: float,
    base: str,
) -> NudgeText:
    from .answer import source_url  # the same links answers use

    lead = {
        SignalKind.RAGE_CLICK: f"Having trouble with {_QUOTE.format(label)}?" if label else "",
        SignalKind.DEAD_CLICK: f"{_QUOTE.format(label)} not doing anything?" if label else "",
        SignalKind.ERROR_LOOP: f"Seeing {_QUOTE.format(label)} again?" if label else "",
        SignalKind.HESITATION: "Stuck on this form?",
        SignalKind.NAVIGATION_LOOP: f"Going back and forth between {label}?" if label else "",
    }.get(signal.kind, "")
    if (
        retrieval is not None
        and needs_retrieval(signal)
        and retrieval.passages
        and retrieval.confidence >= min_confidence
    ):
        top = retrieval.passages[0]
        line = best_line(top.text, query)
        if line:
            text = f"{lead} {line}".strip() if lead else line
            source = Source(
                title=top.title, url=source_url(base, top.article_id, top.url, top.anchor)
            )
            return NudgeText(text, [source], True)
    return NudgeText(GENERIC[signal.kind], [], False)
