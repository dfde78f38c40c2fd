"""Knowledge articles: Markdown or Docusaurus-style MDX with YAML front matter, split by heading.

Pure code: text in, `Article` with `Section`s out. MDX imports/exports, JSX tags, comments and
admonition fences are removed; the text inside JSX components is kept.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import frontmatter
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

SUFFIXES = (".md", ".mdx", ".markdown")
MAX_SECTION_CHARS = 1_500  # MiniLM reads 256 word pieces; longer sections are split

# Indented code blocks are off: text left indented by removed JSX wrappers is prose, not code.
_md = MarkdownIt("commonmark", {"html": False}).enable("table").disable("code")

_IMPORT_EXPORT = re.compile(
    r"^\s*(import\s+[\w{}*,\s]+?\s+from\s+['\"].+?['\"];?"
    r"|import\s+['\"].+?['\"];?"
    r"|export\s+(const|let|var|function|default|\{).*)$",
    re.M,
)
# Blocks whose content is for the browser, not the reader (Docusaurus <head> JSON-LD, scripts).
_HIDDEN_BLOCK = re.compile(r"<(head|script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_MDX_COMMENT = re.compile(r"\{/\*.*?\*/\}", re.S)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_JSX_TAG = re.compile(r"</?[A-Za-z][\w.]*(\s+[^<>]*?)?/?>", re.S)
_ADMONITION = re.compile(r"^[ \t]*:::[ \t]*(\w+)?[ \t]*(.*)$", re.M)
_JSX_LINE = re.compile(r"^[ \t]*</?[A-Za-z][\w.]*(\s+[^<>]*?)?/?>[ \t]*$")
_JSX_EXPR = re.compile(r"^\s*\{[^{}\n]*\}\s*$", re.M)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_CODE_FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.M | re.S)


@dataclass(frozen=True)
class Section:
    heading: str  # "" for the text before the first heading
    heading_path: tuple[str, ...]
    text: str  # plain text, list items on their own lines ("1. ...", "- ...")
    anchor: str = ""


@dataclass
class Article:
    id: str  # path relative to the knowledge root, posix style
    title: str
    pages: list[str]
    tags: list[str]
    url: str
    sections: list[Section] = field(default_factory=list)
    digest: str = ""


class ArticleError(ValueError):
    """An article that cannot be read; ingestion reports it and goes on."""


def clean_mdx(body: str) -> str:
    """Remove MDX-only syntax, keeping the words a reader sees."""
    fences: list[str] = []

    def keep_fence(match: re.Match[str]) -> str:
        fences.append(match.group(0))
        return f"\x00{len(fences) - 1}\x00"

    text = _CODE_FENCE.sub(keep_fence, body)
    text = _INLINE_CODE.sub(keep_fence, text)  # `<head>` in prose is words, not markup
    text = _IMPORT_EXPORT.sub("", text)
    text = _dedent_jsx_blocks(text)
    text = _HIDDEN_BLOCK.sub("", text)
    text = _MDX_COMMENT.sub("", text)
    text = _HTML_COMMENT.sub("", text)
    text = _JSX_TAG.sub("", text)
    text = _JSX_EXPR.sub("", text)
    text = _ADMONITION.sub(
        lambda m: f"**{m.group(2).strip()}**\n" if m.group(2).strip() else "", text
    )
    text = re.sub(r"\x00(\d+)\x00", lambda m: fences[int(m.group(1))], text)
    return re.sub(r"\n{3,}", "\n\n", text)


def _dedent_jsx_blocks(text: str) -> str:
    """Dedent what sits between whole-line JSX tags, so `<TabItem>` content reads as prose."""
    out: list[str] = []
    block: list[str] = []
    depth = 0
    for line in text.split("\n"):
        if _JSX_LINE.match(line):
            if block:
                out.extend(textwrap.dedent("\n".join(block)).split("\n"))
                block = []
            stripped = line.strip()
            if stripped.startswith("</"):
                depth = max(0, depth - 1)
            elif not stripped.endswith("/>"):
                depth += 1
            out.append("")
        elif depth:
            block.append(line)
        else:
            out.append(line)
    out.extend(textwrap.dedent("\n".join(block)).split("\n") if block else [])
    return "\n".join(out)


def slugify(text: str) -> str:
    slug = re.sub(r"[^\w\s-]", "", text.lower()).strip()
    return re.sub(r"[\s_]+", "-", slug)


def _inline_text(token: Token) -> str:
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            continue
    return "".join(parts).strip()


def _sections(body: str) -> list[tuple[int, str, list[str]]]:
    """(level, heading, lines) in document order; lines keep list numbering."""
    tokens = _md.parse(body)
    out: list[tuple[int, str, list[str]]] = [(0, "", [])]
    list_stack: list[list[int]] = []  # per open list: [ordered, next number]
    pending_heading: int | None = None
    fresh_item = False  # the next inline text starts the current list item's line
    for tok in tokens:
        if tok.type == "heading_open":
            pending_heading = int(tok.tag[1])
        elif tok.type == "inline" and pending_heading is not None:
            out.append((pending_heading, _inline_text(tok), []))
            pending_heading = None
        elif tok.type == "ordered_list_open":
            list_stack.append([1, int(tok.attrGet("start") or 1)])
        elif tok.type == "bullet_list_open":
            list_stack.append([0, 0])
        elif tok.type in ("ordered_list_close", "bullet_list_close"):
            list_stack.pop()
        elif tok.type == "list_item_open":
            ordered, number = list_stack[-1]
            marker = f"{number}." if ordered else "-"
            list_stack[-1][1] += 1
            out[-1][2].append("  " * (len(list_stack) - 1) + marker)
            fresh_item = True
        elif tok.type == "inline":
            text = _inline_text(tok)
            if not text:
                continue
            if fresh_item:
                out[-1][2][-1] += " " + text
                fresh_item = False
            else:
                out[-1][2].append(("  " * len(list_stack)) + text if list_stack else text)
        elif tok.type in ("fence", "code_block"):
            code = tok.content.strip()
            if code:
                out[-1][2].append(code)
    return out


def parse_article(text: str, article_id: str, url: str | None = None) -> Article:
    """Parse one article. `article_id` is its path relative to the knowledge root."""
    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError) as exc:
        raise ArticleError(f"{article_id}: bad front matter: {exc}") from None
    meta = post.metadata or {}
    # Docusaurus reads .md as MDX too, so every article is cleaned the same way.
    body = clean_mdx(post.content)
    raw_sections = _sections(body)

    title = str(meta.get("title") or "").strip()
    if not title:
        h1 = next((h for level, h, _ in raw_sections if level == 1 and h), "")
        title = h1 or str(meta.get("sidebar_label") or "") or _title_from_path(article_id)
    pages = _as_list(meta.get("pages"), article_id, "pages")
    tags = _as_list(meta.get("tags"), article_id, "tags")
    if url is None:
        url = str(meta.get("url") or "")

    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    for level, heading, lines in raw_sections:
        if level:
            path = [(lvl, h) for lvl, h in path if lvl < level] + [(level, heading)]
        body_text = "\n".join(line.rstrip() for line in lines if line.strip()).strip()
        if not body_text:
            continue
        heading_path = tuple(h for lvl, h in path if h and h != title)
        for piece in _split_long(body_text):
            sections.append(
                Section(
                    heading=heading if level else "",
                    heading_path=heading_path,
                    text=piece,
                    anchor=slugify(heading) if level > 1 else "",
                )
            )
    if not sections:
        sections.append(Section(heading="", heading_path=(), text=title))
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return Article(article_id, title, pages, tags, url, sections, digest)


def _as_list(value: object, article_id: str, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v) for v in value]
    raise ArticleError(f"{article_id}: front matter '{name}' must be a string or a list of strings")


def _title_from_path(article_id: str) -> str:
    stem = PurePosixPath(article_id).stem
    stem = re.sub(r"^\d+[-_]", "", stem)
    return stem.replace("-", " ").replace("_", " ").strip().capitalize() or article_id


def _split_long(text: str) -> list[str]:
    if len(text) <= MAX_SECTION_CHARS:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        if current and len(current) + len(line) + 1 > MAX_SECTION_CHARS:
            pieces.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        pieces.append(current)
    return pieces
