"""Route templates: the page a path is an instance of.

`/acme/settings/goals` and `/globex/settings/goals` are one page to a product manager. The
template comes from the app when it declares one (`data-pageguide-route` or `setContext`),
else from the knowledge's `pages` patterns that match, else from the path with identifier-
looking segments (numbers, UUIDs, long hex or mixed tokens) replaced by `:id`. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from .retrieval.pages import PatternTrie, specificity

_ID = re.compile(
    r"^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{12,}"
    r"|(?=[a-z0-9_-]*\d)(?=[a-z0-9_-]*[a-z])[a-z0-9_-]{16,})$",
    re.I,
)


def normalise(path: str) -> str:
    segments = [s for s in path.split("?", 1)[0].split("#", 1)[0].split("/") if s]
    return "/" + "/".join(":id" if _ID.match(s) else s.lower() for s in segments)


class RouteTemplates:
    """The patterns that can name a page (no `*` anywhere), in a trie: a page frame walks its
    own segments instead of checking every knowledge pattern on the event loop."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self._trie: PatternTrie[tuple[int, int, str]] = PatternTrie()
        for order, pattern in enumerate(patterns):
            if "*" not in pattern:
                self._trie.add(pattern, (specificity(pattern), -order, pattern))

    def best(self, path: str) -> str | None:
        """The most specific matching pattern; of equals, the first given (as `max` picks)."""
        found = max(self._trie.find(path), default=None)
        return found[2] if found else None


@lru_cache(maxsize=8)
def route_templates(patterns: tuple[str, ...]) -> RouteTemplates:
    """Built once per set of patterns (the knowledge's change only on reload)."""
    return RouteTemplates(patterns)


def template_for(path: str, route: str | None, patterns: Iterable[str] = ()) -> str:
    if route:
        return route[:300]
    best = route_templates(tuple(patterns)).best(path)
    if best is not None:
        return best
    return normalise(path)[:300]
