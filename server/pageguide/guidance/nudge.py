"""Words for a nudge: specific when the knowledge says something about this moment, generic
(and honest) when it does not. Pure: the caller does the retrieval."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..protocol import Event, Source
from ..retrieval.search import Retrieval
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


@dataclass(frozen=True)
class NudgeText:
    text: str
    sources: list[Source]
    specific: bool


def evidence_label(signal: Signal, events: list[Event]) -> str:
    """The words a user would use for what went wrong: a button's text or an error message."""
    for event in reversed(events):
        message = event.data.get("message") if event.data else None
        if event.kind in ("invalid", "error") and isinstance(message, str) and message.strip():
            return message.strip()[:120]
        if event.kind == "http_error" and event.data:
            return f"{event.data.get('status', '')} error".strip()
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
        case SignalKind.HESITATION:
            return f"how do I fix {errors or label} on this form".strip()
        case SignalKind.NAVIGATION_LOOP:
            return "I can't find what I am looking for on this page"
        case _:
            return "what can I do on this page"


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
    signal: Signal, label: str, query: str, retrieval: Retrieval, min_confidence: float, base: str
) -> NudgeText:
    from .answer import source_url  # the same links answers use

    lead = {
        SignalKind.RAGE_CLICK: f"Having trouble with {_QUOTE.format(label)}?" if label else "",
        SignalKind.DEAD_CLICK: f"{_QUOTE.format(label)} not doing anything?" if label else "",
        SignalKind.ERROR_LOOP: f"Seeing {_QUOTE.format(label)} again?" if label else "",
        SignalKind.HESITATION: "Stuck on this form?",
    }.get(signal.kind, "")
    if (
        retrieval.passages
        and retrieval.confidence >= min_confidence
        and signal.kind is not SignalKind.EXPLICIT
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
