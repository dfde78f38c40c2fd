"""Generate tests/data/struggle_corpus.jsonl, the labelled corpus for the struggle detectors.

    python tests/data/make_struggle_corpus.py          # rewrites the corpus
    python tests/data/make_struggle_corpus.py --check  # exits 1 if the file is stale

Deterministic: every case draws from its own `random.Random(f"{SEED}:{scenario}:{n}")`, so
adding a scenario does not change the others. Labels say what the user is going through, as a
support person watching the replay would put it, following the signal definitions in
docs/struggle.md; they are written here, never computed by the detectors. Cases tagged
`hard` are ones a reasonable detector can get wrong (some of ours do; docs/struggle.md lists
them). Hand-written cases live in `struggle_corpus/hand_cases.json` (times relative to the
start of each case).
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
OUT = HERE / "struggle_corpus.jsonl"
HAND = HERE / "struggle_corpus" / "hand_cases.json"
SEED = 20_250_611
T0 = 1_760_000_000_000

RAGE, DEAD, ERROR, NAV, HESIT, EXPLICIT = (
    "rage_click",
    "dead_click",
    "error_loop",
    "navigation_loop",
    "hesitation",
    "explicit",
)


@dataclass(frozen=True)
class Tgt:
    selector: str
    text: str
    role: str
    x: float
    y: float
    w: float = 100
    h: float = 32


@dataclass
class Seq:
    """A session being written: a clock and its events."""

    rng: random.Random
    path: str
    t: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.t = T0 + self.rng.randrange(0, 50_000_000)

    def wait(self, ms: float) -> None:
        self.t += max(1, int(ms))

    def gap(self, lo: float, hi: float) -> None:
        self.wait(self.rng.uniform(lo, hi))

    def human_gap(self, median: float, lo: float, hi: float) -> None:
        """Inter-click times of a fast clicker are roughly log-normal."""
        value = self.rng.lognormvariate(0, 0.35) * median
        self.wait(min(hi, max(lo, value)))

    def add(
        self,
        kind: str,
        target: Tgt | None = None,
        x: float | None = None,
        y: float | None = None,
        **data: Any,
    ) -> None:
        ev: dict[str, Any] = {"kind": kind, "t": self.t}
        if target is not None:
            ev["target"] = {"selector": target.selector, "text": target.text, "role": target.role}
        if x is not None and y is not None:
            ev["x"], ev["y"] = round(x, 1), round(y, 1)
        if data:
            ev["data"] = data
        self.events.append(ev)

    def click(self, target: Tgt, effect: str, jitter: float = 6, **data: Any) -> None:
        x = target.x + target.w / 2 + self.rng.gauss(0, jitter)
        y = target.y + target.h / 2 + self.rng.gauss(0, jitter / 2)
        self.add("click", target, x, y, effect=effect, **data)

    def click_at(self, target: Tgt, x: float, y: float, effect: str, **data: Any) -> None:
        self.add("click", target, x, y, effect=effect, **data)

    def nav(self, to: str, via: str | None = None) -> None:
        data = {"from": self.path, "to": to}
        if via:
            data["via"] = via
        self.add("navigate", **data)
        self.path = to.split("?")[0].split("#")[0] or self.path

    def type_into(self, field_sel: str, chars: int) -> None:
        box = Tgt(field_sel, "", "textbox", 300, 300, 280, 36)
        for _ in range(chars):
            self.human_gap(160, 60, 600)
            self.add("input", box)

    def scroll(self, times: int, lo: float = 600, hi: float = 4_000) -> None:
        for _ in range(times):
            self.gap(lo, hi)
            self.add("scroll", y=float(self.rng.randrange(0, 3_000)))


# ---------------------------------------------------------------- targets and pages

SUBMITS = [
    Tgt("#save-settings", "Save changes", "button", 820, 610, 130, 36),
    Tgt("form#checkout button[type=submit]", "Place order", "button", 900, 700, 160, 44),
    Tgt("button.btn-primary.continue", "Continue", "button", 640, 520, 120, 40),
    Tgt("#invite-send", "Send invite", "button", 700, 410, 110, 36),
    Tgt("#export-csv", "Export CSV", "button", 1040, 180, 110, 32),
    Tgt("#apply-coupon", "Apply", "button", 760, 455, 80, 32),
    Tgt("a.js-connect-bank", "Connect bank", "link", 300, 380, 140, 24),
    Tgt("#generate-report", "Generate report", "button", 980, 240, 150, 36),
]
PAGES = [
    "/settings/billing",
    "/checkout",
    "/onboarding/profile",
    "/team/invite",
    "/reports/monthly",
    "/projects/42/settings",
    "/integrations/bank",
    "/account/security",
]
FIELDS = [
    ("email", "Please enter a valid email address."),
    ("card_number", "Your card number is incomplete."),
    ("vat_id", "VAT number is not valid for the selected country."),
    ("password", "Password must be at least 12 characters."),
    ("phone", "Enter a phone number in international format, e.g. +44 20 7946 0958."),
    ("postcode", "Postcode doesn't match the billing country."),
    ("domain", "That domain is already connected to another workspace."),
]
BENIGN = [
    Tgt("nav a.tab-overview", "Overview", "tab", 200, 120, 90, 30),
    Tgt("nav a.tab-usage", "Usage", "tab", 300, 120, 70, 30),
    Tgt("button.toggle-details", "Show details", "button", 420, 640, 110, 28),
    Tgt("details.faq summary", "How is VAT calculated?", "button", 180, 900, 300, 28),
    Tgt("button.sort-by-date", "Date", "button", 610, 260, 60, 24),
]


def prelude(seq: Seq, lo: int = 0, hi: int = 4) -> None:
    """Ordinary use of the page before the scenario: reading, a tab, a field."""
    for _ in range(seq.rng.randint(lo, hi)):
        seq.gap(1_500, 7_000)
        choice = seq.rng.random()
        if choice < 0.4:
            seq.scroll(seq.rng.randint(1, 3))
        elif choice < 0.75:
            seq.click(seq.rng.choice(BENIGN), "dom")
        else:
            seq.type_into("input#name", seq.rng.randint(3, 12))
    seq.gap(1_500, 5_000)


def tail(seq: Seq) -> int:
    """`now_ms` shortly after the last event: no idle time to speak of."""
    return seq.t + seq.rng.randint(300, 4_000)


Case = dict[str, Any]
Scenario = Callable[[random.Random], Case]


def case(
    seq: Seq,
    description: str,
    expected: list[str],
    now: int | None = None,
    form_errors: list[str] | None = None,
    since: int | None = None,
    tags: list[str] | None = None,
) -> Case:
    page: dict[str, Any] = {"path": seq.path, "form_errors": form_errors or []}
    if since is not None:
        page["since_ms"] = since
    return {
        "description": description,
        "page": page,
        "events": seq.events,
        "now_ms": now if now is not None else tail(seq),
        "expected": expected,
        "tags": tags or [],
    }


# ---------------------------------------------------------------- rage clicks


def rage_stuck_button(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    btn = rng.choice(SUBMITS)
    first = rng.choice(["request", "request", "dom", "none"])
    n = rng.randint(3, 7)
    seq.click(btn, first)
    for _ in range(n - 1):
        seq.human_gap(230, 90, 800)
        seq.click(btn, "none", jitter=rng.uniform(3, 12))
    dead = n - 1 + (first == "none") >= 2
    return case(
        seq,
        f"Clicks {btn.text!r} {n} times fast; after the first click nothing "
        f"visible happens (first effect {first}, button ignores clicks while pending)",
        [RAGE, DEAD] if dead else [RAGE],
    )


def rage_each_click_requests(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    btn = rng.choice(SUBMITS)
    n = rng.randint(3, 6)
    for i in range(n):
        if i:
            seq.human_gap(260, 100, 850)
        seq.click(btn, "request", jitter=8)
    return case(
        seq,
        f"Hammers {btn.text!r} {n} times: each click fires another request, the "
        "page shows nothing (slow backend, no spinner)",
        [RAGE],
    )


def rage_fake_affordance(rng: random.Random) -> Case:
    seq = Seq(rng, "/pricing")
    prelude(seq, 1, 3)
    card = Tgt(
        "div.plan-card.plan-pro",
        rng.choice(["Pro", "Pro plan", "$49 / month"]),
        "",
        380,
        300,
        260,
        320,
    )
    n = rng.randint(3, 6)
    spot_x, spot_y = card.x + rng.uniform(40, 200), card.y + rng.uniform(40, 260)
    for i in range(n):
        if i:
            seq.human_gap(250, 100, 800)
        seq.click_at(card, spot_x + rng.gauss(0, 5), spot_y + rng.gauss(0, 4), "none")
    return case(
        seq,
        f"Rapidly clicks the {card.text!r} plan card {n} times expecting it to "
        "select the plan; the card is static text (not interactive-looking)",
        [RAGE],
        tags=["posthog-like-wins"],
    )


def rage_icon_and_label(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    base_x, base_y = rng.uniform(300, 900), rng.uniform(200, 700)
    parts = [
        Tgt("button#sync svg.icon", "", "", base_x, base_y, 16, 16),
        Tgt("button#sync span.label", "Sync now", "", base_x + 18, base_y, 60, 16),
        Tgt("button#sync", "Sync now", "button", base_x - 6, base_y - 8, 96, 32),
    ]
    n = rng.randint(3, 5)
    for i in range(n):
        if i:
            seq.human_gap(240, 100, 700)
        part = parts[i % 3] if rng.random() < 0.7 else rng.choice(parts)
        seq.click_at(part, base_x + 10 + rng.gauss(0, 6), base_y + 8 + rng.gauss(0, 4), "none")
    clicks = [e for e in seq.events if e["kind"] == "click" and "sync" in e["target"]["selector"]]
    button_clicks = sum(1 for e in clicks if e["target"]["selector"] == "button#sync")
    expected = [RAGE, DEAD] if button_clicks >= 2 else [RAGE]
    return case(
        seq,
        f"Clicks a broken 'Sync now' button {n} times fast, hitting its icon, "
        "its label and the button itself (different targets, one spot)",
        expected,
        tags=["posthog-like-wins"],
    )


def rage_rerendered(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    n = rng.randint(3, 5)
    x, y = rng.uniform(400, 1000), rng.uniform(300, 700)
    for i in range(n):
        if i:
            seq.human_gap(260, 100, 800)
        btn = Tgt(
            f"div.css-{rng.randrange(16**5):05x} > button", "Retry payment", "button", x, y, 140, 36
        )
        seq.click(btn, "none", jitter=5)
    return case(
        seq,
        f"Clicks 'Retry payment' {n} times; the app re-renders the button each "
        "time with new generated class names; nothing happens",
        [RAGE, DEAD],
    )


def rage_link(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    link = Tgt("main a.download-invoice", "Download invoice", "link", 500, 480, 140, 20)
    n = rng.randint(3, 6)
    for i in range(n):
        if i:
            seq.human_gap(280, 100, 900)
        seq.click(link, "none", jitter=5)
    return case(
        seq,
        f"Clicks a JavaScript 'Download invoice' link {n} times; its handler "
        "throws away the click, nothing downloads",
        [RAGE, DEAD],
    )


def rage_wizard_next(rng: random.Random) -> Case:
    seq = Seq(rng, "/onboarding/step-2")
    prelude(seq, 1, 3)
    btn = Tgt(
        "button.wizard-next",
        rng.choice(["Next", "Next step", "Next →"]),
        "button",
        980,
        720,
        110,
        40,
    )
    n = rng.randint(3, 6)
    for i in range(n):
        if i:
            seq.human_gap(250, 100, 800)
        seq.click(btn, "none", jitter=6)
    return case(
        seq,
        f"The wizard's {btn.text!r} button is silently disabled by a hidden "
        f"invalid field; the user clicks it {n} times fast",
        [RAGE, DEAD],
        tags=["posthog-ignorelist-misses"],
    )


def rage_with_scroll_nudge(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    btn = rng.choice(SUBMITS)
    n = rng.randint(4, 7)
    nudge = rng.randrange(1, n)
    for i in range(n):
        if i:
            seq.human_gap(230, 90, 700)
        seq.click(btn, "none", jitter=7, **({"scrolled": True} if i == nudge else {}))
    return case(
        seq,
        f"Clicks a stuck {btn.text!r} {n} times; the trackpad scrolls the page a "
        "little during one click",
        [RAGE, DEAD],
        tags=["datadog-like-misses"],
    )


def rage_slow_dropdown(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    dd = Tgt("button#workspace-switcher", "Acme Inc ▾", "button", 60, 20, 160, 36)
    first = rng.choice(["dom", "none"])
    seq.click(dd, first)
    n = rng.randint(3, 5)
    for _ in range(n - 1):
        seq.human_gap(400, 150, 950)
        seq.click(dd, "none", jitter=10)
    return case(
        seq,
        f"Workspace switcher does not open; {n} quick clicks (first effect {first})",
        [RAGE, DEAD],
    )


def rage_toast_only(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    btn = rng.choice(SUBMITS)
    n = rng.randint(4, 7)
    for i in range(n):
        if i:
            seq.human_gap(240, 90, 700)
        seq.click(btn, "dom", jitter=6)
    return case(
        seq,
        f"Each click on {btn.text!r} flashes a 'Saving…' toast (a DOM change) but "
        f"nothing is ever saved; the user clicks {n} times in anger",
        [RAGE],
        tags=["hard", "ours-misses"],
    )


def rage_ragged_rhythm(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    btn = rng.choice(SUBMITS)
    n = rng.randint(5, 8)
    seq.click(btn, rng.choice(["request", "dom"]))
    for _ in range(n - 1):
        # An angry clicker's rhythm is uneven: bursts, and a pause to look at the button.
        seq.wait(min(1_600, rng.lognormvariate(0, 0.6) * 350))
        seq.click(btn, "none", jitter=10)
    return case(
        seq,
        f"Clicks a stuck {btn.text!r} {n} times in uneven bursts, pausing now and then to look",
        [RAGE, DEAD],
        tags=["hard"],
    )


# ---------------------------------------------------------------- rage look-alikes


def double_click(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(["/files", "/projects", "/inbox"]))
    prelude(seq)
    kind = rng.choice(["row", "button", "word"])
    if kind == "row":
        row = Tgt(
            f"tr.file-row:nth-child({rng.randint(1, 20)})",
            rng.choice(["Q3 report.pdf", "invoice-2291.pdf", "roadmap.key"]),
            "row",
            200,
            300,
            600,
            32,
        )
        seq.click(row, "dom")
        seq.wait(rng.uniform(70, 260))
        seq.click(row, "navigation", jitter=2)
        seq.nav(f"{seq.path}/{rng.randint(100, 999)}")
        desc = "Double-clicks a file row to open it"
    elif kind == "button":
        btn = rng.choice(BENIGN)
        seq.click(btn, "dom")
        seq.wait(rng.uniform(70, 260))
        seq.click(btn, "dom", jitter=2)
        desc = f"Double-clicks {btn.text!r} out of habit; each click toggles it"
    else:
        para = Tgt("article p:nth-child(3)", "", "", 200, 400, 700, 80)
        seq.click(para, "none")
        seq.wait(rng.uniform(70, 260))
        seq.click(para, "none", jitter=2, selection_changed=True)
        desc = "Double-clicks a word in a paragraph to select it"
    return case(seq, desc, [], tags=["lookalike:double_click"])


def checkbox_list(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(["/inbox", "/team/members", "/files"]))
    prelude(seq)
    n = rng.randint(3, 9)
    spacing = rng.uniform(22, 40)
    x0, y0 = rng.uniform(40, 80), rng.uniform(200, 300)
    start = rng.randint(1, 10)
    for i in range(n):
        if i:
            seq.human_gap(380, 150, 900)
        box = Tgt(
            f"tbody tr:nth-child({start + i}) input[type=checkbox]",
            f"Select row {start + i}",
            "checkbox",
            x0,
            y0 + i * spacing,
            16,
            16,
        )
        seq.click(box, "dom", jitter=2)
    return case(
        seq,
        f"Ticks {n} checkboxes down a list, rows {spacing:.0f} px apart",
        [],
        tags=["lookalike:multi_select"],
    )


def game_board(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(["/play", "/fun/reaction-test", "/onboarding/tutorial"]))
    prelude(seq, 0, 2)
    variant = rng.choice(["canvas", "canvas", "dom-board", "clicker"])
    n = rng.randint(8, 25)
    x0, y0 = rng.uniform(200, 500), rng.uniform(150, 300)
    for i in range(n):
        if i:
            seq.human_gap(220, 80, 600)
        if variant == "canvas":
            tgt = Tgt("main canvas#game", "", "", x0, y0, 400, 400)
            seq.click_at(tgt, x0 + rng.uniform(0, 60), y0 + rng.uniform(0, 60), "none")
        elif variant == "dom-board":
            cell = rng.randrange(9)
            tgt = Tgt(
                f"div.board > div.cell:nth-child({cell + 1})",
                "",
                "button",
                x0 + (cell % 3) * 90,
                y0 + (cell // 3) * 90,
                80,
                80,
            )
            seq.click(tgt, "dom", jitter=10)
        else:
            tgt = Tgt("button#cookie", "Click me!", "button", x0, y0, 120, 120)
            seq.click(tgt, "dom", jitter=15)
    what = {
        "canvas": "a canvas game (the widget sees no DOM change on a canvas)",
        "dom-board": "a DOM tic-tac-toe / whack-a-mole board, every click answered",
        "clicker": "a clicker game button whose counter updates on every click",
    }[variant]
    return case(seq, f"{n} rapid clicks in {what}", [], tags=["lookalike:game"])


def carousel(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(["/", "/products/mug", "/gallery", "/changelog"]))
    prelude(seq)
    tgt = rng.choice(
        [
            Tgt("button.carousel-next", "Next", "button", 1100, 400, 40, 40),
            Tgt("button.slick-next", "›", "button", 1120, 380, 36, 36),
            Tgt("button[aria-label='Next slide']", "", "button", 1090, 420, 44, 44),
            Tgt("button.swiper-button-next", "", "", 1100, 410, 44, 44),
            Tgt("nav.pagination a[rel=next]", ">", "link", 700, 900, 30, 30),
        ]
    )
    n = rng.randint(3, 9)
    for i in range(n):
        if i:
            seq.human_gap(450, 150, 950)
        seq.click(tgt, "dom", jitter=4)
    return case(
        seq,
        f"Clicks the carousel's next control ({tgt.selector}) {n} times quickly; "
        "each click shows the next slide",
        [],
        tags=["lookalike:carousel"],
    )


def stepper(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(["/checkout", "/settings/seats"]))
    prelude(seq)
    plus = Tgt("button.qty-increment", "+", "button", 560, 420, 32, 32)
    n = rng.randint(3, 8)
    for i in range(n):
        if i:
            seq.human_gap(260, 100, 700)
        seq.click(plus, "dom", jitter=3)
    return case(
        seq,
        f"Raises a seat count with the '+' stepper, {n} quick clicks, each updates the number",
        [],
        tags=["lookalike:stepper"],
    )


def triple_click_select(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(["/docs/api-keys", "/settings/api"]))
    prelude(seq)
    block = Tgt("pre.api-key", "", "", 300, 420, 500, 24)
    seq.click(block, "none")
    for _ in range(2):
        seq.wait(rng.uniform(80, 220))
        seq.click(block, "none", jitter=2, selection_changed=True)
    return case(
        seq,
        "Triple-clicks an API key to select the whole line before copying",
        [],
        tags=["lookalike:text_selection"],
    )


def caret_clicks(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    box = Tgt("input#company-name", "", "textbox", 300, 300, 280, 36)
    for _ in range(rng.randint(3, 4)):
        seq.human_gap(250, 100, 600)
        seq.click(box, "none", jitter=20)
    seq.type_into("input#company-name", rng.randint(3, 8))
    return case(
        seq,
        "Clicks around inside a text field to place the caret, then types",
        [],
        tags=["lookalike:text_selection"],
    )


def soundboard(rng: random.Random) -> Case:
    seq = Seq(rng, "/tools/metronome")
    prelude(seq, 0, 1)
    pad = Tgt("button.pad-tap-tempo", "Tap", "button", 500, 500, 120, 120)
    n = rng.randint(6, 12)
    for i in range(n):
        if i:
            seq.human_gap(480, 380, 620)
        seq.click(pad, "none", jitter=8)
    return case(
        seq,
        f"Taps a 'tap tempo' pad {n} times in rhythm; it only plays a sound and "
        "updates an off-DOM audio clock, so the widget sees no effect",
        [],
        tags=["lookalike:game", "hard", "ours-fires"],
    )


# ---------------------------------------------------------------- dead clicks


def dead_slow_repeat(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    btn = rng.choice([*SUBMITS, Tgt("button.open-filters", "Filters", "button", 90, 200, 80, 30)])
    n = rng.randint(2, 3)
    for i in range(n):
        if i:
            seq.gap(1_300, 4_500)
            if rng.random() < 0.5:
                seq.scroll(1, 300, 900)
                seq.gap(300, 900)
        seq.click(btn, "none", jitter=8)
    return case(seq, f"Clicks {btn.text!r} {n} times a few seconds apart; nothing happens", [DEAD])


def dead_pointer_div(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    div = Tgt("div.integration-tile.slack", "Slack", "", 260, 340, 200, 120)
    for i in range(rng.randint(2, 3)):
        if i:
            seq.gap(1_000, 5_000)
        seq.click(div, "none", jitter=20, looks_interactive=True)
    return case(
        seq,
        "Clicks a tile styled as clickable (cursor: pointer, hover shadow) again; "
        "it has no handler",
        [DEAD],
    )


def dead_tab(rng: random.Random) -> Case:
    seq = Seq(rng, "/reports/monthly")
    prelude(seq)
    tab = Tgt("div.tabs button[role=tab]:nth-child(3)", "By region", "tab", 420, 160, 100, 32)
    seq.click(tab, "none")
    seq.gap(800, 3_000)
    seq.click(Tgt("div.tabs button[role=tab]:nth-child(2)", "By product", "tab", 310, 160), "dom")
    seq.gap(1_000, 3_000)
    seq.click(tab, "none")
    return case(
        seq,
        "The 'By region' tab never switches; the user tries another tab, which "
        "works, then 'By region' again",
        [DEAD],
    )


def dead_copy_button(rng: random.Random) -> Case:
    seq = Seq(rng, "/settings/api")
    prelude(seq)
    btn = Tgt("button.copy-key", "Copy", "button", 820, 420, 60, 28)
    seq.click(btn, "none")
    seq.gap(700, 2_500)
    seq.click(btn, "none")
    return case(
        seq,
        "Clicks 'Copy' next to an API key twice: no 'Copied' feedback, so the "
        "user cannot tell whether it worked",
        [DEAD],
    )


def dead_among_activity(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    btn = Tgt("button#add-member", "Add member", "button", 980, 200, 130, 36)
    seq.click(btn, "none")
    seq.scroll(rng.randint(1, 2), 500, 1_500)
    seq.gap(500, 1_500)
    seq.click(rng.choice(BENIGN), "dom")
    seq.gap(800, 2_000)
    seq.click(btn, "none")
    if rng.random() < 0.5:
        seq.gap(1_000, 2_500)
        seq.click(btn, "none")
    return case(
        seq,
        "Clicks 'Add member', looks around, clicks something else that works, "
        "then 'Add member' again: still nothing",
        [DEAD],
    )


def dead_different_buttons(rng: random.Random) -> Case:
    seq = Seq(rng, "/editor/doc-17")
    prelude(seq)
    for text, x in (("Bold", 100), ("Italic", 140), ("Underline", 180)):
        seq.gap(600, 1_800)
        seq.click(Tgt(f"div.toolbar button.{text.lower()}", text, "button", x, 60, 32, 32), "none")
    return case(
        seq,
        "A frozen editor toolbar: Bold, Italic and Underline each clicked once, none responds",
        [DEAD],
        tags=["hard", "ours-misses"],
    )


def dead_slow_retry(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    btn = rng.choice(SUBMITS)
    seq.click(btn, "none")
    seq.scroll(rng.randint(2, 4), 2_000, 4_000)
    seq.gap(1_000, 3_000)
    seq.click(btn, "none")
    return case(
        seq,
        f"Clicks {btn.text!r}, nothing; reads the page for a while looking for a "
        "reason, tries again a while later: nothing",
        [DEAD],
        tags=["hard"],
    )


def dead_with_beacon(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    btn = Tgt("button.start-trial", "Start free trial", "button", 900, 300, 150, 40)
    for i in range(rng.randint(2, 3)):
        if i:
            seq.gap(1_200, 4_000)
        seq.click(btn, "request")  # only the analytics beacon; the page does not change
    return case(
        seq,
        "'Start free trial' does nothing visible; each click only sends an "
        "analytics beacon, which the widget reports as a request",
        [DEAD],
        tags=["hard"],
    )


# ---------------------------------------------------------------- dead-click look-alikes


def single_click_plain(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    tgt = rng.choice(
        [
            Tgt("main h1", rng.choice(["Billing", "Team", "Reports"]), "heading", 100, 80, 300, 40),
            Tgt("article p:nth-child(2)", "", "", 100, 300, 700, 60),
            Tgt("main", "", "main", 0, 0, 1200, 900),
            Tgt("img.hero", "", "img", 200, 150, 600, 300),
            Tgt("td.amount", "$1,240.00", "cell", 600, 420, 100, 24),
        ]
    )
    seq.click(tgt, "none", jitter=30)
    seq.gap(1_000, 4_000)
    if rng.random() < 0.5:
        seq.scroll(rng.randint(1, 3))
    return case(
        seq,
        f"One click on plain content ({tgt.selector}) while reading",
        [],
        tags=["lookalike:single_dead_click"],
    )


def repeated_plain_reading(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(["/docs/getting-started", "/blog/launch"]))
    para = Tgt("article p:nth-child(4)", "", "", 100, 400, 700, 90)
    for _ in range(rng.randint(2, 3)):
        seq.gap(3_000, 9_000)
        seq.click(para, "none", jitter=40)
        seq.scroll(1, 2_000, 5_000)
    return case(
        seq,
        "Reading an article, clicks idly on the paragraph now and then (focus "
        "habit); plain text, no pointer cursor",
        [],
        tags=["lookalike:single_dead_click"],
    )


def single_dead_button(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    btn = rng.choice(SUBMITS)
    seq.click(btn, "none")
    seq.gap(1_500, 4_000)
    seq.type_into("input#name", rng.randint(3, 8))
    seq.gap(1_000, 3_000)
    seq.click(rng.choice(BENIGN), "dom")
    return case(
        seq,
        f"One click on {btn.text!r} with no visible effect (handler slow to "
        "paint), then the user carries on",
        [],
        tags=["lookalike:single_dead_click"],
    )


def download_and_new_tab(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(["/reports/monthly", "/settings/billing"]))
    prelude(seq)
    if rng.random() < 0.5:
        link = Tgt("a.invoice-pdf", "Download PDF", "link", 700, 500, 120, 20)
        flags = {"download": True}
        desc = "Downloads two invoices in a row from the same link (browser download bar only)"
    else:
        link = Tgt("a.docs-link", "Open API docs", "link", 300, 700, 120, 20)
        flags = {"opens_new_tab": True}
        desc = "Opens a docs link in a new tab, comes back, opens it again"
    seq.click(link, "none", **flags)
    seq.gap(1_500, 6_000)
    seq.click(link, "none", **flags)
    return case(seq, desc, [], tags=["lookalike:single_dead_click"])


def field_focus_clicks(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    box = Tgt("textarea#notes", "", "textbox", 300, 500, 500, 120)
    seq.click(box, "none")
    seq.type_into("textarea#notes", rng.randint(5, 15))
    seq.gap(2_000, 5_000)
    seq.click(box, "none")
    seq.type_into("textarea#notes", rng.randint(3, 10))
    return case(
        seq,
        "Clicks into a notes field, types, clicks into it again to edit",
        [],
        tags=["lookalike:single_dead_click"],
    )


# ---------------------------------------------------------------- error loops


def error_same_invalid(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq, 0, 2)
    name, message = rng.choice(FIELDS)
    btn = rng.choice(SUBMITS[:6])
    via_submit = rng.random() < 0.4
    n = rng.randint(2, 3)
    for _ in range(n):
        seq.type_into(f"input#{name}", rng.randint(2, 9))
        seq.gap(600, 2_500)
        if via_submit:
            seq.add("submit", Tgt(f"form#{name}-form", "", "form", 0, 0))
        else:
            seq.click(btn, "dom")
        seq.wait(rng.uniform(5, 60))
        seq.add("invalid", message=message, field=name)
        seq.gap(1_500, 6_000)
    return case(
        seq,
        f"Submits {n} times and gets {message!r} on {name} each time, editing the "
        "field in between without getting it right",
        [ERROR],
        form_errors=[message],
    )


def error_same_request(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq, 0, 2)
    method, path, status = rng.choice(
        [
            ("POST", "/api/billing/payment-method", 402),
            ("PUT", "/api/settings", 500),
            ("POST", "/api/invites", 422),
            ("PATCH", "/api/projects/42", 409),
            ("POST", "/api/exports", 503),
            ("DELETE", "/api/tokens/9", 403),
        ]
    )
    btn = rng.choice(SUBMITS)
    n = rng.randint(2, 3)
    for i in range(n):
        if i:
            seq.gap(2_000, 12_000)
        seq.click(btn, rng.choice(["dom", "request"]))
        seq.gap(150, 2_500)
        seq.add("http_error", method=method, path=path, status=status)
    return case(
        seq,
        f"Clicks {btn.text!r} {n} times; {method} {path} fails with {status} every time",
        [ERROR],
    )


def error_same_search(rng: random.Random) -> Case:
    seq = Seq(rng, "/search")
    prelude(seq, 0, 1)
    for q in rng.sample(["invoice 2291", "refund", "vat", "acme", "export"], 2):
        seq.type_into("input#q", len(q))
        seq.gap(300, 1_000)
        seq.add("submit", Tgt("form.search", "", "search", 0, 0))
        seq.gap(100, 800)
        seq.add(
            "http_error",
            method="GET",
            path=f"/api/search?q={q.replace(' ', '+')}",
            status=rng.choice([500, 502, 504]),
        )
        seq.gap(1_500, 5_000)
    return case(
        seq, "Searches twice with different words; the search API fails both times", [ERROR]
    )


def error_retry_button(rng: random.Random) -> Case:
    seq = Seq(rng, "/reports/monthly")
    seq.gap(500, 2_000)
    seq.add("http_error", method="GET", path="/api/reports/monthly", status=503)
    retry = Tgt("button.retry", "Try again", "button", 500, 400, 100, 32)
    for _ in range(rng.randint(2, 3)):
        seq.gap(1_500, 5_000)
        seq.click(retry, "request")
        seq.gap(200, 1_500)
        seq.add("http_error", method="GET", path="/api/reports/monthly", status=503)
    return case(
        seq,
        "The report fails to load; the user presses 'Try again' and it fails the same way again",
        [ERROR],
    )


def error_after_click(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    btn = rng.choice(SUBMITS + BENIGN[:3])
    as_submit = rng.random() < 0.3
    if as_submit:
        seq.add("submit", Tgt("form#main", "", "form", 0, 0))
    else:
        seq.click(btn, rng.choice(["none", "dom"]))
    seq.gap(20, 900)
    seq.add(
        "error",
        message=rng.choice(
            [
                "TypeError: Cannot read properties of undefined (reading 'id')",
                "TypeError: e.map is not a function",
                "ReferenceError: stripe is not defined",
                "Error: Minified React error #185",
                "Unhandled Promise Rejection: Error: Network Error",
            ]
        ),
        source=f"https://app.example.com/assets/index-{rng.randrange(16**8):08x}.js",
    )
    return case(
        seq,
        f"An uncaught exception right after the user's {'submit' if as_submit else 'click'}",
        [ERROR],
    )


def error_after_slow_request(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    seq.click(rng.choice(SUBMITS), "request")
    seq.gap(1_600, 3_000)
    seq.add(
        "error",
        message="TypeError: Cannot read properties of null (reading 'items')",
        source="https://app.example.com/assets/app.js",
    )
    return case(
        seq,
        "Click starts a request; when the response arrives ~2 s later the handler throws",
        [ERROR],
        tags=["hard", "ours-misses"],
    )


def error_enter_resubmit(rng: random.Random) -> Case:
    seq = Seq(rng, "/login")
    name, message = "email", "Please include an '@' in the email address."
    for _ in range(2):
        seq.type_into("input#email", rng.randint(3, 8))
        seq.gap(400, 1_200)
        seq.add("invalid", message=message, field=name)  # Enter pressed: no click, no submit
        seq.gap(1_500, 4_000)
    return case(
        seq,
        "Presses Enter twice to submit a login form and gets the same email "
        "error; the browser blocks the submit, so no click or submit event is seen",
        [ERROR],
        form_errors=[message],
        tags=["hard", "ours-misses"],
    )


def otp_attempts_left(rng: random.Random) -> Case:
    seq = Seq(rng, "/login/verify")
    left = rng.randint(3, 5)
    for _ in range(rng.randint(2, 3)):
        seq.type_into("input#otp", 6)
        seq.gap(400, 1_500)
        seq.click(Tgt("button.verify", "Verify", "button", 600, 500), "dom")
        seq.wait(rng.uniform(150, 600))
        left -= 1
        seq.add("invalid", message=f"Invalid code. You have {left} attempts left.", field="otp")
        seq.gap(2_000, 6_000)
    return case(
        seq,
        "Enters a one-time code that keeps being rejected; the message counts "
        "down the attempts left",
        [ERROR],
        form_errors=[f"Invalid code. You have {left} attempts left."],
        tags=["hard"],
    )


# ---------------------------------------------------------------- error look-alikes


def one_error_then_fix(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq, 0, 2)
    name, message = rng.choice(FIELDS)
    btn = rng.choice(SUBMITS[:6])
    seq.type_into(f"input#{name}", rng.randint(4, 12))
    seq.gap(500, 2_000)
    seq.click(btn, "dom")
    seq.wait(rng.uniform(5, 60))
    seq.add("invalid", message=message, field=name)
    seq.gap(1_000, 4_000)
    seq.type_into(f"input#{name}", rng.randint(2, 8))
    seq.gap(500, 2_000)
    success = rng.random() < 0.5
    seq.click(btn, "navigation" if success else "dom")
    if success:
        seq.wait(rng.uniform(100, 600))
        seq.nav(seq.path + "/done")
    return case(
        seq,
        f"Types, submits, gets {message!r} once, fixes the field, submits successfully",
        [],
        tags=["lookalike:one_validation_error"],
    )


def live_validation(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq, 0, 2)
    name, message = rng.choice(FIELDS[:5])
    box = Tgt(f"input#{name}", "", "textbox", 300, 300, 280, 36)
    seq.click(box, "none")
    for _ in range(rng.randint(4, 12)):
        seq.human_gap(170, 60, 500)
        seq.add("input", box)
        seq.wait(rng.uniform(5, 40))
        seq.add("invalid", message=message, field=name)
    seq.human_gap(170, 60, 500)
    seq.add("input", box)
    seq.gap(800, 3_000)
    seq.click(rng.choice(SUBMITS[:4]), "navigation")
    seq.nav(seq.path + "/next")
    return case(
        seq,
        f"Live validation repeats {message!r} on each keystroke until the value "
        "is complete; then the form goes through",
        [],
        tags=["lookalike:one_validation_error"],
    )


def required_on_many_fields(rng: random.Random) -> Case:
    seq = Seq(rng, "/team/invite")
    prelude(seq, 0, 1)
    seq.click(Tgt("#invite-send", "Send invite", "button", 700, 410), "dom")
    for name in rng.sample(["first_name", "last_name", "email", "role"], 3):
        seq.wait(rng.uniform(1, 10))
        seq.add("invalid", message="This field is required.", field=name)
    seq.gap(1_000, 3_000)
    for name in ("first_name", "last_name", "email"):
        seq.type_into(f"input#{name}", rng.randint(4, 10))
        seq.gap(300, 1_200)
    seq.click(Tgt("#invite-send", "Send invite", "button", 700, 410), "dom")
    return case(
        seq,
        "One premature submit flags three empty fields 'This field is required.'; "
        "the user fills them and sends",
        [],
        tags=["lookalike:one_validation_error"],
    )


def progressing_errors(rng: random.Random) -> Case:
    seq = Seq(rng, "/checkout")
    prelude(seq, 0, 1)
    btn = SUBMITS[1]
    for name, message in rng.sample(FIELDS, 3):
        seq.gap(1_000, 3_000)
        seq.click(btn, "dom")
        seq.wait(rng.uniform(5, 40))
        seq.add("invalid", message=message, field=name)
        seq.type_into(f"input#{name}", rng.randint(3, 10))
    seq.gap(500, 2_000)
    seq.click(btn, "navigation")
    seq.nav("/checkout/thanks")
    return case(
        seq,
        "Three submits, each revealing a different field error which the user "
        "fixes; the order goes through",
        [],
        tags=["lookalike:one_validation_error"],
    )


def polling_failure(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(["/dashboard", "/inbox"]))
    busy = rng.random() < 0.5
    for _ in range(rng.randint(3, 6)):
        for _ in range(rng.randint(1, 3)):
            seq.gap(1_500, 4_000)
            if busy:
                seq.click(rng.choice(BENIGN), "dom")
            else:
                seq.add("scroll", y=float(rng.randrange(0, 3000)))
        seq.gap(500, 3_000)
        seq.add("http_error", method="GET", path="/api/notifications/poll", status=503)
    return case(
        seq,
        "A background poller fails every few seconds while the user "
        f"{'works through tabs' if busy else 'reads'}; nothing they do is affected",
        [],
        now=seq.t + rng.randint(500, 3_000),
        tags=["lookalike:background_failure"],
    )


def noise_errors(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    seq.click(rng.choice(BENIGN), "dom")
    seq.gap(10, 600)
    message, source = rng.choice(
        [
            ("ResizeObserver loop completed with undelivered notifications.", None),
            ("ResizeObserver loop limit exceeded", None),
            ("Script error.", None),
            (
                "TypeError: Cannot read properties of null (reading 'shadowRoot')",
                "chrome-extension://nngceckbapebfimnlniiiahkandclblb/content.js",
            ),
            (
                "Uncaught ReferenceError: __gCrWeb is not defined",
                "safari-web-extension://1B2C/inject.js",
            ),
        ]
    )
    data = {"message": message} | ({"source": source} if source else {})
    seq.add("error", **data)
    seq.gap(1_000, 3_000)
    seq.click(rng.choice(BENIGN), "dom")
    return case(
        seq,
        f"Browser noise right after a click: {message[:50]!r}",
        [],
        tags=["lookalike:noise_error"],
    )


def late_unrelated_error(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    seq.click(rng.choice(BENIGN), "dom")
    seq.gap(4_000, 15_000)
    seq.add(
        "error",
        message="TypeError: Failed to fetch dynamically imported module",
        source="https://app.example.com/assets/chunk-9.js",
    )
    seq.gap(500, 2_000)
    seq.add("scroll", y=400.0)
    return case(
        seq,
        "A lazy chunk fails to load in the background seconds after the last click",
        [],
        tags=["lookalike:noise_error"],
    )


def auto_retry(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    btn = rng.choice(SUBMITS)
    seq.click(btn, "dom")
    for backoff in (300, 1_000, 3_000):
        seq.wait(backoff + rng.uniform(0, 200))
        seq.add("http_error", method="POST", path="/api/events/batch", status=503)
    seq.gap(300, 1_000)
    seq.add("scroll", y=200.0)
    return case(
        seq,
        "One click; the client library retries a failing POST three times on its "
        "own; the user is not looping (yet)",
        [],
        tags=["lookalike:background_failure"],
    )


def heartbeat_post(rng: random.Random) -> Case:
    seq = Seq(rng, "/dashboard")
    for _ in range(3):
        seq.gap(1_000, 3_000)
        seq.click(rng.choice(BENIGN), "dom")
        seq.gap(500, 3_000)
        seq.add("http_error", method="POST", path="/api/presence/heartbeat", status=503)
    return case(
        seq,
        "A presence heartbeat (POST) fails every few seconds while the user clicks "
        "through tabs that work",
        [],
        tags=["lookalike:background_failure", "hard", "ours-fires"],
    )


# ---------------------------------------------------------------- navigation loops


def ping_pong(rng: random.Random) -> Case:
    a, b = rng.choice(
        [
            ("/settings/profile", "/settings/account"),
            ("/settings/billing", "/settings/plan"),
            ("/integrations", "/integrations/slack"),
            ("/reports", "/reports/export"),
        ]
    )
    seq = Seq(rng, a)
    prelude(seq, 0, 2)
    hops = rng.choice([4, 4, 5, 6])
    for i in range(hops):
        seq.nav(b if i % 2 == 0 else a)
        seq.gap(1_800, 3_400)
    return case(
        seq,
        f"Goes back and forth between {a} and {b} ({hops} navigations, 2-3 s on "
        "each), looking for a setting",
        [NAV],
    )


def triangle_loop(rng: random.Random) -> Case:
    pages = ["/settings", "/settings/security", "/settings/sso"]
    seq = Seq(rng, pages[0])
    prelude(seq, 0, 1)
    for i in range(1, 7):
        seq.nav(pages[i % 3])
        seq.gap(1_200, 2_200)
    return case(seq, "Cycles settings → security → SSO → settings twice in ~12 s", [NAV])


def quick_back(rng: random.Random) -> Case:
    a, b = rng.choice(
        [
            ("/dashboard", "/reports"),
            ("/settings", "/settings/billing"),
            ("/projects/42", "/projects/42/members"),
            ("/help", "/help/sso"),
        ]
    )
    seq = Seq(rng, a)
    prelude(seq)
    seq.nav(b)
    seq.gap(700, 2_800)
    seq.nav(a, via=rng.choice([None, "pop"]))
    seq.gap(1_000, 3_000)
    seq.add("scroll", y=300.0)
    return case(seq, f"Opens {b}, turns straight back to {a} (wrong place)", [NAV])


def pogo_stick(rng: random.Random) -> Case:
    seq = Seq(rng, "/help/search")
    prelude(seq, 0, 1)
    for article in rng.sample(["/help/sso", "/help/saml", "/help/okta", "/help/2fa"], 3):
        seq.nav(article)
        seq.gap(800, 2_600)
        seq.nav("/help/search", via="pop")
        seq.gap(1_500, 4_000)
    return case(
        seq,
        "Opens search results one after another and bounces back from each in "
        "1-2 s: none is what they need",
        [NAV],
    )


def wizard_back(rng: random.Random) -> Case:
    seq = Seq(rng, "/onboarding/step-1")
    prelude(seq, 1, 2)
    seq.click(Tgt("button.wizard-next", "Next", "button", 980, 720), "navigation")
    seq.wait(rng.uniform(100, 400))
    seq.nav("/onboarding/step-2")
    seq.gap(900, 2_700)
    seq.click(Tgt("button.wizard-back", "Back", "button", 100, 720), "navigation")
    seq.wait(rng.uniform(100, 400))
    seq.nav("/onboarding/step-1")
    return case(seq, "Goes to step 2 of onboarding and straight back to step 1", [NAV])


def slow_ping_pong(rng: random.Random) -> Case:
    seq = Seq(rng, "/settings/notifications")
    for i in range(5):
        seq.nav("/settings/email" if i % 2 == 0 else "/settings/notifications")
        seq.gap(3_500, 6_000)
    return case(
        seq,
        "Back and forth between notification and email settings five times, "
        "4-6 s on each: a loop, at about the speed of the page-loop window",
        [NAV],
        tags=["hard"],
    )


# ---------------------------------------------------------------- navigation look-alikes


def normal_navigation(rng: random.Random) -> Case:
    pages = rng.sample(
        [
            "/dashboard",
            "/reports",
            "/reports/monthly",
            "/settings",
            "/settings/billing",
            "/team",
            "/projects/42",
            "/help",
        ],
        5,
    )
    seq = Seq(rng, pages[0])
    for page in pages[1:]:
        seq.gap(4_000, 40_000)
        seq.click(Tgt("nav a", page.rsplit("/", 1)[-1].title(), "link", 40, 200), "navigation")
        seq.wait(rng.uniform(80, 400))
        seq.nav(page)
        if rng.random() < 0.6:
            seq.scroll(rng.randint(1, 3))
    return case(
        seq, "Moves through four pages, reading each", [], tags=["lookalike:normal_navigation"]
    )


def back_after_reading(rng: random.Random) -> Case:
    seq = Seq(rng, "/reports")
    prelude(seq, 0, 1)
    for _ in range(2):
        seq.nav("/reports/monthly")
        seq.scroll(rng.randint(1, 3), 3_000, 8_000)
        seq.gap(4_000, 15_000)
        seq.nav("/reports", via="pop")
        seq.gap(3_500, 10_000)
    return case(
        seq,
        "Opens a report, reads it, goes back to the list; twice",
        [],
        tags=["lookalike:normal_navigation"],
    )


def hub_and_spoke(rng: random.Random) -> Case:
    seq = Seq(rng, "/inbox")
    for n in rng.sample(range(100, 999), 3):
        seq.gap(700, 1_500)
        seq.nav(f"/inbox/{n}")
        seq.gap(3_400, 5_000)
        seq.nav("/inbox", via="pop")
    return case(
        seq,
        "Triages an inbox: opens a message, handles it in a few seconds, back to "
        "the list, next message",
        [],
        tags=["lookalike:normal_navigation"],
    )


def pagination(rng: random.Random) -> Case:
    seq = Seq(rng, "/orders")
    pages = [1, 2, 3, 2, 1, 2] if rng.random() < 0.5 else [1, 2, 1, 2, 1]
    for p in pages[1:]:
        seq.gap(900, 2_500)
        seq.click(Tgt("nav.pagination a", str(p), "link", 600, 900), "dom")
        seq.nav(f"/orders?page={p}")
    seq.gap(500, 2_000)
    seq.click(Tgt("#filter-status", "Status", "button", 100, 200), "dom")
    seq.nav("/orders?page=1&status=open#top")
    return case(
        seq,
        "Pages back and forth through an order list (query changes only) and filters it",
        [],
        tags=["lookalike:normal_navigation"],
    )


def auth_redirect(rng: random.Random) -> Case:
    seq = Seq(rng, "/dashboard")
    prelude(seq, 0, 1)
    seq.click(Tgt("nav a.billing", "Billing", "link", 40, 300), "navigation")
    seq.nav("/settings/billing")
    seq.wait(rng.uniform(40, 300))
    seq.nav("/login", via=rng.choice([None, "replace"]))
    seq.wait(rng.uniform(80, 350))
    seq.nav("/settings/billing", via=rng.choice([None, "replace"]))
    seq.scroll(rng.randint(1, 2))
    return case(
        seq,
        "Billing bounces through an SSO re-authentication redirect and back in "
        "a fraction of a second",
        [],
        tags=["lookalike:normal_navigation"],
    )


def glance_back(rng: random.Random) -> Case:
    seq = Seq(rng, "/dashboard")
    prelude(seq, 1, 2)
    seq.nav("/notifications")
    seq.gap(1_200, 2_500)
    seq.nav("/dashboard", via="pop")
    seq.scroll(1)
    return case(
        seq,
        "Checks the notifications page at a glance (nothing new) and returns",
        [],
        tags=["lookalike:normal_navigation", "hard", "ours-fires"],
    )


# ---------------------------------------------------------------- hesitation


def idle_with_form_errors(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq, 0, 2)
    name, message = rng.choice(FIELDS)
    seq.click(rng.choice(SUBMITS[:6]), "dom")
    seq.wait(rng.uniform(5, 50))
    seq.add("invalid", message=message, field=name)
    if rng.random() < 0.5:
        seq.scroll(rng.randint(1, 3), 2_000, 5_000)
    idle = rng.randint(22_000, 70_000)
    return case(
        seq,
        f"After {message!r}, the user stops and stares at the form for {idle // 1000} s",
        [HESIT],
        now=seq.t + idle,
        form_errors=[message],
    )


def idle_after_failed_save(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    btn = rng.choice(SUBMITS)
    seq.click(btn, rng.choice(["dom", "request"]))
    seq.gap(200, 2_000)
    seq.add(
        "http_error",
        method=rng.choice(["POST", "PUT"]),
        path="/api/settings",
        status=rng.choice([500, 502, 409, 422]),
    )
    last = seq.t
    if rng.random() < 0.5:
        seq.scroll(rng.randint(1, 4), 3_000, 6_000)
    idle = rng.randint(21_000, 90_000)
    return case(
        seq,
        f"{btn.text!r} fails; the user does nothing for {idle // 1000} s (maybe scrolls around)",
        [HESIT],
        now=last + idle,
    )


def idle_after_click_error(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    seq.click(rng.choice(SUBMITS), "none")
    seq.gap(50, 700)
    seq.add(
        "error",
        message="TypeError: Cannot read properties of undefined (reading 'plan')",
        source="https://app.example.com/assets/app.js",
    )
    idle = rng.randint(22_000, 60_000)
    return case(
        seq, "A click throws; the user sits there for a while", [ERROR, HESIT], now=seq.t + idle
    )


def server_side_errors_on_load(rng: random.Random) -> Case:
    seq = Seq(rng, "/signup")
    since = seq.t
    seq.gap(2_000, 6_000)
    seq.add("scroll", y=500.0)
    errors = rng.sample(
        [
            "Company name is required.",
            "Password must be at least 12 characters.",
            "Please accept the terms.",
        ],
        rng.randint(1, 2),
    )
    return case(
        seq,
        "The sign-up page comes back from the server with errors; the user scrolls once then stops",
        [HESIT],
        now=since + rng.randint(25_000, 50_000),
        form_errors=errors,
        since=since,
    )


def hesitation_back_from_tab(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    seq.click(rng.choice(SUBMITS), "dom")
    seq.gap(300, 1_500)
    seq.add("http_error", method="POST", path="/api/payments", status=402)
    seq.gap(2_000, 5_000)
    seq.add("visibility", state="hidden")
    seq.gap(20_000, 60_000)
    seq.add("visibility", state="visible")
    idle = rng.randint(21_000, 40_000)
    return case(
        seq,
        "Payment fails; the user checks their bank in another tab, comes back and stays stuck",
        [HESIT],
        now=seq.t + idle,
    )


# ---------------------------------------------------------------- hesitation look-alikes


def reading(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(["/docs/getting-started", "/blog/launch", "/reports/monthly"]))
    start = seq.t
    seq.scroll(rng.randint(2, 8), 4_000, 15_000)
    return case(
        seq,
        "Reads a page with no errors for a minute or two",
        [],
        now=start + rng.randint(60_000, 120_000),
        since=start,
        tags=["lookalike:reading"],
    )


def slow_typing_with_errors(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    name, message = rng.choice(FIELDS)
    seq.click(rng.choice(SUBMITS[:6]), "dom")
    seq.wait(30)
    seq.add("invalid", message=message, field=name)
    box = Tgt(f"textarea#{name}", "", "textbox", 300, 300, 280, 36)
    for _ in range(rng.randint(4, 8)):
        seq.gap(4_000, 15_000)
        seq.add("input", box)
    return case(
        seq,
        f"{message!r} is showing; the user thinks and types a few words at a time",
        [],
        now=seq.t + rng.randint(1_000, 12_000),
        form_errors=[message],
        tags=["lookalike:reading"],
    )


def away_with_errors(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    name, message = rng.choice(FIELDS)
    seq.click(rng.choice(SUBMITS[:6]), "dom")
    seq.wait(30)
    seq.add("invalid", message=message, field=name)
    seq.gap(1_000, 4_000)
    seq.add("visibility", state="hidden")
    return case(
        seq,
        f"Gets {message!r} and switches to another tab to look something up",
        [],
        now=seq.t + rng.randint(30_000, 120_000),
        form_errors=[message],
        tags=["lookalike:reading"],
    )


def assistant_open_with_errors(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    name, message = rng.choice(FIELDS)
    seq.click(rng.choice(SUBMITS[:6]), "dom")
    seq.wait(30)
    seq.add("invalid", message=message, field=name)
    seq.gap(2_000, 6_000)
    seq.add("widget_open")
    seq.gap(3_000, 8_000)
    seq.add("ask")
    return case(
        seq,
        "Gets a form error, opens the assistant, asks, reads the answer",
        [],
        now=seq.t + rng.randint(25_000, 60_000),
        form_errors=[message],
        tags=["lookalike:reading"],
    )


def failure_then_success(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    btn = rng.choice(SUBMITS)
    seq.click(btn, "dom")
    seq.gap(300, 1_500)
    seq.add("http_error", method="POST", path="/api/settings", status=502)
    seq.gap(2_000, 6_000)
    seq.click(btn, "dom")
    seq.scroll(rng.randint(1, 4), 5_000, 15_000)
    return case(
        seq,
        "A save fails once, the retry works, the user then reads the page",
        [],
        now=seq.t + rng.randint(30_000, 90_000),
        tags=["lookalike:reading"],
    )


def short_pause(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    name, message = rng.choice(FIELDS)
    seq.click(rng.choice(SUBMITS[:6]), "dom")
    seq.wait(30)
    seq.add("invalid", message=message, field=name)
    return case(
        seq,
        f"{message!r} appears; the user reads it for a few seconds",
        [],
        now=seq.t + rng.randint(4_000, 14_000),
        form_errors=[message],
        tags=["lookalike:reading"],
    )


def failure_auto_recovered(rng: random.Random) -> Case:
    seq = Seq(rng, "/reports/monthly")
    prelude(seq, 0, 1)
    seq.click(Tgt("nav a.tab-usage", "Usage", "tab", 300, 120), "request")
    seq.gap(300, 1_200)
    seq.add("http_error", method="GET", path="/api/usage", status=503)
    # The app retries on its own and renders the data; no event says so.
    seq.scroll(rng.randint(1, 3), 4_000, 9_000)
    return case(
        seq,
        "A tab's data request fails once, the app retries by itself and shows the "
        "data; the user reads it",
        [],
        now=seq.t + rng.randint(25_000, 50_000),
        tags=["lookalike:reading", "hard", "ours-fires"],
    )


# ---------------------------------------------------------------- explicit


def open_close(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    seq.add("widget_open")
    seq.gap(2_500, 25_000)
    seq.add("widget_close")
    seq.gap(500, 3_000)
    if rng.random() < 0.5:
        seq.add("scroll", y=700.0)
    return case(seq, "Opens the assistant, looks at it, closes it without asking", [EXPLICIT])


def open_close_twice(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    for _ in range(2):
        seq.add("widget_open")
        seq.gap(1_500, 10_000)
        seq.add("widget_close")
        seq.gap(3_000, 15_000)
    return case(
        seq, "Opens and closes the assistant twice on the same page, never asking", [EXPLICIT]
    )


def open_ask_close(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    seq.add("widget_open")
    seq.gap(2_000, 8_000)
    seq.add("ask")
    seq.gap(5_000, 30_000)
    seq.add("widget_close")
    return case(
        seq, "Opens the assistant, asks a question, reads, closes", [], tags=["lookalike:explicit"]
    )


def launcher_misclick(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    prelude(seq)
    seq.add("widget_open")
    seq.wait(rng.uniform(150, 600))
    seq.add("widget_close")
    return case(
        seq, "Brushes the assistant launcher and closes it at once", [], tags=["lookalike:explicit"]
    )


def open_and_navigate(rng: random.Random) -> Case:
    seq = Seq(rng, "/help")
    prelude(seq, 0, 1)
    seq.add("widget_open")
    seq.gap(2_000, 6_000)
    seq.click(Tgt("nav a.billing", "Billing", "link", 40, 300), "navigation")
    seq.nav("/settings/billing")
    seq.gap(3_000, 10_000)
    seq.add("widget_close")
    if rng.random() < 0.3:
        seq.add("widget_open")  # and it stays open
    return case(
        seq,
        "Opens the assistant, then finds the page through the menu and closes it "
        "there (or keeps it open)",
        [],
        tags=["lookalike:explicit"],
    )


def reopen_to_reread(rng: random.Random) -> Case:
    seq = Seq(rng, rng.choice(PAGES))
    seq.add("widget_open")
    seq.gap(3_000, 8_000)
    seq.add("ask")
    seq.gap(10_000, 20_000)
    seq.add("widget_close")
    seq.type_into("input#name", rng.randint(4, 10))
    seq.gap(2_000, 5_000)
    seq.add("widget_open")
    seq.gap(4_000, 10_000)
    seq.add("widget_close")
    seq.type_into("input#name", rng.randint(4, 10))
    return case(
        seq,
        "Asks the assistant, follows its steps, reopens it once to re-read a step and carries on",
        [],
        tags=["lookalike:explicit", "hard", "ours-fires"],
    )


# ---------------------------------------------------------------- whole sessions


def checkout_struggle(rng: random.Random) -> Case:
    seq = Seq(rng, "/cart")
    seq.gap(2_000, 5_000)
    seq.click(Tgt("a.checkout", "Checkout", "link", 900, 600), "navigation")
    seq.nav("/checkout")
    seq.type_into("input#card_number", 16)
    seq.gap(500, 1_500)
    btn = SUBMITS[1]
    for _ in range(2):
        seq.click(btn, "dom")
        seq.gap(300, 1_500)
        seq.add("http_error", method="POST", path="/api/checkout/pay", status=402)
        seq.gap(2_000, 6_000)
    seq.click(btn, "request")
    for _ in range(3):
        seq.human_gap(220, 90, 600)
        seq.click(btn, "none")
    return case(
        seq,
        "Checkout: payment declined twice, then the user hammers 'Place order'",
        [ERROR, RAGE, DEAD],
    )


def onboarding_smooth(rng: random.Random) -> Case:
    seq = Seq(rng, "/onboarding/step-1")
    for step in (2, 3, 4):
        seq.type_into("input#field", rng.randint(5, 20))
        seq.gap(1_000, 4_000)
        seq.click(Tgt("button.wizard-next", "Next", "button", 980, 720), "navigation")
        seq.wait(rng.uniform(100, 400))
        seq.nav(f"/onboarding/step-{step}")
        seq.scroll(rng.randint(0, 2))
    seq.gap(3_000, 8_000)
    seq.click(Tgt("button.finish", "Finish", "button", 980, 720), "navigation")
    seq.nav("/dashboard")
    return case(
        seq, "Goes through onboarding without a hitch", [], tags=["lookalike:normal_navigation"]
    )


def settings_hunt(rng: random.Random) -> Case:
    seq = Seq(rng, "/settings")
    for page in (
        "/settings/profile",
        "/settings",
        "/settings/security",
        "/settings",
        "/settings/profile",
        "/settings",
    ):
        seq.gap(1_500, 2_400)
        seq.nav(page)
    seq.gap(1_000, 3_000)
    seq.add("widget_open")
    seq.gap(3_000, 8_000)
    seq.add("widget_close")
    return case(
        seq,
        "Hunts for a setting across settings pages, opens the assistant, gives up",
        [NAV, EXPLICIT],
    )


SCENARIOS: dict[str, tuple[Scenario, int]] = {
    # rage clicks and their look-alikes
    "rage-stuck-button": (rage_stuck_button, 8),
    "rage-each-click-requests": (rage_each_click_requests, 3),
    "rage-fake-affordance": (rage_fake_affordance, 3),
    "rage-icon-and-label": (rage_icon_and_label, 3),
    "rage-rerendered": (rage_rerendered, 2),
    "rage-link": (rage_link, 2),
    "rage-wizard-next": (rage_wizard_next, 3),
    "rage-scroll-nudge": (rage_with_scroll_nudge, 3),
    "rage-slow-dropdown": (rage_slow_dropdown, 2),
    "rage-toast-only": (rage_toast_only, 2),
    "rage-ragged-rhythm": (rage_ragged_rhythm, 3),
    "lookalike-double-click": (double_click, 6),
    "lookalike-checkbox-list": (checkbox_list, 6),
    "lookalike-game": (game_board, 7),
    "lookalike-carousel": (carousel, 7),
    "lookalike-stepper": (stepper, 3),
    "lookalike-triple-click": (triple_click_select, 3),
    "lookalike-caret-clicks": (caret_clicks, 2),
    "lookalike-soundboard": (soundboard, 1),
    # dead clicks
    "dead-slow-repeat": (dead_slow_repeat, 6),
    "dead-pointer-div": (dead_pointer_div, 3),
    "dead-tab": (dead_tab, 2),
    "dead-copy-button": (dead_copy_button, 2),
    "dead-among-activity": (dead_among_activity, 3),
    "dead-different-buttons": (dead_different_buttons, 1),
    "dead-slow-retry": (dead_slow_retry, 2),
    "dead-with-beacon": (dead_with_beacon, 2),
    "lookalike-single-click-plain": (single_click_plain, 6),
    "lookalike-reading-clicks": (repeated_plain_reading, 3),
    "lookalike-single-dead-button": (single_dead_button, 3),
    "lookalike-download-new-tab": (download_and_new_tab, 3),
    "lookalike-field-focus": (field_focus_clicks, 2),
    # error loops
    "error-same-invalid": (error_same_invalid, 8),
    "error-same-request": (error_same_request, 6),
    "error-same-search": (error_same_search, 2),
    "error-retry-button": (error_retry_button, 2),
    "error-after-click": (error_after_click, 6),
    "error-after-slow-request": (error_after_slow_request, 1),
    "error-enter-resubmit": (error_enter_resubmit, 1),
    "error-otp-attempts-left": (otp_attempts_left, 2),
    "lookalike-one-error-then-fix": (one_error_then_fix, 6),
    "lookalike-live-validation": (live_validation, 4),
    "lookalike-required-many": (required_on_many_fields, 2),
    "lookalike-progressing-errors": (progressing_errors, 2),
    "lookalike-polling-failure": (polling_failure, 4),
    "lookalike-noise-error": (noise_errors, 5),
    "lookalike-late-error": (late_unrelated_error, 2),
    "lookalike-auto-retry": (auto_retry, 2),
    "lookalike-heartbeat-post": (heartbeat_post, 1),
    # navigation loops
    "nav-ping-pong": (ping_pong, 6),
    "nav-triangle": (triangle_loop, 2),
    "nav-quick-back": (quick_back, 6),
    "nav-pogo-stick": (pogo_stick, 3),
    "nav-wizard-back": (wizard_back, 2),
    "nav-slow-ping-pong": (slow_ping_pong, 3),
    "lookalike-normal-navigation": (normal_navigation, 5),
    "lookalike-back-after-reading": (back_after_reading, 3),
    "lookalike-hub-and-spoke": (hub_and_spoke, 3),
    "lookalike-pagination": (pagination, 3),
    "lookalike-auth-redirect": (auth_redirect, 3),
    "lookalike-glance-back": (glance_back, 1),
    # hesitation
    "hesitation-form-errors": (idle_with_form_errors, 6),
    "hesitation-failed-save": (idle_after_failed_save, 5),
    "hesitation-click-error": (idle_after_click_error, 2),
    "hesitation-server-errors": (server_side_errors_on_load, 3),
    "hesitation-back-from-tab": (hesitation_back_from_tab, 2),
    "lookalike-reading": (reading, 5),
    "lookalike-slow-typing": (slow_typing_with_errors, 3),
    "lookalike-away": (away_with_errors, 3),
    "lookalike-assistant-open": (assistant_open_with_errors, 2),
    "lookalike-failure-then-success": (failure_then_success, 3),
    "lookalike-short-pause": (short_pause, 3),
    "lookalike-failure-auto-recovered": (failure_auto_recovered, 1),
    # explicit
    "explicit-open-close": (open_close, 6),
    "explicit-open-close-twice": (open_close_twice, 2),
    "lookalike-open-ask-close": (open_ask_close, 3),
    "lookalike-launcher-misclick": (launcher_misclick, 3),
    "lookalike-open-navigate": (open_and_navigate, 2),
    "lookalike-reopen-to-reread": (reopen_to_reread, 1),
    # whole sessions
    "session-checkout": (checkout_struggle, 2),
    "session-onboarding": (onboarding_smooth, 2),
    "session-settings-hunt": (settings_hunt, 2),
}


def generated() -> Iterator[Case]:
    for name, (scenario, count) in SCENARIOS.items():
        for n in range(count):
            item = scenario(random.Random(f"{SEED}:{name}:{n}"))
            tags = ["generated", *item.pop("tags")]
            yield {"id": f"{name}-{n:02d}", **item, "tags": tags}


def hand_written() -> Iterator[Case]:
    """Hand cases are written with times from 0; shift them onto the epoch like the rest."""
    for n, item in enumerate(json.loads(HAND.read_text(encoding="utf-8"))):
        base = T0 + 60_000_000 + n * 1_000_000
        events = [{**ev, "t": ev["t"] + base} for ev in item["events"]]
        page = dict(item["page"])
        if "since_ms" in page:
            page["since_ms"] += base
        yield {
            **item,
            "page": page,
            "events": events,
            "now_ms": item["now_ms"] + base,
            "tags": ["hand", *item.get("tags", [])],
        }


def build() -> str:
    cases = [*generated(), *hand_written()]
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    return "".join(json.dumps(c, separators=(",", ":"), ensure_ascii=False) + "\n" for c in cases)


def main(argv: list[str]) -> int:
    text = build()
    if "--check" in argv:
        stale = not OUT.exists() or OUT.read_text(encoding="utf-8") != text
        print(f"{OUT.name} is {'stale' if stale else 'up to date'}")
        return 1 if stale else 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10))} cases to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
