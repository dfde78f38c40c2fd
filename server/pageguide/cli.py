"""The `pageguide` command. Options of `serve` come from the settings table (settings.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import click

from .settings import SECRETS, Settings

log = logging.getLogger("pageguide")
REPO = Path(__file__).resolve().parents[2]
SERVE_OPTIONS = (
    "host", "port", "knowledge", "data", "config", "public_url", "database_url", "chroma_url",
    "redis_url", "model", "log_format", "log_level",
)  # fmt: skip


def _click_type(annotation: Any) -> Any:
    if get_origin(annotation) is Literal:
        return click.Choice(list(get_args(annotation)))
    args = [a for a in get_args(annotation) if a is not type(None)]
    base = args[0] if args and get_origin(annotation) is not None else annotation
    if base is Path:
        return click.Path(path_type=Path)
    return {int: int, float: float}.get(base, str)


def settings_options(
    names: tuple[str, ...], helps: dict[str, str] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """One `--option` per setting, help and type from the table; unset options fall back to
    the PAGEGUIDE_* environment, then to the default. `helps` replaces a description that is
    written for `serve` where a command uses the setting differently."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for name in reversed(names):
            assert name not in SECRETS
            field = Settings.model_fields[name]
            default = field.get_default(call_default_factory=True)
            shown = "unset" if default is None else default
            env = f"PAGEGUIDE_{name.upper()}"
            described = (helps or {}).get(name) or field.description or ""
            help_text = f"{described}  [env {env}; default {shown}]"
            func = click.option(
                f"--{name.replace('_', '-')}",
                name,
                type=_click_type(field.annotation),
                default=None,
                help=help_text,
            )(func)
        return func

    return decorate


def build_settings(**given: Any) -> Settings:
    return Settings(**{k: v for k, v in given.items() if v is not None})


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pageguide")
def main() -> None:
    """Pageguide: a page-aware in-product assistant.

    Ingest Markdown knowledge, serve the widget and its WebSocket, answer questions with the
    page in mind. Try `pageguide demo`, or `pageguide serve --knowledge DIR` on your own docs.
    Every command takes -h/--help.
    """


@main.command()
@settings_options(SERVE_OPTIONS)
def serve(**options: Any) -> None:
    """Serve the widget, its WebSocket (/ws) and /healthz.

    With --knowledge DIR the folder is ingested before the port opens (only changed articles
    are embedded; progress as for `ingest`). Without --config a development site 'demo' is
    served to localhost pages only. Prints the URL and the script tag to paste, then logs one
    line per session event of note (--log-format json: one JSON object per line).
    """
    settings = build_settings(**options)
    _run(settings, demo=False)


@main.command(short_help="Ingest a folder of Markdown/MDX into the vector store.")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@settings_options(("data", "chroma_url", "log_format", "log_level"))
def ingest(folder: Path, **options: Any) -> None:
    """Ingest FOLDER (Markdown/MDX with front matter) into the vector store.

    Re-running updates changed articles and removes deleted ones. Shows a progress bar on a
    terminal, and a log line per tenth of the chunks otherwise (a CI or container log).
    """
    from .logs import setup_logging

    settings = build_settings(**options)
    setup_logging(settings.log_format, settings.log_level)
    from .progress import ingest_with_progress
    from .retrieval.knowledge import KnowledgeBase

    kb = KnowledgeBase(settings)
    report = ingest_with_progress(kb, folder)
    for error in report.errors:
        click.echo(f"skipped: {error}", err=True)
    click.echo(report.summary())


@main.command(short_help='Ingest the demo knowledge and serve the demo app "Lumen".')
@settings_options(("host", "port", "data", "model", "log_format", "log_level"))
def demo(**options: Any) -> None:
    """Ingest the demo knowledge and serve the demo app ("Lumen") with the widget.

    Open the printed URL, then a page of the app, and ask in the widget. The first run makes
    an agent for /inbox (its password is printed once) and a few weeks of history for the
    reports.
    """
    settings = demo_settings(**options)
    _demo_bootstrap(settings)
    click.echo(f"  Knowledge: a working copy in {settings.knowledge} (Publish writes there)")
    _run(settings, demo=True)


def demo_settings(**options: Any) -> Settings:
    """The demo's settings: its config, and its own copy of the knowledge under --data."""
    from .demo import CONFIG

    settings = build_settings(**options)
    source = settings.knowledge or REPO / "knowledge"
    settings.knowledge = sync_demo_knowledge(source, settings.data / "knowledge")
    settings.config = settings.config or CONFIG
    return settings


