"""Reference sections of docs/ rendered from the code, so they cannot drift.

Each generated section sits between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`.
`tests/unit/test_docs.py` fails when a section is stale; run it with PAGEGUIDE_UPDATE_DOCS=1
to rewrite them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from click.testing import CliRunner

from . import protocol as p
from .settings import setting_rows


def _fields(model: type[p.Frame]) -> str:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    parts = []
    for name, spec in schema.get("properties", {}).items():
        if name == "type":
            continue
        kind = spec.get("type") or " or ".join(
            s.get("$ref", "").rsplit("/", 1)[-1] or s.get("type", "object")
            for s in spec.get("anyOf", [])
        )
        if "$ref" in spec:
            kind = spec["$ref"].rsplit("/", 1)[-1]
        if "enum" in spec:
            kind = " or ".join(json.dumps(v) for v in spec["enum"])
        if "const" in spec:
            kind = json.dumps(spec["const"])
        parts.append(f"`{name}`{'' if name in required else '?'}: {kind}")
    return ", ".join(parts) or "—"


def frames_table() -> str:
    rows = ["| direction | type | fields (`?` = optional) |", "|---|---|---|"]
    for kind, model in p.CLIENT_FRAMES.items():
        rows.append(f"| widget → server | `{kind}` | {_fields(model)} |")
    for kind, model in p.SERVER_FRAMES.items():
        rows.append(f"| server → widget | `{kind}` | {_fields(model)} |")
    return "\n".join(rows)


def error_codes_table() -> str:
    rows = ["| code | meaning |", "|---|---|"]
    meanings = {
        "bad_json": "the frame is not JSON",
        "bad_frame": "a field is missing, of the wrong type or out of range",
        "unknown_type": "`type` is not a frame the server knows",
        "unexpected_frame": "legal frame, wrong moment (e.g. `ask` before `hello`)",
        "protocol_version": "the widget speaks another protocol version (then close 1008)",
        "bad_resume": "the resume token does not match the session",
        "not_found": "the frame names something this session does not have",
        "unavailable": "the feature is not configured on this server",
        "internal": "the server failed on this frame; the session stays up",
        "unknown_site": "no such site key (then close 1008)",
        "origin_not_allowed": "the page's origin is not allowed for the site (then close 1008)",
        "flood": "more frames than the rate limit allows (then close 1008)",
        "too_big": "a frame over the size limit (then close 1009)",
        "binary_frame": "a binary frame; the protocol is JSON text (then close 1003)",
    }
    for code in p.ErrorCode:
        rows.append(f"| `{code.value}` | {meanings[code.value]} |")
    return "\n".join(rows)


def close_codes_table() -> str:
    rows = ["| code | name |", "|---|---|"]
    rows += [f"| {c.value} | {c.name.lower().replace('_', ' ')} |" for c in p.CloseCode]
    return "\n".join(rows)


def settings_table() -> str:
    rows = ["| setting | environment | default | meaning |", "|---|---|---|---|"]
    for name, env, default, help_text in setting_rows():
        rows.append(
            f"| `{name}` | `{env}` | {('`' + default + '`') if default else '—'} | {help_text} |"
        )
    return "\n".join(rows)


def cli_reference() -> str:
    import click

    from .cli import main

    runner = CliRunner()
    paths: list[list[str]] = [[]]
    for name, command in main.commands.items():
        paths.append([name])
        if isinstance(command, click.Group):
            paths.extend([name, sub] for sub in command.commands)
    out = []
    for args in paths:
        result = runner.invoke(main, [*args, "--help"], prog_name="pageguide", terminal_width=100)
        out.append(f"### pageguide {' '.join(args)}".rstrip())
        out.append("```\n" + result.output.rstrip() + "\n```")
    return "\n\n".join(out)


SECTIONS: dict[str, Callable[[], str]] = {
    "frames": frames_table,
    "error-codes": error_codes_table,
    "close-codes": close_codes_table,
    "settings": settings_table,
    "cli": cli_reference,
}


def render(text: str) -> str:
    """`text` with every generated section brought up to date."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"<!-- generated:{name} -->\n{SECTIONS[name]()}\n<!-- /generated:{name} -->"

    return re.sub(
        r"<!-- generated:([\w-]+) -->.*?<!-- /generated:\1 -->", replace, text, flags=re.S
    )
