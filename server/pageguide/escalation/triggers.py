"""Escalation triggers: should this conversation go to a person, and why.

Pure code. Two kinds of evidence feed one list of `TriggerHit`s (models.py):

- a message (`evaluate_message`): the phrase rules (phrases.py), plus the embedding classifier
  (`classifier.py`) for phrasings the rules do not know, plus an optional LLM vote on the
  borderline cases (`evaluate_message_with_vote`);
- the conversation (`evaluate_state`): verified account attributes, answer confidence,
  thumbs-down feedback, struggle after help was shown; and the widget's `escalate` action
  (`evaluate_action`).

`should_escalate` turns hits into a decision. docs/escalation.md describes every trigger.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence

from ..identity import VerifiedAccount
from .models import (
    ACCOUNT_KINDS,
    DEFAULT_SETTINGS,
    EMPTY_STATE,
    MESSAGE_KINDS,
    ConversationState,
    EscalationDecision,
    HitSource,
    LlmVote,
    MessageScorer,
    PageMoment,
    TriggerHit,
    TriggerKind,
    TriggerSettings,
)
from .phrases import AFFIRMATIVE, GUARDS, QUESTION, RULES, normalise

_LABELS: dict[TriggerKind, str] = {
    TriggerKind.ASKED_FOR_HUMAN: "a request for a person",
    TriggerKind.STRONG_EMOTION: "strong emotion",
    TriggerKind.CHURN_RISK: "a churn risk",
    TriggerKind.BILLING_DISPUTE: "a billing dispute",
    TriggerKind.LEGAL_SECURITY: "a legal or security matter",
    TriggerKind.OUTAGE: "an outage",
}
_URGENT = {TriggerKind.LEGAL_SECURITY, TriggerKind.OUTAGE}
EVIDENCE_CHARS = 120


def _clip(text: str) -> str:
    """The evidence a hit keeps: the words that fired it, trimmed."""
    return text.strip()[:EVIDENCE_CHARS]


def _fact(kind: TriggerKind, source: HitSource, reason: str, evidence: str) -> TriggerHit:
    """A hit from a fact about the account or the conversation rather than a reading: score 1."""
    return TriggerHit(kind=kind, score=1.0, source=source, reason=reason, evidence=evidence)


def _reading(
    kind: TriggerKind, score: float, text: str, source: HitSource, note: str = ""
) -> TriggerHit:
    """A hit from the classifier's reading of a message (`note`: who else agreed)."""
    return TriggerHit(
        kind=kind,
        score=round(score, 3),
        reason=f"reads like {_LABELS[kind]} (classifier {score:.2f}{note})",
        evidence=_clip(text),
        source=source,
    )


# ---------------------------------------------------------------- phrase rules


def _shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 12 or len(text.split()) < 3:
        return False  # "SSO", "CSV export" are not shouting
    return sum(c.isupper() for c in letters) / len(letters) >= 0.8


def rule_hits(text: str, kinds: Collection[TriggerKind] = MESSAGE_KINDS) -> list[TriggerHit]:
    """Hits from the phrase rules alone."""
    norm = normalise(text)
    hits: list[TriggerHit] = []
    for kind in kinds:
        guard = GUARDS.get(kind)
        masked = guard.sub(" ", norm) if guard is not None else norm
        for rule in RULES.get(kind, ()):
            found = rule.search(masked)
            if found is not None:
                evidence = _clip(found)
                hits.append(
                    TriggerHit(
                        kind=kind,
                        score=1.0,
                        reason=f'said "{evidence}"',
                        evidence=evidence,
                        source="rule",
                        rule=rule.name,
                    )
                )
                break
        else:
            if kind is TriggerKind.STRONG_EMOTION and _shouting(text):
                hits.append(
                    TriggerHit(
                        kind=kind,
                        score=0.9,
                        reason="wrote in capitals",
                        evidence=_clip(text),
                        source="rule",
                        rule="shouting",
                    )
                )
    return hits


def _guarded(text: str) -> set[TriggerKind]:
    norm = normalise(text)
    return {kind for kind, guard in GUARDS.items() if guard.search(norm)}


# ---------------------------------------------------------------- messages


