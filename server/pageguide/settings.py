"""Every setting in one table.

`Settings` drives three things at once: the `PAGEGUIDE_*` environment variables (through
pydantic-settings), the `pageguide serve` options (cli.py reads `Settings.model_fields`) and
`docs/configuration.md` (checked by tests/unit/test_docs.py). Defaults work with nothing set.
Secrets come only from the environment. The `--config` file may also set the proactive-help
groups (`[struggle]`, `[nudges]`); options and the environment win over it.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from .escalation.models import TriggerSettings
from .struggle.policy import NudgeSettings
from .struggle.settings import StruggleSettings

# Third-party switches that must be set before those libraries are imported anywhere.
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the embedding model ships in a package
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # Chroma
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no cost-map download
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Names of settings that are secrets: never a CLI option, never logged.
SECRETS = {"secret", "model_api_key"}
# Setting groups the --config file may hold as tables, next to its [[sites]].
FILE_TABLES = ("struggle", "nudges")


class ConfigFileTables(PydanticBaseSettingsSource):
    """The `FILE_TABLES` tables of the `config` file: under options and the environment,
    over the defaults. A missing or broken file gives nothing here; Sites.load reports it."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # whole tables only, see __call__

    def __call__(self) -> dict[str, Any]:
        path = self.current_state.get("config")
        if not path:
            return {}
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return {}
        return {name: raw[name] for name in FILE_TABLES if isinstance(raw.get(name), dict)}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PAGEGUIDE_", env_nested_delimiter="__", extra="ignore"
    )

    # -- serving
    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(8000, description="Port to listen on.")
    public_url: str | None = Field(
        None, description="URL the widget is served from, for the printed script tag."
    )
    config: Path | None = Field(
        None,
        description="Config file (TOML): sites, and optionally [struggle] and [nudges] "
        "thresholds. Without one, a development site 'demo' is served.",
    )
    knowledge: Path | None = Field(None, description="Folder of Markdown/MDX knowledge to ingest.")
    data: Path = Field(Path("data"), description="Data folder: SQLite file, Chroma store, secret.")
    log_format: Literal["text", "json"] = Field("text", description="Log line format.")
    log_level: str = Field("info", description="Log level (debug, info, warning, error).")

    # -- storage
    database_url: str | None = Field(
        None, description="SQLAlchemy async URL; default sqlite+aiosqlite under the data folder."
    )
    chroma_url: str | None = Field(
        None, description="URL of a Chroma server; default an embedded store under the data folder."
    )
    collection: str = Field("pageguide", description="Chroma collection name.")
    redis_url: str | None = Field(
        None,
        description="Redis URL (redis://host:6379/0) that routes frames between several server "
        "processes; unset = one process holds every socket.",
    )

    # -- retrieval
    top_k: int = Field(4, description="Passages handed to the composer.")
    min_confidence: float = Field(
        0.35, description="Below this retrieval confidence the answer declines and offers a person."
    )

    # -- guidance
    model: str | None = Field(
        None, description="litellm model (e.g. openai/gpt-4o-mini); unset = extractive composer."
    )
    model_fallbacks: list[str] = Field(
        default_factory=list, description="Further litellm models tried in order when one fails."
    )
    model_api_base: str | None = Field(None, description="Override the provider's base URL.")
    model_api_key: str | None = Field(None, description="Provider API key (environment only).")
    model_timeout: float = Field(
        20.0, description="Seconds for a whole LLM answer before falling back to extractive."
    )
    model_first_token_timeout: float = Field(
        8.0, description="Seconds to wait for the first token; a stalled provider falls back."
    )
    model_max_tokens: int = Field(600, description="Upper bound on tokens per LLM answer.")

    # -- connection limits (why: a widget sends small frames; anything bigger is a bug or abuse)
    max_frame_bytes: int = Field(
        65_536, description="Largest accepted WebSocket frame; larger closes with 1009."
    )
    flood_rate: float = Field(
        30.0, description="Sustained frames per second allowed per connection."
    )
    flood_burst: int = Field(
        120,
        description="Burst of frames allowed per connection before flood control closes (1008).",
    )
    ws_ping_interval: float = Field(
        20.0, description="Seconds between server pings; keeps proxies from dropping idle widgets."
    )
    ws_ping_timeout: float = Field(
        20.0, description="Seconds to wait for a pong before the connection is considered dead."
    )

    # -- proactive help (nested: PAGEGUIDE_STRUGGLE__RAGE_MIN_CLICKS=4, see docs/struggle.md)
    struggle: StruggleSettings = Field(
        default_factory=StruggleSettings, description="Struggle detector thresholds."
    )
    nudges: NudgeSettings = Field(
        default_factory=NudgeSettings, description="When struggle turns into a nudge."
    )

    escalation: TriggerSettings = Field(
        default_factory=TriggerSettings, description="When a conversation goes to a person."
    )

    # -- secrets
    secret: str | None = Field(
        None, description="Signs resume tokens; default a random one saved in the data folder."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Last: it reads `config` from what the sources before it found.
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            file_secret_settings,
            ConfigFileTables(settings_cls),
        )

    def database_url_or_default(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data / 'pageguide.db').resolve()}"

    def resolved_secret(self) -> bytes:
        """The signing secret: from the environment, else generated once and kept on disk."""
        if self.secret:
            return self.secret.encode()
        path = self.data / "secret.key"
        if not path.exists():
            self.data.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(os.urandom(32).hex().encode())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        return path.read_bytes().strip()


def _shown(value: object) -> str:
    """A default as a reader would type it (sets sorted, so the docs are stable)."""
    if isinstance(value, list):
        value = sorted(value, key=str)
    return value if isinstance(value, str) else json.dumps(value)


def setting_rows() -> list[tuple[str, str, str, str]]:
    """(name, env var, default, help) for each setting, nested groups expanded: the docs table."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            dumped = default.model_dump(mode="json")
            for sub, subfield in type(default).model_fields.items():
                value = _shown(dumped[sub])
                rows.append(
                    (f"{name}.{sub}", f"PAGEGUIDE_{name.upper()}__{sub.upper()}", str(value),
                     (subfield.description or "").split(". ")[0].rstrip(".") + ".")
                )  # fmt: skip
            continue
        shown = "" if default is None else str(default)
        rows.append((name, f"PAGEGUIDE_{name.upper()}", shown, field.description or ""))
    return rows
