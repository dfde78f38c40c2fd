"""The message classifier: which escalation kinds a message reads like, beyond the phrase rules.

One logistic regression per kind (one-vs-rest) over all-MiniLM-L6-v2 sentence embeddings,
trained when the server starts from `PROTOTYPES` below (plus any examples a site adds). Training
is a few hundred gradient steps on a few hundred vectors (tens of ms after the embeddings);
classifying a message costs one embedding and a 384×6 product. The prototypes are written apart
from the evaluation set (tests/data/escalation_messages.jsonl), which is never trained on; see
docs/escalation.md and bench/escalation_eval.py for how it scores.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from .triggers import MESSAGE_KINDS, TriggerKind


class Encoder(Protocol):
    """`retrieval.embed.Embedder` fits: normalised float32 rows, one per text."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    kinds: tuple[TriggerKind, ...]  # empty: must not escalate


def load_examples(path: Path) -> list[Example]:
    """Labelled JSON lines: {"text": ..., "kinds": ["churn_risk", ...]}."""
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            examples.append(Example(row["text"], tuple(TriggerKind(k) for k in row["kinds"])))
    return examples


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def fit_logistic(
    x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 400, rate: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest logistic regressions, full-batch gradient descent with balanced classes.

    Balanced weights because each kind has a few dozen positives among hundreds of examples;
    unweighted, the model learns to say 'no' and recall suffers.
    """
    n, d = x.shape
    k = y.shape[1]
    positives = y.sum(axis=0).clip(min=1)
    w_pos = n / (2.0 * positives)
    w_neg = n / (2.0 * (n - positives).clip(min=1))
    sample_w = np.where(y > 0, w_pos, w_neg)
    weights = np.zeros((d, k), dtype=np.float64)
    bias = np.zeros(k, dtype=np.float64)
    for _ in range(steps):
        p = _sigmoid(x @ weights + bias)
        g = (p - y) * sample_w / n
        weights -= rate * (x.T @ g + l2 * weights)
        bias -= rate * g.sum(axis=0)
    return weights.astype(np.float32), bias.astype(np.float32)


class EscalationClassifier:
    """Scores a message for each message kind; `triggers.evaluate_message` applies thresholds."""

    def __init__(
        self,
        encoder: Encoder,
        weights: np.ndarray,
        bias: np.ndarray,
        kinds: Sequence[TriggerKind] = MESSAGE_KINDS,
    ) -> None:
        self._encoder = encoder
        self._weights = weights
        self._bias = bias
        self.kinds = tuple(kinds)

    @classmethod
    def train(
        cls,
        encoder: Encoder,
        examples: Iterable[Example] = (),
        *,
        use_prototypes: bool = True,
        l2: float = 1e-3,
        steps: int = 400,
    ) -> EscalationClassifier:
        rows = [*(PROTOTYPES if use_prototypes else ()), *examples]
        if not rows:
            raise ValueError("no training examples")
        x = encoder.encode([r.text for r in rows]).astype(np.float64)
        y = np.array([[kind in r.kinds for kind in MESSAGE_KINDS] for r in rows], np.float64)
        weights, bias = fit_logistic(x, y, l2=l2, steps=steps)
        return cls(encoder, weights, bias)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """Rows of per-kind probabilities for already-embedded messages."""
        return _sigmoid(vectors @ self._weights + self._bias)

    def scores(self, text: str) -> dict[TriggerKind, float]:
        encode_one = getattr(self._encoder, "encode_one", None)  # the shared embedder caches
        vector = encode_one(text) if encode_one else self._encoder.encode([text])[0]
        probs = self.probabilities(np.asarray(vector)[None, :])[0]
        return {kind: float(p) for kind, p in zip(self.kinds, probs, strict=True)}


# ---------------------------------------------------------------- prototypes
# Written for training only, in other words than the evaluation set's. Negatives lean on the
# hard cases: how-to questions that use 'cancel', 'refund', 'human', 'down', 'support'.

_H, _E, _C = TriggerKind.ASKED_FOR_HUMAN, TriggerKind.STRONG_EMOTION, TriggerKind.CHURN_RISK
_B, _L, _O = TriggerKind.BILLING_DISPUTE, TriggerKind.LEGAL_SECURITY, TriggerKind.OUTAGE

_LABELLED: dict[tuple[TriggerKind, ...], tuple[str, ...]] = {
    (_H,): (
        "I want to talk to a real person", "can I speak with an agent please",
        "transfer me to a human", "connect me to customer support",
        "is there someone I can talk to", "need a human", "talk to human",
        "let me speak with somebody from your company", "I'd like a call back from your team",
        "can a support person help me with this instead", "how can I get in touch with your staff",
        "I don't want a bot, I want a person", "please get a person to look at my account",
        "operator please", "can I chat with someone on your support team",
        "how do I get hold of customer care", "is there a live agent available",
        "escalate this to your support team", "I need to talk to a specialist about this",
        "can you have someone contact me", "speak to a human now",
        "is there an email address for support", "I want to talk to sales",
        "you're a bot, I need a human being", "can somebody from support call me",
    ),
    (_E,): (
        "this is absolutely infuriating", "I'm so angry right now",
        "what the hell is wrong with this app", "this product is garbage",
        "I'm extremely disappointed with your service", "this is driving me crazy",
        "I hate this stupid interface", "you guys are incompetent",
        "unbelievable, it broke again", "I'm fed up with these bugs", "what a nightmare",
        "I've wasted hours on this nonsense", "this is the dumbest thing ever",
        "are you serious right now", "I can't believe how bad this is",
        "terrible, just terrible", "screw this app", "THIS IS NOT WORKING AGAIN",
        "I'm at my wits' end", "for god's sake just work", "I'm livid",
    ),
    (_C,): (
        "I'd like to cancel my plan", "please cancel our subscription at the end of the month",
        "how can I close my account", "we're moving to another analytics tool",
        "we've decided to go with a competitor", "I'm leaving for Heap",
        "we will not renew next year", "I want to stop my subscription",
        "thinking of cancelling, it's too expensive", "this isn't worth the money",
        "terminate my contract", "I'm quitting your service",
        "delete my account, I don't want to use this anymore",
        "we are evaluating other vendors", "I'd like to end our subscription",
        "how do I stop being a customer", "your competitor is cheaper, give me a reason to stay",
        "we'll probably drop the product after this", "goodbye, I'm out",
        "we're not going to continue with you next year",
    ),
    (_B,): (
        "I got charged two times", "I need a refund",
        "please reimburse me for the extra charge", "you billed me the wrong amount",
        "I was billed for a plan I never signed up for", "why was my card charged again",
        "unauthorized charge on my credit card", "my invoice is wrong",
        "I was charged even though I cancelled",
        "I paid for the annual plan but I'm being charged monthly",
        "I'm disputing this charge", "give me my money back",
        "there's an extra payment I didn't make", "the invoice amount doesn't match my plan",
        "you took money from my account without permission",
        "I want a credit for the downtime", "my payment was taken twice",
        "I'm being charged for users who left",
        "your renewal charge was a surprise and I want it cancelled",
        "incorrect tax on my invoice",
    ),
    (_L,): (
        "I need you to delete everything you have about me",
        "please send me all data you store about me", "my account has been compromised",
        "I think someone stole my password and logged in",
        "we discovered a security flaw in your API", "I want to report a vulnerability",
        "our legal team needs to talk to you", "I will be contacting my attorney",
        "is my data safe after the breach", "we need a data processing agreement",
        "you are violating GDPR", "there's an injection vulnerability in the search box",
        "I can see data from a different company in my dashboard",
        "who is your data protection officer", "we need your security questionnaire filled out",
        "someone got access to our workspace without permission",
        "I'm filing a complaint with the data protection authority",
        "my api token leaked on github", "we have a law enforcement request",
        "is our data encrypted at rest? needed for our HIPAA audit",
    ),
    (_O,): (
        "the app is down", "nothing is loading for anyone", "nobody here can sign in",
        "all of our users are getting errors", "the service is unavailable",
        "your servers seem to be offline", "we're seeing a major outage",
        "every page gives a server error", "the whole platform is not responding",
        "tracking stopped working on all our websites", "our entire team gets a 503",
        "is your site down right now", "everyone in my company is locked out",
        "dashboards won't load for any of us", "the API is timing out for all calls",
        "there's a widespread problem, nothing works",
        "all reports are empty for everyone since the deploy",
        "none of our customers can see the widget",
    ),
    (_C, _B): ("cancel my plan and give me back what I paid this year",),
    (_E, _H): ("this bot is useless, get me a real person",),
    (_E, _O): ("are you kidding, the whole thing is down again",),
    (): (
        "how do I create a report", "where is the settings page",
        "how do I add a user to my workspace", "what does conversion rate mean",
        "can I change the colour of the chart", "how do I set up the Slack integration",
        "where do I find billing history", "how do I change my payment card",
        "can I pay by invoice", "how do I upgrade to the business plan",
        "how do I generate a new API token", "how do I cancel a pending invite",
        "how do I stop a running export", "how do I delete a dashboard I no longer need",
        "where can I see refunds in the revenue report",
        "how do I label humans and bots in my data", "what is a human-readable ID",
        "how do I mention a person in a comment", "can I assign this task to someone on my team",
        "how do I give a colleague access", "where can I find the support docs",
        "how do I add a contact form to my site", "what does the downtime chart show",
        "how do I add a dropdown filter", "how do I switch the language",
        "how do I move a widget on the dashboard", "how do I track cancellations as an event",
        "what is the chargeback field in the payments export",
        "does the script comply with GDPR cookie rules",
        "how do I hide personal data in recordings", "can I turn on 2FA for my team",
        "where do I manage SSO", "thanks, that fixed it", "great, that's what I needed",
        "ok got it", "that didn't quite work, what else can I try",
        "I'm a bit confused about segments", "slightly annoying that the date picker resets",
        "hmm, still empty", "the page is loading slowly for me",
        "I get an error when I upload a logo", "why does my chart show no data for yesterday",
        "not what I meant, I'm asking about exports",
        "the answer was too long, can you summarise", "is there an API endpoint for goals",
        "how do I talk to the webhook from Node", "what's the agent column in the sessions table",
        "how do I see real-time data", "can I duplicate a dashboard",
        "what browsers are supported", "how do I end a trial of a feature flag",
        "how long do you keep data", "how do I close the sidebar",
        "how do I report on churned users", "how do I delete a segment",
        "is it possible to undo my last change", "how do I remove the demo data",
        "why is the number different from Google Analytics", "can I import data from Mixpanel",
        "can I compare us with competitors in the benchmark report",
        "what does legal entity mean on the invoice form", "how do I restore a deleted goal",
        "I'm done, thanks for the help", "damn that's clever",
        "my colleague can't find the shared link, where do I send it",
        "I can't log in with Google, only email works for me",
        "how do I add a support email to the widget", "what plan am I on",
        "can I get an invoice with our VAT number", "the filter is not very intuitive",
        "why is the bounce rate so high on this page", "how do I set an alert when traffic drops",
    ),
}

PROTOTYPES: tuple[Example, ...] = tuple(
    Example(text, kinds) for kinds, texts in _LABELLED.items() for text in texts
)