def _threshold(kind: TriggerKind, settings: TriggerSettings, question: bool) -> float:
    base = settings.classifier_thresholds.get(kind, settings.classifier_threshold)
    return max(base, settings.question_threshold) if question else base


def classifier_hits(
    text: str,
    classifier: MessageScorer,
    settings: TriggerSettings = DEFAULT_SETTINGS,
    skip: Collection[TriggerKind] = (),
) -> tuple[list[TriggerHit], dict[TriggerKind, float]]:
    """The classifier's hits (kinds in `skip` aside), and the borderline scores left over."""
    guarded = _guarded(text)
    question = bool(QUESTION.search(normalise(text)))
    scores = classifier.scores(text)
    hits: list[TriggerHit] = []
    borderline: dict[TriggerKind, float] = {}
    for kind in MESSAGE_KINDS:
        if kind not in settings.enabled or kind in skip or kind in guarded:
            continue
        score = float(scores.get(kind, 0.0))
        threshold = _threshold(kind, settings, question)
        if score >= threshold:
            hits.append(_reading(kind, score, text, "classifier"))
        elif score >= threshold - settings.llm_band:
            borderline[kind] = score
    return hits, borderline


def _message_hits(
    text: str,
    state: ConversationState,
    settings: TriggerSettings,
    classifier: MessageScorer | None,
) -> tuple[list[TriggerHit], dict[TriggerKind, float]]:
    """Rule and classifier hits, and the borderline scores left for an LLM vote."""
    hits = rule_hits(text, [k for k in MESSAGE_KINDS if k in settings.enabled])
    fired = {h.kind for h in hits}
    if (
        TriggerKind.ASKED_FOR_HUMAN in settings.enabled
        and TriggerKind.ASKED_FOR_HUMAN not in fired
        and state.offered_human
        and AFFIRMATIVE.search(normalise(text))
    ):
        hits.append(
            TriggerHit(
                kind=TriggerKind.ASKED_FOR_HUMAN,
                score=1.0,
                reason="accepted the offer of a person",
                evidence=_clip(text),
            )
        )
        fired.add(TriggerKind.ASKED_FOR_HUMAN)
    if classifier is None:
        return hits, {}
    more, borderline = classifier_hits(text, classifier, settings, skip=fired)
    return hits + more, borderline


def evaluate_message(
    text: str,
    state: ConversationState = EMPTY_STATE,
    settings: TriggerSettings = DEFAULT_SETTINGS,
    classifier: MessageScorer | None = None,
) -> list[TriggerHit]:
    """Triggers fired by one user message: phrase rules, then the classifier (one embedding)."""
    return _message_hits(text, state, settings, classifier)[0]


async def evaluate_message_with_vote(
    text: str,
    state: ConversationState = EMPTY_STATE,
    settings: TriggerSettings = DEFAULT_SETTINGS,
    classifier: MessageScorer | None = None,
    llm_vote: LlmVote | None = None,
) -> list[TriggerHit]:
    """`evaluate_message`, with the LLM asked about kinds the classifier is unsure of.

    The vote can only add a borderline kind; it never removes a rule or a confident hit, and
    a slow or failing LLM leaves the classifier's answer standing.
    """
    hits, borderline = _message_hits(text, state, settings, classifier)
    if llm_vote is None or not borderline:
        return hits
    candidates = sorted(borderline, key=lambda k: -borderline[k])
    try:
        agreed = await asyncio.wait_for(llm_vote(text, candidates), settings.llm_timeout_s)
    except Exception:  # a vote is advice: no LLM answer means no change
        return hits
    for kind in candidates:
        if kind in agreed:
            hits.append(_reading(kind, borderline[kind], text, "llm", ", LLM agreed"))
    return hits


def evaluate_action(reason: str | None = None) -> TriggerHit:
    """The widget's `escalate` frame: the user pressed 'talk to a person'.

    Always honoured, whatever `enabled` says: a site that wants no people hides the button.
    """
    return TriggerHit(
        kind=TriggerKind.ASKED_FOR_HUMAN,
        score=1.0,
        reason="pressed 'talk to a person'",
        evidence=_clip(reason or ""),
        source="action",
    )


# ---------------------------------------------------------------- the account and the conversation


