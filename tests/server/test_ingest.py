"""Ingestion into real Chroma with the real model: incremental, no duplicates, any docs tree."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from tests.conftest import EVAL_DOCS

from pageguide.retrieval.knowledge import KnowledgeBase
from pageguide.settings import Settings


def write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def chunk_ids(kb: KnowledgeBase) -> list[str]:
    chunks, _ = kb.store.load_all()
    return sorted(c.id for c in chunks)


def test_reingest_updates_changed_removes_deleted_and_never_duplicates(tmp_path, embedder) -> None:
    docs = tmp_path / "docs"
    write(docs, "a.md", "---\ntitle: Alpha\n---\n## One\nFirst.\n## Two\nSecond.\n")
    write(docs, "b/b.mdx", "---\ntitle: Beta\n---\nimport X from 'x';\n\n<X>Beta body.</X>\n")
    write(docs, "c.md", "---\ntitle: Gamma\n---\nGamma body.\n")
    kb = KnowledgeBase(Settings(data=tmp_path / "data"), embedder)

    first = kb.ingest(docs)
    assert sorted(first.added) == ["a.md", "b/b.mdx", "c.md"] and first.chunks == 4
    ids = chunk_ids(kb)
    assert len(ids) == len(set(ids)) == 4

    again = kb.ingest(docs)
    assert not again.changed and again.unchanged == 3 and again.chunks == 0
    assert chunk_ids(kb) == ids

    write(docs, "a.md", "---\ntitle: Alpha\n---\n## One only\nShorter now.\n")
    (docs / "c.md").unlink()
    third = kb.ingest(docs)
    assert third.updated == ["a.md"] and third.removed == ["c.md"] and third.unchanged == 1
    assert chunk_ids(kb) == ["a.md#0", "b/b.mdx#0"]
    assert {a.title for a in kb.index.articles} == {"Alpha", "Beta"}
    assert "Shorter now." in kb.index.chunks[0].text


def test_a_bad_article_is_reported_and_the_rest_ingested(tmp_path, embedder) -> None:
    docs = tmp_path / "docs"
    write(docs, "good.md", "---\ntitle: Good\n---\nFine.\n")
    write(docs, "bad.md", "---\ntitle: [oops\n---\nBroken front matter.\n")
    kb = KnowledgeBase(Settings(data=tmp_path / "data"), embedder)
    report = kb.ingest(docs)
    assert report.added == ["good.md"]
    assert len(report.errors) == 1 and "bad.md" in report.errors[0]


def test_a_real_docusaurus_tree_it_has_never_seen(tmp_path, embedder) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(EVAL_DOCS, docs)
    write(docs, "node_modules/x/README.md", "# vendored, must be skipped\n")
    kb = KnowledgeBase(Settings(data=tmp_path / "data"), embedder)
    report = kb.ingest(docs)
    assert not report.errors
    assert len(report.added) == len(list(EVAL_DOCS.rglob("*.md*")))
    texts = "\n".join(c.text for c in kb.index.chunks)
    for leftover in ("import useBaseUrl", "<CtaBox", "useBaseUrl(", ":::", '"@type"'):
        assert leftover not in texts, leftover
    titles = {a.title for a in kb.index.articles}
    assert all(titles) and not any(t.startswith("---") for t in titles)


def test_each_chunk_keeps_its_own_vector_when_embedded_longest_first(
    tmp_path, embedder, monkeypatch
) -> None:
    from pageguide.retrieval import ingest

    monkeypatch.setattr(ingest, "EMBED_BATCH", 2)  # several slices, each of mixed articles
    docs = tmp_path / "docs"
    for n, words in enumerate((3, 80, 1, 40, 200, 9, 17)):
        write(docs, f"a{n}.md", f"---\ntitle: Article {n}\n---\n" + "word " * words + "\n")
    kb = KnowledgeBase(Settings(data=tmp_path / "data"), embedder)
    seen: list[tuple[int, int]] = []
    ingest.ingest_folder(docs, kb.store, embedder, on_progress=lambda *p: seen.append(p))
    chunks, vectors = kb.store.load_all()  # the embedded text is the stored document
    assert len(chunks) == 7
    np.testing.assert_allclose(vectors, embedder.encode([c.text for c in chunks]), atol=1e-5)
    assert seen[-1] == (7, 7) and [d for d, _ in seen] == sorted(d for d, _ in seen)
