"""The friction score of a page. Pure.

    friction = 100 × Σ wᵢ · r̃ᵢ / Σ wᵢ

over four rates, each shrunk toward the pooled rate of all pages in the same report
(empirical-Bayes smoothing, so a page seen twice cannot top the list on two bad sessions):

    r̃ = (k + m · prior) / (n + m)

| component    | k                                   | n                  | m  | weight |
|--------------|-------------------------------------|--------------------|----|--------|
| struggle     | sessions on the page with ≥1 signal | sessions           | 20 | 0.40   |
| escalation   | sessions escalated from the page    | sessions           | 20 | 0.30   |
| thumbs_down  | 👎 on answers given on the page      | 👍 + 👎             | 10 | 0.15   |
| low_csat     | CSAT responses scoring 1 or 2       | CSAT responses     | 10 | 0.15   |

The score runs 0–100: 0 when nobody struggles, escalates or complains, 100 when everyone
does. A page with no data scores the pooled average, and `confidence` (n / (n + m) on
sessions) says how much of its score is its own. docs/metrics.md explains the choice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

SESSION_PSEUDO = 20.0  # pseudo-sessions of prior evidence for session rates
RATING_PSEUDO = 10.0  # pseudo-ratings for thumbs and CSAT shares
LOW_CSAT_MAX = 2  # a CSAT score of 1 or 2 (of 5) is a low one


class FrictionInputs(BaseModel):
    """The counts one page contributes. Counts above their denominator are clamped."""

    model_config = ConfigDict(frozen=True)

    sessions: int = Field(0, ge=0)
    struggle_sessions: int = Field(0, ge=0)
    escalated_sessions: int = Field(0, ge=0)
    thumbs_up: int = Field(0, ge=0)
    thumbs_down: int = Field(0, ge=0)
    csat_responses: int = Field(0, ge=0)
    csat_low: int = Field(0, ge=0)


class FrictionWeights(BaseModel):
    model_config = ConfigDict(frozen=True)

    struggle: float = Field(0.40, ge=0)
    escalation: float = Field(0.30, ge=0)
    thumbs_down: float = Field(0.15, ge=0)
    low_csat: float = Field(0.15, ge=0)


class FrictionPrior(BaseModel):
    """Pooled rates the per-page rates are shrunk toward."""

    model_config = ConfigDict(frozen=True)

    struggle: float = Field(0.0, ge=0, le=1)
    escalation: float = Field(0.0, ge=0, le=1)
    thumbs_down: float = Field(0.0, ge=0, le=1)
    low_csat: float = Field(0.0, ge=0, le=1)


class FrictionScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    score: float  # 0..100
    struggle: float  # the shrunk rates that made the score, each 0..1
    escalation: float
    thumbs_down: float
    low_csat: float
    confidence: float  # sessions / (sessions + SESSION_PSEUDO)


DEFAULT_WEIGHTS = FrictionWeights()


def shrink(k: float, n: float, prior: float, pseudo: float) -> float:
    """(k + pseudo·prior) / (n + pseudo); k is clamped to [0, n]."""
    k = min(max(k, 0.0), max(n, 0.0))
    n = max(n, 0.0)
    if n + pseudo <= 0:
        return prior
    return (k + pseudo * prior) / (n + pseudo)


def _ratio(k: float, n: float) -> float:
    return min(k, n) / n if n > 0 else 0.0


def pooled_prior(pages: Iterable[FrictionInputs]) -> FrictionPrior:
    """The rates over all pages together (sums of counts, not a mean of rates)."""
    sessions = struggle = escalated = up = down = csat = low = 0
    for p in pages:
        sessions += p.sessions
        struggle += min(p.struggle_sessions, p.sessions)
        escalated += min(p.escalated_sessions, p.sessions)
        up, down = up + p.thumbs_up, down + p.thumbs_down
        csat += p.csat_responses
        low += min(p.csat_low, p.csat_responses)
    return FrictionPrior(
        struggle=_ratio(struggle, sessions),
        escalation=_ratio(escalated, sessions),
        thumbs_down=_ratio(down, up + down),
        low_csat=_ratio(low, csat),
    )


def friction(
    page: FrictionInputs,
    prior: FrictionPrior | None = None,
    weights: FrictionWeights = DEFAULT_WEIGHTS,
) -> FrictionScore:
    prior = prior or FrictionPrior()
    parts = {
        "struggle": shrink(page.struggle_sessions, page.sessions, prior.struggle, SESSION_PSEUDO),
        "escalation": shrink(
            page.escalated_sessions, page.sessions, prior.escalation, SESSION_PSEUDO
        ),
        "thumbs_down": shrink(
            page.thumbs_down, page.thumbs_up + page.thumbs_down, prior.thumbs_down, RATING_PSEUDO
        ),
        "low_csat": shrink(page.csat_low, page.csat_responses, prior.low_csat, RATING_PSEUDO),
    }
    w = weights.model_dump()
    total = sum(w.values())
    score = 100.0 * sum(w[name] * parts[name] for name in parts) / total if total else 0.0
    return FrictionScore(
        score=round(score, 2),
        **{name: round(value, 4) for name, value in parts.items()},
        confidence=round(page.sessions / (page.sessions + SESSION_PSEUDO), 4),
    )


def score_all(
    pages: Sequence[FrictionInputs], weights: FrictionWeights = DEFAULT_WEIGHTS
) -> list[FrictionScore]:
    """Scores for pages reported together: the prior is pooled over exactly these pages."""
    prior = pooled_prior(pages)
    return [friction(p, prior, weights) for p in pages]
