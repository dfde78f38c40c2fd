"""Email over SMTP. The Message-ID is derived from the idempotency key, so a mail system (or
a person) can tell a retried delivery from a new handoff."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import aiosmtplib

from .base import Delivery, DeliveryError


class EmailChannel:
    def __init__(
        self,
        name: str,
        to: list[str],
        sender: str,
        host: str,
        port: int = 587,
        username: str | None = None,
        password: str | None = None,
        starttls: bool | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.name = name
        self.to = to
        self.sender = sender
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    def render(self, packet: Any, inbox_url: str) -> dict[str, Any]:
        return {
            "subject": packet.email_subject(),
            "text": packet.to_text() + f"\n\nOpen in the inbox: {inbox_url}\n",
            "markdown": packet.to_markdown(),
        }

    async def deliver(self, delivery: Delivery) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(self.to)
        message["Subject"] = delivery.body["subject"]
        message["Message-ID"] = f"<{delivery.key}@pageguide>"
        message["X-Pageguide-Idempotency-Key"] = delivery.key
        message.set_content(delivery.body["text"])
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                start_tls=self.starttls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx replies are permanent (bad address), 4xx are "try again later".
            raise DeliveryError(
                f"SMTP {exc.code}: {exc.message}", retryable=exc.code < 500
            ) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
