"""Thresholds of the struggle detectors, with their defaults and where each default comes from.

A plain pydantic model (not `BaseSettings`) so that the detectors stay pure: the project's
settings module nests it and maps `PAGEGUIDE_STRUGGLE__*` variables onto it. `docs/struggle.md`
explains every field; `tests/unit/struggle/test_struggle_docs.py` checks that it does.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Ms = Annotated[int, Field(ge=0)]
Px = Annotated[float, Field(ge=0)]
Count = Annotated[int, Field(ge=1)]


class StruggleSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # ------------------------------------------------------------ rage_click
    rage_min_clicks: Count = Field(
        3,
        description="Clicks in one chain before it can be a rage click. posthog-js "
        "DEFAULT_CLICK_COUNT and Datadog MIN_CLICKS_PER_SECOND_TO_CONSIDER_RAGE are both 3.",
    )
    rage_max_gap_ms: Ms = Field(
        1_000,
        description="Longest pause between two clicks of a chain. posthog-js DEFAULT_TIMEOUT_MS "
        "and Datadog MAX_DURATION_BETWEEN_CLICKS are both one second.",
    )
    rage_same_target_radius_px: Px = Field(
        100,
        description="Euclidean distance allowed between consecutive clicks on the same target. "
        "Datadog MAX_DISTANCE_BETWEEN_CLICKS.",
    )
    rage_any_target_radius_px: Px = Field(
        30,
        description="Manhattan distance under which consecutive clicks chain even on different "
        "targets (the element re-rendered, or the user hit the icon then the label). "
        "posthog-js DEFAULT_THRESHOLD_PX.",
    )
    rage_min_unanswered: Count = Field(
        2,
        description="Clicks of the chain that must have had no visible effect (effect none or "
        "request only). Ours: separates rage from carousels, steppers and games.",
    )
    rage_min_unanswered_ratio: Annotated[float, Field(ge=0, le=1)] = Field(
        0.5,
        description="Share of the chain's clicks that must be unanswered, so that two misses in a "
        "long run of answered clicks (a game) do not count. Ours.",
    )

    # ------------------------------------------------------------ dead_click
    dead_min_clicks: Count = Field(
        2,
        description="Dead clicks on the same interactive-looking target before it fires. Ours: "
        "one dead click is too often a download, a clipboard copy or a slow handler.",
    )
    dead_window_ms: Ms = Field(
        10_000,
        description="Window in which those dead clicks must fall. Ours.",
    )

    # ------------------------------------------------------------ error_loop
    error_repeat_min: Count = Field(
        2,
        description="Occurrences (each after a separate user attempt) of the same validation "
        "message or failed request. From the product brief.",
    )
    error_repeat_window_ms: Ms = Field(
        120_000,
        description="Window holding those occurrences. Ours: long enough to re-type a field.",
    )
    error_after_action_ms: Ms = Field(
        1_000,
        description="An uncaught error this soon after a click or submit counts as caused by it. "
        "From the brief; Datadog's error click uses the click's own action duration.",
    )
    request_link_ms: Ms = Field(
        10_000,
        description="A failed request this soon after a submit or a click that started a request "
        "counts as the user's. Ours.",
    )
    error_ignore_messages: tuple[str, ...] = Field(
        ("resizeobserver loop", "script error", "non-error promise rejection captured"),
        description="Lower-case fragments of uncaught error messages that are browser noise.",
    )
    error_ignore_sources: tuple[str, ...] = Field(
        (
            "chrome-extension://",
            "moz-extension://",
            "safari-extension://",
            "safari-web-extension://",
        ),
        description="Error sources that are browser extensions, not the product.",
    )

    # ------------------------------------------------------------ navigation_loop
    page_loop_min_visits: Count = Field(
        3,
        description="Visits to the same path that make a page loop (Conviva's page loop).",
    )
    page_loop_window_ms: Ms = Field(
        15_000,
        description="Window holding those visits (Conviva's page loop).",
    )
    quick_back_max_ms: Ms = Field(
        3_000,
        description="Going back to the previous page this soon after landing is a quick back.",
    )
    quick_back_min_ms: Ms = Field(
        400,
        description="Faster than this nobody read the page: it is a redirect, not a quick back.",
    )

    # ------------------------------------------------------------ hesitation
    hesitation_idle_ms: Ms = Field(
        20_000,
        description="Idle time (no click, input, submit or navigation) on a page with form "
        "errors, or after a failed action, before it counts as hesitation.",
    )

    # ------------------------------------------------------------ explicit
    explicit_min_open_ms: Ms = Field(
        800,
        description="The assistant must stay open this long before closing it without asking "
        "counts; shorter is a misclick on the launcher.",
    )

    # ------------------------------------------------------------ what counts as what
    interactive_roles: tuple[str, ...] = Field(
        (
            "button",
            "link",
            "menuitem",
            "menuitemcheckbox",
            "menuitemradio",
            "tab",
            "checkbox",
            "radio",
            "switch",
            "option",
            "treeitem",
        ),
        description="ARIA roles that promise a response to a click.",
    )
    text_entry_roles: tuple[str, ...] = Field(
        ("textbox", "searchbox", "combobox", "spinbutton", "slider", "listbox"),
        description="Roles where repeated clicks place the caret or select text; never rage or "
        "dead (posthog-js ignore_text_selection, Datadog DEAD_CLICK_EXCLUDE_SELECTOR).",
    )
    opaque_targets: tuple[str, ...] = Field(
        ("canvas", "video", "iframe", "embed", "object"),
        description="Elements whose reaction the widget cannot observe in the DOM (Datadog "
        "excludes canvas from dead clicks for this reason).",
    )

    # ------------------------------------------------------------ per-session window
    window_max_events: Count = Field(
        48,
        description="Events kept per session (about 1.8 KB each). One process holds ~10k "
        "sessions; typing and scrolling are compacted away, so 48 covers minutes of use.",
    )
    window_retention_ms: Ms = Field(
        120_000,
        description="Events older than this (relative to the newest) are dropped; it must cover "
        "the longest window above.",
    )


DEFAULT_SETTINGS = StruggleSettings()
