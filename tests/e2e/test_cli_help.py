"""Every `pageguide` command, run as the console script with --help, says what it does and
what each of its options means, in a terminal of the usual 80 columns."""

from __future__ import annotations

import functools
import re

import click
import pytest
from tests.support.cli import run

from pageguide.cli import main

TERMINAL = {"COLUMNS": "80"}
SERVING = {"serve", "demo"}  # the commands whose --host/--port are where they listen


@functools.cache
def _help(command: tuple[str, ...]) -> str:
    done = run([*command, "--help"], env=TERMINAL, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def help_of(command: list[str]) -> str:
    return _help(tuple(command))


def section(text: str, title: str) -> list[str]:
    """The indented lines under `Title:` up to the next blank line."""
    lines = text.splitlines()
    if f"{title}:" not in lines:
        return []
    start = lines.index(f"{title}:") + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def commands(text: str) -> list[tuple[str, str]]:
    """(name, short help) of each command a group lists."""
    found = []
    for line in section(text, "Commands"):
        name, _, short = line.strip().partition(" ")
        found.append((name, short.strip()))
    return found


def options(text: str) -> dict[str, str]:
    """Each option's first column (`--port INTEGER`) and its description, however wrapped."""
    described: dict[str, str] = {}
    current = None
    for line in section(text, "Options"):
        entry = re.match(r"^  (-\S.*?)(?:\s{2,}(.*))?$", line)
        if entry:
            current = entry.group(1)
            described[current] = entry.group(2) or ""
        elif current is not None:
            described[current] = (described[current] + " " + line.strip()).strip()
    return described


def every_command() -> list[list[str]]:
    """Read from the click group in this process (cheap at collection); each is then run."""
    found: list[list[str]] = []
    pending: list[tuple[list[str], click.Command]] = [([], main)]
    while pending:
        path, command = pending.pop()
        found.append(path)
        if isinstance(command, click.Group):
            pending += [([*path, name], sub) for name, sub in command.commands.items()]
    return sorted(found)


ALL = every_command()


def test_the_commands_of_the_issue_exist() -> None:
    assert {("serve",), ("ingest",), ("demo",)} <= {tuple(c) for c in ALL}


@pytest.mark.parametrize("command", ALL, ids=lambda c: " ".join(c) or "pageguide")
def test_help_describes_the_command_and_every_option(command: list[str]) -> None:
    text = help_of(command)
    usage, _, rest = text.partition("\n\n")
    assert usage.startswith("Usage: pageguide")
    description = rest.partition("\n\n")[0].strip()
    assert len(description) > 20 and not description.startswith("Options:"), text

    listed = commands(text)
    assert [name for name, _ in listed] == [c[-1] for c in ALL if c and c[:-1] == command]
    for name, short in listed:  # what a group lists is a sentence, not one cut short
        assert short and not short.endswith("..."), f"{name}: {short!r}"

    described = options(text)
    assert "-h, --help" in described
    for option, meaning in described.items():
        assert len(meaning) > 10, f"{option} has no description:\n{text}"
        if command[:1] and command[0] not in SERVING:
            # a shared setting described for `serve` would mislead here
            assert "listen on" not in meaning and "is served" not in meaning, option
