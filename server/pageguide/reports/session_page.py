"""`/reports/session/…`: one session replayed. Its pages in order, then every page view, event,
struggle signal, nudge and turn of the conversation on one timeline, filterable by kind.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..inbox.auth import SignedIn
from .layout import Filters, database, load_template, render
from .markup import DASH, duration, e, page_href, when
from .queries import session_timeline

GROUPS = {
    "page": "pages",
    "event": "events",
    "signal": "signals",
    "nudge": "nudges",
}
GROUP_LABELS = {
    "pages": "Pages",
    "events": "Events",
    "signals": "Signals",
    "nudges": "Nudges",
    "conversation": "Conversation",
}
KIND_LABELS = {"csat": "CSAT", "feedback": "rating"}


def offset(seconds: float) -> str:
    seconds = max(0, int(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"+{h}:{m:02d}:{s:02d}" if h else f"+{m}:{s:02d}"


def _item_detail(item: Any) -> str:
    d = item.data
    bits: list[str] = []
    if item.kind == "page":
        if d.get("title"):
            bits.append(e(d["title"]))
        if d.get("path") and d.get("path") != item.template:
            bits.append(f"<code>{e(d['path'])}</code>")
        for err in d.get("form_errors") or []:
            text = err.get("message", err) if isinstance(err, dict) else err
            bits.append(f"form error: {e(text)}")
    elif item.kind == "signal":
        bits.append(f"score {d.get('score', 0):.2f}")
        if d.get("reason"):
            bits.append(e(str(d["reason"]).replace("_", " ")))
        if d.get("verdict"):
            bits.append(f"nudge policy: {e(d['verdict'])}")
    elif item.kind == "answer":
        bits.append(e(d.get("status", "")))
        if "confidence" in d:
            bits.append(f"confidence {float(d['confidence']):.2f}")
        for src in d.get("sources") or []:
            if isinstance(src, dict):
                bits.append(f"source: {e(src.get('title') or src.get('url') or '')}")
    elif item.kind == "handoff":
        tags = d.get("tags") or {}
        bits.extend(f"{e(k.replace('_', ' '))}: {e(v)}" for k, v in tags.items() if v)
    elif item.kind == "nudge":
        if d.get("asked"):
            bits.append("a question followed")
        if d.get("succeeded"):
            bits.append("the user got past it")
    return f'<p class="detail">{" · ".join(b for b in bits if b)}</p>' if bits else ""


def _item_class(item: Any) -> str:
    d = item.data
    if item.kind == "event" and d.get("event") in ("error", "http_error", "invalid"):
        return "event error"
    if item.kind == "message":
        return f"message {e(d.get('role', ''))}"
    if item.kind == "question":
        return "question user"
    if item.kind == "answer":
        return "answer assistant"
    return e(item.kind)


async def session_page(request: Request, agent: SignedIn) -> Response:
    f = Filters.of(request)
    sid = request.path_params["session_id"]
    t = await session_timeline(database(request), sid)
    q = f.query()
    if t is None:
        body = (
            '<header class="page-head"><div><h1>Session not found</h1>'
            f'<p class="lede">No session <code>{e(sid)}</code>; it may have been deleted by the '
            f'retention policy. <a href="/reports{e(q)}">Back to the reports</a>.</p>'
            "</div></header>"
        )
        return render("Session not found", body, agent, f, "friction", status=404)
    start = t.started_at
    pages = [i for i in t.items if i.kind == "page"]
    trail = (
        '<ol class="trail">'
        + "".join(
            f'<li><a href="{e(page_href(i.template or i.data.get("path", "/"), q))}">'
            f"<code>{e(i.template or i.data.get('path', ''))}</code></a></li>"
            for i in pages
        )
        + "</ol>"
        if pages
        else '<p class="empty">No pages recorded.</p>'
    )
    counts: dict[str, int] = {}
    entries = []
    for item in t.items:
        group = GROUPS.get(item.kind, "conversation")
        counts[group] = counts.get(group, 0) + 1
        label = KIND_LABELS.get(item.kind, item.kind)
        if item.kind == "event":
            label = str(item.data.get("event", "event")).replace("_", " ")
        elif item.kind == "message":
            label = str(item.data.get("role", "message"))
        entries.append(
            f'<li class="{_item_class(item)}" data-group="{group}">'
            f'<time datetime="{item.at.isoformat()}" title="{item.at:%Y-%m-%d %H:%M:%S} UTC">'
            f"{offset((item.at - start).total_seconds())}</time>"
            f'<span class="kind">{e(label)}</span>'
            f'<div class="body"><p>{e(item.summary)}</p>{_item_detail(item)}</div></li>'
        )
    toggles = "".join(
        f'<label><input type="checkbox" checked data-timeline-kind="{g}"> {GROUP_LABELS[g]} '
        f'<span class="muted">({counts[g]})</span></label>'
        for g in GROUP_LABELS
        if counts.get(g)
    )
    facts = [
        ("Site", f"<code>{e(t.site_key)}</code>"),
        ("Started", when(t.started_at) + " UTC"),
        ("Last seen", when(t.last_seen_at) + " UTC"),
        ("Length", duration((t.last_seen_at - t.started_at).total_seconds())),
        ("Account", f"<code>{e(t.account_id)}</code>" if t.account_id else "anonymous"),
        ("User", f"<code>{e(t.user_id)}</code>" if t.user_id else DASH),
    ]
    truncated = (
        '<p class="notice">This session has more events than a replay shows; the first ones '
        "are here.</p>"
        if t.truncated
        else ""
    )
    body = load_template("session.html").substitute(
        crumbs=f'<a href="/reports{e(q)}">Where users get stuck</a>',
        session_id=e(t.session_id),
        facts="".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts),
        trail=trail,
        toggles=toggles,
        truncated=truncated,
        timeline="".join(entries) or '<li class="empty">Nothing recorded.</li>',
    )
    return render(f"Session {t.session_id}", body, agent, f, "friction")
