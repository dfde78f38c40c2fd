"""The channel contract: deliver one rendered body, idempotently, or say why not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Delivery:
    key: str  # idempotency key: the same handoff to the same channel always has the same key
    body: dict[str, Any]  # rendered when the handoff was stored, so retries send the same bytes
    attempt: int  # 1 for the first try


class DeliveryError(Exception):
    """A failed delivery. `retryable` says whether trying again later can help."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Channel(Protocol):
    name: str  # unique per site, e.g. "webhook" or "slack-support"

    def render(self, packet: Any, inbox_url: str) -> dict[str, Any]:
        """The body to store in the outbox for this packet (a `handoff.HandoffPacket`)."""
        ...

    async def deliver(self, delivery: Delivery) -> None:
        """Send it; raise DeliveryError on failure."""
        ...


def http_failure(status: int, text: str) -> DeliveryError:
    """4xx means the request itself is wrong (except timeouts and rate limits); 5xx may pass."""
    retryable = status >= 500 or status in (408, 409, 425, 429)
    return DeliveryError(f"HTTP {status}: {text[:200]}", retryable=retryable)