def sync_demo_knowledge(source: Path, target: Path) -> Path:
    """Bring `target` in line with `source` and return it. Publishing from the inbox writes
    into the knowledge folder, so the demo serves a copy: the checkout is never written to.
    Changed articles are copied again and deleted ones removed, but `learned/` (what was
    published) is kept, so a second run still has it."""
    import filecmp
    import shutil

    from .insights.drafts import LEARNED

    if not source.is_dir():
        raise click.ClickException(f"knowledge folder not found: {source}")
    target.mkdir(parents=True, exist_ok=True)
    wanted: set[Path] = set()
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(source)
        wanted.add(rel)
        copy = target / rel
        if not copy.is_file() or not filecmp.cmp(path, copy, shallow=False):
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy)
    for path in sorted(target.rglob("*"), reverse=True):
        rel = path.relative_to(target)
        if rel.parts[0] == LEARNED or rel in wanted:
            continue
        if path.is_file():
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return target


def _demo_bootstrap(settings: Settings) -> None:
    """A demo agent to sign in to /inbox with, made once; its password is printed, not fixed."""
    import asyncio
    import secrets

    from .db import Database
    from .demo.seed import seed as seed_history
    from .inbox.auth import Agents

    async def run() -> str | None:
        db = Database(settings.database_url_or_default())
        try:
            await db.migrate()
            agents = Agents(db)
            password = None
            if not await agents.list():
                password = secrets.token_urlsafe(12)
                await agents.add("demo@lumen.example", "Demo Agent", password)
            # A few weeks of made-up history, so the reports have something to show.
            base_url = settings.public_url or f"http://{settings.host}:{settings.port}"
            # skips a database that already has sessions
            seeded = await seed_history(db, base_url=base_url)
            if not seeded.skipped:
                click.echo(f"  {seeded.summary()}")
            return password
        finally:
            await db.close()

    password = asyncio.run(run())
    if password:
        click.echo(f"\n  Inbox: /inbox/login as demo@lumen.example, password {password}")
        click.echo("  (shown once; add agents with `pageguide agents add EMAIL`)")


@main.group()
def agents() -> None:
    """Manage the people who answer escalated conversations in /inbox."""


def _agents_call(options: dict[str, Any], call: Callable[[Any], Any]) -> Any:
    import asyncio

    from .db import Database
    from .inbox.auth import Agents

    settings = build_settings(**options)

    async def run() -> Any:
        db = Database(settings.database_url_or_default())
        try:
            await db.migrate()
            return await call(Agents(db))
        finally:
            await db.close()

    return asyncio.run(run())


@agents.command("add")
@click.argument("email")
@click.option("--name", default="", help="Name shown to users (default: the email).")
@click.password_option(help="Password (prompted when not given; at least 10 characters).")
@settings_options(("data", "database_url"))
def agents_add(email: str, name: str, password: str, **options: Any) -> None:
    """Add an agent who can sign in to /inbox."""
    from .inbox.auth import AgentError

    try:
        _agents_call(options, lambda a: a.add(email, name, password))
    except AgentError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"added {email.strip().lower()}")


@agents.command("list")
@settings_options(("data", "database_url"))
def agents_list(**options: Any) -> None:
    """List the agents who can sign in to /inbox."""
    for agent in _agents_call(options, lambda a: a.list()):
        click.echo(f"{agent.email}\t{agent.name}\tadded {agent.created_at:%Y-%m-%d}")


@agents.command("remove")
@click.argument("email")
@settings_options(("data", "database_url"))
def agents_remove(email: str, **options: Any) -> None:
    """Remove an agent (their signed-in browsers are signed out)."""
    if not _agents_call(options, lambda a: a.remove(email)):
        raise click.ClickException(f"no agent {email}")
    click.echo(f"removed {email}")


def _run(settings: Settings, demo: bool) -> None:
    import uvicorn

    from .app import create_app
    from .logs import setup_logging
    from .sites import ConfigError, Sites

    setup_logging(settings.log_format, settings.log_level)
    try:
        sites = Sites.load(settings.config)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if settings.knowledge is not None and not settings.knowledge.is_dir():
        raise click.ClickException(f"knowledge folder not found: {settings.knowledge}")
    if sites.development:
        log.warning(
            "no --config given: serving the development site 'demo' to localhost origins only"
        )
    url = settings.public_url or f"http://{settings.host}:{settings.port}"
    site_key = sites.first_key()
    click.echo(f"\n  Pageguide on {url}" + (f"  (demo app: {url}/app/dashboard)" if demo else ""))
    click.echo("  Paste this into your app's <head>:\n")
    click.echo(f'    <script src="{url}/widget.js" data-site-key="{site_key}" async></script>\n')
    app = create_app(settings, sites, demo=demo)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        ws_max_size=settings.max_frame_bytes,
        ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_ping_timeout,
        log_config=None,
        access_log=False,
        lifespan="on",
    )


