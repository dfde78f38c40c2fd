"""Route templates: the page a path is an instance of.

`/acme/settings/goals` and `/globex/settings/goals` are one page to a product manager. The
template comes from the app when it declares one (`data-pageguide-route` or `setContext`),
else from the knowledge's `pages` patterns that match, else from the path with identifier-
looking segments (numbers, UUIDs, long hex or mixed tokens) replaced by `:id`. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .retrieval.pages import path_matches, specificity

_ID = re.compile(
    r"^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{12,}"
    r"|(?=[a-z0-9_-]*\d)(?=[a-z0-9_-]*[a-z])[a-z0-9_-]{16,})$",
    re.I,
)


def normalise(path: str) -> str:
    segments = [s for s in path.split("?", 1)[0].split("#", 1)[0].split("/") if s]
    return "/" + "/".join(":id" if _ID.match(s) else s.lower() for s in segments)


def template_for(path: str, route: str | None, patterns: Iterable[str] = ()) -> str:
    if route:
        return route[:300]
    matching = [p for p in patterns if path_matches(p, path) and "*" not in p]
    if matching:
        return max(matching, key=specificity)
    return normalise(path)[:300]
