"""Questions grouped by meaning with the real embedding model."""

from __future__ import annotations

from pageguide.reports.clusters import cluster_questions
from pageguide.retrieval.embed import Embedder


def test_paraphrases_share_a_cluster_labelled_by_its_centre(embedder: Embedder) -> None:
    asked = [
        ("How do I update my credit card?", 5),
        ("how can I change my credit card", 3),
        ("update the credit card on my account", 2),
        ("How do I cancel my subscription?", 4),
        ("cancel my subscription please", 2),
        ("What does proration mean?", 1),
    ]
    clusters = cluster_questions(asked, embedder)
    groups = [{e.text for e in c.examples} for c in clusters]
    card = {
        "How do I update my credit card?",
        "how can I change my credit card",
        "update the credit card on my account",
    }
    cancel = {"How do I cancel my subscription?", "cancel my subscription please"}
    assert card in groups and cancel in groups
    assert [c.count for c in clusters] == [10, 6, 1]
    assert clusters[0].label in card and clusters[0].share == round(10 / 17, 4)
    assert clusters[-1].label == "What does proration mean?"
    assert cluster_questions([], embedder) == []
    # the same input gives the same clusters (vectors come from the cache the second time)
    assert cluster_questions(asked, embedder) == clusters
