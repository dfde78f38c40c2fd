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
