"""What the escalation triggers speak of: the trigger kinds, a fired trigger (`TriggerHit`),
the settings that switch and tune them, the conversation state they read and the decision they
lead to. Pure data (pydantic); triggers.py evaluates, phrases.py holds the phrase rules.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ..identity import VerifiedAccount


class TriggerKind(enum.StrEnum):
    # from what the user wrote
    ASKED_FOR_HUMAN = "asked_for_human"
    STRONG_EMOTION = "strong_emotion"
    CHURN_RISK = "churn_risk"
    BILLING_DISPUTE = "billing_dispute"
    LEGAL_SECURITY = "legal_security"
    OUTAGE = "outage"
    # from the verified account
    ENTERPRISE_ACCOUNT = "enterprise_account"
    HIGH_VALUE_ACCOUNT = "high_value_account"
    NAMED_ACCOUNT = "named_account"
    # from the conversation
    LOW_CONFIDENCE = "low_confidence"
    THUMBS_DOWN = "thumbs_down"
    REPEATED_STRUGGLE = "repeated_struggle"


MESSAGE_KINDS: tuple[TriggerKind, ...] = (
    TriggerKind.ASKED_FOR_HUMAN,
    TriggerKind.STRONG_EMOTION,
    TriggerKind.CHURN_RISK,
    TriggerKind.BILLING_DISPUTE,
    TriggerKind.LEGAL_SECURITY,
    TriggerKind.OUTAGE,
)
ACCOUNT_KINDS: frozenset[TriggerKind] = frozenset(
    {TriggerKind.ENTERPRISE_ACCOUNT, TriggerKind.HIGH_VALUE_ACCOUNT, TriggerKind.NAMED_ACCOUNT}
)

Score = Annotated[float, Field(ge=0.0, le=1.0)]
HitSource = Literal["rule", "classifier", "llm", "action", "account", "conversation"]


class TriggerHit(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: TriggerKind
    score: Score
    reason: str  # one line a support agent reads
    evidence: str = ""  # the words or numbers that fired it
    source: HitSource = "rule"
    rule: str = ""  # which phrase rule, for tuning; empty for other sources


class TriggerSettings(BaseModel):
    """Which triggers run and their thresholds. A site's `[escalation]` table maps onto it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: frozenset[TriggerKind] = Field(
        frozenset(TriggerKind), description="Triggers that may fire (all by default)."
    )
    classifier_threshold: Score = Field(
        0.45, description="Classifier probability at which a message kind fires."
    )
    classifier_thresholds: dict[TriggerKind, Score] = Field(
        {}, description="Per-kind overrides of `classifier_threshold`."
    )
    question_threshold: Score = Field(
        0.9,
        description="Classifier probability needed by a how-to question ('how do I…', "
        "'where is…') with no phrase rule behind it.",
    )
    llm_band: Score = Field(
        0.25,
        description="With an LLM configured, scores this far below the threshold are put to "
        "an LLM vote; below the band the classifier's 'no' stands.",
    )
    llm_timeout_s: Annotated[float, Field(gt=0)] = Field(
        3.0, description="The vote is skipped (the classifier decides) when the LLM is slower."
    )
    low_confidence_below: Score = Field(
        0.35, description="An answer below this retrieval confidence counts as low confidence."
    )
    low_confidence_streak: Annotated[int, Field(ge=1)] = Field(
        2, description="Low-confidence answers in a row that fire `low_confidence`."
    )
    thumbs_down_count: Annotated[int, Field(ge=1)] = Field(
        1, description="Answers rated down that fire `thumbs_down`."
    )
    struggle_after_help: Annotated[int, Field(ge=1)] = Field(
        2, description="Struggle signals on one page after help was shown there."
    )
    enterprise_tiers: frozenset[str] = Field(
        frozenset({"enterprise"}), description="Verified account tiers that count as enterprise."
    )
    mrr_threshold: Annotated[float, Field(ge=0)] | None = Field(
        None, description="Verified MRR at or above which an account is high value (off: None)."
    )
    named_accounts: frozenset[str] = Field(
        frozenset(), description="Verified account ids (or names) treated as key accounts."
    )
    key_accounts_escalate_alone: bool = Field(
        False,
        description="If true, an account rule alone hands over every conversation; otherwise "
        "it raises priority and lowers the low-confidence streak to one answer.",
    )


DEFAULT_SETTINGS = TriggerSettings()


# ---------------------------------------------------------------- conversation state


class AnswerNote(BaseModel):
    model_config = ConfigDict(frozen=True)

    message_id: str
    confidence: Score


class FeedbackNote(BaseModel):
    model_config = ConfigDict(frozen=True)

    message_id: str
    rating: Literal["up", "down"]


class PageMoment(BaseModel):
    """Help shown on a page (an answer or a nudge), or a struggle signal there."""

    model_config = ConfigDict(frozen=True)

    page_path: str
    at_ms: int
    kind: str = ""


class ConversationState(BaseModel):
    """What the triggers know about a conversation besides the current message.

    `account` must come from a verified identity token only (`identity.VerifiedIdentity`),
    never from what the browser claims.
    """

    model_config = ConfigDict(frozen=True)

    answers: tuple[AnswerNote, ...] = ()  # oldest first
    feedback: tuple[FeedbackNote, ...] = ()
    help_shown: tuple[PageMoment, ...] = ()
    struggles: tuple[PageMoment, ...] = ()
    account: VerifiedAccount | None = None
    offered_human: bool = False  # the last answer offered a person


EMPTY_STATE = ConversationState()


class MessageScorer(Protocol):
    """The classifier as the triggers see it (see classifier.py)."""

    def scores(self, text: str) -> Mapping[TriggerKind, float]: ...


LlmVote = Callable[[str, Sequence[TriggerKind]], Awaitable[Collection[TriggerKind]]]
"""Given a message and candidate kinds, return the kinds the LLM agrees apply."""


class EscalationDecision(BaseModel):
    model_config = ConfigDict(frozen=True)

    escalate: bool
    priority: Literal["normal", "high"]
    hits: tuple[TriggerHit, ...]
