"""Slack: an incoming webhook with Block Kit blocks and a button back to the inbox."""

from __future__ import annotations

from typing import Any

import httpx

from .base import Delivery, DeliveryError, http_failure


class SlackChannel:
    def __init__(self, name: str, webhook_url: str, timeout: float = 10.0) -> None:
        self.name = name
        self.webhook_url = webhook_url
        self.timeout = timeout

    def render(self, packet: Any, inbox_url: str) -> dict[str, Any]:
        return {
            "text": packet.to_text()[:3000],  # notification fallback
            "blocks": packet.to_slack_blocks(inbox_url),
        }

    async def deliver(self, delivery: Delivery) -> None:
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(self.webhook_url, json=delivery.body)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
        if response.status_code >= 300:
            raise http_failure(response.status_code, response.text)
