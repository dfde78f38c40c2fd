"""Shared helpers for the bench scripts: paths, percentiles, tables, a deterministic synthetic
help centre, realistic questions that never repeat, and subprocess/socket hygiene.

Nothing here times anything by itself; each bench measures its subject against a baseline in
the same run and reports the ratio (see docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _p in (str(ROOT / "server"), str(ROOT)):  # run from a checkout: pageguide, tests.support
    if _p not in sys.path:
        sys.path.insert(0, _p)

EVAL_DOCS = ROOT / "tests/data/eval_docs/plausible/docs"
KNOWLEDGE = ROOT / "knowledge"
QUESTIONS = ROOT / "tests/data/retrieval_eval.jsonl"
VENV_BIN = ROOT / ".venv/bin"


# -- statistics and output


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary_ms(values_s: Sequence[float]) -> dict[str, float]:
    """p50/p95/mean in milliseconds of durations given in seconds."""
    ms = [v * 1000 for v in values_s]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 0.50), 3),
        "p95_ms": round(percentile(ms, 0.95), 3),
        "mean_ms": round(statistics.fmean(ms), 3) if ms else float("nan"),
    }


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else float("nan")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def emit(result: dict[str, Any], as_json: bool, render: Any) -> None:
    """Print one JSON object (--json) or the readable table."""
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        print(render(result))


def machine_note() -> str:
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs, load avg {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} "
        f"(shared with other work), Python {sys.version.split()[0]}"
    )


def raise_nofile(want: int) -> int:
    """Raise the soft open-files limit towards `want` (capped at the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def set_torch_threads(n: int) -> None:
    """Embed with as many torch threads as the server does (app.py sets one per encode), so a
    baseline measured here costs what the same work costs in the server."""
    import torch

    torch.set_num_threads(n)


@contextlib.contextmanager
def removing(path: Path) -> Iterator[Path]:
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def cache_dir(name: str) -> Path:
    """A scratch folder kept between runs, named after the code that decides its contents
    (the synthetic corpus here, parsing, chunking, embedding and storage in the server), so a
    change to any of them starts a new one instead of reusing stale chunks."""
    import hashlib
    import tempfile

    retrieval = ROOT / "server/pageguide/retrieval"
    digest = hashlib.sha256()
    for module in ("markdown.py", "ingest.py", "embed.py", "store.py"):
        digest.update((retrieval / module).read_bytes())
    here = Path(__file__).read_text()
    digest.update(here[here.index(CORPUS_MARKER) :].encode())  # the generator, not the helpers
    parent = Path(tempfile.gettempdir()) / "pageguide-bench"
    folder = parent / f"{name}-{digest.hexdigest()[:12]}"
    if not folder.exists() and parent.exists():
        for old in parent.glob(f"{name}-*"):  # stale: built by code that has changed since
            shutil.rmtree(old, ignore_errors=True)
    return folder


# -- processes and sockets


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int:
    """Resident set size of one process (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def wait_healthy(url: str, proc: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """Poll an HTTP URL until it answers 200 (the server's own readiness, not a sleep)."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before it was ready")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} not healthy after {timeout:.0f}s")
        time.sleep(0.1)


def _in_child(limit: int) -> Any:
    """Runs in the forked server before exec: raise its open-files limit, and have the kernel
    kill it if this process dies without cleaning up (SIGKILL, a crash)."""

    def setup() -> None:
        raise_nofile(limit)
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    return setup


@contextlib.contextmanager
def server_process(
    argv: list[str], log: Path, nofile: int = 4_096, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A server subprocess in its own process group, always killed (with its children) on exit."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            preexec_fn=_in_child(nofile),
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


# -- realistic questions that never repeat

# Spellings that change the string but nothing any stage reads: retrieval and the escalation
# rules tokenise on [a-z0-9]+ and lower-case, and MiniLM's tokenizer is uncased and folds spaces.
_ENDINGS = ["", "?", "??", " ?", "!", "...", "?!", ".", "?.", " ?!"]
_CASES = [str.lower, lambda s: s[:1].upper() + s[1:], str.upper, str.title]


def load_eval_questions() -> list[dict[str, Any]]:
    return [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]


def variant(text: str, n: int) -> str:
    """The n-th spelling of a question: the same words (the same retrieval problem, the same
    embedding) in a new string, so no query-embedding cache can answer it. Spellings vary the
    ending punctuation, the case and which gap between words is doubled."""
    words = text.rstrip("?!. ").split(" ")
    e, rest = n % len(_ENDINGS), n // len(_ENDINGS)
    c, rest = rest % len(_CASES), rest // len(_CASES)
    gap, rest = rest % len(words), rest // len(words)
    if gap:
        words[gap] = " " + words[gap]  # "how  do i …": a doubled space
    out = _CASES[c](" ".join(words) + _ENDINGS[e])
    return out + " " * rest  # beyond that: trailing spaces, still a new string


class QuestionStream:
    """(question text, page dict) pairs cycling through a pool; every text is new."""

    def __init__(self, pool: list[tuple[str, dict[str, Any]]], seed: int = 7) -> None:
        self.pool = list(pool)
        random.Random(seed).shuffle(self.pool)
        self.n = 0

    def next(self) -> tuple[str, dict[str, Any]]:
        text, page = self.pool[self.n % len(self.pool)]
        spelled = variant(text, self.n // len(self.pool))
        self.n += 1
        return spelled, page


CORPUS_MARKER = "# -- a synthetic help centre, deterministic and realistic"
# -- a synthetic help centre, deterministic and realistic

# Product areas of a generic SaaS suite, each with the objects its articles are about.
_AREAS: list[tuple[str, list[str]]] = [
    (area, objects.split(", "))
    for area, objects in (
        ("Projects", "project, milestone, task board, backlog item, sprint, project template"),
        ("Invoicing", "invoice, credit note, tax rate, payment reminder, quote, billing profile"),
        ("Inventory", "warehouse, stock level, SKU, purchase order, supplier, stock transfer"),
        ("Reports", "report, funnel, cohort, segment, custom metric, scheduled export"),
        ("Automation", "workflow, trigger, webhook, scheduled job, action step, approval rule"),
        ("Helpdesk", "ticket, macro, SLA policy, queue, canned response, satisfaction survey"),
        ("Scheduling", "booking page, availability window, meeting type, calendar sync, reminder"),
        ("Files", "folder, shared link, file version, upload, retention rule, file request"),
        ("Administration", "user, user group, SSO connection, audit log, API token, custom role"),
        ("Notifications", "email digest, push notification, alert rule, notification channel"),
        ("Forms", "form, form field, submission, validation rule, embed code, conditional logic"),
        ("CRM", "contact, deal, pipeline, pipeline stage, company record, lead score"),
        ("Payroll", "pay run, payslip, deduction, bonus, pay schedule, tax form"),
        ("Expenses", "expense report, receipt, mileage claim, spending limit, corporate card"),
        ("Marketing", "campaign, email template, landing page, audience, A/B test"),
        ("Knowledge base", "help article, category, article draft, translation, search synonym"),
        ("Time tracking", "timesheet, time entry, billable rate, timer, overtime rule, approval"),
        ("Recruiting", "job posting, candidate, interview stage, scorecard, offer letter"),
        ("Storefront", "product listing, discount code, shipping zone, checkout page, gift card"),
        ("Devices", "device, kiosk, barcode scanner, receipt printer, device profile"),
    )
]


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.split("|")]


_INTEGRATIONS = _words(
    "Slack|Microsoft Teams|Google Drive|Dropbox|Salesforce|HubSpot|Zapier|Jira|GitHub|QuickBooks|"
    "Xero|Stripe|Shopify|Zendesk|Okta|Azure AD|Google Calendar|Outlook|Mailchimp|Twilio"
)
_PLANS = _words("Starter|Team|Business|Enterprise")
_ROLES = _words("Owner|Admin|Manager|Editor|Member|Viewer|Billing admin|Guest")
_VERBS = [
    (v, v.capitalize())
    for v in _words(
        "create|edit|delete|archive|duplicate|share|export|import|restore|assign|approve|"
        "schedule|rename|merge|lock|filter"
    )
]
_MENUS = _words("Settings|Workspace|Admin console|Account|Organization|Preferences")
_BUTTONS = _words("Save|Save changes|Apply|Confirm|Continue|Done|Publish|Update")
_FIELD_WORDS = _words(
    "name|description|owner|due date|start date|currency|time zone|language|status|priority|"
    "label|reference number|cost centre|notes|region|visibility|category|email address|"
    "threshold|frequency|template|default value|color|icon|external ID"
)
_FORMATS = _words("CSV|XLSX|PDF|JSON|XML|ZIP")
_ERRORS = _words(
    "You don't have permission to do this|This name is already taken|"
    "Something went wrong. Try again|The file is too large|Invalid date range|"
    "Limit reached for your plan|Connection timed out|This item is locked|"
    "Required field is missing|The link has expired|Unsupported file type|"
    "Sync failed: authentication error"
)
_ADJ = _words(
    "new|existing|archived|shared|private|recurring|draft|active|pending|overdue|default|"
    "custom|imported|linked|hidden|pinned"
)
_TIMES = _words(
    "a few seconds|about a minute|up to 5 minutes|up to 15 minutes|an hour|up to 24 hours|"
    "the next business day"
)
_TOGGLES = _words("Notify watchers|Apply to all|Keep history|Require approval|Sync automatically")
_BECAUSE = _words("everyone involved to be told|the change to apply everywhere|an audit trail")
_STATES = _words("Draft|Pending|Active|Scheduled")
_OUTCOMES = _words(
    "visible to its owner only|listed for everyone|excluded from reports|"
    "counted towards your plan limit|read-only|shown with a badge"
)
_FIELD_NOTES = _words("required|optional|defaults to the workspace setting|visible to guests")
_ERROR_HEADINGS = _words("Common errors|Troubleshooting|If something goes wrong")


def _plural(noun: str) -> str:
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True)
class SyntheticArticle:
    path: str  # relative to the corpus root
    text: str
    page: dict[str, Any]  # a page this article is mapped to, for questions
    question: str  # a question this article answers


class HelpCentre:
    """A stream of help articles for a made-up product suite, deterministic for a seed.

    Articles come in the kinds a real help centre has (how-to with numbered steps, concepts,
    troubleshooting with error messages, settings references, FAQs), with front matter
    (`title`, `pages`, `tags`), nested headings and the occasional section long enough to be
    split. The same seed always yields the same articles in the same order, so a smaller
    corpus is a prefix of a larger one (incremental ingestion only embeds the difference).
    """

    def __init__(self, seed: int = 20_240_601) -> None:
        self.rng = random.Random(seed)
        self.count = 0

    def __iter__(self) -> Iterator[SyntheticArticle]:
        while True:
            yield self.article()

    # one article

    def article(self) -> SyntheticArticle:
        r = self.rng
        self.count += 1
        area, objects = r.choice(_AREAS)
        obj = r.choice(objects)
        kind = r.choices(["howto", "concept", "trouble", "reference", "faq"], [5, 2, 3, 2, 2])[0]
        verb, verb_title = r.choice(_VERBS)
        area_slug, obj_slug = _slug(area), _slug(_plural(obj))
        title = {
            "howto": f"{verb_title} {r.choice(['a', 'an', 'your'])} {obj}".replace("a a", "an a"),
            "concept": f"About {_plural(obj)} in {area}",
            "trouble": f"Troubleshoot {_plural(obj)}: {r.choice(_ERRORS).split('.')[0].lower()}",
            "reference": f"{obj[:1].upper() + obj[1:]} settings reference",
            "faq": f"{area} FAQ: {_plural(obj)}",
        }[kind]
        title = f"{title} ({r.choice(_INTEGRATIONS)})" if r.random() < 0.15 else title
        pages = [f"/app/{area_slug}/{obj_slug}"]
        if r.random() < 0.5:
            pages.append(f"/app/{area_slug}/{obj_slug}/*")
        if r.random() < 0.3:
            pages.append(f"/app/{area_slug}/:id/{r.choice(['edit', 'settings', 'history'])}")
        tags = sorted({area.lower(), obj.lower(), verb, r.choice(_ADJ)})
        front = (
            "---\n"
            f"title: {json.dumps(title)}\n"
            f"pages: {json.dumps(pages)}\n"
            f"tags: {json.dumps(tags)}\n"
            "---\n\n"
        )
        ctx = {"area": area, "obj": obj, "verb": verb, "verb_title": verb_title}
        body = [self._intro(ctx, kind)]
        for _ in range(r.randint(3, 8)):
            body.append(self._section(ctx, kind))
        path = f"synthetic/{area_slug}/{self.count:05d}-{_slug(title)[:60]}.md"
        page = {
            "url": f"https://app.example.com/app/{area_slug}/{obj_slug}",
            "path": f"/app/{area_slug}/{obj_slug}",
            "title": f"{_plural(obj).capitalize()} · {area} · Example",
            "headings": [area, _plural(obj).capitalize(), f"{verb_title} {obj}"],
            "route": f"/app/{area_slug}/{obj_slug}",
        }
        question = r.choice(
            [
                f"how do i {verb} a {obj}",
                f"why can't i {verb} this {obj}",
                f"what happens if i {verb} this",
                f"where do i find the {obj} settings",
                f"can i {verb} {_plural(obj)} in bulk",
            ]
        )
        return SyntheticArticle(path, front + "\n\n".join(body) + "\n", page, question)

    # pieces

    def _intro(self, c: dict[str, str], kind: str) -> str:
        r = self.rng
        sentences = [
            f"{_plural(c['obj']).capitalize()} live in **{c['area']}** and help your team keep "
            f"{r.choice(_ADJ)} work organised.",
            f"This article explains how to {c['verb']} a {c['obj']} and what changes for the "
            f"people who use it.",
            f"Only people with the **{r.choice(_ROLES)}** role or above can {c['verb']} "
            f"{_plural(c['obj'])}.",
            f"{_plural(c['obj']).capitalize()} are available on the {r.choice(_PLANS)} plan and "
            f"higher.",
            f"Changes are visible to everyone in the workspace within {r.choice(_TIMES)}.",
        ]
        r.shuffle(sentences)
        return " ".join(sentences[: r.randint(2, 4)])

    def _section(self, c: dict[str, str], kind: str) -> str:
        r = self.rng
        style = r.choices(
            ["steps", "prose", "bullets", "errors", "fields", "sub"],
            [
                4 if kind == "howto" else 2,
                3,
                2,
                3 if kind == "trouble" else 1,
                3 if kind == "reference" else 1,
                1,
            ],
        )[0]
        if style == "steps":
            target = r.choice([c["obj"], f"{r.choice(_ADJ)} {c['obj']}", _plural(c["obj"])])
            heading = r.choice(
                [
                    f"{c['verb_title']} {target}",
                    f"{r.choice(_VERBS)[1]} {target}",
                    f"Set up {target}",
                    f"{c['verb_title']} {target} from the mobile app",
                ]
            )
            return f"## {heading}\n\n" + self._steps(c)
        if style == "prose":
            heading = r.choice(
                [
                    f"Who can {c['verb']} {_plural(c['obj'])}",
                    "Before you start",
                    "Limits",
                    f"What happens to {r.choice(_ADJ)} {_plural(c['obj'])}",
                    "Billing impact",
                    f"{c['obj'].capitalize()} and {r.choice(_INTEGRATIONS)}",
                    "Good to know",
                ]
            )
            return f"## {heading}\n\n" + self._prose(c, r.randint(4, 9))
        if style == "bullets":
            heading = r.choice(
                [
                    "Options",
                    f"{c['obj'].capitalize()} statuses",
                    "Permissions",
                    "Keyboard shortcuts",
                    "Supported formats",
                ]
            )
            return f"## {heading}\n\n" + self._bullets(c)
        if style == "errors":
            return f"## {r.choice(_ERROR_HEADINGS)}\n\n" + self._errors(c)
        if style == "fields":
            return f"## {c['obj'].capitalize()} fields\n\n" + self._fields(c)
        parts = [f"## {r.choice(['Advanced', 'For admins', 'Integrations', 'Automation'])}"]
        for _ in range(r.randint(2, 3)):
            parts.append(f"### {r.choice(_VERBS)[1]} {r.choice(_ADJ)} {_plural(c['obj'])}")
            parts.append(self._prose(c, r.randint(2, 4)) if r.random() < 0.5 else self._steps(c))
        return "\n\n".join(parts)

    def _steps(self, c: dict[str, str]) -> str:
        r = self.rng
        menu = r.choice(_MENUS)
        steps = [f"Open **{menu} → {c['area']}**."]
        pool = [
            f"Click **{c['verb_title']} {c['obj']}** at the top right.",
            f"Select the {c['obj']} you want in the list. Use the search box to filter by "
            f"{r.choice(_FIELD_WORDS)}.",
            f"In **{r.choice(_FIELD_WORDS).capitalize()}**, enter "
            f"{r.choice(['a short', 'a unique', 'the full'])} {r.choice(_FIELD_WORDS)}.",
            f"Choose a **{r.choice(_FIELD_WORDS).capitalize()}** from the drop-down list.",
            f"Turn on **{r.choice(_TOGGLES)}** if you want {r.choice(_BECAUSE)}.",
            f"Under **{r.choice(['Sharing', 'Access', 'Advanced', 'Details'])}**, pick who can "
            f"see it: {', '.join(r.sample(_ROLES, 3))}.",
            f"To connect {r.choice(_INTEGRATIONS)}, click **Connect** and sign in when asked.",
            f"Pick a file in {r.choice(_FORMATS)} format "
            f"(up to {r.choice([5, 10, 25, 50, 100])} MB).",
            f"Set the **{r.choice(['Start date', 'Due date', 'Frequency', 'Time zone'])}**; the "
            f"default is {r.choice(['today', 'your workspace time zone', 'weekly', 'none'])}.",
            f"Review the summary. The {c['obj']} shows as **{r.choice(_STATES)}** until you "
            f"confirm.",
        ]
        steps += r.sample(pool, r.randint(2, 6))
        steps.append(f"Click **{r.choice(_BUTTONS)}**.")
        out = "\n".join(f"{n}. {s}" for n, s in enumerate(steps, 1))
        if r.random() < 0.6:
            out += "\n\n" + self._prose(c, r.randint(1, 4))
        return out

    def _prose(self, c: dict[str, str], n: int) -> str:
        r = self.rng
        obj, objs = c["obj"], _plural(c["obj"])
        pool = [
            f"When you {c['verb']} a {obj}, everyone who follows it gets a notification in "
            f"{r.choice(['the app', 'their email digest', r.choice(_INTEGRATIONS)])}.",
            f"A {r.choice(_ADJ)} {obj} keeps its history, so you can see who changed what and "
            f"when.",
            f"On the {r.choice(_PLANS)} plan you can have up to "
            f"{r.choice([3, 10, 25, 50, 100, 500])} {objs}; {r.choice(_PLANS)} has no limit.",
            f"Deleted {objs} stay in **Trash** for {r.choice([7, 14, 30, 90])} days before they "
            f"are removed for good. The **{r.choice(_ROLES)}** role can restore them.",
            f"Exports include every {r.choice(_FIELD_WORDS)} and are sent as "
            f"{r.choice(_FORMATS)} to the email address on your profile.",
            f"If you use {r.choice(_INTEGRATIONS)}, {objs} sync every {r.choice([5, 15, 30, 60])} "
            f"minutes; changes made in both places at once keep the most recent one.",
            f"The {r.choice(_FIELD_WORDS)} of a {obj} can't be changed after it is "
            f"{r.choice(['published', 'approved', 'sent', 'closed'])}; {c['verb']} a copy instead.",
            f"{objs.capitalize()} inherit the {r.choice(_FIELD_WORDS)} and "
            f"{r.choice(_FIELD_WORDS)} of the workspace unless you override them.",
            f"Bulk actions work on up to {r.choice([50, 100, 200, 1000])} {objs} at a time: select "
            f"them with the checkboxes, then open **Actions**.",
            f"Your changes are saved automatically every few seconds; the "
            f"**{r.choice(['Saved', 'Synced', 'Up to date'])}** badge confirms it.",
            f"Guests see {r.choice(_ADJ)} {objs} only when they are shared with them directly.",
            f"Billing for {objs} is prorated: you pay for the days they were "
            f"{r.choice(['active', 'in use', 'assigned'])} in the billing period.",
            f"The API exposes {objs} at `/v2/{_slug(objs)}`; use an **API token** with the "
            f"`{_slug(c['area'])}:{r.choice(['read', 'write'])}` scope.",
        ]
        r.shuffle(pool)
        return " ".join(pool[:n])

    def _bullets(self, c: dict[str, str]) -> str:
        r = self.rng
        items = []
        for adj in r.sample(_ADJ, r.randint(3, 6)):
            items.append(
                f"- **{adj.capitalize()}**: the {c['obj']} is {adj} and {r.choice(_OUTCOMES)}."
            )
        out = "\n".join(items)
        return out + "\n\n" + self._prose(c, r.randint(1, 3)) if r.random() < 0.5 else out

    def _errors(self, c: dict[str, str]) -> str:
        r = self.rng
        items = []
        for err in r.sample(_ERRORS, r.randint(2, 4)):
            fix = r.choice(
                [
                    f"ask someone with the **{r.choice(_ROLES)}** role to give you access to "
                    f"{_plural(c['obj'])}",
                    f"rename the {c['obj']} and try again",
                    f"check the {r.choice(_FIELD_WORDS)} and make sure it is filled in",
                    f"reconnect {r.choice(_INTEGRATIONS)} under **Settings → Integrations**",
                    f"upgrade to the {r.choice(_PLANS)} plan or archive {_plural(c['obj'])} you "
                    f"no longer need",
                    f"split the file into parts smaller than {r.choice([5, 10, 25])} MB",
                ]
            )
            items.append(f'- "{err}": {fix}.')
        lead = f"If you can't {c['verb']} a {c['obj']}, look at the message shown:"
        tail = self._prose(c, r.randint(1, 3)) if r.random() < 0.6 else ""
        return "\n\n".join(x for x in (lead, "\n".join(items), tail) if x)

    def _fields(self, c: dict[str, str]) -> str:
        r = self.rng
        rows = ["| Field | What it does |", "|---|---|"]
        for field in r.sample(_FIELD_WORDS, r.randint(3, 7)):
            rows.append(
                f"| {field.capitalize()} | Sets the {field} of the {c['obj']}; "
                f"{r.choice(_FIELD_NOTES)}. |"
            )
        return "\n".join(rows)


@dataclass
class Corpus:
    folder: Path
    chunks: int
    real_chunks: int
    synthetic_articles: list[SyntheticArticle]


def count_chunks(text: str, article_id: str) -> int:
    from pageguide.retrieval.markdown import parse_article

    return len(parse_article(text, article_id).sections)


def build_corpus(
    folder: Path, target_chunks: int, seed: int = 20_240_601, real: bool = True
) -> Corpus:
    """Real docs (Plausible's, the demo's Lumen) plus synthetic articles up to `target_chunks`.

    Writes into `folder` (created); files already there with the same content are left as is,
    so a larger corpus can be built over a smaller one.
    """
    from pageguide.retrieval.ingest import read_folder

    folder.mkdir(parents=True, exist_ok=True)
    real_chunks = 0
    if real:
        for src, name in ((EVAL_DOCS, "plausible"), (KNOWLEDGE, "lumen")):
            if not (folder / name).exists():
                shutil.copytree(src, folder / name)
            articles, _ = read_folder(folder / name)
            real_chunks += sum(len(a.sections) for a in articles)
    total = real_chunks
    made: list[SyntheticArticle] = []
    for article in HelpCentre(seed):
        if total >= target_chunks:
            break
        path = folder / article.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != article.text:
            path.write_text(article.text)
        total += count_chunks(article.text, article.path)
        made.append(article)
    return Corpus(folder, total, real_chunks, made)


def question_pool(corpus: Corpus, synthetic_share: float = 0.3) -> list[tuple[str, dict[str, Any]]]:
    """The eval set's questions on their pages (answerable and out of scope), plus questions
    on the pages of synthetic articles, about `synthetic_share` of the pool."""
    pool = [(q["question"], q["page"]) for q in load_eval_questions()]
    want = int(len(pool) * synthetic_share / (1 - synthetic_share))
    step = max(1, len(corpus.synthetic_articles) // max(1, want))
    for article in corpus.synthetic_articles[::step][:want]:
        pool.append((article.question, article.page))
    return pool
