"""A generated history for the demo app "Lumen", so the reports have something to show.

    await seed(db, sessions=3000, days=56, seed=7, base_url=ORIGIN) -> SeedReport

Deterministic for a given (sessions, days, seed, now): a seeded RNG drives everything.
A few thousand sessions over the last `days` days on the five Lumen pages, with page views
(and their route templates), events, struggle signals weighted to the demo's two deliberate
friction points (billing's payment "Save", team's "Send invite"), nudges with outcomes,
questions answered from the real knowledge articles (`/help/<file-stem>`) with sources,
confidence and thumbs, CSAT, handoffs with triggers, tags, agents and timestamps (most closed,
some returned, a few still open), and a dozen verified accounts with tiers.

The latest week has a story: team invites start failing with a 500 (an email-provider
outage), so the team page's friction and the outage escalations jump, and the anomaly flags
have something to find.

Rows go in with bulk `insert(...)` executemany, a batch of sessions at a time, so 3,000
sessions take seconds and the benchmark's million events fit in memory. It skips a database
that already has `SKIP_IF_SESSIONS` sessions unless `force=True`.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

from ..db import Database
from ..db import models as m

SITE_KEY = "demo"
SKIP_IF_SESSIONS = 100
BATCH_SESSIONS = 1_000
ORIGIN = "http://127.0.0.1:8000"
USER_AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 Chrome/126 Safari"
AGENT_HASH = "!seeded-agent-no-login"  # not an Argon2 hash: these agents cannot sign in

DASHBOARD = "/app/dashboard"
BILLING = "/app/settings/billing"
TEAM = "/app/settings/team"
API_KEYS = "/app/settings/api-keys"
SLACK = "/app/integrations/slack"
TITLES = {
    DASHBOARD: "Dashboard · Lumen",
    BILLING: "Billing · Settings · Lumen",
    TEAM: "Team · Settings · Lumen",
    API_KEYS: "API keys · Settings · Lumen",
    SLACK: "Slack · Integrations · Lumen",
}
TEMPLATES = {
    DASHBOARD: DASHBOARD,
    BILLING: BILLING,
    TEAM: TEAM,
    API_KEYS: API_KEYS,
    SLACK: "/app/integrations/:provider",  # the knowledge's pattern for integrations
}
NEXT_PAGE = {  # where people go from each page, with weights
    None: [(DASHBOARD, 62), (BILLING, 10), (TEAM, 12), (API_KEYS, 9), (SLACK, 7)],
    DASHBOARD: [(BILLING, 22), (TEAM, 30), (API_KEYS, 25), (SLACK, 23)],
    BILLING: [(DASHBOARD, 45), (TEAM, 35), (API_KEYS, 10), (SLACK, 10)],
    TEAM: [(DASHBOARD, 40), (BILLING, 35), (API_KEYS, 15), (SLACK, 10)],
    API_KEYS: [(DASHBOARD, 50), (SLACK, 25), (TEAM, 15), (BILLING, 10)],
    SLACK: [(DASHBOARD, 55), (API_KEYS, 25), (TEAM, 10), (BILLING, 10)],
}
BUTTONS = {  # (selector, text) people click on each page
    DASHBOARD: [("#new-dashboard-button", "New dashboard"), ("#date-range", "Date range"),
                ("#share-button", "Share"), ("a.nav-billing", "Billing")],
    BILLING: [("#change-plan-button", "Change plan"), ("#update-card-button", "Update card"),
              ("#save-payment-button", "Save"), ("button[data-download]", "Invoice PDF")],
    TEAM: [("#send-invite-button", "Send invite"), ("#invite-role", "Role"),
           ("button[data-resend-invite]", "Resend"), ("button[data-remove-member]", "Remove")],
    API_KEYS: [("#create-key-button", "Create key"), ("button[data-rotate]", "Rotate"),
               ("button[data-copy]", "Copy")],
    SLACK: [("#connect-slack-button", "Connect Slack"), ("#test-message-button",
            "Send test message"), ("#alert-channel", "Alert channel")],
}  # fmt: skip


@dataclass(frozen=True)
class Friction:
    """A way people get stuck on a page: how often, the signals, the errors, the questions."""

    page: str
    chance: float
    target: tuple[str, str]
    signals: tuple[tuple[str, float], ...]  # (kind, weight)
    errors: tuple[dict[str, Any], ...] = ()  # event kind + data
    topic: str = ""  # the question topic it leads to


FRICTIONS = (
    Friction(BILLING, 0.24, ("#save-payment-button", "Save"),
             (("dead_click", 5), ("rage_click", 4), ("hesitation", 1)),
             ({"kind": "invalid", "data": {"message": "Invalid value"}},), "card_save"),
    Friction(BILLING, 0.08, ("#vat-id", "VAT ID"), (("error_loop", 3), ("hesitation", 1)),
             ({"kind": "invalid", "data": {"message": "Invalid value"}},
              {"kind": "http_error", "data": {"method": "PATCH", "path": "/api/billing/details",
                                              "status": 422}}), "vat"),
    Friction(TEAM, 0.26, ("#send-invite-button", "Send invite"),
             (("dead_click", 5), ("rage_click", 4), ("hesitation", 1)), (), "invite_role"),
    Friction(TEAM, 0.05, ("#invite-email", "Email address"), (("error_loop", 1),),
             ({"kind": "invalid", "data": {"message": "All 10 seats are in use. Remove a member "
                                                      "or change your plan on the Billing page "
                                                      "to add seats."}},), "seats"),
    Friction(API_KEYS, 0.07, ("button[data-copy]", "Copy"), (("dead_click", 3),
             ("hesitation", 1)), (), "key_copy"),
    Friction(SLACK, 0.13, ("#test-message-button", "Send test message"),
             (("error_loop", 3), ("navigation_loop", 1)),
             ({"kind": "error", "data": {"message": "not_in_channel: Lumen isn't a member of "
                                                    "this private channel"}},), "slack_channel"),
    Friction(DASHBOARD, 0.04, ("#date-range", "Date range"), (("hesitation", 2),
             ("dead_click", 1)), (), "date_range"),
)  # fmt: skip
# the latest week's outage: inviting fails on the server
OUTAGE = Friction(
    TEAM, 0.30, ("#send-invite-button", "Send invite"), (("error_loop", 4), ("rage_click", 2)),
    ({"kind": "http_error", "data": {"method": "POST", "path": "/api/team/invites",
                                     "status": 500}},
     {"kind": "error", "data": {"message": "Invitation email could not be sent"}}), "invite_fail",
)  # fmt: skip

ARTICLES = {
    "billing-update-payment-method": "Update your payment method and billing details",
    "billing-change-plan": "Change your plan",
    "billing-invoices-and-receipts": "Download invoices and receipts",
    "billing-cancel-subscription": "Cancel your subscription",
    "team-invite-members": "Invite members to your workspace",
    "team-remove-member": "Remove a member from your workspace",
    "team-roles-and-permissions": "Roles and permissions",
    "api-keys-create": "Create an API key",
    "api-keys-rotate": "Rotate an API key",
    "api-keys-delete": "Delete an API key",
    "slack-connect": "Connect Slack and set up alert rules",
    "slack-alerts-troubleshooting": "Troubleshoot Slack alerts",
    "integrations-disconnect": "Disconnect an integration",
    "dashboard-create": "Create a dashboard",
    "dashboard-date-ranges": "Change a dashboard's date range",
    "dashboard-share": "Share a dashboard",
    "data-retention-and-privacy": "Data retention and privacy",
    "sign-in-and-two-factor": "Troubleshoot sign-in and two-factor authentication (2FA)",
    "getting-started": "Getting started with Lumen",
}
# topic -> (article slug or None when the knowledge has no answer, issue type, phrasings)
TOPICS: dict[str, tuple[str | None, str, tuple[str, ...]]] = {
    "card_save": ("billing-update-payment-method", "bug", (
        "Why doesn't Save do anything?", "save button not working on billing",
        "I click Save and nothing happens", "how do I update my credit card?",
        "can't save my new card", "the Save button does nothing")),
    "vat": ("billing-update-payment-method", "billing", (
        "VAT ID says invalid value", "how do I add my VAT number?",
        "what format does the VAT ID need?")),
    "change_plan": ("billing-change-plan", "billing", (
        "How do I upgrade to Scale?", "how do I change my plan", "what does proration mean?",
        "downgrade to starter")),
    "invoices": ("billing-invoices-and-receipts", "billing", (
        "where can I download my invoices?", "I need a receipt for last month",
        "why was I charged twice this month?")),
    "cancel": ("billing-cancel-subscription", "billing", (
        "how do I cancel my subscription?", "cancel my account", "I want to cancel Lumen")),
    "invite_role": ("team-invite-members", "bug", (
        "Send invite doesn't work", "how do I invite a teammate?",
        "invite button does nothing", "why can't I invite people?",
        "how to add a member to my workspace")),
    "invite_fail": ("team-invite-members", "outage", (
        "invites are failing with an error", "invitation email could not be sent",
        "is something down? invites keep failing", "I keep getting an error when inviting")),
    "seats": ("team-invite-members", "billing", (
        "all seats are in use, what do I do?", "how do I get more seats?")),
    "roles": ("team-roles-and-permissions", "how_to", (
        "what can an Editor do?", "difference between admin and editor",
        "what role should I give a contractor?")),
    "remove": ("team-remove-member", "how_to", (
        "how do I remove someone from the team?", "what happens to dashboards when I "
        "remove a member?")),
    "key_create": ("api-keys-create", "how_to", (
        "how do I create an API key?", "which scope do I need for ingest?",
        "new api key for production")),
    "key_copy": ("api-keys-create", "how_to", (
        "where is the secret of my key?", "copy button doesn't copy the key",
        "I can't see my API key secret")),
    "key_rotate": ("api-keys-rotate", "how_to", (
        "how do I rotate a key?", "my key leaked, what should I do?")),
    "slack_channel": ("slack-alerts-troubleshooting", "bug", (
        "Slack test message fails with not_in_channel", "alerts don't show up in Slack",
        "why isn't Lumen posting to my private channel?")),
    "slack_connect": ("slack-connect", "how_to", (
        "how do I connect Slack?", "set up an alert when signups drop")),
    "date_range": ("dashboard-date-ranges", "how_to", (
        "how do I change the date range?", "compare with previous period",
        "set a custom date range")),
    "dashboard_new": ("dashboard-create", "how_to", (
        "how do I create a dashboard?", "make a new dashboard from a template")),
    "share": ("dashboard-share", "how_to", (
        "how do I share a dashboard?", "create a public link to a dashboard")),
    "sso": (None, "account_access", (
        "do you support SAML SSO?", "can I use Okta to sign in?")),
    "export_csv": (None, "feature_request", (
        "can I export a chart to CSV?", "export dashboard as PDF")),
    "human": (None, "other", (
        "can I talk to a person?", "I want to speak to someone", "let me talk to a human")),
    "refund": ("billing-invoices-and-receipts", "billing", (
        "I was charged after cancelling, I want a refund", "this charge is wrong, refund me")),
}  # fmt: skip
PAGE_TOPICS = {
    DASHBOARD: [("date_range", 4), ("dashboard_new", 3), ("share", 3), ("export_csv", 1),
                ("sso", 1), ("human", 1)],
    BILLING: [("change_plan", 4), ("invoices", 3), ("cancel", 2), ("vat", 2), ("refund", 1),
              ("human", 1)],
    TEAM: [("roles", 4), ("remove", 2), ("seats", 1), ("invite_role", 2), ("sso", 1)],
    API_KEYS: [("key_create", 5), ("key_rotate", 3), ("key_copy", 1)],
    SLACK: [("slack_connect", 4), ("slack_channel", 3), ("human", 1)],
}  # fmt: skip
ACCOUNTS = [  # id, name, tier, mrr, users
    ("acct_acme", "Acme Inc.", "growth", 490.0, 14),
    ("acct_globex", "Globex", "enterprise", 4_200.0, 30),
    ("acct_initech", "Initech", "starter", 49.0, 4),
    ("acct_umbrella", "Umbrella Health", "scale", 1_290.0, 18),
    ("acct_hooli", "Hooli", "enterprise", 9_800.0, 40),
    ("acct_stark", "Stark Analytics", "growth", 390.0, 9),
    ("acct_wonka", "Wonka Foods", "starter", 49.0, 3),
    ("acct_tyrell", "Tyrell Labs", "scale", 1_490.0, 12),
    ("acct_soylent", "Soylent", "growth", 290.0, 6),
    ("acct_cyberdyne", "Cyberdyne", "enterprise", 6_500.0, 25),
    ("acct_vandelay", "Vandelay Imports", "starter", 99.0, 5),
    ("acct_oscorp", "Oscorp", "scale", 990.0, 10),
]
AGENTS = [
    ("ana@lumen.example", "Ana Souza"),
    ("ben@lumen.example", "Ben Okafor"),
    ("chloe@lumen.example", "Chloé Martin"),
]
ROOT_CAUSES = {
    "bug": ["ux_confusion", "product_bug"],
    "billing": ["configuration", "user_error", "docs_gap"],
    "outage": ["third_party", "product_bug"],
    "how_to": ["docs_gap", "user_error", "ux_confusion"],
    "account_access": ["configuration", "docs_gap"],
    "feature_request": ["unknown"],
    "other": ["unknown", "user_error"],
}
# Resolution notes as agents write them; closed handoffs become draft articles from these.
NOTES = {
    "bug": "The button was disabled by a validation error further down the form. Steps:\n"
    "1. Scroll to the field marked in red.\n2. Fix the value (the VAT ID needs its country "
    "prefix).\n3. Click Save again.",
    "billing": "Plan changes are prorated to the day. Steps:\n1. Open Settings → Billing.\n"
    "2. Click Change plan and pick the new plan.\n3. Confirm; the invoice shows the credit.",
    "outage": "Invites failed while the email provider was down; it is back. Steps:\n"
    "1. Open Settings → Team.\n2. Click Resend next to each pending invite.",
    "how_to": "Steps:\n1. Open the page from the left menu.\n2. Use the button at the top "
    "right.\n3. Save, and the change applies for the whole workspace.",
    "account_access": "SAML SSO is on the Enterprise plan. Steps:\n1. Ask the workspace owner "
    "to open Settings → Security.\n2. Add the identity provider's metadata URL.",
    "feature_request": "No export to CSV yet; logged the request. Workaround: copy the "
    "chart's table view into a spreadsheet.",
    "other": "Talked it through with the user and pointed them to the right article.",
}
CORRECTIONS = {  # topic -> what the agent says the right answer was, for flagged answers
    "card_save": "Save stays disabled while the VAT ID is invalid: fix the VAT ID first.",
    "invite_fail": "Invites were failing because of an email-provider outage, not a setting.",
    "refund": "Refunds after cancelling go through support; the invoices page cannot do it.",
}
DRAFTS = 4  # drafts made from the latest resolved handoffs
FLAGS = 3  # flagged answers among the latest thumbed-down ones
RESOLUTIONS = ["explained_steps", "fixed_settings", "bug_report_filed", "refund_issued",
               "workaround_given", "linked_article"]  # fmt: skip
TABLES = (
    m.Session, m.PageView, m.Event, m.SignalRow, m.Nudge, m.Question, m.Answer, m.Feedback,
    m.HandoffRow, m.Message, m.Csat,
)  # fmt: skip


@dataclass
class SeedReport:
    skipped: bool = False
    sessions: int = 0
    page_views: int = 0
    events: int = 0
    signals: int = 0
    nudges: int = 0
    questions: int = 0
    answers: int = 0
    feedback: int = 0
    csat: int = 0
    handoffs: int = 0
    messages: int = 0
    agents: int = 0
    drafts: int = 0
    flags: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        if self.skipped:
            return "the database already has sessions; nothing seeded (use --force to add more)"
        return (
            f"seeded {self.sessions} sessions, {self.page_views} page views, {self.events} "
            f"events, {self.signals} signals, {self.nudges} nudges, {self.questions} questions, "
            f"{self.feedback} ratings, {self.csat} CSAT, {self.handoffs} handoffs, "
            f"{self.drafts} drafts, {self.flags} flagged answers in {self.seconds:.1f}s"
        )


@dataclass
class Batch:
    rows: dict[type, list[dict[str, Any]]] = field(default_factory=lambda: {t: [] for t in TABLES})

    def add(self, table: type, **row: Any) -> None:
        self.rows[table].append(row)


class Ids:
    """Integer ids handed out here, so rows can point at each other before any insert."""

    def __init__(self, start: dict[type, int]) -> None:
        self.next = dict(start)

    def __call__(self, table: type) -> int:
        self.next[table] += 1
        return self.next[table]


@functools.lru_cache(maxsize=256)
def _prepared(weighted: tuple[tuple[Any, float], ...]) -> tuple[tuple[Any, ...], list[float]]:
    items, weights = zip(*weighted, strict=True)
    return items, list(itertools.accumulate(weights))


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    items, cumulative = _prepared(tuple(weighted))
    return items[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def _hex(rng: random.Random, n: int = 16) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


class Generator:
    def __init__(
        self,
        rng: random.Random,
        now: datetime,
        days: int,
        ids: Ids,
        agent_ids: list[int],
        base_url: str = ORIGIN,
    ) -> None:
        self.rng = rng
        self.base_url = base_url.rstrip("/")
        # closed handoffs with a resolution note (id, agent), and thumbed-down answers (id,
        # topic): the inbox's Learning area gets a few drafts and flags from these
        self.resolved: list[tuple[str, int | None]] = []
        self.thumbed_down: list[tuple[str, str]] = []
        self.now = now
        self.days = days
        self.ids = ids
        self.agent_ids = agent_ids
        self.outage_from = now - timedelta(days=min(6, max(1, days // 4)))
        self.users = [
            (acct, name, tier, mrr, f"user_{acct[5:]}_{i}")
            for acct, name, tier, mrr, count in ACCOUNTS
            for i in range(1, count + 1)
        ]

    def help(self, slug: str) -> str:
        """An article's address as the server writes it into answers: absolute, so a link
        still works in an email or a Slack message."""
        return f"{self.base_url}/help/{slug}"

    def start_time(self) -> datetime:
        """Weekdays busier than weekends, working hours busier than nights, slow growth."""
        rng = self.rng
        while True:
            back = rng.random() ** 0.85 * self.days  # a little more traffic recently
            when = self.now - timedelta(days=back)
            hour = when.hour + when.minute / 60
            day_weight = 0.45 if when.weekday() >= 5 else 1.0
            hour_weight = 0.25 + math.exp(-(((hour - 14.5) / 4.0) ** 2))
            if rng.random() < day_weight * hour_weight / 1.25:
                return when

    def session(self, batch: Batch) -> None:
        rng = self.rng
        sid = _hex(rng, 32)
        started = self.start_time()
        identity, account = None, None
        if rng.random() < 0.62:
            acct, acct_name, tier, mrr, user = rng.choice(self.users)
            identity = {
                "user_id": user,
                "email": f"{user}@{acct[5:]}.example",
                "name": user.replace("_", " ").title(),
                "account": {"id": acct, "name": acct_name, "tier": tier, "mrr": mrr},
                "attributes": {},
            }
            account = (acct, tier)
        t = started
        views: list[tuple[int, str, datetime]] = []
        page = None
        for _ in range(max(1, min(8, int(rng.expovariate(1 / 2.6)) + 1))):
            page = _pick(rng, NEXT_PAGE[page])
            views.append((self.ids(m.PageView), page, t))
            t += timedelta(seconds=rng.uniform(15, 240))
        last = t
        batch.add(
            m.Session, id=sid, site_key=SITE_KEY, created_at=started, last_seen_at=last,
            user_agent=USER_AGENT, origin=ORIGIN, identity=identity,
            account_id=account[0] if account else None,
        )  # fmt: skip
        escalated = False
        for index, (pv_id, path, at) in enumerate(views):
            end = views[index + 1][2] if index + 1 < len(views) else last
            escalated = self.visit(batch, sid, pv_id, path, at, end, account, escalated)

    def visit(
        self,
        batch: Batch,
        sid: str,
        pv_id: int,
        path: str,
        at: datetime,
        end: datetime,
        account: tuple[str, str] | None,
        escalated: bool,
    ) -> bool:
        rng = self.rng
        batch.add(
            m.PageView, id=pv_id, session_id=sid, url=f"{ORIGIN}{path}", path=path, route=None,
            template=TEMPLATES[path], title=TITLES[path], headings=[TITLES[path].split(" · ")[0]],
            form_errors=[], meta={}, at=at,
        )  # fmt: skip
        span = max(5.0, (end - at).total_seconds() - 2)
        client0 = int(at.timestamp() * 1000)

        def event(kind: str, offset: float, **extra: Any) -> None:
            when = at + timedelta(seconds=offset)
            batch.add(
                m.Event, session_id=sid, page_view_id=pv_id, kind=kind,
                client_t=client0 + int(offset * 1000), target=extra.get("target"),
                x=extra.get("x"), y=extra.get("y"), data=extra.get("data", {}), at=when,
            )  # fmt: skip

        # ordinary use
        for _ in range(rng.randint(2, 8)):
            selector, label = rng.choice(BUTTONS[path])
            effect = _pick(rng, [("dom", 6), ("request", 2), ("navigation", 1), ("none", 1)])
            event("click", rng.uniform(0, span),
                  target={"selector": selector, "text": label, "role": "button"},
                  x=round(rng.uniform(40, 1200), 1), y=round(rng.uniform(60, 900), 1),
                  data={"effect": effect})  # fmt: skip
        if rng.random() < 0.5:
            event("scroll", rng.uniform(0, span), data={"y": rng.randint(100, 2400)})
        if rng.random() < 0.3:
            event("input", rng.uniform(0, span), target={"selector": "input", "text": ""})

        # getting stuck
        stuck: Friction | None = None
        candidates = [f for f in FRICTIONS if f.page == path]
        if path == TEAM and at >= self.outage_from:
            candidates.append(OUTAGE)
        for friction in candidates:
            if rng.random() < friction.chance:
                stuck = friction
                break
        signal_id = None
        if stuck is not None:
            offset = rng.uniform(0, span * 0.6)
            selector, label = stuck.target
            for _ in range(rng.randint(3, 6)):
                offset += rng.uniform(0.2, 0.9)
                target = {"selector": selector, "text": label, "role": "button"}
                event("click", offset, target=target, data={"effect": "none"})
            for error in stuck.errors:
                for _ in range(rng.randint(1, 3)):
                    offset += rng.uniform(0.5, 3)
                    event(error["kind"], offset, data=dict(error["data"]))
            kinds = _pick_kinds(rng, stuck.signals)
            for kind in kinds:
                signal_id = self.ids(m.SignalRow)
                batch.add(
                    m.SignalRow, id=signal_id, session_id=sid, page_view_id=pv_id, kind=kind,
                    score=round(rng.uniform(0.55, 0.98), 2), target=selector, target_text=label,
                    path=path, reason=f"{kind.replace('_', ' ')} on “{label}”",
                    evidence=[], verdict=_pick(rng, [("nudge", 6), ("cooldown", 2),
                                                     ("budget", 1)]),
                    at=at + timedelta(seconds=offset + 0.5),
                )  # fmt: skip
            if rng.random() < 0.6:
                opened = _pick(rng, [("opened", 35), ("dismissed", 40), ("shown", 25)])
                asked = opened == "opened" and rng.random() < 0.4
                shown = at + timedelta(seconds=offset + 1)
                slug = TOPICS[stuck.topic][0] or "getting-started"
                batch.add(
                    m.Nudge, id=_hex(rng), session_id=sid, signal_id=signal_id, kind=kinds[0],
                    path=path, text=f"Stuck on “{label}”? {ARTICLES.get(slug, 'Help')} may help.",
                    sources=[{"title": ARTICLES.get(slug, slug), "url": self.help(slug)}],
                    specific=True, outcome=opened, asked=asked,
                    succeeded=opened == "opened" and rng.random() < 0.55,
                    latency_ms=round(rng.uniform(40, 400), 1), sent_at=shown, shown_at=shown,
                    outcome_at=None if opened == "shown" else shown + timedelta(
                        seconds=rng.uniform(1, 20)),
                )  # fmt: skip
        # asking
        ask_chance = 0.55 if stuck else 0.09
        if rng.random() < ask_chance:
            topic = stuck.topic if stuck and rng.random() < 0.75 else _pick(rng, PAGE_TOPICS[path])
            escalated = self.conversation(batch, sid, pv_id, path, at, span, topic, account,
                                          escalated, stuck is not None)  # fmt: skip
        return escalated

    def conversation(
        self,
        batch: Batch,
        sid: str,
        pv_id: int,
        path: str,
        at: datetime,
        span: float,
        topic: str,
        account: tuple[str, str] | None,
        escalated: bool,
        struggling: bool,
    ) -> bool:
        rng = self.rng
        slug, issue, phrasings = TOPICS[topic]
        asked_at = at + timedelta(seconds=rng.uniform(span * 0.3, span * 0.9))
        if topic == "human":
            # As live: asking for a person is not answered, it is handed over (or, with a
            # person already on it, goes to them).
            batch.add(m.Question, id=self.ids(m.Question), session_id=sid,
                      client_id=_hex(rng, 12), page_view_id=pv_id, text=rng.choice(phrasings),
                      at=asked_at)  # fmt: skip
            if not escalated:
                trigger = {"kind": "asked_for_human", "score": 0.95, "source": "rule",
                           "reason": "the user asked for a person"}  # fmt: skip
                self.handoff(batch, sid, path, asked_at, [trigger], issue)
            return True
        triggers: list[dict[str, Any]] = []
        last_answer_end = asked_at
        for turn in range(1 if rng.random() < 0.8 else 2):
            q_id = self.ids(m.Question)
            q_at = asked_at + timedelta(seconds=turn * rng.uniform(20, 90))
            batch.add(m.Question, id=q_id, session_id=sid, client_id=_hex(rng, 12),
                      page_view_id=pv_id, text=rng.choice(phrasings), at=q_at)  # fmt: skip
            declined = slug is None or rng.random() < 0.05
            status = "declined" if declined else ("fallback" if rng.random() < 0.03 else
                                                  "complete")  # fmt: skip
            first_ms = round(rng.lognormvariate(math.log(380), 0.35), 1)
            total_ms = round(first_ms + rng.uniform(400, 2600), 1)
            a_id = _hex(rng, 32)
            a_at = q_at + timedelta(milliseconds=20)
            sources = [] if declined else [
                {"title": ARTICLES[slug], "url": self.help(slug)},
                *([{"title": ARTICLES["getting-started"], "url": self.help("getting-started")}]
                  if rng.random() < 0.3 else []),
            ]  # fmt: skip
            confidence = round(rng.uniform(0.08, 0.3) if declined else rng.uniform(0.45, 0.93), 3)
            batch.add(
                m.Answer, id=a_id, question_id=q_id, session_id=sid,
                text="I couldn't find this in the help articles." if declined else
                f"From “{ARTICLES[slug]}”: follow the steps in the article.",
                sources=sources, confidence=confidence,
                composer="decline" if declined else "extractive", status=status,
                prompt_tokens=0, completion_tokens=0, cost_usd=0.0,
                first_token_ms=first_ms, total_ms=total_ms, at=a_at,
            )  # fmt: skip
            last_answer_end = a_at + timedelta(milliseconds=total_ms)
            if declined:
                triggers.append({"kind": "low_confidence", "score": round(1 - confidence, 2),
                                 "reason": "the answer's confidence was low",
                                 "source": "conversation"})  # fmt: skip
            if not declined and rng.random() < (0.45 if struggling else 0.22):
                down = rng.random() < (0.38 if struggling or topic == "invite_fail" else 0.12)
                batch.add(m.Feedback, session_id=sid, answer_id=a_id,
                          rating="down" if down else "up",
                          comment="didn't help" if down and rng.random() < 0.3 else None,
                          at=last_answer_end + timedelta(seconds=rng.uniform(2, 30)))  # fmt: skip
                if down:
                    self.thumbed_down.append((a_id, topic))
                    triggers.append({"kind": "thumbs_down", "score": 0.8,
                                     "reason": "the user rated an answer down",
                                     "source": "conversation"})  # fmt: skip
        if topic in ("refund", "cancel") and rng.random() < 0.5:
            triggers.append({"kind": "billing_dispute" if topic == "refund" else "churn_risk",
                             "score": 0.8, "source": "classifier",
                             "reason": "reads like a billing dispute" if topic == "refund"
                             else "reads like a churn risk"})  # fmt: skip
        if topic == "invite_fail":
            triggers.append({"kind": "outage", "score": 0.75, "source": "classifier",
                             "reason": "reads like an outage"})  # fmt: skip
        if account and account[1] == "enterprise" and (triggers or rng.random() < 0.1):
            triggers.append({"kind": "enterprise_account", "score": 1.0, "source": "account",
                             "reason": "an enterprise account"})  # fmt: skip
        chance = 0.0 if not triggers else 0.35 + 0.2 * len(triggers)
        if escalated or rng.random() >= min(chance, 0.9):
            if rng.random() < (0.05 if struggling else 0.07):
                self.csat(batch, sid, last_answer_end, good=not struggling)
            return escalated
        self.handoff(batch, sid, path, last_answer_end, triggers, issue)
        return True

    def handoff(
        self,
        batch: Batch,
        sid: str,
        path: str,
        after: datetime,
        triggers: list[dict[str, Any]],
        issue: str,
        again: bool = False,
    ) -> None:
        rng = self.rng
        created = after + timedelta(seconds=rng.uniform(1, 20))
        age = (self.now - created).total_seconds()
        h_id = _hex(rng)
        status = _pick(rng, [("closed", 74), ("returned", 14), ("assigned", 6), ("queued", 6)])
        if age > 86_400 and status in ("assigned", "queued"):
            status = "closed"  # old handoffs are not left open
        agent = rng.choice(self.agent_ids) if self.agent_ids and status != "queued" else None
        claimed = created + timedelta(seconds=rng.lognormvariate(math.log(240), 0.8))
        first = claimed + timedelta(seconds=rng.lognormvariate(math.log(50), 0.6))
        closed = first + timedelta(seconds=rng.lognormvariate(math.log(900), 0.7))
        if status == "queued" or claimed > self.now:
            status, claimed, first, closed = "queued", None, None, None
        elif status == "assigned" or closed > self.now:
            status, closed = "assigned", None
        if first is not None and first > self.now:
            first = None
        tags: dict[str, str] = {}
        if status == "closed":
            tags = {
                "issue_type": issue if rng.random() < 0.85 else rng.choice(
                    ["how_to", "bug", "billing", "other"]),
                "root_cause": rng.choice(ROOT_CAUSES.get(issue, ["unknown"])),
                "resolution_path": rng.choice(RESOLUTIONS),
            }  # fmt: skip
        batch.add(
            m.HandoffRow, id=h_id, session_id=sid, site_key=SITE_KEY, status=status,
            triggers=triggers, reason="; ".join(t["reason"] for t in triggers)[:1000],
            packet={"summary": f"User on {path} needs help"},
            agent_id=agent if status != "queued" else None, path=path, template=TEMPLATES[path],
            created_at=created, claimed_at=claimed,
            first_response_at=first if status != "returned" or rng.random() < 0.5 else None,
            closed_at=closed if status == "closed" else None,
            resolution_note=NOTES.get(issue, NOTES["other"]) if status == "closed" else "",
            tags=tags,
        )  # fmt: skip
        if status == "closed":
            self.resolved.append((h_id, agent))
        batch.add(m.Message, session_id=sid, handoff_id=h_id, role="user", author="",
                  text="Can someone help me with this?", at=created)  # fmt: skip
        if first is not None:
            name = dict(zip(self.agent_ids, [n for _, n in AGENTS], strict=False)).get(
                agent or -1, "Agent"
            )
            batch.add(m.Message, session_id=sid, handoff_id=h_id, role="agent", author=name,
                      text="Hi! I can see what happened on the page. Let's fix it.",
                      at=first)  # fmt: skip
        if status == "closed" and closed is not None and rng.random() < 0.6:
            self.csat(batch, sid, closed, good=rng.random() < 0.8)
        ended = closed if status == "closed" else first if status == "returned" else None
        if not again and ended is not None and rng.random() < 0.12:
            # The fix did not hold: the user needs a person again in the same session, which
            # is what the people's escalation rate (and first-contact resolution) count.
            reopen = ended + timedelta(seconds=rng.uniform(60, 1_800))
            if reopen < self.now:
                trigger = {"kind": "asked_for_human", "score": 0.95, "source": "rule",
                           "reason": "the user needed a person again"}  # fmt: skip
                self.handoff(batch, sid, path, reopen, [trigger], issue, again=True)

    def csat(self, batch: Batch, sid: str, after: datetime, good: bool) -> None:
        rng = self.rng
        score = _pick(rng, [(5, 6), (4, 3), (3, 1)]) if good else _pick(
            rng, [(1, 3), (2, 3), (3, 2), (4, 1)])  # fmt: skip
        when = after + timedelta(seconds=rng.uniform(5, 60))
        if when <= self.now:
            batch.add(m.Csat, session_id=sid, score=score, comment=None, at=when)


def _pick_kinds(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> list[str]:
    first = _pick(rng, list(weighted))
    kinds = [first]
    if rng.random() < 0.35:
        second = _pick(rng, list(weighted))
        if second != first:
            kinds.append(second)
    return kinds


def generate(
    sessions: int,
    days: int,
    seed: int,
    now: datetime,
    ids: Ids,
    agent_ids: list[int],
    base_url: str = ORIGIN,
    generator: list[Generator] | None = None,
) -> Iterator[Batch]:
    """Batches of rows, `BATCH_SESSIONS` sessions each. Pure apart from the ids handed out;
    `generator`, when given, receives the generator (for what it noted along the way)."""
    rng = random.Random(seed)
    gen = Generator(rng, now, days, ids, agent_ids, base_url)
    if generator is not None:
        generator.append(gen)
    done = 0
    while done < sessions:
        batch = Batch()
        for _ in range(min(BATCH_SESSIONS, sessions - done)):
            gen.session(batch)
        done += min(BATCH_SESSIONS, sessions - done)
        yield batch


async def _max_ids(db: Database) -> dict[type, int]:
    out = {}
    async with db.session() as s:
        for table in (m.PageView, m.SignalRow, m.Question):
            out[table] = int(await s.scalar(select(func.coalesce(func.max(table.id), 0))) or 0)
    return out


async def _agents(db: Database) -> list[int]:
    async with db.session() as s, s.begin():
        existing = {e for (e,) in await s.execute(select(m.Agent.email))}
        for email, name in AGENTS:
            if email not in existing:
                s.add(m.Agent(email=email, name=name, password_hash=AGENT_HASH))
        await s.flush()
        rows = await s.execute(
            select(m.Agent.id).where(m.Agent.email.in_([e for e, _ in AGENTS])).order_by(
                m.Agent.email)
        )  # fmt: skip
        return [i for (i,) in rows]


async def _fix_sequences(db: Database) -> None:
    """PostgreSQL serial sequences do not move when ids are given explicitly."""
    if db.is_sqlite:
        return
    async with db.engine.begin() as conn:
        for table in ("page_views", "signals", "questions"):
            await conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            )


async def _learning(db: Database, gen: Generator, report: SeedReport, now: datetime) -> None:
    """A few drafts from the latest resolution notes (made as the server makes them when a
    handoff closes) and a few flagged answers, so the inbox's Learning area has work."""
    from ..insights.drafts import draft_from_handoff

    for handoff_id, agent in gen.resolved[-DRAFTS:]:
        await draft_from_handoff(db, handoff_id, agent)
        report.drafts += 1
    flagged = [(a, t) for a, t in gen.thumbed_down if t in CORRECTIONS][-FLAGS:]
    if flagged:
        agent = gen.agent_ids[0] if gen.agent_ids else None
        async with db.session() as s, s.begin():
            for answer_id, topic in flagged:
                s.add(m.AnswerFlag(answer_id=answer_id, agent_id=agent, status="open",
                                   correction=CORRECTIONS[topic], created_at=now))  # fmt: skip
        report.flags += len(flagged)


