"""Knowledge parsing (Markdown and Docusaurus MDX) and page patterns."""

from __future__ import annotations

import random

import pytest

from pageguide.retrieval.markdown import ArticleError, parse_article
from pageguide.retrieval.pages import PageMap, matches_any, path_matches, specificity

MDX = """---
title: Change your plan
pages: ["/app/settings/billing"]
tags: [billing]
---
import Tabs from '@theme/Tabs';
import TabItem from '@theme/TabItem';
export const meta = {a: 1};

Plans can change at any time.

## Upgrade

1. Open **Settings → Billing**.
2. Click *Change plan*.

<Tabs>
  <TabItem value="monthly" label="Monthly">
    Monthly plans renew each month.
  </TabItem>
</Tabs>

:::tip Proration
You pay only the difference.
:::

{/* an MDX comment */}

```js
const el = <Widget />;
```

## Downgrade
<!-- hidden -->
Downgrades apply at the end of the period.
"""


def test_mdx_is_cleaned_and_chunked_by_heading() -> None:
    article = parse_article(MDX, "billing/plan.mdx")
    assert article.title == "Change your plan"
    assert article.pages == ["/app/settings/billing"] and article.tags == ["billing"]
    headings = [s.heading for s in article.sections]
    assert headings == ["", "Upgrade", "Downgrade"]
    upgrade = article.sections[1].text
    assert "1. Open Settings → Billing." in upgrade and "2. Click Change plan." in upgrade
    assert "Monthly plans renew each month." in upgrade
    assert "Proration" in upgrade and "You pay only the difference." in upgrade
    assert "const el = <Widget />;" in upgrade  # code fences are kept as written
    everything = "\n".join(s.text for s in article.sections)
    for gone in ("import", "export", "<Tabs>", "TabItem", ":::", "MDX comment", "hidden"):
        assert gone not in everything
    assert article.sections[2].anchor == "downgrade"


def test_title_falls_back_to_h1_then_file_name() -> None:
    assert parse_article("# Hello there\n\ntext", "a.md").title == "Hello there"
    assert parse_article("just text", "docs/02-set-up-goals.md").title == "Set up goals"


def test_bad_front_matter_is_a_clear_error() -> None:
    with pytest.raises(ArticleError, match=r"a\.md"):
        parse_article("---\ntitle: [unclosed\n---\nbody", "a.md")
    with pytest.raises(ArticleError, match="pages"):
        parse_article("---\npages: {a: 1}\n---\nbody", "a.md")


def test_digest_changes_with_content() -> None:
    assert parse_article("a", "x.md").digest != parse_article("b", "x.md").digest


def test_long_sections_are_split() -> None:
    body = "## Long\n\n" + "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(20))
    sections = parse_article(body, "long.md").sections
    assert len(sections) > 2 and all(len(s.text) <= 1_600 for s in sections)


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("/app/settings/billing", "/app/settings/billing/", True),
        ("/app/settings/billing", "/app/settings/team", False),
        ("/settings/billing/*", "/settings/billing/invoices", True),
        ("/settings/billing/*", "/settings/billing/invoices/42", True),
        ("/settings/billing/*", "/settings/billing", False),
        ("/:site/settings/goals", "/acme.io/settings/goals", True),
        ("/:site/settings/goals", "/settings/goals", False),
        ("/app/*/edit", "/app/42/edit", True),
        ("/app/dash*", "/app/dashboard", True),
        ("/App/Settings", "/app/settings?tab=1", True),
    ],
)
def test_page_patterns(pattern: str, path: str, expected: bool) -> None:
    assert path_matches(pattern, path) is expected


def test_specificity_prefers_literal_segments() -> None:
    assert specificity("/app/settings/billing") > specificity("/app/settings/*")
    assert matches_any(["/x", "/app/*"], "/nope", "/app/a")


def _every_pattern(articles: list[tuple[str, ...]], *paths: str | None) -> dict[int, int]:
    """What `PageMap.matches` must return, by checking every pattern of every article."""
    return {
        i: max(specificity(p) for p in pats if matches_any([p], *paths))
        for i, pats in enumerate(articles)
        if matches_any(list(pats), *paths)
    }


def _random_articles(
    rng: random.Random, prefixes: list[str], segments: list[str], n: int
) -> list[tuple[str, ...]]:
    return [
        tuple(
            rng.choice(prefixes) + "/".join(rng.choice(segments) for _ in range(rng.randint(0, 4)))
            for _ in range(rng.randint(0, 3))
        )
        for _ in range(n)
    ]


def test_page_map_finds_what_checking_every_pattern_finds() -> None:
    segments = ["app", "settings", "billing", "team", ":site", "*", "bill*", "App"]
    rng = random.Random(7)
    articles = [
        tuple(
            "/" + "/".join(rng.choice(segments) for _ in range(rng.randint(0, 3)))
            for _ in range(rng.randint(0, 3))
        )
        for _ in range(300)
    ]
    page_map = PageMap(articles)
    paths = ["/", "/app", "/app/settings/billing", "/acme/settings/team", "/billing/x/y", None]
    for path in paths:
        for route in ("/:site/settings/team", None):
            expected = _every_pattern(articles, path, route)
            assert page_map.matches(path, route) == expected, (path, route)
    assert PageMap([("/app/settings/*",), ("/app/settings/billing",)]).matches(
        "/app/settings/billing"
    ) == {0: specificity("/app/settings/*"), 1: specificity("/app/settings/billing")}


def test_page_map_under_a_shared_prefix_finds_what_every_pattern_finds() -> None:
    # Every route under `/app/` or `/:org/`: the walk must branch on literal, wildcard and
    # partial-glob children at each level and still find exactly the brute-force set.
    words = ["goals", "billing", "team", "edit", "dash", "dashboard", "42", "Goals", "new"]
    pattern_segments = [*words, ":id", "*", "dash*", "*board", "bill*ing", "**", ":org"]
    rng = random.Random(11)
    articles = _random_articles(
        rng, ["/app/", "/:org/", "/App/", "/", "/*/"], pattern_segments, 400
    )
    articles += [("/app/*",), ("/:org/*",), ("/app",), ("/",), ("/*",), ("/app/**",)]
    page_map = PageMap(articles)
    path_words = [*words, "acme", "DASHBOARD", "billing-ing", "x"]
    paths: list[str | None] = [None, "", "/", "/app", "/app/", "/APP/", "/acme", "/app?x=1"]
    for _ in range(400):
        head = rng.choice(["/app/", "/App/", "/acme/", "/", "//app//"])
        body = "/".join(rng.choice(path_words) for _ in range(rng.randint(0, 4)))
        tail = rng.choice(["", "/", "?tab=1", "/?q=a/b", "#top", "/#x/y"])
        paths.append(head + body + tail)
    for path in paths:
        assert page_map.matches(path) == _every_pattern(articles, path), path
    for path, route in zip(paths[::2], paths[1::2], strict=False):
        assert page_map.matches(path, route) == _every_pattern(articles, path, route)
    # A sample that the walk is not vacuous: these match through wildcard and partial glob.
    assert PageMap([("/:org/dash*/:id/edit",)]).matches("/Acme/Dashboard/7/edit/") == {
        0: specificity("/:org/dash*/:id/edit")
    }
