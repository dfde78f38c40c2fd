"""Ingestion progress for `pageguide ingest`, `serve --knowledge` and `demo`: a bar when stderr
is a terminal, otherwise a log line per tenth of the chunks.

A bar written to a container log is one endless line of carriage returns, and a large folder
embedding in silence for minutes looks like a hang; a few log lines say how far it got.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .retrieval.ingest import IngestReport
    from .retrieval.knowledge import KnowledgeBase

log = logging.getLogger("pageguide.ingest")


class ProgressLog:
    """An `on_progress(done, total)` callback that logs each time another tenth is done."""

    def __init__(self, logger: logging.Logger = log, steps: int = 10) -> None:
        self.logger = logger
        self.steps = steps
        self._logged = 0

    def __call__(self, done: int, total: int) -> None:
        if total <= 0:
            return
        step = done * self.steps // total
        if step > self._logged:
            self._logged = step
            self.logger.info(
                "embedding knowledge",
                extra={"done": done, "total": total, "percent": round(100 * done / total)},
            )


def ingest_with_progress(
    knowledge: KnowledgeBase, folder: Path, terminal: bool | None = None
) -> IngestReport:
    """Ingest `folder`, showing progress the way stderr can take it."""
    if terminal is None:
        terminal = sys.stderr.isatty()
    log.info("ingesting knowledge", extra={"folder": str(folder)})
    return knowledge.ingest(
        folder, progress=terminal, on_progress=None if terminal else ProgressLog()
    )
