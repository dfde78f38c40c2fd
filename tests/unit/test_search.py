"""Page-aware retrieval on a small synthetic index, with the real embedding model."""

from __future__ import annotations

import numpy as np
import pytest

from pageguide.protocol import PageContext
from pageguide.retrieval.embed import Embedder
from pageguide.retrieval.index import KnowledgeIndex, normalize, terms
from pageguide.retrieval.search import (
    PageProfile,
    Retriever,
    Weights,
    content_terms,
    is_page_dependent,
)
from pageguide.retrieval.store import StoredChunk

# (article id, title, pages, [(heading, body)])
ARTICLES: list[tuple[str, str, list[str], list[tuple[str, str]]]] = [
    (
        "delete-project.md",
        "Delete a project",
        [],
        [
            ("", "Deleting a project removes its dashboards, events and saved reports for good."),
            ("What happens to the data", "All events of the project are erased within 24 hours."),
            ("Before you delete", "Export anything you want to keep. Only owners can delete."),
        ],
    ),
    (
        "delete-api-key.md",
        "Delete an API key",
        [],
        [
            ("", "Deleting a key stops every integration that uses it at once."),
            ("Before you delete a key", "Create a replacement key first and update your scripts."),
        ],
    ),
    (
        "remove-member.md",
        "Remove a member from your team",
        [],
        [
            ("", "Removing a member signs them out and revokes their access to the team."),
            ("What happens to their work", "Dashboards they created stay and move to the owner."),
        ],
    ),
    (
        "invite-member.md",
        "Invite members to your team",
        [],
        [
            ("", "Invite colleagues by email from the Team page. Invitations expire in 7 days."),
            ("Roles", "Choose Admin, Editor or Viewer when you send the invitation."),
        ],
    ),
    (
        "export-report.md",
        "Export a report",
        ["/app/library", "/app/library/*"],
        [
            ("", "Download a report as CSV or PDF from the report's menu."),
            ("Scheduled exports", "Send a report by email every week or month."),
        ],
    ),
    (
        "export-data.md",
        "Export your data",
        [],
        [
            ("", "Download your data as CSV from the data settings or through the export API."),
            ("Large exports", "Exports over a million rows are split into several files."),
        ],
    ),
    (
        "billing-plan.md",
        "Change your plan",
        [],
        [
            ("", "Upgrade or downgrade your subscription plan from the Billing page."),
            ("Prorated charges", "An upgrade is charged for the rest of the billing period."),
        ],
    ),
]


def page(path: str, title: str, headings: list[str], route: str | None = None) -> PageContext:
    return PageContext(
        url=f"https://app.example.com{path}", path=path, title=title, headings=headings, route=route
    )


PROJECT_SETTINGS = page(
    "/app/projects/p_8f3k2a/settings",
    "Project settings · Acme · Example",
    ["Project settings", "Rename project", "Delete project"],
    route="/app/projects/:id/settings",
)
API_KEYS = page("/app/settings/keys", "API keys · Example", ["API keys", "Your keys", "New key"])
TEAM = page("/app/team", "Team · Acme · Example", ["Team", "Members", "Remove member"])
LIBRARY = page("/app/library/q3-review", "Q3 review · Example", ["Q3 review", "Chart"])


@pytest.fixture(scope="module")
def retriever(embedder: Embedder) -> Retriever:
    chunks: list[StoredChunk] = []
    for article_id, title, pages, sections in ARTICLES:
        for n, (heading, body) in enumerate(sections):
            text = " — ".join([title, *([heading] if heading else [])]) + "\n" + body
            meta: dict[str, object] = {
                "article": article_id,
                "title": title,
                "url": "",
                "pages": pages,
                "tags": [],
                "heading": heading,
                "headings": [heading] if heading else [],
                "anchor": "",
                "position": n,
                "body": body,
            }
            chunks.append(StoredChunk(f"{article_id}#{n}", article_id, text, meta))
    vectors = embedder.encode([c.text for c in chunks])
    return Retriever(KnowledgeIndex(chunks, vectors, "test"), embedder)


