"""The nudge policy: at most one nudge at a time, and silence when in doubt."""

from __future__ import annotations

import pytest

from pageguide.settings import Settings
from pageguide.sites import Sites
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


def test_the_page_cooldown_holds_for_any_kind_on_that_page(policy) -> None:
    state = NudgeState()
    policy.shown(state, signal(SignalKind.DEAD_CLICK), 0)
    policy.resolved(state, "dead_click", "/a", dismissed=False)
    # past the session cooldown (10 s), within the page's (60 s): another kind, same page
    assert policy.decide(state, signal(SignalKind.ERROR_LOOP), 20_000) is Verdict.PAGE_COOLDOWN
    assert policy.decide(state, signal(SignalKind.ERROR_LOOP, "/b"), 20_000) is Verdict.NUDGE
    assert policy.decide(state, signal(SignalKind.ERROR_LOOP), 61_000) is Verdict.NUDGE


def test_dismissals_stay_per_kind(policy) -> None:
    state = NudgeState()
    policy.shown(state, signal(SignalKind.DEAD_CLICK), 0)
    policy.resolved(state, "dead_click", "/a", dismissed=True)
    later = 1_000_000
    assert policy.decide(state, signal(SignalKind.DEAD_CLICK), later) is Verdict.DISMISSED
    assert policy.decide(state, signal(SignalKind.ERROR_LOOP), later) is Verdict.NUDGE


def test_what_was_stored_restores_the_cap_and_the_dismissals(policy) -> None:
    state = NudgeState()
    state.restore(1, [("rage_click", "/a")])
    assert policy.decide(state, signal(), 0) is Verdict.DISMISSED
    assert policy.decide(state, signal(path="/b"), 0) is Verdict.NUDGE
    state.restore(2, [])
    assert policy.decide(state, signal(path="/b"), 0) is Verdict.CAP
    assert state.dismissed == {("rage_click", "/a")}


def test_min_score_overrides_keep_the_other_kinds_defaults() -> None:
    scores = NudgeSettings(min_score={"hesitation": 0.6}).min_score
    assert scores["hesitation"] == 0.6 and scores["explicit"] == 0.3
    with pytest.raises(ValueError, match="unknown signal kinds"):
        NudgeSettings(min_score={"hestitation": 0.6})


def test_thresholds_come_from_the_config_file_under_the_environment(tmp_path, monkeypatch) -> None:
    config = tmp_path / "pageguide.toml"
    config.write_text(
        '[[sites]]\nsite_key = "acme"\norigins = ["https://app.acme.com"]\n\n'
        "[struggle]\nhesitation_idle_ms = 5000\n\n"
        "[nudges]\nmax_per_session = 1\npage_cooldown_ms = 1000\n"
        "min_score = { hesitation = 0.6 }\n"
    )
    settings = Settings(config=config)
    assert settings.struggle.hesitation_idle_ms == 5_000
    assert settings.struggle.rage_min_clicks == 3  # not in the file: the default
    assert settings.nudges.max_per_session == 1
    assert settings.nudges.min_score["hesitation"] == 0.6
    assert Sites.load(config).get("acme") is not None  # the sites file still reads

    monkeypatch.setenv("PAGEGUIDE_NUDGES__MAX_PER_SESSION", "5")
    monkeypatch.setenv("PAGEGUIDE_CONFIG", str(config))
    from_env = Settings()
    assert from_env.nudges.max_per_session == 5  # the environment wins over the file
    assert from_env.nudges.page_cooldown_ms == 1_000  # the rest of the table still applies
    assert Settings(config=None).nudges.max_per_session == 5
