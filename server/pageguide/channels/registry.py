"""Channel configuration (the `[[sites.channels]]` tables) and building channels from it.

Secrets never sit in the config file: a channel names the environment variable that holds
its URL, signing secret or password.
"""

from __future__ import annotations

import os
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from .base import Channel
from .email import EmailChannel
from .slack import SlackChannel
from .webhook import WebhookChannel


class ChannelConfigError(ValueError):
    pass


def _env(name: str, what: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ChannelConfigError(f"{what}: environment variable {name} is not set")
    return value


class WebhookConfig(BaseModel):
    type: Literal["webhook"]
    name: str = "webhook"
    url: str | None = None
    url_env: str | None = None
    secret_env: str

    def build(self) -> Channel:
        url = self.url or _env(self.url_env or "", f"channel {self.name} url")
        return WebhookChannel(self.name, url, _env(self.secret_env, f"channel {self.name}"))


class SlackConfig(BaseModel):
    type: Literal["slack"]
    name: str = "slack"
    webhook_url_env: str

    def build(self) -> Channel:
        return SlackChannel(self.name, _env(self.webhook_url_env, f"channel {self.name}"))


class EmailConfig(BaseModel):
    type: Literal["email"]
    name: str = "email"
    to: list[str] = Field(min_length=1)
    sender: str = "pageguide@localhost"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 587
    username: str | None = None
    password_env: str | None = None
    starttls: bool | None = None

    def build(self) -> Channel:
        password = _env(self.password_env, f"channel {self.name}") if self.password_env else None
        return EmailChannel(
            self.name, self.to, self.sender, self.smtp_host, self.smtp_port,
            self.username, password, self.starttls,
        )  # fmt: skip


ChannelConfig = Annotated[WebhookConfig | SlackConfig | EmailConfig, Field(discriminator="type")]


def build_channels(configs: list[ChannelConfig]) -> list[Channel]:
    names = [c.name for c in configs]
    if len(names) != len(set(names)):
        raise ChannelConfigError("channel names must be unique within a site")
    return [config.build() for config in configs]
