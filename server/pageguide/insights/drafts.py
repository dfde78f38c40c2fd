"""The learning loop: a person's resolution becomes knowledge the assistant uses next time.

When an agent closes a handoff with a resolution note, `draft_from_handoff` turns it into a
`Draft` article, extractively: the title is the user's question (or the issue type), `pages`
is the page the handoff came from, and the body is the note's steps as a Markdown list. Nothing
is invented and nothing is published on its own: a person reviews it in the inbox, edits the
title, pages and body, and publishes or rejects it.

Publishing writes `<knowledge>/learned/<slug>.md` with front matter (title, pages, tags
[learned, …]) into the configured knowledge folder, ingests the folder (incremental: only the
new article is embedded) and marks the draft published. The next user who asks gets an answer
citing it. Other server processes pick it up through the store's version stamp.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select, update

from ..db import Database
from ..db import models as m
from ..retrieval.markdown import ArticleError, parse_article, slugify
from .common import InsightError, jsonable, one_line, scrub

log = logging.getLogger("pageguide.insights.drafts")

LEARNED = "learned"  # the sub-folder of the knowledge folder published drafts go to
LEARNED_TAG = "learned"
LOW_CONFIDENCE = 0.5  # a question answered below this is what the handoff was about
MAX_TITLE = 300
MAX_BODY = 100_000
MAX_PAGES = 20
ISSUE_LABELS = {
    "how_to": "How to",
    "bug": "Known problem",
    "billing": "Billing",
    "account_access": "Account access",
    "feature_request": "Feature request",
    "outage": "Outage",
    "other": "Other",
}
_publishing = threading.Lock()  # one publication (write + ingest) at a time per process


# ---------------------------------------------------------------- from a note to Markdown

_LIST_ITEM = re.compile(r"^\s*(?:(?:step\s*)?\d{1,3}\s*[.):]|[-*•+])\s+(?P<text>\S.*)$", re.I)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“'(*])")
_QUESTION_START = re.compile(
    r"^(how|what|why|where|when|which|who|can|could|is|are|do|does|did|should|will|would)\b", re.I
)


@dataclass(frozen=True)
class Steps:
    intro: list[str]
    steps: list[str]
    notes: list[str]


def split_steps(note: str) -> Steps:
    """The note's steps: its list items when it has some (`1.`, `1)`, `-`, `Step 2:`), else its
    sentences when there are several. Text before the first item is the intro, after the last
    the notes. Continuation lines of an item stay with it."""
    lines = [line.rstrip() for line in note.replace("\r\n", "\n").split("\n")]
    if any(_LIST_ITEM.match(line) for line in lines):
        intro: list[str] = []
        steps: list[str] = []
        pending: list[str] = []  # free lines after an item: its continuation, or the notes
        for line in lines:
            item = _LIST_ITEM.match(line)
            if item:
                if pending:
                    steps[-1] += " " + " ".join(pending)
                    pending = []
                steps.append(item.group("text").strip())
            elif not line.strip():
                continue
            elif not steps:
                intro.append(line.strip())
            elif line.startswith((" ", "\t")) and not pending:
                steps[-1] += " " + line.strip()
            else:
                pending.append(line.strip())
        return Steps(intro, steps, pending)
    text = " ".join(line.strip() for line in lines if line.strip())
    sentences = [s.strip() for s in _SENTENCE.split(text) if s.strip()]
    if len(sentences) >= 2:
        return Steps([], sentences, [])
    return Steps(sentences, [], [])


def note_to_markdown(note: str) -> str:
    parts = split_steps(scrub(note.strip()))
    out: list[str] = []
    if parts.intro:
        out += [" ".join(parts.intro), ""]
    if parts.steps:
        out += ["## Steps", ""]
        out += [f"{n}. {step}" for n, step in enumerate(parts.steps, 1)]
        out.append("")
    if parts.notes:
        out += ["## Notes", "", " ".join(parts.notes), ""]
    return "\n".join(out).strip() + "\n"


def title_from(question: str | None, issue_type: str, note: str, template: str) -> str:
    if question and question.strip():
        title = one_line(scrub(question), 160).rstrip(" .")
        title = title[:1].upper() + title[1:]
        if _QUESTION_START.match(title) and not title.endswith(("?", "!")):
            title += "?"
        return title
    first = one_line(scrub(next((ln for ln in note.splitlines() if ln.strip()), "")), 100)
    label = ISSUE_LABELS.get(issue_type, issue_type.replace("_", " ").capitalize())
    if label and first:
        return f"{label}: {first}"
    return first or f"{label or 'Resolution'} on {template or 'this page'}"


# ---------------------------------------------------------------- drafting


async def _question_for(s: Any, handoff: m.HandoffRow) -> tuple[str | None, int | None]:
    """The question the handoff was about: the latest one asked before it whose answer was
    declined, unsure or thumbed down; else the latest answered one; else the latest asked."""
    rows = (
        await s.execute(
            select(
                m.Question.text,
                m.Question.page_view_id,
                m.Answer.status,
                m.Answer.confidence,
                m.Feedback.rating,
            )
            .outerjoin(m.Answer, m.Answer.question_id == m.Question.id)
            .outerjoin(m.Feedback, m.Feedback.answer_id == m.Answer.id)
            .where(m.Question.session_id == handoff.session_id, m.Question.at <= handoff.created_at)
            .order_by(m.Question.at.desc(), m.Question.id.desc())
            .limit(50)
        )
    ).all()
    unsure = [
        r
        for r in rows
        if r.status == "declined"
        or r.rating == "down"
        or (r.status in ("complete", "fallback") and (r.confidence or 0) < LOW_CONFIDENCE)
    ]
    answered = [r for r in rows if r.status is not None]
    for pick in (unsure, answered, rows):
        if pick:
            return pick[0].text, pick[0].page_view_id
    return None, None


async def draft_from_handoff(db: Database, handoff_id: str, agent_id: int | None) -> m.Draft:
    """An extractive draft from a closed handoff's resolution note. Idempotent: a handoff has
    at most one draft, and asking again returns it."""
    async with db.session() as s, s.begin():
        existing = await s.scalar(select(m.Draft).where(m.Draft.handoff_id == handoff_id))
        if existing is not None:
            return existing
        handoff = await s.get(m.HandoffRow, handoff_id)
        if handoff is None:
            raise InsightError("not_found", "no such conversation", 404)
        note = (handoff.resolution_note or "").strip()
        if not note:
            raise InsightError("no_note", "the conversation was closed without a resolution note")
        question, _ = await _question_for(s, handoff)
        tags = handoff.tags if isinstance(handoff.tags, dict) else {}
        issue_type = str(tags.get("issue_type") or "").strip()
        page = handoff.template or handoff.path.split("?", 1)[0]
        draft = m.Draft(
            handoff_id=handoff.id,
            title=title_from(question, issue_type, note, page)[:MAX_TITLE],
            pages=[page] if page else [],
            body=note_to_markdown(note),
            status="draft",
            created_by=agent_id,
        )
        s.add(draft)
        await s.flush()
    log.info("draft created", extra={"draft": draft.id, "handoff": handoff_id})
    return draft


async def on_handoff_closed(db: Database, handoff_id: str, agent_id: int | None) -> m.Draft | None:
    """The hook after `Escalations.close`: a draft when there is a note; never raises, so a
    closing conversation cannot fail on the learning loop."""
    try:
        return await draft_from_handoff(db, handoff_id, agent_id)
    except InsightError:
        return None
    except Exception:
        log.exception("drafting from a closed handoff failed", extra={"handoff": handoff_id})
        return None


async def draft_from_correction(
    db: Database, question: str, page: str, correction: str, agent_id: int | None
) -> m.Draft:
    """A draft from a flagged answer's correction (flags.py)."""
    async with db.session() as s, s.begin():
        draft = m.Draft(
            handoff_id=None,
            title=title_from(question, "", correction, page)[:MAX_TITLE],
            pages=[page] if page else [],
            body=note_to_markdown(correction),
            status="draft",
            created_by=agent_id,
        )
        s.add(draft)
        await s.flush()
        return draft


