"""Sites: which site keys exist and which page origins may use each.

Read from the `[[sites]]` tables of the TOML config file. With no file, one development site
(`demo`, any port on localhost/127.0.0.1) is served, so `pageguide serve --knowledge DIR`
works at once on a laptop and nowhere else.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from .channels.base import Channel
from .channels.registry import ChannelConfig, ChannelConfigError, build_channels
from .identity import secret_env_var

DEV_ORIGINS = ["http://localhost:*", "http://127.0.0.1:*", "http://localhost", "http://127.0.0.1"]


class Site(BaseModel):
    site_key: str = Field(min_length=1, max_length=100)
    name: str = ""
    origins: list[str] = Field(min_length=1)
    # With this on, a visitor without a valid identity token gets no account data and no
    # account-based routing, whatever the page claims (docs/identity.md).
    enforce_identity: bool = False
    channels: list[ChannelConfig] = []  # human channels besides the built-in inbox

    @field_validator("origins")
    @classmethod
    def _no_trailing_slash(cls, origins: list[str]) -> list[str]:
        return [o.rstrip("/").lower() for o in origins]

    def allows(self, origin: str | None) -> bool:
        if not origin:
            return False  # browsers always send Origin on a WebSocket handshake
        origin = origin.rstrip("/").lower()
        return any(fnmatch.fnmatchcase(origin, pattern) for pattern in self.origins)


class SitesFile(BaseModel):
    sites: list[Site] = Field(min_length=1)


class ConfigError(ValueError):
    pass


class Sites:
    def __init__(self, sites: list[Site], development: bool = False) -> None:
        self.by_key = {s.site_key: s for s in sites}
        self.development = development
        self.channels: dict[str, list[Channel]] = {}

    def channels_for(self, site_key: str) -> list[Channel]:
        return self.channels.get(site_key, [])

    def channel(self, key: str) -> Channel | None:
        """The channel an outbox row names as `site_key:channel_name`."""
        site_key, _, name = key.partition(":")
        return next((c for c in self.channels.get(site_key, []) if c.name == name), None)

    @classmethod
    def development_default(cls) -> Sites:
        return cls(
            [Site(site_key="demo", name="Development", origins=DEV_ORIGINS)], development=True
        )

    @classmethod
    def load(cls, path: Path | None) -> Sites:
        if path is None:
            return cls.development_default()
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
            parsed = SitesFile.model_validate(raw)
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"{path}: {where}: {first['msg']}") from None
        keys = [s.site_key for s in parsed.sites]
        if len(keys) != len(set(keys)):
            raise ConfigError(f"{path}: site keys must be unique")
        env_names = [secret_env_var(k) for k in keys]
        if len(env_names) != len(set(env_names)):
            # acme-app and acme_app would read one identity secret variable
            raise ConfigError(f"{path}: site keys must differ in more than punctuation or case")
        sites = cls(parsed.sites)
        try:
            for site in parsed.sites:  # fail at start, not at the first handoff
                sites.channels[site.site_key] = build_channels(site.channels)
        except ChannelConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        return sites

    def get(self, site_key: str) -> Site | None:
        return self.by_key.get(site_key)

    def first_key(self) -> str:
        return next(iter(self.by_key))