async def write(db: Database, batch: Batch, report: SeedReport) -> None:
    async with db.engine.begin() as conn:
        for table in TABLES:
            rows = batch.rows[table]
            if rows:
                await conn.execute(insert(table.__table__), rows)
    r = batch.rows
    report.sessions += len(r[m.Session])
    report.page_views += len(r[m.PageView])
    report.events += len(r[m.Event])
    report.signals += len(r[m.SignalRow])
    report.nudges += len(r[m.Nudge])
    report.questions += len(r[m.Question])
    report.answers += len(r[m.Answer])
    report.feedback += len(r[m.Feedback])
    report.csat += len(r[m.Csat])
    report.handoffs += len(r[m.HandoffRow])
    report.messages += len(r[m.Message])


async def seed(
    db: Database,
    sessions: int = 3000,
    days: int = 56,
    seed: int = 7,
    *,
    force: bool = False,
    now: datetime | None = None,
    base_url: str = ORIGIN,
) -> SeedReport:
    """Write a generated Lumen history into a migrated database; see the module docstring."""
    if sessions < 0 or days < 1:
        raise ValueError("sessions must be ≥ 0 and days ≥ 1")
    started = time.perf_counter()
    async with db.session() as s:
        existing = int(await s.scalar(select(func.count()).select_from(m.Session)) or 0)
    if existing >= SKIP_IF_SESSIONS and not force:
        return SeedReport(skipped=True)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    report = SeedReport()
    agent_ids = await _agents(db)
    report.agents = len(agent_ids)
    ids = Ids(await _max_ids(db))
    # a forced second run must not repeat the first one's ids
    run_seed = seed if existing == 0 else seed * 1_000_003 + existing
    made: list[Generator] = []
    for batch in generate(sessions, days, run_seed, now, ids, agent_ids, base_url, made):
        await write(db, batch, report)
    await _fix_sequences(db)
    if made:
        await _learning(db, made[0], report, now)
    report.seconds = time.perf_counter() - started
    return report
