"""What every composer takes and gives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from ..protocol import PageContext
from ..retrieval.search import Retrieval


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str


@dataclass
class AnswerRequest:
    question: str
    page: PageContext | None
    retrieval: Retrieval
    history: list[Turn] = field(default_factory=list)  # earlier turns of this session, oldest first


@dataclass
class Usage:
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


class ComposerError(Exception):
    """The composer could not produce an answer (provider down, stalled, refused)."""


class Composer(Protocol):
    name: str

    def stream(self, request: AnswerRequest, usage: Usage) -> AsyncIterator[str]:
        """Yield answer text deltas; fill `usage` as it becomes known; raise ComposerError."""
        ...
