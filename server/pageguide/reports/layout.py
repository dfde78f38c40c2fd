"""What every report page shares around its body: the request's filters (period and site) and
their form, links to the same data from the API, and the frame (the base template, the
navigation, the security headers) that a page's HTML is rendered into.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse

from ..inbox.auth import SignedIn
from .markup import e, when
from .period import Period, PeriodError, parse_period

HERE = Path(__file__).parent
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
PERIODS = ("24h", "7d", "30d", "90d")


def database(request: Request) -> Any:
    return request.app.state.services.repo.db


# ---------------------------------------------------------------- the request's filters


@dataclass(frozen=True)
class Filters:
    since: str
    until: str
    site: str | None
    period: Period
    error: str = ""

    @classmethod
    def of(cls, request: Request) -> Filters:
        since = request.query_params.get("since", "7d").strip() or "7d"
        until = request.query_params.get("until", "").strip()
        site = request.query_params.get("site", "").strip() or None
        try:
            return cls(since, until, site, parse_period(since, until or None))
        except PeriodError as error:
            return cls("7d", "", site, parse_period("7d"), f"{error}. Showing the last 7 days.")

    def query(self, **change: str | None) -> str:
        values = {"since": self.since, "until": self.until, "site": self.site or ""} | change
        pairs = {k: v for k, v in values.items() if v}
        return "?" + urlencode(pairs) if pairs else ""

    @property
    def scope(self) -> str:
        where = f"site <code>{e(self.site)}</code>" if self.site else "all sites"
        start, end = self.period.start, self.period.end
        return f"{when(start)} – {when(end)} UTC, {where}"


def filters_html(request: Request, f: Filters, path: str, exports: str = "") -> str:
    chosen = ' aria-current="true"'
    links = "".join(
        f'<li><a href="{e(path + f.query(since=p, until=None))}"'
        f"{chosen if p == f.since and not f.until else ''}>{p}</a></li>"
        for p in PERIODS
    )
    sites = sorted(set(request.app.state.services.sites.by_key) | ({f.site} if f.site else set()))
    options = '<option value="">All sites</option>' + "".join(
        f'<option value="{e(s)}"{" selected" if s == f.site else ""}>{e(s)}</option>' for s in sites
    )
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{e(v)}">'
        for k, v in (("since", f.since), ("until", f.until))
        if v
    )
    note = f'<p class="notice error" role="alert">{e(f.error)}</p>' if f.error else ""
    return (
        f'<div class="filters"><nav aria-label="Period"><ul class="periods">{links}</ul></nav>'
        f'<form class="site-form" method="get" action="{e(path)}">{hidden}'
        f'<label for="site">Site</label><select id="site" name="site" data-autosubmit>{options}'
        f'</select><button class="button apply" type="submit">Apply</button></form>{exports}'
        f'<p class="period-note">{f.scope}</p></div>{note}'
    )


def export_href(path: str, f: Filters, **params: str) -> str:
    """A link to the CSV/JSON API (api.py) for what the page shows."""
    pairs = {"since": f.since, "until": f.until, "site": f.site or "", **params}
    return "/api/reports/" + path + "?" + urlencode({k: v for k, v in pairs.items() if v})


# ---------------------------------------------------------------- the frame


def load_template(name: str) -> Template:
    return Template((HERE / "templates" / name).read_text(encoding="utf-8"))


def render(
    title: str, body: str, agent: SignedIn, f: Filters | None, section: str, status: int = 200
) -> HTMLResponse:
    query = f.query() if f else ""
    current = ' aria-current="page"'
    html = load_template("base.html").substitute(
        title=e(title),
        body=body,
        agent_name=e(agent.name),
        query=e(query),
        current_friction=current if section == "friction" else "",
        current_scorecard=current if section == "scorecard" else "",
        current_insights=current if section == "insights" else "",
        generated=when(datetime.now(UTC).replace(microsecond=0)) + " UTC",
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)