# ---------------------------------------------------------------- review


def draft_json(draft: m.Draft, agents: dict[int, str] | None = None) -> dict[str, Any]:
    agents = agents or {}
    return jsonable(
        {
            "id": draft.id,
            "handoff_id": draft.handoff_id,
            "title": draft.title,
            "pages": list(draft.pages or []),
            "body": draft.body,
            "status": draft.status,
            "created_by": agents.get(draft.created_by) if draft.created_by else None,
            "reviewed_by": agents.get(draft.reviewed_by) if draft.reviewed_by else None,
            "article_path": draft.article_path,
            "created_at": draft.created_at,
            "published_at": draft.published_at,
        }
    )


async def agent_names(db: Database) -> dict[int, str]:
    async with db.session() as s:
        return {i: n for i, n in (await s.execute(select(m.Agent.id, m.Agent.name))).all()}


async def list_drafts(db: Database, status: str = "draft", limit: int = 100) -> list[m.Draft]:
    async with db.session() as s:
        stmt = select(m.Draft).order_by(m.Draft.created_at.desc(), m.Draft.id.desc()).limit(limit)
        if status != "all":
            stmt = stmt.where(m.Draft.status == status)
        return list(await s.scalars(stmt))


async def draft_count(db: Database, status: str = "draft") -> int:
    async with db.session() as s:
        n = await s.scalar(select(func.count(m.Draft.id)).where(m.Draft.status == status))
    return int(n or 0)


