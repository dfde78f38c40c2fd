"""The issue type of an AI conversation: the top source article of its first answer, through
that article's tags, onto the inbox's issue types (the same list people tag handoffs with).
Pure, apart from reading a knowledge folder's front matter when asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

UNKNOWN = "unknown"
# The inbox's issue types (inbox/templates/app.html); article tags map onto them.
ISSUE_TYPES = ("how_to", "bug", "billing", "account_access", "feature_request", "outage", "other")
TAG_TO_ISSUE = {
    "billing": "billing",
    "invoices": "billing",
    "payment": "billing",
    "subscription": "billing",
    "plans": "billing",
    "cancel": "billing",
    "tax": "billing",
    "sign-in": "account_access",
    "2fa": "account_access",
    "password": "account_access",
    "account": "account_access",
    "sso": "account_access",
    "troubleshooting": "bug",
    "bug": "bug",
    "outage": "outage",
    "incident": "outage",
}


def article_slug(url: str) -> str:
    """`https://x/help/billing-change-plan#update` → `billing-change-plan`."""
    path = urlsplit(url or "").path
    if "/help/" in path:
        path = path.split("/help/", 1)[1]
    path = path.strip("/")
    head, _, last = path.rpartition("/")
    if "." in last.strip("."):
        last = last.rsplit(".", 1)[0]
    return f"{head}/{last}" if head else last


def issue_type_from_tags(tags: Iterable[str]) -> str:
    tags = [str(t).lower() for t in tags]
    for tag in tags:
        if tag in ISSUE_TYPES:
            return tag
    for tag in tags:
        if tag in TAG_TO_ISSUE:
            return TAG_TO_ISSUE[tag]
    return "how_to"  # an article that answers a question is, by default, a how-to


class IssueTypes:
    """Top source URL of an AI answer → issue type, from the articles' tags. No source (a
    declined answer) or an article it does not know → "unknown"."""

    def __init__(self, tags_by_slug: Mapping[str, Sequence[str]] | None = None) -> None:
        self.tags_by_slug = dict(tags_by_slug or {})
        self._seen: dict[str, str] = {}  # answers cite the same few URLs over and over

    def __call__(self, url: str | None) -> str:
        if not url:
            return UNKNOWN
        found = self._seen.get(url)
        if found is None:
            tags = self.tags_by_slug.get(article_slug(url))
            found = UNKNOWN if tags is None else issue_type_from_tags(tags)
            if len(self._seen) < 10_000:
                self._seen[url] = found
        return found

    @classmethod
    def from_index(cls, index: Any) -> IssueTypes:
        """From a serving `KnowledgeIndex` (its `articles` carry id and tags)."""
        return cls({str(PurePosixPath(a.id).with_suffix("")): list(a.tags) for a in index.articles})

    @classmethod
    def from_folder(cls, folder: Path) -> IssueTypes:
        """From a knowledge folder's front matter (no embedding, no store)."""
        import frontmatter

        found: dict[str, list[str]] = {}
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() in (".md", ".mdx") and path.is_file():
                try:
                    tags = frontmatter.load(path).metadata.get("tags") or []
                except Exception:
                    continue
                slug = str(PurePosixPath(path.relative_to(folder).as_posix()).with_suffix(""))
                found[slug] = [str(t) for t in tags] if isinstance(tags, list) else [str(tags)]
        return cls(found)


__all__ = ["ISSUE_TYPES", "UNKNOWN", "IssueTypes", "article_slug", "issue_type_from_tags"]
