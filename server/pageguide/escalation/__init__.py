"""Escalation: when a conversation should go to a person, and getting it there.

`triggers` decides (pure: phrase rules, conversation and account rules, the decision) over
`models` (kinds, hits, settings, state) and the patterns in `phrases`;
`classifier` reads what the rules miss (MiniLM embeddings, trained at start-up), `outbox`
delivers handoffs durably. The packet a handoff carries is `pageguide.handoff`. See
docs/escalation.md.
"""

from .classifier import PROTOTYPES, EscalationClassifier, Example, load_examples
from .models import (
    ACCOUNT_KINDS,
    DEFAULT_SETTINGS,
    MESSAGE_KINDS,
    AnswerNote,
    ConversationState,
    EscalationDecision,
    FeedbackNote,
    LlmVote,
    MessageScorer,
    PageMoment,
    TriggerHit,
    TriggerKind,
    TriggerSettings,
)
from .triggers import (
    evaluate_action,
    evaluate_message,
    evaluate_message_with_vote,
    evaluate_state,
    should_escalate,
)

__all__ = [
    "ACCOUNT_KINDS",
    "DEFAULT_SETTINGS",
    "MESSAGE_KINDS",
    "PROTOTYPES",
    "AnswerNote",
    "ConversationState",
    "EscalationClassifier",
    "EscalationDecision",
    "Example",
    "FeedbackNote",
    "LlmVote",
    "MessageScorer",
    "PageMoment",
    "TriggerHit",
    "TriggerKind",
    "TriggerSettings",
    "evaluate_action",
    "evaluate_message",
    "evaluate_message_with_vote",
    "evaluate_state",
    "load_examples",
    "should_escalate",
]