# ---------------------------------------------------------------- reports and demo data


@main.command(short_help="Print the pages ranked by friction.")
@click.option(
    "--since",
    default="7d",
    show_default=True,
    help="Start: a duration back from now (30m, 24h, 7d, 4w) or an ISO date.",
)
@click.option("--until", default=None, help="End (default now): a duration or an ISO date.")
@click.option("--site", default=None, help="Only this site key.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@settings_options(("data", "database_url"))
def report(since: str, until: str | None, site: str | None, fmt: str, **options: Any) -> None:
    """Print the pages ranked by friction (docs/metrics.md defines the columns)."""
    import asyncio

    from .db import Database
    from .reports.export import pages_csv, pages_table, to_json
    from .reports.period import PeriodError, parse_period
    from .reports.queries import page_report

    try:
        period = parse_period(since, until)
    except PeriodError as exc:
        raise click.BadParameter(str(exc), param_hint="--since/--until") from None
    settings = build_settings(**options)

    async def run() -> Any:
        db = Database(settings.database_url_or_default())
        try:
            await db.migrate()
            return await page_report(db, period, site)
        finally:
            await db.close()

    result = asyncio.run(run())
    if fmt == "json":
        click.echo(to_json(result, indent=2))
    elif fmt == "csv":
        click.echo(pages_csv(result), nl=False)
    else:
        click.echo(pages_table(result))


@main.command(short_help="Write a generated demo history into the database.")
@click.option(
    "--sessions",
    type=click.IntRange(1, 1_000_000),
    default=3000,
    show_default=True,
    help="How many sessions to generate.",
)
@click.option(
    "--days",
    type=click.IntRange(1, 730),
    default=56,
    show_default=True,
    help="Spread over the last DAYS days.",
)
@click.option(
    "--seed",
    "rng_seed",
    type=int,
    default=7,
    show_default=True,
    help="Random seed: the same seed writes the same history.",
)
@click.option("--force", is_flag=True, help="Seed even if the database already has sessions.")
@settings_options(("data", "database_url"))
def seed(sessions: int, days: int, rng_seed: int, force: bool, **options: Any) -> None:
    """Write a generated history for the demo app "Lumen" into the database, for the reports.

    Skips a database that already has 100 or more sessions unless --force is given.
    """
    import asyncio

    from .db import Database
    from .demo.seed import seed as seed_history

    settings = build_settings(**options)

    async def run() -> Any:
        db = Database(settings.database_url_or_default())
        try:
            await db.migrate()
            return await seed_history(db, sessions, days, rng_seed, force=force)
        finally:
            await db.close()

    click.echo(asyncio.run(run()).summary())


@main.command(short_help="Preview or send the weekly digest for support leads and PMs.")
@click.option(
    "--preview/--send",
    default=True,
    help="Print the digest (default), or queue it for the sites' channels (once a week).",
)
@click.option("--site", default=None, help="One site key (default: every site).")
@click.option("--week", default=None, help="ISO week, e.g. 2026-W45 (default: last full week).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "text", "slack", "json"]),
    default="markdown",
    show_default=True,
    help="Preview format.",
)
@settings_options(
    ("config", "data", "database_url", "knowledge", "public_url", "host", "port"),
    helps={
        "config": "Sites file (TOML) with each site's channels; without one, the site 'demo'.",
        "knowledge": "Knowledge folder whose article tags give the AI conversations' issue types.",
        "public_url": "Base URL of the links in the digest.",
        "host": "Host of the links in the digest when --public-url is unset.",
        "port": "Port of the links in the digest when --public-url is unset.",
    },
)
def digest(preview: bool, site: str | None, week: str | None, fmt: str, **options: Any) -> None:
    """The weekly digest for support leads and PMs (docs/learning-loop.md)."""
    import asyncio

    from .insights import InsightError
    from .insights.digest import digest_command
    from .sites import ConfigError

    settings = build_settings(**options)
    try:
        out = asyncio.run(
            digest_command(settings, send=not preview, site=site, week=week, fmt=fmt)  # type: ignore[arg-type]
        )
    except (InsightError, ConfigError) as exc:
        raise click.ClickException(getattr(exc, "message", str(exc))) from None
    click.echo(out.rstrip("\n"))


if __name__ == "__main__":
    main()
