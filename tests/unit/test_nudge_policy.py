"""The nudge policy: at most one nudge at a time, and silence when in doubt."""

from __future__ import annotations

import pytest

from pageguide.struggle.policy import NudgePolicy, NudgeSettings, NudgeState, Verdict
from pageguide.struggle.signals import Signal, SignalKind


def signal(
    kind: SignalKind = SignalKind.RAGE_CLICK, path: str = "/a", score: float = 0.9
) -> Signal:
    return Signal(
        kind=kind, score=score, evidence=(1,), target="#save", page_path=path, at_ms=0,
        reason="r", summary="s", anchor=1,
    )  # fmt: skip


@pytest.fixture
def policy() -> NudgePolicy:
    return NudgePolicy(
        NudgeSettings(session_cooldown_ms=10_000, page_cooldown_ms=60_000, max_per_session=2)
    )


def test_first_strong_signal_nudges_and_a_weak_one_does_not(policy) -> None:
    state = NudgeState()
    assert policy.decide(state, signal(score=0.2), 0) is Verdict.WEAK
    assert policy.decide(state, signal(), 0) is Verdict.NUDGE


def test_one_nudge_on_screen_at_a_time_then_cooldowns(policy) -> None:
    state = NudgeState()
    policy.shown(state, signal(), 0)
    assert policy.decide(state, signal(SignalKind.DEAD_CLICK, "/b"), 1_000) is Verdict.OUTSTANDING
    policy.resolved(state, "rage_click", "/a", dismissed=False)
    assert (
        policy.decide(state, signal(SignalKind.DEAD_CLICK, "/b"), 1_000) is Verdict.SESSION_COOLDOWN
    )
    assert policy.decide(state, signal(), 20_000) is Verdict.PAGE_COOLDOWN
    assert policy.decide(state, signal(SignalKind.DEAD_CLICK, "/b"), 20_000) is Verdict.NUDGE


def test_cap_per_session(policy) -> None:
    state = NudgeState()
    for i in range(2):
        policy.shown(state, signal(path=f"/{i}"), i * 100_000)
        policy.resolved(state, "rage_click", f"/{i}", dismissed=False)
    assert policy.decide(state, signal(path="/new"), 1_000_000) is Verdict.CAP


def test_never_again_after_a_dismissal_of_that_kind_on_that_page(policy) -> None:
    state = NudgeState()
    policy.shown(state, signal(), 0)
    policy.resolved(state, "rage_click", "/a", dismissed=True)
    assert policy.decide(state, signal(), 10_000_000) is Verdict.DISMISSED
    assert policy.decide(state, signal(path="/other"), 10_000_000) is Verdict.NUDGE


def test_never_while_typing_in_the_widget_or_with_the_panel_open(policy) -> None:
    state = NudgeState()
    policy.typing(state, 1_000)
    assert policy.decide(state, signal(), 2_000) is Verdict.TYPING
    assert policy.decide(state, signal(), 10_000) is Verdict.NUDGE
    state.panel_open = True
    assert policy.decide(state, signal(), 10_000) is Verdict.PANEL_OPEN


def test_disabled_policy_never_nudges() -> None:
    assert (
        NudgePolicy(NudgeSettings(enabled=False)).decide(NudgeState(), signal(), 0)
        is Verdict.DISABLED
    )
