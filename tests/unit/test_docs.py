"""Docs that cannot drift: generated sections are current, and every frame type, error code,
setting and CLI command appears in docs/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pageguide import docgen
from pageguide import protocol as p
from pageguide.settings import setting_rows

DOCS = Path(__file__).resolve().parents[2] / "docs"
GENERATED = ["protocol.md", "configuration.md", "cli.md"]


@pytest.mark.parametrize("name", GENERATED)
def test_generated_sections_are_current(name: str) -> None:
    path = DOCS / name
    text = path.read_text()
    fresh = docgen.render(text)
    if os.environ.get("PAGEGUIDE_UPDATE_DOCS") and fresh != text:
        path.write_text(fresh)
        text = fresh
    assert fresh == text, f"docs/{name} is stale: run PAGEGUIDE_UPDATE_DOCS=1 pytest {__file__}"


def test_every_frame_error_code_and_setting_is_documented() -> None:
    protocol = (DOCS / "protocol.md").read_text()
    for kind in [*p.CLIENT_FRAMES, *p.SERVER_FRAMES]:
        assert f"`{kind}`" in protocol
    for code in p.ErrorCode:
        assert f"`{code.value}`" in protocol
    configuration = (DOCS / "configuration.md").read_text()
    for _, env, _, _ in setting_rows():
        assert f"`{env}`" in configuration


def test_every_command_is_in_the_cli_reference() -> None:
    from pageguide.cli import main

    cli = (DOCS / "cli.md").read_text()
    for command in main.commands:
        assert f"pageguide {command}" in cli
