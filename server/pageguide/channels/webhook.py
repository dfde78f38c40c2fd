"""A generic webhook: the handoff packet as JSON, signed like Stripe's webhooks.

Header `Pageguide-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`; the
receiver recomputes it with the shared secret and rejects a timestamp outside its tolerance,
so a captured request cannot be replayed later. `Idempotency-Key` lets it drop duplicates.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from .base import Delivery, DeliveryError, http_failure

SIGNATURE_HEADER = "Pageguide-Signature"
DEFAULT_TOLERANCE = 300  # seconds


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, header: str, body: bytes, tolerance: int = DEFAULT_TOLERANCE) -> bool:
    """What a receiver runs (also in docs/channels.md): signature and freshness."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - t) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


class WebhookChannel:
    def __init__(self, name: str, url: str, secret: str, timeout: float = 10.0) -> None:
        self.name = name
        self.url = url
        self.secret = secret
        self.timeout = timeout

    def render(self, packet: Any, inbox_url: str) -> dict[str, Any]:
        return {"event": "handoff.created", "inbox_url": inbox_url, "handoff": packet.to_json()}

    async def deliver(self, delivery: Delivery) -> None:
        body = json.dumps(delivery.body, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": delivery.key,
            SIGNATURE_HEADER: sign(self.secret, body),
            "User-Agent": "Pageguide-Webhook/1",
        }
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
        if response.status_code >= 300:
            raise http_failure(response.status_code, response.text)
