"""`pageguide demo` serves a copy of the knowledge under its data folder, so publishing a draft
from the inbox never writes into the checkout, and a second start keeps what was published."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.databases import migrated

from pageguide.cli import REPO, demo_settings, sync_demo_knowledge
from pageguide.db import models as m
from pageguide.insights import drafts as d


class FakeKnowledge:
    """`KnowledgeBase.ingest` as publishing sees it: records the folders it was given."""

    def __init__(self) -> None:
        self.folders: list[Path] = []

    def ingest(self, folder: Path) -> Any:
        self.folders.append(folder)
        return type("Report", (), {"errors": []})


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


async def test_publishing_in_demo_mode_leaves_the_source_untouched(tmp_path: Path) -> None:
    source = REPO / "knowledge"
    before = snapshot(source)
    settings = demo_settings(data=tmp_path / "data")
    assert settings.knowledge == tmp_path / "data" / "knowledge"
    assert snapshot(settings.knowledge) == before

    async with migrated("sqlite", tmp_path) as db:
        async with db.session() as s, s.begin():
            draft = m.Draft(title="Export a dashboard to PowerPoint", pages=["/app/dashboard"],
                            body="1. Open the dashboard.\n2. Click Share.")  # fmt: skip
            s.add(draft)
        kb = FakeKnowledge()
        published = await d.publish_draft(db, draft.id, None, settings.knowledge, kb)

    assert kb.folders == [settings.knowledge]
    assert (settings.knowledge / published.article_path).is_file()
    assert snapshot(source) == before  # nothing written into the checkout
    # A second start syncs again and keeps the published article.
    again = demo_settings(data=tmp_path / "data")
    assert (again.knowledge / published.article_path).is_file()


def test_sync_follows_the_source_and_keeps_learned(tmp_path: Path) -> None:
    source, target = tmp_path / "src", tmp_path / "data/knowledge"
    (source / "team").mkdir(parents=True)
    (source / "a.md").write_text("---\ntitle: A\n---\nold\n")
    (source / "team/b.md").write_text("---\ntitle: B\n---\nb\n")
    sync_demo_knowledge(source, target)
    (target / "learned").mkdir()
    (target / "learned/mine.md").write_text("---\ntitle: Mine\n---\npublished\n")

    (source / "a.md").write_text("---\ntitle: A\n---\nnew\n")
    (source / "team/b.md").unlink()
    (source / "team").rmdir()
    (source / "c.md").write_text("---\ntitle: C\n---\nc\n")
    sync_demo_knowledge(source, target)
    assert snapshot(target) == {
        "a.md": b"---\ntitle: A\n---\nnew\n",
        "c.md": b"---\ntitle: C\n---\nc\n",
        "learned/mine.md": b"---\ntitle: Mine\n---\npublished\n",
    }
    assert not (target / "team").exists()