async def get_draft(db: Database, draft_id: int) -> m.Draft:
    async with db.session() as s:
        draft = await s.get(m.Draft, draft_id)
    if draft is None:
        raise InsightError("not_found", "no such draft", 404)
    return draft


def clean_pages(pages: Any) -> list[str]:
    if isinstance(pages, str):
        pages = re.split(r"[\s,]+", pages)
    if not isinstance(pages, list) or not all(isinstance(p, str) for p in pages):
        raise InsightError("bad_pages", "pages must be a list of URL paths such as /app/dashboard")
    out = list(dict.fromkeys(p.strip() for p in pages if p.strip()))
    bad = [p for p in out if not p.startswith("/") or len(p) > 300 or any(c.isspace() for c in p)]
    if bad:
        raise InsightError("bad_pages", f"a page must be a path starting with '/': {bad[0]!r}")
    if len(out) > MAX_PAGES:
        raise InsightError("bad_pages", f"at most {MAX_PAGES} pages")
    return out


def _check(title: str, body: str) -> tuple[str, str]:
    title = " ".join(title.split())
    if len(title) < 3:
        raise InsightError("bad_title", "the title needs at least 3 characters")
    if len(title) > MAX_TITLE:
        raise InsightError("bad_title", f"the title can have at most {MAX_TITLE} characters")
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise InsightError("bad_body", "the article needs a body")
    if len(body) > MAX_BODY:
        raise InsightError("bad_body", f"the body can have at most {MAX_BODY} characters")
    return title, body + "\n"


async def update_draft(
    db: Database,
    draft_id: int,
    *,
    title: str | None = None,
    pages: Any = None,
    body: str | None = None,
) -> m.Draft:
    """Edit a draft that is still a draft."""
    draft = await get_draft(db, draft_id)
    new_title, new_body = _check(
        draft.title if title is None else title, draft.body if body is None else body
    )
    new_pages = list(draft.pages or []) if pages is None else clean_pages(pages)
    async with db.session() as s, s.begin():
        result = await s.execute(
            update(m.Draft)
            .where(m.Draft.id == draft_id, m.Draft.status == "draft")
            .values(title=new_title, pages=new_pages, body=new_body)
        )
        if result.rowcount != 1:
            raise InsightError("not_a_draft", f"this draft was already {draft.status}", 409)
    return await get_draft(db, draft_id)


async def reject_draft(db: Database, draft_id: int, agent_id: int | None) -> m.Draft:
    draft = await get_draft(db, draft_id)
    async with db.session() as s, s.begin():
        result = await s.execute(
            update(m.Draft)
            .where(m.Draft.id == draft_id, m.Draft.status == "draft")
            .values(status="rejected", reviewed_by=agent_id)
        )
        if result.rowcount != 1:
            raise InsightError("not_a_draft", f"this draft was already {draft.status}", 409)
    return await get_draft(db, draft_id)


def render_article(title: str, pages: list[str], body: str, tags: list[str]) -> str:
    front = {"title": title, "pages": pages, "tags": tags}
    if not pages:
        del front["pages"]
    matter = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{matter}---\n\n{body.strip()}\n"


