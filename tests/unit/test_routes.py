from __future__ import annotations

import random
from collections.abc import Iterable

import pytest

from pageguide.retrieval.pages import path_matches, specificity
from pageguide.routes import normalise, template_for


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/app/settings/billing", "/app/settings/billing"),
        ("/app/invoices/1234", "/app/invoices/:id"),
        ("/p/3f2b9c1e-8a7d-4c2b-9e1f-0a1b2c3d4e5f/edit", "/p/:id/edit"),
        ("/u/5f1d7c2a9b3e8d4f", "/u/:id"),
        (
            "/docs/getting-started-with-your-first-dashboard",
            "/docs/getting-started-with-your-first-dashboard",
        ),
        ("/App/Settings/?tab=1", "/app/settings"),
    ],
)
def test_identifiers_become_id(path: str, expected: str) -> None:
    assert normalise(path) == expected


def test_declared_route_wins_then_knowledge_patterns() -> None:
    patterns = ["/:site/settings/goals", "/app/*"]
    assert template_for("/acme/settings/goals", None, patterns) == "/:site/settings/goals"
    assert template_for("/globex/settings/goals", None, patterns) == "/:site/settings/goals"
    assert template_for("/acme/settings/goals", "/:workspace/settings/goals", patterns) == (
        "/:workspace/settings/goals"
    )
    assert template_for("/app/x/42", None, patterns) == "/app/x/:id"  # wildcards are not templates


def _template_checking_every_pattern(path: str, route: str | None, patterns: Iterable[str]) -> str:
    """template_for as it was before the trie: every pattern checked in turn."""
    if route:
        return route[:300]
    matching = [p for p in patterns if path_matches(p, path) and "*" not in p]
    if matching:
        return max(matching, key=specificity)
    return normalise(path)[:300]


def test_template_for_picks_what_checking_every_pattern_picks() -> None:
    words = ["app", "settings", "goals", "billing", "edit", "dash", "42", "Settings"]
    pattern_segments = [*words, ":id", ":site", "*", "dash*", "**"]
    rng = random.Random(5)
    pattern_sets = []
    for _ in range(20):
        patterns = [
            rng.choice(["/app/", "/:org/", "/App/", "/"])
            + "/".join(rng.choice(pattern_segments) for _ in range(rng.randint(0, 4)))
            for _ in range(rng.randint(0, 120))
        ]
        pattern_sets.append(patterns)
    # Ties in specificity between case variants and between wildcards: the first given wins.
    pattern_sets.append(["/app/:a/goals", "/app/:b/goals", "/App/X/goals", "/app/x/Goals"])
    path_words = [*words, "acme", "x", "3f2b9c1e8a7d4c2b9e1f"]
    checked = 0
    for patterns in pattern_sets:
        for _ in range(60):
            head = rng.choice(["/app/", "/APP/", "/acme/", "/", ""])
            body = "/".join(rng.choice(path_words) for _ in range(rng.randint(0, 4)))
            path = head + body + rng.choice(["", "/", "?tab=1", "#h"])
            route = rng.choice([None, None, None, "", "/:site/settings"])
            want = _template_checking_every_pattern(path, route, patterns)
            assert template_for(path, route, patterns) == want, (path, route)
            assert template_for(path, route, iter(patterns)) == want  # any iterable, once
            checked += not route and want != normalise(path)[:300]
    assert checked > 100  # most samples name their page by a pattern, not the fallback
    tie = pattern_sets[-1]
    assert template_for("/app/x/goals", None, tie) == "/App/X/goals"
    assert template_for("/app/y/goals", None, tie) == "/app/:a/goals"
