"""URL path patterns from front matter: `/settings/billing/*`, `/:site/settings/goals`.

A literal segment matches itself, `:name` matches any one segment, `*` as the last segment
matches the rest of the path (one or more segments) and `*` elsewhere matches one segment.
Trailing slashes and query strings are ignored; matching is case-insensitive.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Generic, TypeVar

T = TypeVar("T")


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


def _glob(part: str) -> re.Pattern[str]:
    return re.compile(re.escape(part).replace(r"\*", "[^/]*"))


class _Node(Generic[T]):
    """One segment position of a `PatternTrie`; children are keyed by what the next segment
    of a pattern is, values by how the pattern ends here."""

    __slots__ = ("exact", "literal", "open", "partial", "wild")

    def __init__(self) -> None:
        self.literal: dict[str, _Node[T]] = {}
        self.wild: _Node[T] | None = None  # `:name` or a `*` that is not last
        self.partial: dict[str, tuple[re.Pattern[str], _Node[T]]] = {}  # `dash*`, `*-report`
        self.exact: list[T] = []  # patterns that end here
        self.open: list[T] = []  # patterns that end here with `/*`: one or more segments follow


class PatternTrie(Generic[T]):
    """Page patterns by segment, so a path visits only the patterns that can still match it.

    `find(path)` yields the value of every pattern that `path_matches` the path, and no other:
    the walk follows the path's literal segment, the one-segment wildcard and any partial glob
    that matches, so apps whose routes all share a prefix (`/app/…`, `/:org/…`) do not fall
    back to checking every pattern.
    """

    def __init__(self) -> None:
        self._root: _Node[T] = _Node()

    def add(self, pattern: str, value: T) -> None:
        parts, open_ended = _compile(pattern)
        node = self._root
        for part in parts:
            if part == "*" or part.startswith(":"):
                if node.wild is None:
                    node.wild = _Node()
                node = node.wild
            elif "*" in part:
                if part not in node.partial:
                    node.partial[part] = (_glob(part), _Node())
                node = node.partial[part][1]
            else:
                node = node.literal.setdefault(part, _Node())
        (node.open if open_ended else node.exact).append(value)

    def find(self, path: str) -> Iterator[T]:
        segments = _segments(path)
        depth_end = len(segments)
        stack: list[tuple[_Node[T], int]] = [(self._root, 0)]
        while stack:
            node, depth = stack.pop()
            if depth == depth_end:
                yield from node.exact
                continue
            yield from node.open
            segment = segments[depth]
            child = node.literal.get(segment)
            if child is not None:
                stack.append((child, depth + 1))
            if node.wild is not None:
                stack.append((node.wild, depth + 1))
            for regex, node_ in node.partial.values():
                if regex.fullmatch(segment):
                    stack.append((node_, depth + 1))


class PageMap:
    """Every article's `pages` patterns in a `PatternTrie`.

    A page view walks the trie along its own segments instead of checking every pattern of
    every article, so matching stays cheap as the help centre grows, also when every route
    shares its first segment.
    """

    def __init__(self, patterns_per_article: list[tuple[str, ...]]) -> None:
        self._trie: PatternTrie[tuple[int, int]] = PatternTrie()
        for article, patterns in enumerate(patterns_per_article):
            for pattern in patterns:
                self._trie.add(pattern, (article, specificity(pattern)))

    def matches(self, *paths: str | None) -> dict[int, int]:
        """Article → the specificity of its tightest pattern that matches one of `paths`."""
        out: dict[int, int] = {}
        for path in paths:
            if not path:
                continue
            for article, tight in self._trie.find(path):
                known = out.get(article)
                if known is None or tight > known:
                    out[article] = tight
        return out
