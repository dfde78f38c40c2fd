"""URL path patterns from front matter: `/settings/billing/*`, `/:site/settings/goals`.

A literal segment matches itself, `:name` matches any one segment, `*` as the last segment
matches the rest of the path (one or more segments) and `*` elsewhere matches one segment.
Trailing slashes and query strings are ignored; matching is case-insensitive.
"""

from __future__ import annotations

import re
from functools import lru_cache


def _segments(path: str) -> list[str]:
    path = path.split("?", 1)[0].split("#", 1)[0]
    return [s for s in path.lower().split("/") if s]


@lru_cache(maxsize=4_096)
def _compile(pattern: str) -> tuple[list[str], bool]:
    parts = _segments(pattern)
    open_ended = bool(parts) and parts[-1] in ("*", "**")
    return (parts[:-1] if open_ended else parts), open_ended


def path_matches(pattern: str, path: str) -> bool:
    parts, open_ended = _compile(pattern)
    segments = _segments(path)
    if open_ended:
        if len(segments) <= len(parts):
            return False
    elif len(segments) != len(parts):
        return False
    for want, got in zip(parts, segments, strict=False):
        if want == "*" or want.startswith(":"):
            continue
        if "*" in want:
            if not re.fullmatch(re.escape(want).replace(r"\*", "[^/]*"), got):
                return False
        elif want != got:
            return False
    return True


def specificity(pattern: str) -> int:
    """More literal segments = a closer mapping; used to prefer the tighter of two matches."""
    parts, open_ended = _compile(pattern)
    return sum(2 if not (p == "*" or p.startswith(":")) else 1 for p in parts) - int(open_ended)


def matches_any(patterns: list[str], *paths: str | None) -> bool:
    return any(path_matches(p, path) for p in patterns for path in paths if path)


def _literal(part: str) -> bool:
    return not (part.startswith(":") or "*" in part)


class PageMap:
    """Every article's `pages` patterns, indexed by their first literal segment.

    A page view checks only the patterns that can match its first segment (plus the few that
    start with a wildcard) instead of every pattern of every article, so matching stays cheap
    as the help centre grows.
    """

    def __init__(self, patterns_per_article: list[tuple[str, ...]]) -> None:
        self._by_first: dict[str, list[tuple[int, str, int]]] = {}
        for article, patterns in enumerate(patterns_per_article):
            for pattern in patterns:
                parts, _ = _compile(pattern)
                key = parts[0] if parts and _literal(parts[0]) else "*"
                entry = (article, pattern, specificity(pattern))
                self._by_first.setdefault(key, []).append(entry)

    def matches(self, *paths: str | None) -> dict[int, int]:
        """Article → the specificity of its tightest pattern that matches one of `paths`."""
        out: dict[int, int] = {}
        for path in paths:
            if not path:
                continue
            segments = _segments(path)
            first = segments[0] if segments else ""
            for article, pattern, tight in (
                *self._by_first.get(first, ()),
                *self._by_first.get("*", ()),
            ):
                known = out.get(article)
                if (known is None or tight > known) and path_matches(pattern, path):
                    out[article] = tight
        return out