def _free_path(folder: Path, slug: str) -> Path:
    path = folder / f"{slug}.md"
    n = 2
    while path.exists():
        path = folder / f"{slug}-{n}.md"
        n += 1
    return path


def _write_article(folder: Path, slug: str, text: str) -> Path:
    """`<folder>/learned/<slug>.md`, never over an existing file, written atomically (a
    dot-file is skipped by ingestion, so a half-written article is never read)."""
    learned = folder / LEARNED
    learned.mkdir(parents=True, exist_ok=True)
    path = _free_path(learned, slug)
    try:
        parse_article(text, path.relative_to(folder).as_posix())
    except ArticleError as exc:
        raise InsightError("bad_article", str(exc)) from None
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _write_and_ingest(folder: Path, slug: str, text: str, knowledge: Any) -> str:
    """In a thread, one publication at a time per process: write, ingest, and take the file
    back out if ingestion refused it. Returns the article id (its path in the folder)."""
    with _publishing:
        path = _write_article(folder, slug, text)
        article_id = path.relative_to(folder).as_posix()
        try:
            report = knowledge.ingest(folder)
            problems = [e for e in getattr(report, "errors", []) if e.startswith(article_id)]
            if problems:
                raise InsightError("bad_article", problems[0])
        except BaseException:
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        return article_id


async def publish_draft(
    db: Database,
    draft_id: int,
    agent_id: int | None,
    knowledge_folder: Path | None,
    knowledge: Any,
) -> m.Draft:
    """Write the article, ingest the folder, mark the draft published.

    `knowledge` is the server's `KnowledgeBase` (anything with `ingest(folder)`); it is run in
    a thread. The draft is claimed first with a conditional update, so of two reviewers
    pressing Publish at once one wins; a failure afterwards removes the file and puts the
    draft back."""
    if knowledge_folder is None:
        raise InsightError(
            "no_knowledge",
            "No knowledge folder is configured, so there is nowhere to publish. Start the server "
            "with --knowledge DIR (or set PAGEGUIDE_KNOWLEDGE) and publish again.",
            409,
        )
    folder = Path(knowledge_folder)
    if not await asyncio.to_thread(folder.is_dir):
        raise InsightError("no_knowledge", f"the knowledge folder {folder} does not exist", 409)
    draft = await get_draft(db, draft_id)
    if draft.status != "draft":
        raise InsightError("not_a_draft", f"this draft was already {draft.status}", 409)
    title, body = _check(draft.title, draft.body)
    pages = clean_pages(list(draft.pages or []))
    tags = [LEARNED_TAG]
    if draft.handoff_id:
        async with db.session() as s:
            handoff = await s.get(m.HandoffRow, draft.handoff_id)
        issue = (handoff.tags or {}).get("issue_type") if handoff is not None else None
        if isinstance(issue, str) and re.fullmatch(r"[\w-]{1,50}", issue):
            tags.append(issue)
    text = render_article(title, pages, body, tags)

    async with db.session() as s, s.begin():
        claimed = await s.execute(
            update(m.Draft)
            .where(m.Draft.id == draft_id, m.Draft.status == "draft")
            .values(status="published", reviewed_by=agent_id, published_at=datetime.now(UTC))
        )
        if claimed.rowcount != 1:
            raise InsightError("not_a_draft", "this draft was published or rejected meanwhile", 409)

    slug = (slugify(title)[:80].strip("-") or f"draft-{draft_id}").lower()
    try:
        article_id = await asyncio.to_thread(_write_and_ingest, folder, slug, text, knowledge)
    except BaseException:
        async with db.session() as s, s.begin():
            await s.execute(
                update(m.Draft)
                .where(m.Draft.id == draft_id)
                .values(status="draft", reviewed_by=None, published_at=None)
            )
        raise
    async with db.session() as s, s.begin():
        await s.execute(
            update(m.Draft)
            .where(m.Draft.id == draft_id)
            .values(title=title, pages=pages, body=body, article_path=article_id)
        )
    log.info("draft published", extra={"draft": draft_id, "article": article_id})
    return await get_draft(db, draft_id)


def article_url(base_url: str, article_path: str) -> str:
    """Where the published article is read: the server's own /help/ page."""
    slug = article_path.rsplit(".", 1)[0]
    return f"{base_url.rstrip('/')}/help/{slug}"