def test_the_same_question_on_two_pages_gets_two_articles(retriever: Retriever) -> None:
    question = "what happens if I delete this?"
    on_project = retriever.search(question, PROJECT_SETTINGS)
    on_keys = retriever.search(question, API_KEYS)
    assert on_project.best_article == "delete-project.md"
    assert on_keys.best_article == "delete-api-key.md"
    assert on_project.page_dependent and on_keys.page_dependent
    assert on_project.confidence >= 0.35 and on_keys.confidence >= 0.35
    assert on_project.passages[0].article_id == "delete-project.md"


def test_an_article_mapped_to_the_page_is_preferred(retriever: Retriever) -> None:
    question = "how do I export this?"
    assert retriever.search(question, LIBRARY).best_article == "export-report.md"
    # The page's words say nothing about reports: without the mapping the general article wins.
    unmapped = Retriever(retriever.index, retriever.embedder, Weights().replace(mapped=0.0))
    assert unmapped.search(question, LIBRARY).best_article == "export-data.md"


def test_a_self_contained_question_is_not_pulled_to_the_page(retriever: Retriever) -> None:
    result = retriever.search("how do I invite a colleague to my team by email?", PROJECT_SETTINGS)
    assert result.best_article == "invite-member.md"
    assert result.page_weight < 0.5 and not result.page_dependent


def test_an_off_topic_question_is_declined_even_on_a_matching_page(retriever: Retriever) -> None:
    for question in ("what's the capital of australia?", "write me a poem about the sea"):
        result = retriever.search(question, PROJECT_SETTINGS)
        assert result.confidence < 0.35, question
        assert not result.page_dependent
    answerable = retriever.search("how do I upgrade my subscription plan?", PROJECT_SETTINGS)
    assert answerable.best_article == "billing-plan.md" and answerable.confidence >= 0.35


def test_a_passed_page_vector_gives_the_same_answer(retriever: Retriever) -> None:
    vector = retriever.page_vector(TEAM)
    assert vector is not None
    cached = retriever.search("can I undo this?", TEAM, page_vector=vector)
    fresh = retriever.search("can I undo this?", TEAM)
    assert cached.articles == fresh.articles and cached.confidence == fresh.confidence


def test_an_empty_index_answers_nothing(embedder: Embedder) -> None:
    empty = Retriever(KnowledgeIndex([], np.zeros((0, 384), np.float32)), embedder)
    result = empty.search("how do I add one?", TEAM)
    assert result.passages == [] and result.confidence == 0.0 and result.articles == []


# -- pure parts


def test_page_profile_keeps_the_subject_and_drops_sites_and_ids() -> None:
    profile = PageProfile.of(PROJECT_SETTINGS)
    assert profile.title == ("Project settings", "Acme")
    assert profile.path_words == ("app", "projects", "settings")
    assert "Delete project" in profile.headings
    domain_page = page(
        "/acme.io/settings/goals", "Goals · acme.io · Plausible", ["Settings for acme.io"]
    )
    profile = PageProfile.of(domain_page)
    assert profile.title == ("Goals",) and profile.headings == ("Settings for",)
    assert profile.path_words == ("settings", "goals")


def test_headings_the_question_echoes_weigh_more() -> None:
    profile = PageProfile.of(PROJECT_SETTINGS)
    weights = profile.term_weights(set(content_terms("can I delete it?")), Weights())
    assert weights[normalize("delete")] > weights[normalize("rename")]


def test_page_dependence() -> None:
    assert is_page_dependent("what happens if I delete this?")
    assert is_page_dependent("how do i add one")
    assert is_page_dependent("do I keep access after?")
    assert not is_page_dependent("how do I invite a team member to my site?")
    assert not is_page_dependent("is there a zapier integration")


def test_normalized_terms_meet() -> None:
    assert terms("resetting") == terms("reset") == terms("resets")
    assert terms("deleted") == terms("delete")
    assert terms("addresses") == terms("address")
    assert normalize("add") == normalize("added")
