from __future__ import annotations

import pytest

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