def _account_hits(account: VerifiedAccount, settings: TriggerSettings) -> list[TriggerHit]:
    hits: list[TriggerHit] = []
    tiers = {t.lower() for t in settings.enterprise_tiers}
    if account.tier and account.tier.lower() in tiers:
        reason = f"verified {account.tier} account"
        hits.append(
            _fact(TriggerKind.ENTERPRISE_ACCOUNT, "account", reason, f"tier={account.tier}")
        )
    if (
        settings.mrr_threshold is not None
        and account.mrr is not None
        and account.mrr >= settings.mrr_threshold
    ):
        reason = f"verified MRR {account.mrr:g} ≥ {settings.mrr_threshold:g}"
        hits.append(
            _fact(TriggerKind.HIGH_VALUE_ACCOUNT, "account", reason, f"mrr={account.mrr:g}")
        )
    named = {n.lower() for n in settings.named_accounts}
    for value in (account.id, account.name):
        if value and value.lower() in named:
            hits.append(
                _fact(TriggerKind.NAMED_ACCOUNT, "account", f"named account {value}", value)
            )
            break
    return hits


def is_key_account(state: ConversationState, settings: TriggerSettings) -> bool:
    return state.account is not None and bool(_account_hits(state.account, settings))


def _struggle_after_help(state: ConversationState) -> dict[str, list[PageMoment]]:
    """Struggle signals on a page after help was last shown on that same page, by page."""
    last_help: dict[str, int] = {}
    for moment in state.help_shown:
        last_help[moment.page_path] = max(last_help.get(moment.page_path, -1), moment.at_ms)
    after: dict[str, list[PageMoment]] = {}
    for signal in state.struggles:
        shown = last_help.get(signal.page_path)
        if shown is not None and signal.at_ms > shown:
            after.setdefault(signal.page_path, []).append(signal)
    return after


def evaluate_state(
    state: ConversationState, settings: TriggerSettings = DEFAULT_SETTINGS
) -> list[TriggerHit]:
    """Triggers fired by the conversation so far and the verified account."""
    hits: list[TriggerHit] = []
    key_account = False
    if state.account is not None:
        account_hits = _account_hits(state.account, settings)
        key_account = bool(account_hits)
        hits += [h for h in account_hits if h.kind in settings.enabled]

    # Low confidence: the last N answers all below the bar (one for key accounts).
    streak = 1 if key_account else settings.low_confidence_streak
    recent = state.answers[-streak:]
    if len(recent) == streak and all(a.confidence < settings.low_confidence_below for a in recent):
        reason = f"{streak} answer(s) in a row below confidence {settings.low_confidence_below:g}"
        evidence = ", ".join(f"{a.confidence:.2f}" for a in recent)
        hits.append(_fact(TriggerKind.LOW_CONFIDENCE, "conversation", reason, evidence))

    downs = sorted({f.message_id for f in state.feedback if f.rating == "down"})
    if len(downs) >= settings.thumbs_down_count:
        reason = f"{len(downs)} answer(s) rated down"
        hits.append(_fact(TriggerKind.THUMBS_DOWN, "conversation", reason, ", ".join(downs[:5])))

    # Struggle on a page after help was shown on that same page: the help did not land.
    for path, signals in _struggle_after_help(state).items():
        if len(signals) >= settings.struggle_after_help:
            reason = f"{len(signals)} struggle signals on {path} after help was shown"
            evidence = ", ".join(s.kind or "signal" for s in signals[:5])
            hits.append(_fact(TriggerKind.REPEATED_STRUGGLE, "conversation", reason, evidence))
            break
    return [h for h in hits if h.kind in settings.enabled]


def should_escalate(
    hits: Sequence[TriggerHit], settings: TriggerSettings = DEFAULT_SETTINGS
) -> EscalationDecision:
    """Hand over when any trigger fired; account rules alone only if the site says so."""
    kinds = {h.kind for h in hits}
    deciding = kinds - ACCOUNT_KINDS if not settings.key_accounts_escalate_alone else kinds
    high = bool(kinds & (ACCOUNT_KINDS | _URGENT))
    return EscalationDecision(
        escalate=bool(deciding), priority="high" if high else "normal", hits=tuple(hits)
    )
