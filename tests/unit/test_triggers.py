"""Escalation triggers without the embedding model: phrase rules, guards, conversation and
account rules, the LLM vote, the decision. The model-backed classifier is tested (and its
targets asserted) in tests/server/test_escalation_classifier.py."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence

import pytest

from pageguide.escalation.models import (
    AnswerNote,
    ConversationState,
    FeedbackNote,
    LlmVote,
    PageMoment,
    TriggerKind,
    TriggerSettings,
)
from pageguide.escalation.triggers import (
    evaluate_action,
    evaluate_message,
    evaluate_message_with_vote,
    evaluate_state,
    rule_hits,
    should_escalate,
)
from pageguide.identity import VerifiedAccount

K = TriggerKind


def kinds(text: str, **kw: object) -> set[TriggerKind]:
    return {h.kind for h in evaluate_message(text, **kw)}  # type: ignore[arg-type]


class Scores:
    """A stand-in classifier with fixed scores."""

    def __init__(self, scores: Mapping[TriggerKind, float]) -> None:
        self._scores = dict(scores)
        self.calls = 0

    def scores(self, text: str) -> Mapping[TriggerKind, float]:
        self.calls += 1
        return self._scores


# ---------------------------------------------------------------- phrase rules, by kind

ASKS_FOR_A_PERSON = [
    "can I talk to someone?",
    "get me a human",
    "is there a real person here",
    "I'd like to speak to support please",
    "Can you connect me with a member of your support team?",
    "agent",
    "Representative please",
    "pls connect me to live support",
    "i wanna tlak to someone from support",
    "Hello, I would like to be transferred to an operator.",
    "Could someone from your team give me a call?",
    "Can I open a support ticket?",
    "who should I contact about this?",
    "Quiero hablar con una persona",
    "Kann ich mit einem Mitarbeiter sprechen?",
]
STRONG_EMOTION = [
    "this is ridiculous",
    "I'm so frustrated with this",
    "wtf is happening",
    "this f*cking chart",
    "WHY DOES THE EXPORT NEVER WORK",
    "I am absolutely livid",
    "You people have wasted my whole morning",
    "what a joke",
]
CHURN = [
    "I want to cancel my subscription",
    "how do I close our account?",
    "we're switching to Mixpanel",
    "I'm done with this.",
    "we won't be renewing",
    "looking at alternatives tbh",
    "we'd like to cancel at the end of the month",
]
BILLING = [
    "I was charged twice",
    "I want a refund",
    "I'll file a chargeback",
    "there's a charge I don't recognise",
    "you overcharged us",
    "billed after I cancelled, why?",
]
LEGAL = [
    "send me all personal data you hold about me",
    "this is a GDPR request",
    "my account was hacked",
    "I found a vulnerability in your widget",
    "our lawyer will contact you",
    "someone logged into our account, it wasn't us",
]
OUTAGE = [
    "everything is down",
    "none of my team can log in",
    "is Lumen down?",
    "the API returns 500 for every request",
    "nobody in the office can access the dashboard",
    "is there an outage?",
]


@pytest.mark.parametrize(
    ("kind", "text"),
    [(K.ASKED_FOR_HUMAN, t) for t in ASKS_FOR_A_PERSON]
    + [(K.STRONG_EMOTION, t) for t in STRONG_EMOTION]
    + [(K.CHURN_RISK, t) for t in CHURN]
    + [(K.BILLING_DISPUTE, t) for t in BILLING]
    + [(K.LEGAL_SECURITY, t) for t in LEGAL]
    + [(K.OUTAGE, t) for t in OUTAGE],
)
def test_phrase_rules_fire(kind: TriggerKind, text: str) -> None:
    hits = [h for h in rule_hits(text) if h.kind is kind]
    assert hits, f"{kind} should fire on {text!r}"
    assert hits[0].source == "rule" and hits[0].rule and hits[0].evidence and hits[0].reason


INNOCENT = [
    "how do I cancel a scheduled report",
    "what does the refund column mean in the revenue chart",
    "how do I add a human-readable name",
    "how do I tell bots from humans in the log",
    "how do I add a person as an admin",
    "can someone else on my team edit this?",
    "how do I talk to the API from Python",
    "what is the user agent column",
    "how do I set up alerts for when my site is down",
    "where's the dropdown for the date",
    "what's the churn rate on the retention chart",
    "how do I set up a GDPR cookie banner",
    "where are the security settings",
    "damn, that was quick. thanks!",
    "this new view is crazy good",
    "a bit frustrating that exports are capped",
    "I'm done with the setup, what's next?",
    "how do I switch the chart to a bar graph",
    "how do I track refunds as negative revenue",
    "how do I show a 'contact support' button in my app",
    "what does 'chargeback' mean",
    "how do I track when a customer cancels their subscription in my app",
    "I don't need a person, just tell me where the setting is",
]


@pytest.mark.parametrize("text", INNOCENT)
def test_innocent_mentions_fire_no_rule(text: str) -> None:
    assert rule_hits(text) == []


def test_guards_also_silence_the_classifier() -> None:
    confident = Scores({K.CHURN_RISK: 0.99})
    assert kinds("how do I cancel a scheduled report", classifier=confident) == set()
    assert K.CHURN_RISK in kinds("please, I want out", classifier=confident)


def test_how_to_questions_need_a_surer_classifier() -> None:
    fairly_sure = Scores({K.CHURN_RISK: 0.8})
    assert kinds("how do I end the thing for our team", classifier=fairly_sure) == set()
    assert kinds("we want to end the whole thing", classifier=fairly_sure) == {K.CHURN_RISK}
    assert kinds("how do I end the thing", classifier=Scores({K.CHURN_RISK: 0.95})) == {
        K.CHURN_RISK
    }


def test_a_message_can_fire_several_kinds() -> None:
    assert kinds("I was charged twice, this is ridiculous, get me a human") == {
        K.BILLING_DISPUTE,
        K.STRONG_EMOTION,
        K.ASKED_FOR_HUMAN,
    }


def test_classifier_hits_fill_in_what_rules_miss() -> None:
    scorer = Scores({K.OUTAGE: 0.91, K.CHURN_RISK: 0.2})
    hits = evaluate_message("the thing has been dead since noon", classifier=scorer)
    assert [(h.kind, h.source) for h in hits] == [(K.OUTAGE, "classifier")]
    assert hits[0].score == pytest.approx(0.91)


def test_a_rule_hit_is_not_duplicated_by_the_classifier() -> None:
    hits = evaluate_message("get me a human", classifier=Scores({K.ASKED_FOR_HUMAN: 0.99}))
    assert [(h.kind, h.source) for h in hits] == [(K.ASKED_FOR_HUMAN, "rule")]


def test_disabled_triggers_do_not_fire() -> None:
    settings = TriggerSettings(enabled=frozenset(set(K) - {K.STRONG_EMOTION}))
    assert kinds("this is ridiculous", settings=settings) == set()
    assert kinds("this is ridiculous, I want a refund", settings=settings) == {K.BILLING_DISPUTE}


def test_per_kind_threshold_override() -> None:
    scorer = Scores({K.STRONG_EMOTION: 0.7})
    strict = TriggerSettings(classifier_thresholds={K.STRONG_EMOTION: 0.8})
    assert kinds("meh meh meh", classifier=scorer) == {K.STRONG_EMOTION}
    assert kinds("meh meh meh", classifier=scorer, settings=strict) == set()


def test_yes_after_an_offer_of_a_person_is_asking_for_one() -> None:
    offered = ConversationState(offered_human=True)
    assert kinds("yes please", state=offered) == {K.ASKED_FOR_HUMAN}
    assert kinds("yes please") == set()
    assert kinds("yes, and how do I export the report as a CSV file", state=offered) == set()


def test_the_escalate_action_always_fires() -> None:
    hit = evaluate_action("billing question")
    assert (hit.kind, hit.source, hit.evidence) == (K.ASKED_FOR_HUMAN, "action", "billing question")


# ---------------------------------------------------------------- LLM vote


def vote(
    agrees: Collection[TriggerKind], seen: list[Sequence[TriggerKind]] | None = None
) -> LlmVote:
    async def llm(text: str, candidates: Sequence[TriggerKind]) -> Collection[TriggerKind]:
        if seen is not None:
            seen.append(candidates)
        return agrees

    return llm


async def test_llm_vote_confirms_a_borderline_kind() -> None:
    seen: list[Sequence[TriggerKind]] = []
    scorer = Scores({K.CHURN_RISK: 0.35, K.OUTAGE: 0.1})
    hits = await evaluate_message_with_vote(
        "hmm, we will see about next year", classifier=scorer, llm_vote=vote({K.CHURN_RISK}, seen)
    )
    assert seen == [[K.CHURN_RISK]]  # only the borderline kind is put to the vote
    assert [(h.kind, h.source) for h in hits] == [(K.CHURN_RISK, "llm")]


async def test_llm_vote_cannot_add_an_unsupported_kind_or_remove_hits() -> None:
    scorer = Scores({K.CHURN_RISK: 0.35, K.OUTAGE: 0.1})
    hits = await evaluate_message_with_vote(
        "get me a human, we will see about next year", classifier=scorer, llm_vote=vote({K.OUTAGE})
    )
    assert {(h.kind, h.source) for h in hits} == {(K.ASKED_FOR_HUMAN, "rule")}


async def test_llm_vote_is_skipped_when_nothing_is_borderline() -> None:
    called: list[Sequence[TriggerKind]] = []
    await evaluate_message_with_vote(
        "how do I add a chart", classifier=Scores({}), llm_vote=vote(set(K), called)
    )
    assert called == []


async def test_a_slow_or_failing_llm_changes_nothing() -> None:
    scorer = Scores({K.CHURN_RISK: 0.35})

    async def slow(text: str, candidates: Sequence[TriggerKind]) -> Collection[TriggerKind]:
        await asyncio.sleep(5)
        return set(K)

    async def broken(text: str, candidates: Sequence[TriggerKind]) -> Collection[TriggerKind]:
        raise RuntimeError("provider down")

    fast = TriggerSettings(llm_timeout_s=0.05)
    assert (
        await evaluate_message_with_vote("hmm", settings=fast, classifier=scorer, llm_vote=slow)
        == []
    )
    assert await evaluate_message_with_vote("hmm", classifier=scorer, llm_vote=broken) == []


# ---------------------------------------------------------------- conversation and account


def answers(*confidences: float) -> tuple[AnswerNote, ...]:
    return tuple(AnswerNote(message_id=f"a{i}", confidence=c) for i, c in enumerate(confidences))


def state_kinds(state: ConversationState, **kw: object) -> set[TriggerKind]:
    return {h.kind for h in evaluate_state(state, **kw)}  # type: ignore[arg-type]


def test_low_confidence_twice_in_a_row() -> None:
    assert state_kinds(ConversationState(answers=answers(0.2))) == set()
    assert state_kinds(ConversationState(answers=answers(0.2, 0.9, 0.3))) == set()
    assert state_kinds(ConversationState(answers=answers(0.9, 0.2, 0.3))) == {K.LOW_CONFIDENCE}
    streak3 = TriggerSettings(low_confidence_streak=3)
    assert state_kinds(ConversationState(answers=answers(0.2, 0.3)), settings=streak3) == set()


def test_a_thumbs_down_fires() -> None:
    up = ConversationState(feedback=(FeedbackNote(message_id="a1", rating="up"),))
    down = ConversationState(feedback=(FeedbackNote(message_id="a1", rating="down"),))
    assert state_kinds(up) == set()
    hits = evaluate_state(down)
    assert [h.kind for h in hits] == [K.THUMBS_DOWN] and hits[0].evidence == "a1"


def test_struggle_after_help_on_the_same_page() -> None:
    help_shown = (PageMoment(page_path="/billing", at_ms=1_000),)
    before = (PageMoment(page_path="/billing", at_ms=500, kind="rage_click"),)
    after = (
        PageMoment(page_path="/billing", at_ms=2_000, kind="rage_click"),
        PageMoment(page_path="/billing", at_ms=3_000, kind="error_loop"),
    )
    elsewhere = (
        PageMoment(page_path="/team", at_ms=2_000, kind="dead_click"),
        PageMoment(page_path="/team", at_ms=3_000, kind="dead_click"),
    )
    fired = ConversationState(help_shown=help_shown, struggles=before + after)
    assert state_kinds(fired) == {K.REPEATED_STRUGGLE}
    assert "rage_click, error_loop" in evaluate_state(fired)[0].evidence
    assert state_kinds(ConversationState(help_shown=help_shown, struggles=before)) == set()
    assert state_kinds(ConversationState(help_shown=help_shown, struggles=elsewhere)) == set()
    assert state_kinds(ConversationState(struggles=after)) == set()  # no help was shown


def account_state(**attrs: object) -> ConversationState:
    return ConversationState(account=VerifiedAccount(**attrs))


def test_account_rules_read_the_verified_account() -> None:
    settings = TriggerSettings(mrr_threshold=2_000, named_accounts=frozenset({"acme"}))
    assert state_kinds(account_state(tier="Enterprise"), settings=settings) == {
        K.ENTERPRISE_ACCOUNT
    }
    assert state_kinds(account_state(tier="pro", mrr=2_000), settings=settings) == {
        K.HIGH_VALUE_ACCOUNT
    }
    assert state_kinds(account_state(tier="pro", mrr=1_999), settings=settings) == set()
    assert state_kinds(account_state(id="ACME"), settings=settings) == {K.NAMED_ACCOUNT}
    assert state_kinds(ConversationState(), settings=settings) == set()
    assert state_kinds(account_state(mrr=10**6)) == set()  # no MRR threshold by default


def test_a_dict_of_verified_attributes_is_accepted() -> None:
    state = ConversationState.model_validate({"account": {"tier": "enterprise"}})
    assert state_kinds(state) == {K.ENTERPRISE_ACCOUNT}


def test_key_accounts_get_a_shorter_low_confidence_streak() -> None:
    state = ConversationState(account=VerifiedAccount(tier="enterprise"), answers=answers(0.1))
    assert state_kinds(state) == {K.ENTERPRISE_ACCOUNT, K.LOW_CONFIDENCE}


def test_decision_account_rules_alone_raise_priority_only() -> None:
    account = evaluate_state(account_state(tier="enterprise"))
    decision = should_escalate(account)
    assert (decision.escalate, decision.priority) == (False, "high")
    alone = TriggerSettings(key_accounts_escalate_alone=True)
    assert should_escalate(account, alone).escalate

    emotion = evaluate_message("this is ridiculous")
    assert should_escalate(emotion).model_dump(include={"escalate", "priority"}) == {
        "escalate": True,
        "priority": "normal",
    }
    assert should_escalate(emotion + account).priority == "high"
    assert should_escalate(evaluate_message("everything is down")).priority == "high"
    assert not should_escalate([]).escalate


def test_every_trigger_and_setting_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs/escalation.md").read_text()
    for kind in K:
        assert f"`{kind.value}`" in doc, kind
    for name in TriggerSettings.model_fields:
        assert f"`{name}`" in doc, name


@pytest.mark.parametrize(
    "text",
    [
        "a" * 80 + " b c d e f g h",  # once took 13 s: nested quantifiers in a lookahead
        "is " * 660,
        "someone " * 250,
        "none of my " * 180,
        "! " * 1_000,
        "a' " * 666,
        "what does " * 200,
        "\n" * 2_000,
    ],
)
def test_no_pattern_backtracks_catastrophically(text: str) -> None:
    import time

    start = time.perf_counter()
    evaluate_message(text[:2_000], state=ConversationState(offered_human=True))
    assert time.perf_counter() - start < 0.5
